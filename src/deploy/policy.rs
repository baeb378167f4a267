//! The compiled per-method and per-stage policy that later phases act on: who may call a method
//! (`AuthorizationPlan`), whether it needs an API key (`KeyRequirement`), what a request must carry
//! (`RequestValidation`, an index into the stage's validator table) and the stage's
//! `methodSettings` resolved for the method (`MethodSettings`). Part of the `Snapshot`.
//!
//! These are data only for now: the phases that enforce them come with their own issues. Until a
//! phase exists, `compile::unenforced` refuses to deploy a method whose plan it would need, so a
//! plan other than `AuthorizationPlan::None` (or a required key) is never served, only compiled
//! for TestInvokeMethod, which skips authorization as AWS's does.

use std::time::Duration;

/// Who may call a method, from its `authorizationType`, `authorizerId` and `authorizationScopes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationPlan {
    /// `NONE`: anyone.
    None,
    /// `CUSTOM`: a Lambda authorizer (TOKEN or REQUEST), by its id in the API's authorizers.
    Custom {
        authorizer: crate::deploy::authorizers::AuthorizerIdx,
    },
    /// `AWS_IAM`: a SigV4-signed request whose principal IAM allows.
    Iam,
    /// `COGNITO_USER_POOLS`: a token from the authorizer's user pools, carrying one of `scopes`
    /// (when any are listed; none means an identity token is enough).
    CognitoUserPools {
        authorizer: crate::deploy::authorizers::AuthorizerIdx,
        scopes: Box<[Box<str>]>,
    },
}

/// Where the API key of a request is read from (the API's `apiKeySource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeySource {
    /// `HEADER` (AWS's default): the `x-api-key` header.
    Header,
    /// `AUTHORIZER`: the `usageIdentifierKey` a Lambda authorizer returns.
    Authorizer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRequirement {
    /// The method's `apiKeyRequired`.
    pub required: bool,
    pub source: ApiKeySource,
}

/// Index into `StageRuntime::validators`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValidatorIdx(pub u32);

/// One `RequestValidator` of the deployed API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorRuntime {
    pub id: Box<str>,
    pub name: Box<str>,
    pub validate_body: bool,
    pub validate_parameters: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
}

/// A `method.request.{path|querystring|header}.NAME` the method declares required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredParam {
    pub location: ParamLocation,
    /// Lower case for headers (matched case-insensitively), as declared otherwise.
    pub name: Box<str>,
}

/// What the validation phase checks for a method.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestValidation {
    /// The method's `requestValidatorId`, resolved; `None` validates nothing.
    pub validator: Option<ValidatorIdx>,
    /// Declared required parameters, in declaration order (checked when the validator has
    /// `validate_parameters`).
    pub required: Box<[RequiredParam]>,
    /// The method's `requestModels`, resolved (checked when the validator has `validate_body`).
    pub body: BodyModels,
}

/// Index into `StageRuntime::models` (= the model's position in the API's models).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelIdx(pub u32);

impl ModelIdx {
    /// AWS's built-in `Empty` model (`{"type": "object"}`), which a body-validating method
    /// with no `requestModels` at all validates against (LocalStack, checked against AWS).
    pub const EMPTY: ModelIdx = ModelIdx(u32::MAX);
}

/// A method's `requestModels`: media type (lower case, without parameters) -> model, and the
/// `$default` model for any other media type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyModels {
    pub by_type: Box<[(Box<str>, ModelIdx)]>,
    pub default: Option<ModelIdx>,
}

impl BodyModels {
    /// The model for a request's `Content-Type` value (`None`: the header is absent, which AWS
    /// treats as `application/json`): its media type matched case-insensitively with parameters
    /// stripped, else `$default`, else none (the body is not validated, as on AWS). A method
    /// without any model validates against `ModelIdx::EMPTY`.
    pub fn select(&self, content_type: Option<&[u8]>) -> Option<ModelIdx> {
        if self.by_type.is_empty() && self.default.is_none() {
            return Some(ModelIdx::EMPTY);
        }
        let media = content_type.map_or(&b"application/json"[..], crate::http::media_type);
        self.by_type
            .iter()
            .find(|(t, _)| t.as_bytes().eq_ignore_ascii_case(media))
            .map(|(_, m)| *m)
            .or(self.default)
    }

    pub fn all(&self) -> impl Iterator<Item = ModelIdx> + '_ {
        self.by_type.iter().map(|(_, m)| *m).chain(self.default)
    }
}

/// The stage's `methodSettings` for one method: its own entry (`~1pets/GET`) member by member,
/// else the stage-wide `*/*` entry, else AWS's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MethodSettings {
    pub throttling: Throttling,
    pub caching: Caching,
    pub logging: Logging,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttling {
    /// Steady-state requests per second (`throttlingRateLimit`).
    pub rate_limit: f64,
    /// Bucket size (`throttlingBurstLimit`).
    pub burst_limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caching {
    pub enabled: bool,
    pub ttl: Duration,
    pub data_encrypted: bool,
    pub require_authorization_for_cache_control: bool,
    pub unauthorized_cache_control: UnauthorizedCacheControl,
}

/// `unauthorizedCacheControlHeaderStrategy`: what a `Cache-Control: max-age=0` from a caller
/// without `execute-api:InvalidateCache` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthorizedCacheControl {
    FailWith403,
    SucceedWithResponseHeader,
    SucceedWithoutResponseHeader,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logging {
    pub level: LogLevel,
    pub data_trace: bool,
    pub metrics_enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Off,
    Error,
    Info,
}

impl Default for MethodSettings {
    /// AWS's values for a `MethodSetting` never set (as `admin::stage_patch` stores them).
    fn default() -> MethodSettings {
        MethodSettings {
            throttling: Throttling {
                rate_limit: 10_000.0,
                burst_limit: 5_000,
            },
            caching: Caching {
                enabled: false,
                ttl: Duration::from_secs(300),
                data_encrypted: false,
                require_authorization_for_cache_control: true,
                unauthorized_cache_control: UnauthorizedCacheControl::SucceedWithResponseHeader,
            },
            logging: Logging {
                level: LogLevel::Off,
                data_trace: false,
                metrics_enabled: false,
            },
        }
    }
}

/// Stage-wide settings that affect serving.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StageSettings {
    /// `cacheClusterEnabled`: the stage has a response cache at all.
    pub cache_cluster_enabled: bool,
    /// `cacheClusterSize` in MiB (`0.5` GB -> 512); `None` when not set.
    pub cache_cluster_mib: Option<u32>,
    pub tracing_enabled: bool,
    /// Beyond AWS, opt-in with the stage tag `tollgate:rateLimitHeaders=true`: `RateLimit-Limit`,
    /// `RateLimit-Remaining` and `RateLimit-Reset` on responses, `Retry-After` on 429s.
    pub rate_limit_headers: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_models_select_by_media_type_then_default() {
        let m = BodyModels {
            by_type: vec![
                ("application/json".into(), ModelIdx(0)),
                ("application/xml".into(), ModelIdx(1)),
            ]
            .into(),
            default: Some(ModelIdx(2)),
        };
        let cases: [(Option<&[u8]>, Option<u32>); 6] = [
            (None, Some(0)),
            (Some(b"application/json"), Some(0)),
            (Some(b"Application/JSON; charset=UTF-8"), Some(0)),
            (Some(b"  application/xml  "), Some(1)),
            (Some(b"text/plain"), Some(2)),
            (Some(b""), Some(2)),
        ];
        for (ct, want) in cases {
            assert_eq!(m.select(ct), want.map(ModelIdx), "{ct:?}");
        }
        let no_default = BodyModels { default: None, ..m };
        assert_eq!(no_default.select(Some(b"text/plain")), None);
        assert_eq!(BodyModels::default().select(None), Some(ModelIdx::EMPTY));
    }
}
