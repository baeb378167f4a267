//! Lambda integrations against the real binary and real functions: cargo-lambda's local Invoke
//! API runs the fixture functions of `tests/fixtures/lambda`, and the gateway reaches it through
//! `[aws.endpoints] lambda` with its own `[aws]` credentials and account. Covered: the proxy event
//! as a function receives it (echoed back), replies with custom status, headers and body,
//! malformed replies and function errors (502), an unknown function (500), a function slower than
//! `timeoutInMillis` (504), and a custom (`AWS`) integration whose template builds the payload and
//! whose function errors select a response by `errorMessage`. Each test runs on both drivers.
//!
//! Emulator behaviour asserted as such (see shared/COMPONENTS.md): a function error is HTTP 500
//! with an `errorMessage` body and no `X-Amz-Function-Error`, and an unknown function is 404.

mod common;
#[path = "support/lambda.rs"]
mod lambda;

use common::*;
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";

fn function_uri(name: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}/invocations"
    )
}

fn proxy(name: &str) -> Value {
    json!({"type": "aws_proxy", "httpMethod": "POST", "uri": function_uri(name)})
}

fn doc() -> String {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "lambdas", "version": "1"},
        "paths": {
            "/items/{id}": {"x-amazon-apigateway-any-method": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "x-amazon-apigateway-integration": proxy("echo")}},
            "/reply": {"post": {"x-amazon-apigateway-integration": proxy("reply")}},
            "/fail": {"post": {"x-amazon-apigateway-integration": proxy("fail")}},
            "/missing": {"get": {"x-amazon-apigateway-integration": proxy("nosuchfunction")}},
            "/slow": {"get": {"x-amazon-apigateway-integration": {
                "type": "aws_proxy", "httpMethod": "POST", "uri": function_uri("sleep"),
                "timeoutInMillis": 1000}}},
            "/calc": {"post": {
                "responses": {"200": {"description": "ok"}, "400": {"description": "bad"}},
                "x-amazon-apigateway-integration": {
                    "type": "aws", "httpMethod": "POST", "uri": function_uri("custom"),
                    "passthroughBehavior": "when_no_templates",
                    "requestTemplates": {"application/json":
                        "#set($b = $input.path('$'))\n{\"a\": $b.a, \"b\": $b.b#if($b.fail), \"fail\": \"$b.fail\"#end}"},
                    "responses": {
                        "default": {"statusCode": "200", "responseTemplates": {"application/json":
                            "{\"sum\": $input.json('$.sum'), \"sawA\": $input.json('$.payload.a')}"}},
                        ".*invalid.*": {"statusCode": "400", "responseTemplates": {"application/json":
                            "{\"error\": \"$input.path('$.errorMessage')\"}"}}}}}}
        }
    })
    .to_string()
}

/// A gateway whose `[aws]` points Lambda at `emulator`, with the fixture API deployed to `prod`.
fn gateway(driver: &'static str, emulator: &lambda::Emulator) -> (Gateway, String) {
    let config = Config {
        extra: format!(
            "[aws]\naccount_id = \"{ACCOUNT}\"\nregion = \"us-east-1\"\naccess_key_id = \"AKIDLAMBDATEST\"\nsecret_access_key = \"lambda-test-secret\"\n[aws.endpoints]\nlambda = \"{}\"\n",
            emulator.url()
        ),
        ..Config::default()
    };
    let gw = Gateway::start(Opts::new(driver).config(config));
    let api = gw.import(&doc());
    gw.deploy(&api, "prod", &[("env", "test")]);
    (gw, api)
}

#[test]
fn proxy_events_reach_the_function_and_replies_come_back() {
    let emulator = lambda::Emulator::start();
    for_each_driver(|driver| {
        let (gw, api) = gateway(driver, &emulator);
        let r = gw.call_h(
            &api,
            "PUT",
            "/prod/items/a%20b?q=1&q=2&x=y",
            &[
                ("X-Dup", "1"),
                ("X-Dup", "2"),
                ("Content-Type", "text/plain"),
            ],
            b"hello",
        );
        assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
        assert_eq!(r.header("x-fixture"), Some("echo"));
        assert_eq!(r.header_count("x-multi"), 2);
        let e = r.json();
        assert_eq!(e["resource"], "/items/{id}");
        assert_eq!(e["path"], "/items/a%20b");
        assert_eq!(e["httpMethod"], "PUT");
        assert_eq!(e["pathParameters"], json!({"id": "a b"}));
        assert_eq!(e["queryStringParameters"], json!({"q": "2", "x": "y"}));
        assert_eq!(e["multiValueQueryStringParameters"]["q"], json!(["1", "2"]));
        assert_eq!(e["headers"]["X-Dup"], "2");
        assert_eq!(e["multiValueHeaders"]["X-Dup"], json!(["1", "2"]));
        assert_eq!(e["stageVariables"], json!({"env": "test"}));
        assert_eq!(e["body"], "hello");
        assert_eq!(e["isBase64Encoded"], false);
        let rc = &e["requestContext"];
        assert_eq!(rc["stage"], "prod");
        assert_eq!(rc["apiId"], api.as_str());
        assert_eq!(rc["path"], "/prod/items/a%20b");
        assert_eq!(rc["identity"]["sourceIp"], "127.0.0.1");
        assert_eq!(rc["accountId"].as_str().map(str::len), Some(12));
        assert_eq!(rc["requestId"].as_str(), r.header("x-amzn-RequestId"));

        // The function's reply decides status, headers and body.
        let reply = json!({"statusCode": 418, "headers": {"X-Teapot": "yes", "Content-Type": "text/plain"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": "short and stout"});
        let r = gw.call(&api, "POST", "/prod/reply", reply.to_string().as_bytes());
        assert_eq!(r.status, 418, "{}", r.text());
        assert_eq!(r.text(), "short and stout");
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert_eq!(r.header("x-teapot"), Some("yes"));
        assert_eq!(r.header_count("set-cookie"), 2);
    });
}

#[test]
fn function_errors_malformed_replies_and_invoke_failures() {
    let emulator = lambda::Emulator::start();
    // The fixtures as the emulator runs them.
    assert_eq!(emulator.invoke("fail", b"{}").0, 500);
    assert_eq!(emulator.invoke("nosuchfunction", b"{}").0, 404);
    for_each_driver(|driver| {
        let (gw, api) = gateway(driver, &emulator);
        let internal = r#"{"message":"Internal server error"}"#;
        for (method, target, body, status) in [
            ("POST", "/prod/fail", &b"x"[..], 502),
            ("POST", "/prod/reply", br#""just a string""#, 502),
            ("POST", "/prod/reply", br#"{"body":"no status"}"#, 502),
            (
                "POST",
                "/prod/reply",
                br#"{"statusCode":200,"body":{"a":1}}"#,
                502,
            ),
            ("GET", "/prod/missing", b"", 500),
        ] {
            let r = gw.call(&api, method, target, body);
            assert_eq!(r.status, status, "{target} {}", r.text());
            assert_eq!(r.text(), internal, "{target}");
        }
        let log = gw.stderr();
        assert!(
            log.contains("due to customer function error: boom: x"),
            "{log}"
        );
        assert!(log.contains("Malformed Lambda proxy response"), "{log}");
        assert!(
            log.contains("Lambda invocation failed with status: 404"),
            "{log}"
        );
        assert!(
            !log.contains("lambda-test-secret"),
            "a secret reached the log"
        );

        // Slower than timeoutInMillis: 504, and the gateway serves the next call at once (another
        // function: the emulator runs one instance of each, still busy sleeping).
        let r = gw.call(&api, "GET", "/prod/slow?ms=3000", b"");
        assert_eq!(r.status, 504, "{}", r.text());
        assert_eq!(gw.call(&api, "GET", "/prod/items/1", b"").status, 200);
    });
}

#[test]
fn custom_integrations_template_the_payload_and_select_errors() {
    let emulator = lambda::Emulator::start();
    for_each_driver(|driver| {
        let (gw, api) = gateway(driver, &emulator);
        let h = [("Content-Type", "application/json")];
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/calc",
            &h,
            br#"{"a": 2, "b": 3.5, "ignored": true}"#,
        );
        assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
        assert_eq!(r.json(), json!({"sum": 5.5, "sawA": 2}));
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/calc",
            &h,
            br#"{"a": 1, "b": 1, "fail": "invalid operand"}"#,
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.json(), json!({"error": "invalid operand"}));
    });
}
