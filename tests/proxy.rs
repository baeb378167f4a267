//! Imported APIs serving real traffic: the four import formats, stages and stage variables,
//! routing precedence, HTTP_PROXY pass-through, HTTP parameter mapping and response selection,
//! MOCK, AWS's error shapes, and every way a backend can fail. Each test runs on both drivers.

mod common;
use common::*;

use std::time::{Duration, Instant};

const FORMATS: [&str; 4] = [
    "api-oas3.yaml",
    "api-oas3.json",
    "api-swagger2.yaml",
    "api-swagger2.json",
];

#[test]
fn every_import_format_serves_mock_http_and_http_proxy() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let be = Backends::start();
        let echo = be.echo.hostport();
        let mut ids = Vec::new();
        for doc in FORMATS {
            let id = gw.import(&be.render(&fixture(doc)));
            gw.deploy(&id, "prod", &[("backend", &echo), ("tag", "prod-tag")]);
            ids.push(id);
        }
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 4, "each import gets its own id: {ids:?}");

        for (doc, id) in FORMATS.iter().zip(&ids) {
            let ctx = format!("{doc} ({id})");
            // MOCK
            let r = gw.call(id, "GET", "/prod/mock", b"");
            assert_eq!(r.status, 200, "{ctx}: {}", r.text());
            assert_eq!(r.json()["mock"], "ok", "{ctx}");
            assert_eq!(
                r.header("X-Mock"),
                Some("yes"),
                "{ctx}: mapped MOCK response header"
            );
            let r = gw.call(id, "POST", "/prod/mock", b"{}");
            assert_eq!(r.status, 201, "{ctx}: MOCK statusCode 201: {}", r.text());
            assert_eq!(r.json()["created"], true, "{ctx}");
            // HTTP_PROXY
            let e = echoed(&gw.call(id, "GET", "/prod/echo?a=1", b""));
            assert_eq!(e["path"], "/echo", "{ctx}");
            assert_eq!(e["query"], "a=1", "{ctx}");
            // HTTP with mapping
            let e = echoed(&gw.call(id, "POST", "/prod/mapped/7?q=x", b"{}"));
            assert_eq!(e["path"], "/mapped/7", "{ctx}");
            assert_eq!(e["query"], "q2=x", "{ctx}");
            // Greedy path with a stage variable in the URI
            let e = echoed(&gw.call(id, "GET", "/prod/proxy/p/q", b""));
            assert_eq!(e["path"], "/p/q", "{ctx}");
            // Routing
            assert_eq!(
                gw.call(id, "GET", "/prod/items/special", b"").json()["which"],
                "literal",
                "{ctx}"
            );
            assert_missing_token(&gw.call(id, "GET", "/prod/nope", b""));
        }

        let list = gw.admin("GET", "/restapis", b"").json();
        let listed: Vec<&str> = list["item"]
            .as_array()
            .expect("item array")
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        for id in &ids {
            assert!(
                listed.contains(&id.as_str()),
                "GET /restapis misses {id}: {listed:?}"
            );
        }
    });
}

#[test]
fn one_deployed_api_is_served_without_an_api_host() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut c = env.conn();
        let r = c
            .request("GET", "/prod/mock", "127.0.0.1", &[], b"")
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["mock"], "ok");
    });
}

#[test]
fn two_stages_use_their_own_stage_variables() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let echo_b = env.be.echo_b.hostport();
        env.gw.deploy(
            &env.api,
            "beta",
            &[("backend", &echo_b), ("tag", "beta-tag")],
        );

        let e = echoed(&env.get("/prod/proxy/a/b?x=1"));
        assert_eq!(e["backend"], "echo-a");
        assert_eq!(e["path"], "/a/b");
        assert_eq!(e["query"], "x=1");
        let e = echoed(&env.get("/beta/proxy/a/b?x=1"));
        assert_eq!(
            e["backend"], "echo-b",
            "beta's stage variable must pick echo-b"
        );
        assert_eq!(e["path"], "/a/b");

        let e = echoed(&env.call("POST", "/prod/mapped/1", &[], b"{}"));
        assert_eq!(e["headers"]["x-stage-var"], "prod-tag");
        let e = echoed(&env.call("POST", "/beta/mapped/1", &[], b"{}"));
        assert_eq!(e["headers"]["x-stage-var"], "beta-tag");

        let stages = env
            .gw
            .admin("GET", &format!("/restapis/{}/stages", env.api), b"")
            .json();
        let names: Vec<&str> = stages["item"]
            .as_array()
            .expect("item")
            .iter()
            .filter_map(|s| s["stageName"].as_str())
            .collect();
        assert!(
            names.contains(&"prod") && names.contains(&"beta"),
            "stages: {names:?}"
        );
    });
}

#[test]
fn routing_precedence_and_greedy_paths() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let which = |target: &str, method: &str| {
            let r = env.call(method, target, &[], b"");
            assert_eq!(
                r.status,
                200,
                "{method} {target}: {} {}",
                r.status,
                r.text()
            );
            r.json()
        };
        // literal > {param}
        assert_eq!(which("/prod/items/special", "GET")["which"], "literal");
        assert_eq!(
            which("/prod/items/special/", "GET")["which"],
            "literal",
            "trailing slash ignored"
        );
        assert_eq!(which("/prod/items/42", "GET")["path"], "/param/42");
        assert_eq!(
            which("/prod/items/42/", "GET")["path"],
            "/param/42",
            "trailing slash ignored"
        );
        assert_eq!(which("/prod/items", "GET")["path"], "/items-list");
        assert_eq!(which("/prod/items/", "GET")["path"], "/items-list");
        // literal > greedy; greedy takes every remaining segment
        assert_eq!(which("/prod/files/readme", "GET")["which"], "readme");
        assert_eq!(
            which("/prod/files/a/b/c.txt", "GET")["path"],
            "/files/a/b/c.txt"
        );
        assert_eq!(
            which("/prod/files/readme/more", "GET")["path"],
            "/files/readme/more"
        );
        assert_eq!(
            which("/prod/files/other", "POST")["method"],
            "POST",
            "ANY on the greedy resource"
        );
        // A specific method beats ANY on the same resource
        assert_eq!(which("/prod/things", "GET")["which"], "get");
        assert_eq!(which("/prod/things", "POST")["which"], "any");
        assert_eq!(which("/prod/things", "DELETE")["which"], "any");
        // The root resource
        assert_eq!(which("/prod/", "GET")["root"], true);
        assert_eq!(which("/prod", "GET")["root"], true);
        // {param} matches one segment only, and a missing method is 403
        assert_missing_token(&env.get("/prod/items/42/extra"));
        assert_missing_token(&env.call("DELETE", "/prod/items/42", &[], b""));
        assert_missing_token(&env.call("POST", "/prod/items", &[], b""));
        assert_missing_token(&env.get("/prod/nope"));
        assert_missing_token(&env.get("/prod/files"));
    });
}

#[test]
fn http_proxy_passes_the_request_through() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let r = env.call(
            "PATCH",
            "/prod/echo?b=2&a=one%20two",
            &[
                ("X-Custom", "custom-value"),
                ("Content-Type", "application/json"),
                ("Connection", "keep-alive, X-Hop"),
                ("X-Hop", "must-not-pass"),
                ("Keep-Alive", "timeout=5"),
                ("Proxy-Connection", "keep-alive"),
                ("TE", "trailers"),
            ],
            br#"{"payload":true}"#,
        );
        let e = echoed(&r);
        assert_eq!(e["method"], "PATCH");
        assert_eq!(e["path"], "/echo");
        let mut q: Vec<&str> = e["query"].as_str().unwrap().split('&').collect();
        q.sort();
        assert_eq!(q, ["a=one%20two", "b=2"], "query string passed through");
        assert_eq!(e["body"], r#"{"payload":true}"#);
        let h = &e["headers"];
        assert_eq!(h["x-custom"], "custom-value");
        assert_eq!(h["content-type"], "application/json");
        for hop in ["x-hop", "keep-alive", "proxy-connection", "te"] {
            assert!(
                h.get(hop).is_none(),
                "hop-by-hop header {hop} was forwarded: {h}"
            );
        }
        assert_eq!(
            h["x-forwarded-for"], "127.0.0.1",
            "client IP in X-Forwarded-For"
        );
        // An existing X-Forwarded-For is appended to.
        let e = echoed(&env.call(
            "GET",
            "/prod/echo",
            &[("X-Forwarded-For", "203.0.113.9")],
            b"",
        ));
        assert_eq!(e["headers"]["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
        // The response carries the backend's headers and a request id.
        assert_eq!(r.header("X-Backend"), Some("echo-a"));
        assert!(r.header("x-amzn-RequestId").is_some());
    });
}

#[test]
fn http_integration_maps_parameters() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let r = env.call(
            "POST",
            "/prod/mapped/7?q=hello&other=z",
            &[
                ("X-In", "from-client"),
                ("X-Not-Mapped", "nope"),
                ("Content-Type", "application/json"),
            ],
            br#"{"k":"v"}"#,
        );
        let e = echoed(&r);
        assert_eq!(e["method"], "POST");
        assert_eq!(e["path"], "/mapped/7", "path parameter mapped into the URI");
        assert_eq!(e["query"], "q2=hello", "only mapped query parameters pass");
        let h = &e["headers"];
        assert_eq!(h["x-from-header"], "from-client");
        assert_eq!(h["x-literal"], "lit-value");
        assert_eq!(h["x-stage-var"], "prod-tag");
        let rid = r.header("x-amzn-RequestId").expect("request id");
        assert_eq!(
            h["x-req-id"], rid,
            "context.requestId is the response's x-amzn-RequestId"
        );
        assert!(
            h.get("x-not-mapped").is_none(),
            "unmapped header passed by an HTTP integration"
        );
        assert!(
            h.get("x-in").is_none(),
            "the source header itself is not passed"
        );
        assert_eq!(
            e["body"], r#"{"k":"v"}"#,
            "body passed through (WHEN_NO_MATCH)"
        );
        assert_eq!(
            r.header("X-Backend-Name"),
            Some("echo-a"),
            "integration.response.header mapped"
        );
    });
}

#[test]
fn http_integration_selects_the_response_by_status() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let r = env.get("/prod/status/404");
        assert_eq!(r.status, 400, "4\\d{{2}} -> 400: {}", r.text());
        assert_eq!(r.json()["mapped"], "client-error");
        let r = env.get("/prod/status/503");
        assert_eq!(r.status, 500, "5\\d{{2}} -> 500: {}", r.text());
        assert_eq!(r.json()["mapped"], "server-error");
        let r = env.get("/prod/status/201");
        assert_eq!(r.status, 200, "default -> 200: {}", r.text());
        assert_eq!(
            r.json()["path"],
            "/status/201",
            "default response passes the backend body"
        );
    });
}

#[test]
fn http_proxy_relays_the_backend_status() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let r = env.get("/prod/teapot");
        assert_eq!(r.status, 418);
        assert_eq!(r.json()["teapot"], true);
        let e = echoed(&env.get("/prod/echo"));
        assert_eq!(e["backend"], "echo-a");
    });
}

fn assert_aws_error(r: &Response, status: u16, msg: &str) {
    assert_eq!(
        r.status,
        status,
        "expected {status} {msg:?}, got {} {}",
        r.status,
        r.text()
    );
    assert_eq!(message(r), msg, "body: {}", r.text());
    assert!(
        r.header("x-amzn-RequestId").is_some(),
        "no x-amzn-RequestId on {status}"
    );
}

#[test]
fn a_stage_missing_a_stage_variable_deploys_and_fails_only_that_method() {
    // As on AWS: the deployment succeeds; the methods whose integration URI needs the variable
    // answer 500 at run time, the others serve normally.
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        env.gw.deploy(&env.api, "novars", &[]);
        assert_aws_error(&env.get("/novars/proxy/a"), 500, "Internal server error");
        let r = env.get("/novars/mock");
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(env.gw.stderr().contains("configuration error"));
    });
}

#[test]
fn backend_refused_or_reset_is_502() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        assert_aws_error(&env.get("/prod/refused"), 502, "Internal server error");
        assert_aws_error(&env.get("/prod/reset"), 502, "Internal server error");
        assert_aws_error(&env.get("/prod/malformed"), 502, "Internal server error");
        // The gateway stays healthy.
        echoed(&env.get("/prod/echo"));
    });
}

#[test]
fn slow_backend_times_out_with_504() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let start = Instant::now();
        let r = env.get("/prod/slow?ms=3000");
        let took = start.elapsed();
        assert_aws_error(&r, 504, "Endpoint request timed out");
        assert!(
            took < Duration::from_millis(2000),
            "timeoutInMillis 300 took {took:?}"
        );
        // A slow-but-in-time backend is fine.
        let r = env.get("/prod/slowok?ms=200");
        assert_eq!(r.status, 200, "{}", r.text());
    });
}

#[test]
fn backend_closing_mid_body_is_visibly_truncated() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        for target in ["/prod/midbody", "/prod/midchunk"] {
            let mut c = env.conn();
            c.send(&env.raw("GET", target, &[], b""));
            match c.read_response() {
                Err(_) => {} // truncated: EOF/reset before the framing said the body ended
                Ok(r) => assert_eq!(
                    r.status,
                    502,
                    "{target}: a complete-looking {} response (body {:?}) for a truncated backend body",
                    r.status,
                    r.text()
                ),
            }
        }
    });
}

#[test]
fn ambiguous_backend_framing_is_never_relayed() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut c = env.conn();
        for round in 0..3 {
            let r = match c.request("GET", "/prod/clte", &env.host, &[], b"") {
                Ok(r) => r,
                Err(_) => {
                    c = env.conn(); // the gateway may close after a 502
                    continue;
                }
            };
            assert!(
                r.header("X-Smuggled").is_none(),
                "round {round}: an unasked backend response was relayed"
            );
            if r.status == 200 {
                assert!(
                    !(r.header("content-length").is_some()
                        && r.header("transfer-encoding").is_some()),
                    "both Content-Length and Transfer-Encoding relayed"
                );
                assert_eq!(r.text(), "hello");
            } else {
                assert_eq!(r.status, 502, "{}", r.text());
            }
            if r.closes() {
                c = env.conn();
            }
        }
        // Whatever the backend left on its connection never reaches another request.
        let e = echoed(&env.get("/prod/echo"));
        assert_eq!(e["backend"], "echo-a");
    });
}

#[test]
fn missing_authentication_token_shape() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let r = env.get("/prod/definitely/not/here");
        assert_missing_token(&r);
        assert_eq!(
            r.json(),
            serde_json::json!({"message": "Missing Authentication Token"})
        );
    });
}
