//! Velocity mapping templates against the real binary: a request template reshapes the body an
//! HTTP backend receives (with `$input.path`, `$input.json`, `$input.params`, `$context`,
//! `$stageVariables`, `$util`) and overrides its headers and query; a response template reshapes
//! the backend's answer and overrides the status and a header; MOCK methods take their status
//! from the rendered template; templates are chosen by Content-Type and Accept; NEVER refuses an
//! unmapped type; a body that is not JSON, and a runaway template, get AWS's answers. Each test
//! runs on both drivers.

mod common;
use common::*;
use serde_json::{json, Value};

const PET_REQUEST: &str = r##"#set($pet = $input.path('$'))
#set($context.requestOverride.header.X-Tenant = "t-$pet.type")
#set($context.requestOverride.querystring.kind = $pet.type)
#set($context.requestOverride.path.id = "pet $pet.type/1")
{
  "kind": "$pet.type",
  "price": $pet.price,
  "tags": [#foreach($t in $pet.tags)"$t"#if($foreach.hasNext),#end#end],
  "owner": $input.json('$.owner'),
  "id": "$input.params('id')",
  "stage": "$context.stage",
  "env": "$stageVariables.env",
  "quoted": "$util.escapeJavaScript($pet.name)"
}"##;

const PET_RESPONSE: &str = r#"#set($b = $input.path('$'))
#set($sent = $util.parseJson($b.body))
#set($context.responseOverride.status = 201)
#set($context.responseOverride.header.X-Rendered = "yes")
{"backendSaw": $sent.price, "method": "$b.method", "query": "$b.query", "tenant": "$b.headers.get('x-tenant')"}"#;

fn doc(be: &Backends) -> String {
    let echo = be.echo.hostport();
    json!({
        "openapi": "3.0.1",
        "info": {"title": "templates", "version": "1"},
        "paths": {
            "/pets/{id}": {"post": {
                "parameters": [{"name": "id", "in": "path", "required": true,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}, "201": {"description": "made",
                    "headers": {"X-Rendered": {"schema": {"type": "string"}}}}},
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "POST",
                    "uri": format!("http://{echo}/store/{{id}}"),
                    "requestParameters": {"integration.request.path.id": "method.request.path.id"},
                    "passthroughBehavior": "never",
                    "requestTemplates": {
                        "application/json": PET_REQUEST,
                        "application/xml": "<pet id=\"$input.params('id')\">$input.body</pet>"
                    },
                    "responses": {"default": {"statusCode": "200",
                        "responseTemplates": {
                            "application/json": PET_RESPONSE,
                            "text/plain": "plain: #set($b = $input.path('$'))$b.method"
                        }}}
                }}},
            "/mock": {"get": {
                "parameters": [{"name": "code", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}, "404": {"description": "missing"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json":
                        "#if($input.params('code') == 'missing'){\"statusCode\": 404}#else{\"statusCode\": 200}#end"},
                    "responses": {
                        "404": {"statusCode": "404", "selectionPattern": "404",
                            "responseTemplates": {"application/json":
                                "{\"message\": \"no pet $input.params('code')\"}"}},
                        "default": {"statusCode": "200",
                            "responseTemplates": {"application/json":
                                "{\"ok\": true, \"path\": \"$context.resourcePath\", \"epoch\": $context.requestTimeEpoch}"}}
                    }
                }}},
            "/runaway": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json":
                        "#foreach($a in [1..1000])#foreach($b in [1..1000])#foreach($c in [1..1000])x#end#end#end"},
                    "responses": {"default": {"statusCode": "200"}}
                }}}
        }
    })
    .to_string()
}

fn start(driver: &'static str, be: &Backends) -> (Gateway, String) {
    let gw = Gateway::start(Opts::new(driver));
    let api = gw.import(&doc(be));
    gw.deploy(&api, "prod", &[("env", "staging")]);
    (gw, api)
}

const PET: &str = r#"{"type":"dog","price":249.99,"name":"Rex \"the\" dog","tags":["good","small"],"owner":{"id":7}}"#;

#[test]
fn request_and_response_templates_reshape_both_sides() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let (gw, api) = start(driver, &be);
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/pets/p%201",
            &[("Content-Type", "application/json")],
            PET.as_bytes(),
        );
        // The response template overrides the status and adds a header.
        assert_eq!(r.status, 201, "{}\n{}", r.text(), gw.stderr());
        assert_eq!(r.header("x-rendered"), Some("yes"));
        let v = r.json();
        assert_eq!(v["backendSaw"], json!(249.99));
        assert_eq!(v["method"], "POST");
        assert_eq!(v["query"], "kind=dog");
        assert_eq!(v["tenant"], "t-dog");

        // Accept picks the response template.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/pets/p%201",
            &[
                ("Content-Type", "application/json"),
                ("Accept", "text/plain"),
            ],
            PET.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        // Velocity 1.7's #set token takes the blanks before it, mid-line too.
        assert_eq!(r.text(), "plain:POST");
        assert_eq!(r.header("content-type"), Some("text/plain"));
    });
}

#[test]
fn the_backend_receives_the_rendered_body() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let gw = Gateway::start(Opts::new(driver));
        // The same request templates without a response template, so the echo's description
        // of what it received comes back as it is.
        let echo = be.echo.hostport();
        let raw = json!({
            "openapi": "3.0.1",
            "info": {"title": "raw", "version": "1"},
            "paths": {"/pets/{id}": {"post": {
                "parameters": [{"name": "id", "in": "path", "required": true,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "POST",
                    "uri": format!("http://{echo}/store/{{id}}"),
                    "requestParameters": {"integration.request.path.id": "method.request.path.id"},
                    "passthroughBehavior": "when_no_templates",
                    "requestTemplates": {
                        "application/json": PET_REQUEST,
                        "application/xml": "<pet id=\"$input.params('id')\">$input.body</pet>"
                    },
                    "responses": {"default": {"statusCode": "200"}}
                }}}}
        })
        .to_string();
        let raw_api = gw.import(&raw);
        gw.deploy(&raw_api, "prod", &[("env", "staging")]);
        let r = gw.call_h(
            &raw_api,
            "POST",
            "/prod/pets/p%201",
            &[("Content-Type", "application/json; charset=utf-8")],
            PET.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
        let echo = r.json();
        assert_eq!(echo["headers"]["x-tenant"], "t-dog");
        assert_eq!(echo["query"], "kind=dog");
        // The path override replaces the mapped `{id}`, encoded as one segment.
        assert_eq!(echo["path"], "/store/pet%20dog%2F1");
        assert_eq!(echo["headers"]["content-type"], "application/json");
        let sent: Value = serde_json::from_str(echo["body"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("backend body is not JSON ({e}): {}", echo["body"]));
        assert_eq!(
            sent,
            json!({"kind": "dog", "price": 249.99, "tags": ["good", "small"],
                   "owner": {"id": 7}, "id": "p 1", "stage": "prod", "env": "staging",
                   "quoted": "Rex \"the\" dog"})
        );
        // The XML template is chosen by Content-Type and sees the raw body.
        let r = gw.call_h(
            &raw_api,
            "POST",
            "/prod/pets/7",
            &[("Content-Type", "application/xml")],
            b"<name>Rex</name>",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["body"], "<pet id=\"7\"><name>Rex</name></pet>");
        assert_eq!(r.json()["path"], "/store/7");
    });
}

#[test]
fn passthrough_never_refuses_an_unmapped_type_and_bad_json_is_a_400() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let (gw, api) = start(driver, &be);
        let before = be.echo.requests();
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/pets/1",
            &[("Content-Type", "text/csv")],
            b"a,b",
        );
        assert_eq!(r.status, 415, "{}", r.text());
        assert_eq!(r.json(), json!({"message": "Unsupported Media Type"}));
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/pets/1",
            &[("Content-Type", "application/json")],
            b"{not json",
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(
            r.json(),
            json!({"message": "Could not parse request body into json"})
        );
        assert_eq!(
            be.echo.requests(),
            before,
            "the backend saw a refused request"
        );
    });
}

#[test]
fn mock_status_comes_from_the_rendered_template() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let (gw, api) = start(driver, &be);
        let r = gw.call(&api, "GET", "/prod/mock?code=missing", b"");
        assert_eq!(r.status, 404, "{}", r.text());
        assert_eq!(r.json(), json!({"message": "no pet missing"}));
        let r = gw.call(&api, "GET", "/prod/mock?code=here", b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        assert_eq!(v["ok"], true);
        assert_eq!(v["path"], "/mock");
        assert!(v["epoch"].as_u64().unwrap() > 1_600_000_000_000, "{v}");
    });
}

#[test]
fn a_runaway_template_stops_at_its_limit_with_500() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let (gw, api) = start(driver, &be);
        let started = std::time::Instant::now();
        let r = gw.call(&api, "GET", "/prod/runaway", b"");
        assert_eq!(r.status, 500, "{}", r.text());
        assert_eq!(r.json(), json!({"message": "Internal server error"}));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
        // The worker is free again.
        assert_eq!(gw.call(&api, "GET", "/prod/mock", b"").status, 200);
    });
}

#[test]
fn a_template_that_does_not_parse_fails_the_import_with_its_location() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let doc = json!({
            "openapi": "3.0.1",
            "info": {"title": "bad", "version": "1"},
            "paths": {"/m": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "#if($x)never closed"},
                    "responses": {"default": {"statusCode": "200"}}
                }}}}
        })
        .to_string();
        let r = gw.admin("POST", "/restapis?mode=import", doc.as_bytes());
        assert_eq!(r.status, 400, "{}", r.text());
        let msg = r.json()["message"].as_str().unwrap().to_string();
        assert!(
            msg.contains(
                "/paths/~1m/get/x-amazon-apigateway-integration/requestTemplates/application~1json"
            ) && msg.contains("Invalid mapping template specified: line 1"),
            "{msg}"
        );
    });
}

#[test]
fn gateway_responses_render_velocity_with_the_error() {
    for_each_driver(|driver| {
        let be = Backends::start();
        let gw = Gateway::start(Opts::new(driver));
        let mut d: Value = serde_json::from_str(&doc(&be)).unwrap();
        d["x-amazon-apigateway-gateway-responses"] = json!({
            "DEFAULT_4XX": {
                "responseParameters": {
                    "gatewayresponse.header.Access-Control-Allow-Origin": "'*'"
                },
                "responseTemplates": {"application/json": concat!(
                    "{\"error\": $context.error.messageString, ",
                    "\"type\": \"$context.error.responseType\"",
                    "#if($context.error.responseType == 'UNSUPPORTED_MEDIA_TYPE'), ",
                    "\"resource\": \"$context.resourcePath\", \"stage\": \"$stageVariables.env\"#end",
                    ", \"id\": \"$input.params('id')\"}"
                )}
            }
        });
        let api = gw.import(&d.to_string());
        gw.deploy(&api, "prod", &[("env", "staging")]);
        // Routed: the method's context and parameters are there.
        let r = gw.call_h(
            &api,
            "POST",
            "/prod/pets/9",
            &[("Content-Type", "text/csv")],
            b"a,b",
        );
        assert_eq!(r.status, 415, "{}", r.text());
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            r.json(),
            json!({"error": "Unsupported Media Type", "type": "UNSUPPORTED_MEDIA_TYPE",
                   "resource": "/pets/{id}", "stage": "staging", "id": "9"})
        );
        // Not routed: only the error and the request id.
        let r = gw.call(&api, "GET", "/prod/nowhere", b"");
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            r.json(),
            json!({"error": "Missing Authentication Token",
                   "type": "MISSING_AUTHENTICATION_TOKEN", "id": ""})
        );
    });
}
