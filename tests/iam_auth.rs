//! AWS_IAM methods and resource policies against the real binary, both drivers. Requests are
//! signed by botocore itself (`tests/support/sigv4_sign.py`: `SigV4Auth` for the header form,
//! `SigV4QueryAuth` for presigned URLs), so the gateway is checked against AWS's own client.
//!
//! The python is `$TOLLGATE_PYTHON`, else `.venv/bin/python` in the crate root, else the python
//! beside `$TOLLGATE_AWS_CLI` (tests/run.sh makes the venv with botocore in it).

mod common;
#[path = "support/lambda.rs"]
mod lambda;
use common::*;

use serde_json::json;
use std::path::PathBuf;
use std::process::Command;

const ACCOUNT: &str = "111122223333";
const ALICE: (&str, &str) = (
    "AKIAALICE0000000001",
    "alice/Secret+0000000000000000000000000",
);
const BOB: (&str, &str) = (
    "AKIABOB00000000000001",
    "bob/Secret+00000000000000000000000000",
);
const CAROL: (&str, &str) = (
    "ASIACAROL0000000001",
    "carol/Secret+000000000000000000000000",
);
const CAROL_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars";
/// The gateway's own `[aws]` key, which must never sign for a caller.
const GATEWAY_KEY: &str = "AKIAGATEWAY00000001";
const ERIN: (&str, &str) = (
    "AKIAERIN00000000001",
    "erin/Secret+0000000000000000000000000",
);
/// Dave's identity policy allows Invoke and `execute-api:InvalidateCache` (stage cache tests).
const DAVE: (&str, &str) = (
    "AKIADAVE00000000001",
    "dave/Secret+0000000000000000000000000",
);

fn arn(user: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{user}")
}

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("TOLLGATE_PYTHON") {
        return p.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if venv.exists() {
        return venv;
    }
    if let Ok(cli) = std::env::var("TOLLGATE_AWS_CLI") {
        let beside = PathBuf::from(cli).with_file_name("python");
        if beside.exists() {
            return beside;
        }
    }
    panic!("no python with botocore: set TOLLGATE_PYTHON or create .venv (tests/run.sh does)")
}

/// botocore's signature: `header` mode gives the headers to add, `query` the presigned URL.
fn botocore(mode: &str, method: &str, url: &str, key: (&str, &str), extra: &[&str]) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/sigv4_sign.py");
    let out = Command::new(python())
        .arg(script)
        .args([mode, method, url, key.0, key.1])
        .args(extra)
        .output()
        .expect("run the botocore signer");
    assert!(
        out.status.success(),
        "signer: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Headers botocore adds for `method url` (path + query after the host).
fn signed_headers(
    method: &str,
    host: &str,
    target: &str,
    key: (&str, &str),
    extra: &[&str],
) -> Vec<(String, String)> {
    let url = format!("http://{host}{target}");
    botocore("header", method, &url, key, extra)
        .lines()
        .map(|l| {
            let (n, v) = l.split_once(": ").unwrap();
            (n.to_string(), v.to_string())
        })
        .collect()
}

/// The presigned target (path and query) for `method target`.
fn presigned(method: &str, host: &str, target: &str, key: (&str, &str), extra: &[&str]) -> String {
    let url = botocore(
        "query",
        method,
        &format!("http://{host}{target}"),
        key,
        extra,
    );
    let after = url.strip_prefix(&format!("http://{host}")).unwrap();
    after.to_string()
}

fn send(
    gw: &Gateway,
    api: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
) -> Response {
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    gw.call_h(api, method, target, &h, b"")
}

fn mock(template: &str) -> serde_json::Value {
    json!({
        "type": "mock",
        "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
        "responses": {"default": {"statusCode": "200",
            "responseTemplates": {"application/json": template}}}
    })
}

fn doc(title: &str, echo: &str, policy: Option<serde_json::Value>) -> String {
    let iam = |m: serde_json::Value| {
        json!({"security": [{"sigv4": []}], "responses": {"200": {"description": "ok"}},
               "x-amazon-apigateway-integration": m})
    };
    let open = |m: serde_json::Value| json!({"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": m});
    let identity = r#"{"userArn": "$context.identity.userArn", "caller": "$context.identity.caller", "user": "$context.identity.user", "accessKey": "$context.identity.accessKey", "accountId": "$context.identity.accountId"}"#;
    let mut d = json!({
        "openapi": "3.0.1",
        "info": {"title": title, "version": "1"},
        "paths": {
            "/iam": {"get": iam(mock(identity)), "delete": iam(mock("{\"deleted\": true}"))},
            "/iam2": {"get": iam(mock("{\"two\": true}"))},
            "/echo": {"post": iam(json!({
                "type": "http", "httpMethod": "POST", "uri": format!("http://{echo}/echo"),
                "requestParameters": {
                    "integration.request.header.X-User-Arn": "context.identity.userArn"},
                "responses": {"default": {"statusCode": "200"}}}))},
            "/invoke": {"post": iam(json!({
                "type": "aws", "httpMethod": "POST",
                "uri": format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn/invocations"),
                "credentials": "arn:aws:iam::*:user/*",
                "responses": {"default": {"statusCode": "200"}}}))},
            "/open": {"get": open(mock("{\"open\": true}"))},
            "/closed": {"get": open(mock("{\"closed\": true}"))}
        },
        "components": {"securitySchemes": {"sigv4": {
            "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4"}}}
    });
    if let Some(p) = policy {
        d["x-amazon-apigateway-policy"] = p;
    }
    d.to_string()
}

struct Setup {
    gw: Gateway,
    _be: Backends,
    _dir: TempDir,
    /// No resource policy.
    plain: String,
    /// With the resource policy below.
    guarded: String,
}

fn setup(driver: &'static str) -> Setup {
    let dir = TempDir::new("iam-policies");
    let alice_policy = dir.write(
        "alice.json",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke",
             "Resource": "arn:aws:execute-api:us-east-1:*:*/prod/*"},
            {"Effect": "Deny", "Action": "execute-api:*",
             "Resource": "arn:aws:execute-api:*:*:*/*/DELETE/*"}]})
        .to_string(),
    );
    // Erin's identity policy allows nothing on these APIs.
    let erin_policy = dir.write(
        "erin.json",
        &json!({"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke",
            "Resource": "arn:aws:execute-api:*:*:elsewhere/*"}})
        .to_string(),
    );
    let dave_policy = dir.write(
        "dave.json",
        &json!({"Statement": {"Effect": "Allow",
            "Action": ["execute-api:Invoke", "execute-api:InvalidateCache"],
            "Resource": "arn:aws:execute-api:us-east-1:*:*/prod/GET/*"}})
        .to_string(),
    );
    let principal = |key: (&str, &str), arn: &str, more: &str| {
        format!(
            "[[iam.principals]]\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\narn = \"{arn}\"\n{more}\n",
            key.0, key.1
        )
    };
    // The echo backend stands in for Lambda: it answers with the request it saw, signature
    // included.
    let be = Backends::start();
    let echo = be.echo.hostport();
    let extra = format!(
        "[aws]\naccount_id = \"{ACCOUNT}\"\nregion = \"us-east-1\"\naccess_key_id = \"{GATEWAY_KEY}\"\n\
         secret_access_key = \"gateway-secret\"\n[aws.endpoints]\nlambda = \"http://{echo}\"\n\n{}{}{}{}{}",
        principal(
            ALICE,
            &arn("alice"),
            &format!("policy_file = \"{}\"", alice_policy.display())
        ),
        principal(BOB, &arn("bob"), ""),
        principal(
            CAROL,
            &format!("arn:aws:sts::{ACCOUNT}:assumed-role/deployer/carol"),
            &format!("session_token = \"{CAROL_TOKEN}\"")
        ),
        principal(
            ERIN,
            &arn("erin"),
            &format!("policy_file = \"{}\"", erin_policy.display())
        ),
        principal(
            DAVE,
            &arn("dave"),
            &format!("policy_file = \"{}\"", dave_policy.display())
        ),
    );
    let gw = Gateway::start(Opts::new(driver).config(Config {
        extra,
        ..Config::default()
    }));
    let plain = gw.import(&doc("iam-plain", &echo, None));
    gw.deploy(&plain, "prod", &[]);
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*/GET/open",
         "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*/GET/closed",
         "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}},
        {"Effect": "Allow", "Principal": {"AWS": arn("erin")}, "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*/GET/iam"},
        {"Effect": "Deny", "Principal": {"AWS": [arn("bob")]}, "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*/DELETE/*"}]});
    let guarded = gw.import(&doc("iam-guarded", &echo, Some(policy)));
    gw.deploy(&guarded, "prod", &[]);
    Setup {
        gw,
        _be: be,
        _dir: dir,
        plain,
        guarded,
    }
}

fn method_arn(api: &str, rest: &str) -> String {
    format!("arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/prod/{rest}")
}

#[test]
fn sigv4_header_and_presigned_requests_by_botocore() {
    for_each_driver(|driver| {
        let s = setup(driver);
        let (gw, api) = (&s.gw, &s.plain);
        let host = api_host(api);

        // Header form: allowed, and $context.identity is AWS's.
        let h = signed_headers("GET", &host, "/prod/iam?x=1&a=b%20c", ALICE, &[]);
        let r = send(gw, api, "GET", "/prod/iam?x=1&a=b%20c", &h);
        assert_eq!(r.status, 200, "{}", r.text());
        let id = r.json();
        assert_eq!(id["userArn"], arn("alice"));
        assert_eq!(id["accessKey"], ALICE.0);
        assert_eq!(id["accountId"], ACCOUNT);
        let caller = id["caller"].as_str().unwrap();
        assert!(caller.starts_with("AIDA") && caller.len() == 21, "{caller}");
        assert_eq!(id["user"], caller);

        // Presigned: allowed.
        let target = presigned("GET", &host, "/prod/iam?q=1", BOB, &["--expires", "60"]);
        let r = send(gw, api, "GET", &target, &[]);
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        assert_eq!(r.json()["userArn"], arn("bob"));

        // Tampered: a query value changed after signing.
        let tampered = target.replace("q=1", "q=2");
        let r = send(gw, api, "GET", &tampered, &[]);
        assert_eq!(r.status, 403, "{}", r.text());
        assert!(
            message(&r).starts_with("The request signature we calculated does not match"),
            "{}",
            r.text()
        );
        let h = signed_headers("GET", &host, "/prod/iam", ALICE, &[]);
        let r = send(gw, api, "GET", "/prod/iam2", &h);
        assert_eq!(r.status, 403, "{}", r.text());

        // Expired: a header signature from ten minutes ago; a presigned URL past its expiry.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let old = (now - 600).to_string();
        let h = signed_headers("GET", &host, "/prod/iam", ALICE, &["--at", &old]);
        let r = send(gw, api, "GET", "/prod/iam", &h);
        assert_eq!(r.status, 403, "{}", r.text());
        assert!(
            message(&r).starts_with("Signature expired: "),
            "{}",
            r.text()
        );
        let stale = presigned(
            "GET",
            &host,
            "/prod/iam",
            ALICE,
            &["--expires", "60", "--at", &old],
        );
        let r = send(gw, api, "GET", &stale, &[]);
        assert_eq!(r.status, 403, "{}", r.text());
        assert!(
            message(&r).starts_with("Signature expired: "),
            "{}",
            r.text()
        );

        // Unknown key.
        let h = signed_headers("GET", &host, "/prod/iam", ("AKIANOBODY000000001", "x"), &[]);
        let r = send(gw, api, "GET", "/prod/iam", &h);
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            message(&r),
            "The security token included in the request is invalid."
        );

        // Missing.
        assert_missing_token(&gw.call(api, "GET", "/prod/iam", b""));
    });
}

#[test]
fn session_tokens_and_identity_policies() {
    for_each_driver(|driver| {
        let s = setup(driver);
        let (gw, api) = (&s.gw, &s.plain);
        let host = api_host(api);

        // Carol's session credentials work with their token, in either form...
        let h = signed_headers("GET", &host, "/prod/iam", CAROL, &[CAROL_TOKEN]);
        let r = send(gw, api, "GET", "/prod/iam", &h);
        assert_eq!(r.status, 200, "{}", r.text());
        let id = r.json();
        assert_eq!(
            id["userArn"],
            format!("arn:aws:sts::{ACCOUNT}:assumed-role/deployer/carol")
        );
        assert!(id["caller"].as_str().unwrap().ends_with(":carol"), "{id}");
        let target = presigned("GET", &host, "/prod/iam", CAROL, &[CAROL_TOKEN]);
        assert_eq!(send(gw, api, "GET", &target, &[]).status, 200);
        // ...and not without it, or with another.
        for token in [&[][..], &["wrong-token"][..]] {
            let h = signed_headers("GET", &host, "/prod/iam", CAROL, token);
            let r = send(gw, api, "GET", "/prod/iam", &h);
            assert_eq!(r.status, 403, "{token:?}: {}", r.text());
            assert_eq!(
                message(&r),
                "The security token included in the request is invalid."
            );
        }
        // A token on a long-term key is invalid too.
        let h = signed_headers("GET", &host, "/prod/iam", BOB, &["some-token"]);
        assert_eq!(send(gw, api, "GET", "/prod/iam", &h).status, 403);

        // Alice's identity policy denies DELETE explicitly.
        let h = signed_headers("DELETE", &host, "/prod/iam", ALICE, &[]);
        let r = send(gw, api, "DELETE", "/prod/iam", &h);
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            message(&r),
            format!(
                "User: {} is not authorized to perform: execute-api:Invoke on resource: {} with an explicit deny",
                arn("alice"),
                method_arn(api, "DELETE/iam")
            )
        );
        // Erin's allows nothing here, and there is no resource policy to allow it.
        let h = signed_headers("GET", &host, "/prod/iam", ERIN, &[]);
        let r = send(gw, api, "GET", "/prod/iam", &h);
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            message(&r),
            format!(
                "User: {} is not authorized to perform: execute-api:Invoke on resource: {}",
                arn("erin"),
                method_arn(api, "GET/iam")
            )
        );
        // Bob has no identity policy: everything.
        let h = signed_headers("DELETE", &host, "/prod/iam", BOB, &[]);
        assert_eq!(send(gw, api, "DELETE", "/prod/iam", &h).status, 200);

        // $context.identity.userArn reaches the backend through a parameter mapping.
        let body = br#"{"k":"v"}"#;
        let h = signed_headers(
            "POST",
            &host,
            "/prod/echo",
            ALICE,
            &[
                "--body",
                r#"{"k":"v"}"#,
                "--header",
                "Content-Type:application/json",
            ],
        );
        let mut h: Vec<(&str, &str)> = h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        h.push(("Content-Type", "application/json"));
        let r = gw.call_h(api, "POST", "/prod/echo", &h, body);
        let e = echoed(&r);
        assert_eq!(e["headers"]["x-user-arn"], arn("alice"), "{e}");
    });
}

#[test]
fn resource_policies_by_ip_principal_and_explicit_deny() {
    for_each_driver(|driver| {
        let s = setup(driver);
        let (gw, api) = (&s.gw, &s.guarded);
        let host = api_host(api);

        // NONE methods: the resource policy must allow, here by source IP.
        let r = gw.call(api, "GET", "/prod/open", b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let r = gw.call(api, "GET", "/prod/closed", b"");
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            message(&r),
            format!(
                "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {}",
                method_arn(api, "GET/closed")
            )
        );

        // IAM, same account: the resource policy's Allow for Erin's ARN is enough...
        let h = signed_headers("GET", &host, "/prod/iam", ERIN, &[]);
        let r = send(gw, api, "GET", "/prod/iam", &h);
        assert_eq!(r.status, 200, "{}", r.text());
        // ...and where neither side allows, she is refused.
        let h = signed_headers("GET", &host, "/prod/iam2", ERIN, &[]);
        let r = send(gw, api, "GET", "/prod/iam2", &h);
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            message(&r),
            format!(
                "User: {} is not authorized to perform: execute-api:Invoke on resource: {}",
                arn("erin"),
                method_arn(api, "GET/iam2")
            )
        );

        // An explicit Deny in the resource policy overrides Bob's identity Allow.
        let h = signed_headers("GET", &host, "/prod/iam", BOB, &[]);
        assert_eq!(send(gw, api, "GET", "/prod/iam", &h).status, 200);
        let h = signed_headers("DELETE", &host, "/prod/iam", BOB, &[]);
        let r = send(gw, api, "DELETE", "/prod/iam", &h);
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            message(&r),
            format!(
                "User: {} is not authorized to perform: execute-api:Invoke on resource: {} with an explicit deny",
                arn("bob"),
                method_arn(api, "DELETE/iam")
            )
        );
    });
}

/// `credentials: arn:aws:iam::*:user/*`: the AWS call is signed with the caller's own key (here
/// Carol's session credentials, token included), never the gateway's; on a method that is not
/// AWS_IAM there is no caller to sign as, and the deploy is refused.
#[test]
fn caller_credentials_sign_the_integration_call() {
    for_each_driver(|driver| {
        let s = setup(driver);
        let (gw, api) = (&s.gw, &s.plain);
        let host = api_host(api);
        let h = signed_headers("POST", &host, "/prod/invoke", CAROL, &[CAROL_TOKEN]);
        let r = send(gw, api, "POST", "/prod/invoke", &h);
        let e = echoed(&r);
        let auth = e["headers"]["authorization"].as_str().unwrap_or_default();
        assert!(
            auth.contains(&format!("Credential={}/", CAROL.0))
                && auth.contains("/lambda/aws4_request"),
            "{e}"
        );
        assert_eq!(e["headers"]["x-amz-security-token"], CAROL_TOKEN, "{e}");
        assert!(!e.to_string().contains(GATEWAY_KEY), "{e}");

        let doc = json!({"openapi": "3.0.1", "info": {"title": "nocaller", "version": "1"},
            "paths": {"/invoke": {"post": {"responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {"type": "aws", "httpMethod": "POST",
                    "uri": format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn/invocations"),
                    "credentials": "arn:aws:iam::*:user/*"}}}}});
        let r = gw.admin("POST", "/restapis?mode=import", doc.to_string().as_bytes());
        assert!(r.status >= 400, "{}", r.text());
        assert!(
            r.text()
                .contains("need the method's authorizationType to be AWS_IAM"),
            "{}",
            r.text()
        );
    });
}

/// `tollgate check` (and so a start) refuses an identity policy it cannot enforce, naming the
/// file (relative to the config) and the operator.
#[test]
fn check_names_a_policy_file_it_cannot_enforce() {
    let dir = TempDir::new("iam-check");
    dir.write(
        "p.json",
        r#"{"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}}"#,
    );
    let config = dir.write(
        "t.toml",
        "[[iam.principals]]\naccess_key_id = \"AK\"\nsecret_access_key = \"s\"\n\
         arn = \"arn:aws:iam::111122223333:user/a\"\npolicy_file = \"p.json\"\n",
    );
    let (status, out) = run_cli(&["check", config.to_str().unwrap()]);
    assert!(!status.success(), "{out}");
    assert!(
        out.contains("iam.principals[0]: policy_file")
            && out.contains("p.json")
            && out.contains("condition operator Bool is not supported"),
        "{out}"
    );
}

/// A Lambda authorizer behind a resource policy: AWS checks the policy for an explicit Deny
/// before invoking the authorizer, so a denied caller gets the policy's 403 and the authorizer
/// (here the echo backend, whose reply is no authorizer answer: 500 if it were asked) is never
/// called.
#[test]
fn a_resource_policy_deny_comes_before_the_lambda_authorizer() {
    for_each_driver(|driver| {
        let s = setup(driver);
        let gw = &s.gw;
        let auth_uri = format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{ACCOUNT}:function:auth/invocations");
        let doc = json!({"openapi": "3.0.1", "info": {"title": "lambda-denied", "version": "1"},
            "paths": {
                "/denied": {"get": {"security": [{"tok": []}], "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": mock("{}")}},
                "/asked": {"get": {"security": [{"tok": []}], "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": mock("{}")}}},
            "components": {"securitySchemes": {"tok": {"type": "apiKey", "name": "Authorization",
                "in": "header", "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": auth_uri,
                    "authorizerResultTtlInSeconds": 0}}}},
            "x-amazon-apigateway-policy": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                 "Resource": "execute-api:/*"},
                {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
                 "Resource": "execute-api:/*/GET/denied",
                 "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}]}});
        let api = gw.import(&doc.to_string());
        gw.deploy(&api, "prod", &[]);
        let h = [("Authorization", "token-1")];
        let r = gw.call_h(&api, "GET", "/prod/denied", &h, b"");
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            message(&r),
            format!(
                "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {} with an explicit deny",
                method_arn(&api, "GET/denied")
            )
        );
        // Where the policy does not deny, the authorizer is asked (and its non-answer fails).
        let r = gw.call_h(&api, "GET", "/prod/asked", &h, b"");
        assert_eq!(r.status, 500, "{}", r.text());
    });
}

/// AWS's table A for a Lambda authorizer behind a resource policy, with the real TOKEN
/// authorizer (`allow-one`: an Allow for the first method called, cached for 300 s): its Allow
/// passes where the resource policy says nothing; where its cached policy says nothing, the
/// resource policy's Allow admits the call; where neither allows, the authorizer's 403.
#[test]
fn a_lambda_authorizer_policy_and_the_resource_policy_combine_by_table_a() {
    let emulator = lambda::Emulator::start();
    for_each_driver(|driver| {
        let uri = |name: &str| {
            format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}/invocations")
        };
        let config = Config {
            extra: format!(
                "[aws]\naccount_id = \"{ACCOUNT}\"\nregion = \"us-east-1\"\naccess_key_id = \"{GATEWAY_KEY}\"\n\
                 secret_access_key = \"gateway-secret\"\n[aws.endpoints]\nlambda = \"{}\"\n",
                emulator.url()
            ),
            ..Config::default()
        };
        let gw = Gateway::start(Opts::new(driver).config(config));
        let op = json!({"security": [{"tok": []}], "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": mock("{\"ok\": true}")});
        let doc = json!({"openapi": "3.0.1", "info": {"title": "table-a", "version": "1"},
            "paths": {"/a": {"get": op.clone()}, "/b": {"get": op.clone()}, "/c": {"get": op}},
            "components": {"securitySchemes": {"tok": {"type": "apiKey", "name": "Authorization",
                "in": "header", "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {"type": "token",
                    "authorizerUri": uri("token_authorizer"),
                    "authorizerResultTtlInSeconds": 300}}}},
            "x-amazon-apigateway-policy": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                 "Resource": "execute-api:/*/GET/b"}]}});
        let api = gw.import(&doc.to_string());
        gw.deploy(&api, "prod", &[]);
        let h = [("Authorization", "allow-one")];
        let get = |path: &str| gw.call_h(&api, "GET", path, &h, b"");
        // Authorizer Allow (for /a, cached), resource policy silent: Allow.
        let r = get("/prod/a");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
        // The cached policy says nothing of /b; the resource policy allows it: Allow.
        let r = get("/prod/b");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
        // Neither says anything of /c: the authorizer's 403.
        let r = get("/prod/c");
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            message(&r),
            "User is not authorized to access this resource"
        );
    });
}

/// A compressed body is verified as the client signed it: the payload hash covers the gzip bytes
/// on the wire, and the gateway decompresses only after the caller is authorized.
#[test]
fn a_compressed_body_is_verified_as_sent() {
    use std::io::Write as _;
    for_each_driver(|driver| {
        let s = setup(driver);
        let (gw, api) = (&s.gw, &s.plain);
        let host = api_host(api);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(br#"{"hello":"compressed"}"#).unwrap();
        let body = gz.finish().unwrap();
        let file = s._dir.write_bytes("body.gz", &body);
        let file = file.to_str().unwrap();
        let extra = [
            "--body-file",
            file,
            "--header",
            "Content-Encoding:gzip",
            "--header",
            "Content-Type:application/json",
        ];
        let mut h = signed_headers("POST", &host, "/prod/echo", ALICE, &extra);
        h.push(("Content-Encoding".into(), "gzip".into()));
        h.push(("Content-Type".into(), "application/json".into()));
        let hv: Vec<(&str, &str)> = h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let r = gw.call_h(api, "POST", "/prod/echo", &hv, &body);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            echoed(&r)["headers"]["x-user-arn"],
            arn("alice"),
            "{}",
            r.text()
        );
        // The same bytes under a signature of the decompressed body are refused.
        let plain = s._dir.write("body.json", r#"{"hello":"compressed"}"#);
        let extra = [
            "--body-file",
            plain.to_str().unwrap(),
            "--header",
            "Content-Encoding:gzip",
            "--header",
            "Content-Type:application/json",
        ];
        let mut h = signed_headers("POST", &host, "/prod/echo", ALICE, &extra);
        h.push(("Content-Encoding".into(), "gzip".into()));
        h.push(("Content-Type".into(), "application/json".into()));
        let hv: Vec<(&str, &str)> = h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let r = gw.call_h(api, "POST", "/prod/echo", &hv, &body);
        assert_eq!(r.status, 403, "{}", r.text());
    });
}

/// The stage cache's `Cache-Control: max-age=0`: with `requireAuthorizationForCacheControl` (the
/// default), only a caller whose identity policy allows `execute-api:InvalidateCache` (Dave), or
/// one without a policy (Bob, who may do everything), refetches; Alice's policy allows only
/// Invoke, so her header is ignored with a warning (SUCCEED_WITH_RESPONSE_HEADER).
#[test]
fn cache_invalidation_needs_execute_api_invalidate_cache() {
    for_each_driver(|driver| {
        let s = setup(driver);
        let (gw, api) = (&s.gw, &s.plain);
        let host = api_host(api);
        let body = json!({"patchOperations": [
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"}]});
        let r = gw.admin(
            "PATCH",
            &format!("/restapis/{api}/stages/prod"),
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let get = |key: (&str, &str), no_cache: bool| {
            let mut h = signed_headers("GET", &host, "/prod/iam", key, &[]);
            if no_cache {
                h.push(("Cache-Control".into(), "max-age=0".into()));
            }
            let r = send(gw, api, "GET", "/prod/iam", &h);
            assert_eq!(r.status, 200, "{}", r.text());
            let who = r.json()["userArn"].as_str().unwrap().to_string();
            (who, r.header("Warning").map(str::to_string))
        };
        // The identity is not part of the key: the first caller's answer is cached.
        assert_eq!(get(ALICE, false), (arn("alice"), None));
        assert_eq!(get(DAVE, false).0, arn("alice"));
        // Alice may not invalidate: ignored, with the warning.
        let (who, warning) = get(ALICE, true);
        assert_eq!(who, arn("alice"));
        assert!(warning.is_some_and(|w| w.starts_with("199 ")));
        // Dave may: refetched (his identity now cached).
        assert_eq!(get(DAVE, true), (arn("dave"), None));
        assert_eq!(get(ALICE, false).0, arn("dave"));
        // Bob has no identity policy: he may too.
        assert_eq!(get(BOB, true), (arn("bob"), None));
        assert_eq!(get(DAVE, false).0, arn("bob"));
    });
}
