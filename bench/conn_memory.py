#!/usr/bin/env python3
"""Connection memory: what a spike of keep-alive connections costs the gateway, and whether that
memory goes back once they close.

Starts the release gateway (one worker) on loopback with an HTTP_PROXY route to a small keep-alive
backend, then:
  1. warms up, records RSS (VmRSS of /proc/PID/status)            -> before
  2. opens N connections; each sends one request ("burst": all requests written before any
     response is read, so N requests are in flight at once; "sequential": one at a time) and
     stays open, idle                                                -> peak, idle RSS per connection
  3. closes them all and waits for RSS to settle                     -> after
and prints one line of key=value figures per run. `tollgate_connections_open` from /metrics
confirms the gateway saw the connections open and close.

    bench/conn_memory.py                       # both drivers, burst, 5000 connections
    bench/conn_memory.py --conns 2000 --mode sequential --drivers epoll
    MALLOC_ARENA_MAX=1 bench/conn_memory.py    # glibc settings pass through the environment

The per-idle-connection heap (allocator-exact) is asserted by tests/conn_memory.rs; this tool
gives the process view. To compare another allocator, build a binary with it as the global
allocator (e.g. mimalloc 0.1.52: `mimalloc = "0.1"` in Cargo.toml and
`#[global_allocator] static A: mimalloc::MiMalloc = mimalloc::MiMalloc;` in main.rs) and pass it
with --bin; mimalloc's own settings (MIMALLOC_PURGE_DELAY=0, ...) pass through the environment.

Build first: cargo build --release --bin tollgate (or --bin PATH). Needs `ulimit -n` > 2*N + 100
(raised here up to the hard limit). Everything binds 127.0.0.1; started processes are stopped by
PID.
"""

import argparse
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API_ID = "memapi0001"
BACKEND_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n"
    b'{"hello":"world"}'
)


def backend():
    """A keep-alive backend answering every request head with the same bytes; returns its port."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1024)

    def serve(conn):
        buf = b""
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    _, buf = buf.split(b"\r\n\r\n", 1)
                    conn.sendall(BACKEND_RESPONSE)

    def accept():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return srv.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def metric(admin, name):
    with urllib.request.urlopen(f"http://{admin}/metrics", timeout=5) as r:
        text = r.read().decode()
    m = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def read_response(sock, pending=b""):
    """Reads one Content-Length framed response; returns the leftover bytes."""
    buf = pending
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].decode("latin-1")
            if not head.startswith("HTTP/1.1 200"):
                raise RuntimeError(f"unexpected response: {head!r}")
            length = int(re.search(r"(?im)^content-length:\s*(\d+)", head).group(1))
            total = end + 4 + length
            if len(buf) >= total:
                return buf[total:]
        data = sock.recv(65536)
        if not data:
            raise RuntimeError("gateway closed the connection")
        buf += data


def start_gateway(binary, driver, work, backend_port):
    data = os.path.join(work, "data")
    os.makedirs(data, exist_ok=True)
    doc = (
        '{"openapi":"3.0.1","info":{"title":"mem","version":"1"},"paths":{"/items":{"get":{'
        '"x-amazon-apigateway-integration":{"type":"http_proxy","httpMethod":"GET",'
        f'"uri":"http://127.0.0.1:{backend_port}/items"}}}}}}}}}}'
    )
    with open(os.path.join(work, "api.json"), "w") as f:
        f.write(doc)
    cfg = os.path.join(work, "tollgate.toml")
    with open(cfg, "w") as f:
        # The API is deployed at boot (no signed admin calls needed).
        f.write(
            "[server]\nworkers = 1\n[timeouts]\nidle_ms = 600000\nheader_ms = 60000\n"
            "[upstream]\npool_idle_per_upstream = 64\n"
            f'[[apis]]\nfile = "api.json"\nid = "{API_ID}"\n[[apis.stages]]\nname = "prod"\n'
        )
    env = dict(os.environ)
    env.pop("TOLLGATE_ADMIN_ACCESS_KEY_ID", None)
    env.pop("TOLLGATE_ADMIN_SECRET_ACCESS_KEY", None)
    out = open(os.path.join(work, "stdout"), "w+")
    err = open(os.path.join(work, "stderr"), "w")
    proc = subprocess.Popen(
        [binary, "run", "--config", cfg, "--workers", "1", "--driver", driver,
         "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-dir", data],
        stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
    )
    deadline = time.time() + 30
    ready = None
    while time.time() < deadline and ready is None:
        out.seek(0)
        for line in out:
            if line.startswith("ready "):
                ready = line
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited: {open(os.path.join(work, 'stderr')).read()}")
        time.sleep(0.05)
    if ready is None:
        proc.kill()
        raise RuntimeError("gateway never printed its ready line")
    listen = re.search(r"listen=(\S+)", ready).group(1)
    admin = re.search(r"admin=(\S+)", ready).group(1)
    return proc, listen, admin, API_ID


def settle(pid, seconds):
    """RSS after `seconds`, sampled until it stops falling."""
    last = rss_kib(pid)
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(0.25)
        last = rss_kib(pid)
    return last


def run(binary, driver, conns, mode, backend_port):
    with tempfile.TemporaryDirectory(prefix="tollgate-connmem-") as work:
        proc, listen, admin, api = start_gateway(binary, driver, work, backend_port)
        host, port = listen.rsplit(":", 1)
        request = (
            f"GET /prod/items HTTP/1.1\r\nHost: {api}.execute-api.local\r\n"
            "User-Agent: conn-memory\r\n\r\n"
        ).encode()
        try:
            # Warm up: one-time state (pools, tables, the backend connection) is not the spike's.
            for _ in range(3):
                warm = [socket.create_connection((host, int(port))) for _ in range(64)]
                for s in warm:
                    s.sendall(request)
                for s in warm:
                    read_response(s)
                    s.close()
            before = settle(proc.pid, 2)
            socks = []
            for _ in range(conns):
                s = socket.create_connection((host, int(port)))
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                socks.append(s)
                if mode == "sequential":
                    s.sendall(request)
                    read_response(s)
            if mode == "burst":
                for s in socks:
                    s.sendall(request)
                for s in socks:
                    read_response(s)
            peak = rss_kib(proc.pid)
            idle = settle(proc.pid, 2)
            time.sleep(0.5)  # the gauge is published every 250 ms
            open_now = metric(admin, "tollgate_connections_open")
            for s in socks:
                s.close()
            after = settle(proc.pid, 5)
            time.sleep(0.5)
            open_after = metric(admin, "tollgate_connections_open")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        print(
            f"driver={driver} mode={mode} conns={conns} "
            f"rss_before_kib={before} rss_peak_kib={peak} rss_idle_kib={idle} "
            f"rss_after_kib={after} after_minus_before_kib={after - before} "
            f"idle_rss_per_conn_bytes={(idle - before) * 1024 // conns} "
            f"open_gauge={open_now} open_gauge_after={open_after} "
            f"malloc_env={','.join(k for k in sorted(os.environ) if k.startswith(('MALLOC', 'GLIBC_TUNABLES'))) or '-'}",
            flush=True,
        )


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--conns", type=int, default=5000)
    p.add_argument("--mode", choices=["burst", "sequential"], default="burst")
    p.add_argument("--drivers", default="uring,epoll")
    p.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "tollgate"))
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.conns * 2 + 200
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
        if min(need, hard) < need:
            sys.exit(f"needs {need} descriptors; the hard limit is {hard}")
    port = backend()
    for driver in args.drivers.split(","):
        run(args.bin, driver.strip(), args.conns, args.mode, port)


if __name__ == "__main__":
    main()
