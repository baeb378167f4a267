//! Deployment and stage operations: CreateDeployment, GetDeployments, GetDeployment,
//! UpdateDeployment, DeleteDeployment, CreateStage, GetStages, GetStage, UpdateStage, DeleteStage.
//! Decode the request, call the control plane, encode the AWS output.

use super::shapes::{CreateDeploymentIn, CreateStageIn, DeploymentOut, StageOut};
use crate::admin::control::{ControlPlane, NewCanary, NewDeployment, NewStage, StageUpdate};
use crate::admin::error::ApiError;
use crate::admin::http::{Request, Response};
use crate::admin::patch;
use crate::admin::routes::Op;
use crate::admin::shapes::{page_of, parse_body, Items};

pub fn run(cp: &mut ControlPlane, op: Op, req: &Request) -> Result<Response, ApiError> {
    match op {
        Op::CreateDeployment { api } => {
            let input: CreateDeploymentIn = parse_body(&req.body)?;
            let d = cp.create_deployment(&api, new_deployment(input)?)?;
            Ok(Response::json(201, &DeploymentOut::from(&d)))
        }
        Op::GetDeployments { api } => {
            let all = cp.list_deployments(&api)?;
            let page = page_of(req, &all, |d| &d.id, DeploymentOut::from)?;
            Ok(Response::json(200, &page))
        }
        Op::GetDeployment { api, deployment } => Ok(Response::json(
            200,
            &DeploymentOut::from(&cp.get_deployment(&api, &deployment)?),
        )),
        Op::GetStages { api } => {
            let stages = cp.list_stages(&api)?;
            let wanted = req.query("deploymentId");
            let item = stages
                .iter()
                .filter(|s| wanted.is_none_or(|d| s.deployment_id == d))
                .map(StageOut::from)
                .collect();
            Ok(Response::json(200, &Items { item }))
        }
        Op::GetStage { api, stage } => Ok(Response::json(
            200,
            &StageOut::from(&cp.get_stage(&api, &stage)?),
        )),
        Op::CreateStage { api } => {
            let stage = cp.create_stage(&api, new_stage(parse_body(&req.body)?)?)?;
            Ok(Response::json(201, &StageOut::from(&stage)))
        }
        Op::UpdateStage { api, stage } => {
            let s = cp.update_stage(&api, &stage, &patch::parse(&req.body)?)?;
            Ok(Response::json(200, &StageOut::from(&s)))
        }
        Op::DeleteStage { api, stage } => {
            cp.delete_stage(&api, &stage)?;
            Ok(Response::empty(202))
        }
        Op::UpdateDeployment { api, deployment } => {
            let d = cp.update_deployment(&api, &deployment, &patch::parse(&req.body)?)?;
            Ok(Response::json(200, &DeploymentOut::from(&d)))
        }
        Op::DeleteDeployment { api, deployment } => {
            cp.delete_deployment(&api, &deployment)?;
            Ok(Response::empty(202))
        }
        other => Err(ApiError::Internal(format!(
            "{other:?} is not a deployment or stage operation"
        ))),
    }
}

fn new_deployment(input: CreateDeploymentIn) -> Result<NewDeployment, ApiError> {
    let canary = input.canary_settings.map(|c| NewCanary {
        percent_traffic: c.percent_traffic,
        stage_variable_overrides: c.stage_variable_overrides,
        use_stage_cache: c.use_stage_cache,
    });
    // Without a stage name, AWS creates a bare deployment and ignores the stage members.
    let stage = input.stage_name.map(|name| StageUpdate {
        name,
        description: input.stage_description,
        variables: input.variables,
        cache_cluster_enabled: input.cache_cluster_enabled,
        cache_cluster_size: input.cache_cluster_size,
        tracing_enabled: input.tracing_enabled,
    });
    Ok(NewDeployment {
        description: input.description,
        stage,
        canary,
    })
}

fn new_stage(input: CreateStageIn) -> Result<NewStage, ApiError> {
    let canary = input
        .canary_settings
        .map(|c| serde_json::to_value(c).expect("canary settings serialise"));
    Ok(NewStage {
        name: input
            .stage_name
            .ok_or_else(|| ApiError::bad_request("stageName is required"))?,
        deployment_id: input
            .deployment_id
            .ok_or_else(|| ApiError::bad_request("deploymentId is required"))?,
        description: input.description,
        variables: input.variables.unwrap_or_default(),
        cache_cluster_enabled: input.cache_cluster_enabled.unwrap_or(false),
        cache_cluster_size: input.cache_cluster_size,
        tracing_enabled: input.tracing_enabled.unwrap_or(false),
        canary_settings: canary,
        documentation_version: input.documentation_version,
        tags: input.tags.unwrap_or_default(),
    })
}
