//! Request validation against the real binary: a method whose validator has
//! `validateRequestParameters` answers 400 BAD_REQUEST_PARAMETERS naming every required parameter
//! that is missing or blank, before the backend is called; a validator without it, or no
//! validator, lets the same request through; a customised BAD_REQUEST_PARAMETERS gateway response
//! prints the message. `validateRequestBody` checks bodies against the method's models by content
//! type (400 BAD_REQUEST_BODY, `$context.error.validationErrorString` in fge's wording), and an
//! invalid model fails the deployment. Each test runs on both drivers.

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

/// An API whose POST /pets validates bodies: `application/json` against `Pet` (which refers to
/// `Tag`), `$default` against `Note`, nothing for other types on /loose (no `$default` there),
/// AWS's `Empty` model on /bare (no model at all).
fn body_doc(be: &Backends) -> serde_json::Value {
    let echo = be.echo.hostport();
    let op = |content: serde_json::Value| {
        json!({
            "requestBody": {"content": content},
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-request-validator": "body",
            "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "POST", "uri": format!("http://{echo}/pets")}
        })
    };
    let schema = |name: &str| json!({"schema": {"$ref": format!("#/components/schemas/{name}")}});
    json!({
        "openapi": "3.0.1",
        "info": {"title": "bodies", "version": "1"},
        "x-amazon-apigateway-request-validators": {
            "body": {"validateRequestParameters": false, "validateRequestBody": true}
        },
        "components": {"schemas": {
            "Pet": {
                "type": "object",
                "required": ["name", "id"],
                "additionalProperties": false,
                "properties": {
                    "id": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "name": {"type": "string", "minLength": 2, "maxLength": 8},
                    "kind": {"type": "string", "enum": ["cat", "dog"]},
                    "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    "tag": {"$ref": "#/components/schemas/Tag"}
                }
            },
            "Tag": {"type": "object", "required": ["label"], "properties": {"label": {"type": "string"}}},
            "Note": {"type": "string"}
        }},
        "paths": {
            "/pets": {"post": op(json!({"application/json": schema("Pet"), "$default": schema("Note")}))},
            "/loose": {"post": op(json!({"application/json": schema("Pet")}))},
            "/bare": {"post": op(json!({}))}
        }
    })
}

#[test]
fn request_bodies_are_validated_against_the_method_s_models() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let (gw, api) = start(driver, &body_doc(&be).to_string());
        let json_ct = [("Content-Type", "application/json")];
        let post = |target: &str, headers: &[(&str, &str)], body: &str| {
            gw.call_h(&api, "POST", target, headers, body.as_bytes())
        };
        // Valid bodies pass, with or without parameters on the media type, or no Content-Type.
        for headers in [
            &json_ct[..],
            &[("Content-Type", "Application/JSON; charset=utf-8")],
            &[],
        ] {
            let r = post(
                "/prod/pets",
                headers,
                r#"{"id": 7, "name": "rex", "tag": {"label": "x"}}"#,
            );
            assert_eq!(echoed(&r)["path"], "/pets", "{headers:?}");
        }
        let invalid = [
            r#"{"name": "rex"}"#,
            r#"{"id": "7", "name": "rex"}"#,
            r#"{"id": 0, "name": "rex"}"#,
            r#"{"id": 1, "name": "r"}"#,
            r#"{"id": 1, "name": "rex", "tag": {}}"#,
            "not json",
            "",
        ];
        for body in invalid {
            let before = be.echo.requests();
            let r = post("/prod/pets", &json_ct, body);
            assert_eq!(r.status, 400, "{body}: {}", r.text());
            assert_eq!(
                r.json(),
                json!({"message": "Invalid request body"}),
                "{body}"
            );
            assert_eq!(r.header("x-amzn-ErrorType"), Some("BadRequestException"));
            assert_eq!(be.echo.requests(), before, "{body}: the backend was called");
            assert!(!r.closes());
        }
        // `$default` covers other media types; without it they are not validated (as on AWS).
        assert_eq!(
            post("/prod/pets", &[("Content-Type", "text/plain")], "\"note\"").status,
            200
        );
        let r = post(
            "/prod/pets",
            &[("Content-Type", "text/plain")],
            r#"{"id": 1}"#,
        );
        assert_eq!(r.status, 400, "{}", r.text());
        let r = post("/prod/loose", &[("Content-Type", "text/plain")], "anything");
        assert_eq!(echoed(&r)["path"], "/pets");
        assert_eq!(post("/prod/loose", &[], "anything").status, 400);
        // No model at all: AWS's `Empty` model (any object; an empty body counts as `{}`).
        for body in ["", r#"{"any": 1}"#] {
            assert_eq!(echoed(&post("/prod/bare", &json_ct, body))["path"], "/pets");
        }
        for body in ["[1]", "\"text\"", "nope"] {
            assert_eq!(post("/prod/bare", &json_ct, body).status, 400, "{body}");
        }
    });
}

#[test]
fn validation_error_string_reaches_a_customised_bad_request_body_response() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let mut d = body_doc(&be);
        d["x-amazon-apigateway-gateway-responses"] = json!({
            "BAD_REQUEST_BODY": {
                "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
                "responseTemplates": {"application/json":
                    "{\"message\":$context.error.messageString,\"errors\":\"$context.error.validationErrorString\"}"}
            }
        });
        let (gw, api) = start(driver, &d.to_string());
        let ct = [("Content-Type", "application/json")];
        let cases = [
            (r#"{"id": 1}"#, r#"[object has missing required properties (["name"])]"#),
            (
                r#"{"id": "1", "name": "rex"}"#,
                r#"[instance type (string) does not match any allowed primitive type (allowed: ["integer"])]"#,
            ),
            (
                r#"{"id": 1, "name": "rex", "kind": "cow"}"#,
                r#"[instance value ("cow") not found in enum (possible values: ["cat","dog"])]"#,
            ),
            (
                r#"{"id": 0, "name": "rex"}"#,
                "[numeric instance is lower than the required minimum (minimum: 1, found: 0)]",
            ),
            (
                r#"{"id": 1001, "name": "rex"}"#,
                "[numeric instance is greater than the required maximum (maximum: 1000, found: 1001)]",
            ),
            (
                r#"{"id": 1, "name": "r"}"#,
                r#"[string "r" is too short (length: 1, required minimum: 2)]"#,
            ),
            (
                r#"{"id": 1, "name": "abcdefghi"}"#,
                r#"[string "abcdefghi" is too long (length: 9, maximum allowed: 8)]"#,
            ),
            (
                r#"{"id": 1, "name": "rex", "code": "ab"}"#,
                r#"[ECMA 262 regex "^[A-Z]{3}$" does not match input string "ab"]"#,
            ),
            (
                r#"{"id": 1, "name": "rex", "extra": true}"#,
                r#"[object instance has properties which are not allowed by the schema: ["extra"]]"#,
            ),
            (
                r#"{"id": 1, "name": "rex", "tag": {}}"#,
                r#"[object has missing required properties (["label"])]"#,
            ),
            ("{oops", "[Unknown error parsing request body]"),
        ];
        for (body, want) in cases {
            let r = gw.call_h(&api, "POST", "/prod/pets", &ct, body.as_bytes());
            assert_eq!(r.status, 400, "{body}: {}", r.text());
            assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
            assert_eq!(
                r.json(),
                json!({"message": "Invalid request body", "errors": want}),
                "{body}"
            );
        }
    });
}

#[test]
fn an_invalid_model_fails_the_deployment_with_its_location() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let mut d = body_doc(&be);
        d["components"]["schemas"]["Tag"] = json!({"type": "string", "pattern": "(?<=x)y"});
        let gw = Gateway::start(Opts::new(driver));
        let api = gw.import(&d.to_string());
        let r = gw.admin(
            "POST",
            &format!("/restapis/{api}/deployments"),
            br#"{"stageName": "prod"}"#,
        );
        assert_eq!(r.status, 400, "{}", r.text());
        let text = r.text();
        assert!(
            text.contains("Invalid model schema specified for model 'Tag'")
                && text.contains("/models/1/schema"),
            "{text}"
        );
        // Nothing was published.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/pets",
            &[("Content-Type", "application/json")],
            br#"{"id": 1, "name": "rex"}"#,
        );
        assert_eq!(r.status, 403, "{}", r.text());
    });
}
