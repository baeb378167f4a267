//! A request that names no API while several are deployed is answered 403 and, at most once a
//! second per worker, logged with why (`pipeline/route/no_api.rs`). That path must allocate
//! nothing either: a counting global allocator watches a real worker (in this process) answer
//! thousands of such keep-alive requests, across a one-second boundary so the log line is written
//! inside the measured window. Runs once per driver.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

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
    use tollgate::deploy::compile::{build_snapshot, compile_stage, UpstreamInterner};
    use tollgate::deploy::import::{import_document, ImportOptions};
    use tollgate::deploy::snapshot::ApiRuntime;

    let mut interner = UpstreamInterner::default();
    let mut apis = Vec::new();
    for id in ["noapi00001", "noapi00002"] {
        let doc = MOCK_API.replace("TITLE", id);
        let mut api = import_document(doc.as_bytes(), &ImportOptions::default()).unwrap();
        api.id = id.into();
        let stage = tollgate::deploy::model::Stage {
            stage_name: "prod".into(),
            deployment_id: "d1".into(),
            ..Default::default()
        };
        apis.push(ApiRuntime {
            id: api.id.clone().into(),
            name: api.name.clone().into(),
            stages: vec![compile_stage(&api, &stage, &mut interner).unwrap()],
        });
    }
    let cell = Arc::new(tollgate::deploy::publish::SnapshotCell::default());
    cell.publish(build_snapshot(apis, &interner));
    let mut settings = tollgate::settings::Settings::parse("", "test").unwrap();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.workers = 1;
    settings.driver = driver;
    let hub = Arc::new(tollgate::core::metrics::MetricsHub::default());
    let workers = tollgate::runtime::start(&settings, cell, hub).unwrap();

    let mut client = TcpStream::connect(workers.listen).unwrap();
    client.set_nodelay(true).unwrap();
    // No execute-api Host, two APIs deployed: NoApi.
    let request = b"GET /prod/pets HTTP/1.1\r\nHost: gw.local\r\n\r\n";
    client.write_all(request).unwrap();
    let mut resp = [0u8; 4096];
    let mut have = 0;
    let total = loop {
        have += client.read(&mut resp[have..]).unwrap();
        let text = &resp[..have];
        if let Some(end) = text.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&text[..end]).unwrap();
            assert!(head.starts_with("HTTP/1.1 403"), "{head}");
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            let total = end + 4 + len;
            if have >= total {
                break total;
            }
        }
    };
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
