//! Stage and deployment writes of the management API: CreateStage, UpdateStage, DeleteStage,
//! UpdateDeployment and DeleteDeployment.
//!
//! Every change to a stage is served through `change_stage`: compile the whole served state with
//! the change, then commit, then publish; a compile failure or a store failure changes nothing.

use super::{now, overlay_stage, ControlPlane};
use crate::admin::account::tags::validate_tags;
use crate::admin::deployments::stage_patch::{self, CANARY};
use crate::admin::deployments::stages::{validate_stage_name, validate_variables};
use crate::admin::error::ApiError;
use crate::admin::patch::{self, PatchOperation};
use crate::deploy::model::{Deployment, Stage};
use crate::store::Write;
use serde_json::Value;
use std::collections::BTreeMap;

/// CreateStage's input, already parsed.
#[derive(Debug, Clone, Default)]
pub struct NewStage {
    pub name: String,
    pub deployment_id: String,
    pub description: Option<String>,
    pub variables: BTreeMap<String, String>,
    pub cache_cluster_enabled: bool,
    pub cache_cluster_size: Option<String>,
    pub tracing_enabled: bool,
    /// AWS's `CanarySettings` object, checked here.
    pub canary_settings: Option<Value>,
    pub documentation_version: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl ControlPlane {
    /// CreateStage: a new stage on an existing deployment, served at once.
    pub fn create_stage(&mut self, api_id: &str, new: NewStage) -> Result<Stage, ApiError> {
        self.get_rest_api(api_id)?;
        validate_stage_name(&new.name)?;
        validate_variables(&new.variables)?;
        validate_tags(&new.tags)?;
        if let Some(size) = &new.cache_cluster_size {
            check_cache_size(size)?;
        }
        if self.store.get_stage(api_id, &new.name)?.is_some() {
            return Err(ApiError::Conflict("Stage already exists".into()));
        }
        self.check_stage_quota(api_id, &new.name)?;
        let now = now();
        let mut stage = Stage {
            stage_name: new.name,
            deployment_id: new.deployment_id,
            description: new.description,
            variables: new.variables,
            cache_cluster_enabled: new.cache_cluster_enabled,
            cache_cluster_size: new.cache_cluster_size,
            tracing_enabled: new.tracing_enabled,
            tags: new.tags,
            created_date: now,
            last_updated_date: now,
            ..Default::default()
        };
        if let Some(canary) = new.canary_settings {
            stage.extra.insert(CANARY.into(), canary);
            super::canary::normalize(&mut stage);
        }
        if let Some(v) = new.documentation_version {
            stage.extra.insert("documentationVersion".into(), v.into());
        }
        self.change_stage(api_id, &stage)?;
        Ok(stage)
    }

    /// UpdateStage: applies `ops` to a copy; if what is served changes, recompiles and publishes.
    pub fn update_stage(
        &mut self,
        api_id: &str,
        name: &str,
        ops: &[PatchOperation],
    ) -> Result<Stage, ApiError> {
        let old = self.get_stage(api_id, name)?;
        let mut stage = patch::apply(&old, ops, stage_patch::RULES)?;
        if stage == old {
            return Ok(old);
        }
        crate::admin::deployments::access_log_settings::check(&old, &stage)?;
        if let Some(id) = &stage.client_certificate_id {
            if old.client_certificate_id.as_ref() != Some(id)
                && self
                    .store()
                    .get_account::<serde_json::Value>(crate::store::CLIENT_CERTIFICATE, id)?
                    .is_none()
            {
                return Err(crate::admin::account::client_certificates::CERTIFICATE_NOT_FOUND);
            }
        }
        stage.last_updated_date = now();
        super::canary::normalize(&mut stage);
        self.change_stage(api_id, &stage)?;
        Ok(stage)
    }

    /// DeleteStage: stops serving it.
    pub fn delete_stage(&mut self, api_id: &str, name: &str) -> Result<(), ApiError> {
        self.get_stage(api_id, name)?;
        let mut served = self.load_served()?;
        if let Some(s) = served.iter_mut().find(|s| s.api.id == api_id) {
            s.stages.retain(|(st, _)| st.stage_name != name);
        }
        let snap = self.compile(&served, &super::none)?;
        self.store.apply(&[Write::DeleteStage {
            api_id: api_id.into(),
            stage_name: name.into(),
        }])?;
        self.cell.publish(snap);
        Ok(())
    }

    /// UpdateDeployment: only `/description` is writable.
    pub fn update_deployment(
        &mut self,
        api_id: &str,
        id: &str,
        ops: &[PatchOperation],
    ) -> Result<Deployment, ApiError> {
        let old = self.get_deployment(api_id, id)?;
        let d = patch::apply(&old, ops, DEPLOYMENT_RULES)?;
        if d != old {
            self.store.apply(&[Write::PutDeployment {
                api_id: api_id.into(),
                deployment: d.clone(),
            }])?;
        }
        Ok(d)
    }

    /// DeleteDeployment: refused while a stage (or a stage's canary) points at it.
    pub fn delete_deployment(&mut self, api_id: &str, id: &str) -> Result<(), ApiError> {
        self.get_deployment(api_id, id)?;
        let in_use = self.store.list_stages(api_id)?.iter().any(|s| {
            s.deployment_id == id
                || s.extra
                    .get(CANARY)
                    .and_then(|c| c.get("deploymentId"))
                    .and_then(Value::as_str)
                    == Some(id)
        });
        if in_use {
            return Err(ApiError::bad_request(
                "Active stages pointing to this deployment must be moved or deleted",
            ));
        }
        self.store.apply(&[Write::DeleteDeployment {
            api_id: api_id.into(),
            deployment_id: id.into(),
        }])?;
        Ok(())
    }

    /// Checks `stage`'s references, compiles everything with it in place, commits, publishes.
    pub(super) fn change_stage(&mut self, api_id: &str, stage: &Stage) -> Result<(), ApiError> {
        let deployment = self
            .store
            .get_deployment(api_id, &stage.deployment_id)?
            .ok_or(ApiError::DeploymentNotFound)?;
        super::check_servable(&deployment.api)?;
        validate_variables(&stage.variables)?;
        if let Some(canary) = stage.extra.get(CANARY) {
            self.check_canary(api_id, canary)?;
        }
        let mut served = self.load_served()?;
        overlay_stage(&mut served, stage, &deployment.api);
        let snap = self.compile(&served, &super::only(api_id, &stage.stage_name))?;
        self.store.apply(&[Write::PutStage {
            api_id: api_id.into(),
            stage: stage.clone(),
        }])?;
        self.cell.publish(snap);
        Ok(())
    }

    /// AWS's `CanarySettings`, checked before the canary is compiled (`control::canary`).
    fn check_canary(&self, api_id: &str, canary: &Value) -> Result<(), ApiError> {
        let bad = |m: &str| ApiError::bad_request(format!("Invalid canarySettings: {m}"));
        let obj = canary.as_object().ok_or_else(|| bad("not an object"))?;
        for (k, v) in obj {
            match (k.as_str(), v) {
                ("percentTraffic", Value::Number(n))
                    if n.as_f64().is_some_and(|p| (0.0..=100.0).contains(&p)) => {}
                ("deploymentId", Value::String(d)) => {
                    if self.store.get_deployment(api_id, d)?.is_none() {
                        return Err(ApiError::bad_request(super::canary::NO_DEPLOYMENT));
                    }
                }
                ("stageVariableOverrides", Value::Object(m)) => {
                    let vars = m
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or(" ").to_string()))
                        .collect();
                    validate_variables(&vars)?;
                }
                ("useStageCache", Value::Bool(_)) => {}
                _ => return Err(bad(&format!("bad member {k}"))),
            }
        }
        Ok(())
    }
}

fn check_cache_size(size: &str) -> Result<(), ApiError> {
    if crate::admin::deployments::stages::CACHE_CLUSTER_SIZES.contains(&size) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid cache cluster size {size}: must be one of [{}]",
            crate::admin::deployments::stages::CACHE_CLUSTER_SIZES.join(", ")
        )))
    }
}

const DEPLOYMENT_RULES: &[patch::Rule<Deployment>] = &[patch::Rule {
    path: "/description",
    ops: &[patch::Op::Replace, patch::Op::Add, patch::Op::Remove],
    apply: |d, c| {
        d.description = c.optional();
        Ok(())
    },
}];
