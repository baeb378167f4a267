//! What an idle keep-alive connection costs in heap: a live-bytes counting allocator watches a real
//! worker (in this process) while many clients each make one proxied request and then stay
//! connected. Each idle connection must cost at most `IDLE_BUDGET` bytes (its buffers went back to
//! the core's pool). Runs once per driver.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

/// The issue's bound on the heap an idle keep-alive connection holds.
const IDLE_BUDGET: i64 = 4096;
const CONNECTIONS: usize = 1000;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
#[path = "support/fixed_peers.rs"]
mod fixed_peers;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

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
    let (head, _) = fixed_peers::read_response(c, &mut resp);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
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
    let port = fixed_peers::start_backend();
    let workers = fixed_peers::start_worker(driver, &[("memapi0001", &api_doc(port))]);

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
