//! The Lambda authorizer on the in-memory pipeline (`pipeline::tests::Harness`): the exact events
//! and the signed Invoke request, the cache answering without a second Invoke, a refusal before
//! any Invoke, and the policy evaluated per method.

use crate::pipeline::tests::{invoke_response, Harness};
use serde_json::{json, Value};

const FN: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations";

fn doc() -> String {
    let mock = json!({"type": "mock",
        "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
        "responses": {"default": {"statusCode": "200",
            "responseTemplates": {"application/json": "{\"who\": \"$context.authorizer.principalId\", \"tier\": \"$context.authorizer.tier\"}"}}}});
    json!({"openapi": "3.0.1", "info": {"title": "t", "version": "1"},
        "components": {"securitySchemes": {
            "tok": {"type": "apiKey", "name": "Authorization", "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": FN,
                    "identityValidationExpression": "Bearer .+"}},
            "req": {"type": "apiKey", "name": "X-Id", "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {"type": "request", "authorizerUri": FN,
                    "identitySource": "method.request.header.X-Id, context.httpMethod"}}}},
        "paths": {
            "/t/{id}": {"get": {"security": [{"tok": []}],
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": mock},
                "delete": {"security": [{"tok": []}],
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": mock}},
            "/r": {"post": {"security": [{"req": []}],
                "responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": mock}}}})
    .to_string()
}

const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:testapi001/prod";

/// An authorizer output allowing `resource`.
fn allow(resource: &str) -> String {
    json!({"principalId": "u1", "context": {"tier": "gold"},
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}]}})
    .to_string()
}

fn sent_event(sent: &[u8]) -> (String, Value) {
    let sent = String::from_utf8(sent.to_vec()).unwrap();
    let (head, body) = sent.split_once("\r\n\r\n").unwrap();
    (head.to_string(), serde_json::from_str(body).unwrap())
}

#[test]
fn a_token_authorizer_is_invoked_signed_once_then_answers_from_the_cache() {
    let h = Harness::with(&doc());
    let sent = h.backend(invoke_response(
        "200 OK",
        "",
        &allow(&format!("{ARN}/GET/t/*")),
    ));
    let get =
        "GET /prod/t/7?x=1 HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer abc\r\n\r\n";
    let a = h.call(get);
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.text(), r#"{"who": "u1", "tier": "gold"}"#);
    let (head, event) = sent_event(&sent.borrow());
    assert!(
        head.starts_with("POST /2015-03-31/functions/auth/invocations HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains("\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
        "{head}"
    );
    assert!(
        head.contains("X-Amz-Invocation-Type: RequestResponse"),
        "{head}"
    );
    assert_eq!(
        event,
        json!({"type": "TOKEN", "authorizationToken": "Bearer abc",
            "methodArn": format!("{ARN}/GET/t/7")})
    );

    // The same token again, and for another id the policy covers: no second Invoke.
    let before = sent.borrow().len();
    for target in ["/prod/t/7", "/prod/t/8"] {
        let r = h.call(&get.replace("/prod/t/7?x=1", target));
        assert_eq!(r.status, 200, "{target}: {}", r.text());
    }
    assert_eq!(sent.borrow().len(), before, "answered from the cache");
    // DELETE is not in the cached policy: 403 until the entry expires.
    let r = h.call(&get.replace("GET /prod/t/7?x=1", "DELETE /prod/t/7"));
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.text(),
        r#"{"message":"User is not authorized to access this resource"}"#
    );
    // A token the validation expression refuses: 401 before any Invoke.
    let r = h.call(&get.replace("Bearer abc", "Basic abc"));
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.text(), r#"{"message":"Unauthorized"}"#);
    assert_eq!(sent.borrow().len(), before);
}

#[test]
fn a_request_authorizer_gets_the_request_fields_and_its_failures_fail_closed() {
    let h = Harness::with(&doc());
    // Three Invoke connections in turn, each closed after its answer (so a pooled one is found
    // closed when reused, and the call is retried on the next).
    let answer = |extra: &str, body: &str| {
        crate::net::stream::MemoryStream::new(
            format!(
                "HTTP/1.1 200 OK\r\n{extra}Content-Length: {}\r\n\r\n{body}",
                body.len()
            ),
            crate::net::stream::AtEnd::Eof,
        )
    };
    let function_error = |message: &str| {
        let body = json!({"errorType": "Error", "errorMessage": message}).to_string();
        answer("X-Amz-Function-Error: Unhandled\r\n", &body)
    };
    let sent = h.backend(answer("", &allow("*")));
    h.backend(function_error("boom"));
    h.backend(function_error("Unauthorized"));
    let post = "POST /prod/r?a=1&a=2 HTTP/1.1\r\nHost: api.example.com\r\nX-Id: alice\r\nContent-Length: 2\r\n\r\nhi";
    let a = h.call(post);
    assert_eq!(a.status, 200, "{}", a.text());
    let (_, e) = sent_event(&sent.borrow());
    let keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "type",
            "methodArn",
            "resource",
            "path",
            "httpMethod",
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
            "stageVariables",
            "requestContext"
        ]
    );
    assert_eq!(e["type"], "REQUEST");
    assert_eq!(e["methodArn"], format!("{ARN}/POST/r"));
    assert_eq!(e["headers"]["X-Id"], "alice");
    assert_eq!(e["multiValueQueryStringParameters"]["a"], json!(["1", "2"]));
    assert_eq!(e["requestContext"]["httpMethod"], "POST");
    assert!(e["requestContext"].get("authorizer").is_none());

    // Another identity: invoked again; its function error is 500, the "Unauthorized" one 401.
    let r = h.call(&post.replace("alice", "bob"));
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(r.text(), r#"{"message":null}"#);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("AuthorizerConfigurationException")
    );
    let r = h.call(&post.replace("alice", "carol"));
    assert_eq!(r.status, 401, "{}", r.text());
    // A missing identity source: 401 with no Invoke (no backend is queued for it).
    let r = h.call(&post.replace("X-Id: alice\r\n", ""));
    assert_eq!(r.status, 401, "{}", r.text());
}
