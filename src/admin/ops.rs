//! The management operations: decode each request's query and body into the control plane's
//! inputs, call it, and encode the AWS output shape with the operation's success status.

use super::control::{NewDeployment, PutMode, StageUpdate};
use super::error::ApiError;
use super::http::{Request, Response};
use super::routes::Op;
use super::shapes::{
    paginate, parse_body, parse_limit, CreateDeploymentIn, DeploymentOut, Items, Page, RestApiOut,
    StageOut,
};
use super::{test_invoke, AdminState};
use crate::deploy::import::{BasePathMode, ImportOptions};

pub fn run(state: &AdminState, op: Op, req: &Request) -> Result<Response, ApiError> {
    // A panic while holding the lock leaves the store consistent (writes are transactions), so a
    // poisoned lock is still safe to use.
    let mut cp = state.control.lock().unwrap_or_else(|p| p.into_inner());
    match op {
        Op::ImportRestApi => {
            let api = cp.import_rest_api(&req.body, &import_options(req)?)?;
            Ok(Response::json(201, &RestApiOut::from(&api)))
        }
        Op::PutRestApi { api } => {
            let mode = match req.query("mode") {
                None | Some("merge") => PutMode::Merge,
                Some("overwrite") => PutMode::Overwrite,
                Some(other) => {
                    return Err(ApiError::bad_request(format!(
                        "Invalid mode {other}: use merge or overwrite"
                    )))
                }
            };
            let api = cp.put_rest_api(&api, &req.body, mode, &import_options(req)?)?;
            Ok(Response::json(200, &RestApiOut::from(&api)))
        }
        Op::GetRestApis => {
            let apis = cp.list_rest_apis()?;
            let (page, position) = paginate(
                &apis,
                |a| &a.id,
                req.query("position"),
                parse_limit(req.query("limit"))?,
            );
            Ok(Response::json(
                200,
                &Page {
                    position,
                    item: page.iter().map(RestApiOut::from).collect(),
                },
            ))
        }
        Op::GetRestApi { api } => Ok(Response::json(
            200,
            &RestApiOut::from(&cp.get_rest_api(&api)?),
        )),
        Op::DeleteRestApi { api } => {
            cp.delete_rest_api(&api)?;
            Ok(Response::empty(202))
        }
        Op::CreateDeployment { api } => {
            let input: CreateDeploymentIn = parse_body(&req.body)?;
            let d = cp.create_deployment(&api, new_deployment(input)?)?;
            Ok(Response::json(201, &DeploymentOut::from(&d)))
        }
        Op::GetDeployments { api } => {
            let all = cp.list_deployments(&api)?;
            let (page, position) = paginate(
                &all,
                |d| &d.id,
                req.query("position"),
                parse_limit(req.query("limit"))?,
            );
            Ok(Response::json(
                200,
                &Page {
                    position,
                    item: page.iter().map(DeploymentOut::from).collect(),
                },
            ))
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
        Op::TestInvokeMethod {
            api,
            resource,
            method,
        } => {
            let input = parse_body(&req.body)?;
            let prepared =
                test_invoke::prepare(&cp.get_rest_api(&api)?, &resource, &method, input)?;
            // The invocation may wait on a backend for the integration timeout: not under the lock.
            drop(cp);
            Ok(Response::json(200, &test_invoke::execute(prepared)?))
        }
        Op::Backup => {
            let bytes = cp
                .store()
                .backup_bytes()
                .map_err(|e| ApiError::Internal(format!("backup failed: {e}")))?;
            Ok(Response::bytes(200, "application/octet-stream", bytes))
        }
        Op::Tree(op) => super::tree_ops::run(&mut cp, op, req),
        Op::CreateStage { .. }
        | Op::UpdateStage { .. }
        | Op::DeleteStage { .. }
        | Op::UpdateDeployment { .. }
        | Op::DeleteDeployment { .. }
        | Op::CreateApiKey
        | Op::ImportApiKeys
        | Op::GetApiKeys
        | Op::GetApiKey { .. }
        | Op::UpdateApiKey { .. }
        | Op::DeleteApiKey { .. }
        | Op::CreateUsagePlan
        | Op::GetUsagePlans
        | Op::GetUsagePlan { .. }
        | Op::UpdateUsagePlan { .. }
        | Op::DeleteUsagePlan { .. }
        | Op::CreateUsagePlanKey { .. }
        | Op::GetUsagePlanKeys { .. }
        | Op::GetUsagePlanKey { .. }
        | Op::DeleteUsagePlanKey { .. }
        | Op::GetUsage { .. }
        | Op::UpdateUsage { .. }
        | Op::GetTags { .. }
        | Op::TagResource { .. }
        | Op::UntagResource { .. } => super::ops_usage::run(&mut cp, op, req),
        Op::Def(op) => super::def_ops::run(&mut cp, op, req),
        Op::Account(op) => super::account_ops::run(&mut cp, op, req),
    }
}

/// `failonwarnings` and `basepath` (botocore sends the `parameters` map as plain query values).
fn import_options(req: &Request) -> Result<ImportOptions, ApiError> {
    let fail_on_warnings = match req.query("failonwarnings") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid failonwarnings {other}"
            )))
        }
    };
    let basepath = match req.query("basepath") {
        None | Some("ignore") => BasePathMode::Ignore,
        Some("prepend") => BasePathMode::Prepend,
        Some("split") => BasePathMode::Split,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid basepath {other}: use ignore, prepend or split"
            )))
        }
    };
    Ok(ImportOptions {
        basepath,
        fail_on_warnings,
    })
}

fn new_deployment(input: CreateDeploymentIn) -> Result<NewDeployment, ApiError> {
    if input.canary_settings.is_some() {
        return Err(ApiError::bad_request(
            "Canary deployments are not supported by Tollgate",
        ));
    }
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
    })
}
