//! The control plane: owns the store, the upstream interner and the snapshot cell, and is the only
//! code that changes what is stored or served. The admin HTTP handlers and SIGHUP call into it,
//! serialised by the `Mutex` in `AdminState`.
//!
//! Invariant for every mutation that changes what is served: compile the whole new served state
//! first, then commit the store write, then publish. A compile failure changes nothing; a store
//! failure leaves the old snapshot served. The `UpstreamInterner` lives as long as the process so
//! upstream ids (and the workers' connection pools keyed by them) stay stable across publishes.

use super::boot;
use super::error::{ApiError, DEFAULT_ACCOUNT_ID};
use super::limits::check_quota;
use crate::admin::account::vpc_links::VpcLink;
pub use crate::admin::deployments::stages::StageUpdate;
use crate::admin::deployments::stages::{updated_stage, validate_stage_name, validate_variables};
use crate::admin::restapis::merge;
use crate::deploy::compile::{
    build_snapshot, check_api, compile_stage, links::VpcLinks, refuse_unenforced, unenforced,
    UpstreamInterner,
};
use crate::deploy::ids::new_id;
use crate::deploy::import::{import_document, ImportOptions};
use crate::deploy::model::{Deployment, RestApi, Stage};
use crate::deploy::publish::SnapshotCell;
use crate::deploy::snapshot::{ApiRuntime, ClientIdentity};
use crate::deploy::Snapshot;
use crate::settings::{AdminQuotas, Settings};
use crate::store::{Store, Write, VPC_LINK};
use anyhow::{anyhow, Context};
pub use canary::NewCanary;
pub use stages::NewStage;
use std::sync::Arc;
pub use usage::{NewApiKey, Usage};

/// PutRestApi's `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PutMode {
    /// AWS's default: add the document's resources and methods to the existing definition.
    #[default]
    Merge,
    /// Replace the definition, keeping the API's id and creation date.
    Overwrite,
}

/// CreateDeployment's input, already parsed.
#[derive(Debug, Clone, Default)]
pub struct NewDeployment {
    pub description: Option<String>,
    pub stage: Option<StageUpdate>,
    /// `canarySettings`: the deployment goes to the stage's canary, not the stage.
    pub canary: Option<canary::NewCanary>,
}

/// One API as it would be served: its current definition (for the name) and each stage with
/// the API copy of the deployment it points at.
struct Served {
    api: RestApi,
    stages: Vec<(Stage, RestApi)>,
    /// Deployments not stored yet that a stage's canary may name (CreateDeployment with
    /// `canarySettings` compiles its new deployment as the canary before storing it).
    pending: Vec<Deployment>,
}

pub struct ControlPlane {
    store: Store,
    upstreams: UpstreamInterner,
    cell: Arc<SnapshotCell>,
    account_id: String,
    /// AWS's default account quotas (or `[admin.limits]`), checked before each create.
    quotas: AdminQuotas,
    /// Usage plan quota counters the workers count in, kept across key-table rebuilds.
    quota_counters: crate::deploy::keys::QuotaCounters,
}

impl ControlPlane {
    /// Opens the store under `settings.data_dir`, upserts and deploys the boot APIs, and publishes
    /// the first snapshot of everything stored.
    pub fn open(settings: &Settings, cell: Arc<SnapshotCell>) -> anyhow::Result<ControlPlane> {
        let store = Store::open(&settings.data_dir)
            .with_context(|| format!("cannot open the store in {}", settings.data_dir.display()))?;
        // Links are read at start: workers' target tables are sized from the same list.
        let mut upstreams =
            UpstreamInterner::with_links(VpcLinks::from_config(&settings.vpc_links));
        upstreams.buckets =
            crate::deploy::compile::buckets::Buckets::with_account(settings.account_throttle);
        let mut cp = ControlPlane {
            store,
            upstreams,
            cell,
            account_id: DEFAULT_ACCOUNT_ID.to_string(),
            quotas: settings.admin_quotas,
            quota_counters: Default::default(),
        };
        cp.apply_boot_apis(settings)?;
        cp.publish_keys()?;
        Ok(cp)
    }

    /// Rebuilds the data plane's API key table from the store and publishes it: after every
    /// change to keys, usage plans or plan keys (they act without a deployment, as on AWS).
    pub fn publish_keys(&mut self) -> anyhow::Result<()> {
        let keys = self.store.list_api_keys()?;
        let mut plans = Vec::new();
        for plan in self.store.list_usage_plans()? {
            let key_ids = self.store.usage_plan_key_ids(&plan.id)?;
            plans.push((plan, key_ids));
        }
        use crate::admin::keys::usage_plans::{format_day, today};
        let today = today();
        let store = &self.store;
        let mut seed = |plan: &str, key: &str, start: i64| -> u64 {
            store
                .usage_days(plan, key, &format_day(start), &format_day(today))
                .map(|days| days.values().sum())
                .unwrap_or(0)
        };
        let mut grant = |plan: &str, key: &str, start: i64| -> i64 {
            store
                .quota_grant(plan, key, &format_day(start))
                .unwrap_or(0)
        };
        let table = crate::deploy::keys::KeyTable::build_with_quotas(
            &keys,
            &plans,
            &mut self.upstreams.buckets,
            &mut self.quota_counters,
            today,
            &mut seed,
            &mut grant,
        );
        self.cell.publish_keys(table);
        Ok(())
    }

    /// Writes the requests workers counted against quotas since the last flush into the store's
    /// per-day usage (today's): every `core::quota::FLUSH_EVERY`, before GetUsage and
    /// UpdateUsage, and at shutdown.
    pub fn flush_usage(&mut self) -> anyhow::Result<()> {
        let day =
            crate::admin::keys::usage_plans::format_day(crate::admin::keys::usage_plans::today());
        let writes: Vec<Write> = self
            .quota_counters
            .all()
            .filter_map(|(plan, key, counter)| {
                let count = counter.take_unflushed();
                (count > 0).then(|| Write::AddUsage {
                    plan_id: plan.into(),
                    key_id: key.into(),
                    day: day.clone(),
                    count,
                })
            })
            .collect();
        if !writes.is_empty() {
            self.store.apply(&writes)?;
        }
        Ok(())
    }

    /// Re-reads and re-applies the boot APIs (SIGHUP). On error nothing changed.
    pub fn reload(&mut self, settings: &Settings) -> anyhow::Result<()> {
        self.apply_boot_apis(settings)
    }

    /// The account id AWS-style messages name (default `000000000000`).
    pub fn set_account_id(&mut self, account_id: impl Into<String>) {
        self.account_id = account_id.into();
    }

    pub fn quotas(&self) -> &AdminQuotas {
        &self.quotas
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The store, read-only use (backups take a read transaction).
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn cell(&self) -> &Arc<SnapshotCell> {
        &self.cell
    }

    /// ImportRestApi: a new API from an OpenAPI document. Serves nothing until deployed.
    pub fn import_rest_api(
        &mut self,
        doc: &[u8],
        opts: &ImportOptions,
    ) -> Result<RestApi, ApiError> {
        let mut api = import(doc, opts)?;
        self.check_rest_api_quota()?;
        api.id = new_id(10);
        api.created_date = now();
        self.store.put_rest_api(&api)?;
        Ok(api)
    }

    /// PutRestApi: replaces or merges the definition. Stages keep serving their deployments.
    pub fn put_rest_api(
        &mut self,
        id: &str,
        doc: &[u8],
        mode: PutMode,
        opts: &ImportOptions,
    ) -> Result<RestApi, ApiError> {
        let old = self.get_rest_api(id)?;
        let new = import(doc, opts)?;
        let mut api = match mode {
            PutMode::Merge => merge::merge(&old, new),
            PutMode::Overwrite => {
                let mut new = new;
                merge::adopt_ids(&mut new, &old);
                new
            }
        };
        api.id = old.id.clone();
        api.created_date = old.created_date;
        check_api(&api)
            .map_err(|p| ApiError::bad_request(format!("Errors found in the API: {p}")))?;
        self.store.put_rest_api(&api)?;
        Ok(api)
    }

    pub fn get_rest_api(&self, id: &str) -> Result<RestApi, ApiError> {
        self.store
            .get_rest_api(id)?
            .ok_or_else(|| self.api_not_found(id))
    }

    /// Every API, ordered by id.
    pub fn list_rest_apis(&self) -> Result<Vec<RestApi>, ApiError> {
        Ok(self.store.list_rest_apis()?)
    }

    /// DeleteRestApi: the API, its deployments and stages; stops serving it.
    pub fn delete_rest_api(&mut self, id: &str) -> Result<(), ApiError> {
        self.get_rest_api(id)?;
        let mut served = self.load_served()?;
        served.retain(|s| s.api.id != id);
        let snap = self.compile(&served, &none)?;
        self.store.apply(&[Write::DeleteRestApi(id.to_string())])?;
        self.cell.publish(snap);
        Ok(())
    }

    /// CreateDeployment: snapshots the API's current definition and, if asked, points a stage at it.
    pub fn create_deployment(
        &mut self,
        api_id: &str,
        req: NewDeployment,
    ) -> Result<Deployment, ApiError> {
        let api = self.get_rest_api(api_id)?;
        if api.resources.iter().all(|r| r.resource_methods.is_empty()) {
            return Err(ApiError::NoMethods);
        }
        // Even without a stage: a stored deployment can be served later by CreateStage,
        // UpdateStage or a canary without another look at its definition.
        check_servable(&api)?;
        let now = now();
        let deployment = Deployment {
            id: new_id(10),
            description: req.description,
            created_date: now,
            api,
        };
        if let Some(c) = req.canary {
            return self.deploy_canary(api_id, deployment, req.stage, c);
        }
        let mut writes = vec![Write::PutDeployment {
            api_id: api_id.into(),
            deployment: deployment.clone(),
        }];
        if let Some(update) = req.stage {
            validate_stage_name(&update.name)?;
            if let Some(vars) = &update.variables {
                validate_variables(vars)?;
            }
            self.check_stage_quota(api_id, &update.name)?;
            let current = self.store.get_stage(api_id, &update.name)?;
            let mut stage = updated_stage(current, &update, &deployment.id, now);
            // A deployment to the stage itself ends its canary release (as LocalStack, checked
            // against AWS, does).
            stage.extra.remove(crate::deploy::compile::canary::CANARY);
            let mut served = self.load_served()?;
            overlay_stage(&mut served, &stage, &deployment.api);
            let snap = self.compile(&served, &only(api_id, &update.name))?;
            writes.push(Write::PutStage {
                api_id: api_id.into(),
                stage,
            });
            self.store.apply(&writes)?;
            self.cell.publish(snap);
        } else {
            self.store.apply(&writes)?;
        }
        Ok(deployment)
    }

    pub fn get_deployment(&self, api_id: &str, id: &str) -> Result<Deployment, ApiError> {
        self.get_rest_api(api_id)?;
        self.store
            .get_deployment(api_id, id)?
            .ok_or(ApiError::DeploymentNotFound)
    }

    pub fn list_deployments(&self, api_id: &str) -> Result<Vec<Deployment>, ApiError> {
        self.get_rest_api(api_id)?;
        Ok(self.store.list_deployments(api_id)?)
    }

    pub fn get_stage(&self, api_id: &str, name: &str) -> Result<Stage, ApiError> {
        self.get_rest_api(api_id)?;
        self.store
            .get_stage(api_id, name)?
            .ok_or(ApiError::StageNotFound)
    }

    pub fn list_stages(&self, api_id: &str) -> Result<Vec<Stage>, ApiError> {
        self.get_rest_api(api_id)?;
        Ok(self.store.list_stages(api_id)?)
    }

    /// CreateRestApi: stores a new API (root resource only). Serves nothing until deployed.
    pub fn create_rest_api(&mut self, api: RestApi) -> Result<RestApi, ApiError> {
        self.check_rest_api_quota()?;
        self.store.put_rest_api(&api)?;
        Ok(api)
    }

    /// Runs `edit` on a copy of the stored definition, checks the result as a deployment would
    /// (methods without an integration yet aside) and stores it in one transaction. Stages keep
    /// serving their deployments until the next CreateDeployment, as on AWS.
    pub fn edit_rest_api<T>(
        &mut self,
        id: &str,
        edit: impl FnOnce(&mut RestApi) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut api = self.get_rest_api(id)?;
        let out = edit(&mut api)?;
        crate::admin::restapis::edit::check_edited(&api)?;
        self.store.put_rest_api(&api)?;
        Ok(out)
    }

    /// The stage and the API definition its deployment serves (GetExport).
    pub fn deployed_api(&self, api_id: &str, stage: &str) -> Result<(Stage, RestApi), ApiError> {
        let stage = self.get_stage(api_id, stage)?;
        let deployment = self.get_deployment(api_id, &stage.deployment_id)?;
        Ok((stage, deployment.api))
    }

    fn check_rest_api_quota(&self) -> Result<(), ApiError> {
        let have = self.store.list_rest_apis()?.len();
        check_quota("REST APIs", have, 1, self.quotas.rest_apis)
    }

    /// A stage named `name` would be new on `api_id`: it must fit the stages-per-API quota.
    fn check_stage_quota(&self, api_id: &str, name: &str) -> Result<(), ApiError> {
        if self.store.get_stage(api_id, name)?.is_some() {
            return Ok(());
        }
        let have = self.store.list_stages(api_id)?.len();
        check_quota("stages per API", have, 1, self.quotas.stages_per_api)
    }

    fn api_not_found(&self, id: &str) -> ApiError {
        ApiError::ApiNotFound {
            account: self.account_id.clone(),
            id: id.to_string(),
        }
    }

    /// Upserts every boot API and redeploys a boot stage only when the definition it serves or its
    /// variables differ from the settings, then compiles, commits and publishes as one change.
    fn apply_boot_apis(&mut self, settings: &Settings) -> anyhow::Result<()> {
        let mut served = self.load_served().map_err(|e| anyhow!("{}", e.parts().2))?;
        let mut writes = Vec::new();
        let mut boot_stages: Vec<(String, String)> = Vec::new();
        let now = now();
        for boot_api in &settings.apis {
            let file = boot_api.file.display();
            let doc = boot::read_document(boot_api, settings.config_path.as_deref())?;
            let mut api = import_document(&doc, &ImportOptions::default())
                .map_err(|p| anyhow!("cannot import {file}: {p}"))?;
            check_api(&api).map_err(|p| anyhow!("{file}: {p}"))?;
            if !boot_api.stages.is_empty() {
                refuse_unenforced(&api)
                    .map_err(|p| anyhow!("{file}: {}", p.render(unenforced::HEADING)))?;
            }
            api.id = boot_api
                .id
                .clone()
                .unwrap_or_else(|| boot::derived_id(&api.name));
            api.created_date = now;
            let stored = self.store.get_rest_api(&api.id)?;
            if let Some(old) = &stored {
                merge::adopt_ids(&mut api, old);
                api.created_date = old.created_date;
            }
            if stored.as_ref() != Some(&api) {
                writes.push(Write::PutRestApi(api.clone()));
            }
            match served.iter_mut().find(|s| s.api.id == api.id) {
                Some(s) => s.api = api.clone(),
                None => served.push(Served {
                    api: api.clone(),
                    stages: Vec::new(),
                    pending: Vec::new(),
                }),
            }
            for boot_stage in &boot_api.stages {
                boot_stages.push((api.id.clone(), boot_stage.name.clone()));
                validate_stage_name(&boot_stage.name)
                    .map_err(|e| anyhow!("{file}: {}", e.parts().2))?;
                validate_variables(&boot_stage.variables)
                    .map_err(|e| anyhow!("{file}: {}", e.parts().2))?;
                let current = served.iter().find(|s| s.api.id == api.id).and_then(|s| {
                    s.stages
                        .iter()
                        .find(|(st, _)| st.stage_name == boot_stage.name)
                });
                if current.is_some_and(|(st, deployed)| {
                    deployed == &api && st.variables == boot_stage.variables
                }) {
                    continue;
                }
                let deployment = Deployment {
                    id: new_id(10),
                    description: Some(format!("boot deployment of {file}")),
                    created_date: now,
                    api: api.clone(),
                };
                let update = StageUpdate {
                    name: boot_stage.name.clone(),
                    variables: Some(boot_stage.variables.clone()),
                    ..Default::default()
                };
                let stage = updated_stage(
                    current.map(|(s, _)| s.clone()),
                    &update,
                    &deployment.id,
                    now,
                );
                overlay_stage(&mut served, &stage, &api);
                writes.push(Write::PutDeployment {
                    api_id: api.id.clone(),
                    deployment,
                });
                writes.push(Write::PutStage {
                    api_id: api.id.clone(),
                    stage,
                });
            }
        }
        // Every stage the config names must compile; other stored stages may be left unserved.
        let named = |api_id: &str, stage: &str| {
            boot_stages
                .iter()
                .any(|(a, s)| a.as_str() == api_id && s.as_str() == stage)
        };
        let snap = self
            .compile(&served, &named)
            .map_err(|e| anyhow!("{}", e.parts().2))?;
        if !writes.is_empty() {
            self.store.apply(&writes)?;
        }
        self.cell.publish(snap);
        Ok(())
    }

    /// Everything stored that is served: each API with its stages and their deployed definitions.
    fn load_served(&self) -> Result<Vec<Served>, ApiError> {
        let mut out = Vec::new();
        for api in self.store.list_rest_apis()? {
            let mut stages = Vec::new();
            for stage in self.store.list_stages(&api.id)? {
                let deployment = self
                    .store
                    .get_deployment(&api.id, &stage.deployment_id)?
                    .ok_or_else(|| {
                        ApiError::Internal(format!(
                            "stage {}/{} points at missing deployment {}",
                            api.id, stage.stage_name, stage.deployment_id
                        ))
                    })?;
                stages.push((stage, deployment.api));
            }
            out.push(Served {
                api,
                stages,
                pending: Vec::new(),
            });
        }
        Ok(out)
    }

    /// Compiles every stage. A stage `strict` names (the one this request changes, or a boot
    /// config stage) that fails is an error: one BadRequest naming every such problem. Any other
    /// stored stage that fails is left unserved with an error log instead of blocking every
    /// later change: a store written by an earlier version can hold a deployment this one
    /// refuses (fail closed: such a stage answers nothing until it is redeployed or deleted).
    fn compile(
        &mut self,
        served: &[Served],
        strict: &dyn Fn(&str, &str) -> bool,
    ) -> Result<Snapshot, ApiError> {
        self.load_client_certs()?;
        // The account's VpcLinks as they are now: a connectionId may name one of them.
        let admin_links = self.store.list_account::<VpcLink>(VPC_LINK, "")?;
        self.upstreams.links.set_admin(
            admin_links
                .into_iter()
                .filter_map(|(id, l)| Some((id, l.target_arns.into_iter().next()?))),
        );
        // Stored web ACLs and their sets: a stage's `webAclArn` is compiled into it.
        let mut web_acls = crate::admin::wafv2::Acls::load(&self.store)?;
        let mut apis = Vec::new();
        let mut problems = Vec::new();
        for s in served {
            let mut stages = Vec::new();
            let mut canaries = Vec::new();
            for (stage, deployed) in &s.stages {
                let compiled = compile_stage(deployed, stage, &mut self.upstreams)
                    .map_err(|p| p.to_string())
                    .and_then(|mut rt| {
                        rt.waf = web_acls.for_stage(stage)?;
                        Ok(rt)
                    });
                match compiled {
                    Ok(rt) => {
                        match self.compile_canary(s, stage, deployed) {
                            Ok(Some((variant, settings))) => {
                                canaries.push((stages.len(), variant, settings))
                            }
                            Ok(None) => {}
                            Err(p) if strict(&s.api.id, &stage.stage_name) => problems.push(
                                format!("stage '{}' of API {}: {p}", stage.stage_name, s.api.id),
                            ),
                            // Fail safe: the stage is served, all of its traffic to its base.
                            Err(p) => eprintln!(
                                "error: the canary of stage '{}' of API {} is not served: {p}",
                                stage.stage_name, s.api.id
                            ),
                        }
                        stages.push(rt);
                    }
                    Err(p) if strict(&s.api.id, &stage.stage_name) => problems.push(format!(
                        "stage '{}' of API {}: {p}",
                        stage.stage_name, s.api.id
                    )),
                    Err(p) => eprintln!(
                        "error: stage '{}' of API {} is not served: its deployment {} does not \
                         compile: {p}",
                        stage.stage_name, s.api.id, stage.deployment_id
                    ),
                }
            }
            crate::deploy::compile::canary::attach(&mut stages, canaries);
            apis.push(ApiRuntime {
                endpoint_type: crate::deploy::snapshot::endpoint_type(
                    s.api.endpoint_configuration.as_ref(),
                ),
                id: s.api.id.as_str().into(),
                name: s.api.name.as_str().into(),
                stages,
            });
        }
        if !problems.is_empty() {
            return Err(ApiError::bad_request(format!(
                "Errors found while compiling: {}",
                problems.join("; ")
            )));
        }
        let snap = build_snapshot(apis, &self.upstreams);
        if snap
            .upstreams
            .iter()
            .any(|u| u.scheme == crate::deploy::snapshot::Scheme::Https)
        {
            // The trust store is read from disk once per process: here, on the control plane,
            // rather than by the first worker that connects to an HTTPS backend.
            crate::net::tls::system_roots();
        }
        Ok(snap)
    }
}

impl ControlPlane {
    /// Hands the compiler every stored client certificate (parsed once per id: a certificate's
    /// material never changes under its id).
    fn load_client_certs(&mut self) -> Result<(), ApiError> {
        use crate::admin::account::client_certificates::ClientCertificate;
        let stored: Vec<(String, ClientCertificate)> = self
            .store
            .list_account(crate::store::CLIENT_CERTIFICATE, "")?;
        let mut certs = Vec::with_capacity(stored.len());
        for (id, c) in stored {
            if let Some(known) = self.upstreams.client_cert(&id) {
                certs.push(known);
                continue;
            }
            match ClientIdentity::from_pem(&id, &c.pem_encoded_certificate, &c.private_key_pem) {
                Ok(identity) => certs.push(Arc::new(identity)),
                // A stage naming it then fails to compile, saying which certificate.
                Err(e) => eprintln!("error: {e}"),
            }
        }
        self.upstreams.set_client_certs(certs);
        Ok(())
    }
}

/// For `compile`: only the stage `name` of `api_id` must compile.
fn only<'a>(api_id: &'a str, name: &'a str) -> impl Fn(&str, &str) -> bool + 'a {
    move |a, s| a == api_id && s == name
}

/// For `compile`: no stage must compile (nothing served changes but what is removed).
fn none(_: &str, _: &str) -> bool {
    false
}

/// Fail closed: a deployment whose protection is not enforced, or cannot be as written (an
/// authorizer or resource policy that does not compile), is a `BadRequestException` naming it.
fn check_servable(api: &RestApi) -> Result<(), ApiError> {
    refuse_unenforced(api).map_err(|p| ApiError::bad_request(p.render(unenforced::HEADING)))?;
    crate::deploy::compile::check_protection(api)
        .map_err(|p| ApiError::bad_request(p.render("Errors found while compiling:")))
}

fn import(doc: &[u8], opts: &ImportOptions) -> Result<RestApi, ApiError> {
    let api = import_document(doc, opts).map_err(|p| ApiError::bad_request(p.to_string()))?;
    // `Problems`' Display already carries AWS's "Errors found during import:" heading.
    check_api(&api).map_err(|p| ApiError::bad_request(p.to_string()))?;
    Ok(api)
}

/// Replaces (or adds) `stage` of `deployed.id` in `served`.
fn overlay_stage(served: &mut Vec<Served>, stage: &Stage, deployed: &RestApi) {
    let entry = match served.iter().position(|s| s.api.id == deployed.id) {
        Some(i) => &mut served[i],
        None => {
            served.push(Served {
                api: deployed.clone(),
                stages: Vec::new(),
                pending: Vec::new(),
            });
            served.last_mut().expect("just pushed")
        }
    };
    entry
        .stages
        .retain(|(s, _)| s.stage_name != stage.stage_name);
    entry.stages.push((stage.clone(), deployed.clone()));
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

mod canary;
mod stages;
mod usage;
mod waf;

#[cfg(test)]
pub(crate) mod tests;
