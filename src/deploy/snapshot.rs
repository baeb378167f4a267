//! The compiled, immutable form of everything deployed: what workers read on the request path.
//!
//! A `Snapshot` is built by `deploy::compile` on the control plane and published whole; workers
//! adopt it at their next request. Everything here is indexed by typed ids so the data path does
//! lookups, never parsing of configuration, and never allocates.

use crate::deploy::gateway_responses::GatewayResponses;
pub use crate::deploy::policy::{
    AuthorizationPlan, KeyRequirement, MethodSettings, RequestValidation, StageSettings,
    ValidatorIdx, ValidatorRuntime,
};
use crate::deploy::router::Router;
use ahash::AHashMap;
use std::time::Duration;

/// Index of an API in `Snapshot::apis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiIdx(pub u32);
/// Index of a stage in `ApiRuntime::stages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StageIdx(pub u32);
/// Index of a method in `StageRuntime::methods`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MethodIdx(pub u32);
/// A backend origin (scheme, host, port). Stable across snapshots (interned by the control plane),
/// so per-core connection pools survive a redeploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UpstreamId(pub u32);
/// A VPC link's target group: index in `Settings::vpc_links` (fixed for the life of the process).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkId(pub u32);

#[derive(Debug, Default)]
pub struct Snapshot {
    /// Bumped for every published snapshot; workers compare it to know when to swap.
    pub generation: u64,
    pub apis: Vec<ApiRuntime>,
    pub api_by_id: AHashMap<Box<str>, ApiIdx>,
    /// Per API (index = `ApiIdx.0`): stage name -> its index, so a request finds its stage by
    /// one lookup instead of a scan of names. Built with the snapshot (`build_snapshot`).
    pub stage_by_name: Vec<AHashMap<Box<[u8]>, StageIdx>>,
    /// Index = `UpstreamId.0`. Contains every upstream ever interned, not only those in use.
    pub upstreams: Vec<Upstream>,
    /// Throttle buckets shared by every core; index = `BucketId.0`, 0 = the account level.
    pub buckets: Vec<std::sync::Arc<crate::core::throttle::gcra::Gcra>>,
}

impl Snapshot {
    /// The API a request is for, with its index in `apis`: `Host: {api-id}.execute-api.*` picks
    /// by id; otherwise the only deployed API when exactly one has a stage.
    pub fn api_for_host(&self, host: Option<&[u8]>) -> Option<ApiIdx> {
        if let Some(host) = host {
            if let Some(dot) = host.iter().position(|&b| b == b'.') {
                if host[dot..].starts_with(b".execute-api.") {
                    let id = std::str::from_utf8(&host[..dot]).ok()?;
                    return self.api_by_id.get(id).copied();
                }
            }
        }
        let mut deployed = self
            .apis
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.stages.is_empty());
        match (deployed.next(), deployed.next()) {
            (Some((i, _)), None) => Some(ApiIdx(i as u32)),
            _ => None,
        }
    }

    /// The stage named `name` of API `api`.
    #[inline]
    pub fn stage_idx(&self, api: ApiIdx, name: &[u8]) -> Option<StageIdx> {
        self.stage_by_name.get(api.0 as usize)?.get(name).copied()
    }

    #[inline]
    pub fn api(&self, api: ApiIdx) -> &ApiRuntime {
        &self.apis[api.0 as usize]
    }

    #[inline]
    pub fn stage(&self, api: ApiIdx, stage: StageIdx) -> &StageRuntime {
        &self.apis[api.0 as usize].stages[stage.0 as usize]
    }

    #[inline]
    pub fn method(&self, api: ApiIdx, stage: StageIdx, method: MethodIdx) -> &MethodRuntime {
        &self.stage(api, stage).methods[method.0 as usize]
    }

    #[inline]
    pub fn upstream(&self, id: UpstreamId) -> &Upstream {
        &self.upstreams[id.0 as usize]
    }
}

#[derive(Debug)]
pub struct ApiRuntime {
    pub id: Box<str>,
    pub name: Box<str>,
    pub stages: Vec<StageRuntime>,
    /// `endpointConfiguration.types[0]` (`$context.endpointType`): EDGE, REGIONAL or PRIVATE.
    pub endpoint_type: &'static str,
}

/// One stage of one API: its deployment compiled with this stage's variables substituted.
#[derive(Debug)]
pub struct StageRuntime {
    pub name: Box<str>,
    pub deployment_id: Box<str>,
    pub router: Router,
    pub methods: Vec<MethodRuntime>,
    /// This stage's deployment's gateway responses: every error the gateway makes for a request
    /// to this stage is rendered through them.
    pub gateway_responses: GatewayResponses,
    /// The deployed API's request validators; `RequestValidation::validator` indexes it.
    pub validators: Vec<ValidatorRuntime>,
    /// The deployed API's models compiled for body validation (`ModelIdx` indexes it); `None`
    /// for a model no body-validating method uses.
    pub models: Box<[Option<crate::deploy::compile::models::CompiledModel>]>,
    pub settings: StageSettings,
    /// The stage's variables, for `$stageVariables` in mapping templates (mappings and URIs have
    /// them substituted at compile time).
    pub variables: Vec<(Box<str>, Box<str>)>,
    /// The deployed API's authorizers (`AuthorizerIdx` indexes it); `None` for one that does
    /// not compile, which no deployed method names (a method naming it fails the deploy).
    pub authorizers: Vec<Option<crate::deploy::authorizers::AuthorizerRuntime>>,
    /// The API's resource policy (`policy` / `x-amazon-apigateway-policy`), compiled.
    pub resource_policy: Option<crate::deploy::iam_policy::PolicyDocument>,
    /// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/`: the method ARN's prefix that
    /// authorizer and resource policies are evaluated against (`{METHOD}/{path}` follows).
    pub arn_prefix: Box<str>,
    /// The stage's canary (`canarySettings`), on the base stage only: its deployment compiled as
    /// a second `StageRuntime` of the same API (same name, settings, throttle buckets), which
    /// `route` switches a request to with the canary's probability.
    pub canary: Option<CanaryRuntime>,
    /// `accessLogSettings` compiled (format + destination); `None`: no access log.
    pub access_log: Option<crate::deploy::compile::access_log::AccessLogRuntime>,
    /// The stage response cache (`cacheClusterEnabled`), compiled: `None` caches nothing.
    pub cache: Option<crate::deploy::compile::cache::StageCachePlan>,
    /// The stage's flush controls (FlushStageCache, FlushStageAuthorizersCache), shared with the
    /// admin thread; kept across deployments of the stage.
    pub cache_control: std::sync::Arc<crate::core::response_cache::StageCacheControl>,
    /// The stage's web ACL (`webAclArn`), compiled; `None`: no WAF in front of the stage.
    pub waf: Option<std::sync::Arc<crate::deploy::waf::Program>>,
}

/// Where a stage's canary is and how much traffic it takes (`deploy::compile::canary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanaryRuntime {
    /// The canary variant in `ApiRuntime::stages` (not in `Snapshot::stage_by_name`).
    pub stage: StageIdx,
    /// `percentTraffic` scaled to the `u32` range: a request whose random `u32` is below it goes
    /// to the canary; `u32::MAX` stands for 100% (every request), 0 for none.
    pub threshold: u32,
    /// `useStageCache`: the canary may answer from (and fill) the stage's response cache;
    /// `false` (AWS's default) keeps canary responses out of the stage's cache.
    pub use_stage_cache: bool,
}

impl CanaryRuntime {
    /// Whether a request that drew `r` (uniform over `u32`) goes to the canary.
    #[inline]
    pub fn picks(&self, r: u32) -> bool {
        r < self.threshold || self.threshold == u32::MAX
    }
}

/// The endpoint type an API's configuration names; EDGE when it names none, as AWS reports it.
pub fn endpoint_type(c: Option<&crate::deploy::model::EndpointConfiguration>) -> &'static str {
    match c.and_then(|c| c.types.first()).map(String::as_str) {
        Some("REGIONAL") => "REGIONAL",
        Some("PRIVATE") => "PRIVATE",
        _ => "EDGE",
    }
}

impl ApiRuntime {
    /// Whether `stages[i]` is some stage's canary variant (control plane and start-up only:
    /// a scan of the stages).
    pub fn is_canary(&self, i: usize) -> bool {
        self.stages
            .iter()
            .any(|s| s.canary.is_some_and(|c| c.stage.0 as usize == i))
    }
}

impl StageRuntime {
    /// The compiled authorizer a method names (compiled whenever a method names it).
    pub fn authorizer(
        &self,
        i: crate::deploy::authorizers::AuthorizerIdx,
    ) -> Option<&crate::deploy::authorizers::AuthorizerRuntime> {
        self.authorizers.get(i.0 as usize)?.as_ref()
    }
}

#[derive(Debug)]
pub struct MethodRuntime {
    /// `GET`, ..., or `ANY`, as declared.
    pub http_method: Box<str>,
    /// The resource path as declared (`/pets/{petId}`), the `Resource` metric dimension.
    pub resource_path: Box<str>,
    /// The resource's id (`$context.resourceId`).
    pub resource_id: Box<str>,
    /// Names of the path parameters, in the order the router captures them.
    pub path_params: Box<[Box<str>]>,
    /// Policy for the later phases (data only for now; see `deploy::policy`). Only
    /// `AuthorizationPlan::None` without a required key is ever served until those phases land.
    pub authorization: AuthorizationPlan,
    pub api_key: KeyRequirement,
    pub validation: RequestValidation,
    /// The stage's `methodSettings` resolved for this method.
    pub settings: MethodSettings,
    /// The stage method's throttle bucket (when the stage's `methodSettings` name this method or
    /// `*/*`); the account-level bucket applies to every method besides.
    pub throttle: Option<crate::core::throttle::BucketId>,
    pub integration: IntegrationRuntime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationKind {
    Http,
    HttpProxy,
    Mock,
    /// `AWS_PROXY` to Lambda: the request becomes a proxy event, the function's reply the
    /// method response (`pipeline/lambda`).
    LambdaProxy,
    /// `AWS` to Lambda (custom): the request template's output is the payload; the result (or
    /// the function's error, selected by `errorMessage`) goes through integration responses.
    Lambda,
    /// `AWS` to another service (`…:{service}:action/{Action}` or `…:path/{path}`): built as an
    /// HTTP integration to the service's endpoint, then SigV4-signed; the answer goes through
    /// integration responses by status, as HTTP's does.
    AwsService,
}

/// A signed call to an AWS service: where it goes beyond the upstream (the interned endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCall {
    /// The signing name (`lambda`).
    pub service: Box<str>,
    pub region: Box<str>,
    /// The request path, percent-encoded (`/2015-03-31/functions/NAME/invocations`).
    pub path: Box<str>,
    /// The integration's `credentials` role, assumed off the request path; `None`: the
    /// gateway's own credentials sign.
    pub role: Option<std::sync::Arc<crate::aws::roles::Role>>,
    /// `credentials: arn:aws:iam::*:user/*` on an AWS_IAM method: the caller's own credentials
    /// (its `[[iam.principals]]` entry) sign the call.
    pub caller: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassthroughBehavior {
    WhenNoMatch,
    WhenNoTemplates,
    Never,
}

/// The method sent to the backend, decided at compile time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendMethod {
    /// The client's method (no method declared, MOCK, or `ANY`).
    Client,
    /// A declared method, with what the request path needs to know about it.
    Fixed {
        name: Box<str>,
        /// GET, HEAD, OPTIONS, PUT or DELETE: a stale pooled connection may be retried.
        idempotent: bool,
        /// HEAD: the backend's response has no body whatever its headers say.
        head: bool,
    },
}

impl BackendMethod {
    /// From the integration's `httpMethod` (`None` for MOCK).
    pub fn from_declared(method: Option<&str>) -> BackendMethod {
        match method {
            None | Some("ANY") => BackendMethod::Client,
            Some(m) => BackendMethod::Fixed {
                name: m.into(),
                idempotent: matches!(m, "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE"),
                head: m == "HEAD",
            },
        }
    }
}

#[derive(Debug)]
pub struct IntegrationRuntime {
    pub kind: IntegrationKind,
    /// `None` for MOCK.
    pub upstream: Option<UpstreamId>,
    pub method: BackendMethod,
    /// The backend request target's path, stage variables already substituted.
    pub path: Vec<UriPart>,
    /// A literal query string that was part of the integration URI (without `?`), if any.
    pub fixed_query: Option<Box<str>>,
    /// `integration.request.querystring.NAME` mappings, in declaration order.
    pub query_params: Vec<(Box<str>, ParamSource)>,
    /// `integration.request.header.NAME` mappings, in declaration order.
    pub header_params: Vec<(Box<str>, ParamSource)>,
    pub timeout: Duration,
    pub passthrough: PassthroughBehavior,
    /// Content type (lower case) -> template, for the request body.
    pub request_templates: Vec<(Box<str>, Template)>,
    /// Tried in order; the `default` response (no selection pattern) is `default_response`.
    pub responses: Vec<IntegrationResponseRuntime>,
    pub default_response: Option<usize>,
    /// MOCK only, one entry per `request_templates` entry (same index): the `statusCode` that
    /// template yields. AWS picks a MOCK's integration response by matching that status code
    /// against the selection patterns; while templates are static text (until the VTL engine
    /// lands) it is read from the template's JSON at compile time. `None` (no readable
    /// `statusCode`), or a MOCK whose request matched no template, uses `default_response`.
    pub mock_status: Vec<Option<u16>>,
    /// Set when the method compiled but cannot be called on this stage (a stage variable the
    /// integration URI needs is missing): each call answers 500 and logs this, as AWS does.
    pub config_error: Option<Box<str>>,
    /// Binary media types, compression and the request's `contentHandling`.
    pub content: crate::pipeline::content::ContentPlan,
    /// `AWS` / `AWS_PROXY`: the service call.
    pub aws: Option<AwsCall>,
}

#[derive(Debug)]
pub enum UriPart {
    /// Path text from the integration URI, already valid in a request target (escaped where it
    /// was not, when compiled).
    Literal(Box<str>),
    /// A `{name}` in the URI, filled from the request per `source` and encoded as one segment, or
    /// as a run of segments when `greedy` (the source is the resource's `{name+}` capture).
    /// `name` is the URI's `{name}`, which `$context.requestOverride.path.NAME` replaces.
    Param {
        name: Box<str>,
        source: ParamSource,
        greedy: bool,
    },
}

/// Where a mapped request value comes from. Stage variables are resolved at compile time into
/// `Literal`, so they never reach the data path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamSource {
    /// Index into the router's captures for this method (`method.request.path.NAME`).
    PathCapture(u8),
    /// `method.request.querystring.NAME` (first value).
    Query(Box<str>),
    /// `method.request.multivaluequerystring.NAME` (every value, repeated).
    MultiQuery(Box<str>),
    /// `method.request.header.NAME` (lower-cased name; last value, as AWS does).
    Header(Box<str>),
    /// `method.request.multivalueheader.NAME`.
    MultiHeader(Box<str>),
    /// `'literal'` or a resolved `stageVariables.NAME`.
    Literal(Box<str>),
    /// `context.NAME`.
    Context(ContextVar),
    /// `method.request.body` / `method.request.body.JSONPATH`, over the one parse of the body.
    Body(BodyPath),
}

/// A body mapping's JSONPath, compiled at deploy time. Compared by its source text (a compiled
/// `Path` has no equality of its own), which is what the deploy compared anyway.
#[derive(Debug, Clone)]
pub struct BodyPath {
    /// The expression after `...body` (`a.b`, or empty for the whole body).
    pub expr: Box<str>,
    pub path: crate::json::Path,
}

impl PartialEq for BodyPath {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

impl Eq for BodyPath {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextVar {
    RequestId,
    ApiId,
    Stage,
    ResourcePath,
    HttpMethod,
    SourceIp,
    Path,
    Protocol,
    RequestTimeEpoch,
    DomainName,
    AccountId,
    /// `identity.apiKey`: the key that passed the API key check (empty without one).
    ApiKey,
    /// `identity.apiKeyId`.
    ApiKeyId,
    /// `identity.accessKey`, `identity.accountId`, `identity.caller`, `identity.user`,
    /// `identity.userArn`: the IAM caller's (empty for other callers).
    IdentityAccessKey,
    IdentityAccountId,
    IdentityCaller,
    IdentityUser,
    IdentityUserArn,
    /// `isCanaryRequest`: `true` when the request went to the stage's canary, else `false`.
    IsCanaryRequest,
    /// `authorizer.NAME`: `principalId`, a Lambda authorizer's context key, or `claims.NAME`
    /// (empty when the authorizer gave none).
    Authorizer(Box<str>),
}

/// Where a mapped response header comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseParamSource {
    /// `integration.response.header.NAME` (lower-cased; the last value, as for requests).
    Header(Box<str>),
    /// `integration.response.multivalueheader.NAME` (lower-cased; every value, joined by `,`).
    MultiHeader(Box<str>),
    /// `integration.response.body` / `integration.response.body.JSONPATH`.
    Body(BodyPath),
    /// `'literal'` or a resolved `stageVariables.NAME`.
    Literal(Box<str>),
    /// `context.NAME`.
    Context(ContextVar),
}

#[derive(Debug)]
pub struct IntegrationResponseRuntime {
    pub status: u16,
    /// Anchored: AWS matches the whole status code string (or error message).
    pub selection: Option<regex::Regex>,
    /// `method.response.header.NAME` mappings, except Content-Type.
    pub header_params: Vec<(Box<str>, ResponseParamSource)>,
    /// The `method.response.header.Content-Type` mapping, which replaces the template's type
    /// (separated at compile time so no header name is compared per request).
    pub content_type: Option<ResponseParamSource>,
    /// Content type (lower case) -> template, for the response body.
    pub templates: Vec<(Box<str>, Template)>,
    /// The template used when the client's `Accept` names none of them: `application/json`,
    /// else the first (API Gateway's order), chosen at compile time.
    pub default_template: Option<usize>,
    /// Whether the method declares a method response for `status`. Selecting a response without
    /// one answers 500, as API Gateway does (imports may carry such responses).
    pub has_method_response: bool,
    /// The response's `contentHandling` (see `pipeline::content::binary`).
    pub content_handling: crate::pipeline::content::ContentHandling,
}

/// A compiled mapping template. The two shapes that need no engine stay fast paths: plain text is
/// copied, the identity is the payload itself; everything else runs on the Velocity engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// Text with no Velocity directives: rendered as is.
    Static(Box<str>),
    /// `$input.body` or `$input.json('$')`: the payload unchanged.
    Passthrough,
    /// A Velocity program (shared: a snapshot is cloned per stage, the program is not).
    Vtl(std::sync::Arc<Velocity>),
}

/// The `statusCode` a MOCK request template's output names, when that output is JSON with a
/// valid one: read once at compile time from a static template, per request from a rendered one.
pub fn mock_status_code(output: &[u8]) -> Option<u16> {
    use crate::json::Kind;
    // The core's pooled parse: a rendered MOCK template costs no allocation to read.
    let doc = crate::json::Parsed::parse(output).ok()?;
    let code: u64 = match doc.root().field("statusCode")?.kind() {
        Kind::I64(i) => u64::try_from(i).ok()?,
        Kind::U64(u) => u,
        Kind::Str(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    u16::try_from(code).ok().filter(|c| (100..=599).contains(c))
}

/// A Velocity template compiled at deploy time, with the JSONPaths its `$input.json` /
/// `$input.path` calls name literally compiled alongside, so the request path never parses one.
#[derive(Debug)]
pub struct Velocity {
    pub program: crate::vtl::Program,
    pub paths: Vec<(Box<str>, crate::json::Path)>,
}

impl Velocity {
    /// The precompiled path for `text`, if the template names it literally.
    pub fn path(&self, text: &str) -> Option<&crate::json::Path> {
        self.paths
            .iter()
            .find(|(t, _)| &**t == text)
            .map(|(_, p)| p)
    }
}

// Two compiled templates are the same template when their sources are (tests compare snapshots).
impl PartialEq for Velocity {
    fn eq(&self, other: &Velocity) -> bool {
        self.program.source() == other.program.source()
    }
}
impl Eq for Velocity {}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    Http,
    Https,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Upstream {
    pub scheme: Scheme,
    pub host: Box<str>,
    pub port: u16,
    /// `host` or `host:port` as sent in the `Host` header.
    pub authority: Box<str>,
    /// HTTPS: `tlsConfig.insecureSkipVerification` (the certificate need not chain to a trusted
    /// root; its dates and name are still checked). Part of the identity: such connections are
    /// pooled apart from verified ones.
    pub tls_skip_verify: bool,
    /// HTTPS: the stage's client certificate (`clientCertificateId`), presented when the backend
    /// asks for one. Part of the identity, so each certificate has its own pooled connections.
    pub client_cert: Option<std::sync::Arc<ClientIdentity>>,
    /// `connectionType: VPC_LINK`: connections go to this link's targets instead of `host:port`
    /// (which still gives `Host` and the TLS server name, as on AWS). Part of the identity, so a
    /// link's connections are pooled apart from direct ones to the same host.
    pub link: Option<LinkId>,
}

/// A client certificate and its private key (DER), as the control plane generated them.
/// Identified by its id: a certificate's material never changes under the same id.
pub struct ClientIdentity {
    pub id: Box<str>,
    pub chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    pub key: rustls::pki_types::PrivateKeyDer<'static>,
}

impl ClientIdentity {
    /// From the PEM text ClientCertificates stores; `Err` says what is wrong (never the key).
    pub fn from_pem(id: &str, cert_pem: &str, key_pem: &str) -> Result<ClientIdentity, String> {
        use rustls::pki_types::pem::PemObject;
        let chain = rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("client certificate {id}: unreadable certificate ({e})"))?;
        if chain.is_empty() {
            return Err(format!(
                "client certificate {id}: no certificate in its PEM"
            ));
        }
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|_| format!("client certificate {id}: unreadable private key"))?;
        Ok(ClientIdentity {
            id: id.into(),
            chain,
            key,
        })
    }
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientIdentity({})", self.id)
    }
}
impl PartialEq for ClientIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for ClientIdentity {}
impl std::hash::Hash for ClientIdentity {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h)
    }
}
impl PartialOrd for ClientIdentity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ClientIdentity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}

#[cfg(test)]
mod tests {
    use super::endpoint_type;
    use crate::deploy::model::EndpointConfiguration;

    #[test]
    fn the_endpoint_type_is_the_first_configured_else_edge() {
        let of = |types: &[&str]| EndpointConfiguration {
            types: types.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        };
        assert_eq!(endpoint_type(None), "EDGE");
        assert_eq!(endpoint_type(Some(&of(&[]))), "EDGE");
        assert_eq!(endpoint_type(Some(&of(&["REGIONAL"]))), "REGIONAL");
        assert_eq!(endpoint_type(Some(&of(&["PRIVATE"]))), "PRIVATE");
    }
}
