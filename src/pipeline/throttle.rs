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

/// What the opt-in `RateLimit-*` / `Retry-After` headers say (the tightest level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateInfo {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until that level's bucket is full again.
    pub reset: u64,
    /// Seconds until a refused request may succeed (429s only).
    pub retry_after: Option<u64>,
}

fn ceil_secs(ns: u64) -> u64 {
    ns.div_ceil(1_000_000_000)
}

/// The tightest of `levels` for the headers: the one with the fewest tokens left.
fn rate_info(levels: &[BucketId], lists: &Lists<'_>, core: &Core, now: u64) -> Option<RateInfo> {
    levels
        .iter()
        .filter_map(|&id| {
            let b = lists.get(id.0 as usize)?;
            let remaining = b.available(now).saturating_add(core.throttle.leased(id));
            Some(RateInfo {
                limit: b.burst(),
                remaining: remaining.min(b.burst()),
                reset: ceil_secs(b.full_in(now)),
                retry_after: None,
            })
        })
        .min_by_key(|i| i.remaining)
}

/// `keys`: the key table the API key check read (plan buckets are numbered in its list).
pub fn admit(x: &mut Exchange<'_>, core: &Core, keys: &KeyTable) -> Result<(), Reject> {
    let result = check(x, core, keys);
    if x.stage().settings.rate_limit_headers {
        x.rate_limit = match result {
            Ok(info) | Err((_, info)) => info,
        };
    }
    result.map(|_| ()).map_err(|(r, _)| r)
}

type Checked = Result<Option<RateInfo>, (Reject, Option<RateInfo>)>;

fn check(x: &Exchange<'_>, core: &Core, keys: &KeyTable) -> Checked {
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
                return Err((Reject::QuotaExceeded, None));
            }
            Some((q, period))
        }
        None => None,
    };
    let lists = Lists(&x.snap.buckets, &keys.buckets);
    let now = now_ns(core);
    let headers = x.stage().settings.rate_limit_headers;
    match core.throttle.admit_in(&levels[..n], &lists, now) {
        Ok(()) => Ok(headers
            .then(|| rate_info(&levels[..n], &lists, core, now))
            .flatten()),
        Err(t) => {
            if let Some((q, period)) = counted {
                q.counter.undo(period);
            }
            let info = headers.then(|| {
                let b = lists.get(t.bucket.0 as usize);
                RateInfo {
                    limit: b.map_or(0, |b| b.burst()),
                    remaining: 0,
                    reset: b.map_or(0, |b| ceil_secs(b.full_in(now))),
                    retry_after: Some(ceil_secs(t.retry_at.saturating_sub(now)).max(1)),
                }
            });
            Err((Reject::Throttled, info))
        }
    }
}

/// Writes the `RateLimit-*` (and, for a 429, `Retry-After`) headers into the response head that
/// starts at `start` in `wbuf`, right after its status line: formatted on the stack and moved in
/// place, without allocating.
pub fn insert_headers(wbuf: &mut Vec<u8>, start: usize, info: &RateInfo) {
    use std::io::Write as _;
    if start > wbuf.len() {
        return;
    }
    let Some(eol) = wbuf[start..].windows(2).position(|w| w == b"\r\n") else {
        return;
    };
    let at = start + eol + 2;
    let mut tmp = [0u8; 160];
    let mut c = std::io::Cursor::new(&mut tmp[..]);
    let _ = write!(
        c,
        "RateLimit-Limit: {}\r\nRateLimit-Remaining: {}\r\nRateLimit-Reset: {}\r\n",
        info.limit, info.remaining, info.reset
    );
    if let Some(s) = info.retry_after {
        let _ = write!(c, "Retry-After: {s}\r\n");
    }
    let n = c.position() as usize;
    wbuf.extend_from_slice(&tmp[..n]);
    wbuf[at..].rotate_right(n);
}
