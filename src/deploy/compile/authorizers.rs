//! Compiles the deployed API's `authorizers` for one stage (`deploy::authorizers`): type,
//! identity sources, validation expression, result TTL, and each mechanism's data. A problem
//! names the authorizer (`/authorizers/{i}/...`) with AWS's wording where AWS has one, and
//! fails the deployment whole, like every other compile error.

use super::aws::{checked_role, lambda_invoke};
use super::params::context_var;
use super::uri::{substitute, Vars};
use super::UpstreamInterner;
use crate::aws::arn::{self, AwsUri};
use crate::deploy::authorizers::{
    AuthorizerKind, AuthorizerRuntime, CognitoPools, IdentitySource, LambdaFunction,
    DEFAULT_TTL_SECS, MAX_TTL_SECS,
};
use crate::deploy::model::{Authorizer, RestApi};
use crate::deploy::problem::Problems;
use serde_json::Value;

/// Every authorizer of `api`, in order (`AuthorizerIdx(i)` is `api.authorizers[i]`); `None` in
/// place of one that does not compile. The problems of those in `used` (named by a method) fail
/// the deployment; one no method names is left out quietly, as it cannot affect a request.
pub fn compile_authorizers(
    api: &RestApi,
    vars: Vars<'_>,
    used: &std::collections::BTreeSet<u32>,
    upstreams: &mut UpstreamInterner,
    problems: &mut Problems,
) -> Vec<Option<AuthorizerRuntime>> {
    api.authorizers
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut own = Problems::default();
            let out = compile_one(a, &format!("/authorizers/{i}"), vars, upstreams, &mut own);
            if used.contains(&(i as u32)) {
                problems.0.extend(own.0);
            }
            out
        })
        .collect()
}

fn str_field<'a>(a: &'a Authorizer, name: &str) -> Option<&'a str> {
    a.extra.get(name).and_then(Value::as_str)
}

fn compile_one(
    a: &Authorizer,
    at: &str,
    vars: Vars<'_>,
    upstreams: &mut UpstreamInterner,
    problems: &mut Problems,
) -> Option<AuthorizerRuntime> {
    let before = problems.0.len();
    let kind = str_field(a, "type").unwrap_or("");
    let ttl = match a.extra.get("authorizerResultTtlInSeconds") {
        None | Some(Value::Null) => DEFAULT_TTL_SECS,
        Some(v) => match v.as_u64() {
            Some(t) if t <= u64::from(MAX_TTL_SECS) => t as u32,
            _ => {
                problems.push(
                    format!("{at}/authorizerResultTtlInSeconds"),
                    format!(
                        "Authorizer {}: authorizerResultTtlInSeconds must be between 0 and {MAX_TTL_SECS}",
                        a.name
                    ),
                );
                0
            }
        },
    };
    let default_source = (kind != "REQUEST").then_some("method.request.header.Authorization");
    let source_text = str_field(a, "identitySource")
        .filter(|s| !s.trim().is_empty())
        .or(default_source);
    let sources = match source_text {
        Some(text) => identity_sources(text, vars, &format!("{at}/identitySource"), problems),
        // REQUEST without identity sources: allowed only without caching (AWS's rule).
        None if ttl > 0 => {
            problems.push(
                format!("{at}/identitySource"),
                format!(
                    "Authorizer {}: identitySource is required for a REQUEST authorizer whose results are cached (authorizerResultTtlInSeconds > 0)",
                    a.name
                ),
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    if matches!(kind, "TOKEN" | "COGNITO_USER_POOLS")
        && !matches!(sources.as_slice(), [IdentitySource::Header(_)])
    {
        problems.push(
            format!("{at}/identitySource"),
            format!(
                "Authorizer {}: a {kind} authorizer's identitySource must be one header (method.request.header.NAME)",
                a.name
            ),
        );
    }
    let validation = match str_field(a, "identityValidationExpression").filter(|e| !e.is_empty()) {
        // COGNITO_USER_POOLS: matched against the token's audience (AWS's rule).
        Some(expr) if matches!(kind, "TOKEN" | "COGNITO_USER_POOLS") => {
            match regex::Regex::new(&format!("^(?:{expr})$")) {
                Ok(r) => Some(r),
                Err(e) => {
                    problems.push(
                        format!("{at}/identityValidationExpression"),
                        format!(
                            "Authorizer {}: invalid identityValidationExpression: {e}",
                            a.name
                        ),
                    );
                    None
                }
            }
        }
        _ => None,
    };
    let kind = match kind {
        "TOKEN" | "REQUEST" => {
            let function = lambda_function(a, at, vars, upstreams, problems);
            if kind == "TOKEN" {
                AuthorizerKind::Token(function)
            } else {
                AuthorizerKind::Request(function)
            }
        }
        "COGNITO_USER_POOLS" => match cognito_pools(a, at, vars, problems) {
            Some(pools) => AuthorizerKind::Cognito(pools),
            None => return None,
        },
        other => {
            problems.push(
                format!("{at}/type"),
                format!(
                    "Authorizer {}: invalid type '{other}': valid types are TOKEN, REQUEST, COGNITO_USER_POOLS",
                    a.name
                ),
            );
            return None;
        }
    };
    (problems.0.len() == before).then(|| AuthorizerRuntime {
        id: a.id.as_str().into(),
        name: a.name.as_str().into(),
        kind,
        ttl_secs: ttl,
        sources: sources.into(),
        validation,
    })
}

/// `identitySource`: comma-separated `method.request.header.X`, `method.request.querystring.X`,
/// `stageVariables.X` and `context.X`.
fn identity_sources(
    text: &str,
    vars: Vars<'_>,
    at: &str,
    problems: &mut Problems,
) -> Vec<IdentitySource> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let source = if let Some(name) = part.strip_prefix("method.request.header.") {
            (!name.is_empty()).then(|| IdentitySource::Header(name.to_ascii_lowercase().into()))
        } else if let Some(name) = part.strip_prefix("method.request.querystring.") {
            (!name.is_empty()).then(|| IdentitySource::Query(name.into()))
        } else if let Some(name) = part.strip_prefix("stageVariables.") {
            (!name.is_empty()).then(|| IdentitySource::StageVariable {
                name: name.into(),
                value: match vars {
                    Vars::Stage(map) => map.get(name).map(|v| v.as_str().into()),
                    Vars::Check => None,
                },
            })
        } else if let Some(name) = part.strip_prefix("context.") {
            context_var(name).map(IdentitySource::Context)
        } else {
            None
        };
        match source {
            Some(s) => out.push(s),
            None => problems.push(
                at.to_string(),
                format!("Invalid identity source specified: {part}"),
            ),
        }
    }
    out
}

/// `authorizerUri` (`arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fnArn}/invocations`,
/// stage variables allowed as in an integration URI) and `authorizerCredentials`, compiled into
/// the Invoke call a Lambda integration makes.
fn lambda_function(
    a: &Authorizer,
    at: &str,
    vars: Vars<'_>,
    upstreams: &mut UpstreamInterner,
    problems: &mut Problems,
) -> LambdaFunction {
    let raw = str_field(a, "authorizerUri").unwrap_or("");
    let mut missing = Vec::new();
    let uri = substitute(raw, vars, &mut missing);
    let credentials = str_field(a, "authorizerCredentials")
        .filter(|c| !c.is_empty())
        .map(Box::<str>::from);
    let refused = |why: &str| -> Result<_, Box<str>> { Err(why.into()) };
    let mut function = LambdaFunction {
        uri: uri.as_str().into(),
        credentials: credentials.clone(),
        invoke: refused("not compiled"),
    };
    if raw.is_empty() {
        problems.push(
            format!("{at}/authorizerUri"),
            format!(
                "Authorizer {}: authorizerUri is required for a Lambda authorizer",
                a.name
            ),
        );
        return function;
    }
    if !missing.is_empty() {
        for name in missing {
            problems.push(
                format!("{at}/authorizerUri"),
                format!(
                    "Authorizer {}: the stage has no variable '{name}' that authorizerUri names",
                    a.name
                ),
            );
        }
        return function;
    }
    let (region, target) = match arn::parse(&uri) {
        Ok(AwsUri::Lambda { region, function }) => (region, function),
        Ok(AwsUri::Service { .. }) | Err(_) => {
            problems.push(
                format!("{at}/authorizerUri"),
                format!(
                    "Authorizer {}: Invalid Authorizer URI: {uri}. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation.",
                    a.name
                ),
            );
            return function;
        }
    };
    let role = match credentials.as_deref().map(|c| checked_role(c, vars)) {
        None => None,
        Some(Ok(role)) => role,
        Some(Err(message)) => {
            problems.push(
                format!("{at}/authorizerCredentials"),
                format!("Authorizer {}: {message}", a.name),
            );
            return function;
        }
    };
    function.invoke = lambda_invoke(&region, &target, role, upstreams);
    function
}

fn cognito_pools(
    a: &Authorizer,
    at: &str,
    vars: Vars<'_>,
    problems: &mut Problems,
) -> Option<CognitoPools> {
    let arns: Vec<String> = a
        .extra
        .get("providerARNs")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).map(Into::into).collect())
        .unwrap_or_default();
    if arns.is_empty() {
        problems.push(
            format!("{at}/providerARNs"),
            format!(
                "Authorizer {}: providerARNs is required for a COGNITO_USER_POOLS authorizer",
                a.name
            ),
        );
        return None;
    }
    // A stage's compile registers the pools, so their keys are fetched before it serves a request;
    // a check with no stage (CreateDeployment) only checks the ARNs, fetching nothing.
    let compiled = match vars {
        Vars::Stage(_) => crate::deploy::cognito::compile(&arns),
        Vars::Check => crate::deploy::cognito::compile_with(&arns, |region, pool_id| {
            std::sync::Arc::new(crate::aws::jwks::Pool::new(
                &crate::aws::jwks::issuer(region, pool_id),
                "",
            ))
        }),
    };
    match compiled {
        Ok(pools) => Some(pools),
        Err(e) => {
            problems.push(
                format!("{at}/providerARNs"),
                format!("Authorizer {}: {e}", a.name),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fn_uri(function: &str) -> String {
        format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations")
    }

    fn authorizer(fields: Value) -> Authorizer {
        Authorizer {
            id: "a1".into(),
            name: "auth".into(),
            extra: fields.as_object().cloned().unwrap_or_default(),
        }
    }

    fn compile(fields: Value) -> Result<AuthorizerRuntime, Vec<String>> {
        let mut problems = Problems::default();
        let vars = std::collections::BTreeMap::from([("fn".to_string(), "checker".to_string())]);
        let out = compile_one(
            &authorizer(fields),
            "/authorizers/0",
            Vars::Stage(&vars),
            &mut UpstreamInterner::default(),
            &mut problems,
        );
        out.ok_or_else(|| problems.0.iter().map(|p| p.message.clone()).collect())
    }

    #[test]
    fn a_token_authorizer_reads_one_header_with_aws_defaults() {
        let a = compile(json!({"type": "TOKEN", "authorizerUri": fn_uri("${stageVariables.fn}")}))
            .unwrap();
        assert_eq!(
            &*a.sources,
            &[IdentitySource::Header("authorization".into())]
        );
        assert_eq!(a.ttl_secs, DEFAULT_TTL_SECS);
        let AuthorizerKind::Token(f) = &a.kind else {
            panic!("{:?}", a.kind)
        };
        assert_eq!(&*f.uri, fn_uri("checker"));
        let (_, call) = f.invoke.as_ref().unwrap();
        assert!(call.path.contains("checker"), "{}", call.path);
        assert_eq!(&*call.region, "us-east-1");
    }

    #[test]
    fn request_sources_are_typed_and_the_validation_expression_is_anchored() {
        let a = compile(json!({"type": "REQUEST", "authorizerUri": fn_uri("f"),
            "identitySource": "method.request.header.X-Id, method.request.querystring.q, stageVariables.fn, context.httpMethod",
            "authorizerResultTtlInSeconds": 0}))
        .unwrap();
        assert_eq!(a.sources.len(), 4);
        assert_eq!(a.ttl_secs, 0);
        assert!(
            matches!(&a.sources[2], IdentitySource::StageVariable { value: Some(v), .. } if &**v == "checker")
        );
        let t = compile(json!({"type": "TOKEN", "authorizerUri": fn_uri("f"),
            "identityValidationExpression": "Bearer [a-z]+"}))
        .unwrap();
        let re = t.validation.unwrap();
        assert!(re.is_match("Bearer abc"));
        assert!(!re.is_match("xBearer abc"));
    }

    #[test]
    fn bad_authorizers_name_what_is_wrong() {
        for (fields, want) in [
            (json!({"type": "NOPE"}), "invalid type"),
            (json!({"type": "TOKEN"}), "authorizerUri is required"),
            (
                json!({"type": "TOKEN", "authorizerUri": fn_uri("f"), "authorizerResultTtlInSeconds": 3601}),
                "between 0 and 3600",
            ),
            (
                json!({"type": "TOKEN", "authorizerUri": fn_uri("f"), "identitySource": "method.request.querystring.t"}),
                "one header",
            ),
            (
                json!({"type": "REQUEST", "authorizerUri": fn_uri("f"), "identitySource": "method.request.cookie.c"}),
                "Invalid identity source",
            ),
            (
                json!({"type": "REQUEST", "authorizerUri": fn_uri("f")}),
                "identitySource is required",
            ),
            (
                json!({"type": "TOKEN", "authorizerUri": fn_uri("f"), "identityValidationExpression": "("}),
                "identityValidationExpression",
            ),
            (
                json!({"type": "COGNITO_USER_POOLS"}),
                "providerARNs is required",
            ),
            (
                json!({"type": "TOKEN", "authorizerUri": "arn:aws:lambda:us-east-1:1:function:f"}),
                "Invalid Authorizer URI",
            ),
            (
                json!({"type": "TOKEN", "authorizerUri": fn_uri("f"), "authorizerCredentials": "arn:aws:iam::123456789012:user/u"}),
                "Invalid credentials ARN",
            ),
            (
                json!({"type": "TOKEN", "authorizerUri": "${stageVariables.nope}"}),
                "no variable 'nope'",
            ),
        ] {
            let errs = compile(fields.clone()).unwrap_err();
            assert!(errs.iter().any(|e| e.contains(want)), "{fields}: {errs:?}");
        }
    }
}
