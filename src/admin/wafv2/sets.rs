//! IPSets and RegexPatternSets: Create, Get, Update, Delete, List.
//!
//! An update takes effect on every stage whose web ACL references the set at once (the control
//! plane recompiles and republishes); a set still referenced by a web ACL cannot be deleted.

use super::stored::{patterns, strings, Stored, IP_SET, REGEX_SET, WEB_ACL};
use super::{check_scope, new_item, required, uuid, Ctx, WafError};
use crate::admin::control::ControlPlane;
use crate::deploy::waf::Catalog;
use crate::store::AccountWrite;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    IpSet,
    RegexSet,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::IpSet => IP_SET,
            Kind::RegexSet => REGEX_SET,
        }
    }
    fn arn_kind(self) -> &'static str {
        match self {
            Kind::IpSet => "ipset",
            Kind::RegexSet => "regexpatternset",
        }
    }
    /// The output member of Get (`IPSet`) and of List (`IPSets`).
    fn member(self) -> &'static str {
        match self {
            Kind::IpSet => "IPSet",
            Kind::RegexSet => "RegexPatternSet",
        }
    }
    fn list_member(self) -> &'static str {
        match self {
            Kind::IpSet => "IPSets",
            Kind::RegexSet => "RegexPatternSets",
        }
    }

    /// Checks and copies the set's content members from `input` into `item`.
    fn content(self, input: &Value, item: &mut Map<String, Value>) -> Result<(), WafError> {
        match self {
            Kind::IpSet => {
                let version = item
                    .get("IPAddressVersion")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .map_or_else(
                        || required(input, "IPAddressVersion").map(str::to_string),
                        Ok,
                    )?;
                let addresses = input
                    .get("Addresses")
                    .filter(|a| a.is_array())
                    .ok_or_else(|| WafError::invalid(missing("ADDRESSES", "Addresses")))?;
                let list = strings(addresses);
                if list.len() != addresses.as_array().map_or(0, Vec::len) || list.len() > 10_000 {
                    return Err(WafError::invalid(missing("ADDRESSES", "Addresses")));
                }
                Catalog::parse_addresses(&version, &list).map_err(WafError::invalid)?;
                item.insert("IPAddressVersion".into(), version.into());
                item.insert("Addresses".into(), addresses.clone());
            }
            Kind::RegexSet => {
                let list = input
                    .get("RegularExpressionList")
                    .filter(|l| l.is_array())
                    .ok_or_else(|| {
                        WafError::invalid(missing(
                            "REGULAR_EXPRESSION_LIST",
                            "RegularExpressionList",
                        ))
                    })?;
                let probe = json!({ "RegularExpressionList": list });
                let pats = patterns(&probe);
                if pats.len() != list.as_array().map_or(0, Vec::len) || pats.len() > 10 {
                    return Err(WafError::invalid(missing(
                        "REGULAR_EXPRESSION_LIST",
                        "RegularExpressionList",
                    )));
                }
                Catalog::compile_patterns(&pats).map_err(WafError::invalid)?;
                item.insert("RegularExpressionList".into(), list.clone());
            }
        }
        Ok(())
    }
}

fn missing(field: &str, parameter: &str) -> String {
    format!("Error reason: A required parameter is missing, field: {field}, parameter: {parameter}")
}

fn description(input: &Value, item: &mut Map<String, Value>) -> Result<(), WafError> {
    match input.get("Description") {
        None | Some(Value::Null) => {}
        Some(Value::String(d)) if d.len() <= 256 => {
            item.insert("Description".into(), d.as_str().into());
        }
        Some(_) => {
            return Err(WafError::invalid(
                "Error reason: The parameter contains formatting that is not valid, field: \
                 DESCRIPTION, parameter: Description",
            ))
        }
    }
    Ok(())
}

pub fn put(cp: &ControlPlane, table: &'static str, s: &Stored) -> Result<(), WafError> {
    let id = s.item["Id"].as_str().unwrap_or_default().to_string();
    let json = serde_json::to_vec(s).expect("stored items serialise");
    cp.store().apply_account(&[AccountWrite::Put {
        kind: table,
        key: id,
        json,
    }])?;
    Ok(())
}

/// The item `Name` + `Id` name (both must agree, as on AWS).
pub fn find(cp: &ControlPlane, table: &'static str, input: &Value) -> Result<Stored, WafError> {
    super::check_scope(input)?;
    let name = required(input, "Name")?;
    let id = required(input, "Id")?;
    match cp.store().get_account::<Stored>(table, id)? {
        Some(s) if s.name() == name => Ok(s),
        _ => Err(WafError::nonexistent()),
    }
}

pub fn check_lock(s: &Stored, input: &Value) -> Result<(), WafError> {
    if required(input, "LockToken")? != s.lock_token {
        return Err(WafError::stale());
    }
    Ok(())
}

pub fn name_taken(cp: &ControlPlane, table: &'static str, name: &str) -> Result<bool, WafError> {
    Ok(cp
        .store()
        .list_account::<Stored>(table, "")?
        .iter()
        .any(|(_, s)| s.name() == name))
}

pub fn create(
    cp: &mut ControlPlane,
    ctx: &Ctx,
    kind: Kind,
    input: &Value,
) -> Result<Value, WafError> {
    let (mut item, name) = new_item(ctx, input, kind.arn_kind())?;
    description(input, &mut item)?;
    kind.content(input, &mut item)?;
    if name_taken(cp, kind.table(), name)? {
        return Err(WafError::duplicate());
    }
    let s = Stored {
        lock_token: uuid(),
        item: Value::Object(item),
    };
    put(cp, kind.table(), &s)?;
    Ok(json!({ "Summary": s.summary() }))
}

pub fn get(cp: &mut ControlPlane, kind: Kind, input: &Value) -> Result<Value, WafError> {
    let s = find(cp, kind.table(), input)?;
    Ok(json!({ kind.member(): s.item, "LockToken": s.lock_token }))
}

pub fn update(cp: &mut ControlPlane, kind: Kind, input: &Value) -> Result<Value, WafError> {
    let old = find(cp, kind.table(), input)?;
    check_lock(&old, input)?;
    let mut item = old.item.as_object().cloned().unwrap_or_default();
    item.remove("Description");
    description(input, &mut item)?;
    kind.content(input, &mut item)?;
    let s = Stored {
        lock_token: uuid(),
        item: Value::Object(item),
    };
    put(cp, kind.table(), &s)?;
    // Stages whose web ACL references the set enforce the new content now.
    cp.republish_waf()?;
    Ok(json!({ "NextLockToken": s.lock_token }))
}

pub fn delete(cp: &mut ControlPlane, kind: Kind, input: &Value) -> Result<Value, WafError> {
    let s = find(cp, kind.table(), input)?;
    check_lock(&s, input)?;
    let referenced = cp
        .store()
        .list_account::<Stored>(WEB_ACL, "")?
        .iter()
        .any(|(_, acl)| acl.item.to_string().contains(&format!("\"{}\"", s.arn())));
    if referenced {
        return Err(WafError::associated());
    }
    cp.store().apply_account(&[AccountWrite::Delete {
        kind: kind.table(),
        key: s.item["Id"].as_str().unwrap_or_default().to_string(),
    }])?;
    Ok(json!({}))
}

pub fn list(cp: &mut ControlPlane, kind: Kind, input: &Value) -> Result<Value, WafError> {
    check_scope(input)?;
    let all: Vec<Value> = cp
        .store()
        .list_account::<Stored>(kind.table(), "")?
        .iter()
        .map(|(_, s)| s.summary())
        .collect();
    Ok(json!({ kind.list_member(): all }))
}
