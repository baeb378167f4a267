//! The wafv2 items as stored (in the store's account table, keyed by kind and `Id`), and the
//! view the control plane compiles stages' web ACLs from.

use crate::deploy::model::Stage;
use crate::deploy::waf::{self, Catalog, Program};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Account-table kinds.
pub const IP_SET: &str = "wafv2ipset";
pub const REGEX_SET: &str = "wafv2regexpatternset";
pub const WEB_ACL: &str = "wafv2webacl";

/// The stage member that names its web ACL (as `GetStage` shows it).
pub const WEB_ACL_ARN: &str = "webAclArn";

/// One stored item: the AWS shape as `Get*` returns it, and its current lock token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    pub lock_token: String,
    pub item: Value,
}

impl Stored {
    /// The `…Summary` shape List and Create answer with (IPSetSummary, WebACLSummary, …).
    pub fn summary(&self) -> Value {
        let mut out = serde_json::json!({
            "Name": self.item["Name"],
            "Id": self.item["Id"],
            "LockToken": self.lock_token,
            "ARN": self.item["ARN"],
        });
        if let Some(d) = self.item.get("Description") {
            out["Description"] = d.clone();
        }
        out
    }

    pub fn arn(&self) -> &str {
        self.item.get("ARN").and_then(Value::as_str).unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.item.get("Name").and_then(Value::as_str).unwrap_or("")
    }
}

/// The web ACL ARN a stage is associated with.
pub fn stage_acl(stage: &Stage) -> Option<&str> {
    stage.extra.get(WEB_ACL_ARN).and_then(Value::as_str)
}

/// Every stored web ACL and set, ready to compile any stage's web ACL.
#[derive(Debug, Default)]
pub struct Acls {
    catalog: Catalog,
    acls: HashMap<String, Value>,
    /// Programs compiled in this pass, so stages sharing a web ACL share one.
    compiled: HashMap<String, Arc<Program>>,
}

impl Acls {
    pub fn load(store: &Store) -> Result<Acls, StoreError> {
        let mut out = Acls::default();
        for (_, s) in store.list_account::<Stored>(IP_SET, "")? {
            let version = s.item["IPAddressVersion"].as_str().unwrap_or("");
            let addresses = strings(&s.item["Addresses"]);
            match Catalog::parse_addresses(version, &addresses) {
                Ok(c) => out.catalog.add_ip_set(s.arn(), c),
                Err(e) => eprintln!("error: stored IP set {} does not parse: {e}", s.arn()),
            }
        }
        for (_, s) in store.list_account::<Stored>(REGEX_SET, "")? {
            match Catalog::compile_patterns(&patterns(&s.item)) {
                Ok(set) => out.catalog.add_regex_set(s.arn(), set),
                Err(e) => eprintln!("error: stored regex set {} does not compile: {e}", s.arn()),
            }
        }
        for (_, s) in store.list_account::<Stored>(WEB_ACL, "")? {
            out.acls.insert(s.arn().to_string(), s.item);
        }
        Ok(out)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The compiled web ACL of `stage`, if it has one.
    pub fn for_stage(&mut self, stage: &Stage) -> Result<Option<Arc<Program>>, String> {
        let Some(arn) = stage_acl(stage) else {
            return Ok(None);
        };
        if let Some(p) = self.compiled.get(arn) {
            return Ok(Some(p.clone()));
        }
        let acl = self
            .acls
            .get(arn)
            .ok_or_else(|| format!("its web ACL {arn} does not exist"))?;
        let program =
            Arc::new(waf::compile(acl, &self.catalog).map_err(|e| format!("web ACL {arn}: {e}"))?);
        self.compiled.insert(arn.to_string(), program.clone());
        Ok(Some(program))
    }
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// A regex pattern set's `RegularExpressionList` patterns.
pub fn patterns(item: &Value) -> Vec<String> {
    item["RegularExpressionList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            r.get("RegexString")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}
