//! API keys, usage plans, usage plan keys, usage and tags through the management API, with AWS's
//! paths, JSON shapes, pagination, statuses and messages; all of it still there after a restart.

mod common;
use common::*;
use serde_json::{json, Value};

fn patch(ops: Value) -> Vec<u8> {
    json!({ "patchOperations": ops }).to_string().into_bytes()
}

fn error_type(r: &Response) -> String {
    r.header("x-amzn-ErrorType")
        .unwrap_or_default()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn post(gw: &Gateway, target: &str, body: Value) -> Response {
    gw.admin("POST", target, body.to_string().as_bytes())
}

#[test]
fn api_keys_create_get_list_update_import_delete() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let gw = &env.gw;

        // Generated value: 40 alphanumerics, returned on create only.
        let r = post(
            gw,
            "/apikeys",
            json!({"name": "alpha", "enabled": true, "customerId": "c1",
                   "stageKeys": [{"restApiId": env.api, "stageName": "prod"}],
                   "tags": {"team": "core"}}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let k = r.json();
        let id = k["id"].as_str().unwrap().to_string();
        let value = k["value"].as_str().unwrap().to_string();
        assert_eq!(value.len(), 40);
        assert!(value.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(k["stageKeys"], json!([format!("{}/prod", env.api)]));
        assert_eq!(k["enabled"], true);

        let r = gw.admin("GET", &format!("/apikeys/{id}"), b"");
        assert_eq!(r.status, 200);
        assert!(r.json().get("value").is_none(), "{}", r.text());
        let r = gw.admin("GET", &format!("/apikeys/{id}?includeValue=true"), b"");
        assert_eq!(r.json()["value"], value.as_str());

        // Given value; duplicate value is 409; short value and too-long name are 400.
        let given = "abcdefghijklmnopqrstuvwxyz012345";
        let r = post(gw, "/apikeys", json!({"name": "beta", "value": given}));
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["enabled"], false);
        let r = post(gw, "/apikeys", json!({"name": "gamma", "value": given}));
        assert_eq!(
            (r.status, error_type(&r)),
            (409, "ConflictException".into())
        );
        for body in [
            json!({"value": "short"}),
            json!({"name": "n".repeat(1025)}),
            json!({"name": "x", "bogus": 1}),
            json!({"stageKeys": [{"restApiId": "nope", "stageName": "prod"}]}),
        ] {
            let r = post(gw, "/apikeys", body.clone());
            assert!(r.status == 400 || r.status == 404, "{body}: {}", r.text());
        }

        // Import CSV (AWS's header, any case); warnings for bad rows.
        let csv = format!(
            "Name,key,description,Enabled,usageplanIds\n\
             imp1,importedvalue0000000000001,first,TRUE,\n\
             imp2,{given},dup,true,\n\
             imp3,importedvalue0000000000003,,false,\n"
        );
        let r = gw.admin(
            "POST",
            "/apikeys?mode=import&format=csv&failonwarnings=false",
            csv.as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let out = r.json();
        assert_eq!(out["ids"].as_array().unwrap().len(), 2, "{out}");
        assert_eq!(out["warnings"].as_array().unwrap().len(), 1, "{out}");
        let r = gw.admin(
            "POST",
            "/apikeys?mode=import&format=csv&failonwarnings=true",
            csv.as_bytes(),
        );
        assert_eq!(r.status, 400, "{}", r.text());

        // List: nameQuery, customerId, includeValues, pagination.
        let all = gw.admin("GET", "/apikeys?includeValues=true", b"").json();
        let items = all["item"].as_array().unwrap();
        assert_eq!(items.len(), 4, "{all}");
        assert!(items.iter().all(|k| k.get("value").is_some()));
        let named = gw.admin("GET", "/apikeys?name=imp", b"").json();
        assert_eq!(named["item"].as_array().unwrap().len(), 2, "{named}");
        assert!(named["item"][0].get("value").is_none());
        let cust = gw.admin("GET", "/apikeys?customerId=c1", b"").json();
        assert_eq!(cust["item"][0]["id"], id.as_str());
        let mut seen = Vec::new();
        let mut target = "/apikeys?limit=3".to_string();
        loop {
            let page = gw.admin("GET", &target, b"").json();
            seen.extend(page["item"].as_array().unwrap().iter().cloned());
            match page["position"].as_str() {
                Some(p) => target = format!("/apikeys?limit=3&position={p}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 4);
        assert_eq!(gw.admin("GET", "/apikeys?limit=0", b"").status, 400);

        // Update.
        let r = gw.admin(
            "PATCH",
            &format!("/apikeys/{id}"),
            &patch(json!([
                {"op": "replace", "path": "/name", "value": "alpha2"},
                {"op": "replace", "path": "/enabled", "value": "false"},
                {"op": "replace", "path": "/description", "value": "d"},
                {"op": "remove", "path": "/stages", "value": format!("{}/prod", env.api)},
            ])),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let k = r.json();
        assert_eq!(
            (
                &k["name"],
                &k["enabled"],
                &k["description"],
                &k["stageKeys"]
            ),
            (&json!("alpha2"), &json!(false), &json!("d"), &json!([]))
        );
        let r = gw.admin(
            "PATCH",
            &format!("/apikeys/{id}"),
            &patch(json!([{"op": "replace", "path": "/value", "value": "x"}])),
        );
        assert_eq!(r.status, 400);

        // Delete; then 404 with AWS's message.
        assert_eq!(
            gw.admin("DELETE", &format!("/apikeys/{id}"), b"").status,
            202
        );
        let r = gw.admin("GET", &format!("/apikeys/{id}"), b"");
        assert_eq!(
            (r.status, error_type(&r)),
            (404, "NotFoundException".into())
        );
        assert_eq!(message(&r), "Invalid API Key identifier specified");
        assert_eq!(
            gw.admin("DELETE", &format!("/apikeys/{id}"), b"").status,
            404
        );
    });
}

#[test]
fn usage_plans_keys_usage_and_tags() {
    for_each_driver(|driver| {
        let mut env = setup(Opts::new(driver));
        let api = env.api.clone();
        let region_arn = |path: &str| format!("arn:aws:apigateway:us-east-1::{path}");

        let r = post(
            &env.gw,
            "/usageplans",
            json!({"name": "gold", "description": "g",
                   "apiStages": [{"apiId": api, "stage": "prod",
                                  "throttle": {"/echo/GET": {"burstLimit": 5, "rateLimit": 2.5}}}],
                   "throttle": {"burstLimit": 100, "rateLimit": 50.0},
                   "quota": {"limit": 1000, "offset": 0, "period": "MONTH"},
                   "tags": {"tier": "gold"}}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let plan = r.json();
        let pid = plan["id"].as_str().unwrap().to_string();
        assert_eq!(
            plan["apiStages"],
            json!([{"apiId": api, "stage": "prod",
                    "throttle": {"/echo/GET": {"burstLimit": 5, "rateLimit": 2.5}}}])
        );
        assert_eq!(
            plan["quota"],
            json!({"limit": 1000, "offset": 0, "period": "MONTH"})
        );
        assert_eq!(
            env.gw
                .admin("GET", &format!("/usageplans/{pid}"), b"")
                .json(),
            plan
        );

        // Bad plans: unknown stage, bad period, unknown method, missing name.
        for body in [
            json!({"name": "x", "apiStages": [{"apiId": api, "stage": "nope"}]}),
            json!({"name": "x", "quota": {"limit": 1, "period": "YEAR"}}),
            json!({"name": "x", "apiStages": [{"apiId": api, "stage": "prod",
                    "throttle": {"/nowhere/GET": {"rateLimit": 1}}}]}),
            json!({"description": "no name"}),
        ] {
            let r = post(&env.gw, "/usageplans", body.clone());
            assert_eq!(r.status, 400, "{body}: {}", r.text());
        }
        let r = env.gw.admin("GET", "/usageplans/nope", b"");
        assert_eq!(message(&r), "Invalid Usage Plan ID specified");

        // Update: per-method throttle, plan throttle, quota, name.
        let r = env.gw.admin(
            "PATCH",
            &format!("/usageplans/{pid}"),
            &patch(json!([
                {"op": "replace", "path": format!("/apiStages/{api}:prod/throttle/~1echo/GET/rateLimit"), "value": "7"},
                {"op": "replace", "path": "/throttle/rateLimit", "value": "60"},
                {"op": "replace", "path": "/quota/limit", "value": "10"},
                {"op": "replace", "path": "/quota/period", "value": "DAY"},
                {"op": "replace", "path": "/name", "value": "platinum"},
            ])),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let plan = r.json();
        assert_eq!(
            plan["apiStages"][0]["throttle"]["/echo/GET"]["rateLimit"],
            7.0
        );
        assert_eq!(plan["throttle"]["rateLimit"], 60.0);
        assert_eq!(plan["quota"]["limit"], 10);
        assert_eq!(plan["name"], "platinum");

        // A key in the plan.
        let key = post(&env.gw, "/apikeys", json!({"name": "k", "enabled": true})).json();
        let kid = key["id"].as_str().unwrap().to_string();
        let r = post(
            &env.gw,
            &format!("/usageplans/{pid}/keys"),
            json!({"keyId": kid, "keyType": "API_KEY"}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(
            r.json(),
            json!({"id": kid, "type": "API_KEY", "value": key["value"], "name": "k"})
        );
        let r = post(
            &env.gw,
            &format!("/usageplans/{pid}/keys"),
            json!({"keyId": kid, "keyType": "API_KEY"}),
        );
        assert_eq!(r.status, 409, "{}", r.text());
        let r = post(
            &env.gw,
            &format!("/usageplans/{pid}/keys"),
            json!({"keyId": "nope", "keyType": "API_KEY"}),
        );
        assert_eq!(message(&r), "Invalid API Key identifier specified");
        let keys = env
            .gw
            .admin("GET", &format!("/usageplans/{pid}/keys"), b"")
            .json();
        assert_eq!(keys["item"].as_array().unwrap().len(), 1, "{keys}");
        assert_eq!(
            env.gw
                .admin("GET", &format!("/usageplans/{pid}/keys/{kid}"), b"")
                .status,
            200
        );
        let by_key = env
            .gw
            .admin("GET", &format!("/usageplans?keyId={kid}"), b"")
            .json();
        assert_eq!(by_key["item"][0]["id"], pid.as_str());
        let none = env.gw.admin("GET", "/usageplans?keyId=other", b"").json();
        assert_eq!(none["item"], json!([]));

        // Usage: nothing used yet; UpdateUsage sets today's remaining.
        let today = env.gw.admin(
            "PATCH",
            &format!("/usageplans/{pid}/keys/{kid}/usage"),
            &patch(json!([{"op": "replace", "path": "/remaining", "value": "3"}])),
        );
        assert_eq!(today.status, 200, "{}", today.text());
        let u = today.json();
        let day = u["startDate"].as_str().unwrap().to_string();
        assert_eq!(u["usagePlanId"], pid.as_str());
        assert_eq!(u["values"][&kid], json!([[0, 3]]));
        let r = env.gw.admin(
            "GET",
            &format!("/usageplans/{pid}/usage?startDate={day}&endDate={day}&keyId={kid}"),
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["values"][&kid], json!([[0, 3]]));
        for q in [
            "startDate=2024-01-02&endDate=2024-01-01",
            "startDate=x&endDate=y",
            "endDate=2024-01-01",
        ] {
            let r = env
                .gw
                .admin("GET", &format!("/usageplans/{pid}/usage?{q}"), b"");
            assert_eq!(r.status, 400, "{q}: {}", r.text());
        }

        // Tags on every taggable resource, by ARN (encoded as botocore sends it, or not).
        for (arn, expect) in [
            (region_arn(&format!("/restapis/{api}")), json!({})),
            (
                region_arn(&format!("/restapis/{api}/stages/prod")),
                json!({}),
            ),
            (region_arn(&format!("/apikeys/{kid}")), json!({})),
            (
                region_arn(&format!("/usageplans/{pid}")),
                json!({"tier": "gold"}),
            ),
        ] {
            let encoded = arn.replace(':', "%3A").replace('/', "%2F");
            let r = env.gw.admin("GET", &format!("/tags/{encoded}"), b"");
            assert_eq!(r.status, 200, "{arn}: {}", r.text());
            assert_eq!(r.json()["tags"], expect, "{arn}");
            let r = env.gw.admin(
                "PUT",
                &format!("/tags/{encoded}"),
                br#"{"tags":{"env":"test","owner":"me"}}"#,
            );
            assert_eq!(r.status, 204, "{arn}: {}", r.text());
            let r = env.gw.admin(
                "DELETE",
                &format!("/tags/{arn}?tagKeys=owner&tagKeys=tier"),
                b"",
            );
            assert_eq!(r.status, 204, "{arn}: {}", r.text());
            let r = env.gw.admin("GET", &format!("/tags/{encoded}"), b"");
            assert_eq!(r.json()["tags"], json!({"env": "test"}), "{arn}");
        }
        let r = env.gw.admin(
            "PUT",
            &format!("/tags/{}", region_arn(&format!("/apikeys/{kid}"))),
            br#"{"tags":{"aws:reserved":"x"}}"#,
        );
        assert_eq!(r.status, 400);
        let r = env.gw.admin(
            "GET",
            &format!("/tags/{}", region_arn("/apikeys/nope")),
            b"",
        );
        assert_eq!(r.status, 404);
        let r = env.gw.admin("GET", "/tags/arn:aws:s3:::bucket", b"");
        assert_eq!(r.status, 400);
        let stage = env
            .gw
            .admin("GET", &format!("/restapis/{api}/stages/prod"), b"")
            .json();
        assert_eq!(stage["tags"], json!({"env": "test"}));

        // Everything survives a restart.
        env.gw.stop();
        env.gw.restart();
        let r = env.gw.admin("GET", &format!("/usageplans/{pid}"), b"");
        assert_eq!(r.json()["name"], "platinum");
        let r = env.gw.admin(
            "GET",
            &format!("/usageplans/{pid}/usage?startDate={day}&endDate={day}"),
            b"",
        );
        assert_eq!(r.json()["values"][&kid], json!([[0, 3]]));

        // Delete the key from the plan, the plan, the key.
        let r = env
            .gw
            .admin("DELETE", &format!("/usageplans/{pid}/keys/{kid}"), b"");
        assert_eq!(r.status, 202);
        let r = env
            .gw
            .admin("GET", &format!("/usageplans/{pid}/keys/{kid}"), b"");
        assert_eq!(r.status, 404);
        assert_eq!(
            env.gw
                .admin("DELETE", &format!("/usageplans/{pid}"), b"")
                .status,
            202
        );
        assert_eq!(
            env.gw
                .admin("GET", &format!("/usageplans/{pid}"), b"")
                .status,
            404
        );
        assert_eq!(
            env.gw.admin("GET", "/usageplans", b"").json()["item"],
            json!([])
        );
    });
}
