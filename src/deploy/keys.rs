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

use crate::core::quota::Counter;
use crate::core::throttle::gcra::{Gcra, Limits};
use crate::core::throttle::BucketId;
use crate::deploy::compile::buckets::Buckets;
use crate::store::{ApiKey, QuotaSettings, ThrottleSettings, UsagePlan};
use ahash::AHashMap;
use std::sync::Arc;

/// One key, as the check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub id: Box<str>,
    pub value: Box<str>,
    pub enabled: bool,
    /// Every plan stage the key may call.
    pub stages: Vec<PlanStage>,
}

/// One API stage of a usage plan the key is in, with the plan's throttles for this key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStage {
    pub api: Box<str>,
    pub stage: Box<str>,
    pub plan: Box<str>,
    /// The plan's `throttle`, a bucket per key.
    pub key_bucket: Option<BucketId>,
    /// The stage's per-method throttles (`/pets/GET`), a bucket per key and method.
    pub method_buckets: Vec<(Box<str>, BucketId)>,
    /// The plan's quota for this key (one counter for all the plan's stages).
    pub quota: Option<Arc<PlanQuota>>,
}

/// A usage plan's quota for one key.
#[derive(Debug)]
pub struct PlanQuota {
    pub settings: QuotaSettings,
    pub limit: u64,
    /// UpdateUsage's grant: (first day of the period it is for, requests granted; may be < 0).
    pub grant: (i64, i64),
    pub counter: Arc<Counter>,
}

impl PartialEq for PlanQuota {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.counter, &other.counter)
            && self.limit == other.limit
            && self.grant == other.grant
    }
}
impl Eq for PlanQuota {}

impl PlanQuota {
    /// The first day of the period `day` is in.
    pub fn period(&self, day: i64) -> i64 {
        crate::core::quota::period_start(&self.settings, day)
    }

    /// Requests the key may make in the period starting `period`.
    pub fn allowed(&self, period: i64) -> u64 {
        let granted = if self.grant.0 == period {
            self.grant.1
        } else {
            0
        };
        (self.limit as i64).saturating_add(granted).max(0) as u64
    }
}

/// Quota counters by (plan, key, period kind, offset), kept across key-table rebuilds; a new one
/// is seeded from the store by the builder's `seed`.
/// (plan id, key id, period kind, offset): a changed period or offset starts a fresh counter,
/// seeded from the store for the new kind of period.
type CounterId = (Box<str>, Box<str>, Box<str>, i64);

#[derive(Debug, Default)]
pub struct QuotaCounters {
    counters: AHashMap<CounterId, Arc<Counter>>,
}

impl QuotaCounters {
    /// Every counter with its plan and key (the flusher's list).
    pub fn all(&self) -> impl Iterator<Item = (&str, &str, &Arc<Counter>)> {
        self.counters
            .iter()
            .map(|((p, k, _, _), c)| (&**p, &**k, c))
    }
}

/// What the store says of a (plan, key) quota in the period starting `period`: the requests
/// counted in it up to today (read only for a new counter), or UpdateUsage's grant for it.
pub type QuotaSeed<'a> = dyn FnMut(&str, &str, i64) -> u64 + 'a;
pub type QuotaGrant<'a> = dyn FnMut(&str, &str, i64) -> i64 + 'a;

impl PlanStage {
    /// This key's per-method plan bucket for the method at `resource_path` / `http_method`.
    pub fn method_bucket(&self, resource_path: &str, http_method: &str) -> Option<BucketId> {
        self.method_buckets
            .iter()
            .find(|(k, _)| {
                k.strip_suffix(http_method)
                    .and_then(|p| p.strip_suffix('/'))
                    .is_some_and(|p| p == resource_path)
            })
            .map(|(_, b)| *b)
    }
}

impl KeyEntry {
    /// The usage plan stage through which this key may call `api`'s `stage`, if any.
    pub fn plan_stage(&self, api: &str, stage: &str) -> Option<&PlanStage> {
        self.stages
            .iter()
            .find(|s| &*s.api == api && &*s.stage == stage)
    }

    /// The usage plan through which this key may call `api`'s `stage`, if any.
    pub fn plan_for(&self, api: &str, stage: &str) -> Option<&str> {
        self.plan_stage(api, stage).map(|s| &*s.plan)
    }
}

/// A plan's throttle as bucket limits (`None` when it sets no rate).
fn limits(t: &ThrottleSettings) -> Option<Limits> {
    let rate = t.rate_limit?;
    Some(Limits {
        rate,
        burst: u32::try_from(t.burst_limit.unwrap_or(0).max(0)).unwrap_or(u32::MAX),
    })
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
    /// Every throttle bucket interned when this table was built (ids shared with the snapshot's
    /// list: one registry numbers both, so the newer list of the two holds every id).
    pub buckets: Vec<Arc<Gcra>>,
}

impl KeyTable {
    /// The table for `keys`, `plans` and each plan's key ids; plan throttles are interned in
    /// `buckets`, one bucket per key (and per key and method), kept while their limits last.
    pub fn build(
        keys: &[ApiKey],
        plans: &[(UsagePlan, Vec<String>)],
        buckets: &mut Buckets,
    ) -> KeyTable {
        KeyTable::build_with_quotas(
            keys,
            plans,
            buckets,
            &mut QuotaCounters::default(),
            crate::core::quota::today(),
            &mut |_, _, _| 0,
            &mut |_, _, _| 0,
        )
    }

    /// `build`, with each plan quota's counter from `counters` (a new one seeded by `seed`)
    /// and its grant (`grant`) for the period holding `today`.
    pub fn build_with_quotas(
        keys: &[ApiKey],
        plans: &[(UsagePlan, Vec<String>)],
        buckets: &mut Buckets,
        counters: &mut QuotaCounters,
        today: i64,
        seed: &mut QuotaSeed<'_>,
        grant: &mut QuotaGrant<'_>,
    ) -> KeyTable {
        let mut by_value = AHashMap::with_capacity(keys.len());
        let mut live = std::collections::HashSet::new();
        for k in keys {
            let mut stages = Vec::new();
            for (plan, key_ids) in plans {
                if !key_ids.iter().any(|id| id == &k.id) {
                    continue;
                }
                live.insert((plan.id.as_str(), k.id.as_str()));
                let scope = format!("plan {} key {}", plan.id, k.id);
                let key_bucket = plan
                    .throttle
                    .as_ref()
                    .and_then(limits)
                    .map(|l| buckets.intern(&scope, l));
                let quota = plan.quota.as_ref().and_then(|q| {
                    let limit = u64::try_from(q.limit?).ok()?;
                    let start = crate::core::quota::period_start(q, today);
                    let id = (
                        plan.id.as_str().into(),
                        k.id.as_str().into(),
                        q.period.as_deref().unwrap_or("DAY").into(),
                        q.offset.unwrap_or(0),
                    );
                    let counter = counters
                        .counters
                        .entry(id)
                        .or_insert_with(|| {
                            Arc::new(Counter::seeded(start, seed(&plan.id, &k.id, start)))
                        })
                        .clone();
                    Some(Arc::new(PlanQuota {
                        settings: q.clone(),
                        limit,
                        grant: (start, grant(&plan.id, &k.id, start)),
                        counter,
                    }))
                });
                for s in &plan.api_stages {
                    let method_buckets = s
                        .throttle
                        .iter()
                        .filter_map(|(method, t)| {
                            let l = limits(t)?;
                            let scope = format!("{scope} {}/{} {method}", s.api_id, s.stage);
                            Some((method.as_str().into(), buckets.intern(&scope, l)))
                        })
                        .collect();
                    stages.push(PlanStage {
                        api: s.api_id.as_str().into(),
                        stage: s.stage.as_str().into(),
                        plan: plan.id.as_str().into(),
                        key_bucket,
                        method_buckets,
                        quota: quota.clone(),
                    });
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
        // A key deleted or detached from its plan: its counter goes (the store dropped its
        // usage with it), so nothing is flushed for it again.
        counters
            .counters
            .retain(|(p, k, _, _), _| live.contains(&(&**p, &**k)));
        KeyTable {
            by_value,
            buckets: buckets.list(),
        }
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
        let t = KeyTable::build(&keys, &plans, &mut Buckets::default());
        let ok = t
            .check(Some(b"value-one-0123456789"), "api1", "prod")
            .unwrap();
        assert_eq!((&*ok.id, ok.plan_for("api1", "prod")), ("k1", Some("p1")));
        assert_eq!(ok.plan_stage("api1", "prod").unwrap().key_bucket, None);
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

    #[test]
    fn plan_throttles_become_buckets_per_key_and_method() {
        let keys = [
            key("k1", "value-one-0123456789", true),
            key("k2", "value-two-0123456789", true),
        ];
        let mut p = plan("p1", &[("api1", "prod")]);
        p.throttle = Some(ThrottleSettings {
            rate_limit: Some(10.0),
            burst_limit: Some(20),
        });
        p.api_stages[0].throttle.insert(
            "/pets/{id}/GET".into(),
            ThrottleSettings {
                rate_limit: Some(1.0),
                burst_limit: Some(1),
            },
        );
        let mut buckets = Buckets::default();
        let plans = [(p, vec!["k1".into(), "k2".into()])];
        let t = KeyTable::build(&keys, &plans, &mut buckets);
        let s1 = t
            .check(Some(b"value-one-0123456789"), "api1", "prod")
            .unwrap();
        let s2 = t
            .check(Some(b"value-two-0123456789"), "api1", "prod")
            .unwrap();
        let (s1, s2) = (
            s1.plan_stage("api1", "prod").unwrap(),
            s2.plan_stage("api1", "prod").unwrap(),
        );
        // Each key its own buckets; the method's only for that method.
        assert!(s1.key_bucket.is_some() && s1.key_bucket != s2.key_bucket);
        let m1 = s1.method_bucket("/pets/{id}", "GET").unwrap();
        assert_ne!(Some(m1), s2.method_bucket("/pets/{id}", "GET"));
        assert_eq!(s1.method_bucket("/pets/{id}", "POST"), None);
        assert_eq!(s1.method_bucket("/pets", "GET"), None);
        assert_eq!(t.buckets.len(), 5);
        // Rebuilt with the same limits: the same buckets (their spent tokens kept).
        let again = KeyTable::build(&keys, &plans, &mut buckets);
        let e = again
            .check(Some(b"value-one-0123456789"), "api1", "prod")
            .unwrap();
        assert_eq!(
            e.plan_stage("api1", "prod").unwrap().key_bucket,
            s1.key_bucket
        );
    }
}
