//! Lambda authorizers (TOKEN and REQUEST) against the real binary and real functions: the
//! fixture functions `token_authorizer` and `request_authorizer` (tests/fixtures/lambda) run
//! under cargo-lambda, and each call appends a line to a file in `AUTHZ_COUNT_DIR`, so these
//! tests count invocations: the cache, the 401s answered without invoking, and the failures
//! never cached are all observed by the function's own count. Each test runs on both drivers
//! (one worker: the cache is per core).

mod common;
#[path = "support/lambda.rs"]
mod lambda;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const ACCOUNT: &str = "123456789012";

fn function_uri(name: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}/invocations"
    )
}

/// The functions, with their invocation counter.
struct Functions {
    emulator: lambda::Emulator,
    counts: TempDir,
}

impl Functions {
    fn start() -> Functions {
        let counts = TempDir::new("authz-counts");
        let dir = counts.path().to_str().unwrap().to_string();
        let emulator = lambda::Emulator::start_with_env(&[("AUTHZ_COUNT_DIR", &dir)]);
        Functions { emulator, counts }
    }

    /// How many times `function` was invoked so far.
    fn count(&self, function: &str) -> usize {
        std::fs::read_to_string(self.counts.join(function))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

fn token_scheme(header: &str, ttl: u32) -> Value {
    json!({"type": "apiKey", "name": header, "in": "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {
            "type": "token", "authorizerUri": function_uri("token_authorizer"),
            "authorizerResultTtlInSeconds": ttl,
            "identityValidationExpression": "[A-Za-z0-9:-]+"}})
}

fn doc(backend: &str) -> String {
    let http = |path: &str| {
        json!({"type": "http_proxy", "httpMethod": "ANY", "uri": format!("http://{backend}{path}"),
            "requestParameters": {
                "integration.request.header.X-Principal": "context.authorizer.principalId",
                "integration.request.header.X-Tier": "context.authorizer.tier",
                "integration.request.header.X-N": "context.authorizer.n"}})
    };
    let echo = json!({"type": "aws_proxy", "httpMethod": "POST", "uri": function_uri("echo")});
    let tok = json!([{"tok": []}]);
    json!({
        "openapi": "3.0.1",
        "info": {"title": "authorizers", "version": "1"},
        "x-amazon-apigateway-api-key-source": "AUTHORIZER",
        "components": {"securitySchemes": {
            "tok": token_scheme("Authorization", 300),
            "tok0": token_scheme("X-Token", 0),
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            "req": {"type": "apiKey", "name": "X-Id", "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {
                    "type": "request", "authorizerUri": function_uri("request_authorizer"),
                    "identitySource": "method.request.header.X-Id, method.request.querystring.q, stageVariables.sv",
                    "authorizerResultTtlInSeconds": 300}},
            "req0": {"type": "apiKey", "name": "unused", "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {
                    "type": "request", "authorizerUri": function_uri("request_authorizer"),
                    "authorizerResultTtlInSeconds": 0}}
        }},
        "x-amazon-apigateway-gateway-responses": {
            "UNAUTHORIZED": {"statusCode": 401,
                "responseParameters": {"gatewayresponse.header.WWW-Authenticate": "'Bearer realm=\"tollgate\"'"},
                "responseTemplates": {"application/json": "{\"custom\": \"unauthorized\", \"message\": $context.error.messageString}"}}
        },
        "paths": {
            "/a": {
                "get": {"security": tok, "x-amazon-apigateway-integration": http("/a")},
                "post": {"security": tok, "x-amazon-apigateway-integration": http("/a")}},
            "/b": {"get": {"security": tok, "x-amazon-apigateway-integration": http("/b")}},
            "/zero": {"get": {"security": [{"tok0": []}], "x-amazon-apigateway-integration": http("/zero")}},
            "/tokecho": {"get": {"security": tok, "x-amazon-apigateway-integration": echo}},
            "/keyed": {"get": {"security": [{"tok": [], "api_key": []}], "x-amazon-apigateway-integration": http("/keyed")}},
            "/req": {"get": {"security": [{"req": []}], "x-amazon-apigateway-integration": echo}},
            "/req0": {"get": {"security": [{"req0": []}], "x-amazon-apigateway-integration": echo}}
        }
    })
    .to_string()
}

struct Setup {
    gw: Gateway,
    api: String,
}

fn gateway(driver: &'static str, fx: &Functions, backend: &str) -> Setup {
    let config = Config {
        extra: format!(
            "[aws]\naccount_id = \"{ACCOUNT}\"\nregion = \"us-east-1\"\naccess_key_id = \"AKIDLAMBDATEST\"\nsecret_access_key = \"lambda-test-secret\"\n[aws.endpoints]\nlambda = \"{}\"\n",
            fx.emulator.url()
        ),
        ..Config::default()
    };
    let gw = Gateway::start(Opts::new(driver).config(config));
    let api = gw.import(&doc(backend));
    gw.deploy(&api, "prod", &[("sv", "blue")]);
    Setup { gw, api }
}

impl Setup {
    fn get(&self, target: &str, headers: &[(&str, &str)]) -> Response {
        self.call("GET", target, headers)
    }

    fn call(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Response {
        self.gw.call_h(&self.api, method, target, headers, b"")
    }

    fn token(&self, target: &str, token: &str) -> Response {
        self.get(target, &[("Authorization", token)])
    }
}

fn assert_status(r: &Response, status: u16, gw: &Gateway) {
    assert_eq!(r.status, status, "{}\n{}", r.text(), gw.stderr());
}

#[test]
fn token_authorizers_allow_deny_fail_and_cache_as_aws_does() {
    let fx = Functions::start();
    let be = backends::Upstream::echo("backend");
    for_each_driver(|driver| {
        let s = gateway(driver, &fx, &be.hostport());
        let gw = &s.gw;
        let base = fx.count("token_authorizer");
        let count = || fx.count("token_authorizer") - base;

        // No token, or one the validation expression refuses: 401 without invoking, through
        // the customised UNAUTHORIZED response.
        let r = s.get("/prod/a", &[]);
        assert_status(&r, 401, gw);
        assert_eq!(
            r.json(),
            json!({"custom": "unauthorized", "message": "Unauthorized"})
        );
        assert_eq!(
            r.header("www-authenticate"),
            Some("Bearer realm=\"tollgate\"")
        );
        assert_eq!(r.header("x-amzn-errortype"), Some("UnauthorizedException"));
        assert_status(&s.token("/prod/a", ""), 401, gw);
        assert_status(&s.token("/prod/a", "not valid!"), 401, gw);
        assert_eq!(count(), 0, "refused before invoking");

        // Allow: the caller's principal and context reach the backend through the mapping.
        let r = s.token("/prod/a", "allow");
        assert_status(&r, 200, gw);
        let seen = r.json();
        assert_eq!(seen["headers"]["x-principal"], "user-allow", "{seen}");
        assert_eq!(seen["headers"]["x-tier"], "gold");
        assert_eq!(seen["headers"]["x-n"], "42");
        assert_eq!(count(), 1);
        // Cached: the same token, and another method the cached policy covers, invoke nothing.
        assert_status(&s.token("/prod/a", "allow"), 200, gw);
        assert_status(&s.token("/prod/b", "allow"), 200, gw);
        assert_status(&s.token("/prod/tokecho", "allow"), 200, gw);
        assert_eq!(count(), 1, "answered from the cache");

        // The Lambda proxy event's requestContext.authorizer, from the cached answer (whose
        // context recorded the method ARN of the call that was invoked).
        let r = s.token("/prod/tokecho", "allow");
        let authorizer = &r.json()["requestContext"]["authorizer"];
        assert_eq!(
            *authorizer,
            json!({"principalId": "user-allow", "tier": "gold", "n": 42, "ok": true,
                "arn": format!("arn:aws:execute-api:us-east-1:{ACCOUNT}:{}/prod/GET/a", s.api),
                "type": "TOKEN"})
        );

        // A policy naming only the method first called denies the next one until it expires.
        assert_status(&s.token("/prod/a", "allow-one"), 200, gw);
        let r = s.call("POST", "/prod/a", &[("Authorization", "allow-one")]);
        assert_status(&r, 403, gw);
        assert_eq!(
            message(&r),
            "User is not authorized to access this resource"
        );
        assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
        assert_eq!(count(), 2);

        // Deny: 403 with AWS's explicit deny message; cached like an Allow.
        for _ in 0..2 {
            let r = s.token("/prod/a", "deny");
            assert_status(&r, 403, gw);
            assert_eq!(
                message(&r),
                "User is not authorized to access this resource with an explicit deny"
            );
        }
        assert_eq!(count(), 3);

        // The function saying "Unauthorized": 401, never cached.
        for _ in 0..2 {
            let r = s.token("/prod/a", "unauthorized");
            assert_status(&r, 401, gw);
            assert_eq!(r.json()["custom"], "unauthorized");
        }
        assert_eq!(count(), 5);

        // Any other failure: 500 AUTHORIZER_CONFIGURATION_ERROR, never cached.
        for token in ["boom", "garbage", "nested", "boom", "garbage", "nested"] {
            let r = s.token("/prod/a", token);
            assert_status(&r, 500, gw);
            assert_eq!(r.json(), json!({"message": null}), "{token}");
            assert_eq!(
                r.header("x-amzn-errortype"),
                Some("AuthorizerConfigurationException"),
                "{token}"
            );
        }
        assert_eq!(count(), 11);
        assert!(gw.stderr().contains("context value 'obj' is not a string"));
        assert!(
            !gw.stderr().contains("allow-one"),
            "tokens are never logged"
        );

        // TTL 0: every request invokes.
        for _ in 0..3 {
            assert_status(&s.get("/prod/zero", &[("X-Token", "allow")]), 200, gw);
        }
        assert_eq!(count(), 14);
    });
}

#[test]
fn a_slow_authorizer_fails_closed_after_ten_seconds() {
    let fx = Functions::start();
    let be = backends::Upstream::echo("backend");
    for_each_driver(|driver| {
        let s = gateway(driver, &fx, &be.hostport());
        let mut c = s.gw.conn();
        c.set_read_timeout(Duration::from_secs(30));
        let started = Instant::now();
        let r = c
            .request(
                "GET",
                "/prod/a",
                &api_host(&s.api),
                &[("Authorization", "sleep")],
                b"",
            )
            .unwrap();
        let took = started.elapsed();
        assert_status(&r, 500, &s.gw);
        assert_eq!(r.json(), json!({"message": null}));
        assert!(took >= Duration::from_millis(9_500), "{took:?}");
        assert!(took < Duration::from_secs(12), "{took:?}");
        assert!(s.gw.stderr().contains("no answer within 10 s"));
        // Let the sleeping invocation end before the next driver's gateway calls.
        std::thread::sleep(Duration::from_secs(3));
    });
}

#[test]
fn request_authorizers_get_the_request_and_need_every_identity_source() {
    let fx = Functions::start();
    let be = backends::Upstream::echo("backend");
    for_each_driver(|driver| {
        let s = gateway(driver, &fx, &be.hostport());
        let gw = &s.gw;
        let base = fx.count("request_authorizer");
        let count = || fx.count("request_authorizer") - base;

        // Every identity source is required: 401 without invoking.
        assert_status(&s.get("/prod/req?q=1", &[]), 401, gw);
        assert_status(&s.get("/prod/req", &[("X-Id", "alice")]), 401, gw);
        assert_status(&s.get("/prod/req?q=", &[("X-Id", "alice")]), 401, gw);
        assert_eq!(count(), 0);

        let r = s.get("/prod/req?q=1", &[("X-Id", "alice")]);
        assert_status(&r, 200, gw);
        let a = &r.json()["requestContext"]["authorizer"];
        assert_eq!(
            *a,
            json!({"principalId": "req-alice", "header": "alice", "query": "1",
                "stageVar": "blue", "type": "REQUEST", "httpMethod": "GET",
                "resource": "/req", "path": "/req", "sourceIp": "127.0.0.1",
                "methodArn": format!("arn:aws:execute-api:us-east-1:{ACCOUNT}:{}/prod/GET/req", s.api)})
        );
        assert_eq!(count(), 1);
        // Cached by the identity values: the same values invoke nothing, another value does.
        assert_status(&s.get("/prod/req?q=1", &[("X-Id", "alice")]), 200, gw);
        assert_eq!(count(), 1);
        assert_status(&s.get("/prod/req?q=2", &[("X-Id", "alice")]), 200, gw);
        assert_eq!(count(), 2);

        let r = s.get("/prod/req?q=1", &[("X-Id", "deny")]);
        assert_status(&r, 403, gw);
        assert_eq!(
            message(&r),
            "User is not authorized to access this resource with an explicit deny"
        );
        assert_eq!(count(), 3);

        // No identity sources and TTL 0: invoked for every request, whatever it carries.
        for _ in 0..2 {
            assert_status(&s.get("/prod/req0", &[]), 200, gw);
        }
        assert_eq!(count(), 5);
    });
}

#[test]
fn the_authorizer_supplies_the_api_key_when_the_source_is_authorizer() {
    let fx = Functions::start();
    let be = backends::Upstream::echo("backend");
    for_each_driver(|driver| {
        let s = gateway(driver, &fx, &be.hostport());
        let gw = &s.gw;
        let admin = |method: &str, target: &str, body: Value| {
            let r = gw.admin(method, target, body.to_string().as_bytes());
            assert!((200..300).contains(&r.status), "{target}: {}", r.text());
            r.json()
        };
        let key = admin("POST", "/apikeys", json!({"name": "k", "enabled": true}));
        let (key_id, value) = (
            key["id"].as_str().unwrap().to_string(),
            key["value"].as_str().unwrap().to_string(),
        );
        let plan = admin(
            "POST",
            "/usageplans",
            json!({"name": "p", "apiStages": [{"apiId": s.api, "stage": "prod"}]}),
        );
        admin(
            "POST",
            &format!("/usageplans/{}/keys", plan["id"].as_str().unwrap()),
            json!({"keyId": key_id, "keyType": "API_KEY"}),
        );
        // The key comes from the authorizer's usageIdentifierKey, not from x-api-key.
        let r = s.get("/prod/keyed", &[("Authorization", &format!("key:{value}"))]);
        assert_status(&r, 200, gw);
        let r = s.get(
            "/prod/keyed",
            &[("Authorization", "key:nosuchkey"), ("x-api-key", &value)],
        );
        assert_status(&r, 403, gw);
        // An Allow without a usageIdentifierKey: no key.
        assert_status(&s.token("/prod/keyed", "allow"), 403, gw);
    });
}

/// The aws CLI (`$TOLLGATE_AWS_CLI`, else `.venv/bin/aws`), or `None` when it is not installed
/// and `TOLLGATE_SKIP_AWSCLI=1` allows skipping.
fn aws_cli() -> Option<std::path::PathBuf> {
    if let Ok(p) = std::env::var("TOLLGATE_AWS_CLI") {
        return Some(p.into());
    }
    let venv = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    if venv.exists() {
        return Some(venv);
    }
    assert!(
        std::env::var_os("TOLLGATE_SKIP_AWSCLI").is_some(),
        "the aws CLI is not installed: set TOLLGATE_AWS_CLI or run tests/run.sh (TOLLGATE_SKIP_AWSCLI=1 skips)"
    );
    None
}

/// `aws apigateway test-invoke-authorizer ARGS` against `gw`'s admin port: the parsed output.
fn test_invoke_authorizer(exe: &std::path::Path, gw: &Gateway, args: &[&str]) -> Value {
    let home = TempDir::new("aws");
    let out = std::process::Command::new(exe)
        .args(["apigateway", "test-invoke-authorizer"])
        .args(args)
        .args(["--endpoint-url", &format!("http://{}", gw.admin)])
        .args(["--region", "us-east-1", "--output", "json"])
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", ADMIN_KEY.id)
        .env("AWS_SECRET_ACCESS_KEY", ADMIN_KEY.secret)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .expect("aws runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        gw.stderr()
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn test_invoke_authorizer_runs_the_function_of_the_current_definition() {
    let Some(exe) = aws_cli() else { return };
    let fx = Functions::start();
    let be = backends::Upstream::echo("backend");
    for_each_driver(|driver| {
        let s = gateway(driver, &fx, &be.hostport());
        let r =
            s.gw.admin("GET", &format!("/restapis/{}/authorizers", s.api), b"");
        let list = r.json();
        let id_of = |name: &str| {
            list["item"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == name)
                .unwrap_or_else(|| panic!("{name} in {list}"))["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let (tok, req) = (id_of("tok"), id_of("req"));
        let base = fx.count("token_authorizer");
        let api = s.api.as_str();

        let out = test_invoke_authorizer(
            &exe,
            &s.gw,
            &[
                "--rest-api-id",
                api,
                "--authorizer-id",
                &tok,
                "--headers",
                "Authorization=allow",
            ],
        );
        assert_eq!(out["clientStatus"], 0, "{out}");
        assert_eq!(out["principalId"], "user-allow");
        let policy: Value = serde_json::from_str(out["policy"].as_str().unwrap()).unwrap();
        assert_eq!(policy["Statement"][0]["Effect"], "Allow");
        assert_eq!(
            policy["Statement"][0]["Resource"],
            format!("arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/test-invoke-stage/*")
        );
        assert!(out["log"].as_str().unwrap().contains("tier=gold"), "{out}");
        // Never cached: a second test invokes again.
        test_invoke_authorizer(
            &exe,
            &s.gw,
            &[
                "--rest-api-id",
                api,
                "--authorizer-id",
                &tok,
                "--headers",
                "Authorization=allow",
            ],
        );
        assert_eq!(fx.count("token_authorizer") - base, 2);

        // A Deny is still a usable answer (0), its policy reported.
        let out = test_invoke_authorizer(
            &exe,
            &s.gw,
            &[
                "--rest-api-id",
                api,
                "--authorizer-id",
                &tok,
                "--headers",
                "Authorization=deny",
            ],
        );
        assert_eq!(out["clientStatus"], 0, "{out}");
        assert!(out["policy"].as_str().unwrap().contains("Deny"));
        // What a client would have received otherwise: 401 without invoking, 401, 500.
        for (headers, status) in [
            ("X-Other=1", 401),
            ("Authorization=unauthorized", 401),
            ("Authorization=nested", 500),
        ] {
            let out = test_invoke_authorizer(
                &exe,
                &s.gw,
                &[
                    "--rest-api-id",
                    api,
                    "--authorizer-id",
                    &tok,
                    "--headers",
                    headers,
                ],
            );
            assert_eq!(out["clientStatus"], status, "{headers}: {out}");
            assert!(out.get("principalId").is_none());
        }
        assert_eq!(fx.count("token_authorizer") - base, 5);

        // REQUEST: the path, query and stage variables of the simulated request.
        let out = test_invoke_authorizer(
            &exe,
            &s.gw,
            &[
                "--rest-api-id",
                api,
                "--authorizer-id",
                &req,
                "--headers",
                "X-Id=carol",
                "--path-with-query-string",
                "/some/where?q=9",
                "--stage-variables",
                "sv=green",
            ],
        );
        assert_eq!(out["clientStatus"], 0, "{out}");
        assert_eq!(out["principalId"], "req-carol");
        let log = out["log"].as_str().unwrap();
        assert!(
            log.contains("query=9") && log.contains("stageVar=green"),
            "{log}"
        );
        assert!(log.contains("path=/some/where"), "{log}");
        // Unknown authorizer: AWS's 404.
        let r = s.gw.admin(
            "POST",
            &format!("/restapis/{api}/authorizers/nosuch"),
            b"{}",
        );
        assert_eq!(r.status, 404, "{}", r.text());
    });
}

#[test]
fn a_resource_policy_combines_with_the_authorizer_policy() {
    let fx = Functions::start();
    let be = backends::Upstream::echo("backend");
    // The fixture API with a resource policy: anyone may invoke, except GET /b.
    let mut d: Value = serde_json::from_str(&doc(&be.hostport())).unwrap();
    d["x-amazon-apigateway-policy"] = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*/GET/b"}]});
    for_each_driver(|driver| {
        let config = Config {
            extra: format!(
                "[aws]\naccount_id = \"{ACCOUNT}\"\nregion = \"us-east-1\"\naccess_key_id = \"AKIDLAMBDATEST\"\nsecret_access_key = \"lambda-test-secret\"\n[aws.endpoints]\nlambda = \"{}\"\n",
                fx.emulator.url()
            ),
            ..Config::default()
        };
        let gw = Gateway::start(Opts::new(driver).config(config));
        let api = gw.import(&d.to_string());
        gw.deploy(&api, "prod", &[("sv", "blue")]);
        let s = Setup { gw, api };
        let base = fx.count("token_authorizer");

        // The resource policy's explicit Deny: 403 before the authorizer is asked.
        let r = s.token("/prod/b", "allow");
        assert_status(&r, 403, &s.gw);
        assert!(
            message(&r).contains("with an explicit deny"),
            "{}",
            r.text()
        );
        assert_eq!(fx.count("token_authorizer") - base, 0);
        // Both allow: served. The authorizer's Deny still denies where the resource policy allows.
        assert_status(&s.token("/prod/a", "allow"), 200, &s.gw);
        let r = s.token("/prod/a", "deny");
        assert_status(&r, 403, &s.gw);
        assert_eq!(
            message(&r),
            "User is not authorized to access this resource with an explicit deny"
        );
        assert_eq!(fx.count("token_authorizer") - base, 2);
        // A cached Allow for /b's token does not get past the resource policy either.
        assert_status(&s.token("/prod/b", "allow"), 403, &s.gw);
        assert_eq!(fx.count("token_authorizer") - base, 2);
    });
}

/// FlushStageAuthorizersCache (`DELETE .../stages/prod/cache/authorizers`, 202): the next request
/// with a cached token invokes the function again.
#[test]
fn flushing_the_authorizers_cache_invokes_the_function_again() {
    let fx = Functions::start();
    let be = backends::Upstream::echo("backend");
    for_each_driver(|driver| {
        let s = gateway(driver, &fx, &be.hostport());
        let gw = &s.gw;
        let base = fx.count("token_authorizer");
        let count = || fx.count("token_authorizer") - base;
        for _ in 0..2 {
            assert_status(&s.token("/prod/a", "allow"), 200, gw);
        }
        assert_eq!(count(), 1, "cached");
        let r = gw.admin(
            "DELETE",
            &format!("/restapis/{}/stages/prod/cache/authorizers", s.api),
            b"",
        );
        assert_eq!(r.status, 202, "{}", r.text());
        for _ in 0..2 {
            assert_status(&s.token("/prod/a", "allow"), 200, gw);
        }
        assert_eq!(count(), 2, "flushed once, then cached again");
    });
}
