//! Usage plan quotas against the real binary, both drivers: a plan's `quota` admits exactly its
//! limit per key, then AWS's 429 `{"message":"Limit Exceeded"}`; GetUsage reports what was
//! counted; UpdateUsage's `/remaining` grants more; exact with two workers under concurrent
//! requests; counts survive `kill -9` once flushed (at most one second is at risk).

mod common;
use common::*;

use serde_json::{json, Value};
use std::time::Duration;

fn doc(backend: &str) -> String {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "quota", "version": "1"},
        "paths": {"/q": {"get": {
            "security": [{"api_key": []}],
            "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "GET", "uri": format!("http://{backend}/q")}}}},
        "components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}}
    })
    .to_string()
}

fn admin_ok(gw: &Gateway, method: &str, target: &str, body: Value) -> Value {
    let r = gw.admin(method, target, body.to_string().as_bytes());
    assert!((200..300).contains(&r.status), "{target}: {}", r.text());
    r.json()
}

/// An API with a keyed route deployed to `prod`, a plan with `limit` requests a day, and one key
/// in it: (api, plan id, key id, key value).
fn setup(gw: &Gateway, be: &Upstream, limit: u64) -> (String, String, String, String) {
    let api = gw.import(&doc(&be.hostport()));
    gw.deploy(&api, "prod", &[]);
    let plan = admin_ok(
        gw,
        "POST",
        "/usageplans",
        json!({"name": "metered", "quota": {"limit": limit, "period": "DAY"},
               "apiStages": [{"apiId": api, "stage": "prod"}]}),
    );
    let key = admin_ok(
        gw,
        "POST",
        "/apikeys",
        json!({"name": "k", "enabled": true}),
    );
    let (plan_id, key_id) = (
        plan["id"].as_str().unwrap().to_string(),
        key["id"].as_str().unwrap().to_string(),
    );
    admin_ok(
        gw,
        "POST",
        &format!("/usageplans/{plan_id}/keys"),
        json!({"keyId": key_id, "keyType": "API_KEY"}),
    );
    let value = key["value"].as_str().unwrap().to_string();
    (api, plan_id, key_id, value)
}

fn call(gw: &Gateway, api: &str, key: &str) -> Response {
    gw.call_h(api, "GET", "/prod/q", &[("x-api-key", key)], b"")
}

fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = (secs / 86_400) as i64;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn usage(gw: &Gateway, plan: &str, key: &str) -> Value {
    let day = today();
    let r = gw.admin(
        "GET",
        &format!("/usageplans/{plan}/usage?startDate={day}&endDate={day}&keyId={key}"),
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // AWS's `Usage.items` travels as `values`.
    r.json()["values"][key][0].clone()
}

#[test]
fn a_quota_admits_exactly_its_limit_and_usage_reports_it() {
    let be = Upstream::echo("q");
    for_each_driver(|driver| {
        let mut gw = Gateway::start(Opts::new(driver));
        let (api, plan, key_id, key) = setup(&gw, &be, 3);
        for _ in 0..3 {
            let r = call(&gw, &api, &key);
            assert_eq!(r.status, 200, "{}", r.text());
        }
        let r = call(&gw, &api, &key);
        assert_eq!(r.status, 429);
        assert_eq!(r.json(), json!({"message": "Limit Exceeded"}));
        assert_eq!(r.header("x-amzn-ErrorType"), Some("LimitExceededException"));
        assert_eq!(usage(&gw, &plan, &key_id), json!([3, 0]));

        // UpdateUsage: two more for today.
        let body = json!({"patchOperations": [
            {"op": "replace", "path": "/remaining", "value": "2"}]});
        let r = gw.admin(
            "PATCH",
            &format!("/usageplans/{plan}/keys/{key_id}/usage"),
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(call(&gw, &api, &key).status, 200);
        assert_eq!(call(&gw, &api, &key).status, 200);
        assert_eq!(call(&gw, &api, &key).status, 429);
        assert_eq!(usage(&gw, &plan, &key_id), json!([5, 0]));

        // Flushed (GetUsage flushes; so does the one-second flusher): kill -9 loses nothing.
        std::thread::sleep(Duration::from_millis(1200));
        gw.kill9();
        gw.restart();
        assert_eq!(call(&gw, &api, &key).status, 429);
        assert_eq!(usage(&gw, &plan, &key_id), json!([5, 0]));
    });
}

#[test]
fn a_quota_is_exact_across_two_workers_under_concurrency() {
    let be = Upstream::echo("q");
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).workers(2));
        let (api, plan, key_id, key) = setup(&gw, &be, 40);
        let admitted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        let mut conn = gw.conn();
                        (0..15)
                            .filter(|_| {
                                let r = conn
                                    .request(
                                        "GET",
                                        "/prod/q",
                                        &api_host(&api),
                                        &[("x-api-key", &key)],
                                        b"",
                                    )
                                    .unwrap();
                                r.status == 200
                            })
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(admitted, 40);
        assert_eq!(usage(&gw, &plan, &key_id), json!([40, 0]));
    });
}
