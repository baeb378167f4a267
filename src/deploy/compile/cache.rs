//! The stage response cache compiled for serving (`StageRuntime::cache`): which methods are
//! cached, for how long, and what their key is made of.
//!
//! As on AWS: with `cacheClusterEnabled`, GET requests are cached by default (unless the method's
//! own `methodSettings` entry turns caching off); any other method only when its resolved
//! `caching/enabled` is true. A TTL of 0 caches nothing. The key is the request's HTTP method, the
//! resource path, the values of the integration's `cacheKeyParameters` (`method.request.path|
//! querystring|header.NAME`, or an `integration.request.*` name mapped from one of those) and its
//! `cacheNamespace`. A key parameter that names nothing the request can carry is a deploy problem.

use crate::core::response_cache::{self, StageCacheControl};
use crate::deploy::model::{Method, RestApi, Stage};
use crate::deploy::policy::UnauthorizedCacheControl;
use crate::deploy::problem::Problems;
use crate::deploy::snapshot::{MethodRuntime, ParamSource};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// A cached stage.
#[derive(Debug)]
pub struct StageCachePlan {
    /// The stage's flush sequence and purge log, and its table slot on every core.
    pub control: Arc<StageCacheControl>,
    /// The deployment's identity: a redeploy starts each core's table empty.
    pub scope: u64,
    /// Compile order (process-wide): a request on an older snapshot than the table's goes
    /// uncached instead of replacing the newer deployment's table (`core::response_cache`).
    pub generation: u64,
    /// `cacheClusterSize` in bytes, for the whole process (split between the cores).
    pub bytes: u64,
    /// By `MethodIdx`; `None`: the method is never cached.
    pub methods: Box<[Option<MethodCachePlan>]>,
}

#[derive(Debug)]
pub struct MethodCachePlan {
    /// Its resolved `caching/enabled`: every request method is cached.
    pub enabled: bool,
    /// GET requests are cached (AWS's default for GET once the cache cluster is on).
    pub get: bool,
    pub ttl_ms: u64,
    /// The key parameters' sources, in `cacheKeyParameters` order.
    pub params: Box<[ParamSource]>,
    pub namespace: Box<str>,
    pub require_authorization: bool,
    pub unauthorized: UnauthorizedCacheControl,
}

impl MethodCachePlan {
    /// Whether a request with this method is cached.
    pub fn caches(&self, request_method: &[u8]) -> bool {
        self.enabled || (self.get && request_method == b"GET")
    }
}

/// The plan for `stage` (`None` without `cacheClusterEnabled`), for `methods` as compiled.
pub fn compile(
    api: &RestApi,
    stage: &Stage,
    methods: &[MethodRuntime],
    cluster_mib: Option<u32>,
    problems: &mut Problems,
) -> Option<StageCachePlan> {
    if !stage.cache_cluster_enabled {
        return None;
    }
    let plans = methods
        .iter()
        .enumerate()
        .map(|(i, m)| method_plan(api, stage, i, m, problems))
        .collect();
    Some(StageCachePlan {
        control: response_cache::control(&api.id, &stage.stage_name),
        scope: ahash::RandomState::with_seeds(1, 2, 3, 4).hash_one((&api.id, &stage.deployment_id)),
        generation: GENERATION.fetch_add(1, Ordering::Relaxed) + 1,
        bytes: u64::from(cluster_mib.unwrap_or(512)) << 20,
        methods: plans,
    })
}

/// The cache of a stage's canary runtime (compiled from the canary's deployment, `canary`), per
/// `canarySettings.useStageCache`: with it, the canary reads and fills the stage's entries (the
/// base stage's `scope`: one table per core, keys by method and resource path as on AWS);
/// without it, the canary is not cached. (For the canary helper to call at merge: without this,
/// the two runtimes' different scopes would keep replacing each other's table on a core.)
pub fn canary_plan(
    base: Option<&StageCachePlan>,
    canary: Option<StageCachePlan>,
    use_stage_cache: bool,
) -> Option<StageCachePlan> {
    let (base, mut canary) = (base?, canary?);
    if !use_stage_cache {
        return None;
    }
    canary.scope = base.scope;
    canary.generation = base.generation;
    Some(canary)
}

fn model_method<'a>(api: &'a RestApi, m: &MethodRuntime) -> Option<&'a Method> {
    api.resources
        .iter()
        .find(|r| r.path == *m.resource_path)?
        .resource_methods
        .get(&*m.http_method)
}

/// Whether the method's own `methodSettings` entry sets `cachingEnabled` to false.
fn disabled_explicitly(stage: &Stage, m: &MethodRuntime) -> bool {
    let key = super::settings::method_key(&m.resource_path, &m.http_method);
    stage
        .method_settings
        .get(&key)
        .and_then(|e| e.get("cachingEnabled"))
        .and_then(|v| v.as_bool())
        == Some(false)
}

fn method_plan(
    api: &RestApi,
    stage: &Stage,
    i: usize,
    m: &MethodRuntime,
    problems: &mut Problems,
) -> Option<MethodCachePlan> {
    let c = m.settings.caching;
    let get = matches!(&*m.http_method, "GET" | "ANY") && !disabled_explicitly(stage, m);
    if !(c.enabled || get) || c.ttl.is_zero() {
        return None;
    }
    let integration = model_method(api, m).and_then(|mm| mm.method_integration.as_ref());
    let mut params = Vec::new();
    if let Some(integ) = integration {
        for name in &integ.cache_key_parameters {
            match key_source(name, m, &integ.request_parameters) {
                Some(src) => params.push(src),
                None => problems.push(
                    format!("/methods/{i}/cacheKeyParameters"),
                    format!("Invalid cache key parameter specified: {name}"),
                ),
            }
        }
    }
    Some(MethodCachePlan {
        enabled: c.enabled,
        get,
        ttl_ms: c.ttl.as_millis() as u64,
        params: params.into(),
        namespace: integration
            .and_then(|i| i.cache_namespace.as_deref())
            .unwrap_or(&m.resource_id)
            .into(),
        require_authorization: c.require_authorization_for_cache_control,
        unauthorized: c.unauthorized_cache_control,
    })
}

/// Where a `cacheKeyParameters` entry's value comes from.
fn key_source(
    name: &str,
    m: &MethodRuntime,
    mapped: &std::collections::BTreeMap<String, String>,
) -> Option<ParamSource> {
    if let Some(rest) = name.strip_prefix("integration.request.") {
        let from = mapped.get(name).or_else(|| {
            // `integration.request.querystring.q` may be mapped under its full name only.
            mapped.get(&format!("integration.request.{rest}"))
        })?;
        return method_source(from, m);
    }
    method_source(name, m)
}

fn method_source(expr: &str, m: &MethodRuntime) -> Option<ParamSource> {
    let rest = expr.strip_prefix("method.request.")?;
    let (kind, name) = rest.split_once('.')?;
    Some(match kind {
        "path" => {
            let i = m.path_params.iter().position(|p| &**p == name)?;
            ParamSource::PathCapture(u8::try_from(i).ok()?)
        }
        "querystring" => ParamSource::Query(name.into()),
        "multivaluequerystring" => ParamSource::MultiQuery(name.into()),
        "header" => ParamSource::Header(name.to_ascii_lowercase().into()),
        "multivalueheader" => ParamSource::MultiHeader(name.to_ascii_lowercase().into()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canary_shares_the_stage_cache_only_with_use_stage_cache() {
        let plan = |scope| StageCachePlan {
            control: response_cache::control("canary-test", "prod"),
            scope,
            generation: scope,
            bytes: 1 << 20,
            methods: Box::new([]),
        };
        let base = plan(1);
        assert_eq!(
            canary_plan(Some(&base), Some(plan(2)), true).map(|p| p.scope),
            Some(1)
        );
        assert!(canary_plan(Some(&base), Some(plan(2)), false).is_none());
        assert!(canary_plan(None, Some(plan(2)), true).is_none());
    }

    #[test]
    fn caches_get_by_default_others_when_enabled() {
        let plan = |enabled, get| MethodCachePlan {
            enabled,
            get,
            ttl_ms: 1000,
            params: Box::new([]),
            namespace: "r".into(),
            require_authorization: true,
            unauthorized: UnauthorizedCacheControl::SucceedWithResponseHeader,
        };
        assert!(plan(false, true).caches(b"GET"));
        assert!(!plan(false, true).caches(b"POST"));
        assert!(plan(true, false).caches(b"POST"));
        assert!(!plan(false, false).caches(b"GET"));
    }
}
