//! Request validation against the real binary: a method whose validator has
//! `validateRequestParameters` answers 400 BAD_REQUEST_PARAMETERS naming every required parameter
//! that is missing or blank, before the backend is called; a validator without it, or no
//! validator, lets the same request through; a customised BAD_REQUEST_PARAMETERS gateway response
//! prints the message. Each test runs on both drivers.

mod common;
use common::*;
use serde_json::json;

fn doc(be: &Backends) -> String {
    let echo = be.echo.hostport();
    let params = json!([
        {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
        {"name": "q", "in": "query", "required": true, "schema": {"type": "string"}},
        {"name": "X-Tenant", "in": "header", "required": true, "schema": {"type": "string"}},
        {"name": "opt", "in": "query", "required": false, "schema": {"type": "string"}}
    ]);
    let proxy = |validator: Option<&str>| {
        let mut op = json!({
            "parameters": params,
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "GET",
                "uri": format!("http://{echo}/items/{{id}}")}
        });
        if let Some(v) = validator {
            op["x-amazon-apigateway-request-validator"] = json!(v);
        }
        op
    };
    json!({
        "openapi": "3.0.1",
        "info": {"title": "validation", "version": "1"},
        "x-amazon-apigateway-request-validators": {
            "params": {"validateRequestParameters": true, "validateRequestBody": false},
            "body-only": {"validateRequestParameters": false, "validateRequestBody": false}
        },
        "paths": {
            "/checked/{id}": {"get": proxy(Some("params"))},
            "/unchecked/{id}": {"get": proxy(Some("body-only"))},
            "/plain/{id}": {"get": proxy(None)}
        }
    })
    .to_string()
}

/// (target, headers, the missing names AWS lists)
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

fn start(driver: &'static str, doc_text: &str) -> (Gateway, String) {
    let gw = Gateway::start(Opts::new(driver));
    let api = gw.import(doc_text);
    gw.deploy(&api, "prod", &[]);
    (gw, api)
}

#[test]
fn required_parameters_are_checked_before_the_backend() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let (gw, api) = start(driver, &doc(&be));
        let call =
            |target: &str, headers: &[(&str, &str)]| gw.call_h(&api, "GET", target, headers, b"");
        let cases: [Case; 4] = [
            ("/prod/checked/1", &[], "[x-tenant, q]"),
            ("/prod/checked/1?q=x", &[], "[x-tenant]"),
            ("/prod/checked/1?q=&opt=1", &[("X-Tenant", "t")], "[q]"),
            ("/prod/checked/1?q=x", &[("X-Tenant", "  ")], "[x-tenant]"),
        ];
        for (target, headers, names) in cases {
            let before = be.echo.requests();
            let r = call(target, headers);
            assert_eq!(r.status, 400, "{target}: {}", r.text());
            assert_eq!(
                r.json(),
                json!({"message": format!("Missing required request parameters: {names}")}),
                "{target}"
            );
            assert_eq!(
                be.echo.requests(),
                before,
                "{target}: the backend was called"
            );
            assert!(!r.closes(), "a validation failure keeps the connection");
        }
        let ok = call("/prod/checked/1?q=x", &[("X-Tenant", "t")]);
        assert_eq!(echoed(&ok)["path"], "/items/1");
        // Without validateRequestParameters, or without a validator, nothing is checked.
        for target in ["/prod/unchecked/1", "/prod/plain/1"] {
            echoed(&call(target, &[]));
        }
    });
}

#[test]
fn a_customised_bad_request_parameters_response_prints_the_names() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let mut d: serde_json::Value = serde_json::from_str(&doc(&be)).unwrap();
        d["x-amazon-apigateway-gateway-responses"] = json!({
            "BAD_REQUEST_PARAMETERS": {
                "statusCode": "422",
                "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
                "responseTemplates": {"application/json":
                    "{\"error\":\"$context.error.message\",\"type\":\"$context.error.responseType\",\"quoted\":$context.error.messageString}"}
            }
        });
        let (gw, api) = start(driver, &d.to_string());
        let r = gw.call(&api, "GET", "/prod/checked/7", b"");
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
        assert_eq!(
            r.json(),
            json!({
                "error": "Missing required request parameters: [x-tenant, q]",
                "type": "BAD_REQUEST_PARAMETERS",
                "quoted": "Missing required request parameters: [x-tenant, q]"
            })
        );
    });
}
