//! Counters for `RateBasedStatement`: requests per aggregation key (the client IP, a forwarded
//! IP, or one constant key) over the rule's `EvaluationWindowSec`.
//!
//! # Design and approximation
//! One table per rate-based rule, shared by every core: a fixed array of `SLOTS` atomic words,
//! each holding `(window number << 32) | count` for the keys hashed to it. Counting is one
//! compare-and-swap on the key's slot, with no lock and no allocation; a word from an older
//! window restarts at 1. A core never touches another key's line, so only requests from the same
//! client meet on the same cache line (a per-core count would instead need `limit / cores` and
//! misjudge a client whose connections all land on one core; the throttles' leases solve that
//! for one shared bucket, not for one per client).
//!
//! Three ways this differs from AWS, documented for users:
//! - Windows are fixed and aligned to the clock (`now / window`), where AWS looks at the trailing
//!   window every few seconds: a client may send up to twice the limit across a window boundary,
//!   and a blocked client recovers at the next boundary (within one window).
//! - Keys sharing a slot share a count (hash collisions over-count; with 16384 slots a rule sees
//!   a collision among a few hundred simultaneously active clients only rarely).
//! - The count includes the requests the rule blocks, as AWS's does.
//!
//! Tables live as long as a compiled program refers to them; `shared` hands the same table to a
//! recompiled program of the same rule (same web ACL, rule name and window), so a republish (a
//! redeploy, another ACL change) keeps the counts.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

pub const SLOTS: usize = 16384;

pub struct RateTable {
    slots: Box<[AtomicU64]>,
    hasher: ahash::RandomState,
}

impl std::fmt::Debug for RateTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateTable")
    }
}

impl Default for RateTable {
    fn default() -> Self {
        RateTable {
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            hasher: ahash::RandomState::new(),
        }
    }
}

impl RateTable {
    /// Counts one request of `key` at `now_secs` in windows of `window_secs`; returns the count
    /// in the current window, this request included.
    pub fn hit(&self, key: Option<IpAddr>, now_secs: u64, window_secs: u64) -> u64 {
        let window = (now_secs / window_secs.max(1)) & 0xffff_ffff;
        let slot = &self.slots[self.slot(key)];
        let mut cur = slot.load(Ordering::Relaxed);
        loop {
            let count = if cur >> 32 == window {
                (cur & 0xffff_ffff).saturating_add(1).min(0xffff_ffff)
            } else {
                1
            };
            let next = window << 32 | count;
            match slot.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return count,
                Err(seen) => cur = seen,
            }
        }
    }

    fn slot(&self, key: Option<IpAddr>) -> usize {
        let mut h = self.hasher.build_hasher();
        match key {
            Some(IpAddr::V4(a)) => h.write_u32(u32::from(a)),
            Some(IpAddr::V6(a)) => h.write_u128(u128::from(a)),
            None => h.write_u8(0),
        }
        h.finish() as usize & (SLOTS - 1)
    }
}

/// The table of rule `rule` (`{web ACL id}/{rule name}/{window}`), the one a previous compile
/// made while any program still holds it. Called on the control plane only.
pub fn shared(rule: &str) -> Arc<RateTable> {
    static TABLES: Mutex<Option<HashMap<String, Weak<RateTable>>>> = Mutex::new(None);
    let mut guard = TABLES.lock().unwrap_or_else(|p| p.into_inner());
    let tables = guard.get_or_insert_with(HashMap::new);
    tables.retain(|_, t| t.strong_count() > 0);
    if let Some(t) = tables.get(rule).and_then(Weak::upgrade) {
        return t;
    }
    let t = Arc::new(RateTable::default());
    tables.insert(rule.to_string(), Arc::downgrade(&t));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_key_and_restarts_each_window() {
        let t = RateTable::default();
        let a = Some("10.0.0.1".parse().unwrap());
        let b = Some("2001:db8::1".parse().unwrap());
        assert_eq!(t.hit(a, 600, 60), 1);
        assert_eq!(t.hit(a, 601, 60), 2);
        assert_eq!(t.hit(b, 601, 60), 1);
        assert_eq!(t.hit(a, 659, 60), 3);
        // The next window starts over.
        assert_eq!(t.hit(a, 660, 60), 1);
    }

    #[test]
    fn a_recompiled_rule_keeps_its_table() {
        let first = shared("acl/rule/60");
        first.hit(None, 0, 60);
        let again = shared("acl/rule/60");
        assert!(Arc::ptr_eq(&first, &again));
        assert!(!Arc::ptr_eq(&first, &shared("acl/other/60")));
    }
}
