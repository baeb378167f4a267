//! The compiler's back half: a stored `RestApi` plus a `Stage` -> `StageRuntime` (router +
//! one `MethodRuntime` per resource method), and the runtimes of all APIs -> `Snapshot`.
//!
//! `check_api` runs every check that does not depend on stage variables, so an import or a
//! PutRestApi refuses what a later deployment could never compile. `compile_stage` adds what
//! only a deployment asks: the stage's settings, and `unenforced`, which refuses protection this
//! version cannot enforce yet (fail closed). All problems are collected; nothing is half-built.
//! Upstream ids are interned across compilations so per-core connection pools survive a
//! redeploy.

pub mod access_log;
mod authorizers;
mod aws;
pub mod buckets;
pub mod cache;
pub mod canary;
pub mod gateway;
pub mod links;
mod locate;
mod method;
pub mod models;
pub mod params;
mod policy;
mod resource_policy;
pub mod settings;
pub mod template;
pub mod unenforced;
pub mod uri;

pub use locate::{Locate, ModelLocator};
pub use template::compile_template;
pub use uri::Vars;

use crate::deploy::gateway_responses::GatewayResponses;
use crate::deploy::model::{RestApi, Stage};
use crate::deploy::path::{param_names, parse_path, Segment};
use crate::deploy::problem::Problems;
use crate::deploy::router::{Route, Router};
use crate::deploy::snapshot::{
    ApiIdx, ApiRuntime, ClientIdentity, MethodIdx, MethodRuntime, Snapshot, StageIdx, StageRuntime,
    Upstream, UpstreamId,
};
use ahash::AHashMap;
use method::{compile_method, Site};
use std::collections::HashMap;
use std::sync::Arc;

/// Gives every distinct origin one `UpstreamId` for the life of the process.
#[derive(Debug, Default)]
pub struct UpstreamInterner {
    ids: AHashMap<Upstream, UpstreamId>,
    list: Vec<Upstream>,
    /// Every client certificate a stage may name (the control plane's, set before compiling).
    client_certs: AHashMap<Box<str>, Arc<ClientIdentity>>,
    /// The stage being compiled presents this to its HTTPS backends.
    stage_cert: Option<Arc<ClientIdentity>>,
    /// What a VPC_LINK integration's `connectionId` may name (read-only for the compiler).
    pub links: links::VpcLinks,
    /// Throttle buckets, kept across compilations like upstream ids.
    pub buckets: buckets::Buckets,
}

impl UpstreamInterner {
    /// The client certificates stages may name, replacing the ones known before.
    pub fn set_client_certs(&mut self, certs: impl IntoIterator<Item = Arc<ClientIdentity>>) {
        self.client_certs = certs.into_iter().map(|c| (c.id.clone(), c)).collect();
    }

    /// A client certificate known by `id`.
    pub fn client_cert(&self, id: &str) -> Option<Arc<ClientIdentity>> {
        self.client_certs.get(id).cloned()
    }

    /// The certificate HTTP integrations of the stage being compiled present to HTTPS backends.
    pub(crate) fn stage_cert(&self) -> Option<Arc<ClientIdentity>> {
        self.stage_cert.clone()
    }

    /// An interner whose VPC_LINK integrations resolve against `links`.
    pub fn with_links(links: links::VpcLinks) -> UpstreamInterner {
        UpstreamInterner {
            links,
            ..UpstreamInterner::default()
        }
    }

    pub fn intern(&mut self, u: Upstream) -> UpstreamId {
        if let Some(&id) = self.ids.get(&u) {
            return id;
        }
        let id = UpstreamId(self.list.len() as u32);
        self.list.push(u.clone());
        self.ids.insert(u, id);
        id
    }

    /// Every upstream interned so far; index = `UpstreamId.0`.
    pub fn upstreams(&self) -> Vec<Upstream> {
        self.list.clone()
    }
}

/// Every check `compile_stage` makes that does not need stage variables.
pub fn check_api(api: &RestApi) -> Result<(), Problems> {
    check_api_at(api, &ModelLocator)
}

/// `check_api` with pointers chosen by `loc` (the importer points into the source document).
pub fn check_api_at(api: &RestApi, loc: &dyn Locate) -> Result<(), Problems> {
    let mut scratch = UpstreamInterner::default();
    let scope = gateway::Scope {
        vars: Vars::Check,
        api_id: &api.id,
        stage: "",
    };
    with_gateway_problems(api, scope, loc, || {
        compile_methods(api, Vars::Check, &mut scratch, loc)
    })
    .map(|_| ())
}

/// Fail closed: `Err` naming every method (and the resource policy) whose protection this
/// version does not enforce. Every path that makes a definition served asks it first.
/// The API's protection compiled with no stage (`${stageVariables.X}` standing in): its resource
/// policy and every authorizer a method names. `Err` when one could never be enforced as written
/// (CreateDeployment checks it, as AWS validates a deployment before any stage serves it).
pub fn check_protection(api: &RestApi) -> Result<(), Problems> {
    let mut problems = Problems::default();
    let used = api
        .resources
        .iter()
        .flat_map(|r| r.resource_methods.values())
        .filter(|m| {
            matches!(
                m.authorization_type.as_str(),
                "CUSTOM" | "COGNITO_USER_POOLS"
            )
        })
        .filter_map(|m| {
            api.authorizers
                .iter()
                .position(|a| Some(&a.id) == m.authorizer_id.as_ref())
        })
        .map(|i| i as u32)
        .collect();
    let mut scratch = UpstreamInterner::default();
    authorizers::compile_authorizers(api, Vars::Check, &used, &mut scratch, &mut problems);
    resource_policy::compile(api, &mut problems);
    problems.into_result()
}

pub fn refuse_unenforced(api: &RestApi) -> Result<(), Problems> {
    unenforced::refuse(api, &ModelLocator)
}

/// `stage` serving `api` (its deployment's definition), ready to publish; refused (with every
/// other problem) when `refuse_unenforced` refuses `api`.
pub fn compile_stage(
    api: &RestApi,
    stage: &Stage,
    upstreams: &mut UpstreamInterner,
) -> Result<StageRuntime, Problems> {
    let refused = refuse_unenforced(api).err().unwrap_or_default();
    compile_stage_with(api, stage, upstreams, refused)
}

/// `compile_stage` for TestInvokeMethod, whose result is never published: as on AWS, a test
/// call skips authorization, API keys and the resource policy, so nothing is refused for them.
pub fn compile_stage_for_test_invoke(
    api: &RestApi,
    stage: &Stage,
    upstreams: &mut UpstreamInterner,
) -> Result<StageRuntime, Problems> {
    compile_stage_with(api, stage, upstreams, Problems::default())
}

fn compile_stage_with(
    api: &RestApi,
    stage: &Stage,
    upstreams: &mut UpstreamInterner,
    mut problems: Problems,
) -> Result<StageRuntime, Problems> {
    let vars = Vars::Stage(&stage.variables);
    let scope = gateway::Scope {
        vars,
        api_id: &api.id,
        stage: &stage.stage_name,
    };
    upstreams.stage_cert = None;
    if let Some(id) = stage.client_certificate_id.as_deref() {
        match upstreams.client_certs.get(id) {
            Some(c) => upstreams.stage_cert = Some(c.clone()),
            // Fail closed: never call the backends without the certificate they may require.
            None => problems.push(
                "/clientCertificateId".to_string(),
                format!("Invalid client certificate identifier specified: {id}"),
            ),
        }
    }
    let compiled = with_gateway_problems(api, scope, &ModelLocator, || {
        compile_methods(api, vars, upstreams, &ModelLocator)
    });
    upstreams.stage_cert = None;
    let stage_settings = settings::stage_settings(stage, &mut problems);
    let ((router, mut methods), gateway_responses) = match compiled {
        Ok(c) => c,
        Err(p) => {
            problems.0.extend(p.0);
            return Err(problems);
        }
    };
    let models = models::compile_models(api, &body_models_used(api, &methods), &mut problems);
    let authorizers = authorizers::compile_authorizers(
        api,
        vars,
        &authorizers_used(&methods),
        upstreams,
        &mut problems,
    );
    let resource_policy = resource_policy::compile(api, &mut problems);
    let access_log = access_log::stage_access_log(stage, &mut problems);
    for m in &mut methods {
        m.settings = settings::resolve_method_settings(
            stage,
            &m.resource_path,
            &m.http_method,
            &mut problems,
        );
        if settings::names_method(stage, &m.resource_path, &m.http_method) {
            let t = m.settings.throttling;
            m.throttle = Some(upstreams.buckets.intern(
                &format!(
                    "{}/{}/{} {}",
                    api.id, stage.stage_name, m.http_method, m.resource_path
                ),
                crate::core::throttle::gcra::Limits {
                    rate: t.rate_limit,
                    burst: t.burst_limit,
                },
            ));
        }
    }
    // A damaged `*/*` entry is found once per method: report it once.
    let cache = cache::compile(
        api,
        stage,
        &methods,
        stage_settings.cache_cluster_mib,
        &mut problems,
    );
    let mut seen = std::collections::HashSet::new();
    problems
        .0
        .retain(|p| seen.insert((p.pointer.clone(), p.message.clone())));
    problems.into_result()?;
    Ok(StageRuntime {
        name: stage.stage_name.as_str().into(),
        deployment_id: stage.deployment_id.as_str().into(),
        router,
        methods,
        gateway_responses,
        validators: policy::validator_table(api),
        models,
        settings: stage_settings,
        variables: stage
            .variables
            .iter()
            .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
            .collect(),
        authorizers,
        resource_policy,
        arn_prefix: {
            let env = crate::aws::env();
            format!(
                "arn:aws:execute-api:{}:{}:{}/{}/",
                env.region, env.account_id, api.id, stage.stage_name
            )
            .into()
        },
        canary: None,
        access_log,
        cache,
        cache_control: crate::core::response_cache::control(&api.id, &stage.stage_name),
        // Set by the control plane, which holds the stored web ACLs.
        waf: None,
    })
}

/// Which of the API's authorizers a compiled method names (those must compile).
fn authorizers_used(methods: &[MethodRuntime]) -> std::collections::BTreeSet<u32> {
    use crate::deploy::policy::AuthorizationPlan;
    methods
        .iter()
        .filter_map(|m| match &m.authorization {
            AuthorizationPlan::Custom { authorizer }
            | AuthorizationPlan::CognitoUserPools { authorizer, .. } => Some(authorizer.0),
            _ => None,
        })
        .collect()
}

/// Every model a method whose validator checks bodies selects by content type.
fn body_models_used(
    api: &RestApi,
    methods: &[MethodRuntime],
) -> std::collections::BTreeSet<crate::deploy::policy::ModelIdx> {
    methods
        .iter()
        .filter(|m| {
            m.validation
                .validator
                .is_some_and(|v| api.request_validators[v.0 as usize].validate_request_body)
        })
        .flat_map(|m| m.validation.body.all())
        .filter(|m| *m != crate::deploy::policy::ModelIdx::EMPTY)
        .collect()
}

/// Runs `methods` and compiles the gateway responses; fails with both sets of problems.
fn with_gateway_problems<T>(
    api: &RestApi,
    scope: gateway::Scope<'_>,
    loc: &dyn Locate,
    methods: impl FnOnce() -> Result<T, Problems>,
) -> Result<(T, GatewayResponses), Problems> {
    let mut problems = Problems::default();
    let table = gateway::compile_gateway_responses(api, scope, loc, &mut problems);
    match methods() {
        Ok(t) => problems.into_result().map(|()| (t, table)),
        Err(mut p) => {
            p.0.extend(problems.0);
            Err(p)
        }
    }
}

/// The snapshot of every compiled API; `generation` is stamped by the publisher.
pub fn build_snapshot(apis: Vec<ApiRuntime>, upstreams: &UpstreamInterner) -> Snapshot {
    let api_by_id = apis
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.clone(), ApiIdx(i as u32)))
        .collect();
    let stage_by_name = apis
        .iter()
        .map(|a| {
            // A canary variant shares its stage's name: the name finds the base stage.
            a.stages
                .iter()
                .enumerate()
                .filter(|(i, _)| !a.is_canary(*i))
                .map(|(i, s)| (s.name.as_bytes().into(), StageIdx(i as u32)))
                .collect()
        })
        .collect();
    Snapshot {
        generation: 0,
        apis,
        api_by_id,
        stage_by_name,
        upstreams: upstreams.upstreams(),
        buckets: upstreams.buckets.list(),
    }
}

fn compile_methods(
    api: &RestApi,
    vars: Vars<'_>,
    upstreams: &mut UpstreamInterner,
    loc: &dyn Locate,
) -> Result<(Router, Vec<MethodRuntime>), Problems> {
    let mut problems = Problems::default();
    check_tree(api, loc, &mut problems);
    let mut methods = Vec::new();
    let mut routes = Vec::new();
    for (res, resource) in api.resources.iter().enumerate() {
        let segments = match parse_path(&resource.path) {
            Ok(s) => s,
            Err(e) => {
                problems.push(
                    loc.resource(res),
                    format!("Unable to create resource at path '{}': {e}", resource.path),
                );
                continue;
            }
        };
        let params = param_names(&segments);
        for (name, m) in &resource.resource_methods {
            let site = Site {
                res,
                path: &resource.path,
                method: name,
                params: &params,
                loc,
                vars,
            };
            if let Some(rt) = compile_method(api, &site, m, upstreams, &mut problems) {
                routes.push(Route {
                    path: &resource.path,
                    method: name,
                    idx: MethodIdx(methods.len() as u32),
                });
                methods.push(rt);
            }
        }
    }
    // Tree problems (e.g. sibling variables) would resurface as router errors: report once.
    problems.into_result()?;
    let router = Router::build(routes).map_err(|errors| {
        Problems(
            errors
                .into_iter()
                .map(|e| crate::deploy::Problem::new("/resources", e.to_string()))
                .collect(),
        )
    })?;
    Ok((router, methods))
}

/// Tree rules AWS enforces when creating resources: unique paths, and at most one variable path
/// part (`{x}` or `{x+}`) among siblings, because the router could not choose between them.
fn check_tree(api: &RestApi, loc: &dyn Locate, problems: &mut Problems) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut variable_child: HashMap<&str, &str> = HashMap::new();
    for (res, r) in api.resources.iter().enumerate() {
        if seen.insert(r.path.as_str(), res).is_some() {
            problems.push(
                loc.resource(res),
                format!(
                    "Unable to create resource at path '{}': Another resource with the same parent already has this name",
                    r.path
                ),
            );
            continue;
        }
        let Some((parent, last)) = r.path.rsplit_once('/') else {
            continue;
        };
        if !matches!(
            crate::deploy::path::parse_part(last),
            Ok(Segment::Param(_) | Segment::Greedy(_))
        ) {
            continue;
        }
        match variable_child.get(parent) {
            Some(other) if *other != last => problems.push(
                loc.resource(res),
                format!(
                    "Unable to create resource at path '{}': A sibling ({other}) of this resource already has a variable path part -- only one is allowed",
                    r.path
                ),
            ),
            _ => {
                variable_child.insert(parent, last);
            }
        }
    }
}

#[cfg(test)]
mod tests;
