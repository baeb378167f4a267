//! Parameter mappings from bodies, end to end: `method.request.body[.PATH]` into integration
//! request headers, query strings and path parameters (HTTP and HTTP_PROXY), and
//! `integration.response.body[.PATH]`, `integration.response.multivalueheader.NAME`, stage
//! variables and context variables into method response headers. The echo backend's JSON (what
//! it received) is both the check on the request side and the body the response side maps from.
//! A selected integration response without a method response answers 500, and a bad body
//! expression fails the import with its pointer. Each test runs on both drivers.

mod common;
use common::*;
use serde_json::json;

fn doc(be: &Backends) -> String {
    let echo = be.echo.hostport();
    json!({
        "openapi": "3.0.1",
        "info": {"title": "body-mappings", "version": "1"},
        "paths": {
            "/items": {"post": {
                "responses": {"200": {"description": "ok", "headers": {
                    "X-Backend-Name": {"schema": {"type": "string"}},
                    "X-Seen-Count": {"schema": {"type": "string"}},
                    "X-Seen-Headers": {"schema": {"type": "string"}},
                    "X-Multi": {"schema": {"type": "string"}},
                    "X-Stage": {"schema": {"type": "string"}},
                    "X-Request-Id": {"schema": {"type": "string"}},
                    "X-Nothing": {"schema": {"type": "string"}},
                    "X-Echo-Body": {"schema": {"type": "string"}},
                    "Content-Type": {"schema": {"type": "string"}}}}},
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "POST",
                    "uri": format!("http://{echo}/store/{{id}}"),
                    "requestParameters": {
                        "integration.request.path.id": "method.request.body.item.id",
                        "integration.request.querystring.name": "method.request.body.item.name",
                        "integration.request.querystring.tags": "method.request.body.tags",
                        "integration.request.querystring.first": "method.request.body.tags[0]",
                        "integration.request.header.X-Count": "method.request.body.count",
                        "integration.request.header.X-Whole": "method.request.body",
                        "integration.request.header.X-Missing": "method.request.body.nope",
                        "integration.request.header.X-Want-Type": "method.request.body.type"
                    },
                    "responses": {"default": {"statusCode": "200", "responseParameters": {
                        "method.response.header.X-Backend-Name": "integration.response.body.backend",
                        "method.response.header.X-Seen-Count": "integration.response.body.headers.x-count",
                        "method.response.header.X-Seen-Headers": "integration.response.body.headers",
                        "method.response.header.X-Multi": "integration.response.multivalueheader.X-Backend",
                        "method.response.header.X-Stage": "stageVariables.tag",
                        "method.response.header.X-Request-Id": "context.requestId",
                        "method.response.header.X-Nothing": "integration.response.body.nothing",
                        "method.response.header.X-Echo-Body": "integration.response.body.body",
                        "method.response.header.Content-Type": "integration.response.body.headers.x-want-type"
                    }}}}}},
            "/proxied": {"post": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy", "httpMethod": "POST",
                    "uri": format!("http://{echo}/p/{{who}}"),
                    "requestParameters": {
                        "integration.request.path.who": "method.request.body.user.name",
                        "integration.request.querystring.uid": "method.request.body.user.id",
                        "integration.request.header.X-User": "method.request.body.user"
                    }}}},
            "/undeclared": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "GET",
                    "uri": format!("http://{echo}/status/503"),
                    "responses": {
                        "default": {"statusCode": "200"},
                        "5\\d\\d": {"statusCode": "503"}}}}},
            "/mock": {"get": {
                "responses": {"200": {"description": "ok", "headers": {
                    "X-Body": {"schema": {"type": "string"}},
                    "X-Stage": {"schema": {"type": "string"}},
                    "X-Path": {"schema": {"type": "string"}}}}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200", "responseParameters": {
                        "method.response.header.X-Body": "integration.response.body",
                        "method.response.header.X-Stage": "stageVariables.tag",
                        "method.response.header.X-Path": "context.resourcePath"}}}}}},
            "/mock-undeclared": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": 201}"},
                    "responses": {
                        "2\\d\\d": {"statusCode": "201"},
                        "default": {"statusCode": "200"}}}}},
            "/declared": {"get": {
                "responses": {"200": {"description": "ok"},
                              "503": {"description": "down", "headers": {
                                  "X-Why": {"schema": {"type": "string"}}}}},
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "GET",
                    "uri": format!("http://{echo}/status/503"),
                    "responses": {
                        "default": {"statusCode": "200"},
                        "5\\d\\d": {"statusCode": "503", "responseParameters": {
                            "method.response.header.X-Why": "integration.response.body.path"}}}}}}
        }
    })
    .to_string()
}

fn start(driver: &'static str) -> Env {
    let gw = Gateway::start(Opts::new(driver));
    let be = Backends::start();
    let api = gw.import(&doc(&be));
    gw.deploy(&api, "prod", &[("tag", "stage-tag")]);
    let host = api_host(&api);
    Env { gw, be, api, host }
}

fn post_json(env: &Env, target: &str, body: &str) -> Response {
    env.call(
        "POST",
        target,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

#[test]
fn request_body_values_reach_the_backend_where_they_are_mapped() {
    for_each_driver(|driver| {
        let env = start(driver);
        let body = r#"{"item": {"id": "a b/c", "name": "Ann & Co"}, "tags": ["x", "y"],
                       "count": 3, "type": "text/csv"}"#;
        let r = post_json(&env, "/prod/items", body);
        assert_eq!(r.status, 200, "{}", r.text());
        let seen = r.json();
        // One path segment, one query component each: delimiters in values are encoded.
        assert_eq!(seen["path"], "/store/a%20b%2Fc", "{seen}");
        // In the order the document's mappings sort in (a map, as in AWS's model).
        assert_eq!(
            seen["query"], "first=x&name=Ann%20%26%20Co&tags=%5B%22x%22,%22y%22%5D",
            "{seen}"
        );
        let h = &seen["headers"];
        // Strings unquoted, numbers and objects as compact JSON text.
        assert_eq!(h["x-count"], "3", "{seen}");
        let whole: serde_json::Value =
            serde_json::from_str(h["x-whole"].as_str().unwrap()).unwrap();
        assert_eq!(
            whole,
            serde_json::from_str::<serde_json::Value>(body).unwrap()
        );
        assert!(!h["x-whole"].as_str().unwrap().contains(": "), "{seen}");
        // A path that finds nothing maps no header.
        assert!(h.get("x-missing").is_none(), "{seen}");
        // The body itself still goes through unchanged (passthrough).
        assert_eq!(seen["body"], body);
    });
}

#[test]
fn a_body_that_is_not_json_maps_nothing() {
    for_each_driver(|driver| {
        let env = start(driver);
        // The echo's `body` field as the response header (`None`: left out).
        for (body, echo_header) in [
            ("not json", Some("not json")),
            ("", Some("")),
            (" \n ", None),
        ] {
            let r = post_json(&env, "/prod/items", body);
            assert_eq!(r.status, 200, "{body:?}: {}", r.text());
            let seen = r.json();
            assert_eq!(seen["path"], "/store/", "{body:?}: {seen}");
            assert_eq!(seen["query"], "", "{body:?}: {seen}");
            for h in ["x-count", "x-whole", "x-missing", "x-want-type"] {
                assert!(seen["headers"].get(h).is_none(), "{body:?}: {h}: {seen}");
            }
            // The backend's body is JSON, so response mappings still read it; a value with a
            // line break cannot be a header and is left out.
            assert_eq!(r.header("X-Echo-Body"), echo_header, "{body:?}");
        }
        // JSON without the fields: only the whole-body mapping has a value.
        let seen = post_json(&env, "/prod/items", "[1, 2]").json();
        assert_eq!(seen["path"], "/store/", "{seen}");
        assert_eq!(seen["headers"]["x-whole"], "[1,2]", "{seen}");
        assert!(seen["headers"].get("x-count").is_none(), "{seen}");
        // A string with a line break cannot be a header value: refused before the backend.
        let before = env.be.echo.requests();
        let r = post_json(&env, "/prod/items", r#"{"count": "1\r\nX-Evil: 1"}"#);
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(env.be.echo.requests(), before);
    });
}

#[test]
fn response_headers_come_from_the_integration_response_body() {
    for_each_driver(|driver| {
        let env = start(driver);
        let r = post_json(
            &env,
            "/prod/items",
            r#"{"item": {"id": "7"}, "count": 12, "type": "text/csv"}"#,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("X-Backend-Name"), Some("echo-a"));
        assert_eq!(r.header("X-Seen-Count"), Some("12"));
        let headers: serde_json::Value =
            serde_json::from_str(r.header("X-Seen-Headers").unwrap()).unwrap();
        assert_eq!(headers["x-count"], "12");
        assert_eq!(r.header("X-Multi"), Some("echo-a"));
        assert_eq!(r.header("X-Stage"), Some("stage-tag"));
        assert_eq!(
            r.header("X-Request-Id"),
            r.header("x-amzn-RequestId"),
            "{:?}",
            r.headers
        );
        assert_eq!(r.header("X-Nothing"), None);
        // A Content-Type mapped from the body replaces the default one.
        assert_eq!(r.header("Content-Type"), Some("text/csv"));
        assert_eq!(r.header_count("Content-Type"), 1);
        // Without that body value, the default type stays.
        let r = post_json(&env, "/prod/items", r#"{"item": {"id": "7"}}"#);
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.header("X-Seen-Count"), None);
    });
}

#[test]
fn http_proxy_maps_body_values_too() {
    for_each_driver(|driver| {
        let env = start(driver);
        let body = r#"{"user": {"name": "bo", "id": 42}}"#;
        let r = env.call(
            "POST",
            "/prod/proxied?keep=1",
            &[("Content-Type", "application/json"), ("X-Client", "c")],
            body.as_bytes(),
        );
        let seen = echoed(&r);
        assert_eq!(seen["target"], "/p/bo?keep=1&uid=42", "{seen}");
        assert_eq!(seen["headers"]["x-user"], r#"{"name":"bo","id":42}"#);
        assert_eq!(seen["headers"]["x-client"], "c");
        assert_eq!(seen["body"], body);
    });
}

#[test]
fn a_selected_status_without_a_method_response_is_a_500() {
    for_each_driver(|driver| {
        let env = start(driver);
        let r = env.get("/prod/undeclared");
        assert_eq!(r.status, 500, "{}", r.text());
        assert_eq!(message(&r), "Internal server error");
        assert!(!r.closes());
        assert!(
            env.gw
                .stderr()
                .contains("Output mapping refers to an invalid method response: 503"),
            "{}",
            env.gw.stderr()
        );
        // Declared, the same backend answer is the method response, with its body mapping.
        let r = env.get("/prod/declared");
        assert_eq!(r.status, 503, "{}", r.text());
        assert_eq!(r.header("X-Why"), Some("/status/503"));
    });
}

#[test]
fn mock_responses_map_headers_and_need_their_method_response() {
    for_each_driver(|driver| {
        let env = start(driver);
        let r = env.get("/prod/mock");
        assert_eq!(r.status, 200, "{}", r.text());
        // A MOCK integration response has no body: nothing to map from it.
        assert_eq!(r.header("X-Body"), None);
        assert_eq!(r.header("X-Stage"), Some("stage-tag"));
        assert_eq!(r.header("X-Path"), Some("/mock"));
        let r = env.get("/prod/mock-undeclared");
        assert_eq!(r.status, 500, "{}", r.text());
        assert_eq!(message(&r), "Internal server error");
    });
}

#[test]
fn bad_body_mappings_fail_the_import_with_their_pointer() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let bad = json!({
            "openapi": "3.0.1",
            "info": {"title": "bad", "version": "1"},
            "paths": {"/b": {"post": {
                "responses": {"200": {"description": "ok", "headers": {
                    "X-A": {"schema": {"type": "string"}}}}},
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "POST", "uri": "http://127.0.0.1:9/x",
                    "requestParameters": {
                        "integration.request.header.X-In": "method.request.body.items["
                    },
                    "responses": {"default": {"statusCode": "200", "responseParameters": {
                        "method.response.header.X-A": "integration.response.body.a]",
                        "method.response.header.X-B": "integration.response.body.b"
                    }}}}}}}
        })
        .to_string();
        let r = gw.admin("POST", "/restapis?mode=import", bad.as_bytes());
        assert_eq!(r.status, 400, "{}", r.text());
        let text = r.text();
        let integ = "/paths/~1b/post/x-amazon-apigateway-integration";
        for (pointer, expr) in [
            (
                format!("{integ}/requestParameters/integration.request.header.X-In"),
                "method.request.body.items[",
            ),
            (
                format!("{integ}/responses/default/responseParameters/method.response.header.X-A"),
                "integration.response.body.a]",
            ),
            (
                format!("{integ}/responses/default/responseParameters/method.response.header.X-B"),
                "method.response.header.X-B",
            ),
        ] {
            assert!(text.contains(&pointer), "{pointer}: {text}");
            assert!(text.contains(expr), "{expr}: {text}");
        }
    });
}
