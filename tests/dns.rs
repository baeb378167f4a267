//! A worker never waits on DNS: host names in integration URIs are resolved by the control plane,
//! so one slow name does not hold up the other connections of the same (single) worker.
//!
//! The slow name comes from the gateway's test-only zone, `TOLLGATE_TEST_DNS`
//! (`name=ip[@delay_ms]`, see `runtime::resolver::lookup_from_env`), which delays an answer
//! without needing a DNS server. It is set in this test binary's environment, which the spawned
//! gateway inherits; this file holds one test, so nothing else in the process sees it.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// How long the slow name takes to resolve; `Config::default().connect_ms` (2 s) is how long a
/// request waits for a name.
const SLOW_DNS_MS: u64 = 4000;

fn api_doc(port: u16) -> String {
    let route = |host: &str| {
        serde_json::json!({ "get": { "responses": { "200": { "description": "ok" } },
            "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "GET",
                "uri": format!("http://{host}:{port}/echo"),
            } } })
    };
    serde_json::json!({
        "openapi": "3.0.1",
        "info": { "title": "dns", "version": "1" },
        "paths": { "/fast": route("fast.test"), "/slow": route("slow.test") },
    })
    .to_string()
}

#[test]
fn a_slow_dns_answer_does_not_delay_other_connections_on_the_worker() {
    std::env::set_var(
        "TOLLGATE_TEST_DNS",
        format!("fast.test=127.0.0.1,slow.test=127.0.0.1@{SLOW_DNS_MS}"),
    );
    let echo = Upstream::echo("echo-dns");
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).workers(1));
        let api = gw.import(&api_doc(echo.addr.port()));
        gw.deploy(&api, "prod", &[]);
        let deployed = Instant::now();
        let host = api_host(&api);

        // The slow request goes first and is left waiting for its name on the only worker.
        let mut slow = gw.conn();
        slow.send(&build_request("GET", "/prod/slow", &host, &[], b""));
        let slow_sent = Instant::now();
        std::thread::sleep(Duration::from_millis(100));

        let started = Instant::now();
        let r = gw.call(&api, "GET", "/prod/fast", b"");
        let took = started.elapsed();
        assert_eq!(r.status, 200, "fast upstream: {}", r.text());
        assert!(
            took < Duration::from_millis(1500),
            "a request to another upstream waited {took:?} behind a slow DNS answer"
        );

        // The slow one fails once its wait (the connect timeout) runs out, as AWS's 502 would.
        slow.set_read_timeout(Duration::from_secs(10));
        let r = slow.read_response().expect("slow response");
        let waited = slow_sent.elapsed();
        assert_eq!(r.status, 502, "slow upstream: {}", r.text());
        assert!(
            waited >= Duration::from_millis(1800) && waited < Duration::from_millis(SLOW_DNS_MS),
            "waited {waited:?} for the slow name"
        );

        // Once the answer is in, the slow upstream is served like any other.
        let ready = Duration::from_millis(SLOW_DNS_MS + 1500);
        std::thread::sleep(ready.saturating_sub(deployed.elapsed()));
        let r = gw.call(&api, "GET", "/prod/slow", b"");
        assert_eq!(
            r.status,
            200,
            "slow upstream after its answer: {}",
            r.text()
        );
    });
}
