//! Parameter mapping expressions: the keys and values of `requestParameters` and
//! `responseParameters` on integrations and integration responses.
//!
//! This module only parses the text; `method.rs` resolves sources against the method (path
//! capture indexes, declared parameters, stage variables) and compiles body expressions
//! (`method.request.body.a.b`, `integration.response.body.a.b`) into JSONPath with
//! `body_path`, so a bad expression fails the deploy with its pointer.

use super::uri::Vars;
use crate::deploy::snapshot::{BodyPath, ContextVar, ResponseParamSource};

/// Where an integration request parameter goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<'a> {
    Path(&'a str),
    Query(&'a str),
    Header(&'a str),
}

/// A request mapping source, before it is resolved against the method and the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source<'a> {
    Path(&'a str),
    Query(&'a str),
    MultiQuery(&'a str),
    Header(&'a str),
    MultiHeader(&'a str),
    StageVar(&'a str),
    Context(ContextVar),
    Literal(&'a str),
    /// `method.request.body` (`""`) or `method.request.body.EXPR` (`EXPR`).
    Body(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    /// Not a mapping expression AWS accepts here.
    Invalid,
    /// Valid in AWS but not served by this version (context variables the runtime lacks).
    NotSupportedYet,
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_name(name: &str) -> bool {
    !name.is_empty() && !name.bytes().any(|b| b <= b' ' || b == 0x7f)
}

/// `integration.request.{path|querystring|header}.NAME`.
pub fn parse_target(key: &str) -> Result<Target<'_>, ParamError> {
    let rest = key
        .strip_prefix("integration.request.")
        .ok_or(ParamError::Invalid)?;
    let (kind, name) = rest.split_once('.').ok_or(ParamError::Invalid)?;
    match kind {
        "path" if is_name(name) => Ok(Target::Path(name)),
        "querystring" if is_name(name) => Ok(Target::Query(name)),
        "header" if is_token(name) => Ok(Target::Header(name)),
        _ => Err(ParamError::Invalid),
    }
}

/// `'literal'`, if `value` is one.
pub fn literal(value: &str) -> Option<&str> {
    value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .filter(|_| value.len() >= 2)
}

/// `context.NAME` mapping sources (and the template context's fields of the same names).
pub fn context_var(name: &str) -> Option<ContextVar> {
    Some(match name {
        "requestId" => ContextVar::RequestId,
        "apiId" => ContextVar::ApiId,
        "stage" => ContextVar::Stage,
        "resourcePath" => ContextVar::ResourcePath,
        "httpMethod" => ContextVar::HttpMethod,
        "identity.sourceIp" => ContextVar::SourceIp,
        "path" => ContextVar::Path,
        "protocol" => ContextVar::Protocol,
        "requestTimeEpoch" => ContextVar::RequestTimeEpoch,
        "domainName" => ContextVar::DomainName,
        "accountId" => ContextVar::AccountId,
        "identity.apiKey" => ContextVar::ApiKey,
        "identity.apiKeyId" => ContextVar::ApiKeyId,
        "identity.accessKey" => ContextVar::IdentityAccessKey,
        "identity.accountId" => ContextVar::IdentityAccountId,
        "identity.caller" => ContextVar::IdentityCaller,
        "identity.user" => ContextVar::IdentityUser,
        "identity.userArn" => ContextVar::IdentityUserArn,
        "isCanaryRequest" => ContextVar::IsCanaryRequest,
        _ => match name.strip_prefix("authorizer.") {
            Some(key) if !key.is_empty() => ContextVar::Authorizer(key.into()),
            _ => return None,
        },
    })
}

fn stage_var(name: &str) -> Result<&str, ParamError> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(name)
    } else {
        Err(ParamError::Invalid)
    }
}

fn context(name: &str) -> Result<ContextVar, ParamError> {
    // Other context variables exist in AWS; they need the runtime's request context, which
    // only carries these so far.
    context_var(name).ok_or(ParamError::NotSupportedYet)
}

/// `body` or `body.EXPR` (after `method.request.` / `integration.response.`): `Some` with the
/// expression (`""` for the whole body), an error for `body.` with nothing after it.
fn body_expr(rest: &str) -> Option<Result<&str, ParamError>> {
    if rest == "body" {
        return Some(Ok(""));
    }
    let expr = rest.strip_prefix("body.")?;
    Some(if expr.is_empty() {
        Err(ParamError::Invalid)
    } else {
        Ok(expr)
    })
}

/// Compiles a body mapping's expression (`a.b[0]`, or `""` for the whole body) into the JSONPath
/// API Gateway evaluates (`$.a.b[0]`, or `$`). AWS documents the expression as "a JSONPath
/// expression without the `$` prefix"; its regex for mapping expressions
/// (`^[a-zA-Z0-9._$-]+$`) would refuse `[0]`, but its own examples index arrays, so Tollgate
/// accepts every JSONPath the compiler does.
pub fn body_path(expr: &str) -> Result<BodyPath, ParamError> {
    crate::json::compile_body_expression(expr)
        .map(|path| BodyPath {
            expr: expr.into(),
            path,
        })
        .map_err(|_| ParamError::Invalid)
}

/// A request mapping source.
pub fn parse_source(value: &str) -> Result<Source<'_>, ParamError> {
    if let Some(lit) = literal(value) {
        return Ok(Source::Literal(lit));
    }
    if let Some(name) = value.strip_prefix("stageVariables.") {
        return stage_var(name).map(Source::StageVar);
    }
    if let Some(name) = value.strip_prefix("context.") {
        return context(name).map(Source::Context);
    }
    let rest = value
        .strip_prefix("method.request.")
        .ok_or(ParamError::Invalid)?;
    if let Some(expr) = body_expr(rest) {
        return Ok(Source::Body(expr?));
    }
    let (kind, name) = rest.split_once('.').ok_or(ParamError::Invalid)?;
    if !is_name(name) {
        return Err(ParamError::Invalid);
    }
    match kind {
        "path" => Ok(Source::Path(name)),
        "querystring" => Ok(Source::Query(name)),
        "multivaluequerystring" => Ok(Source::MultiQuery(name)),
        "header" if is_token(name) => Ok(Source::Header(name)),
        "multivalueheader" if is_token(name) => Ok(Source::MultiHeader(name)),
        _ => Err(ParamError::Invalid),
    }
}

/// A response mapping: `method.response.header.NAME` <- source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseSource<'a> {
    Header(&'a str),
    MultiHeader(&'a str),
    /// `integration.response.body` (`""`) or `integration.response.body.EXPR` (`EXPR`).
    Body(&'a str),
    StageVar(&'a str),
    Context(ContextVar),
    Literal(&'a str),
}

/// The header name of a `method.response.header.NAME` key.
pub fn parse_response_target(key: &str) -> Result<&str, ParamError> {
    key.strip_prefix("method.response.header.")
        .filter(|n| is_token(n))
        .ok_or(ParamError::Invalid)
}

pub fn parse_response_source(value: &str) -> Result<ResponseSource<'_>, ParamError> {
    if let Some(lit) = literal(value) {
        return Ok(ResponseSource::Literal(lit));
    }
    if let Some(name) = value.strip_prefix("stageVariables.") {
        return stage_var(name).map(ResponseSource::StageVar);
    }
    if let Some(name) = value.strip_prefix("context.") {
        return context(name).map(ResponseSource::Context);
    }
    let rest = value
        .strip_prefix("integration.response.")
        .ok_or(ParamError::Invalid)?;
    if let Some(expr) = body_expr(rest) {
        return Ok(ResponseSource::Body(expr?));
    }
    let header = |name: &'_ str| is_token(name).then_some(()).ok_or(ParamError::Invalid);
    if let Some(name) = rest.strip_prefix("header.") {
        return header(name).map(|_| ResponseSource::Header(name));
    }
    if let Some(name) = rest.strip_prefix("multivalueheader.") {
        return header(name).map(|_| ResponseSource::MultiHeader(name));
    }
    Err(ParamError::Invalid)
}

/// A response mapping source resolved against the stage: header names lower-cased, body
/// expressions compiled (`Invalid` if the JSONPath compiler refuses one), stage variables
/// substituted (an undefined one maps to an empty value, as for requests) and literals trimmed
/// of the whitespace a header value does not keep. Whether a literal is a field value is the
/// caller's check.
pub fn resolve_response_source(
    value: &str,
    vars: Vars<'_>,
) -> Result<ResponseParamSource, ParamError> {
    let trim = |v: &str| -> Box<str> { v.trim_matches([' ', '\t']).into() };
    Ok(match parse_response_source(value)? {
        ResponseSource::Header(h) => ResponseParamSource::Header(h.to_ascii_lowercase().into()),
        ResponseSource::MultiHeader(h) => {
            ResponseParamSource::MultiHeader(h.to_ascii_lowercase().into())
        }
        ResponseSource::Body(expr) => ResponseParamSource::Body(body_path(expr)?),
        ResponseSource::Context(c) => ResponseParamSource::Context(c),
        ResponseSource::StageVar(n) => ResponseParamSource::Literal(match vars {
            Vars::Check => "".into(),
            Vars::Stage(vars) => trim(vars.get(n).map_or("", String::as_str)),
        }),
        ResponseSource::Literal(l) => ResponseParamSource::Literal(trim(l)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let cases: &[(&str, Result<Target, ParamError>)] = &[
            ("integration.request.path.id", Ok(Target::Path("id"))),
            ("integration.request.querystring.q", Ok(Target::Query("q"))),
            (
                "integration.request.header.X-Trace",
                Ok(Target::Header("X-Trace")),
            ),
            (
                "integration.request.header.bad name",
                Err(ParamError::Invalid),
            ),
            ("integration.request.body.x", Err(ParamError::Invalid)),
            ("integration.request.path.", Err(ParamError::Invalid)),
            ("method.request.path.id", Err(ParamError::Invalid)),
        ];
        for (key, want) in cases {
            assert_eq!(&parse_target(key), want, "{key}");
        }
    }

    #[test]
    fn parses_sources() {
        let cases: &[(&str, Result<Source, ParamError>)] = &[
            ("method.request.path.petId", Ok(Source::Path("petId"))),
            ("method.request.querystring.q", Ok(Source::Query("q"))),
            (
                "method.request.multivaluequerystring.q",
                Ok(Source::MultiQuery("q")),
            ),
            (
                "method.request.header.x-trace",
                Ok(Source::Header("x-trace")),
            ),
            (
                "method.request.multivalueheader.Accept",
                Ok(Source::MultiHeader("Accept")),
            ),
            ("stageVariables.backend", Ok(Source::StageVar("backend"))),
            (
                "context.requestId",
                Ok(Source::Context(ContextVar::RequestId)),
            ),
            (
                "context.identity.sourceIp",
                Ok(Source::Context(ContextVar::SourceIp)),
            ),
            ("'tollgate'", Ok(Source::Literal("tollgate"))),
            ("''", Ok(Source::Literal(""))),
            ("'", Err(ParamError::Invalid)),
            ("method.request.body", Ok(Source::Body(""))),
            ("method.request.body.name", Ok(Source::Body("name"))),
            (
                "method.request.body.items[0].id",
                Ok(Source::Body("items[0].id")),
            ),
            ("method.request.body.", Err(ParamError::Invalid)),
            ("method.request.bodyx", Err(ParamError::Invalid)),
            (
                "context.authorizer.principalId",
                Ok(Source::Context(ContextVar::Authorizer(
                    "principalId".into(),
                ))),
            ),
            (
                "context.authorizer.claims.sub",
                Ok(Source::Context(ContextVar::Authorizer("claims.sub".into()))),
            ),
            ("method.request.cookie.x", Err(ParamError::Invalid)),
            ("stageVariables.a-b", Err(ParamError::Invalid)),
            ("tollgate", Err(ParamError::Invalid)),
        ];
        for (value, want) in cases {
            assert_eq!(&parse_source(value), want, "{value}");
        }
    }

    #[test]
    fn parses_response_mappings() {
        assert_eq!(
            parse_response_target("method.response.header.X-Id"),
            Ok("X-Id")
        );
        assert_eq!(
            parse_response_target("method.response.body"),
            Err(ParamError::Invalid)
        );
        let cases: &[(&str, Result<ResponseSource, ParamError>)] = &[
            (
                "integration.response.header.X-Up",
                Ok(ResponseSource::Header("X-Up")),
            ),
            ("'*'", Ok(ResponseSource::Literal("*"))),
            ("integration.response.body", Ok(ResponseSource::Body(""))),
            (
                "integration.response.body.redirect.url",
                Ok(ResponseSource::Body("redirect.url")),
            ),
            (
                "integration.response.multivalueheader.Set-Cookie",
                Ok(ResponseSource::MultiHeader("Set-Cookie")),
            ),
            ("stageVariables.v1", Ok(ResponseSource::StageVar("v1"))),
            (
                "context.requestId",
                Ok(ResponseSource::Context(ContextVar::RequestId)),
            ),
            ("context.nope", Err(ParamError::NotSupportedYet)),
            ("integration.response.body.", Err(ParamError::Invalid)),
            ("integration.response.header.a b", Err(ParamError::Invalid)),
            ("integration.response.status", Err(ParamError::Invalid)),
            ("method.request.header.x", Err(ParamError::Invalid)),
        ];
        for (value, want) in cases {
            assert_eq!(&parse_response_source(value), want, "{value}");
        }
    }

    #[test]
    fn compiles_body_paths() {
        for ok in [
            "",
            "a",
            "a.b",
            "items[0].id",
            "items[*].id",
            "a['odd key']",
            "a..b",
        ] {
            let p = body_path(ok).unwrap_or_else(|e| panic!("{ok}: {e:?}"));
            assert_eq!(&*p.expr, ok);
        }
        for bad in ["a[", "a.b]", "[?(@.x ==", "a b"] {
            assert_eq!(body_path(bad).err(), Some(ParamError::Invalid), "{bad}");
        }
    }

    /// Whole documents through import and compile: what each body mapping compiles into, and
    /// which mappings fail the deploy where.
    mod compiled {
        use crate::deploy::compile::{compile_stage, UpstreamInterner};
        use crate::deploy::import::{import_document, ImportOptions};
        use crate::deploy::model::Stage;
        use crate::deploy::snapshot::{
            ContextVar, IntegrationRuntime, ParamSource, ResponseParamSource, UriPart,
        };

        fn doc(request: &str, response: &str, declared: &str) -> String {
            format!(
                r#"{{"openapi":"3.0.1","info":{{"title":"t","version":"1"}},"paths":{{
                "/p":{{"post":{{
                  "responses":{{"200":{{"description":"ok","headers":{{{declared}}}}}}},
                  "x-amazon-apigateway-integration":{{"type":"http","httpMethod":"POST",
                    "uri":"http://backend.test/items/{{id}}",
                    "requestParameters":{{{request}}},
                    "responses":{{"default":{{"statusCode":"200",
                      "responseParameters":{{{response}}}}},
                      "5\\d\\d":{{"statusCode":"503"}}}}}}}}}}}}}}"#
            )
        }

        fn compile(text: &str) -> Result<IntegrationRuntime, Vec<(String, String)>> {
            let problems = |p: crate::deploy::Problems| {
                p.0.into_iter()
                    .map(|p| (p.pointer, p.message))
                    .collect::<Vec<_>>()
            };
            let api =
                import_document(text.as_bytes(), &ImportOptions::default()).map_err(problems)?;
            let stage = Stage {
                stage_name: "prod".into(),
                deployment_id: "d1".into(),
                variables: [("v".to_string(), " from-stage ".to_string())].into(),
                ..Stage::default()
            };
            let mut st =
                compile_stage(&api, &stage, &mut UpstreamInterner::default()).map_err(problems)?;
            Ok(st.methods.remove(0).integration)
        }

        #[test]
        fn body_mappings_compile_into_json_paths() {
            let i = compile(&doc(
                r#""integration.request.path.id":"method.request.body.items[0].id",
                   "integration.request.querystring.all":"method.request.body",
                   "integration.request.header.X-Name":"method.request.body.name""#,
                r#""method.response.header.Location":"integration.response.body.redirect.url",
                   "method.response.header.X-Body":"integration.response.body",
                   "method.response.header.X-Cookies":"integration.response.multivalueheader.Set-Cookie",
                   "method.response.header.X-Stage":"stageVariables.v",
                   "method.response.header.X-Req":"context.requestId""#,
                r#""Location":{},"X-Body":{},"X-Cookies":{},"X-Stage":{},"X-Req":{}"#,
            ))
            .unwrap();
            let body = |p: &ParamSource| match p {
                ParamSource::Body(b) => b.expr.to_string(),
                other => panic!("{other:?}"),
            };
            let UriPart::Param { source, greedy, .. } = &i.path[1] else {
                panic!("{:?}", i.path)
            };
            assert_eq!((body(source).as_str(), *greedy), ("items[0].id", false));
            assert_eq!(body(&i.query_params[0].1), "");
            assert_eq!(body(&i.header_params[0].1), "name");
            let ok = &i.responses[i.default_response.unwrap()];
            assert!(ok.has_method_response);
            let got: Vec<(&str, String)> = ok
                .header_params
                .iter()
                .map(|(n, s)| {
                    let s = match s {
                        ResponseParamSource::Body(b) => format!("body:{}", b.expr),
                        ResponseParamSource::MultiHeader(h) => format!("multi:{h}"),
                        ResponseParamSource::Literal(l) => format!("literal:{l}"),
                        ResponseParamSource::Context(ContextVar::RequestId) => "requestId".into(),
                        other => format!("{other:?}"),
                    };
                    (&**n, s)
                })
                .collect();
            assert_eq!(
                got,
                vec![
                    ("Location", "body:redirect.url".to_string()),
                    ("X-Body", "body:".to_string()),
                    ("X-Cookies", "multi:set-cookie".to_string()),
                    ("X-Req", "requestId".to_string()),
                    ("X-Stage", "literal:from-stage".to_string()),
                ]
            );
            // `503` is selected by `5\d\d` but the method declares no 503 response.
            let unavailable = i.responses.iter().find(|r| r.status == 503).unwrap();
            assert!(!unavailable.has_method_response);
        }

        #[test]
        fn mappings_to_headers_the_gateway_frames_are_accepted_and_left_out() {
            let i = compile(&doc(
                r#""integration.request.path.id":"'1'""#,
                r#""method.response.header.Content-Length":"integration.response.header.Content-Length",
                   "method.response.header.date":"integration.response.header.Date",
                   "method.response.header.Transfer-Encoding":"'chunked'",
                   "method.response.header.Connection":"'close'",
                   "method.response.header.Timestamp":"integration.response.header.Date""#,
                r#""Content-Length":{},"date":{},"Transfer-Encoding":{},"Connection":{},"Timestamp":{}"#,
            ))
            .unwrap();
            let ok = &i.responses[i.default_response.unwrap()];
            let names: Vec<&str> = ok.header_params.iter().map(|(n, _)| &**n).collect();
            assert_eq!(names, ["Timestamp"]);
        }

        #[test]
        fn bad_body_mappings_fail_the_deploy_at_their_pointer() {
            let got = compile(&doc(
                r#""integration.request.header.X-A":"method.request.body.a[",
                   "integration.request.header.X-B":"method.request.body.",
                   "integration.request.header.X-C":"method.request.body.ok",
                   "integration.request.path.id":"'1'""#,
                r#""method.response.header.X-D":"integration.response.body.x]",
                   "method.response.header.X-Undeclared":"integration.response.body.x",
                   "method.response.header.X-E":"integration.response.body.fine""#,
                r#""X-D":{},"X-E":{}"#,
            ))
            .unwrap_err();
            let integ = "/paths/~1p/post/x-amazon-apigateway-integration";
            let resp = format!("{integ}/responses/default/responseParameters");
            let want = [
                (
                    format!("{integ}/requestParameters/integration.request.header.X-A"),
                    "Invalid mapping expression parameter specified: method.request.body.a[]",
                ),
                (
                    format!("{integ}/requestParameters/integration.request.header.X-B"),
                    "Invalid mapping expression parameter specified: method.request.body.]",
                ),
                (
                    format!("{resp}/method.response.header.X-D"),
                    "Invalid mapping expression specified: integration.response.body.x]]",
                ),
                (
                    format!("{resp}/method.response.header.X-Undeclared"),
                    "Invalid mapping expression parameter specified: method.response.header.X-Undeclared]",
                ),
            ];
            assert_eq!(got.len(), want.len(), "{got:#?}");
            for ((at, msg), (want_at, want_msg)) in got.iter().zip(&want) {
                assert_eq!(at, want_at, "{got:#?}");
                assert!(msg.ends_with(want_msg), "{msg}");
            }
        }
    }
}
