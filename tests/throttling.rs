//! Stage and account throttling against the real binary, both drivers: `update-stage` method
//! throttles (`*/*` and per method) take effect on the next request, a burst is admitted and the
//! next request gets AWS's 429 `{"message":"Too Many Requests"}`; burst 0 refuses everything; a
//! refused request spends no token at another level; the account level (`[throttling]`) caps
//! every method together.

mod common;
use common::*;

use serde_json::{json, Value};

fn doc(backend: &str) -> String {
    let route = |path: &str| {
        json!({"get": {"x-amazon-apigateway-integration": {
            "type": "http_proxy", "httpMethod": "GET",
            "uri": format!("http://{backend}{path}")}}})
    };
    json!({
        "openapi": "3.0.1",
        "info": {"title": "throttled", "version": "1"},
        "paths": {"/a": route("/a"), "/b": route("/b")}
    })
    .to_string()
}

fn patch_stage(gw: &Gateway, api: &str, ops: Value) {
    let body = json!({ "patchOperations": ops }).to_string();
    let r = gw.admin(
        "PATCH",
        &format!("/restapis/{api}/stages/prod"),
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

fn statuses(gw: &Gateway, api: &str, path: &str, n: usize) -> Vec<u16> {
    (0..n)
        .map(|_| gw.call(api, "GET", path, b"").status)
        .collect()
}

#[test]
fn stage_method_throttles_admit_the_burst_then_answer_429() {
    let be = Upstream::echo("t");
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let api = gw.import(&doc(&be.hostport()));
        gw.deploy(&api, "prod", &[]);
        assert_eq!(statuses(&gw, &api, "/prod/a", 5), [200; 5]);

        // `*/*`: every method gets burst 2, refilling once every 100 s.
        patch_stage(
            &gw,
            &api,
            json!([
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.01"}]),
        );
        assert_eq!(statuses(&gw, &api, "/prod/a", 3), [200, 200, 429]);
        let r = gw.call(&api, "GET", "/prod/a", b"");
        assert_eq!(r.status, 429);
        assert_eq!(r.json(), json!({"message": "Too Many Requests"}));
        assert_eq!(
            r.header("x-amzn-ErrorType"),
            Some("TooManyRequestsException")
        );
        // Each method has its own bucket.
        assert_eq!(statuses(&gw, &api, "/prod/b", 3), [200, 200, 429]);

        // A method's own setting wins over `*/*`: burst 0 admits nothing.
        patch_stage(
            &gw,
            &api,
            json!([{"op": "replace", "path": "/~1b/GET/throttling/burstLimit", "value": "0"}]),
        );
        assert_eq!(statuses(&gw, &api, "/prod/b", 2), [429, 429]);
    });
}

#[test]
fn the_account_level_caps_every_method_together_and_refusals_spend_nothing() {
    let be = Upstream::echo("t");
    for_each_driver(|driver| {
        let config = Config {
            extra: "[throttling]\naccount_rate_limit = 0.01\naccount_burst_limit = 4\n".into(),
            ..Config::default()
        };
        let gw = Gateway::start(Opts::new(driver).config(config));
        let api = gw.import(&doc(&be.hostport()));
        gw.deploy(&api, "prod", &[]);
        // `/b` allows nothing: its refusals must not spend account tokens.
        patch_stage(
            &gw,
            &api,
            json!([{"op": "replace", "path": "/~1b/GET/throttling/burstLimit", "value": "0"}]),
        );
        assert_eq!(statuses(&gw, &api, "/prod/b", 3), [429; 3]);
        // Four account tokens in all, across methods.
        assert_eq!(statuses(&gw, &api, "/prod/a", 5), [200, 200, 200, 200, 429]);
    });
}

fn keyed_doc(backend: &str) -> String {
    let route = |path: &str| {
        json!({"get": {"security": [{"api_key": []}], "x-amazon-apigateway-integration": {
            "type": "http_proxy", "httpMethod": "GET",
            "uri": format!("http://{backend}{path}")}}})
    };
    json!({
        "openapi": "3.0.1",
        "info": {"title": "keyed", "version": "1"},
        "paths": {"/a": route("/a"), "/b": route("/b")},
        "components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}}
    })
    .to_string()
}

fn created(gw: &Gateway, target: &str, body: Value) -> Value {
    let r = gw.admin("POST", target, body.to_string().as_bytes());
    assert_eq!(r.status, 201, "{target}: {}", r.text());
    r.json()
}

#[test]
fn usage_plan_throttles_apply_per_key_and_per_method() {
    let be = Upstream::echo("t");
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let api = gw.import(&keyed_doc(&be.hostport()));
        gw.deploy(&api, "prod", &[]);
        // Per key: burst 3; `/b` per key and method: burst 1.
        let plan = created(
            &gw,
            "/usageplans",
            json!({"name": "silver",
                   "throttle": {"rateLimit": 0.01, "burstLimit": 3},
                   "apiStages": [{"apiId": api, "stage": "prod",
                                  "throttle": {"/b/GET": {"rateLimit": 0.01, "burstLimit": 1}}}]}),
        );
        let plan_id = plan["id"].as_str().unwrap();
        let mut values = Vec::new();
        for name in ["one", "two"] {
            let key = created(&gw, "/apikeys", json!({"name": name, "enabled": true}));
            created(
                &gw,
                &format!("/usageplans/{plan_id}/keys"),
                json!({"keyId": key["id"], "keyType": "API_KEY"}),
            );
            values.push(key["value"].as_str().unwrap().to_string());
        }
        let call = |path: &str, key: &str| {
            gw.call_h(&api, "GET", path, &[("x-api-key", key)], b"")
                .status
        };
        // Key one: `/b` once (its method limit), then `/a` until the key's burst of 3 is spent
        // (the `/b` call counted against it too).
        assert_eq!(call("/prod/b", &values[0]), 200);
        assert_eq!(call("/prod/b", &values[0]), 429);
        assert_eq!(call("/prod/a", &values[0]), 200);
        assert_eq!(call("/prod/a", &values[0]), 200);
        assert_eq!(call("/prod/a", &values[0]), 429);
        // Key two has buckets of its own.
        assert_eq!(call("/prod/b", &values[1]), 200);
        assert_eq!(call("/prod/a", &values[1]), 200);
        assert_eq!(call("/prod/a", &values[1]), 200);
        assert_eq!(call("/prod/a", &values[1]), 429);
    });
}

#[test]
fn a_stage_tag_turns_on_rate_limit_headers_and_retry_after() {
    let be = Upstream::echo("t");
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let api = gw.import(&doc(&be.hostport()));
        gw.deploy(&api, "prod", &[]);
        patch_stage(
            &gw,
            &api,
            json!([
                {"op": "replace", "path": "/~1a/GET/throttling/burstLimit", "value": "2"},
                {"op": "replace", "path": "/~1a/GET/throttling/rateLimit", "value": "0.5"}]),
        );
        // Off by default (AWS sends none).
        let r = gw.call(&api, "GET", "/prod/b", b"");
        assert_eq!(r.header("RateLimit-Limit"), None);

        let arn = format!("arn:aws:apigateway:us-east-1::/restapis/{api}/stages/prod")
            .replace(':', "%3A")
            .replace('/', "%2F");
        let r = gw.admin(
            "PUT",
            &format!("/tags/{arn}"),
            br#"{"tags": {"tollgate:rateLimitHeaders": "true"}}"#,
        );
        assert_eq!(r.status, 204, "{}", r.text());

        let r = gw.call(&api, "GET", "/prod/a", b"");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("RateLimit-Limit"), Some("2"));
        assert_eq!(r.header("RateLimit-Remaining"), Some("1"));
        assert_eq!(r.header("RateLimit-Reset"), Some("2"));
        assert_eq!(r.header("Retry-After"), None);
        assert_eq!(gw.call(&api, "GET", "/prod/a", b"").status, 200);
        let r = gw.call(&api, "GET", "/prod/a", b"");
        assert_eq!(r.status, 429);
        assert_eq!(r.header("RateLimit-Remaining"), Some("0"));
        let retry: u64 = r.header("Retry-After").unwrap().parse().unwrap();
        assert!((1..=2).contains(&retry), "{retry}");
        assert_eq!(r.json(), json!({"message": "Too Many Requests"}));
    });
}
