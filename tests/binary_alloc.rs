//! The binary and compression paths reuse per-core buffers and codec states: once warm, a MOCK
//! response that is base64-decoded (CONVERT_TO_BINARY) and then gzip-compressed, answered to a
//! request whose body came gzip-compressed, makes no heap allocation (counting allocator, a real
//! in-process worker, thousands of keep-alive requests). Each case runs once per driver.

use std::io::{Read, Write};
use std::net::TcpStream;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
#[path = "support/fixed_peers.rs"]
mod fixed_peers;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

/// A MOCK whose response template is base64 text, decoded by CONVERT_TO_BINARY, on an API that
/// compresses every response (`minimumCompressionSize` 0).
fn api_doc() -> String {
    let payload: Vec<u8> = (0..3000u32).map(|i| (i % 7) as u8 + b'a').collect();
    let mut b64 = Vec::new();
    tollgate::pipeline::content::binary::encode(&payload, &mut b64);
    let b64 = String::from_utf8(b64).unwrap();
    format!(
        r#"{{"openapi":"3.0.1","info":{{"title":"alloc-binary","version":"1"}},
        "x-amazon-apigateway-minimum-compression-size": 0,
        "paths":{{"/mock":{{"post":{{
          "responses":{{"200":{{"description":"ok"}}}},
          "x-amazon-apigateway-integration":{{"type":"mock",
            "requestTemplates":{{"application/json":"{{\"statusCode\": 200}}"}},
            "responses":{{"default":{{"statusCode":"200","contentHandling":"CONVERT_TO_BINARY",
              "responseTemplates":{{"application/json":"{b64}"}}}}}}}}}}}}}}}}"#
    )
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_driver(driver: tollgate::settings::DriverChoice) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let workers = fixed_peers::start_worker(driver, &[("allocbin01", &api_doc())]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"{"pet":"dog","n":[1,2,3]}"#).unwrap();
    let body = gz.finish().unwrap();
    let mut request = format!(
        "POST /prod/mock HTTP/1.1\r\nHost: gw.local\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nAccept-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);

    let mut client = TcpStream::connect(workers.listen).unwrap();
    client.set_nodelay(true).unwrap();
    client.write_all(&request).unwrap();
    let mut resp = [0u8; 8192];
    let (head, total) = fixed_peers::read_response(&mut client, &mut resp);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("\r\nContent-Encoding: gzip"), "{head}");
    let mut exchange = |n: usize| {
        for _ in 0..n {
            client.write_all(&request).unwrap();
            client.read_exact(&mut resp[..total]).unwrap();
        }
    };
    exchange(1_000);
    let before = counting_alloc::allocations();
    exchange(3_000);
    let after = counting_alloc::allocations();
    assert_eq!(
        after - before,
        0,
        "{driver:?}: {} heap allocations over 3000 requests",
        after - before
    );
}

#[test]
fn converted_and_compressed_responses_do_not_allocate_io_uring() {
    run_driver(tollgate::settings::DriverChoice::Uring);
}

#[test]
fn converted_and_compressed_responses_do_not_allocate_epoll() {
    run_driver(tollgate::settings::DriverChoice::Epoll);
}
