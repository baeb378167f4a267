//! The control plane's side of WAF: associating a stage with a web ACL (its `webAclArn`) and
//! republishing after a web ACL or one of its sets changes.

use super::ControlPlane;
use crate::admin::error::ApiError;
use crate::admin::wafv2::stored::{stage_acl, WEB_ACL_ARN};
use crate::admin::wafv2::WafError;

impl ControlPlane {
    /// Sets (or removes) the stage's web ACL: compiled with it, committed, published.
    pub fn set_stage_web_acl(
        &mut self,
        api_id: &str,
        stage_name: &str,
        arn: Option<&str>,
    ) -> Result<(), ApiError> {
        let mut stage = self.get_stage(api_id, stage_name)?;
        if stage_acl(&stage) == arn {
            return Ok(());
        }
        match arn {
            Some(a) => stage.extra.insert(WEB_ACL_ARN.into(), a.into()),
            None => stage.extra.remove(WEB_ACL_ARN),
        };
        stage.last_updated_date = super::now();
        self.change_stage(api_id, &stage)
    }

    /// The stages (API id, stage name) associated with web ACL `arn`.
    pub fn stages_with_web_acl(&self, arn: &str) -> Result<Vec<(String, String)>, ApiError> {
        let mut out = Vec::new();
        for api in self.store.list_rest_apis()? {
            for stage in self.store.list_stages(&api.id)? {
                if stage_acl(&stage) == Some(arn) {
                    out.push((api.id.clone(), stage.stage_name.clone()));
                }
            }
        }
        Ok(out)
    }

    /// Recompiles every served stage against the stored web ACLs and sets, and publishes.
    pub fn republish_waf(&mut self) -> Result<(), WafError> {
        let served = self.load_served()?;
        let snap = self.compile(&served, &super::none)?;
        self.cell.publish(snap);
        Ok(())
    }
}
