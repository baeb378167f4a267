//! The gateway's own error log does not flood: a refused backend under load writes a line per
//! upstream and cause per second, each saying how many like it were folded, and
//! `tollgate_log_lines_folded_total` counts the folded ones. Both drivers.

mod common;
use common::*;

use std::time::{Duration, Instant};

fn doc(refused: std::net::SocketAddr) -> String {
    serde_json::json!({
        "openapi": "3.0.1",
        "info": {"title": "refused", "version": "1"},
        "paths": {"/down": {"get": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "GET", "uri": format!("http://{refused}/down")}}}}
    })
    .to_string()
}

#[test]
fn a_refused_backend_under_load_writes_a_line_a_second_with_the_count() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let api = gw.import(&doc(Upstream::refused_addr()));
        gw.deploy(&api, "prod", &[]);
        let lines = |log: &str| {
            log.lines()
                .filter(|l| {
                    l.contains("integration 127.0.0.1") && l.contains("failed: connect failed")
                })
                .count()
        };
        let started = Instant::now();
        let sent = 400;
        for _ in 0..sent {
            assert_eq!(gw.call(&api, "GET", "/prod/down", b"").status, 502);
        }
        let elapsed = started.elapsed().as_secs() as usize;
        let log = gw.stderr();
        let written = lines(&log);
        assert!(written >= 1, "{log}");
        assert!(
            written <= elapsed + 2,
            "{written} lines for {sent} failures in {elapsed} s:\n{log}"
        );

        // The next failure after the interval says how many were folded.
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(gw.call(&api, "GET", "/prod/down", b"").status, 502);
        let log = gw.stderr();
        let last = log
            .lines()
            .rfind(|l| l.contains("failed: connect failed"))
            .unwrap()
            .to_string();
        assert!(last.contains("more like this folded in the last"), "{last}");
        let folded: u64 = (sent + 1 - lines(&log)) as u64;
        gw.metrics_until("the folded lines counted", |t| {
            t.lines().any(|l| {
                l.strip_prefix("tollgate_log_lines_folded_total ")
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    == Some(folded)
            })
        });
    });
}
