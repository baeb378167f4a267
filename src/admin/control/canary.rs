//! Canary releases on the control plane: CreateDeployment with `canarySettings` (the new
//! deployment goes to the stage's canary only), AWS's defaults for a stage's `canarySettings`,
//! and compiling a stage's canary variant for the snapshot (`deploy::compile::canary`).
//!
//! UpdateStage's canary and promotion patches need nothing here beyond `normalize`: every stage
//! change is compiled (canary included) then stored then published by `change_stage`.

use super::{now, overlay_stage, ControlPlane, Served};
use crate::admin::deployments::stages::{updated_stage, validate_variables, StageUpdate};
use crate::admin::error::ApiError;
use crate::deploy::compile::canary::{self, CanarySettings, CANARY};
use crate::deploy::model::{Deployment, RestApi, Stage};
use crate::deploy::snapshot::StageRuntime;
use crate::store::Write;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// CreateDeployment's `canarySettings` (AWS's `DeploymentCanarySettings`: no deployment id, the
/// new deployment is the canary's).
#[derive(Debug, Clone, Default)]
pub struct NewCanary {
    pub percent_traffic: Option<f64>,
    pub stage_variable_overrides: Option<BTreeMap<String, String>>,
    pub use_stage_cache: Option<bool>,
}

/// AWS's message for a canary naming a deployment that is not stored.
pub const NO_DEPLOYMENT: &str = "Deployment id does not exist";

/// Fills what AWS fills in a stage's `canarySettings`: the stage's own deployment when none is
/// named, 0% traffic, no stage cache.
pub fn normalize(stage: &mut Stage) {
    let deployment = stage.deployment_id.clone();
    if let Some(Value::Object(c)) = stage.extra.get_mut(CANARY) {
        c.entry("deploymentId").or_insert_with(|| json!(deployment));
        c.entry("percentTraffic").or_insert_with(|| json!(0.0));
        c.entry("useStageCache").or_insert_with(|| json!(false));
    }
}

fn invalid_content(m: String) -> ApiError {
    ApiError::bad_request(format!("Invalid deployment content specified.{m}"))
}

impl ControlPlane {
    /// CreateDeployment with `canarySettings`: `deployment` becomes the canary of the existing
    /// stage `update.name` (which keeps its own deployment); compiled, then stored with the
    /// stage, then published.
    pub(super) fn deploy_canary(
        &mut self,
        api_id: &str,
        deployment: Deployment,
        update: Option<StageUpdate>,
        new: NewCanary,
    ) -> Result<Deployment, ApiError> {
        let Some(update) = update else {
            return Err(invalid_content(
                "Non null and non empty stageName must be provided for canary deployment. \
                 Provided value is null"
                    .into(),
            ));
        };
        let Some(current) = self.store.get_stage(api_id, &update.name)? else {
            return Err(invalid_content(format!(
                "Stage {} must already be created before making a canary release deployment",
                update.name
            )));
        };
        if let Some(p) = new.percent_traffic {
            if !(0.0..=100.0).contains(&p) {
                return Err(ApiError::bad_request(
                    "Invalid canarySettings: percentTraffic must be between 0.0 and 100.0",
                ));
            }
        }
        if let Some(vars) = &update.variables {
            validate_variables(vars)?;
        }
        if let Some(vars) = &new.stage_variable_overrides {
            validate_variables(vars)?;
        }
        let base_id = current.deployment_id.clone();
        let mut stage = updated_stage(Some(current), &update, &base_id, now());
        let mut settings = serde_json::Map::new();
        settings.insert("deploymentId".into(), json!(deployment.id));
        settings.insert(
            "percentTraffic".into(),
            json!(new.percent_traffic.unwrap_or(0.0)),
        );
        if let Some(o) = new.stage_variable_overrides {
            settings.insert("stageVariableOverrides".into(), json!(o));
        }
        settings.insert(
            "useStageCache".into(),
            json!(new.use_stage_cache.unwrap_or(false)),
        );
        stage.extra.insert(CANARY.into(), Value::Object(settings));
        let base = self
            .store
            .get_deployment(api_id, &base_id)?
            .ok_or(ApiError::DeploymentNotFound)?;
        let mut served = self.load_served()?;
        overlay_stage(&mut served, &stage, &base.api);
        if let Some(s) = served.iter_mut().find(|s| s.api.id == api_id) {
            s.pending.push(deployment.clone());
        }
        let snap = self.compile(&served, &super::only(api_id, &stage.stage_name))?;
        self.store.apply(&[
            Write::PutDeployment {
                api_id: api_id.into(),
                deployment: deployment.clone(),
            },
            Write::PutStage {
                api_id: api_id.into(),
                stage,
            },
        ])?;
        self.cell.publish(snap);
        Ok(deployment)
    }

    /// The canary variant of `stage` (which serves `deployed`), with its settings; `Ok(None)`
    /// for a stage without a canary; `Err` says why the canary cannot be served.
    pub(super) fn compile_canary(
        &mut self,
        served: &Served,
        stage: &Stage,
        deployed: &RestApi,
    ) -> Result<Option<(StageRuntime, CanarySettings)>, String> {
        let Some(settings) = CanarySettings::of(stage) else {
            return Ok(None);
        };
        let id = settings.deployment(stage);
        let stored;
        let api = if id == stage.deployment_id {
            deployed
        } else if let Some(d) = served.pending.iter().find(|d| d.id == id) {
            &d.api
        } else {
            stored = self
                .store
                .get_deployment(&served.api.id, id)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("its canary's deployment {id} does not exist"))?;
            &stored.api
        };
        let variant = canary::compile_canary(api, stage, &settings, &mut self.upstreams)
            .map_err(|p| format!("its canary (deployment {id}) does not compile: {p}"))?;
        Ok(Some((variant, settings)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_fills_what_aws_fills_and_keeps_what_was_set() {
        let mut stage = Stage {
            stage_name: "prod".into(),
            deployment_id: "d1".into(),
            ..Default::default()
        };
        normalize(&mut stage);
        assert!(!stage.extra.contains_key(CANARY), "no canary, none added");
        stage
            .extra
            .insert(CANARY.into(), json!({"percentTraffic": 50.0}));
        normalize(&mut stage);
        assert_eq!(
            stage.extra[CANARY],
            json!({"deploymentId": "d1", "percentTraffic": 50.0, "useStageCache": false})
        );
        stage.extra.insert(
            CANARY.into(),
            json!({"deploymentId": "d2", "useStageCache": true}),
        );
        normalize(&mut stage);
        assert_eq!(
            stage.extra[CANARY],
            json!({"deploymentId": "d2", "percentTraffic": 0.0, "useStageCache": true})
        );
    }
}
