//! The one dispatcher: takes the control-plane lock and hands each management operation to its
//! resource family's `ops` (each decodes the request's query and body, calls the control plane and
//! encodes the AWS output shape with the operation's success status).

use super::error::ApiError;
use super::http::{Request, Response};
use super::routes::Op;
use super::shapes::parse_body;
use super::tools::{test_invoke, test_invoke_authorizer};
use super::{account, deployments, keys, restapis, AdminState};

/// A wafv2 operation (named by the request's `X-Amz-Target`), under the same lock.
pub fn run_wafv2(state: &AdminState, req: &Request) -> Response {
    let mut cp = state.control.lock().unwrap_or_else(|p| p.into_inner());
    let op = super::wafv2::target(req).unwrap_or_default();
    super::wafv2::run(&mut cp, op, req)
}

pub fn run(state: &AdminState, op: Op, req: &Request) -> Result<Response, ApiError> {
    // A panic while holding the lock leaves the store consistent (writes are transactions), so a
    // poisoned lock is still safe to use.
    let mut cp = state.control.lock().unwrap_or_else(|p| p.into_inner());
    match op {
        Op::ImportRestApi
        | Op::PutRestApi { .. }
        | Op::GetRestApis
        | Op::GetRestApi { .. }
        | Op::DeleteRestApi { .. } => restapis::ops::run_rest_api(&mut cp, op, req),
        Op::Tree(op) => restapis::ops::run(&mut cp, op, req),
        Op::Def(op) => restapis::definition_ops::run(&mut cp, op, req),
        Op::CreateDeployment { .. }
        | Op::GetDeployments { .. }
        | Op::GetDeployment { .. }
        | Op::UpdateDeployment { .. }
        | Op::DeleteDeployment { .. }
        | Op::CreateStage { .. }
        | Op::GetStages { .. }
        | Op::GetStage { .. }
        | Op::UpdateStage { .. }
        | Op::DeleteStage { .. } => deployments::ops::run(&mut cp, op, req),
        Op::FlushStageCache { api, stage } => {
            cp.get_stage(&api, &stage)?;
            deployments::flush::stage_cache(&api, &stage, req.query("pathPrefix"))
        }
        Op::FlushStageAuthorizersCache { api, stage } => {
            cp.get_stage(&api, &stage)?;
            deployments::flush::authorizers_cache(&api, &stage)
        }
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
        Op::TestInvokeAuthorizer { api, authorizer } => {
            let input = parse_body(&req.body)?;
            let prepared =
                test_invoke_authorizer::prepare(&cp.get_rest_api(&api)?, &authorizer, input)?;
            // The function may take the authorizer timeout: not under the lock.
            drop(cp);
            Ok(Response::json(
                200,
                &test_invoke_authorizer::execute(prepared)?,
            ))
        }
        Op::Backup => {
            let bytes = cp
                .store()
                .backup_bytes()
                .map_err(|e| ApiError::Internal(format!("backup failed: {e}")))?;
            Ok(Response::bytes(200, "application/octet-stream", bytes))
        }
        Op::CreateApiKey
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
        | Op::UpdateUsage { .. } => {
            if matches!(op, Op::GetUsage { .. } | Op::UpdateUsage { .. }) {
                // Usage read or set from the store must include what the workers counted.
                cp.flush_usage()
                    .map_err(|e| ApiError::Internal(format!("flushing usage: {e:#}")))?;
            }
            let out = keys::ops::run(&mut cp, op, req)?;
            if req.method != "GET" {
                cp.publish_keys()
                    .map_err(|e| ApiError::Internal(format!("publishing API keys: {e:#}")))?;
            }
            Ok(out)
        }
        Op::GetTags { .. } | Op::TagResource { .. } | Op::UntagResource { .. } => {
            account::ops::run_tags(&mut cp, op, req)
        }
        Op::Account(op) => account::ops::run(&mut cp, op, req),
    }
}
