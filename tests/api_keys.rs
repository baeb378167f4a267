//! API keys on the data plane, against the real binary, both drivers: a method with
//! `apiKeyRequired` answers only requests whose `x-api-key` is an enabled key attached (through a
//! usage plan key) to a plan that includes the API stage; everything else is AWS's 403
//! `{"message":"Forbidden"}`. Key and plan changes made through the admin API act at once,
//! without a redeploy: disabling, re-enabling, detaching from the plan, dropping the stage from
//! the plan. `$context.identity.apiKeyId` reaches the integration.

mod common;
use common::*;

use serde_json::{json, Value};

fn doc(backend: &str) -> String {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "keyed", "version": "1"},
        "paths": {
            "/orders": {"get": {
                "security": [{"api_key": []}],
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy", "httpMethod": "GET",
                    "uri": format!("http://{backend}/orders"),
                    "requestParameters": {
                        "integration.request.header.X-Key-Id": "context.identity.apiKeyId"}}}},
            "/open": {"get": {
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy", "httpMethod": "GET",
                    "uri": format!("http://{backend}/open")}}}
        },
        "components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}}
    })
    .to_string()
}

fn admin_json(gw: &Gateway, method: &str, target: &str, body: Value) -> Value {
    let r = gw.admin(method, target, body.to_string().as_bytes());
    assert!(
        (200..300).contains(&r.status),
        "{method} {target}: {} {}",
        r.status,
        r.text()
    );
    if r.status == 202 {
        Value::Null
    } else {
        r.json()
    }
}

fn get(gw: &Gateway, api: &str, path: &str, key: Option<&str>) -> Response {
    let headers: Vec<(&str, &str)> = key.map(|k| vec![("x-api-key", k)]).unwrap_or_default();
    gw.call_h(api, "GET", path, &headers, b"")
}

fn assert_forbidden(r: &Response) {
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json(), json!({"message": "Forbidden"}));
}

#[test]
fn key_required_methods_serve_only_keys_in_a_plan_for_the_stage() {
    let be = Upstream::echo("orders");
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let api = gw.import(&doc(&be.hostport()));
        gw.deploy(&api, "prod", &[]);
        gw.deploy(&api, "beta", &[]);

        let key = admin_json(
            &gw,
            "POST",
            "/apikeys",
            json!({"name": "k", "enabled": true}),
        );
        let (key_id, value) = (
            key["id"].as_str().unwrap().to_string(),
            key["value"].as_str().unwrap().to_string(),
        );
        // A key no plan includes: refused.
        assert_forbidden(&get(&gw, &api, "/prod/orders", Some(&value)));
        let plan = admin_json(
            &gw,
            "POST",
            "/usageplans",
            json!({"name": "gold", "apiStages": [{"apiId": api, "stage": "prod"}]}),
        );
        let plan_id = plan["id"].as_str().unwrap().to_string();
        admin_json(
            &gw,
            "POST",
            &format!("/usageplans/{plan_id}/keys"),
            json!({"keyId": key_id, "keyType": "API_KEY"}),
        );

        let r = get(&gw, &api, "/prod/orders", Some(&value));
        assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
        let seen = r.json();
        assert_eq!(
            seen["headers"]["x-key-id"], key_id,
            "the key id reaches the backend: {seen}"
        );
        // No key, a made-up key, and the right key on a stage the plan lacks.
        assert_forbidden(&get(&gw, &api, "/prod/orders", None));
        assert_forbidden(&get(
            &gw,
            &api,
            "/prod/orders",
            Some("made-up-key-0123456789"),
        ));
        assert_forbidden(&get(&gw, &api, "/beta/orders", Some(&value)));
        // A method without apiKeyRequired needs none.
        assert_eq!(get(&gw, &api, "/prod/open", None).status, 200);

        // Changes act at once, with no redeploy.
        let patch = |ops: Value| json!({ "patchOperations": ops });
        admin_json(
            &gw,
            "PATCH",
            &format!("/apikeys/{key_id}"),
            patch(json!([{"op": "replace", "path": "/enabled", "value": "false"}])),
        );
        assert_forbidden(&get(&gw, &api, "/prod/orders", Some(&value)));
        admin_json(
            &gw,
            "PATCH",
            &format!("/apikeys/{key_id}"),
            patch(json!([{"op": "replace", "path": "/enabled", "value": "true"}])),
        );
        assert_eq!(get(&gw, &api, "/prod/orders", Some(&value)).status, 200);
        admin_json(
            &gw,
            "PATCH",
            &format!("/usageplans/{plan_id}"),
            patch(json!([{"op": "add", "path": "/apiStages", "value": format!("{api}:beta")}])),
        );
        assert_eq!(get(&gw, &api, "/beta/orders", Some(&value)).status, 200);
        admin_json(
            &gw,
            "DELETE",
            &format!("/usageplans/{plan_id}/keys/{key_id}"),
            Value::Null,
        );
        assert_forbidden(&get(&gw, &api, "/prod/orders", Some(&value)));
        assert_forbidden(&get(&gw, &api, "/beta/orders", Some(&value)));
        // The log says why, never the key.
        let log = gw.stderr();
        assert!(
            log.contains("the API key is not in a usage plan that includes this API stage"),
            "{log}"
        );
        assert!(!log.contains(&value), "{log}");
    });
}

#[test]
fn keys_survive_a_restart() {
    let be = Upstream::echo("orders");
    for_each_driver(|driver| {
        let mut gw = Gateway::start(Opts::new(driver));
        let api = gw.import(&doc(&be.hostport()));
        gw.deploy(&api, "prod", &[]);
        let key = admin_json(
            &gw,
            "POST",
            "/apikeys",
            json!({"name": "k", "enabled": true}),
        );
        let plan = admin_json(
            &gw,
            "POST",
            "/usageplans",
            json!({"name": "p", "apiStages": [{"apiId": api, "stage": "prod"}]}),
        );
        admin_json(
            &gw,
            "POST",
            &format!("/usageplans/{}/keys", plan["id"].as_str().unwrap()),
            json!({"keyId": key["id"], "keyType": "API_KEY"}),
        );
        let value = key["value"].as_str().unwrap().to_string();
        assert_eq!(get(&gw, &api, "/prod/orders", Some(&value)).status, 200);
        gw.kill9();
        gw.restart();
        let r = get(&gw, &api, "/prod/orders", Some(&value));
        assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
        assert_forbidden(&get(&gw, &api, "/prod/orders", None));
    });
}
