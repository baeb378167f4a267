//! ApiKey, UsagePlan, UsagePlanKey and Usage operations: decode the
//! request's query and body, call the control plane, encode the AWS output with the operation's
//! success status (botocore's `responseCode`, 200 when the model gives none).

use crate::admin::control::{ControlPlane, NewApiKey};
use crate::admin::error::ApiError;
use crate::admin::http::{Request, Response};
use crate::admin::keys::shapes::{
    ApiKeyIdsOut, ApiKeyOut, CreateApiKeyIn, CreateUsagePlanIn, CreateUsagePlanKeyIn, UsageOut,
    UsagePlanKeyOut,
};
use crate::admin::patch;
use crate::admin::routes::Op;
use crate::admin::shapes::{page_of, parse_body, parse_limit};
use crate::store::UsagePlan;

pub fn run(cp: &mut ControlPlane, op: Op, req: &Request) -> Result<Response, ApiError> {
    match op {
        Op::CreateApiKey => {
            let key = cp.create_api_key(new_api_key(parse_body(&req.body)?)?)?;
            Ok(Response::json(201, &ApiKeyOut::new(&key, true)))
        }
        Op::ImportApiKeys => {
            match req.query("format") {
                Some("csv") => {}
                other => {
                    return Err(ApiError::bad_request(format!(
                        "Invalid format {}: only csv is supported",
                        other.unwrap_or("")
                    )))
                }
            }
            let fail = flag(req, "failonwarnings")?;
            let (ids, warnings) = cp.import_api_keys(&req.body, fail)?;
            Ok(Response::json(
                201,
                &ApiKeyIdsOut {
                    ids: &ids,
                    warnings: &warnings,
                },
            ))
        }
        Op::GetApiKeys => {
            let include = flag(req, "includeValues")?;
            let name = req.query("name");
            let customer = req.query("customerId");
            let mut keys = cp.list_api_keys()?;
            keys.retain(|k| {
                name.is_none_or(|n| k.name.as_deref().is_some_and(|kn| kn.starts_with(n)))
                    && customer.is_none_or(|c| k.customer_id.as_deref() == Some(c))
            });
            let page = page_of(req, &keys, |k| &k.id, |k| ApiKeyOut::new(k, include))?;
            Ok(Response::json(200, &page))
        }
        Op::GetApiKey { key } => {
            let k = cp.get_api_key(&key)?;
            Ok(Response::json(
                200,
                &ApiKeyOut::new(&k, flag(req, "includeValue")?),
            ))
        }
        Op::UpdateApiKey { key } => {
            let k = cp.update_api_key(&key, &patch::parse(&req.body)?)?;
            Ok(Response::json(200, &ApiKeyOut::new(&k, false)))
        }
        Op::DeleteApiKey { key } => {
            cp.delete_api_key(&key)?;
            Ok(Response::empty(202))
        }
        Op::CreateUsagePlan => {
            let input: CreateUsagePlanIn = parse_body(&req.body)?;
            let plan = UsagePlan {
                id: String::new(),
                name: input
                    .name
                    .ok_or_else(|| ApiError::bad_request("Usage plan name is required"))?,
                description: input.description,
                api_stages: input.api_stages.unwrap_or_default(),
                throttle: input.throttle,
                quota: input.quota,
                product_code: None,
                tags: input.tags.unwrap_or_default(),
            };
            Ok(Response::json(201, &cp.create_usage_plan(plan)?))
        }
        Op::GetUsagePlans => {
            let plans = cp.list_usage_plans(req.query("keyId"))?;
            let page = page_of(req, &plans, |p| &p.id, UsagePlan::clone)?;
            Ok(Response::json(200, &page))
        }
        Op::GetUsagePlan { plan } => Ok(Response::json(200, &cp.get_usage_plan(&plan)?)),
        Op::UpdateUsagePlan { plan } => Ok(Response::json(
            200,
            &cp.update_usage_plan(&plan, &patch::parse(&req.body)?)?,
        )),
        Op::DeleteUsagePlan { plan } => {
            cp.delete_usage_plan(&plan)?;
            Ok(Response::empty(202))
        }
        Op::CreateUsagePlanKey { plan } => {
            let input: CreateUsagePlanKeyIn = parse_body(&req.body)?;
            let key_id = input
                .key_id
                .ok_or_else(|| ApiError::bad_request("keyId is required"))?;
            let key_type = input
                .key_type
                .ok_or_else(|| ApiError::bad_request("keyType is required"))?;
            let k = cp.create_usage_plan_key(&plan, &key_id, &key_type)?;
            Ok(Response::json(201, &UsagePlanKeyOut::from(&k)))
        }
        Op::GetUsagePlanKeys { plan } => {
            let mut keys = cp.list_usage_plan_keys(&plan)?;
            if let Some(n) = req.query("name") {
                keys.retain(|k| k.name.as_deref().is_some_and(|kn| kn.starts_with(n)));
            }
            let page = page_of(req, &keys, |k| &k.id, UsagePlanKeyOut::from)?;
            Ok(Response::json(200, &page))
        }
        Op::GetUsagePlanKey { plan, key } => {
            let k = cp.get_usage_plan_key(&plan, &key)?;
            Ok(Response::json(200, &UsagePlanKeyOut::from(&k)))
        }
        Op::DeleteUsagePlanKey { plan, key } => {
            cp.delete_usage_plan_key(&plan, &key)?;
            Ok(Response::empty(202))
        }
        Op::GetUsage { plan } => {
            let required = |name: &str| {
                req.query(name)
                    .ok_or_else(|| ApiError::bad_request(format!("{name} is required")))
            };
            let usage = cp.get_usage(
                &plan,
                req.query("keyId"),
                required("startDate")?,
                required("endDate")?,
                req.query("position"),
                parse_limit(req.query("limit"))?,
            )?;
            Ok(usage_response(&plan, &usage))
        }
        Op::UpdateUsage { plan, key } => {
            let usage = cp.update_usage(&plan, &key, &patch::parse(&req.body)?)?;
            Ok(usage_response(&plan, &usage))
        }
        other => Err(ApiError::Internal(format!(
            "{other:?} is not an API key or usage plan operation"
        ))),
    }
}

fn usage_response(plan: &str, usage: &crate::admin::control::Usage) -> Response {
    Response::json(
        200,
        &UsageOut {
            usage_plan_id: plan,
            start_date: &usage.start,
            end_date: &usage.end,
            position: usage.position.as_deref(),
            values: &usage.items,
        },
    )
}

/// A boolean query flag: absent is `false`.
fn flag(req: &Request, name: &str) -> Result<bool, ApiError> {
    match req.query(name) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid {name} {other}: use true or false"
        ))),
    }
}

fn new_api_key(input: CreateApiKeyIn) -> Result<NewApiKey, ApiError> {
    let mut stage_keys = Vec::new();
    for sk in input.stage_keys.unwrap_or_default() {
        match (sk.rest_api_id, sk.stage_name) {
            (Some(api), Some(stage)) => stage_keys.push(format!("{api}/{stage}")),
            _ => {
                return Err(ApiError::bad_request(
                    "A stage key needs restApiId and stageName",
                ))
            }
        }
    }
    Ok(NewApiKey {
        name: input.name,
        description: input.description,
        enabled: input.enabled.unwrap_or(false),
        value: input.value,
        stage_keys,
        customer_id: input.customer_id,
        tags: input.tags.unwrap_or_default(),
    })
}
