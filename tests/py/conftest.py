"""Black-box fixtures: the real tollgate binary, the aws CLI and boto3 against its admin port, a
small HTTP backend, and moto_server for the shape comparison. Every process is started here and
stopped by its own PID."""

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TOLLGATE_BIN", str(ROOT / "target" / "debug" / "tollgate"))
VENV_BIN = Path(sys.executable).parent
REGION = "us-east-1"

# The admin credential every client here uses: the one line to change when the gateway is
# started with a configured credential (admin SigV4).
CREDENTIALS = {"key": "AKIDTOLLGATETEST0000", "secret": "tollgate-test-secret"}
# A second, read-only credential from the config file (`[[admin.credentials]] read_only = true`):
# GET/HEAD only, anything else is AccessDeniedException.
READ_ONLY = {"key": "AKIDTOLLGATEREADONLY", "secret": "tollgate-read-only-secret"}


def config_text(rate_limit_per_second=0, rate_limit_burst=40):
    """The suite's config: the read-only credential and, by default, no admin throttling (the
    suite drives the admin port faster than AWS's 10 requests/s)."""
    return f"""[admin]
rate_limit_per_second = {rate_limit_per_second}
rate_limit_burst = {rate_limit_burst}

[[admin.credentials]]
access_key_id = "{READ_ONLY['key']}"
secret_access_key = "{READ_ONLY['secret']}"
read_only = true
"""


class Gateway:
    def __init__(self, data_dir, extra_env=None, config=None):
        env = dict(os.environ)
        # The admin port verifies SigV4: run the gateway with the suite's credential.
        env["TOLLGATE_ADMIN_ACCESS_KEY_ID"] = CREDENTIALS["key"]
        env["TOLLGATE_ADMIN_SECRET_ACCESS_KEY"] = CREDENTIALS["secret"]
        env.update(extra_env or {})
        self.stderr = open(Path(data_dir).parent / "stderr.log", "w+")
        config_file = Path(data_dir).parent / "tollgate.toml"
        config_file.write_text(config if config is not None else config_text())
        self.proc = subprocess.Popen(
            [BIN, "run", "--config", str(config_file),
             "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
             "--data-dir", str(data_dir), "--workers", "1"],
            stdout=subprocess.PIPE, stderr=self.stderr, stdin=subprocess.DEVNULL, env=env, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            self.stop()
            self.stderr.seek(0)
            raise RuntimeError(f"no ready line: {line!r}\n{self.stderr.read()}")
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        self.listen = fields["listen"]
        self.admin = fields["admin"]
        self.admin_url = f"http://{self.admin}"

    def log(self):
        """Everything the gateway has written to stderr so far."""
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def invoke(self, api_id, method, path, body=None, headers=None):
        """One request on the data port for `api_id` (picked by the execute-api Host)."""
        status, raw, got = self.invoke_bytes(api_id, method, path, body, headers)
        return status, raw.decode(), got

    def invoke_bytes(self, api_id, method, path, body=None, headers=None):
        """`invoke` with the response body as bytes."""
        req = urllib.request.Request(f"http://{self.listen}{path}", data=body, method=method)
        req.add_header("Host", f"{api_id}.execute-api.{REGION}.amazonaws.com")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)


@pytest.fixture(scope="session")
def gateway():
    with tempfile.TemporaryDirectory(prefix="tollgate-py-") as tmp:
        gw = Gateway(Path(tmp) / "data")
        try:
            yield gw
        finally:
            gw.stop()


def client(endpoint, credentials=CREDENTIALS):
    return boto3.client(
        "apigateway", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=credentials["key"], aws_secret_access_key=credentials["secret"],
        config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="session")
def apigw(gateway):
    return client(gateway.admin_url)


def cli_runner(admin_url, credentials=CREDENTIALS):
    """Runs `aws apigateway ARGS... --endpoint-url ADMIN`; returns (exit status, stdout, stderr)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=credentials["key"],
               AWS_SECRET_ACCESS_KEY=credentials["secret"], AWS_DEFAULT_REGION=REGION,
               AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    cli = os.environ.get("TOLLGATE_AWS_CLI", str(VENV_BIN / "aws"))

    def run(*args):
        p = subprocess.run([cli, "apigateway", *args, "--endpoint-url", admin_url,
                            "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr
    return run


@pytest.fixture(scope="session")
def aws(gateway):
    return cli_runner(gateway.admin_url)


class _Backend(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real backends do
    name = "backend"

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        out = json.dumps({"backend": True, "name": self.name, "method": self.command,
                          "path": self.path, "body": body}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "yes")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


def start_backend(name="backend"):
    """A small HTTP backend on 127.0.0.1 that echoes its name, method, path and body as JSON.
    Returns (host:port, server); call server.shutdown() when done."""
    handler = type(f"_Backend_{name}", (_Backend,), {"name": name})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"127.0.0.1:{srv.server_address[1]}", srv


@pytest.fixture(scope="session")
def backend():
    addr, srv = start_backend()
    yield addr
    srv.shutdown()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


import contextlib


@contextlib.contextmanager
def moto_server(extra_env=None):
    """A moto_server on 127.0.0.1 (started and stopped here by PID); yields its URL."""
    exe = VENV_BIN / "moto_server"
    if not exe.exists():
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    port = free_port()
    env = dict(os.environ, **(extra_env or {}))
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).read()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto_server did not start")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def moto():
    """moto_server on 127.0.0.1 (started and stopped here by PID)."""
    with moto_server() as url:
        yield url


def invoke_calc(port, payload):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/2015-03-31/functions/Calc/invocations",
                                 data=json.dumps(payload).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def lambda_emulator():
    """cargo-lambda's Invoke API serving tests/fixtures/lambda, started as tests/support/lambda.rs
    starts it: the fixtures built into target/lambda-fixtures, `cargo-lambda lambda watch` on a
    free loopback port in its own process group, ready once `Calc` answers; the group is killed at
    the end (the emulator and the function processes it started)."""
    exe = ROOT / ".venv" / "bin" / "cargo-lambda"
    if not exe.exists():
        exe = VENV_BIN / "cargo-lambda"
    if not exe.exists():
        pytest.fail("cargo-lambda is not installed: .venv/bin/pip install --no-deps cargo-lambda")
    fixtures = ROOT / "tests" / "fixtures" / "lambda"
    env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target" / "lambda-fixtures"))
    subprocess.run(["cargo", "build", "--quiet"], cwd=fixtures, env=env, check=True, timeout=600)
    port = free_port()
    log = open(Path(tempfile.gettempdir()) / f"cargo-lambda-{port}.log", "w")
    proc = subprocess.Popen([str(exe), "lambda", "watch", "--ignore-changes",
                             "-A", "127.0.0.1", "-P", str(port)],
                            cwd=fixtures, env=env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                invoke_calc(port, {"a": 1, "b": 1, "op": "+"})
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"cargo-lambda did not answer on port {port}")
                time.sleep(0.1)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()
