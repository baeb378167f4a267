//! cargo-lambda's local Invoke API serving the fixture functions of `tests/fixtures/lambda`
//! (`echo`, `reply`, `fail`, `custom`, `sleep`, the authorizers `token_authorizer` and
//! `request_authorizer`; `Calc`, the developer guide's calculator, serves
//! `tests/py/test_devguide_samples.py`). Include with
//! `#[path = "support/lambda.rs"] mod lambda;`.
//!
//! `Emulator::start()` builds the fixtures once per process (into `target/lambda-fixtures`, which
//! `tests/run.sh` pre-builds), starts `cargo-lambda lambda watch` on a free loopback port in its
//! own process group, and waits until `echo` answers; dropping it kills the group (the emulator
//! and the function processes it started). cargo-lambda comes from PyPI into `.venv`
//! (`pip install --no-deps cargo-lambda`); without it a test fails saying so.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Emulator {
    pub port: u16,
    child: Child,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/lambda")
}

fn target_dir() -> PathBuf {
    root().join("target/lambda-fixtures")
}

fn cargo_lambda() -> PathBuf {
    let venv = root().join(".venv/bin/cargo-lambda");
    if venv.exists() {
        return venv;
    }
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("cargo-lambda"))
            .find(|c| c.exists())
    });
    on_path.unwrap_or_else(|| {
        panic!("cargo-lambda is not installed: run `.venv/bin/pip install --no-deps cargo-lambda` (tests/run.sh does)")
    })
}

/// Builds the fixture functions once per test process.
fn build_fixtures() {
    static BUILT: Mutex<bool> = Mutex::new(false);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if *built {
        return;
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet"])
        .current_dir(fixtures())
        .env("CARGO_TARGET_DIR", target_dir())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building tests/fixtures/lambda failed");
    *built = true;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Emulator {
    #[allow(dead_code)]
    pub fn start() -> Emulator {
        Emulator::start_with_env(&[])
    }

    /// `start`, with `env` set for the functions (cargo-lambda's `--env-var`).
    pub fn start_with_env(env: &[(&str, &str)]) -> Emulator {
        build_fixtures();
        let port = free_port();
        let log =
            std::fs::File::create(std::env::temp_dir().join(format!("cargo-lambda-{port}.log")))
                .expect("log file");
        let child = Command::new(cargo_lambda())
            .args([
                "lambda",
                "watch",
                "--ignore-changes",
                "-A",
                "127.0.0.1",
                "-P",
            ])
            .arg(port.to_string())
            .args(
                env.iter()
                    .flat_map(|(k, v)| ["--env-var".to_string(), format!("{k}={v}")]),
            )
            .current_dir(fixtures())
            .env("CARGO_TARGET_DIR", target_dir())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            // Its own process group, so Drop stops the function processes with it.
            .process_group(0)
            .spawn()
            .expect("cargo-lambda starts");
        let emulator = Emulator { port, child };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = emulator.try_invoke("echo", b"{}") {
                return emulator;
            }
            assert!(
                Instant::now() < deadline,
                "cargo-lambda did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT`, for `[aws.endpoints] lambda`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Invokes `name` with `payload` directly: (status, body).
    #[allow(dead_code)]
    pub fn invoke(&self, name: &str, payload: &[u8]) -> (u16, Vec<u8>) {
        self.try_invoke(name, payload).expect("invoke")
    }

    fn try_invoke(&self, name: &str, payload: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            s,
            "POST /2015-03-31/functions/{name}/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            payload.len()
        )?;
        s.write_all(payload)?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or(std::io::ErrorKind::InvalidData)?;
        let head = String::from_utf8_lossy(&raw[..end]).to_string();
        let status = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or(std::io::ErrorKind::InvalidData)?;
        Ok((status, raw[end + 4..].to_vec()))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        // SAFETY: `kill` with a negative pid signals the process group we created (`process_group(0)`
        // made the child its leader); it has no memory-safety preconditions.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

#[allow(dead_code)]
pub fn fixture_dir() -> &'static Path {
    Box::leak(fixtures().into_boxed_path())
}
