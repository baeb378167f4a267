//! WebACLs (Create, Get, Update, Delete, List) and their association with API Gateway stages
//! (AssociateWebACL, DisassociateWebACL, GetWebACLForResource).
//!
//! A web ACL is compiled (`deploy::waf::compile`) before it is stored, so one that could not be
//! enforced as written is refused with `WAFInvalidParameterException` and nothing changes. The
//! association is the stage's `webAclArn`: setting it recompiles the stage (the control plane's
//! compile-then-commit-then-publish), and every later change to the web ACL is republished.

use super::sets::{check_lock, find, name_taken, put};
use super::stored::{stage_acl, Acls, Stored, WEB_ACL};
use super::{check_scope, new_item, required, uuid, Ctx, WafError};
use crate::admin::control::ControlPlane;
use crate::deploy::waf;
use crate::store::AccountWrite;
use serde_json::{json, Map, Value};

/// Members stored as given (they do not change what is allowed or blocked).
const KEPT: &[&str] = &[
    "Description",
    "Rules",
    "CustomResponseBodies",
    "DataProtectionConfig",
    "CaptchaConfig",
    "ChallengeConfig",
    "TokenDomains",
];

/// Members that would change enforcement in ways Tollgate does not implement.
const REFUSED: &[&str] = &[
    "AssociationConfig",
    "OnSourceDDoSProtectionConfig",
    "ApplicationConfig",
    "MonetizationConfig",
];

/// Copies the web ACL's definition from `input` into `item` and compiles it: the check that it
/// can be enforced, before anything is written.
fn define(cp: &ControlPlane, input: &Value, item: &mut Map<String, Value>) -> Result<(), WafError> {
    for key in REFUSED {
        if input.get(*key).is_some_and(|v| !v.is_null()) {
            return Err(WafError::invalid(format!(
                "Error reason: Tollgate does not support {key}, field: WEB_ACL, parameter: {key}"
            )));
        }
    }
    for key in ["DefaultAction", "VisibilityConfig"] {
        let v = input.get(key).filter(|v| v.is_object()).ok_or_else(|| {
            WafError::invalid(format!(
                "Error reason: A required parameter is missing, field: {}, parameter: {key}",
                super::field_name(key)
            ))
        })?;
        item.insert(key.into(), v.clone());
    }
    for key in KEPT {
        item.remove(*key);
        if let Some(v) = input.get(*key).filter(|v| !v.is_null()) {
            item.insert((*key).into(), v.clone());
        }
    }
    if !item.contains_key("Rules") {
        item.insert("Rules".into(), json!([]));
    }
    let acl = Value::Object(item.clone());
    let acls = Acls::load(cp.store())?;
    waf::compile(&acl, acls.catalog()).map_err(WafError::invalid)?;
    item.insert("Capacity".into(), waf::compile::capacity(&acl).into());
    Ok(())
}

pub fn create(cp: &mut ControlPlane, ctx: &Ctx, input: &Value) -> Result<Value, WafError> {
    let (mut item, name) = new_item(ctx, input, "webacl")?;
    define(cp, input, &mut item)?;
    item.insert("ManagedByFirewallManager".into(), false.into());
    item.insert(
        "LabelNamespace".into(),
        format!("awswaf:{}:webacl:{name}:", ctx.account).into(),
    );
    if name_taken(cp, WEB_ACL, name)? {
        return Err(WafError::duplicate());
    }
    let s = Stored {
        lock_token: uuid(),
        item: Value::Object(item),
    };
    put(cp, WEB_ACL, &s)?;
    Ok(json!({ "Summary": s.summary() }))
}

pub fn get(cp: &mut ControlPlane, input: &Value) -> Result<Value, WafError> {
    let s = find(cp, WEB_ACL, input)?;
    Ok(json!({ "WebACL": s.item, "LockToken": s.lock_token }))
}

pub fn update(cp: &mut ControlPlane, input: &Value) -> Result<Value, WafError> {
    let old = find(cp, WEB_ACL, input)?;
    check_lock(&old, input)?;
    let mut item = old.item.as_object().cloned().unwrap_or_default();
    define(cp, input, &mut item)?;
    let s = Stored {
        lock_token: uuid(),
        item: Value::Object(item),
    };
    put(cp, WEB_ACL, &s)?;
    cp.republish_waf()?;
    Ok(json!({ "NextLockToken": s.lock_token }))
}

pub fn delete(cp: &mut ControlPlane, input: &Value) -> Result<Value, WafError> {
    let s = find(cp, WEB_ACL, input)?;
    check_lock(&s, input)?;
    if !cp.stages_with_web_acl(s.arn())?.is_empty() {
        return Err(WafError::associated());
    }
    cp.store().apply_account(&[AccountWrite::Delete {
        kind: WEB_ACL,
        key: s.item["Id"].as_str().unwrap_or_default().to_string(),
    }])?;
    Ok(json!({}))
}

pub fn list(cp: &mut ControlPlane, input: &Value) -> Result<Value, WafError> {
    check_scope(input)?;
    let all: Vec<Value> = cp
        .store()
        .list_account::<Stored>(WEB_ACL, "")?
        .iter()
        .map(|(_, s)| s.summary())
        .collect();
    Ok(json!({ "WebACLs": all }))
}

/// `arn:aws:apigateway:{region}::/restapis/{id}/stages/{name}` -> (API id, stage name).
fn stage_of(arn: &str) -> Result<(String, String), WafError> {
    let bad = || {
        WafError::invalid(format!(
            "Error reason: The ARN isn\u{2019}t valid. A valid ARN begins with arn: and \
             includes other information separated by colons or slashes, field: RESOURCE_ARN, \
             parameter: {arn}"
        ))
    };
    let rest = arn.strip_prefix("arn:aws:apigateway:").ok_or_else(bad)?;
    let (_region, path) = rest.split_once("::").ok_or_else(bad)?;
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["", "restapis", api, "stages", stage] if !api.is_empty() && !stage.is_empty() => {
            Ok((api.to_string(), stage.to_string()))
        }
        _ => Err(bad()),
    }
}

fn acl_by_arn(cp: &ControlPlane, arn: &str) -> Result<Stored, WafError> {
    let id = arn.rsplit('/').next().unwrap_or_default();
    match cp.store().get_account::<Stored>(WEB_ACL, id)? {
        Some(s) if s.arn() == arn => Ok(s),
        _ => Err(WafError::nonexistent()),
    }
}

pub fn associate(cp: &mut ControlPlane, input: &Value) -> Result<Value, WafError> {
    let acl_arn = required(input, "WebACLArn")?;
    let (api, stage) = stage_of(required(input, "ResourceArn")?)?;
    acl_by_arn(cp, acl_arn)?;
    cp.set_stage_web_acl(&api, &stage, Some(acl_arn))?;
    Ok(json!({}))
}

pub fn disassociate(cp: &mut ControlPlane, input: &Value) -> Result<Value, WafError> {
    let (api, stage) = stage_of(required(input, "ResourceArn")?)?;
    cp.set_stage_web_acl(&api, &stage, None)?;
    Ok(json!({}))
}

pub fn for_resource(cp: &mut ControlPlane, input: &Value) -> Result<Value, WafError> {
    let (api, stage) = stage_of(required(input, "ResourceArn")?)?;
    let stage = cp.get_stage(&api, &stage)?;
    match stage_acl(&stage) {
        None => Ok(json!({})),
        Some(arn) => Ok(json!({ "WebACL": acl_by_arn(cp, arn)?.item })),
    }
}
