//! Fail closed: every authorization API Gateway has is enforced, so what is refused now is
//! protection Tollgate cannot honour as written — an authorizer that does not compile (an invalid
//! `identityValidationExpression`), a user pool named through stage variables, a resource policy
//! condition it does not evaluate. Such an API is stored, read back and exported unchanged, but
//! never deployed: CreateDeployment answers 400 BadRequestException naming what is wrong, and the
//! stage keeps serving its previous deployment. Through the admin API, the aws CLI, boot
//! `[[apis]]`, SIGHUP and `tollgate check`.

mod common;
use common::*;

use serde_json::{json, Value};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

const LAMBDA: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations";

/// `version.yaml` as JSON: `GET /version` (and `POST /version` when `post`) answering `version`.
fn versioned(version: &str, post: bool) -> Value {
    let op = json!({
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "responses": {"default": {"statusCode": "200",
                "responseTemplates": {"application/json": format!("{{\"version\":\"{version}\"}}")}}}
        }
    });
    let mut path = json!({"get": op.clone()});
    if post {
        path["post"] = op;
    }
    json!({
        "openapi": "3.0.1",
        "info": {"title": "versioned", "version": "1.0"},
        "paths": {"/version": path},
    })
}

/// `doc` with `scheme` (named `s`) required by every operation.
fn secured(mut doc: Value, scheme: Value) -> Value {
    doc["components"] = json!({"securitySchemes": {"s": scheme}});
    for op in doc["paths"]["/version"]
        .as_object_mut()
        .unwrap()
        .values_mut()
    {
        op["security"] = json!([{"s": []}]);
    }
    doc
}

/// A TOKEN authorizer whose `identityValidationExpression` is not a regular expression: stored
/// as AWS stores it, refused when deployed (it could never check a token).
fn custom_scheme() -> Value {
    json!({"type": "apiKey", "name": "Authorization", "in": "header",
           "x-amazon-apigateway-authtype": "custom",
           "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": LAMBDA,
               "identityValidationExpression": "Bearer (["}})
}

const BAD_EXPRESSION: &str = "invalid identityValidationExpression";
const POOL_VARIABLES: &str =
    "stage variables in providerARNs are not supported by this Tollgate version";

/// (case, the v2 document declaring it, what the refusal must say).
fn cases() -> Vec<(&'static str, Value, Vec<&'static str>)> {
    let pool = json!({"type": "apiKey", "name": "Authorization", "in": "header",
        "x-amazon-apigateway-authtype": "cognito_user_pools",
        "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools",
            "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/${stageVariables.pool}"]}});
    vec![
        (
            "TOKEN authorizer",
            secured(versioned("v2", true), custom_scheme()),
            vec![BAD_EXPRESSION],
        ),
        (
            "user pool by stage variable",
            secured(versioned("v2", false), pool),
            vec![POOL_VARIABLES],
        ),
    ]
}

fn version(gw: &Gateway, api: &str) -> String {
    let r = gw.call(api, "GET", "/prod/version", b"");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["version"].as_str().unwrap().to_string()
}

fn assert_refused(r: &Response, lines: &[&str], case: &str) {
    assert_eq!(r.status, 400, "{case}: {}", r.text());
    let et = r.header("x-amzn-ErrorType").unwrap_or_default();
    assert!(et.starts_with("BadRequestException"), "{case}: {et:?}");
    let msg = message(r);
    for line in lines {
        assert!(msg.contains(line), "{case}: {line:?} not in {msg:?}");
    }
}

#[test]
fn protection_that_cannot_be_honoured_is_refused_and_the_old_deployment_keeps_serving() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let id = gw.import(&versioned("v1", false).to_string());
        gw.deploy(&id, "prod", &[]);
        assert_eq!(version(&gw, &id), "v1");
        for (case, doc, lines) in cases() {
            let r = gw.admin(
                "PUT",
                &format!("/restapis/{id}?mode=overwrite"),
                doc.to_string().as_bytes(),
            );
            assert_eq!(r.status, 200, "{case}: stored: {}", r.text());
            for body in [json!({"stageName": "prod"}), json!({})] {
                let r = gw.admin(
                    "POST",
                    &format!("/restapis/{id}/deployments"),
                    body.to_string().as_bytes(),
                );
                assert_refused(&r, &lines, case);
            }
            assert_eq!(version(&gw, &id), "v1", "{case}: the old deployment serves");
        }
        let r = gw.admin("GET", &format!("/restapis/{id}/deployments"), b"");
        assert_eq!(
            r.json()["item"].as_array().unwrap().len(),
            1,
            "{}",
            r.text()
        );

        // The same API without the protection deploys.
        let r = gw.admin(
            "PUT",
            &format!("/restapis/{id}?mode=overwrite"),
            versioned("v2", false).to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        gw.deploy(&id, "prod", &[]);
        assert_eq!(version(&gw, &id), "v2");
    });
}

/// A resource policy is enforced, so one Tollgate cannot evaluate (a condition key it does not
/// know) is refused at deploy, naming the key, and the old deployment keeps serving.
#[test]
fn a_resource_policy_with_an_unsupported_condition_is_refused_naming_it() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let id = gw.import(&versioned("v1", false).to_string());
        gw.deploy(&id, "prod", &[]);
        let mut doc = versioned("v2", false);
        doc["x-amazon-apigateway-policy"] = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
             "Resource": "execute-api:/*",
             "Condition": {"StringEquals": {"aws:Referer": "https://example.com"}}}]});
        let r = gw.admin(
            "PUT",
            &format!("/restapis/{id}?mode=overwrite"),
            doc.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "stored: {}", r.text());
        let r = gw.admin(
            "POST",
            &format!("/restapis/{id}/deployments"),
            br#"{"stageName":"prod"}"#,
        );
        assert_eq!(r.status, 400, "{}", r.text());
        let msg = message(&r);
        assert!(
            msg.contains("condition key aws:Referer under StringEquals is not supported"),
            "{msg}"
        );
        assert_eq!(version(&gw, &id), "v1", "the old deployment serves");
        // A policy it can evaluate deploys, and is enforced (this one denies everything).
        doc["x-amazon-apigateway-policy"]["Statement"][0]["Effect"] = json!("Deny");
        doc["x-amazon-apigateway-policy"]["Statement"][0]
            .as_object_mut()
            .unwrap()
            .remove("Condition");
        let r = gw.admin(
            "PUT",
            &format!("/restapis/{id}?mode=overwrite"),
            doc.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        gw.deploy(&id, "prod", &[]);
        let r = gw.call(&id, "GET", "/prod/version", b"");
        assert_eq!(r.status, 403, "{}", r.text());
        assert!(
            message(&r).ends_with("/prod/GET/version with an explicit deny"),
            "{}",
            r.text()
        );
    });
}

/// Import and the management API keep such definitions; they read back and export unchanged.
#[test]
fn protected_definitions_import_read_back_and_export() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let mut doc = secured(versioned("v1", true), custom_scheme());
        doc["paths"]["/version"]["post"]["security"] = json!([{"k": []}]);
        doc["components"]["securitySchemes"]["k"] =
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"});
        doc["x-amazon-apigateway-policy"] = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]});
        let id = gw.import(&doc.to_string());
        let api = gw.admin("GET", &format!("/restapis/{id}"), b"").json();
        assert!(
            api["policy"].as_str().unwrap().contains("2012-10-17"),
            "{api}"
        );
        let resources = gw
            .admin("GET", &format!("/restapis/{id}/resources"), b"")
            .json();
        let res = resources["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == "/version")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let method = |verb: &str| {
            gw.admin(
                "GET",
                &format!("/restapis/{id}/resources/{res}/methods/{verb}"),
                b"",
            )
            .json()
        };
        let get = method("GET");
        assert_eq!(get["authorizationType"], "CUSTOM", "{get}");
        let authorizer = get["authorizerId"].as_str().unwrap().to_string();
        let post = method("POST");
        assert_eq!(post["apiKeyRequired"], true, "{post}");
        assert_eq!(post["authorizationType"], "NONE", "{post}");
        let a = gw
            .admin(
                "GET",
                &format!("/restapis/{id}/authorizers/{authorizer}"),
                b"",
            )
            .json();
        assert_eq!(a["authorizerUri"], LAMBDA, "{a}");

        // UpdateMethod stores another type too.
        let r = gw.admin(
            "PATCH",
            &format!("/restapis/{id}/resources/{res}/methods/POST"),
            br#"{"patchOperations":[{"op":"replace","path":"/authorizationType","value":"AWS_IAM"}]}"#,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(method("POST")["authorizationType"], "AWS_IAM");

        // Refused to deploy; nothing served, no stage, no deployment.
        let r = gw.admin(
            "POST",
            &format!("/restapis/{id}/deployments"),
            br#"{"stageName":"prod"}"#,
        );
        assert_refused(&r, &[BAD_EXPRESSION], "all");
        let stages = gw
            .admin("GET", &format!("/restapis/{id}/stages"), b"")
            .json();
        assert_eq!(stages["item"].as_array().map(Vec::len), Some(0), "{stages}");
        assert_missing_token(&gw.call(&id, "GET", "/prod/version", b""));

        // Export: GetExport reads a stage, so the protection is taken off to deploy one, and
        // the export still carries the stored authorizer, key source and policy.
        let r = gw.admin(
            "PATCH",
            &format!("/restapis/{id}/resources/{res}/methods/POST"),
            br#"{"patchOperations":[{"op":"replace","path":"/authorizationType","value":"NONE"},
                {"op":"replace","path":"/apiKeyRequired","value":"false"}]}"#,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let r = gw.admin(
            "PATCH",
            &format!("/restapis/{id}/resources/{res}/methods/GET"),
            br#"{"patchOperations":[{"op":"replace","path":"/authorizationType","value":"NONE"}]}"#,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let r = gw.admin(
            "PATCH",
            &format!("/restapis/{id}"),
            br#"{"patchOperations":[{"op":"replace","path":"/policy","value":""}]}"#,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        gw.deploy(&id, "prod", &[]);
        assert_eq!(version(&gw, &id), "v1");
        let doc = gw
            .admin(
                "GET",
                &format!("/restapis/{id}/stages/prod/exports/oas30?extensions=apigateway"),
                b"",
            )
            .json();
        let scheme = &doc["components"]["securitySchemes"]["s"];
        assert_eq!(
            scheme["x-amazon-apigateway-authorizer"]["authorizerUri"], LAMBDA,
            "{doc}"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Boot config, SIGHUP and `tollgate check`
// ---------------------------------------------------------------------------------------------

fn boot_config(tmp: &TempDir) -> PathBuf {
    let cfg = Config {
        extra:
            "[[apis]]\nfile = \"api.json\"\nid = \"bootapi001\"\n[[apis.stages]]\nname = \"prod\"\n"
                .into(),
        ..Config::default()
    };
    tmp.write("tollgate.toml", &cfg.render())
}

/// Runs `tollgate run` on `config`, expecting it to exit with an error; returns its stderr.
fn failed_start(tmp: &TempDir, config: &str, driver: &str) -> String {
    let data = tmp.join("data");
    let mut child = Command::new(bin())
        .args(["run", "--config", config, "--listen", "127.0.0.1:0"])
        .args(["--admin", "127.0.0.1:0", "--driver", driver, "--data-dir"])
        .arg(&data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("tollgate started on a refused boot API");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success(), "{stderr}");
    stderr
}

#[test]
fn boot_sighup_and_check_refuse_protection_that_cannot_be_honoured() {
    for_each_driver(|driver| {
        let tmp = TempDir::new(driver);
        let protected = secured(versioned("v2", false), custom_scheme()).to_string();
        let config = boot_config(&tmp);
        let path = config.to_str().unwrap().to_string();

        // `tollgate check` names the method.
        tmp.write("api.json", &protected);
        let (status, out) = run_cli(&["check", &path]);
        assert!(!status.success(), "{out}");
        assert!(out.contains(BAD_EXPRESSION), "{out}");

        // A start on it fails, naming it.
        let stderr = failed_start(&tmp, &path, driver);
        assert!(stderr.contains(BAD_EXPRESSION), "{stderr}");

        // A SIGHUP onto it changes nothing and says why.
        tmp.write("api.json", &versioned("v1", false).to_string());
        let (status, out) = run_cli(&["check", &path]);
        assert!(status.success(), "{out}");
        let gw = Gateway::start_with_config_file(driver, tmp, config);
        assert_eq!(version(&gw, "bootapi001"), "v1");
        gw.tmp.write("api.json", &protected);
        gw.sighup();
        wait_for(
            "the refused reload in the log",
            Duration::from_secs(10),
            || {
                let log = gw.stderr();
                (log.contains("reload failed, nothing changed") && log.contains(BAD_EXPRESSION))
                    .then_some(())
            },
        );
        assert_eq!(version(&gw, "bootapi001"), "v1");
    });
}
