//! A request that names no API while several are deployed is answered 403 and, at most once a
//! second per worker, logged with why (`pipeline/route/no_api.rs`). That path must allocate
//! nothing either: a counting global allocator watches a real worker (in this process) answer
//! thousands of such keep-alive requests, across a one-second boundary so the log line is written
//! inside the measured window. Runs once per driver.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
#[path = "support/fixed_peers.rs"]
mod fixed_peers;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

const MOCK_API: &str = r#"{"openapi":"3.0.1","info":{"title":"TITLE","version":"1"},
  "paths":{"/pets":{"get":{"x-amazon-apigateway-integration":{"type":"mock",
    "requestTemplates":{"application/json":"{\"statusCode\": 200}"},
    "responses":{"default":{"statusCode":"200"}}}}}}}"#;

/// The counter is process-wide: the two driver tests must not overlap.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_driver(driver: tollgate::settings::DriverChoice) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let docs: Vec<(&str, String)> = ["noapi00001", "noapi00002"]
        .into_iter()
        .map(|id| (id, MOCK_API.replace("TITLE", id)))
        .collect();
    let docs: Vec<(&str, &str)> = docs.iter().map(|(id, d)| (*id, d.as_str())).collect();
    let workers = fixed_peers::start_worker(driver, &docs);

    let mut client = TcpStream::connect(workers.listen).unwrap();
    client.set_nodelay(true).unwrap();
    // No execute-api Host, two APIs deployed: NoApi.
    let request = b"GET /prod/pets HTTP/1.1\r\nHost: gw.local\r\n\r\n";
    client.write_all(request).unwrap();
    let mut resp = [0u8; 4096];
    let (head, total) = fixed_peers::read_response(&mut client, &mut resp);
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    let mut exchange = |n: usize| {
        for _ in 0..n {
            client.write_all(request).unwrap();
            client.read_exact(&mut resp[..total]).unwrap();
        }
    };
    exchange(1_000);
    let before = counting_alloc::allocations();
    exchange(1_000);
    // Past the once-a-second limit: the next request writes a log line inside the window.
    std::thread::sleep(Duration::from_millis(1_100));
    exchange(1_000);
    let after = counting_alloc::allocations();
    assert_eq!(
        after - before,
        0,
        "{driver:?}: {} heap allocations over 2000 unrouted requests",
        after - before
    );
}

#[test]
fn unrouted_requests_and_their_log_do_not_allocate_io_uring() {
    run_driver(tollgate::settings::DriverChoice::Uring);
}

#[test]
fn unrouted_requests_and_their_log_do_not_allocate_epoll() {
    run_driver(tollgate::settings::DriverChoice::Epoll);
}
