//! A stage with a canary taking half its traffic answers without allocating: the variant is
//! picked by a draw from the worker thread's own generator, the canary's metrics series is
//! resolved like any other, and `$context.isCanaryRequest` and the overridden stage variable
//! render in place. Measured with a counting global allocator over 5,000 keep-alive requests to a
//! MOCK method, once per driver.

use std::io::{Read, Write};
use std::net::TcpStream;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
#[path = "support/fixed_peers.rs"]
mod fixed_peers;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

const DOC: &str = r##"{"openapi":"3.0.1","info":{"title":"canaryalloc","version":"1"},
  "paths":{"/who":{"get":{
    "responses":{"200":{"description":"ok"}},
    "x-amazon-apigateway-integration":{"type":"mock",
      "requestTemplates":{"application/json":"{\"statusCode\": 200}"},
      "passthroughBehavior":"when_no_match",
      "responses":{"default":{"statusCode":"200","responseTemplates":{"application/json":
        "{\"canary\":\"$context.isCanaryRequest\",\"color\":\"$stageVariables.color\"}"}}}}}}}}"##;

const REQUEST: &[u8] =
    b"GET /prod/who HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";

/// The counter is process-wide: the two driver tests must not overlap.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_driver(driver: tollgate::settings::DriverChoice) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut stage = tollgate::deploy::model::Stage {
        stage_name: "prod".into(),
        deployment_id: "d1".into(),
        variables: [("color".to_string(), "blue".to_string())].into(),
        ..Default::default()
    };
    stage.extra.insert(
        "canarySettings".into(),
        serde_json::json!({"percentTraffic": 50.0,
                           "stageVariableOverrides": {"color": "pinkk"}}),
    );
    let workers =
        fixed_peers::start_worker_staged(driver, &[("canaryapi1", DOC)], "", &stage, &|_| {});
    let mut client = TcpStream::connect(workers.listen).unwrap();
    client.set_nodelay(true).unwrap();
    // Both answers have one length ("true"+"pinkk", "false"+"blue"), so after the first the
    // client reads a fixed count of bytes and allocates nothing itself.
    client.write_all(REQUEST).unwrap();
    let mut resp = [0u8; 4096];
    let (head, total) = fixed_peers::read_response(&mut client, &mut resp);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut seen = [0usize; 2];
    let mut exchange = |n: usize, seen: &mut [usize; 2]| {
        for _ in 0..n {
            client.write_all(REQUEST).unwrap();
            client.read_exact(&mut resp[..total]).unwrap();
            assert!(resp.starts_with(b"HTTP/1.1 200"));
            let canary = resp[..total].windows(5).any(|w| w == b"pinkk");
            seen[usize::from(canary)] += 1;
        }
    };
    exchange(2_000, &mut seen);
    let before = counting_alloc::allocations();
    if std::env::var_os("TOLLGATE_ALLOC_TRACE").is_some() {
        counting_alloc::trace(4);
    }
    exchange(5_000, &mut seen);
    let after = counting_alloc::allocations();
    assert!(seen[0] > 2_000 && seen[1] > 2_000, "split {seen:?}");
    assert_eq!(
        after - before,
        0,
        "{driver:?}: {} heap allocations over 5000 requests to a stage with a canary",
        after - before
    );
}

#[test]
fn canary_requests_do_not_allocate_io_uring() {
    run_driver(tollgate::settings::DriverChoice::Uring);
}

#[test]
fn canary_requests_do_not_allocate_epoll() {
    run_driver(tollgate::settings::DriverChoice::Epoll);
}
