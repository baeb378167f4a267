//! What an idle keep-alive connection costs in heap: a live-bytes counting allocator watches a real
//! worker (in this process) while many clients each make one proxied request and then stay
//! connected. Each idle connection must cost at most `IDLE_BUDGET` bytes (its buffers went back to
//! the core's pool). Runs once per driver.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// The issue's bound on the heap an idle keep-alive connection holds.
const IDLE_BUDGET: i64 = 4096;
const CONNECTIONS: usize = 1000;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

const BACKEND_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"hello\":\"world\"}";

/// A keep-alive backend answering every request head with the same bytes.
fn start_backend() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                let mut have = 0;
                loop {
                    let n = match s.read(&mut buf[have..]) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    have += n;
                    while let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                        if s.write_all(BACKEND_RESPONSE).is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..have, 0);
                        have -= end + 4;
                    }
                }
            });
        }
    });
    port
}

fn api_doc(port: u16) -> String {
    format!(
        r#"{{"openapi":"3.0.1","info":{{"title":"mem","version":"1"}},
        "paths":{{"/items":{{"get":{{
          "x-amazon-apigateway-integration":{{"type":"http_proxy","httpMethod":"GET",
            "uri":"http://127.0.0.1:{port}/items"}}}}}}}}}}"#
    )
}

/// One request on `c`, reading the whole (Content-Length framed) response.
fn one_request(c: &mut TcpStream) {
    request_with(c, "")
}

/// One request carrying `extra` header lines.
fn request_with(c: &mut TcpStream, extra: &str) {
    let req = format!(
        "GET /prod/items HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: mem-test\r\n{extra}\r\n"
    );
    c.write_all(req.as_bytes()).unwrap();
    let mut resp = [0u8; 2048];
    let mut have = 0;
    loop {
        let n = c.read(&mut resp[have..]).unwrap();
        assert!(n > 0, "gateway closed");
        have += n;
        let text = &resp[..have];
        if let Some(end) = text.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&text[..end]).unwrap();
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            if have >= end + 4 + len {
                return;
            }
        }
    }
}

/// Live heap bytes once background work settled (the median of a few samples).
fn live_settled() -> i64 {
    std::thread::sleep(Duration::from_millis(300));
    let mut samples: Vec<i64> = (0..5)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(20));
            counting_alloc::live_bytes()
        })
        .collect();
    samples.sort();
    samples[2]
}

/// The counter is process-wide: the two driver tests must not overlap.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_driver(driver: tollgate::settings::DriverChoice) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use tollgate::deploy::compile::{build_snapshot, compile_stage, UpstreamInterner};
    use tollgate::deploy::import::{import_document, ImportOptions};
    use tollgate::deploy::snapshot::ApiRuntime;

    let port = start_backend();
    let mut api = import_document(api_doc(port).as_bytes(), &ImportOptions::default()).unwrap();
    api.id = "memapi0001".into();
    let stage = tollgate::deploy::model::Stage {
        stage_name: "prod".into(),
        deployment_id: "d1".into(),
        ..Default::default()
    };
    let mut interner = UpstreamInterner::default();
    let compiled = compile_stage(&api, &stage, &mut interner).unwrap();
    let snap = build_snapshot(
        vec![ApiRuntime {
            id: api.id.clone().into(),
            name: api.name.clone().into(),
            stages: vec![compiled],
        }],
        &interner,
    );
    let cell = Arc::new(tollgate::deploy::publish::SnapshotCell::default());
    cell.publish(snap);
    let mut settings = tollgate::settings::Settings::parse("", "test").unwrap();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.workers = 1;
    settings.driver = driver;
    let hub = Arc::new(tollgate::core::metrics::MetricsHub::default());
    let workers = tollgate::runtime::start(&settings, cell, hub).unwrap();

    // Warm up: the worker's one-time state (pools, tables, the first buffers) is not per
    // connection. A first wave of connections sizes the runtime's op and timer tables as well.
    let mut warm: Vec<TcpStream> = (0..CONNECTIONS)
        .map(|_| TcpStream::connect(workers.listen).unwrap())
        .collect();
    for c in &mut warm {
        one_request(c);
    }
    drop(warm);
    let before = live_settled();
    let mut idle = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let mut c = TcpStream::connect(workers.listen).unwrap();
        one_request(&mut c);
        idle.push(c);
    }
    let after = live_settled();
    let per_connection = (after - before) / CONNECTIONS as i64;
    eprintln!(
        "{driver:?}: {per_connection} heap bytes per idle keep-alive connection \
         ({CONNECTIONS} connections, {} bytes in all)",
        after - before
    );
    assert!(
        per_connection <= IDLE_BUDGET,
        "{driver:?}: an idle keep-alive connection holds {per_connection} heap bytes \
         (budget {IDLE_BUDGET})"
    );
    // An idle connection first reads into a small buffer: a longer head continues in the
    // working set, on the same connection, request after request.
    let c = &mut idle[0];
    let long = format!("X-Long: {}\r\n", "v".repeat(3000));
    for _ in 0..3 {
        request_with(c, &long);
        one_request(c);
    }
    drop(idle);
}

#[test]
fn an_idle_keep_alive_connection_costs_at_most_4_kib_of_heap_io_uring() {
    run_driver(tollgate::settings::DriverChoice::Uring);
}

#[test]
fn an_idle_keep_alive_connection_costs_at_most_4_kib_of_heap_epoll() {
    run_driver(tollgate::settings::DriverChoice::Epoll);
}
