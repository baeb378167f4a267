//! A stage's `accessLogSettings.format` compiled into pieces: literal text and `$context`
//! variables, so a request's line is rendered by one pass over a short list (no parsing, no
//! name lookup per request).
//!
//! The variables are API Gateway's for REST access logging ("Variables for access logging for
//! API Gateway"), case-sensitive. A name outside that list fails the whole format with AWS's
//! message, before anything is stored. Variables whose facts Tollgate does not have (Cognito
//! identity pools, X-Ray, client certificates...) compile and render `-`, as AWS writes a value
//! a request did not have.
//!
//! Values are escaped for the shape of the format, chosen at compile time by its first
//! character: `{` JSON (`"` `\` and control characters escaped), `<` XML (`<>&"'` as entities),
//! anything else as is (CLF, CSV); control characters outside JSON become spaces. A value can
//! then never break a line, nor a parser reading the log.

use crate::deploy::compile::params::context_var;
use crate::deploy::snapshot::ContextVar;

/// AWS's longest documented format is far below this; a bound keeps fuzzed input cheap.
pub const MAX_FORMAT: usize = 4096;

#[derive(Debug, Clone, PartialEq)]
pub struct AccessLogFormat {
    pub pieces: Box<[Piece]>,
    pub escape: Escape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    None,
    Json,
    Xml,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Lit(Box<[u8]>),
    Var(LogVar),
}

/// One `$context` variable of an access log line.
#[derive(Debug, Clone, PartialEq)]
pub enum LogVar {
    /// One the parameter mappings also read (`pipeline::params::write_context`).
    Ctx(ContextVar),
    RequestTime,
    ExtendedRequestId,
    UserAgent,
    ResourceId,
    DeploymentId,
    DomainPrefix,
    /// The method response's status.
    Status,
    /// The response payload's length in bytes.
    ResponseLength,
    /// Milliseconds from the request's arrival to the end of its response (a stream relayed
    /// included): filled in after the response is out.
    ResponseLatency,
    /// Milliseconds waiting for the backend (`integrationLatency`, `integration.latency`).
    IntegrationLatency,
    /// The backend's status (`integrationStatus`, `integration.status`,
    /// `integration.integrationStatus`).
    IntegrationStatus,
    ErrorMessage,
    /// The message as a JSON string (quoted).
    ErrorMessageString,
    ErrorResponseType,
    IsCanaryRequest,
    WafResponseCode,
    WafStatus,
    WafLatency,
    WafError,
    /// A step of the authorize phase (`pipeline::trace::AuthTrace`): its status, latency or
    /// error (`authenticate.*`, `authorize.*`, `authorizer.status/latency/error`).
    Auth(AuthStep, StepField),
    /// The Lambda authorizer's Invoke call, when it was made (not on a cache hit).
    AuthorizerIntegrationLatency,
    AuthorizerIntegrationStatus,
    AuthorizerRequestId,
    /// Why the integration failed (`integration.error`).
    IntegrationError,
    /// An AWS integration's (Lambda, AWS service) request id header (`integration.requestId`,
    /// `awsEndpointRequestId`).
    IntegrationRequestId,
    /// That endpoint's `x-amz-id-2` header (`awsEndpointRequestId2`).
    AwsEndpointRequestId2,
    /// The body validator's detailed message (`error.validationErrorString`).
    ValidationErrorString,
    /// The stage's web ACL (`webaclArn`).
    WebAclArn,
    /// The API's endpoint type: EDGE, REGIONAL or PRIVATE (`endpointType`).
    EndpointType,
    /// A documented variable whose fact Tollgate does not have: always `-`.
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStep {
    Authenticate,
    Authorize,
    Authorizer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepField {
    Status,
    Latency,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("The following context variables are not supported: [{}]", .0.join(", "))]
    Unsupported(Vec<String>),
    #[error("Access log format must be a single line")]
    MultiLine,
    #[error("Access log format must not be longer than {MAX_FORMAT} characters")]
    TooLong,
    #[error(
        "Access log format must include at least $context.requestId or $context.extendedRequestId"
    )]
    NoRequestId,
}

/// Documented names -> variable (besides those `context_var` knows).
fn named(name: &str) -> Option<LogVar> {
    use LogVar::*;
    Some(match name {
        "requestTime" => RequestTime,
        "extendedRequestId" => ExtendedRequestId,
        "identity.userAgent" => UserAgent,
        "resourceId" => ResourceId,
        "deploymentId" => DeploymentId,
        "domainPrefix" => DomainPrefix,
        "status" => Status,
        "responseLength" => ResponseLength,
        "responseLatency" => ResponseLatency,
        "integrationLatency" | "integration.latency" => IntegrationLatency,
        "integrationStatus" | "integration.status" | "integration.integrationStatus" => {
            IntegrationStatus
        }
        "error.message" => ErrorMessage,
        "error.messageString" => ErrorMessageString,
        "error.responseType" => ErrorResponseType,
        "isCanaryRequest" => IsCanaryRequest,
        "wafResponseCode" => WafResponseCode,
        "waf.status" => WafStatus,
        "waf.latency" => WafLatency,
        "waf.error" => WafError,
        "authenticate.status" => Auth(AuthStep::Authenticate, StepField::Status),
        "authenticate.latency" => Auth(AuthStep::Authenticate, StepField::Latency),
        "authenticate.error" => Auth(AuthStep::Authenticate, StepField::Error),
        "authorize.status" => Auth(AuthStep::Authorize, StepField::Status),
        "authorize.latency" => Auth(AuthStep::Authorize, StepField::Latency),
        "authorize.error" => Auth(AuthStep::Authorize, StepField::Error),
        "authorizer.status" => Auth(AuthStep::Authorizer, StepField::Status),
        "authorizer.latency" => Auth(AuthStep::Authorizer, StepField::Latency),
        "authorizer.error" => Auth(AuthStep::Authorizer, StepField::Error),
        "authorizer.integrationLatency" => AuthorizerIntegrationLatency,
        "authorizer.integrationStatus" => AuthorizerIntegrationStatus,
        "authorizer.requestId" => AuthorizerRequestId,
        "integration.error" => IntegrationError,
        "integration.requestId" | "awsEndpointRequestId" => IntegrationRequestId,
        "error.validationErrorString" => ValidationErrorString,
        "webaclArn" => WebAclArn,
        "endpointType" => EndpointType,
        "awsEndpointRequestId2" => AwsEndpointRequestId2,
        "customDomain.basePathMatched"
        | "identity.clientCert.clientCertPem"
        | "identity.clientCert.subjectDN"
        | "identity.clientCert.issuerDN"
        | "identity.clientCert.serialNumber"
        | "identity.clientCert.validity.notBefore"
        | "identity.clientCert.validity.notAfter"
        | "identity.cognitoAuthenticationProvider"
        | "identity.cognitoAuthenticationType"
        | "identity.cognitoIdentityId"
        | "identity.cognitoIdentityPoolId"
        | "identity.principalOrgId"
        | "identity.vpceId"
        | "identity.vpcId"
        | "responseOverride.status"
        | "xrayTraceId" => Absent,
        _ => return None,
    })
}

/// The variable `$context.NAME` stands for, if AWS documents it.
pub fn variable(name: &str) -> Option<LogVar> {
    if let Some(v) = named(name) {
        return Some(v);
    }
    if let Some(v) = context_var(name) {
        return Some(LogVar::Ctx(v));
    }
    // Open-ended families: the override maps a template set.
    for prefix in [
        "requestOverride.header.",
        "requestOverride.path.",
        "requestOverride.querystring.",
        "responseOverride.header.",
    ] {
        if name.strip_prefix(prefix).is_some_and(|k| !k.is_empty()) {
            return Some(LogVar::Absent);
        }
    }
    None
}

fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// Compiles `format`; every unknown variable is named in the error.
pub fn compile(format: &str) -> Result<AccessLogFormat, FormatError> {
    if format.len() > MAX_FORMAT {
        return Err(FormatError::TooLong);
    }
    if format.contains(['\n', '\r']) {
        return Err(FormatError::MultiLine);
    }
    const MARK: &str = "$context";
    let bytes = format.as_bytes();
    let mut pieces = Vec::new();
    let mut unknown = Vec::new();
    let mut lit = Vec::new();
    let mut has_id = false;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i..].starts_with(MARK.as_bytes()) {
            lit.push(bytes[i]);
            i += 1;
            continue;
        }
        let start = i + MARK.len();
        let mut end = start;
        if bytes.get(start) == Some(&b'.') {
            end = start + 1;
            while end < bytes.len() && name_byte(bytes[end]) {
                end += 1;
            }
            // A sentence's full stop is not part of the name.
            while end > start + 1 && bytes[end - 1] == b'.' {
                end -= 1;
            }
        }
        let name = if end > start + 1 {
            &format[start + 1..end]
        } else {
            ""
        };
        match variable(name) {
            Some(v) => {
                has_id |= matches!(
                    v,
                    LogVar::Ctx(ContextVar::RequestId) | LogVar::ExtendedRequestId
                );
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit).into()));
                }
                pieces.push(Piece::Var(v));
            }
            None => {
                let shown = format!("{MARK}{}", &format[start..end.max(start)]);
                let shown = if name.is_empty() {
                    MARK.to_string()
                } else {
                    shown
                };
                if !unknown.contains(&shown) {
                    unknown.push(shown);
                }
            }
        }
        i = end.max(start);
    }
    if !unknown.is_empty() {
        return Err(FormatError::Unsupported(unknown));
    }
    if !has_id {
        return Err(FormatError::NoRequestId);
    }
    if !lit.is_empty() {
        pieces.push(Piece::Lit(lit.into()));
    }
    let escape = match format.trim_start().as_bytes().first() {
        Some(b'{') => Escape::Json,
        Some(b'<') => Escape::Xml,
        _ => Escape::None,
    };
    Ok(AccessLogFormat {
        pieces: pieces.into(),
        escape,
    })
}

/// The stage member `accessLogSettings` is stored under (AWS's `AccessLogSettings` shape).
pub const SETTINGS: &str = "accessLogSettings";

/// A stage's access logging, compiled: the format and where its lines go.
#[derive(Debug, Clone)]
pub struct AccessLogRuntime {
    pub format: AccessLogFormat,
    pub dest: crate::runtime::access_log::DestId,
}

/// The stage's `accessLogSettings` (both members set), compiled. UpdateStage stored only what
/// compiles; anything else here is a damaged store, reported as a problem. A destination that
/// cannot be written now is written to stderr and counted at run time, not a deploy failure:
/// a full disk must not stop the gateway from starting.
pub fn stage_access_log(
    stage: &crate::deploy::model::Stage,
    problems: &mut crate::deploy::problem::Problems,
) -> Option<AccessLogRuntime> {
    let s = stage.extra.get(SETTINGS)?;
    let format = s.get("format").and_then(|v| v.as_str())?;
    let arn = s.get("destinationArn").and_then(|v| v.as_str())?;
    let at = format!("/{SETTINGS}");
    let format = match compile(format) {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!("{at}/format"), e.to_string());
            return None;
        }
    };
    let group = match crate::runtime::access_log::log_group(arn) {
        Ok(g) => g,
        Err(e) => {
            problems.push(format!("{at}/destinationArn"), e);
            return None;
        }
    };
    if let Err(e) = crate::runtime::access_log::check(arn) {
        eprintln!(
            "stage {}: {e}; its lines are counted as write errors until it can be",
            stage.stage_name
        );
    }
    let dest = crate::runtime::access_log::intern(group)?;
    Some(AccessLogRuntime { format, dest })
}

/// The formats the API Gateway console offers (its "CLF", "JSON", "XML" and "CSV" buttons).
pub mod templates {
    pub const CLF: &str = r#"$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId"#;
    pub const JSON: &str = r#"{ "requestId":"$context.requestId", "extendedRequestId":"$context.extendedRequestId","ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", "user":"$context.identity.user", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", "status":"$context.status", "protocol":"$context.protocol", "responseLength":"$context.responseLength" }"#;
    pub const XML: &str = r#"<request id="$context.requestId"> <extendedRequestId>$context.extendedRequestId</extendedRequestId> <ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> <user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>"#;
    pub const CSV: &str = "$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,$context.responseLength,$context.requestId,$context.extendedRequestId";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_templates_compile_with_their_shape() {
        for (f, esc) in [
            (templates::CLF, Escape::None),
            (templates::JSON, Escape::Json),
            (templates::XML, Escape::Xml),
            (templates::CSV, Escape::None),
        ] {
            let c = compile(f).unwrap();
            assert_eq!(c.escape, esc, "{f}");
            assert!(c.pieces.contains(&Piece::Var(LogVar::Status)));
        }
    }

    #[test]
    fn pieces_alternate_literals_and_variables() {
        let c = compile("[$context.requestId] $context.status.").unwrap();
        assert_eq!(
            &*c.pieces,
            &[
                Piece::Lit(b"[".to_vec().into()),
                Piece::Var(LogVar::Ctx(ContextVar::RequestId)),
                Piece::Lit(b"] ".to_vec().into()),
                Piece::Var(LogVar::Status),
                Piece::Lit(b".".to_vec().into()),
            ]
        );
        // `$` that is not `$context` is text; families with a key are accepted.
        let c = compile("$5 $context.requestId $context.authorizer.claims.sub $context.requestOverride.header.x").unwrap();
        assert_eq!(c.pieces.len(), 6);
        // Text around variables may be any UTF-8 (found by the fuzzer).
        let c = compile("ڏ$context.requestIdڏ").unwrap();
        assert_eq!(c.pieces.len(), 3);
    }

    #[test]
    fn facts_tollgate_has_are_not_absent() {
        use AuthStep::*;
        use StepField::*;
        for (name, want) in [
            ("authenticate.status", LogVar::Auth(Authenticate, Status)),
            ("authorize.latency", LogVar::Auth(Authorize, Latency)),
            ("authorizer.error", LogVar::Auth(Authorizer, Error)),
            (
                "authorizer.integrationStatus",
                LogVar::AuthorizerIntegrationStatus,
            ),
            ("authorizer.requestId", LogVar::AuthorizerRequestId),
            ("integration.error", LogVar::IntegrationError),
            ("integration.requestId", LogVar::IntegrationRequestId),
            ("awsEndpointRequestId", LogVar::IntegrationRequestId),
            ("awsEndpointRequestId2", LogVar::AwsEndpointRequestId2),
            ("error.validationErrorString", LogVar::ValidationErrorString),
            ("webaclArn", LogVar::WebAclArn),
            ("endpointType", LogVar::EndpointType),
            // Still without a fact: accepted, rendered `-`.
            ("xrayTraceId", LogVar::Absent),
            ("identity.vpceId", LogVar::Absent),
        ] {
            assert_eq!(variable(name), Some(want), "{name}");
        }
        // A Lambda authorizer's context keys are still its own (`authorizer.KEY`).
        assert!(matches!(variable("authorizer.tier"), Some(LogVar::Ctx(_))));
    }

    #[test]
    fn unknown_variables_are_all_named() {
        assert_eq!(
            compile("$context.requestId $context.nope $context.status $context.identity.nope $context.nope")
                .unwrap_err()
                .to_string(),
            "The following context variables are not supported: [$context.nope, $context.identity.nope]"
        );
        assert_eq!(
            compile("$context $context.requestId").unwrap_err(),
            FormatError::Unsupported(vec!["$context".into()])
        );
        assert_eq!(
            compile("$context.requestId\n").unwrap_err(),
            FormatError::MultiLine
        );
        assert_eq!(
            compile("$context.status").unwrap_err(),
            FormatError::NoRequestId
        );
        assert_eq!(
            compile(&"x".repeat(MAX_FORMAT + 1)).unwrap_err(),
            FormatError::TooLong
        );
    }
}
