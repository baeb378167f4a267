//! COGNITO_USER_POOLS against the real binary, on both drivers: the pool's keys come from
//! `[aws.endpoints] cognito-idp` (an in-process server answering the test JWKS and counting its
//! fetches), tokens are minted here with the test key (`src/aws/testdata`), and the Lambda proxy
//! event is the one a real function (cargo-lambda's `echo` fixture) receives. Covered: the
//! claims in `requestContext.authorizer.claims` as AWS renders them, the keys fetched once at
//! deploy and not again for repeat or new valid tokens, and a flood of made-up `kid`s costing at
//! most one more fetch; the access log's `authenticate.*`, `authorize.*` and `authorizer.*` for
//! accepted and refused tokens.

mod common;
#[path = "support/lambda.rs"]
#[allow(dead_code)]
mod lambda;

use base64::Engine;
use common::*;
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";
const POOL: &str = "us-east-1_blackbox";
const JWKS: &str = include_str!("../src/aws/testdata/jwks.json");

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An RS256 token with these claims (over an ID token of `POOL`) under `kid`.
fn token(kid: &str, extra: Value) -> String {
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let mut claims = json!({
        "sub": "8f1c-user", "aud": "app-client", "token_use": "id",
        "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}"),
        "cognito:username": "alice", "email_verified": true,
        "auth_time": now(), "iat": now(), "exp": now() + 600,
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let signed = format!(
        "{}.{}",
        b64(&json!({"alg": "RS256", "kid": kid})),
        b64(&claims)
    );
    let sig = jsonwebtoken::crypto::sign(
        signed.as_bytes(),
        &jsonwebtoken::EncodingKey::from_rsa_der(include_bytes!(
            "../src/aws/testdata/jwt_rsa_private.der"
        )),
        jsonwebtoken::Algorithm::RS256,
    )
    .unwrap();
    format!("{signed}.{sig}")
}

fn doc() -> String {
    let uri = format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{ACCOUNT}:function:echo/invocations"
    );
    json!({
        "openapi": "3.0.1",
        "info": {"title": "cognito", "version": "1"},
        "paths": {"/me": {"get": {
            "security": [{"pool": []}],
            "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}}}},
        "components": {"securitySchemes": {"pool": {
            "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools",
                "providerARNs": [format!("arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{POOL}")]}}}}
    })
    .to_string()
}

fn gateway(
    driver: &'static str,
    emulator: &lambda::Emulator,
    jwks: &Upstream,
) -> (Gateway, String) {
    let config = Config {
        extra: format!(
            "[aws]\naccount_id = \"{ACCOUNT}\"\nregion = \"us-east-1\"\naccess_key_id = \"AKIDCOGNITOTEST\"\nsecret_access_key = \"cognito-test-secret\"\n[aws.endpoints]\nlambda = \"{}\"\ncognito-idp = \"http://{}\"\n",
            emulator.url(),
            jwks.hostport()
        ),
        ..Config::default()
    };
    let gw = Gateway::start(Opts::new(driver).config(config));
    let api = gw.import(&doc());
    gw.deploy(&api, "prod", &[]);
    (gw, api)
}

fn me(gw: &Gateway, api: &str, token: &str) -> Response {
    gw.call_h(api, "GET", "/prod/me", &[("Authorization", token)], b"")
}

#[test]
fn claims_reach_the_lambda_proxy_event_and_keys_are_fetched_sparingly() {
    let emulator = lambda::Emulator::start();
    for_each_driver(|driver| {
        let jwks = Upstream::start("jwks", Kind::Fixed(200, JWKS));
        let (gw, api) = gateway(driver, &emulator, &jwks);
        let t = token(
            "test-key-1",
            json!({"cognito:groups": ["admins", "users"], "exp": 2_000_000_000u64}),
        );
        let r = me(&gw, &api, &t);
        assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
        let auth = &r.json()["requestContext"]["authorizer"];
        let claims = &auth["claims"];
        assert_eq!(claims["sub"], "8f1c-user", "{auth}");
        assert_eq!(claims["cognito:username"], "alice");
        assert_eq!(claims["email_verified"], "true");
        assert_eq!(claims["cognito:groups"], "[admins users]");
        assert_eq!(claims["exp"], "Wed May 18 03:33:20 UTC 2033");
        assert_eq!(claims["token_use"], "id");
        assert!(
            claims["auth_time"]
                .as_str()
                .is_some_and(|t| t.parse::<u64>().is_ok()),
            "{claims}"
        );
        // No token: 401 before the function is invoked.
        let r = gw.call(&api, "GET", "/prod/me", b"");
        assert_eq!(
            (r.status, r.json()),
            (401, json!({"message": "Unauthorized"}))
        );

        // The keys were fetched once, at deploy; repeat and new valid tokens need no fetch.
        assert_eq!(jwks.requests(), 1);
        for i in 0..20 {
            assert_eq!(me(&gw, &api, &t).status, 200);
            let fresh = token("test-key-1", json!({"sub": format!("user-{i}")}));
            assert_eq!(me(&gw, &api, &fresh).status, 200);
        }
        assert_eq!(jwks.requests(), 1);
        // Made-up kids: each refused; together they ask for one refresh at most.
        for i in 0..50 {
            let bogus = token(&format!("kid-{i}"), json!({}));
            assert_eq!(me(&gw, &api, &bogus).status, 401);
        }
        assert!(jwks.requests() <= 2, "{} JWKS fetches", jwks.requests());
        assert_eq!(me(&gw, &api, &t).status, 200);
    });
}

#[test]
fn the_token_check_is_logged_as_authentication_and_the_authorizer() {
    let emulator = lambda::Emulator::start();
    for_each_driver(|driver| {
        let jwks = Upstream::start("jwks", Kind::Fixed(200, JWKS));
        let (gw, api) = gateway(driver, &emulator, &jwks);
        let format = r#"{"id":"$context.requestId","authn":"$context.authenticate.status","authnError":"$context.authenticate.error","authnMs":"$context.authenticate.latency","authz":"$context.authorize.status","authorizer":"$context.authorizer.status","invoked":"$context.authorizer.integrationStatus"}"#;
        let body = json!({"patchOperations": [
            {"op": "replace", "path": "/accessLogSettings/destinationArn",
                "value": "arn:aws:logs:us-east-1:123456789012:log-group:cognito"},
            {"op": "replace", "path": "/accessLogSettings/format", "value": format}]});
        let r = gw.admin(
            "PATCH",
            &format!("/restapis/{api}/stages/prod"),
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let id = |r: Response, status: u16| {
            assert_eq!(r.status, status, "{}", r.text());
            r.header("x-amzn-RequestId").unwrap().to_string()
        };
        let good = id(me(&gw, &api, &token("test-key-1", json!({}))), 200);
        let bogus = id(me(&gw, &api, &token("kid-unknown", json!({}))), 401);
        let missing = id(gw.call(&api, "GET", "/prod/me", b""), 401);
        let file = gw.data_dir.join("logs/cognito.log");
        let lines: Vec<Value> = wait_for("3 lines", std::time::Duration::from_secs(5), || {
            let text = std::fs::read_to_string(&file).ok()?;
            let lines: Vec<Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            (lines.len() >= 3).then_some(lines)
        });
        let line = |id: &str| lines.iter().find(|l| l["id"] == id).unwrap().clone();
        let v = line(&good);
        assert_eq!(
            (&v["authn"], &v["authz"], &v["authorizer"], &v["invoked"]),
            (&json!("200"), &json!("200"), &json!("200"), &json!("-")),
            "{v}"
        );
        assert!(v["authnMs"].as_str().unwrap().parse::<u64>().is_ok(), "{v}");
        for id in [&bogus, &missing] {
            let v = line(id);
            assert_eq!(
                (&v["authn"], &v["authnError"], &v["authz"], &v["authorizer"]),
                (
                    &json!("401"),
                    &json!("Unauthorized"),
                    &json!("-"),
                    &json!("401")
                ),
                "{v}"
            );
        }
    });
}
