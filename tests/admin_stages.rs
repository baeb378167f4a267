//! Stages and deployments through the management API: CreateStage, UpdateStage's patch paths
//! (variables, deploymentId, method settings, canary settings), DeleteStage, UpdateDeployment and
//! DeleteDeployment, with AWS's statuses and messages. A stage patch takes effect on the data
//! plane at once, on a connection that was already open.

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

#[test]
fn stage_variable_patch_switches_backend_on_an_open_connection() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let mut conn = env.conn();
        let r = conn
            .request("GET", "/prod/proxy/x", &env.host, &[], b"")
            .unwrap();
        assert_eq!(echoed(&r)["backend"], "echo-a");

        let ops = json!([{"op": "replace", "path": "/variables/backend",
                          "value": env.be.echo_b.hostport()}]);
        let r = env.gw.admin(
            "PATCH",
            &format!("/restapis/{}/stages/prod", env.api),
            &patch(ops),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["variables"]["backend"], env.be.echo_b.hostport());

        // Same keep-alive connection, no restart: the next request goes to the other backend.
        let r = conn
            .request("GET", "/prod/proxy/x", &env.host, &[], b"")
            .unwrap();
        assert_eq!(echoed(&r)["backend"], "echo-b");

        // An invalid value is refused and changes nothing that is served.
        let ops = json!([{"op": "replace", "path": "/variables/backend", "value": "bad value"}]);
        let r = env.gw.admin(
            "PATCH",
            &format!("/restapis/{}/stages/prod", env.api),
            &patch(ops),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(error_type(&r), "BadRequestException");
        let r = conn
            .request("GET", "/prod/proxy/x", &env.host, &[], b"")
            .unwrap();
        assert_eq!(echoed(&r)["backend"], "echo-b");
    });
}

#[test]
fn create_update_delete_stage_and_deployments() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let api = &env.api;
        let prod = env
            .gw
            .admin("GET", &format!("/restapis/{api}/stages/prod"), b"");
        let d1 = prod.json()["deploymentId"].as_str().unwrap().to_string();

        // CreateStage on the existing deployment: served at once.
        let body = json!({"stageName": "beta", "deploymentId": d1, "description": "b",
                          "variables": {"backend": env.be.echo_b.hostport(), "tag": "t"},
                          "tags": {"team": "core"}, "tracingEnabled": true});
        let r = env.gw.admin(
            "POST",
            &format!("/restapis/{api}/stages"),
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let s = r.json();
        assert_eq!(
            (
                &s["stageName"],
                &s["deploymentId"],
                &s["tags"]["team"],
                &s["tracingEnabled"]
            ),
            (&json!("beta"), &json!(d1), &json!("core"), &json!(true))
        );
        assert_eq!(echoed(&env.get("/beta/proxy/y"))["backend"], "echo-b");

        // Duplicate, unknown deployment, bad name, unknown member.
        let r = env.gw.admin(
            "POST",
            &format!("/restapis/{api}/stages"),
            body.to_string().as_bytes(),
        );
        assert_eq!(
            (r.status, error_type(&r)),
            (409, "ConflictException".into())
        );
        assert_eq!(message(&r), "Stage already exists");
        for (body, status) in [
            (json!({"stageName": "x", "deploymentId": "nope"}), 404),
            (json!({"stageName": "a b", "deploymentId": d1}), 400),
            (
                json!({"stageName": "x".repeat(129), "deploymentId": d1}),
                400,
            ),
            (
                json!({"stageName": "x", "deploymentId": d1, "colour": 1}),
                400,
            ),
            (
                json!({"stageName": "x", "deploymentId": d1, "cacheClusterSize": "2"}),
                400,
            ),
        ] {
            let r = env.gw.admin(
                "POST",
                &format!("/restapis/{api}/stages"),
                body.to_string().as_bytes(),
            );
            assert_eq!(r.status, status, "{body}: {}", r.text());
        }

        // Method settings, wildcard and per method, keyed as AWS returns them.
        let ops = json!([
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "50"},
            {"op": "replace", "path": "/~1echo/GET/logging/loglevel", "value": "INFO"},
            {"op": "replace", "path": "/~1echo/GET/caching/ttlInSeconds", "value": "60"},
            {"op": "replace", "path": "/description", "value": "beta stage"},
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
            {"op": "replace", "path": "/cacheClusterSize", "value": "0.5"},
            {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "5"},
        ]);
        let r = env.gw.admin(
            "PATCH",
            &format!("/restapis/{api}/stages/beta"),
            &patch(ops),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let s = r.json();
        assert_eq!(s["methodSettings"]["*/*"]["throttlingRateLimit"], 100.0);
        assert_eq!(s["methodSettings"]["*/*"]["throttlingBurstLimit"], 50);
        assert_eq!(s["methodSettings"]["~1echo/GET"]["loggingLevel"], "INFO");
        assert_eq!(s["methodSettings"]["~1echo/GET"]["cacheTtlInSeconds"], 60);
        assert_eq!(s["description"], "beta stage");
        assert_eq!(s["cacheClusterSize"], "0.5");
        assert_eq!(s["canarySettings"]["percentTraffic"], 5.0);
        let got = env
            .gw
            .admin("GET", &format!("/restapis/{api}/stages/beta"), b"")
            .json();
        assert_eq!(got["methodSettings"], s["methodSettings"]);

        // Bad patch paths and values: 400 with AWS's message, nothing changed.
        for ops in [
            json!([{"op": "replace", "path": "/stageName", "value": "x"}]),
            json!([{"op": "replace", "path": "/*/*/logging/loglevel", "value": "LOUD"}]),
            json!([{"op": "replace", "path": "/deploymentId", "value": "nope"}]),
            json!([{"op": "jump", "path": "/description", "value": "x"}]),
        ] {
            let r = env.gw.admin(
                "PATCH",
                &format!("/restapis/{api}/stages/beta"),
                &patch(ops.clone()),
            );
            assert!(
                r.status == 400 || r.status == 404,
                "{ops}: {} {}",
                r.status,
                r.text()
            );
        }
        let r = env.gw.admin(
            "PATCH",
            &format!("/restapis/{api}/stages/beta"),
            &patch(json!([{"op": "replace", "path": "/stageName", "value": "x"}])),
        );
        assert!(
            message(&r).starts_with("Invalid patch path '/stageName' specified for op 'replace'"),
            "{}",
            message(&r)
        );
        let again = env
            .gw
            .admin("GET", &format!("/restapis/{api}/stages/beta"), b"")
            .json();
        assert_eq!(again["lastUpdatedDate"], s["lastUpdatedDate"]);

        // A second deployment; point beta at it; UpdateDeployment; DeleteDeployment refused
        // while a stage uses it.
        let r = env.gw.admin(
            "POST",
            &format!("/restapis/{api}/deployments"),
            br#"{"description":"second"}"#,
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let d2 = r.json()["id"].as_str().unwrap().to_string();
        let r = env.gw.admin(
            "PATCH",
            &format!("/restapis/{api}/stages/beta"),
            &patch(json!([{"op": "replace", "path": "/deploymentId", "value": d2}])),
        );
        assert_eq!(r.json()["deploymentId"], d2.as_str());
        let r = env.gw.admin(
            "PATCH",
            &format!("/restapis/{api}/deployments/{d2}"),
            &patch(json!([{"op": "replace", "path": "/description", "value": "renamed"}])),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["description"], "renamed");
        let r = env
            .gw
            .admin("DELETE", &format!("/restapis/{api}/deployments/{d2}"), b"");
        assert_eq!(
            (r.status, error_type(&r)),
            (400, "BadRequestException".into())
        );
        assert_eq!(
            message(&r),
            "Active stages pointing to this deployment must be moved or deleted"
        );

        // DeleteStage: gone from the admin API and the data plane; then the deployment can go.
        let r = env
            .gw
            .admin("DELETE", &format!("/restapis/{api}/stages/beta"), b"");
        assert_eq!(r.status, 202, "{}", r.text());
        let r = env
            .gw
            .admin("GET", &format!("/restapis/{api}/stages/beta"), b"");
        assert_eq!(r.status, 404);
        assert_eq!(message(&r), "Invalid Stage identifier specified");
        assert_ne!(env.get("/beta/proxy/y").status, 200);
        assert_eq!(echoed(&env.get("/prod/proxy/y"))["backend"], "echo-a");
        let r = env
            .gw
            .admin("DELETE", &format!("/restapis/{api}/deployments/{d2}"), b"");
        assert_eq!(r.status, 202, "{}", r.text());
        let r = env
            .gw
            .admin("GET", &format!("/restapis/{api}/deployments/{d2}"), b"");
        assert_eq!(r.status, 404);
        let r = env
            .gw
            .admin("DELETE", &format!("/restapis/{api}/stages/beta"), b"");
        assert_eq!(r.status, 404);
    });
}

#[test]
fn stage_changes_survive_a_restart() {
    for_each_driver(|driver| {
        let mut env = setup(Opts::new(driver));
        let api = env.api.clone();
        let ops = json!([{"op": "replace", "path": "/variables/backend",
                          "value": env.be.echo_b.hostport()},
                         {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"}]);
        let r = env.gw.admin(
            "PATCH",
            &format!("/restapis/{api}/stages/prod"),
            &patch(ops),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        env.gw.stop();
        env.gw.restart();
        let s = env
            .gw
            .admin("GET", &format!("/restapis/{api}/stages/prod"), b"")
            .json();
        assert_eq!(s["methodSettings"]["*/*"]["metricsEnabled"], true);
        assert_eq!(echoed(&env.get("/prod/proxy/z"))["backend"], "echo-b");
    });
}
