//! Phase "authorize": who is calling, and may they call this method. Runs right after routing
//! (and request decompression), before the API key check and the throttles, as on API Gateway:
//! a request refused here costs the backend and the usage plan nothing.
//!
//! The method's compiled `AuthorizationPlan` picks the mechanism, each in its own file:
//! - `CUSTOM` -> `lambda`: a Lambda authorizer (TOKEN or REQUEST) and its cached policy;
//! - `COGNITO_USER_POOLS` -> `cognito`: a user pool's JWT;
//! - `AWS_IAM` -> `iam`: a SigV4 signature by a configured principal, and its identity policy.
//!
//! Then, for every method of an API that has one, `resource_policy` combines the API's resource
//! policy with what the mechanism decided, by AWS's evaluation table.
//!
//! What a mechanism learns about the caller is one `Authorized`, shared (`Rc`, per core) by the
//! exchange and the mechanism's per-core cache, so a cache hit costs a reference count, not a
//! copy. Later phases read it through `Exchange::auth`: `$context.authorizer.*` and
//! `$context.identity.*` in templates and parameter mappings, the Lambda proxy event's
//! `requestContext`, and the `usageIdentifierKey` the API key phase reads.
//!
//! Each mechanism records its steps (authenticate, authorize, authorizer; see `trace::AuthTrace`)
//! in `Exchange::auth_trace` for the access log; the resource policy extends the authorize step.
//!
//! A refusal is an `AuthReject`, rendered by `respond` through the stage's gateway responses
//! (UNAUTHORIZED, ACCESS_DENIED, AUTHORIZER_FAILURE, ...), customisable like every other type.
//! Fail closed: any error on the way (an unreachable authorizer, a key set not fetched yet) is a
//! refusal, never a pass.

pub mod cognito;
pub mod iam;
pub mod lambda;
pub mod resource_policy;

use super::respond::Reject;
use super::Exchange;
use crate::core::Core;
use crate::deploy::gateway_responses::ResponseType;
use crate::deploy::snapshot::AuthorizationPlan;
use crate::pipeline::respond::gateway::GatewayError;
use crate::pipeline::trace::Step;
use std::rc::Rc;
use std::time::Instant;

/// What the authorize phase learned about the caller.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Authorized {
    /// A Lambda authorizer's `principalId` (`$context.authorizer.principalId`).
    pub principal_id: Option<Box<str>>,
    /// A Lambda authorizer's `context` (`$context.authorizer.KEY`): string, number and boolean
    /// values only, as AWS admits them.
    pub context: Box<[(Box<str>, ContextValue)]>,
    /// A Cognito token's claims (`$context.authorizer.claims.NAME`), each as a string.
    pub claims: Box<[(Box<str>, Box<str>)]>,
    /// The IAM caller (`$context.identity.*`).
    pub identity: Option<IamIdentity>,
    /// A Lambda authorizer's `usageIdentifierKey`: the API key when `apiKeySource` is
    /// AUTHORIZER.
    pub usage_identifier_key: Option<Box<str>>,
}

impl Authorized {
    /// `$context.authorizer.NAME` as text: `principalId`, a context key, or (with `claims.`
    /// before it) a claim; `None` when the authorizer gave no such value.
    pub fn value(&self, name: &str) -> Option<&str> {
        if name == "principalId" {
            if let Some(p) = &self.principal_id {
                return Some(p);
            }
        }
        if let Some(claim) = name.strip_prefix("claims.") {
            if let Some((_, v)) = self.claims.iter().find(|(k, _)| &**k == claim) {
                return Some(v);
            }
        }
        self.context
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v.as_text())
    }
}

/// A value of a Lambda authorizer's `context`.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    Str(Box<str>),
    /// The number as the function's JSON wrote it.
    Num(Box<str>),
    Bool(bool),
}

impl ContextValue {
    pub fn as_text(&self) -> &str {
        match self {
            ContextValue::Str(s) | ContextValue::Num(s) => s,
            ContextValue::Bool(true) => "true",
            ContextValue::Bool(false) => "false",
        }
    }
}

/// An IAM caller, as `$context.identity` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamIdentity {
    pub access_key: Box<str>,
    pub account_id: Box<str>,
    /// The principal's unique id (`AIDA…` for a user, `AROA…:session` for a role session).
    pub caller: Box<str>,
    pub user: Box<str>,
    pub user_arn: Box<str>,
}

/// Why the authorize phase refused a request. Each renders as one gateway response type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthReject {
    /// 401 UNAUTHORIZED: no identity, or one the authorizer rejected.
    Unauthorized,
    /// 403 ACCESS_DENIED: a policy denied the method explicitly.
    ExplicitDeny,
    /// 403 ACCESS_DENIED: no policy statement allowed the method.
    NotAuthorized,
    /// 403 ACCESS_DENIED with a message made for this request (IAM and resource policy texts:
    /// `User: … is not authorized to perform: execute-api:Invoke on resource: …`).
    Denied(Box<str>),
    /// 500 AUTHORIZER_FAILURE: the authorizer could not be reached or failed.
    AuthorizerFailure,
    /// 500 AUTHORIZER_CONFIGURATION_ERROR: the authorizer answered something unusable.
    AuthorizerConfiguration,
    /// 403 MISSING_AUTHENTICATION_TOKEN: an IAM method called without a signature.
    MissingToken,
    /// 403 INVALID_SIGNATURE with AWS's message for what was wrong.
    InvalidSignature(Box<str>),
    /// 403 EXPIRED_TOKEN with AWS's message.
    ExpiredToken(Box<str>),
    /// 403 UNAUTHORIZED's IAM form: an unknown access key or session token (`The security
    /// token included in the request is invalid.`).
    InvalidToken(Box<str>),
}

impl AuthReject {
    pub fn gateway_error(&self) -> GatewayError<'_> {
        let of = GatewayError::of;
        fn with(t: ResponseType, status: u16, message: &str) -> GatewayError<'_> {
            GatewayError {
                status,
                message: Some(message),
                ..GatewayError::of(t)
            }
        }
        match self {
            AuthReject::Unauthorized => of(ResponseType::Unauthorized),
            AuthReject::ExplicitDeny => with(
                ResponseType::AccessDenied,
                403,
                "User is not authorized to access this resource with an explicit deny",
            ),
            AuthReject::NotAuthorized => of(ResponseType::AccessDenied),
            AuthReject::Denied(m) => with(ResponseType::AccessDenied, 403, m),
            AuthReject::AuthorizerFailure => of(ResponseType::AuthorizerFailure),
            AuthReject::AuthorizerConfiguration => of(ResponseType::AuthorizerConfigurationError),
            AuthReject::MissingToken => of(ResponseType::MissingAuthenticationToken),
            AuthReject::InvalidSignature(m) => with(ResponseType::InvalidSignature, 403, m),
            AuthReject::ExpiredToken(m) => with(ResponseType::ExpiredToken, 403, m),
            AuthReject::InvalidToken(m) => GatewayError {
                error_type: Some("UnrecognizedClientException"),
                ..with(ResponseType::Unauthorized, 403, m)
            },
        }
    }
}

/// Runs the method's authorization, then the API's resource policy. On success the caller (if
/// any mechanism identified one) is in `x.auth`.
pub async fn authorize(
    x: &mut Exchange<'_>,
    core: &Core,
    scratch: &mut Vec<u8>,
) -> Result<(), Reject> {
    let decision = match &x.method().authorization {
        AuthorizationPlan::None => Decision::Unauthenticated,
        // (`lambda` checks the resource policy for an explicit Deny before invoking, as AWS
        // does: a denied caller never costs an invocation.)
        AuthorizationPlan::Custom { authorizer } => {
            lambda::authorize(x, core, *authorizer, scratch).await?
        }
        AuthorizationPlan::CognitoUserPools { authorizer, scopes } => {
            cognito::authorize(x, core, *authorizer, scopes).await?
        }
        AuthorizationPlan::Iam => iam::authorize(x, core, scratch)?,
    };
    if x.stage().resource_policy.is_some() {
        let started = Instant::now();
        let checked = resource_policy::check(x, decision, scratch);
        let t = &mut x.auth_trace;
        t.authorize = t.authorize.then(Step::of(started, &checked));
        checked?;
    }
    Ok(())
}

/// What the method's own mechanism concluded, for the resource policy to combine with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// `NONE`: nobody was asked; the resource policy alone decides (when there is one).
    Unauthenticated,
    /// The mechanism allowed the call (a Lambda authorizer's Allow, a valid Cognito token).
    Allowed,
    /// A Lambda authorizer's policy said nothing about the method (only reported when the API
    /// has a resource policy, whose Allow still admits the call: AWS's table A).
    AuthorizerSilent,
    /// `AWS_IAM`: the signature is valid; `Allow` when the identity policy allowed the call,
    /// `NotApplicable` when it said nothing (the resource policy may still allow it).
    Iam(crate::deploy::iam_policy::Decision),
}

/// Writes the method ARN the policies are evaluated against into `out` (cleared first):
/// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`, the path as the
/// request gave it after the stage, without its leading `/`.
pub fn method_arn<'o>(x: &Exchange<'_>, out: &'o mut Vec<u8>) -> &'o [u8] {
    let req = x.req;
    out.clear();
    out.extend_from_slice(x.stage().arn_prefix.as_bytes());
    out.extend_from_slice(req.head.method_span.get(req.buf));
    out.push(b'/');
    let end = req.head.path.end as usize;
    let path = req.buf.get(x.route.path_start..end).unwrap_or_default();
    out.extend_from_slice(path.strip_prefix(b"/").unwrap_or(path));
    out
}

/// The cached identity of `x`'s caller, when the authorize phase found one.
pub fn caller<'x>(x: &'x Exchange<'_>) -> Option<&'x Rc<Authorized>> {
    x.auth.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_renders_as_its_gateway_response_type() {
        let cases = [
            (
                AuthReject::Unauthorized,
                ResponseType::Unauthorized,
                401,
                Some("Unauthorized"),
            ),
            (
                AuthReject::ExplicitDeny,
                ResponseType::AccessDenied,
                403,
                Some("User is not authorized to access this resource with an explicit deny"),
            ),
            (
                AuthReject::NotAuthorized,
                ResponseType::AccessDenied,
                403,
                Some("User is not authorized to access this resource"),
            ),
            (
                AuthReject::Denied("User: anonymous is not".into()),
                ResponseType::AccessDenied,
                403,
                Some("User: anonymous is not"),
            ),
            (
                AuthReject::AuthorizerFailure,
                ResponseType::AuthorizerFailure,
                500,
                None,
            ),
            (
                AuthReject::AuthorizerConfiguration,
                ResponseType::AuthorizerConfigurationError,
                500,
                None,
            ),
            (
                AuthReject::MissingToken,
                ResponseType::MissingAuthenticationToken,
                403,
                Some("Missing Authentication Token"),
            ),
            (
                AuthReject::InvalidSignature("sig".into()),
                ResponseType::InvalidSignature,
                403,
                Some("sig"),
            ),
            (
                AuthReject::ExpiredToken("old".into()),
                ResponseType::ExpiredToken,
                403,
                Some("old"),
            ),
            (
                AuthReject::InvalidToken("bad".into()),
                ResponseType::Unauthorized,
                403,
                Some("bad"),
            ),
        ];
        for (reject, t, status, message) in cases {
            let e = reject.gateway_error();
            assert_eq!(
                (e.response_type, e.status, e.message),
                (t, status, message),
                "{reject:?}"
            );
        }
    }

    #[test]
    fn authorizer_values_are_principal_context_then_claims() {
        let a = Authorized {
            principal_id: Some("user-1".into()),
            context: vec![
                ("tier".into(), ContextValue::Str("gold".into())),
                ("n".into(), ContextValue::Num("42".into())),
                ("ok".into(), ContextValue::Bool(true)),
            ]
            .into(),
            claims: vec![("sub".into(), "abc".into())].into(),
            ..Authorized::default()
        };
        assert_eq!(a.value("principalId"), Some("user-1"));
        assert_eq!(a.value("tier"), Some("gold"));
        assert_eq!(a.value("n"), Some("42"));
        assert_eq!(a.value("ok"), Some("true"));
        assert_eq!(a.value("claims.sub"), Some("abc"));
        assert_eq!(a.value("claims.email"), None);
        assert_eq!(a.value("nope"), None);
    }
}
