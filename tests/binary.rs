//! Binary payloads and compression against the real binary: `binaryMediaTypes` with HTTP_PROXY
//! and HTTP integrations (bytes with NUL and high bytes unchanged), `contentHandling`
//! CONVERT_TO_TEXT / CONVERT_TO_BINARY on requests and responses, `minimumCompressionSize`
//! (gzip and deflate responses above the threshold, MOCK, HTTP and HTTP_PROXY, none below it or
//! when the client's first choice is unsupported), and compressed request bodies (decoded before the backend, 400 for a
//! corrupt stream, 413 when decoded past the body limit). Each test runs on both drivers.

mod common;
use common::backends::read_request;
use common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;

/// A backend that answers every request with its body, byte for byte: `Content-Type` from the
/// request's `x-reply-type` (else its `Content-Type`), and what it saw in `x-seen-encoding` and
/// `x-seen-length`.
fn mirror() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                while let Ok(Some(req)) = read_request(&mut s, &mut buf) {
                    let h = |n: &str| {
                        req.headers
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(n))
                            .map(|(_, v)| v.clone())
                    };
                    let ct = h("x-reply-type")
                        .or_else(|| h("content-type"))
                        .unwrap_or_else(|| "application/octet-stream".into());
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nx-seen-encoding: {}\r\nx-seen-length: {}\r\nContent-Length: {}\r\n\r\n",
                        h("content-encoding").unwrap_or_else(|| "none".into()),
                        req.body.len(),
                        req.body.len()
                    );
                    let mut out = head.into_bytes();
                    out.extend_from_slice(&req.body);
                    if s.write_all(&out).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr.to_string()
}

/// PNG-like bytes: the signature (with its CR LF and SUB), NUL and every high byte.
fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend(0u8..=255);
    b.extend([0, 0, 0xff, 0xfe]);
    b
}

fn b64(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    tollgate::pipeline::content::binary::encode(bytes, &mut out);
    String::from_utf8(out).unwrap()
}

fn http(
    backend: &str,
    handling: Option<&str>,
    reply: Option<&str>,
    resp_handling: Option<&str>,
) -> Value {
    let mut integ = json!({
        "type": "http", "httpMethod": "POST", "uri": format!("http://{backend}/m"),
        "passthroughBehavior": "when_no_match",
        "responses": {"default": {"statusCode": "200"}}
    });
    if let Some(h) = handling {
        integ["contentHandling"] = json!(h);
    }
    if let Some(r) = reply {
        integ["requestParameters"] =
            json!({"integration.request.header.x-reply-type": format!("'{r}'")});
    }
    if let Some(h) = resp_handling {
        integ["responses"]["default"]["contentHandling"] = json!(h);
    }
    json!({"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": integ})
}

fn mock(body: &str, resp_handling: Option<&str>) -> Value {
    let mut resp = json!({"statusCode": "200",
        "responseTemplates": {"application/json": body}});
    if let Some(h) = resp_handling {
        resp["contentHandling"] = json!(h);
    }
    json!({"responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "mock",
            "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "responses": {"default": resp}}})
}

/// CONVERT_TO_TEXT with a request template for the binary type: the template sees base64.
fn templated(backend: &str) -> Value {
    let mut m = http(backend, Some("CONVERT_TO_TEXT"), Some("text/plain"), None);
    m["x-amazon-apigateway-integration"]["requestTemplates"] =
        json!({"image/png": "{\"image\": \"$input.body\", \"size\": $input.body.length()}"});
    m
}

fn doc(backend: &str, compression: Option<u32>) -> String {
    let proxy = json!({"responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "http_proxy", "httpMethod": "POST",
            "uri": format!("http://{backend}/p")}});
    let mut d = json!({
        "openapi": "3.0.1",
        "info": {"title": "binary", "version": "1"},
        "x-amazon-apigateway-binary-media-types": ["image/png", "application/octet-*"],
        "paths": {
            "/proxy": {"post": proxy},
            "/http": {"post": http(backend, None, None, None)},
            "/totext": {"post": http(backend, Some("CONVERT_TO_TEXT"), Some("text/plain"), None)},
            "/tobinary": {"post": http(backend, Some("CONVERT_TO_BINARY"), Some("application/octet-stream"), None)},
            "/resptext": {"post": http(backend, None, Some("image/png"), Some("CONVERT_TO_TEXT"))},
            "/templated": {"post": templated(backend)},
            "/mockbinary": {"get": mock("aGVsbG8sIHdvcmxk", Some("CONVERT_TO_BINARY"))},
            "/big": {"get": mock(&format!("{{\"pad\":\"{}\"}}", "x".repeat(2000)), None)},
            "/small": {"get": mock("{\"ok\":true}", None)}
        }
    });
    if let Some(n) = compression {
        d["x-amazon-apigateway-minimum-compression-size"] = json!(n);
    }
    d.to_string()
}

fn start(driver: &'static str, compression: Option<u32>) -> (Gateway, String) {
    let backend = mirror();
    let gw = Gateway::start(Opts::new(driver));
    let api = gw.import(&doc(&backend, compression));
    gw.deploy(&api, "prod", &[]);
    (gw, api)
}

#[test]
fn binary_bodies_pass_unchanged_through_http_proxy_and_http() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, None);
        let png = png();
        for path in ["/prod/proxy", "/prod/http"] {
            let r = gw.call_h(
                &api,
                "POST",
                path,
                &[("Content-Type", "image/png"), ("Accept", "image/png")],
                &png,
            );
            assert_eq!(r.status, 200, "{path}: {}", r.text());
            assert_eq!(r.body, png, "{path}");
        }
        // HTTP_PROXY relays the backend's type; a non-proxy method response is
        // `application/json` unless `method.response.header.Content-Type` is mapped, as on AWS.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/proxy",
            &[("Content-Type", "image/png")],
            &png,
        );
        assert_eq!(r.header("content-type"), Some("image/png"));
        // HTTP: a binary payload to a client whose first Accept type is text is base64-encoded
        // (unset contentHandling, AWS's response table); HTTP_PROXY never converts.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/http",
            &[
                ("Content-Type", "image/png"),
                ("Accept", "application/json, image/png"),
            ],
            &png,
        );
        assert_eq!(r.text(), b64(&png));
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/proxy",
            &[
                ("Content-Type", "image/png"),
                ("Accept", "application/json"),
            ],
            &png,
        );
        assert_eq!(r.body, png);
        // A text payload to a binary Accept is base64-decoded.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/http",
            &[
                ("Content-Type", "text/plain"),
                ("Accept", "application/octet-stream"),
            ],
            b64(&png).as_bytes(),
        );
        assert_eq!(r.body, png);
    });
}

#[test]
fn content_handling_converts_requests_and_responses() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, None);
        let png = png();
        // CONVERT_TO_TEXT: the binary request reaches the backend as base64.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/totext",
            &[("Content-Type", "image/png"), ("Accept", "text/plain")],
            &png,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.text(), b64(&png));
        // CONVERT_TO_TEXT leaves a text payload as it is.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/totext",
            &[("Content-Type", "text/plain"), ("Accept", "text/plain")],
            b"plain words",
        );
        assert_eq!(r.text(), "plain words");
        // CONVERT_TO_BINARY: base64 text reaches the backend decoded.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/tobinary",
            &[
                ("Content-Type", "text/plain"),
                ("Accept", "application/octet-stream"),
            ],
            b64(&png).as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.body, png);
        // ... and text that is not base64 fails the transformation: 500, the backend not called.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/tobinary",
            &[("Content-Type", "text/plain")],
            b"not base64!",
        );
        assert_eq!(r.status, 500, "{}", r.text());
        assert_eq!(message(&r), "Internal server error");
        // Integration response CONVERT_TO_TEXT: binary out as base64, whatever the Accept.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/resptext",
            &[("Content-Type", "image/png"), ("Accept", "image/png")],
            &png,
        );
        assert_eq!(r.text(), b64(&png));
        // Integration response CONVERT_TO_BINARY on a MOCK's template output.
        let r = gw.call_h(&api, "GET", "/prod/mockbinary", &[], b"");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.text(), "hello, world");
    });
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("gzip body");
    out
}

fn inflate(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(b)
        .read_to_end(&mut out)
        .expect("deflate body");
    out
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    w.write_all(b).unwrap();
    w.finish().unwrap()
}

#[test]
fn responses_at_or_over_the_minimum_size_are_compressed() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, Some(1000));
        let plain = gw.call_h(&api, "GET", "/prod/big", &[], b"");
        assert_eq!(plain.status, 200);
        assert_eq!(plain.header("content-encoding"), None);
        let big = plain.body.clone();
        assert!(big.len() > 2000);

        let r = gw.call_h(
            &api,
            "GET",
            "/prod/big",
            &[("Accept-Encoding", "gzip, deflate")],
            b"",
        );
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
        assert!(r.body.len() < big.len());
        assert_eq!(gunzip(&r.body), big);

        let r = gw.call_h(
            &api,
            "GET",
            "/prod/big",
            &[("Accept-Encoding", "deflate;q=1, gzip;q=0.5")],
            b"",
        );
        assert_eq!(r.header("content-encoding"), Some("deflate"));
        assert_eq!(inflate(&r.body), big);

        // The client's first choice is one API Gateway does not support: not compressed.
        let r = gw.call_h(
            &api,
            "GET",
            "/prod/big",
            &[("Accept-Encoding", "br, gzip;q=0.8")],
            b"",
        );
        assert_eq!(r.header("content-encoding"), None);
        assert_eq!(r.body, big);
        let r = gw.call_h(
            &api,
            "GET",
            "/prod/big",
            &[("Accept-Encoding", "identity")],
            b"",
        );
        assert_eq!(r.header("content-encoding"), None);

        // Under the threshold: as it is.
        let r = gw.call_h(
            &api,
            "GET",
            "/prod/small",
            &[("Accept-Encoding", "gzip")],
            b"",
        );
        assert_eq!(r.header("content-encoding"), None);
        assert_eq!(r.text(), "{\"ok\":true}");

        // HTTP_PROXY: a backend body of known length is compressed too; a small one is not.
        let text = b"{\"k\":\"value\"}".repeat(100);
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/proxy",
            &[
                ("Content-Type", "application/json"),
                ("Accept-Encoding", "gzip"),
            ],
            &text,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(
            r.header("x-seen-length"),
            Some(text.len().to_string().as_str())
        );
        assert_eq!(gunzip(&r.body), text);
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/proxy",
            &[
                ("Content-Type", "application/json"),
                ("Accept-Encoding", "gzip"),
            ],
            b"{}",
        );
        assert_eq!(r.header("content-encoding"), None);
        assert_eq!(r.body, b"{}");

        // Binary conversion first, then compression.
        let png = png().repeat(8);
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/http",
            &[
                ("Content-Type", "image/png"),
                ("Accept", "image/png"),
                ("Accept-Encoding", "gzip"),
            ],
            &png,
        );
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(gunzip(&r.body), png);
    });
}

#[test]
fn compression_disabled_leaves_responses_and_request_bodies_alone() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, None);
        let r = gw.call_h(
            &api,
            "GET",
            "/prod/big",
            &[("Accept-Encoding", "gzip")],
            b"",
        );
        assert_eq!(r.header("content-encoding"), None);
        let body = gzip(b"{\"a\":1}");
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/proxy",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            &body,
        );
        assert_eq!(r.header("x-seen-encoding"), Some("gzip"));
        assert_eq!(r.body, body);
    });
}

#[test]
fn compressed_request_bodies_are_decoded_before_the_backend() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, Some(0));
        let json_body = br#"{"pet":"dog","names":["a","b"]}"#.repeat(20);
        let body = gzip(&json_body);
        for path in ["/prod/proxy", "/prod/http"] {
            let r = gw.call_h(
                &api,
                "POST",
                path,
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", "gzip"),
                ],
                &body,
            );
            assert_eq!(r.status, 200, "{path}: {}", r.text());
            if path == "/prod/proxy" {
                assert_eq!(r.header("x-seen-encoding"), Some("none"), "{path}");
                assert_eq!(
                    r.header("x-seen-length"),
                    Some(json_body.len().to_string().as_str())
                );
            }
            assert_eq!(r.body, json_body, "{path}");
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&json_body).unwrap();
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/proxy",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "deflate"),
            ],
            &z.finish().unwrap(),
        );
        assert_eq!(r.body, json_body);

        // A corrupt stream: 400, before the backend.
        let mut bad = body.clone();
        let n = bad.len();
        bad[n / 2] ^= 0x55;
        bad[n - 5] ^= 0x55;
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/proxy",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            &bad,
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(message(&r), "Bad Request");
        // Decoded past the gateway's body limit (10 MB by default): 413.
        let bomb = gzip(&vec![0u8; 11 << 20]);
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/proxy",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Content-Encoding", "gzip"),
            ],
            &bomb,
        );
        assert_eq!(r.status, 413, "{}", r.text());
    });
}

#[test]
fn a_request_template_sees_a_binary_payload_as_base64_with_convert_to_text() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, None);
        let png = png();
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/templated",
            &[("Content-Type", "image/png"), ("Accept", "text/plain")],
            &png,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let encoded = b64(&png);
        assert_eq!(
            r.json(),
            json!({"image": encoded, "size": encoded.len()}),
            "{}",
            r.text()
        );
    });
}
