//! Phase "throttle": the request spends one token at each level that applies, in AWS's order —
//! the usage plan's per-method limit for its API key, the plan's limit for the key, the stage's
//! limit for this method (when the stage's `methodSettings` set one, per method or `*/*`), the
//! account level — or, refused at any level, none at all (`core::throttle`). Refused: AWS's 429
//! `{"message":"Too Many Requests"}` (THROTTLED). Before them the plan's quota counts the
//! request (`core::quota`): over it, 429 `{"message":"Limit Exceeded"}` (QUOTA_EXCEEDED).

use super::respond::Reject;
use super::Exchange;
use crate::core::quota::day_of_epoch_ms;
use crate::core::throttle::{BucketId, Lists};
use crate::core::Core;
use crate::deploy::compile::buckets::Buckets;
use crate::deploy::keys::KeyTable;
use std::sync::OnceLock;
use std::time::Instant;

/// Nanoseconds on the throttle clock: since the first request of the process, from the core's
/// coarse clock (read once per connection wake-up, not per request).
fn now_ns(core: &Core) -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    core.clock.now().saturating_duration_since(epoch).as_nanos() as u64
}

/// `keys`: the key table the API key check read (plan buckets are numbered in its list).
pub fn admit(x: &Exchange<'_>, core: &Core, keys: &KeyTable) -> Result<(), Reject> {
    let mut levels = [Buckets::ACCOUNT; 4];
    let mut n = 0;
    let mut add = |b: Option<BucketId>| {
        if let Some(b) = b {
            levels[n] = b;
            n += 1;
        }
    };
    let m = x.method();
    let plan = x
        .api_key
        .and_then(|k| k.plan_stage(&x.api().id, &x.stage().name));
    if let Some(plan) = plan {
        add(plan.method_bucket(&m.resource_path, &m.http_method));
        add(plan.key_bucket);
    }
    add(m.throttle);
    add(Some(Buckets::ACCOUNT));
    // The plan's quota counts the request first; a throttled request takes its count back.
    let counted = match plan.and_then(|p| p.quota.as_deref()) {
        Some(q) => {
            let period = q.period(day_of_epoch_ms(x.req.epoch_ms));
            if !q.counter.admit(period, q.allowed(period)) {
                return Err(Reject::QuotaExceeded);
            }
            Some((q, period))
        }
        None => None,
    };
    let lists = Lists(&x.snap.buckets, &keys.buckets);
    core.throttle
        .admit_in(&levels[..n], &lists, now_ns(core))
        .map_err(|_| {
            if let Some((q, period)) = counted {
                q.counter.undo(period);
            }
            Reject::Throttled
        })
}
