//! Authorizers, compiled: what the authorize phase (`pipeline::authorize`) reads for a method
//! whose `authorizationType` is `CUSTOM` (a Lambda authorizer, TOKEN or REQUEST) or
//! `COGNITO_USER_POOLS`. Part of a stage's runtime: an authorizer's `authorizerUri` may name
//! stage variables, so each stage compiles its deployment's authorizers with its own variables.
//!
//! Everything the request path needs is resolved here, once per deployment: the identity
//! sources as typed places to read (never parsed per request), the TOKEN validation expression
//! as a compiled regex, the result TTL, and the mechanism's own data (the Lambda function to
//! invoke, the user pools to trust).

use crate::deploy::snapshot::ContextVar;

/// Index into `StageRuntime::authorizers` (the deployed API's `authorizers`, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthorizerIdx(pub u32);

/// AWS's default `authorizerResultTtlInSeconds`, and its upper bound.
pub const DEFAULT_TTL_SECS: u32 = 300;
pub const MAX_TTL_SECS: u32 = 3600;

#[derive(Debug)]
pub struct AuthorizerRuntime {
    pub id: Box<str>,
    pub name: Box<str>,
    pub kind: AuthorizerKind,
    /// `authorizerResultTtlInSeconds`: how long a result is reused for the same identity
    /// (0: never cached).
    pub ttl_secs: u32,
    /// `identitySource`, in the order given: the values a TOKEN authorizer reads its token from
    /// (exactly one header) or a REQUEST authorizer requires, and the policy cache's key.
    pub sources: Box<[IdentitySource]>,
    /// TOKEN's `identityValidationExpression`, anchored: a token that does not match it is
    /// refused with 401 before the function is invoked.
    pub validation: Option<regex::Regex>,
}

/// One place an identity value is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `method.request.header.NAME` (lower-cased).
    Header(Box<str>),
    /// `method.request.querystring.NAME`.
    Query(Box<str>),
    /// `stageVariables.NAME`, resolved against the stage at compile time.
    StageVariable {
        name: Box<str>,
        value: Option<Box<str>>,
    },
    /// `context.NAME`.
    Context(ContextVar),
}

#[derive(Debug)]
pub enum AuthorizerKind {
    /// `TOKEN`: the function gets the one identity header as `authorizationToken`.
    Token(LambdaFunction),
    /// `REQUEST`: the function gets the request's headers, query string, path, stage variables
    /// and context.
    Request(LambdaFunction),
    /// `COGNITO_USER_POOLS`: a JWT from one of these pools.
    Cognito(CognitoPools),
}

impl AuthorizerKind {
    /// The management API's `type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AuthorizerKind::Token(_) => "TOKEN",
            AuthorizerKind::Request(_) => "REQUEST",
            AuthorizerKind::Cognito(_) => "COGNITO_USER_POOLS",
        }
    }
}

/// The Lambda function a TOKEN or REQUEST authorizer invokes.
#[derive(Debug)]
pub struct LambdaFunction {
    /// `authorizerUri` with stage variables substituted.
    pub uri: Box<str>,
    /// `authorizerCredentials`: the role API Gateway assumes to invoke the function.
    pub credentials: Option<Box<str>>,
    /// How to invoke it, as a Lambda integration does (the region's Lambda endpoint interned as
    /// the upstream, the Invoke path, the role); `Err`: the operator's Lambda endpoint URL is
    /// unusable, which each call reports (500) rather than failing the deployment.
    pub invoke: Result<
        (
            crate::deploy::snapshot::UpstreamId,
            crate::deploy::snapshot::AwsCall,
        ),
        Box<str>,
    >,
}

/// The user pools a `COGNITO_USER_POOLS` authorizer trusts: issuers and key sets
/// (`deploy::cognito`).
pub use crate::deploy::cognito::CognitoPools;
