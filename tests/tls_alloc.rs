//! Heap allocations per request to an HTTPS backend on a reused (pooled) TLS connection, counted
//! by the counting global allocator while a real in-process worker answers thousands of
//! keep-alive requests. The backend is a separate process (Python's `ssl` + `http.server`), so
//! every allocation counted belongs to the gateway.
//!
//! The plain-HTTP path allocates nothing (`tests/alloc_free.rs`). Over TLS a request costs 2:
//! rustls queues each record it encrypts in its own `Vec` (the request: one record) and each
//! record's decrypted plaintext likewise (the response: one record here). Removing them needs
//! rustls's unbuffered API, which monoio-rustls does not use. This test pins the figure
//! (`MAX_PER_REQUEST`, one above it for a response split over two records) so it can only go
//! down, and prints the measured number. Each case runs once per driver.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
#[path = "support/fixed_peers.rs"]
mod fixed_peers;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

/// Measured 2.00 on both drivers on 2026-11-27 (rustls 0.23, monoio-rustls 0.4): see the module doc.
const MAX_PER_REQUEST: f64 = 3.0;

const SERVER: &str = r#"
import http.server, socket, ssl, sys
# One write per response (one TLS record) and no Nagle: no delayed-ACK stalls between requests.
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n"
            b'{"hello":"world"}')
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_GET(self):
        self.wfile.write(RESPONSE)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

struct Backend {
    child: Child,
    port: u16,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_backend(dir: &std::path::Path) -> Backend {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(SERVER)
        .arg(&cert_file)
        .arg(&key_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    let mut out = child.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0] as char);
    }
    let port = line.trim().parse().expect("the backend's port");
    Backend { child, port }
}

fn api_doc(port: u16) -> String {
    format!(
        r#"{{"openapi":"3.0.1","info":{{"title":"tls","version":"1"}},"paths":{{"/tls":{{"get":{{
          "x-amazon-apigateway-integration":{{"type":"http_proxy","httpMethod":"GET",
            "uri":"https://localhost:{port}/tls","tlsConfig":{{"insecureSkipVerification":true}}}}}}}}}}}}"#
    )
}

const REQUEST: &[u8] =
    b"GET /prod/tls HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";

fn run_driver(driver: tollgate::settings::DriverChoice) {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("tollgate-tls-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let backend = start_backend(&dir);
    let workers = fixed_peers::start_worker(driver, &[("tlsalloc01", &api_doc(backend.port))]);
    let mut client = TcpStream::connect(workers.listen).unwrap();
    client.set_nodelay(true).unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    let mut resp = [0u8; 4096];
    let total = loop {
        client.write_all(REQUEST).unwrap();
        let (head, total) = fixed_peers::read_response(&mut client, &mut resp);
        if head.starts_with("HTTP/1.1 200") {
            break total;
        }
        assert!(Instant::now() < until, "{head}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut exchange = |n: usize| {
        for _ in 0..n {
            client.write_all(REQUEST).unwrap();
            client.read_exact(&mut resp[..total]).unwrap();
            assert!(resp.starts_with(b"HTTP/1.1 200"));
        }
    };
    exchange(300);
    let n = 1_000;
    let before = counting_alloc::allocations();
    exchange(n);
    let per_request = (counting_alloc::allocations() - before) as f64 / n as f64;
    eprintln!(
        "{driver:?}: {per_request:.2} heap allocations per request on a pooled TLS connection"
    );
    assert!(
        per_request <= MAX_PER_REQUEST,
        "{driver:?}: {per_request:.2} allocations per request, over {MAX_PER_REQUEST}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tls_requests_allocate_a_bounded_few_io_uring() {
    run_driver(tollgate::settings::DriverChoice::Uring);
}

#[test]
fn tls_requests_allocate_a_bounded_few_epoll() {
    run_driver(tollgate::settings::DriverChoice::Epoll);
}
