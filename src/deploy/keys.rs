//! API keys as the data plane checks them: every key by its value, with the API stages its usage
//! plans open to it.
//!
//! On AWS keys and usage plans are not part of deployments: a key created, disabled or attached
//! to a plan acts at once on every stage. So the table is its own publication, beside the
//! snapshot (`publish::SnapshotCell::publish_keys`): the control plane rebuilds it whole after
//! every change to keys, plans or plan keys, and workers read it with one lock-free load.
//!
//! A request passes the check (`KeyTable::check`) when its key exists, is enabled, and belongs to
//! a usage plan whose `apiStages` include the request's API and stage — AWS admits nothing less;
//! every failure is the same 403 `Forbidden` (INVALID_API_KEY), as on AWS, so a caller cannot
//! tell an unknown key from a disabled one. The lookup hashes the presented bytes and compares
//! them; it never allocates, whatever the client sends.

use crate::store::{ApiKey, UsagePlan};
use ahash::AHashMap;

/// One key, as the check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub id: Box<str>,
    pub value: Box<str>,
    pub enabled: bool,
    /// `(api id, stage name, usage plan id)` for every plan stage the key may call.
    pub stages: Vec<(Box<str>, Box<str>, Box<str>)>,
}

impl KeyEntry {
    /// The usage plan through which this key may call `api`'s `stage`, if any.
    pub fn plan_for(&self, api: &str, stage: &str) -> Option<&str> {
        self.stages
            .iter()
            .find(|(a, s, _)| &**a == api && &**s == stage)
            .map(|(_, _, p)| &**p)
    }
}

/// Why a key was refused (for the log; the client always gets the same 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    Missing,
    Unknown,
    Disabled,
    /// Not in a usage plan that includes this API stage.
    NotInPlan,
}

impl KeyRefusal {
    pub fn describe(self) -> &'static str {
        match self {
            KeyRefusal::Missing => "no API key in the request",
            KeyRefusal::Unknown => "the API key is not known",
            KeyRefusal::Disabled => "the API key is disabled",
            KeyRefusal::NotInPlan => {
                "the API key is not in a usage plan that includes this API stage"
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct KeyTable {
    by_value: AHashMap<Box<[u8]>, KeyEntry>,
}

impl KeyTable {
    /// The table for `keys`, `plans` and each plan's key ids.
    pub fn build(keys: &[ApiKey], plans: &[(UsagePlan, Vec<String>)]) -> KeyTable {
        let mut by_value = AHashMap::with_capacity(keys.len());
        for k in keys {
            let mut stages = Vec::new();
            for (plan, key_ids) in plans {
                if !key_ids.iter().any(|id| id == &k.id) {
                    continue;
                }
                for s in &plan.api_stages {
                    stages.push((
                        s.api_id.as_str().into(),
                        s.stage.as_str().into(),
                        plan.id.as_str().into(),
                    ));
                }
            }
            by_value.insert(
                k.value.as_bytes().into(),
                KeyEntry {
                    id: k.id.as_str().into(),
                    value: k.value.as_str().into(),
                    enabled: k.enabled,
                    stages,
                },
            );
        }
        KeyTable { by_value }
    }

    pub fn len(&self) -> usize {
        self.by_value.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_value.is_empty()
    }

    /// The key `presented` for a request to `api`'s `stage`, if it may call it.
    pub fn check(
        &self,
        presented: Option<&[u8]>,
        api: &str,
        stage: &str,
    ) -> Result<&KeyEntry, KeyRefusal> {
        let value = presented
            .filter(|v| !v.is_empty())
            .ok_or(KeyRefusal::Missing)?;
        let entry = self.by_value.get(value).ok_or(KeyRefusal::Unknown)?;
        if !entry.enabled {
            return Err(KeyRefusal::Disabled);
        }
        entry.plan_for(api, stage).ok_or(KeyRefusal::NotInPlan)?;
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ApiStage;

    fn key(id: &str, value: &str, enabled: bool) -> ApiKey {
        ApiKey {
            id: id.into(),
            value: value.into(),
            enabled,
            ..ApiKey::default()
        }
    }

    fn plan(id: &str, stages: &[(&str, &str)]) -> UsagePlan {
        UsagePlan {
            id: id.into(),
            api_stages: stages
                .iter()
                .map(|(a, s)| ApiStage {
                    api_id: a.to_string(),
                    stage: s.to_string(),
                    ..ApiStage::default()
                })
                .collect(),
            ..UsagePlan::default()
        }
    }

    #[test]
    fn a_key_passes_only_enabled_and_in_a_plan_for_the_stage() {
        let keys = [
            key("k1", "value-one-0123456789", true),
            key("k2", "value-two-0123456789", false),
            key("k3", "value-three-01234567", true),
        ];
        let plans = [
            (
                plan("p1", &[("api1", "prod")]),
                vec!["k1".into(), "k2".into()],
            ),
            (plan("p2", &[("api1", "beta")]), vec![]),
        ];
        let t = KeyTable::build(&keys, &plans);
        let ok = t
            .check(Some(b"value-one-0123456789"), "api1", "prod")
            .unwrap();
        assert_eq!((&*ok.id, ok.plan_for("api1", "prod")), ("k1", Some("p1")));
        let refused = |v: Option<&[u8]>, api, stage| t.check(v, api, stage).unwrap_err();
        assert_eq!(refused(None, "api1", "prod"), KeyRefusal::Missing);
        assert_eq!(refused(Some(b""), "api1", "prod"), KeyRefusal::Missing);
        assert_eq!(refused(Some(b"nope"), "api1", "prod"), KeyRefusal::Unknown);
        assert_eq!(
            refused(Some(b"value-two-0123456789"), "api1", "prod"),
            KeyRefusal::Disabled
        );
        assert_eq!(
            refused(Some(b"value-three-01234567"), "api1", "prod"),
            KeyRefusal::NotInPlan
        );
        assert_eq!(
            refused(Some(b"value-one-0123456789"), "api1", "beta"),
            KeyRefusal::NotInPlan
        );
        assert_eq!(
            refused(Some(b"value-one-0123456789"), "api2", "prod"),
            KeyRefusal::NotInPlan
        );
    }
}
