//! Canary releases acting on requests: the split follows `percentTraffic` (fractional, 0 and 100
//! included), the canary sees its `stageVariableOverrides` and `$context.isCanaryRequest` is
//! true for it only, CreateDeployment with `canarySettings` deploys to the canary only, a canary
//! naming a missing deployment or failing to compile is refused with nothing changed, promotion
//! through the aws CLI,
//! and a canary survives a restart.
//!
//! One MOCK method renders which deployment answered (`$context.deploymentId`), the stage
//! variable `color` and `$context.isCanaryRequest`, so two deployments of the same definition
//! tell themselves apart.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Output};

const REQUESTS: usize = 10_000;

fn doc() -> String {
    let template = r#"{"d":"$context.deploymentId","c":"$context.isCanaryRequest","v":"$stageVariables.color"}"#;
    json!({
        "openapi": "3.0.1",
        "info": {"title": "canary", "version": "1.0"},
        "paths": {
          "/up": {"get": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "GET",
                "uri": "http://127.0.0.1:${stageVariables.port}/up"
            }
          }},
          "/who": {"get": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "mock",
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "passthroughBehavior": "when_no_match",
                "responses": {"default": {
                    "statusCode": "200",
                    "responseTemplates": {"application/json": template}
                }}
            }
        }}}
    })
    .to_string()
}

fn patch(ops: Value) -> Vec<u8> {
    json!({ "patchOperations": ops }).to_string().into_bytes()
}

struct Canary {
    gw: Gateway,
    api: String,
    /// The stage's deployment (`prod`, color=blue).
    base: String,
}

impl Canary {
    fn start(driver: &'static str) -> Canary {
        let gw = Gateway::start(Opts::new(driver));
        let api = gw.import(&doc());
        let base = gw.deploy(&api, "prod", &[("color", "blue")]);
        Canary { gw, api, base }
    }

    /// CreateDeployment with `canarySettings`; the new deployment's id.
    fn deploy_canary(&self, settings: Value) -> String {
        let body = json!({"stageName": "prod", "canarySettings": settings}).to_string();
        let r = self.admin("POST", "deployments", body.as_bytes());
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["id"].as_str().unwrap().to_string()
    }

    /// An admin call under `/restapis/{api}/`.
    fn admin(&self, method: &str, path: &str, body: &[u8]) -> Response {
        self.gw
            .admin(method, &format!("/restapis/{}/{path}", self.api), body)
    }

    fn stage(&self) -> Value {
        let r = self.admin("GET", "stages/prod", b"");
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    fn update_stage(&self, ops: Value) -> Response {
        self.admin("PATCH", "stages/prod", &patch(ops))
    }

    fn set_percent(&self, pct: &str) {
        let r = self.update_stage(
            json!([{"op": "replace", "path": "/canarySettings/percentTraffic", "value": pct}]),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }

    /// `n` requests on one connection: how many the canary answered, checking on each answer
    /// that the deployment, the variables and `isCanaryRequest` agree.
    fn split(&self, n: usize, canary: Option<&str>) -> usize {
        let host = api_host(&self.api);
        let mut conn = self.gw.conn();
        let mut hits = 0;
        for _ in 0..n {
            let r = conn.request("GET", "/prod/who", &host, &[], b"").unwrap();
            assert_eq!(r.status, 200, "{}", r.text());
            let v = r.json();
            if v["c"] == "true" {
                assert_eq!(Some(v["d"].as_str().unwrap()), canary, "{v}");
                assert_eq!(v["v"], "green", "the canary sees its overrides: {v}");
                hits += 1;
            } else {
                assert_eq!(v, json!({"d": self.base, "c": "false", "v": "blue"}));
            }
        }
        hits
    }
}

/// `hits` of `n` is within ±3 percentage points of `pct`, and within 5 standard deviations of
/// what a fair draw gives (which binds for small percentages).
fn assert_share(hits: usize, n: usize, pct: f64) {
    let share = hits as f64 * 100.0 / n as f64;
    let expected = n as f64 * pct / 100.0;
    let sd = (n as f64 * pct / 100.0 * (1.0 - pct / 100.0)).sqrt();
    eprintln!("percentTraffic {pct}: {hits} of {n} to the canary ({share:.2}%)");
    assert!((share - pct).abs() <= 3.0, "{share}% for {pct}%");
    assert!(
        (hits as f64 - expected).abs() <= 5.0 * sd.max(1.0),
        "{hits} of {n} for {pct}% (expected {expected} ± {sd})"
    );
}

#[test]
fn split_follows_percent_traffic_and_the_canary_sees_its_overrides() {
    for_each_driver(|driver| {
        let c = Canary::start(driver);
        let d2 = c.deploy_canary(json!({"percentTraffic": 10.0,
                                        "stageVariableOverrides": {"color": "green"}}));
        // The stage keeps its deployment; the new one is the canary's.
        let s = c.stage();
        assert_eq!(s["deploymentId"], json!(c.base));
        assert_eq!(
            s["canarySettings"],
            json!({"deploymentId": d2, "percentTraffic": 10.0,
                   "stageVariableOverrides": {"color": "green"}, "useStageCache": false})
        );
        assert_eq!(s["variables"], json!({"color": "blue"}));

        assert_share(c.split(REQUESTS, Some(&d2)), REQUESTS, 10.0);
        c.set_percent("0.5");
        assert_share(c.split(REQUESTS, Some(&d2)), REQUESTS, 0.5);
        c.set_percent("0");
        assert_eq!(c.split(2_000, Some(&d2)), 0);
        c.set_percent("100");
        assert_eq!(c.split(2_000, Some(&d2)), 2_000);

        // Canary requests have metrics series of their own under the stage's name.
        c.gw.metrics_until("a canary series", |m| {
            m.lines().any(|l| {
                l.starts_with("tollgate_count{")
                    && l.contains("stage=\"prod\",canary=\"true\",resource=\"/who\"")
            }) && m.lines().any(|l| {
                l.starts_with("tollgate_count{") && l.contains("stage=\"prod\",resource=\"/who\"")
            })
        });

        // A deployment to the stage itself ends the canary release.
        let d3 = c.gw.deploy(&c.api, "prod", &[("color", "blue")]);
        assert!(c.stage().get("canarySettings").is_none());
        let host = api_host(&c.api);
        let r =
            c.gw.conn()
                .request("GET", "/prod/who", &host, &[], b"")
                .unwrap();
        assert_eq!(r.json(), json!({"d": d3, "c": "false", "v": "blue"}));
        let d4 = c.deploy_canary(json!({"percentTraffic": 100.0,
                                        "stageVariableOverrides": {"color": "green"}}));
        let r =
            c.gw.conn()
                .request("GET", "/prod/who", &host, &[], b"")
                .unwrap();
        assert_eq!(r.json(), json!({"d": d4, "c": "true", "v": "green"}));

        // Removing the canary sends everything to the stage's deployment again.
        let r = c.update_stage(json!([{"op": "remove", "path": "/canarySettings"}]));
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json().get("canarySettings").is_none());
        let mut conn = c.gw.conn();
        for _ in 0..200 {
            let r = conn.request("GET", "/prod/who", &host, &[], b"").unwrap();
            assert_eq!(r.json(), json!({"d": d3, "c": "false", "v": "blue"}));
        }
    });
}

#[test]
fn bad_canaries_are_refused_and_nothing_changes() {
    for_each_driver(|driver| {
        let c = Canary::start(driver);
        let d2 = c.deploy_canary(json!({"percentTraffic": 100,
                                        "stageVariableOverrides": {"color": "green"}}));
        let before = c.stage();
        let r = c.update_stage(
            json!([{"op": "replace", "path": "/canarySettings/deploymentId", "value": "nope"}]),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(message(&r), "Deployment id does not exist");
        assert_eq!(c.stage(), before);
        assert_eq!(c.split(50, Some(&d2)), 50);

        // A canary whose variables make its deployment fail to compile (port 99999 in an
        // integration URI): refused with the compiler's message, nothing changed.
        let r = c.update_stage(json!([{"op": "replace",
            "path": "/canarySettings/stageVariableOverrides/port", "value": "99999"}]));
        assert_eq!(r.status, 400, "{}", r.text());
        let m = message(&r);
        assert!(
            m.starts_with("Errors found while compiling:")
                && m.contains("its canary")
                && m.contains("Invalid HTTP endpoint specified for URI"),
            "{m}"
        );
        assert_eq!(c.stage(), before);
        assert_eq!(c.split(50, Some(&d2)), 50);

        // CreateStage with such a canary, and canary deployments without an existing stage.
        let body = json!({"stageName": "beta", "deploymentId": c.base,
                          "canarySettings": {"deploymentId": "nope", "percentTraffic": 5}});
        let r = c.admin("POST", "stages", body.to_string().as_bytes());
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(message(&r), "Deployment id does not exist");
        assert_eq!(c.admin("GET", "stages/beta", b"").status, 404);
        let r = c.admin(
            "POST",
            "deployments",
            json!({"canarySettings": {"percentTraffic": 5}})
                .to_string()
                .as_bytes(),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(
            message(&r),
            "Invalid deployment content specified.Non null and non empty stageName must be \
             provided for canary deployment. Provided value is null"
        );
        let r = c.admin(
            "POST",
            "deployments",
            json!({"stageName": "beta", "canarySettings": {"percentTraffic": 5}})
                .to_string()
                .as_bytes(),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(
            message(&r),
            "Invalid deployment content specified.Stage beta must already be created before \
             making a canary release deployment"
        );
        let deployments = c.admin("GET", "deployments", b"").json();
        assert_eq!(deployments["item"].as_array().unwrap().len(), 2);
        let r = c.admin(
            "POST",
            "deployments",
            json!({"stageName": "prod", "canarySettings": {"percentTraffic": 101}})
                .to_string()
                .as_bytes(),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(c.stage(), before);

        // Canary settings added by UpdateStage alone get AWS's defaults: the stage's deployment.
        let r = c.update_stage(json!([{"op": "remove", "path": "/canarySettings"}]));
        assert_eq!(r.status, 200, "{}", r.text());
        let r = c.update_stage(
            json!([{"op": "replace", "path": "/canarySettings/percentTraffic", "value": "50"}]),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.json()["canarySettings"],
            json!({"deploymentId": c.base, "percentTraffic": 50.0, "useStageCache": false})
        );
    });
}

#[test]
fn canary_survives_a_restart() {
    for_each_driver(|driver| {
        let mut c = Canary::start(driver);
        let d2 = c.deploy_canary(json!({"percentTraffic": 100,
                                        "stageVariableOverrides": {"color": "green"}}));
        // CreateStage with canarySettings: a second stage whose canary serves the same d2.
        let body = json!({"stageName": "beta", "deploymentId": c.base,
                          "variables": {"color": "blue"},
                          "canarySettings": {"deploymentId": d2, "percentTraffic": 100,
                                             "stageVariableOverrides": {"color": "green"}}});
        let r = c.admin("POST", "stages", body.to_string().as_bytes());
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(
            r.json()["canarySettings"],
            json!({"deploymentId": d2, "percentTraffic": 100.0,
                   "stageVariableOverrides": {"color": "green"}, "useStageCache": false})
        );
        let beta = |c: &Canary| {
            let r =
                c.gw.conn()
                    .request("GET", "/beta/who", &api_host(&c.api), &[], b"")
                    .unwrap();
            r.json()
        };
        assert_eq!(beta(&c), json!({"d": d2, "c": "true", "v": "green"}));
        // An override patched on a served canary takes effect at the next request.
        let r = c.admin(
            "PATCH",
            "stages/beta",
            &patch(json!([{"op": "replace",
                "path": "/canarySettings/stageVariableOverrides/color", "value": "teal"}])),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(beta(&c), json!({"d": d2, "c": "true", "v": "teal"}));
        c.gw.stop();
        c.gw.restart();
        assert_eq!(beta(&c), json!({"d": d2, "c": "true", "v": "teal"}));
        assert_eq!(c.split(100, Some(&d2)), 100);
        c.set_percent("0");
        c.gw.stop();
        c.gw.restart();
        assert_eq!(c.split(100, Some(&d2)), 0);
        assert_eq!(c.stage()["canarySettings"]["deploymentId"], json!(d2));
    });
}

// ---------------------------------------------------------------------------------------------
// Through the aws CLI
// ---------------------------------------------------------------------------------------------

/// `$TOLLGATE_AWS_CLI`, else `.venv/bin/aws`; `None` (skip) only with `TOLLGATE_SKIP_AWSCLI=1`.
fn aws_cli() -> Option<PathBuf> {
    let exe = std::env::var("TOLLGATE_AWS_CLI")
        .map(PathBuf::from)
        .ok()
        .or_else(|| {
            let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
            venv.exists().then_some(venv)
        });
    if exe.is_none() && std::env::var("TOLLGATE_SKIP_AWSCLI").as_deref() != Ok("1") {
        panic!("aws CLI not found: set TOLLGATE_AWS_CLI (or TOLLGATE_SKIP_AWSCLI=1)");
    }
    exe
}

fn aws(exe: &PathBuf, gw: &Gateway, home: &TempDir, args: &[&str]) -> Value {
    let out: Output = Command::new(exe)
        .arg("apigateway")
        .args(args)
        .args(["--endpoint-url", &format!("http://{}", gw.admin)])
        .args(["--region", "us-east-1", "--output", "json"])
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_ACCESS_KEY_ID", &gw.key.id)
        .env("AWS_SECRET_ACCESS_KEY", &gw.key.secret)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "aws apigateway {args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout).unwrap()
    }
}

#[test]
fn promotion_through_the_aws_cli() {
    let Some(exe) = aws_cli() else {
        return;
    };
    for_each_driver(|driver| {
        let c = Canary::start(driver);
        let home = TempDir::new("aws-canary");
        let run = |args: &[&str]| aws(&exe, &c.gw, &home, args);
        let dep = run(&[
            "create-deployment",
            "--rest-api-id",
            &c.api,
            "--stage-name",
            "prod",
            "--canary-settings",
            r#"{"percentTraffic":25.5,"stageVariableOverrides":{"color":"green"},"useStageCache":false}"#,
        ]);
        let d2 = dep["id"].as_str().unwrap().to_string();
        let s = run(&["get-stage", "--rest-api-id", &c.api, "--stage-name", "prod"]);
        assert_eq!(s["deploymentId"], json!(c.base));
        assert_eq!(s["canarySettings"]["deploymentId"], json!(d2));
        assert_eq!(s["canarySettings"]["percentTraffic"], json!(25.5));
        assert_share(c.split(2_000, Some(&d2)), 2_000, 25.5);

        // Promote as the developer guide does: the canary's deployment and variables to the
        // stage, the canary's traffic to 0.
        let ops = json!([
            {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0.0"},
            {"op": "copy", "from": "/canarySettings/stageVariableOverrides", "path": "/variables"},
            {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"}
        ])
        .to_string();
        let s = run(&[
            "update-stage",
            "--rest-api-id",
            &c.api,
            "--stage-name",
            "prod",
            "--patch-operations",
            &ops,
        ]);
        assert_eq!(s["deploymentId"], json!(d2));
        assert_eq!(s["variables"], json!({"color": "green"}));
        assert_eq!(s["canarySettings"]["percentTraffic"], json!(0.0));
        let host = api_host(&c.api);
        let mut conn = c.gw.conn();
        for _ in 0..500 {
            let r = conn.request("GET", "/prod/who", &host, &[], b"").unwrap();
            assert_eq!(r.json(), json!({"d": d2, "c": "false", "v": "green"}));
        }

        // Then turn the canary off.
        let s = run(&[
            "update-stage",
            "--rest-api-id",
            &c.api,
            "--stage-name",
            "prod",
            "--patch-operations",
            "op=remove,path=/canarySettings",
        ]);
        assert!(s.get("canarySettings").is_none(), "{s}");
        let r = conn.request("GET", "/prod/who", &host, &[], b"").unwrap();
        assert_eq!(r.json(), json!({"d": d2, "c": "false", "v": "green"}));
    });
}
