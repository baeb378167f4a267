//! Checks the test harness itself (client against the in-process upstreams, no gateway), so a
//! black-box failure can be blamed on the gateway and not on the harness.

mod common;
use common::*;

use std::time::Duration;

#[test]
fn client_and_upstreams_agree() {
    let be = Backends::start();
    let host = "x";
    let mut c = Conn::connect(be.echo.addr);
    let r = c
        .request("POST", "/echo?a=1", host, &[("X-A", "b")], b"hi")
        .unwrap();
    let e = echoed(&r);
    assert_eq!(
        (e["path"].as_str(), e["query"].as_str(), e["body"].as_str()),
        (Some("/echo"), Some("a=1"), Some("hi"))
    );
    assert_eq!(e["headers"]["x-a"], "b");
    c.send(&build_request(
        "PUT",
        "/c",
        host,
        &[("Transfer-Encoding", "chunked")],
        &chunked(&[b"ab", b"cd"]),
    ));
    assert_eq!(echoed(&c.read_response().unwrap())["body"], "abcd");
    c.send(&build_request("HEAD", "/h", host, &[], b""));
    assert_eq!(c.read_response_for("HEAD").unwrap().status, 200);
    assert_eq!(
        c.request("GET", "/status/404", host, &[], b"")
            .unwrap()
            .status,
        404
    );
    assert_eq!(be.echo.connections(), 1);
    assert_eq!(be.echo.requests(), 4);

    let mut c = Conn::connect(be.chunked.addr);
    c.send(&build_request("GET", "/", host, &[], b""));
    let (_, framing) = c.read_head().unwrap();
    assert!(c.wait_for_bytes(b"first", Duration::from_secs(2)));
    be.chunked.release();
    assert_eq!(c.read_body(framing).unwrap(), b"first\nsecond\nthird\n");

    for addr in [be.midbody.addr, be.midchunk.addr] {
        let mut c = Conn::connect(addr);
        assert!(
            c.request("GET", "/", host, &[], b"").is_err(),
            "truncated body must be an error"
        );
    }
    let mut c = Conn::connect(be.malformed.addr);
    assert!(c.request("GET", "/", host, &[], b"").is_err());
    let mut c = Conn::connect(be.reset.addr);
    assert!(c.request("GET", "/", host, &[], b"").is_err());
    assert!(Conn::try_connect(be.refused).is_err());
    let mut c = Conn::connect(be.teapot.addr);
    assert_eq!(c.request("GET", "/", host, &[], b"").unwrap().status, 418);
    let mut c = Conn::connect(be.slow.addr);
    let t = std::time::Instant::now();
    assert_eq!(
        c.request("GET", "/?ms=100", host, &[], b"").unwrap().status,
        200
    );
    assert!(t.elapsed() >= Duration::from_millis(100));

    let doc = be.render(&fixture("api-oas3.yaml"));
    assert!(
        doc.lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .all(|l| !l.contains('@')),
        "every placeholder rendered"
    );
    assert_eq!(
        parse_ready("ready listen=127.0.0.1:5 admin=127.0.0.1:6")
            .unwrap()
            .1
            .port(),
        6
    );
}
