//! AWS WAF (wafv2) management API on the admin port: the subset a stage needs, in AWS's JSON 1.1
//! protocol (`POST /`, `X-Amz-Target: AWSWAF_20190729.<Op>`, signed for service `wafv2`), so
//! `aws wafv2 ... --endpoint-url` and boto3 work against it.
//!
//! - `sets`: IPSets and RegexPatternSets (Create/Get/Update/Delete/List)
//! - `acls`: WebACLs and their association with stages (`webAclArn` on the stage)
//! - `stored`: the store records and the compile-time view (`Acls`) the control plane compiles
//!   each stage's web ACL from
//!
//! Scope is REGIONAL only (API Gateway stages are regional resources). Every item carries a
//! `LockToken` that changes on each write: an update or delete with a stale token is
//! `WAFOptimisticLockException` and changes nothing. Errors are JSON 1.1 `{"__type", "Message"}`
//! with status 400, as botocore's wafv2 model defines them.

mod acls;
mod sets;
pub mod stored;

use crate::admin::control::ControlPlane;
use crate::admin::http::{Request, Response};
use serde_json::{json, Value};

pub use stored::Acls;

/// The `X-Amz-Target` prefix of wafv2 operations.
pub const TARGET_PREFIX: &str = "AWSWAF_20190729.";
/// The SigV4 service name wafv2 requests are signed for.
pub const SERVICE: &str = "wafv2";

/// The wafv2 operation a request names in `X-Amz-Target`, if it is one.
pub fn target(req: &Request) -> Option<&str> {
    req.header("x-amz-target")?.strip_prefix(TARGET_PREFIX)
}

/// Operations a read-only admin credential may call.
pub fn is_read(op: &str) -> bool {
    op.starts_with("Get") || op.starts_with("List")
}

/// One wafv2 failure: the model's error shape name and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WafError {
    pub kind: &'static str,
    pub message: String,
}

impl WafError {
    pub fn invalid(message: impl Into<String>) -> WafError {
        WafError {
            kind: "WAFInvalidParameterException",
            message: message.into(),
        }
    }
    pub fn nonexistent() -> WafError {
        WafError {
            kind: "WAFNonexistentItemException",
            message: "AWS WAF couldn\u{2019}t perform the operation because your resource \
                      doesn\u{2019}t exist."
                .into(),
        }
    }
    pub fn duplicate() -> WafError {
        WafError {
            kind: "WAFDuplicateItemException",
            message: "AWS WAF couldn\u{2019}t perform the operation because some resource in \
                      your request is a duplicate of an existing one."
                .into(),
        }
    }
    pub fn stale() -> WafError {
        WafError {
            kind: "WAFOptimisticLockException",
            message: "AWS WAF couldn\u{2019}t save your changes because someone changed the \
                      resource after you started to edit it. Reapply your changes."
                .into(),
        }
    }
    pub fn associated() -> WafError {
        WafError {
            kind: "WAFAssociatedItemException",
            message: "AWS WAF couldn\u{2019}t perform the operation because your resource is \
                      being used by another resource or it\u{2019}s associated with another \
                      resource."
                .into(),
        }
    }
    pub fn internal(message: impl Into<String>) -> WafError {
        WafError {
            kind: "WAFInternalErrorException",
            message: message.into(),
        }
    }

    pub fn to_response(&self) -> Response {
        let status = if self.kind == "WAFInternalErrorException" {
            500
        } else {
            400
        };
        let body = json!({"__type": self.kind, "Message": self.message});
        let mut r = json11(status, &body);
        r.headers.push(("x-amzn-ErrorType", self.kind.to_string()));
        r
    }
}

impl From<crate::store::StoreError> for WafError {
    fn from(e: crate::store::StoreError) -> WafError {
        WafError::internal(e.to_string())
    }
}

impl From<crate::admin::error::ApiError> for WafError {
    fn from(e: crate::admin::error::ApiError) -> WafError {
        let (status, _, message) = e.parts();
        match status {
            404 => WafError::nonexistent(),
            400..=499 => WafError::invalid(message),
            _ => WafError::internal(message),
        }
    }
}

/// A refusal made before the operation ran (signature, rights, throttling) in the JSON 1.1
/// shape: the same status and error code as the restJson answer, the code in `__type`.
pub fn refusal(e: &crate::admin::error::ApiError) -> Response {
    let mut r = e.to_response();
    let (_, kind, message) = e.parts();
    r.body = serde_json::to_vec(&json!({"__type": kind, "Message": message}))
        .expect("JSON values serialise");
    r.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
    r.headers
        .push(("Content-Type", "application/x-amz-json-1.1".to_string()));
    r
}

fn json11(status: u16, value: &Value) -> Response {
    let body = serde_json::to_vec(value).expect("JSON values serialise");
    Response::bytes(status, "application/x-amz-json-1.1", body)
}

/// Runs wafv2 operation `op` (the control-plane lock held by the caller).
pub fn run(cp: &mut ControlPlane, op: &str, req: &Request) -> Response {
    match run_op(cp, op, req) {
        Ok(v) => json11(200, &v),
        Err(e) => e.to_response(),
    }
}

fn run_op(cp: &mut ControlPlane, op: &str, req: &Request) -> Result<Value, WafError> {
    let input: Value = if req.body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&req.body)
            .map_err(|e| WafError::invalid(format!("The request body is not valid JSON: {e}")))?
    };
    if !input.is_object() {
        return Err(WafError::invalid("The request body must be a JSON object"));
    }
    let ctx = Ctx {
        region: signed_region(req).unwrap_or("us-east-1").to_string(),
        account: cp.account_id().to_string(),
    };
    use sets::Kind::{IpSet, RegexSet};
    match op {
        "CreateIPSet" => sets::create(cp, &ctx, IpSet, &input),
        "GetIPSet" => sets::get(cp, IpSet, &input),
        "UpdateIPSet" => sets::update(cp, IpSet, &input),
        "DeleteIPSet" => sets::delete(cp, IpSet, &input),
        "ListIPSets" => sets::list(cp, IpSet, &input),
        "CreateRegexPatternSet" => sets::create(cp, &ctx, RegexSet, &input),
        "GetRegexPatternSet" => sets::get(cp, RegexSet, &input),
        "UpdateRegexPatternSet" => sets::update(cp, RegexSet, &input),
        "DeleteRegexPatternSet" => sets::delete(cp, RegexSet, &input),
        "ListRegexPatternSets" => sets::list(cp, RegexSet, &input),
        "CreateWebACL" => acls::create(cp, &ctx, &input),
        "GetWebACL" => acls::get(cp, &input),
        "UpdateWebACL" => acls::update(cp, &input),
        "DeleteWebACL" => acls::delete(cp, &input),
        "ListWebACLs" => acls::list(cp, &input),
        "AssociateWebACL" => acls::associate(cp, &input),
        "DisassociateWebACL" => acls::disassociate(cp, &input),
        "GetWebACLForResource" => acls::for_resource(cp, &input),
        other => Err(WafError {
            kind: "WAFInvalidOperationException",
            message: format!("Tollgate does not implement the wafv2 operation {other}"),
        }),
    }
}

/// Where new ARNs point: the signing region and the account.
pub struct Ctx {
    pub region: String,
    pub account: String,
}

/// The region of the request's SigV4 credential scope (`Credential=AK/date/REGION/wafv2/...`).
fn signed_region(req: &Request) -> Option<&str> {
    let auth = req.header("authorization")?;
    let cred = auth.split("Credential=").nth(1)?;
    cred.split(['/', ',']).nth(2)
}

/// A required string member, or `WAFInvalidParameterException` naming it.
fn required<'v>(input: &'v Value, name: &str) -> Result<&'v str, WafError> {
    input.get(name).and_then(Value::as_str).ok_or_else(|| {
        WafError::invalid(format!(
            "Error reason: A required parameter is missing, field: {}, parameter: {name}",
            field_name(name)
        ))
    })
}

fn field_name(member: &str) -> String {
    let mut out = String::new();
    for (i, c) in member.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// `Scope` must be REGIONAL: API Gateway stages are regional.
fn check_scope(input: &Value) -> Result<(), WafError> {
    match required(input, "Scope")? {
        "REGIONAL" => Ok(()),
        other => Err(WafError::invalid(format!(
            "Error reason: Tollgate serves only the REGIONAL scope, field: SCOPE_VALUE, \
             parameter: {other}"
        ))),
    }
}

/// AWS's name rule: 1–128 of `[A-Za-z0-9_-]`.
fn check_name(name: &str) -> Result<(), WafError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(WafError::invalid(format!(
            "Error reason: The parameter contains formatting that is not valid, field: NAME, \
             parameter: {name}"
        )))
    }
}

/// The start of a new item (web ACL, IP set, regex pattern set) from a Create call: its scope
/// and name checked, then `Name`, a fresh `Id` and its regional `ARN` (`{kind}/{name}/{id}`).
/// Returns the item and its name.
fn new_item<'v>(
    ctx: &Ctx,
    input: &'v Value,
    kind: &str,
) -> Result<(serde_json::Map<String, Value>, &'v str), WafError> {
    check_scope(input)?;
    let name = required(input, "Name")?;
    check_name(name)?;
    let id = uuid();
    let mut item = serde_json::Map::new();
    item.insert("Name".into(), name.into());
    item.insert("Id".into(), id.as_str().into());
    item.insert(
        "ARN".into(),
        format!(
            "arn:aws:wafv2:{}:{}:regional/{kind}/{name}/{id}",
            ctx.region, ctx.account
        )
        .into(),
    );
    Ok((item, name))
}

/// A UUID-shaped id, as AWS gives web ACLs, sets and lock tokens.
fn uuid() -> String {
    let h = |n: usize| -> String {
        (0..n)
            .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
            .collect()
    };
    format!("{}-{}-{}-{}-{}", h(8), h(4), h(4), h(4), h(12))
}

#[cfg(test)]
mod tests;
