//! Phase "throttle": the request spends one token at each level that applies — the stage's
//! limit for this method (when the stage's `methodSettings` set one, per method or `*/*`), then
//! the account level — or, refused at any level, none at all (`core::throttle`). Refused: AWS's
//! 429 `{"message":"Too Many Requests"}` (THROTTLED).
//!
//! Usage plan limits (per key, per method) come before these in AWS's order; they are the next
//! part of this work.

use super::respond::Reject;
use super::Exchange;
use crate::core::throttle::BucketId;
use crate::core::Core;
use crate::deploy::compile::buckets::Buckets;
use std::sync::OnceLock;
use std::time::Instant;

/// Nanoseconds on the throttle clock: since the first request of the process, from the core's
/// coarse clock (read once per connection wake-up, not per request).
fn now_ns(core: &Core) -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    core.clock.now().saturating_duration_since(epoch).as_nanos() as u64
}

pub fn admit(x: &Exchange<'_>, core: &Core) -> Result<(), Reject> {
    let mut levels = [Buckets::ACCOUNT; 2];
    let mut n = 0;
    if let Some(b) = x.method().throttle {
        levels[n] = b;
        n += 1;
    }
    levels[n] = Buckets::ACCOUNT;
    n += 1;
    let levels: &[BucketId] = &levels[..n];
    core.throttle
        .admit(levels, &x.snap.buckets, now_ns(core))
        .map_err(|_| Reject::Throttled)
}
