//! Proves the steady-state request path allocates nothing: a counting global allocator watches a
//! real worker (in this process) answer thousands of keep-alive requests — to an HTTP_PROXY
//! route, to a MOCK route, and with a gateway error (403 Missing Authentication Token, rendered
//! through a customised DEFAULT_4XX gateway response: a header from the request, a template).
//!
//! The client and the backend here use only fixed buffers, so every allocation counted during the
//! measured window belongs to the gateway. Each case runs once per driver.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

const BACKEND_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"hello\":\"world\"}";

/// A keep-alive backend that answers every request with the same bytes, from fixed buffers.
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
                    // Answer each complete head (the test sends no bodies).
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
        r#"{{"openapi":"3.0.1","info":{{"title":"alloc","version":"1"}},
        "paths":{{"/items/{{id}}":{{"get":{{
          "parameters":[{{"name":"id","in":"path","required":true,"schema":{{"type":"string"}}}}],
          "x-amazon-apigateway-integration":{{"type":"http_proxy","httpMethod":"GET",
            "uri":"http://127.0.0.1:{port}/items/{{id}}",
            "requestParameters":{{"integration.request.path.id":"method.request.path.id"}}}}}}}},
        "/mock":{{"get":{{
          "responses":{{"200":{{"description":"ok"}}}},
          "x-amazon-apigateway-integration":{{"type":"mock",
            "requestTemplates":{{"application/json":"{{\"statusCode\": 200}}"}},
            "responses":{{"default":{{"statusCode":"200",
              "responseTemplates":{{"application/json":"{{\"mock\":true}}"}}}}}}}}}}}}}},
        "x-amazon-apigateway-gateway-responses":{{"DEFAULT_4XX":{{
          "responseParameters":{{"gatewayresponse.header.Access-Control-Allow-Origin":"'*'",
            "gatewayresponse.header.X-Agent":"method.request.header.User-Agent"}},
          "responseTemplates":{{"application/json":
            "{{\"message\":$context.error.messageString,\"type\":\"$context.error.responseType\"}}"}}}}}}}}"#
    )
}

/// The counter is process-wide: the two driver tests must not overlap.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Sends `request` over one keep-alive connection thousands of times; each answer must start
/// with `status`.
fn run_driver(driver: tollgate::settings::DriverChoice, request: &[u8], status: &str) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use tollgate::deploy::compile::{build_snapshot, compile_stage, UpstreamInterner};
    use tollgate::deploy::import::{import_document, ImportOptions};
    use tollgate::deploy::snapshot::ApiRuntime;

    let port = start_backend();
    let mut api = import_document(api_doc(port).as_bytes(), &ImportOptions::default()).unwrap();
    api.id = "allocapi01".into();
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

    let mut client = TcpStream::connect(workers.listen).unwrap();
    client.set_nodelay(true).unwrap();
    // The first response tells the (constant) response length: Date and request id are fixed width.
    client.write_all(request).unwrap();
    let mut resp = [0u8; 4096];
    let mut have = 0;
    let total = loop {
        have += client.read(&mut resp[have..]).unwrap();
        let text = &resp[..have];
        if let Some(end) = text.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&text[..end]).unwrap();
            assert!(head.starts_with(status), "{head}");
            if status.ends_with("403") {
                // Rendered through the customised DEFAULT_4XX, not a fixed default body.
                assert!(head.contains("\r\nX-Agent: alloc-test"), "{head}");
                assert!(head.contains("Access-Control-Allow-Origin: *"), "{head}");
            }
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
    exchange(2_000);
    let before = counting_alloc::allocations();
    if std::env::var_os("TOLLGATE_ALLOC_TRACE").is_some() {
        counting_alloc::trace(12);
    }
    exchange(5_000);
    let after = counting_alloc::allocations();
    assert_eq!(
        after - before,
        0,
        "{driver:?}: {} heap allocations over 5000 requests answered {status}",
        after - before
    );
}

const PROXIED: &[u8] =
    b"GET /prod/items/42?x=1 HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";
const MOCK: &[u8] = b"GET /prod/mock HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";
/// No such resource: 403 Missing Authentication Token, on a kept-alive connection.
const UNROUTED: &[u8] =
    b"GET /prod/nothing/here HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";

use tollgate::settings::DriverChoice::{Epoll, Uring};

#[test]
fn proxied_requests_do_not_allocate_io_uring() {
    run_driver(Uring, PROXIED, "HTTP/1.1 200");
}

#[test]
fn proxied_requests_do_not_allocate_epoll() {
    run_driver(Epoll, PROXIED, "HTTP/1.1 200");
}

#[test]
fn mock_requests_do_not_allocate_io_uring() {
    run_driver(Uring, MOCK, "HTTP/1.1 200");
}

#[test]
fn mock_requests_do_not_allocate_epoll() {
    run_driver(Epoll, MOCK, "HTTP/1.1 200");
}

#[test]
fn gateway_errors_do_not_allocate_io_uring() {
    run_driver(Uring, UNROUTED, "HTTP/1.1 403");
}

#[test]
fn gateway_errors_do_not_allocate_epoll() {
    run_driver(Epoll, UNROUTED, "HTTP/1.1 403");
}
