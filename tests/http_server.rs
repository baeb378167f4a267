//! The HTTP/1.1 server as a client sees it: keep-alive, pipelining, chunked bodies both ways,
//! `Expect: 100-continue`, HEAD, every limit, every request-smuggling shape, and the header and
//! idle timeouts. Each test runs on io_uring and on epoll.

mod common;
use common::*;

use std::io::Write;
use std::time::{Duration, Instant};

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut c = env.conn();
        let mut ids = Vec::new();
        for i in 0..6 {
            let target = if i % 2 == 0 {
                "/prod/mock".to_string()
            } else {
                format!("/prod/echo?i={i}")
            };
            let r = c
                .request("GET", &target, &env.host, &[], b"")
                .expect("keep-alive request");
            assert_eq!(r.status, 200, "{target}: {}", r.text());
            assert!(!r.closes(), "server asked to close a keep-alive connection");
            ids.push(
                r.header("x-amzn-RequestId")
                    .expect("x-amzn-RequestId")
                    .to_string(),
            );
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 6, "request ids must be unique");
    });
}

#[test]
fn upstream_connections_are_pooled() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver).workers(1));
        for _ in 0..2 {
            let mut c = env.conn();
            for _ in 0..5 {
                let r = c.request("GET", "/prod/echo", &env.host, &[], b"").unwrap();
                echoed(&r);
            }
        }
        assert_eq!(env.be.echo.requests(), 10);
        assert_eq!(
            env.be.echo.connections(),
            1,
            "10 sequential requests on one worker should reuse one pooled upstream connection"
        );
    });
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut c = env.conn();
        let mut batch = env.raw("GET", "/prod/echo?n=1", &[], b"");
        batch.extend(env.raw("GET", "/prod/mock", &[], b""));
        batch.extend(env.raw("POST", "/prod/echo?n=3", &[], b"third"));
        c.send(&batch);
        let r1 = c.read_response().unwrap();
        assert_eq!(echoed(&r1)["query"], "n=1");
        let r2 = c.read_response().unwrap();
        assert_eq!(r2.status, 200);
        assert_eq!(r2.json()["mock"], "ok");
        let r3 = c.read_response().unwrap();
        let e3 = echoed(&r3);
        assert_eq!(e3["query"], "n=3");
        assert_eq!(e3["method"], "POST");
        assert_eq!(e3["body"], "third");
        // And the connection is still good.
        let r4 = c.request("GET", "/prod/mock", &env.host, &[], b"").unwrap();
        assert_eq!(r4.status, 200);
    });
}

#[test]
fn chunked_request_body_is_relayed() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut c = env.conn();
        let body = chunked(&[b"hello ", b"chunked ", b"world"]);
        let raw = env.raw(
            "POST",
            "/prod/echo",
            &[("Transfer-Encoding", "chunked")],
            &body,
        );
        c.send(&raw);
        let e = echoed(&c.read_response().unwrap());
        assert_eq!(e["body"], "hello chunked world");
        // A chunked body with extensions and trailers, then a second request on the connection.
        let body = b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n";
        c.send(&env.raw(
            "PUT",
            "/prod/echo",
            &[("Transfer-Encoding", "chunked")],
            body,
        ));
        let e = echoed(&c.read_response().unwrap());
        assert_eq!(e["body"], "hello");
        assert_eq!(e["method"], "PUT");
        // Through the HTTP (non-proxy) integration too.
        c.send(&env.raw(
            "POST",
            "/prod/mapped/1",
            &[("Transfer-Encoding", "chunked")],
            &chunked(&[b"{\"a\":", b"1}"]),
        ));
        let e = echoed(&c.read_response().unwrap());
        assert_eq!(e["body"], "{\"a\":1}");
    });
}

#[test]
fn large_chunked_body_is_relayed_whole() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let part = vec![b'z'; 64 * 1024];
        let parts: Vec<&[u8]> = (0..16).map(|_| part.as_slice()).collect();
        let mut c = env.conn();
        c.send(&env.raw(
            "POST",
            "/prod/echo",
            &[("Transfer-Encoding", "chunked")],
            &chunked(&parts),
        ));
        let e = echoed(&c.read_response().unwrap());
        assert_eq!(e["body"].as_str().unwrap().len(), 16 * 64 * 1024);
    });
}

#[test]
fn chunked_backend_response_is_streamed() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut c = env.conn();
        c.send(&env.raw("GET", "/prod/chunked", &[], b""));
        let (head, framing) = c
            .read_head()
            .expect("response head before the backend finished");
        assert_eq!(head.status, 200);
        // The backend holds the rest back until we have seen the first part: a gateway that
        // buffers whole responses fails here.
        assert!(
            c.wait_for_bytes(b"first", Duration::from_secs(3)),
            "first chunk not relayed while the backend was still sending (buffered?)"
        );
        env.be.chunked.release();
        let body = c.read_body(framing).expect("complete body");
        assert_eq!(String::from_utf8_lossy(&body), "first\nsecond\nthird\n");
        let r = c.request("GET", "/prod/mock", &env.host, &[], b"").unwrap();
        assert_eq!(
            r.status, 200,
            "connection unusable after a streamed response"
        );
    });
}

#[test]
fn expect_100_continue() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut c = env.conn();
        c.send(&env.raw(
            "POST",
            "/prod/echo",
            &[("Expect", "100-continue"), ("Content-Length", "5")],
            b"",
        ));
        let r = c.read_response().expect("interim response");
        assert_eq!(
            r.status, 100,
            "expected 100 Continue before the body was sent"
        );
        c.send(b"hello");
        let e = echoed(&c.read_response().unwrap());
        assert_eq!(e["body"], "hello");

        // Over the body limit: the final status comes at once, without a 100.
        let mut c = env.conn();
        c.send(&env.raw(
            "POST",
            "/prod/echo",
            &[("Expect", "100-continue"), ("Content-Length", "10485761")],
            b"",
        ));
        let r = c.read_response().unwrap();
        assert_eq!(r.status, 413, "{}", r.text());
    });
}

#[test]
fn head_requests_get_no_body() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut c = env.conn();
        // API Gateway has no implicit HEAD for GET: a resource answers HEAD only through a HEAD
        // or ANY method (`/echo` is ANY); elsewhere HEAD is an unknown method (403, no body).
        for (target, status) in [("/prod/mock", 403), ("/prod/echo", 200)] {
            c.send(&env.raw("HEAD", target, &[], b""));
            let r = c.read_response_for("HEAD").unwrap();
            assert_eq!(r.status, status, "HEAD {target}");
            // If a body had been sent, the next response would not parse.
            let r = c.request("GET", "/prod/mock", &env.host, &[], b"").unwrap();
            assert_eq!(r.status, 200);
            assert_eq!(
                r.json()["mock"],
                "ok",
                "HEAD {target} leaked a body onto the connection"
            );
        }
        assert!(c.pending().is_empty());
    });
}

fn tight_limits() -> Config {
    Config {
        max_url_bytes: 512,
        max_header_bytes: 2048,
        max_headers: 20,
        max_body_bytes: 1024,
        ..Config::default()
    }
}

#[test]
fn configured_limits_are_enforced() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver).config(tight_limits()));
        // URL
        let ok_url = format!("/prod/echo?pad={}", "a".repeat(400));
        assert_eq!(env.get(&ok_url).status, 200);
        let long_url = format!("/prod/echo?pad={}", "a".repeat(600));
        let r = env.get(&long_url);
        assert_eq!(r.status, 414, "URL over max_url_bytes: {}", r.text());
        // Header block size
        let big = "b".repeat(2100);
        let r = env.call("GET", "/prod/echo", &[("X-Big", &big)], b"");
        assert_eq!(
            r.status,
            431,
            "header block over max_header_bytes: {}",
            r.text()
        );
        // Header count
        let names: Vec<String> = (0..25).map(|i| format!("X-H{i}")).collect();
        let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        let r = env.call("GET", "/prod/echo", &many, b"");
        assert_eq!(r.status, 431, "more than max_headers: {}", r.text());
        let r = env.call("GET", "/prod/echo", &many[..15], b"");
        assert_eq!(r.status, 200, "15 headers is under the limit");
        // Body, Content-Length
        assert_eq!(
            env.call("POST", "/prod/echo", &[], &[b'x'; 1000]).status,
            200
        );
        let r = env.call("POST", "/prod/echo", &[], &[b'x'; 2000]);
        assert_eq!(r.status, 413, "{}", r.text());
        assert_eq!(message(&r), "Request Too Long");
        // Body, chunked
        let part = [b'y'; 512];
        let mut c = env.conn();
        c.send(&env.raw(
            "POST",
            "/prod/echo",
            &[("Transfer-Encoding", "chunked")],
            &chunked(&[&part, &part, &part]),
        ));
        let r = c.read_response().unwrap();
        assert_eq!(
            r.status,
            413,
            "chunked body over max_body_bytes: {}",
            r.text()
        );
        assert_eq!(message(&r), "Request Too Long");
        assert!(r.header("x-amzn-RequestId").is_some());
    });
}

#[test]
fn default_limits_are_aws_sized() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        // Just under 10 KiB of URL and 90 headers are fine.
        let url = format!("/prod/echo?pad={}", "a".repeat(9000));
        assert_eq!(env.get(&url).status, 200);
        let names: Vec<String> = (0..90).map(|i| format!("X-H{i}")).collect();
        let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        assert_eq!(env.call("GET", "/prod/echo", &many, b"").status, 200);
        // Over: 11 KiB URL -> 414 (or 431: the URL alone also overflows the head).
        let url = format!("/prod/echo?pad={}", "a".repeat(11 * 1024));
        let st = env.get(&url).status;
        assert!(st == 414 || st == 431, "11 KiB URL: {st}");
        // 12 KiB of headers -> 431.
        let big = "b".repeat(12 * 1024);
        assert_eq!(
            env.call("GET", "/prod/echo", &[("X-Big", &big)], b"")
                .status,
            431
        );
        // 101 headers -> 431.
        let names: Vec<String> = (0..101).map(|i| format!("X-H{i}")).collect();
        let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        assert_eq!(env.call("GET", "/prod/echo", &many, b"").status, 431);
        // 10 MiB + 1 byte -> 413, answered without waiting for the whole body.
        let mut c = env.conn();
        c.send(&env.raw("POST", "/prod/echo", &[("Content-Length", "10485761")], b""));
        let mut writer = c.stream.try_clone().unwrap();
        std::thread::spawn(move || {
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..161 {
                if writer.write_all(&chunk).is_err() {
                    break;
                }
            }
        });
        let r = c.read_response().expect("413 response");
        assert_eq!(r.status, 413);
        assert_eq!(message(&r), "Request Too Long");
    });
}

/// Each case: a name and the raw bytes; every one must get 400 and a closed connection.
fn smuggling_cases(host: &str) -> Vec<(&'static str, Vec<u8>)> {
    let post = |headers: &str, body: &str| {
        format!("POST /prod/echo HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n{body}").into_bytes()
    };
    let get = |headers: &str| {
        format!("GET /prod/echo HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n").into_bytes()
    };
    let te = "Transfer-Encoding: chunked\r\n";
    vec![
        (
            "CL and TE",
            post(
                "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                "0\r\n\r\n",
            ),
        ),
        (
            "TE and CL",
            post(
                "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                "0\r\n\r\n",
            ),
        ),
        (
            "duplicate CL, same value",
            post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"),
        ),
        (
            "duplicate CL, different values",
            post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"),
        ),
        ("CL list", post("Content-Length: 5, 5\r\n", "hello")),
        ("CL not a number", post("Content-Length: abc\r\n", "hello")),
        ("CL negative", post("Content-Length: -5\r\n", "hello")),
        ("CL with plus sign", post("Content-Length: +5\r\n", "hello")),
        ("CL hex", post("Content-Length: 0x5\r\n", "hello")),
        (
            "CL overflows u64",
            post("Content-Length: 184467440737095516160\r\n", "hello"),
        ),
        (
            "CL with inner space",
            post("Content-Length: 1 2\r\n", "hello"),
        ),
        ("TE gzip only", post("Transfer-Encoding: gzip\r\n", "hello")),
        (
            "TE chunked, gzip",
            post(
                "Transfer-Encoding: chunked, gzip\r\n",
                "5\r\nhello\r\n0\r\n\r\n",
            ),
        ),
        (
            "TE unknown coding",
            post("Transfer-Encoding: xchunked\r\n", "5\r\nhello\r\n0\r\n\r\n"),
        ),
        ("chunk size not hex", post(te, "zz\r\nhello\r\n0\r\n\r\n")),
        ("chunk size negative", post(te, "-5\r\nhello\r\n0\r\n\r\n")),
        (
            "chunk size overflows",
            post(te, "fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
        ),
        ("chunk size empty", post(te, "\r\nhello\r\n0\r\n\r\n")),
        (
            "chunk data longer than its size",
            post(te, "3\r\nhello\r\n0\r\n\r\n"),
        ),
        ("obs-fold", get("X-Folded: a\r\n  b\r\n")),
        ("bare LF ends a header line", get("X-A: b\nX-B: c\r\n")),
        (
            "bare LF ends the request line",
            format!("GET /prod/echo HTTP/1.1\nHost: {host}\r\n\r\n").into_bytes(),
        ),
        ("bare CR in the head", get("X-A: b\rX-B: c\r\n")),
        ("NUL in a header value", get("X-A: a\0b\r\n")),
        ("CR in a header value", get("X-A: a\rb\r\n")),
        ("whitespace before a colon", get("X-A : b\r\n")),
        (
            "whitespace before the CL colon",
            post("Content-Length : 5\r\n", "hello"),
        ),
        (
            "tab before the TE colon",
            post("Transfer-Encoding\t: chunked\r\n", "0\r\n\r\n"),
        ),
        ("two Host headers", get("Host: other.example\r\n")),
    ]
}

#[test]
fn smuggling_shapes_get_400_and_a_closed_connection() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut failures = Vec::new();
        for (name, raw) in smuggling_cases(&env.host) {
            let mut c = env.conn();
            c.send(&raw);
            match c.read_response() {
                Ok(r) if r.status == 400 => {
                    if !r.body.is_empty()
                        && serde_json::from_slice::<serde_json::Value>(&r.body).is_err()
                    {
                        failures.push(format!("{name}: 400 body is not JSON: {:?}", r.text()));
                    }
                    if !c.closed_within(Duration::from_secs(3)) {
                        failures.push(format!("{name}: connection left open after 400"));
                    }
                }
                Ok(r) => failures.push(format!("{name}: status {} {:?}", r.status, r.text())),
                Err(e) => failures.push(format!("{name}: no response ({e})")),
            }
        }
        assert!(
            failures.is_empty(),
            "smuggling cases not rejected:\n  {}",
            failures.join("\n  ")
        );
        // None of them may reach the backend as a complete request: whatever the gateway forwarded
        // before noticing (a streamed body) must end in an aborted upstream request.
        assert_eq!(
            env.be.echo.requests(),
            0,
            "a rejected request reached the backend"
        );
    });
}

fn timeouts() -> Config {
    Config {
        header_ms: 600,
        idle_ms: 600,
        ..Config::default()
    }
}

#[test]
fn slowloris_is_closed_at_the_header_timeout() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver).config(timeouts()));
        let mut c = env.conn();
        let start = Instant::now();
        c.send(format!("GET /prod/mock HTTP/1.1\r\nHost: {}\r\n", env.host).as_bytes());
        c.set_read_timeout(Duration::from_millis(100));
        let mut closed_at = None;
        let mut i = 0;
        while start.elapsed() < Duration::from_secs(5) {
            // One more header line every 100 ms: always progress, never a complete head.
            if c.try_send(format!("X-Slow-{i}: y\r\n").as_bytes()).is_err() {
                closed_at = Some(start.elapsed());
                break;
            }
            i += 1;
            let mut b = [0u8; 1024];
            match std::io::Read::read(&mut c.stream, &mut b) {
                Ok(0) => {
                    closed_at = Some(start.elapsed());
                    break;
                }
                Ok(_) => {} // e.g. a 408; keep going until the close
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => {
                    closed_at = Some(start.elapsed());
                    break;
                }
            }
        }
        let t = closed_at.expect("slowloris connection never closed");
        assert!(
            t >= Duration::from_millis(400),
            "closed too early ({t:?}) for header_ms = 600"
        );
        assert!(
            t <= Duration::from_millis(2500),
            "closed late ({t:?}) for header_ms = 600"
        );
    });
}

#[test]
fn idle_keep_alive_connection_is_closed() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver).config(timeouts()));
        let mut c = env.conn();
        let r = c.request("GET", "/prod/mock", &env.host, &[], b"").unwrap();
        assert_eq!(r.status, 200);
        let start = Instant::now();
        assert!(
            c.closed_within(Duration::from_secs(3)),
            "idle connection not closed within 3 s"
        );
        let t = start.elapsed();
        assert!(
            t >= Duration::from_millis(400),
            "idle connection closed too early ({t:?})"
        );
    });
}

#[test]
fn connection_close_is_honoured() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut c = env.conn();
        let r = c
            .request(
                "GET",
                "/prod/mock",
                &env.host,
                &[("Connection", "close")],
                b"",
            )
            .unwrap();
        assert_eq!(r.status, 200);
        assert!(
            c.closed_within(Duration::from_secs(3)),
            "not closed after Connection: close"
        );
        // HTTP/1.0 without keep-alive: one response, then close.
        let mut c = env.conn();
        c.send(format!("GET /prod/mock HTTP/1.0\r\nHost: {}\r\n\r\n", env.host).as_bytes());
        let r = c.read_response().unwrap();
        assert_eq!(r.status, 200);
        assert!(
            c.closed_within(Duration::from_secs(3)),
            "HTTP/1.0 connection not closed"
        );
    });
}
