//! Shared harness for the black-box tests: spawn the real `tollgate` binary on port 0, talk to it
//! over raw sockets, and stand up in-process upstream servers that misbehave on purpose.
//!
//! Everything here is std + the crate's existing dependencies (`serde_json`, `libc`); nothing from
//! the `tollgate` library itself, so the tests pin down behaviour, not internals.
//!
//! Every black-box test body runs once per driver through [`for_each_driver`]. Set
//! `TOLLGATE_TEST_DRIVERS=epoll` (comma-separated) to narrow that while debugging.

#![allow(dead_code)]

pub mod backends;
pub mod client;
pub mod sigv4;

pub use backends::*;
pub use client::*;
#[allow(unused_imports)]
pub use sigv4::{Key, OwnedKey, ADMIN_KEY, READ_ONLY_KEY};

use std::fs;
use std::io::{BufRead, BufReader, Read, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const DRIVERS: [&str; 2] = ["uring", "epoll"];

/// How long the binary may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs `body` once per driver ("uring", then "epoll").
pub fn for_each_driver(body: impl Fn(&'static str)) {
    let only = std::env::var("TOLLGATE_TEST_DRIVERS").unwrap_or_default();
    for driver in DRIVERS {
        if !only.is_empty() && !only.split(',').any(|d| d.trim() == driver) {
            continue;
        }
        eprintln!("=== driver: {driver} ===");
        body(driver);
    }
}

// ---------------------------------------------------------------------------------------------
// Temporary directories
// ---------------------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed on drop (unless `TOLLGATE_KEEP_TMP=1`).
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "tollgate-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        self.write_bytes(name, contents.as_bytes())
    }

    pub fn write_bytes(&self, name: &str, contents: &[u8]) -> PathBuf {
        let p = self.join(name);
        fs::write(&p, contents).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var("TOLLGATE_KEEP_TMP").as_deref() != Ok("1") {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Config files
// ---------------------------------------------------------------------------------------------

/// The knobs tests turn; `render` writes a complete config file (every section spelled out, so a
/// test does not depend on defaults it is not testing). Listen/admin/data-dir come from flags.
#[derive(Clone, Debug)]
pub struct Config {
    pub max_url_bytes: usize,
    pub max_header_bytes: usize,
    pub max_headers: usize,
    pub max_body_bytes: usize,
    pub header_ms: u64,
    pub idle_ms: u64,
    pub connect_ms: u64,
    pub drain_ms: u64,
    /// Raw TOML appended at the end (e.g. `[[apis]]` tables).
    pub extra: String,
    /// Whether `[[admin.credentials]]` names `ADMIN_KEY` (read-write) and `READ_ONLY_KEY`.
    pub credentials: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_url_bytes: 10240,
            max_header_bytes: 10240,
            max_headers: 100,
            max_body_bytes: 10485760,
            header_ms: 10000,
            idle_ms: 60000,
            connect_ms: 2000,
            drain_ms: 10000,
            extra: String::new(),
            credentials: true,
        }
    }
}

impl Config {
    pub fn render(&self) -> String {
        let credentials = if self.credentials {
            format!(
                "[[admin.credentials]]\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n\n\
                 [[admin.credentials]]\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n\
                 read_only = true\n",
                ADMIN_KEY.id, ADMIN_KEY.secret, READ_ONLY_KEY.id, READ_ONLY_KEY.secret
            )
        } else {
            String::new()
        };
        format!(
            r#"[server]
listen = "127.0.0.1:0"
workers = 1
driver = "auto"

[admin]
listen = "127.0.0.1:0"
max_body_bytes = 10485760
# The harness drives the admin port as fast as it can (the durability loop): no throttling.
rate_limit_per_second = 0

{}
[limits]
max_url_bytes = {}
max_header_bytes = {}
max_headers = {}
max_body_bytes = {}

[timeouts]
header_ms = {}
idle_ms = {}
connect_ms = {}
drain_ms = {}

[upstream]
pool_idle_per_upstream = 64

[storage]
data_dir = "./tollgate-data"

{}
"#,
            credentials,
            self.max_url_bytes,
            self.max_header_bytes,
            self.max_headers,
            self.max_body_bytes,
            self.header_ms,
            self.idle_ms,
            self.connect_ms,
            self.drain_ms,
            self.extra
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The gateway process
// ---------------------------------------------------------------------------------------------

/// How to start the gateway.
#[derive(Clone, Debug)]
pub struct Opts {
    pub driver: &'static str,
    pub workers: usize,
    /// Config written to `<tmp>/tollgate.toml` and passed with `--config`; `None` runs on the
    /// embedded default config.
    pub config: Option<Config>,
    /// Whether the environment carries `ADMIN_KEY` as TOLLGATE_ADMIN_ACCESS_KEY_ID/SECRET.
    pub admin_env: bool,
    /// The child's umask; `None` inherits the test process's.
    pub umask: Option<u32>,
    /// Leave the data dir for the gateway to create (else the harness creates it, 0700).
    pub fresh_data_dir: bool,
    /// Extra environment for the gateway process.
    pub env: Vec<(String, String)>,
}

impl Opts {
    pub fn new(driver: &'static str) -> Opts {
        Opts {
            driver,
            workers: 1,
            config: Some(Config::default()),
            admin_env: true,
            umask: None,
            fresh_data_dir: false,
            env: Vec::new(),
        }
    }
    /// Sets `key=value` in the gateway's environment.
    pub fn env(mut self, key: &str, value: &str) -> Opts {
        self.env.push((key.into(), value.into()));
        self
    }
    /// Runs the gateway under this umask.
    pub fn umask(mut self, mask: u32) -> Opts {
        self.umask = Some(mask);
        self
    }
    /// The gateway creates its data dir itself.
    pub fn fresh_data_dir(mut self) -> Opts {
        self.fresh_data_dir = true;
        self
    }
    /// No admin credentials in the environment (the config decides, or first-start bootstrap).
    pub fn without_admin_env(mut self) -> Opts {
        self.admin_env = false;
        self
    }
    pub fn workers(mut self, n: usize) -> Opts {
        self.workers = n;
        self
    }
    pub fn config(mut self, c: Config) -> Opts {
        self.config = Some(c);
        self
    }
    pub fn embedded_config(mut self) -> Opts {
        self.config = None;
        self
    }
}

/// Creates a data dir as an operator should (0700): the gateway refuses one others can write,
/// which a umask of 002 would otherwise give.
pub fn private_dir(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    fs::create_dir_all(dir).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
}

/// The binary under test: this package's `tollgate`, or `$TOLLGATE_BIN` (to run the suite against
/// a binary built elsewhere).
pub fn bin() -> String {
    std::env::var("TOLLGATE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_tollgate").to_string())
}

/// A running `tollgate run`. Killed (SIGKILL) on drop; its stderr is kept in a file and printed
/// when a test panics while it is alive.
pub struct Gateway {
    pub opts: Opts,
    pub tmp: TempDir,
    pub data_dir: PathBuf,
    pub config_path: Option<PathBuf>,
    child: Option<Child>,
    pub listen: SocketAddr,
    pub admin: SocketAddr,
    /// The credential `admin()` signs with; tests that exercise auth change it.
    pub key: OwnedKey,
    starts: usize,
}

impl Gateway {
    pub fn start(opts: Opts) -> Gateway {
        let tmp = TempDir::new(opts.driver);
        let data_dir = tmp.join("data");
        if !opts.fresh_data_dir {
            private_dir(&data_dir);
        }
        let config_path = opts
            .config
            .as_ref()
            .map(|c| tmp.write("tollgate.toml", &c.render()));
        let mut gw = Gateway {
            opts,
            tmp,
            data_dir,
            config_path,
            child: None,
            listen: "127.0.0.1:1".parse().unwrap(),
            admin: "127.0.0.1:1".parse().unwrap(),
            key: ADMIN_KEY.into(),
            starts: 0,
        };
        gw.spawn();
        gw
    }

    /// Starts with a caller-written config file (e.g. one naming `[[apis]]` files beside it).
    pub fn start_with_config_file(driver: &'static str, tmp: TempDir, config: PathBuf) -> Gateway {
        let data_dir = tmp.join("data");
        private_dir(&data_dir);
        let mut gw = Gateway {
            opts: Opts {
                driver,
                workers: 1,
                config: None,
                admin_env: true,
                umask: None,
                fresh_data_dir: false,
                env: Vec::new(),
            },
            tmp,
            data_dir,
            config_path: Some(config),
            child: None,
            listen: "127.0.0.1:1".parse().unwrap(),
            admin: "127.0.0.1:1".parse().unwrap(),
            key: ADMIN_KEY.into(),
            starts: 0,
        };
        gw.spawn();
        gw
    }

    fn stderr_path(&self) -> PathBuf {
        self.tmp.join(&format!("stderr-{}.log", self.starts))
    }

    fn stdout_path(&self) -> PathBuf {
        self.tmp.join(&format!("stdout-{}.log", self.starts))
    }

    /// The child's stdout after its ready line, so far (current run).
    pub fn stdout(&self) -> String {
        fs::read_to_string(self.stdout_path()).unwrap_or_default()
    }

    fn spawn(&mut self) {
        self.starts += 1;
        let stderr_path = self.stderr_path();
        let stderr = fs::File::create(&stderr_path).expect("stderr file");
        let mut cmd = Command::new(bin());
        cmd.arg("run");
        if let Some(cfg) = &self.config_path {
            cmd.arg("--config").arg(cfg);
        }
        cmd.args(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--workers", &self.opts.workers.to_string()])
            .args(["--driver", self.opts.driver])
            .env("RUST_BACKTRACE", "1")
            .env_remove("TOLLGATE_ADMIN_ACCESS_KEY_ID")
            .env_remove("TOLLGATE_ADMIN_SECRET_ACCESS_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr));
        for (k, v) in &self.opts.env {
            cmd.env(k, v);
        }
        if self.opts.admin_env {
            cmd.env("TOLLGATE_ADMIN_ACCESS_KEY_ID", ADMIN_KEY.id)
                .env("TOLLGATE_ADMIN_SECRET_ACCESS_KEY", ADMIN_KEY.secret);
        }
        if let Some(mask) = self.opts.umask {
            use std::os::unix::process::CommandExt as _;
            // SAFETY: the closure runs in the forked child before exec; umask(2) is
            // async-signal-safe, allocates nothing and touches no memory of the parent.
            unsafe {
                cmd.pre_exec(move || {
                    libc::umask(mask as libc::mode_t);
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().expect("spawn tollgate");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let mut rest = fs::File::create(self.stdout_path()).expect("stdout file");
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            // The first line is the ready line; keep draining so the child never blocks on
            // stdout, and keep the rest (access logs sent to stdout) in a file.
            let mut first = true;
            while let Some(Ok(line)) = lines.next() {
                if first {
                    let _ = tx.send(line);
                    first = false;
                } else {
                    let _ = writeln!(rest, "{line}");
                }
            }
        });
        self.child = Some(child);
        let line = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(l) => l,
            Err(_) => {
                let status = self.child.as_mut().unwrap().try_wait().ok().flatten();
                panic!(
                    "tollgate ({}) printed no ready line (waited up to {READY_TIMEOUT:?}; exit: {status:?})\n--- stderr ---\n{}",
                    self.opts.driver,
                    self.stderr()
                );
            }
        };
        let (listen, admin) = parse_ready(&line).unwrap_or_else(|| {
            panic!("bad ready line {line:?}\n--- stderr ---\n{}", self.stderr())
        });
        self.listen = listen;
        self.admin = admin;
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("gateway not running").id() as i32
    }

    /// The child's stderr so far (current run).
    pub fn stderr(&self) -> String {
        fs::read_to_string(self.stderr_path()).unwrap_or_default()
    }

    pub fn signal(&self, sig: i32) {
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill({}, {sig}) failed", self.pid());
    }

    pub fn sigterm(&self) {
        self.signal(libc::SIGTERM)
    }

    pub fn sighup(&self) {
        self.signal(libc::SIGHUP)
    }

    /// Waits for the child to exit; `None` if it is still running after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut()?;
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                self.child = None;
                return Some(st);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Graceful stop: SIGTERM, and insist on exit status 0 within the drain timeout.
    pub fn stop(&mut self) {
        if self.child.is_some() {
            self.sigterm();
            let st = self.wait_exit(Duration::from_secs(15));
            let st = st.unwrap_or_else(|| panic!("no exit after SIGTERM\n{}", self.stderr()));
            assert!(
                st.success(),
                "exit after SIGTERM: {st:?}\n{}",
                self.stderr()
            );
        }
    }

    /// Starts the binary again on the same data dir and config (new ports).
    pub fn restart(&mut self) {
        assert!(
            self.child.is_none(),
            "restart() needs stop() or kill9() first"
        );
        self.spawn();
    }

    // -- convenience ------------------------------------------------------------------------

    pub fn conn(&self) -> Conn {
        Conn::connect(self.listen)
    }

    pub fn admin_conn(&self) -> Conn {
        Conn::connect(self.admin)
    }

    /// One admin request on a fresh connection, signed (SigV4) with `self.key`.
    pub fn admin(&self, method: &str, target: &str, body: &[u8]) -> Response {
        self.admin_as(Some(&self.key), method, target, body)
    }

    /// One admin request signed with `key`, or unsigned with `None`.
    pub fn admin_as(
        &self,
        key: Option<&OwnedKey>,
        method: &str,
        target: &str,
        body: &[u8],
    ) -> Response {
        let mut c = self.admin_conn();
        let ct = if body.first() == Some(&b'{') {
            "application/json"
        } else {
            "application/yaml"
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        if !body.is_empty() {
            headers.push(("Content-Type".into(), ct.into()));
        }
        let host = "127.0.0.1";
        if let Some(key) = key {
            let plain: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let auth = sigv4::sign_headers(key, method, target, host, &plain, body);
            headers.extend(auth);
        }
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        c.request(method, target, host, &headers, body)
            .unwrap_or_else(|e| panic!("admin {method} {target}: {e}\n{}", self.stderr()))
    }

    /// `POST /restapis?mode=import`; returns the new id.
    pub fn import(&self, doc: &str) -> String {
        let r = self.admin("POST", "/restapis?mode=import", doc.as_bytes());
        assert_eq!(
            r.status,
            201,
            "import failed: {}\n{}",
            r.text(),
            self.stderr()
        );
        let v = r.json();
        v["id"]
            .as_str()
            .expect("import response has an id")
            .to_string()
    }

    /// `POST /restapis/{id}/deployments`; returns the deployment id.
    pub fn deploy(&self, api: &str, stage: &str, vars: &[(&str, &str)]) -> String {
        let mut variables = serde_json::Map::new();
        for (k, v) in vars {
            variables.insert(k.to_string(), serde_json::Value::String(v.to_string()));
        }
        let body = serde_json::json!({ "stageName": stage, "variables": variables }).to_string();
        let r = self.admin(
            "POST",
            &format!("/restapis/{api}/deployments"),
            body.as_bytes(),
        );
        assert_eq!(
            r.status,
            201,
            "deploy failed: {}\n{}",
            r.text(),
            self.stderr()
        );
        r.json()["id"].as_str().expect("deployment id").to_string()
    }

    /// One data-plane request on a fresh connection, for API `api` (by Host header).
    pub fn call(&self, api: &str, method: &str, target: &str, body: &[u8]) -> Response {
        self.call_h(api, method, target, &[], body)
    }

    pub fn call_h(
        &self,
        api: &str,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut c = self.conn();
        c.request(method, target, &api_host(api), headers, body)
            .unwrap_or_else(|e| panic!("{method} {target}: {e}\n{}", self.stderr()))
    }

    /// Polls `GET /metrics` until `pred` holds (metrics may lag ~0.5 s).
    pub fn metrics_until(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let r = self.admin("GET", "/metrics", b"");
            assert_eq!(r.status, 200, "/metrics");
            let text = r.text();
            if pred(&text) {
                return text;
            }
            if Instant::now() > deadline {
                panic!("metrics never showed {what}:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.stderr();
            let tail: String = {
                let lines: Vec<&str> = log.lines().collect();
                lines[lines.len().saturating_sub(60)..].join("\n")
            };
            eprintln!(
                "--- tollgate stderr ({} driver, last 60 lines; dir {}) ---\n{tail}\n--- end ---",
                self.opts.driver,
                self.tmp.path().display()
            );
        }
        self.kill9();
    }
}

/// `ready listen=IP:PORT admin=IP:PORT`
pub fn parse_ready(line: &str) -> Option<(SocketAddr, SocketAddr)> {
    let mut parts = line.split_whitespace();
    if parts.next()? != "ready" {
        return None;
    }
    let mut listen = None;
    let mut admin = None;
    for p in parts {
        if let Some(v) = p.strip_prefix("listen=") {
            listen = v.parse().ok();
        } else if let Some(v) = p.strip_prefix("admin=") {
            admin = v.parse().ok();
        }
    }
    Some((listen?, admin?))
}

/// The Host header that selects API `id`.
pub fn api_host(id: &str) -> String {
    format!("{id}.execute-api.us-east-1.amazonaws.com")
}

/// Runs the binary to completion with `args`; returns (status, stdout + stderr).
pub fn run_cli(args: &[&str]) -> (ExitStatus, String) {
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("run tollgate");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status, text)
}

/// Polls `f` until it returns `Some`, or panics with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/blackbox")
        .join(name)
}

pub fn fixture(name: &str) -> String {
    let mut s = String::new();
    fs::File::open(fixture_path(name))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// `{"message": ...}` of an error body.
pub fn message(r: &Response) -> String {
    r.json()["message"].as_str().unwrap_or_default().to_string()
}

/// Asserts AWS's Missing Authentication Token shape.
pub fn assert_missing_token(r: &Response) {
    assert_eq!(r.status, 403, "expected 403, got {} {}", r.status, r.text());
    assert_eq!(
        message(r),
        "Missing Authentication Token",
        "body: {}",
        r.text()
    );
    let et = r.header("x-amzn-ErrorType").unwrap_or_default();
    assert!(
        et.starts_with("MissingAuthenticationTokenException"),
        "x-amzn-ErrorType: {et:?}"
    );
    assert!(
        r.header("x-amzn-RequestId").is_some(),
        "no x-amzn-RequestId"
    );
}

// ---------------------------------------------------------------------------------------------
// The usual test set-up: a gateway, every upstream, and the black-box API deployed to `prod`
// ---------------------------------------------------------------------------------------------

pub struct Env {
    pub gw: Gateway,
    pub be: Backends,
    pub api: String,
    pub host: String,
}

/// Starts the gateway, the upstreams, imports `api-oas3.yaml` and deploys it to `prod` with
/// `backend` = echo-a and `tag` = prod-tag.
pub fn setup(opts: Opts) -> Env {
    setup_with(opts, "api-oas3.yaml")
}

pub fn setup_with(opts: Opts, doc: &str) -> Env {
    let gw = Gateway::start(opts);
    let be = Backends::start();
    let api = gw.import(&be.render(&fixture(doc)));
    let echo = be.echo.hostport();
    gw.deploy(&api, "prod", &[("backend", &echo), ("tag", "prod-tag")]);
    let host = api_host(&api);
    Env { gw, be, api, host }
}

impl Env {
    pub fn conn(&self) -> Conn {
        self.gw.conn()
    }

    pub fn get(&self, target: &str) -> Response {
        self.gw.call(&self.api, "GET", target, b"")
    }

    pub fn call(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.gw.call_h(&self.api, method, target, headers, body)
    }

    /// A raw request for this API (Host set), as bytes.
    pub fn raw(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Vec<u8> {
        build_request(method, target, &self.host, headers, body)
    }
}

/// The echo backend's description of the request it saw (the body of a relayed echo response).
pub fn echoed(r: &Response) -> serde_json::Value {
    assert_eq!(
        r.status,
        200,
        "expected the echo backend's 200, got {} {}",
        r.status,
        r.text()
    );
    let v = r.json();
    assert!(v.get("backend").is_some(), "not an echo body: {}", r.text());
    v
}
