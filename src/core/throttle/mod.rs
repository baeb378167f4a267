//! Throttling: token buckets shared by all cores, spent through per-core leases.
//!
//! # Design
//! Each limit (a stage method's `throttlingRateLimit`/`throttlingBurstLimit`, the account level)
//! is one shared bucket (`Gcra`: one `AtomicU64`, exact under any concurrency). Touching it on
//! every request would put one contended cache line on the hot path of every core, so a core
//! **leases** tokens in blocks: it takes `block` tokens at once, keeps them in a plain per-core
//! counter, and spends them without any shared access. When its lease is used up it takes the
//! next block; when the shared bucket is empty it remembers when the next token is due and
//! refuses locally until then, so a flood above the limit does not hammer the shared line either.
//!
//! - `block = max(1, min(64, burst / (50 · cores)))`: small limits lease one token at a time,
//!   so a lease is taken exactly when a request needs it and nothing is ever held back (burst 1
//!   admits exactly one request at once, whichever cores the connections land on); large ones
//!   touch the shared line once every `block` requests.
//! - A lease lasts `LEASE_TTL`. Tokens left in an older lease go back to the shared bucket
//!   before that core leases again, so tokens leased long ago are never spent in a later burst.
//! - A request passes every level or none: each level's token is secured first (leased if
//!   needed), and only when all are secured is one spent at each. A refused request spends no
//!   token anywhere; tokens it leased for it are given straight back.
//!
//! # Error bound
//! Tokens are only ever spent from leases taken out of the shared bucket, so the gateway never
//! admits more than the bucket allows: over any interval, admitted ≤ burst + rate × seconds
//! (the leases in flight are part of that burst). The error is one-sided: at most
//! `cores × (block − 1)` tokens can sit unspent in other cores' leases, so admitted ≥ that
//! ideal − `cores × (block − 1)`, which the choice of `block` keeps under 2% of `burst`, and 0
//! whenever `burst < 100 · cores`.

pub mod gcra;

use gcra::Gcra;
use std::cell::RefCell;
use std::sync::Arc;

/// How long a lease may be spent from.
pub const LEASE_TTL_NS: u64 = 100_000_000;
/// The most tokens one lease takes.
pub const MAX_BLOCK: u32 = 64;

/// Index of a shared bucket in `Snapshot::buckets` (stable across snapshots, like upstreams).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BucketId(pub u32);

/// The block size for a bucket of `burst` shared by `cores` cores.
pub fn block(burst: u32, cores: usize) -> u32 {
    let cores = cores.max(1) as u64;
    (u64::from(burst) / (50 * cores)).clamp(1, u64::from(MAX_BLOCK)) as u32
}

/// Two bucket lists numbered by the same registry; an id is looked up in whichever holds it.
pub struct Lists<'a>(pub &'a [Arc<Gcra>], pub &'a [Arc<Gcra>]);

impl Lists<'_> {
    #[inline]
    pub fn get(&self, i: usize) -> Option<&Arc<Gcra>> {
        self.0.get(i).or_else(|| self.1.get(i))
    }
}

/// A refusal: which level, and when its next token is due (ns on the caller's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub bucket: BucketId,
    pub retry_at: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Lease {
    tokens: u32,
    leased_at: u64,
    /// The shared bucket was empty: refuse locally until this time.
    empty_until: u64,
}

/// One core's leases, by bucket id.
#[derive(Debug)]
pub struct Shards {
    leases: RefCell<Vec<Lease>>,
    cores: usize,
}

impl Shards {
    pub fn new(cores: usize) -> Shards {
        Shards {
            leases: RefCell::new(Vec::new()),
            cores,
        }
    }

    /// Admits one request through every bucket of `levels` (in order), or none. `buckets` is
    /// indexed by `BucketId`; `now` is nanoseconds on a monotonic clock.
    pub fn admit(
        &self,
        levels: &[BucketId],
        buckets: &[Arc<Gcra>],
        now: u64,
    ) -> Result<(), Throttled> {
        self.admit_in(levels, &Lists(buckets, &[]), now)
    }

    /// `admit` with buckets found in either of two lists numbered by one registry (the
    /// snapshot's and the key table's: whichever was published later holds every id).
    pub fn admit_in(
        &self,
        levels: &[BucketId],
        lists: &Lists<'_>,
        now: u64,
    ) -> Result<(), Throttled> {
        let buckets = lists;
        let mut leases = self.leases.borrow_mut();
        let need = levels.iter().map(|b| b.0 as usize + 1).max().unwrap_or(0);
        if leases.len() < need {
            // Once per new bucket id on this core, never in steady state.
            leases.resize(need, Lease::default());
        }
        // Bit i: level i leased its tokens for this request (given back if another refuses).
        let mut fresh: u32 = 0;
        for (i, &id) in levels.iter().enumerate() {
            let Some(shared) = buckets.get(id.0 as usize) else {
                continue;
            };
            match self.secure(&mut leases[id.0 as usize], shared, now) {
                Ok(leased) => fresh |= u32::from(leased) << i,
                Err(retry_at) => {
                    for (j, &earlier) in levels[..i].iter().enumerate() {
                        if fresh & (1 << j) != 0 {
                            let lease = &mut leases[earlier.0 as usize];
                            if let Some(b) = buckets.get(earlier.0 as usize) {
                                b.give_back(lease.tokens);
                            }
                            lease.tokens = 0;
                        }
                    }
                    return Err(Throttled {
                        bucket: id,
                        retry_at,
                    });
                }
            }
        }
        for &id in levels {
            if let Some(lease) = leases.get_mut(id.0 as usize) {
                lease.tokens = lease.tokens.saturating_sub(1);
            }
        }
        Ok(())
    }

    /// Tokens this core holds in its lease on `id` (spendable without the shared bucket).
    pub fn leased(&self, id: BucketId) -> u32 {
        self.leases
            .borrow()
            .get(id.0 as usize)
            .map_or(0, |l| l.tokens)
    }

    /// Makes sure `lease` holds a token; `Ok(true)` when it had to lease, `Err(retry_at)` when
    /// the shared bucket is empty.
    fn secure(&self, lease: &mut Lease, shared: &Gcra, now: u64) -> Result<bool, u64> {
        if lease.tokens > 0 {
            if now.saturating_sub(lease.leased_at) < LEASE_TTL_NS {
                return Ok(false);
            }
            shared.give_back(lease.tokens);
            lease.tokens = 0;
        }
        if now < lease.empty_until {
            return Err(lease.empty_until);
        }
        let got = shared.take(shared_block(shared, self.cores), now);
        if got == 0 {
            lease.empty_until = shared.next_token_at(now);
            return Err(lease.empty_until);
        }
        lease.tokens = got;
        lease.leased_at = now;
        lease.empty_until = 0;
        Ok(true)
    }
}

fn shared_block(shared: &Gcra, cores: usize) -> u32 {
    block(shared.burst(), cores)
}

#[cfg(test)]
mod tests {
    use super::gcra::Limits;
    use super::*;

    const S: u64 = 1_000_000_000;

    fn buckets(limits: &[(f64, u32)]) -> Vec<Arc<Gcra>> {
        limits
            .iter()
            .map(|&(rate, burst)| Arc::new(Gcra::new(Limits { rate, burst })))
            .collect()
    }

    #[test]
    fn block_sizes_shrink_to_one_for_small_limits() {
        assert_eq!(block(1, 2), 1);
        assert_eq!(block(199, 2), 1);
        assert_eq!(block(5000, 2), 50);
        assert_eq!(block(1_000_000, 16), MAX_BLOCK);
    }

    #[test]
    fn burst_one_admits_exactly_one_whichever_core_asks() {
        let b = buckets(&[(1.0, 1)]);
        let (a, c) = (Shards::new(2), Shards::new(2));
        let t = 10 * S;
        assert!(a.admit(&[BucketId(0)], &b, t).is_ok());
        assert!(c.admit(&[BucketId(0)], &b, t).is_err());
        assert!(a.admit(&[BucketId(0)], &b, t).is_err());
        // One second later, one more, on either core.
        assert!(c.admit(&[BucketId(0)], &b, t + S).is_ok());
        assert!(a.admit(&[BucketId(0)], &b, t + S).is_err());
    }

    #[test]
    fn a_refused_request_spends_no_token_at_any_level() {
        // Level 0 has room, level 1 is exhausted: the token level 0 leased goes back.
        let b = buckets(&[(1.0, 1), (1.0, 1)]);
        let core = Shards::new(1);
        let t = 10 * S;
        assert!(core.admit(&[BucketId(1)], &b, t).is_ok());
        let refused = core.admit(&[BucketId(0), BucketId(1)], &b, t).unwrap_err();
        assert_eq!(refused.bucket, BucketId(1));
        assert_eq!(refused.retry_at, t + S);
        // Level 0's one token is still there, for another core too.
        assert!(Shards::new(1).admit(&[BucketId(0)], &b, t).is_ok());
    }

    #[test]
    fn an_empty_bucket_is_refused_locally_until_its_next_token() {
        let b = buckets(&[(2.0, 1)]);
        let core = Shards::new(1);
        let t = 10 * S;
        assert!(core.admit(&[BucketId(0)], &b, t).is_ok());
        let r = core.admit(&[BucketId(0)], &b, t + 1).unwrap_err();
        assert_eq!(r.retry_at, t + S / 2);
        assert!(core.admit(&[BucketId(0)], &b, t + S / 2).is_ok());
    }

    #[test]
    fn stale_leases_go_back_before_a_new_one_is_taken() {
        // burst 10_000 on 1 core leases blocks of 64.
        let b = buckets(&[(0.001, 10_000)]);
        let core = Shards::new(1);
        let t = 10 * S;
        assert!(core.admit(&[BucketId(0)], &b, t).is_ok());
        // 63 tokens sit in the lease; after the TTL they are returned and a new block leased.
        assert!(core.admit(&[BucketId(0)], &b, t + LEASE_TTL_NS).is_ok());
        // 10_000 in all: 2 spent, the rest still obtainable.
        let other = Shards::new(1);
        let mut admitted = 2;
        while other.admit(&[BucketId(0)], &b, t + LEASE_TTL_NS).is_ok() {
            admitted += 1;
        }
        assert_eq!(admitted + 63, 10_000);
    }

    #[test]
    fn many_cores_admit_exactly_the_bucket_however_requests_spread() {
        // 4 "cores" race for a burst of 1000 at one instant: exactly 1000 pass in all, minus at
        // most the tokens still leased (block = 1000 / 200 = 5: up to 4 × 4 held back).
        let b = Arc::new(buckets(&[(0.0001, 1000)]));
        let t = 10 * S;
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let b = b.clone();
                std::thread::spawn(move || {
                    let core = Shards::new(4);
                    (0..2000)
                        .filter(|_| core.admit(&[BucketId(0)], &b, t).is_ok())
                        .count()
                })
            })
            .collect();
        let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert!((1000 - 16..=1000).contains(&total), "{total}");
    }
}
