//! Throttle buckets, interned across compilations like upstreams: a stage method keeps its
//! bucket — and the tokens already spent from it — through every redeploy that leaves its
//! limits unchanged. A changed limit is a new bucket (a full one, as on AWS when throttling is
//! reconfigured). Id 0 is the account-level bucket.

use crate::core::throttle::gcra::{Gcra, Limits};
use crate::core::throttle::BucketId;
use ahash::AHashMap;
use std::sync::Arc;

/// AWS's default account-level limits (requests per second, burst).
pub const ACCOUNT_DEFAULT: Limits = Limits {
    rate: 10_000.0,
    burst: 5_000,
};

#[derive(Debug)]
pub struct Buckets {
    /// (scope, rate as bits, burst) -> id.
    ids: AHashMap<(Box<str>, u64, u32), BucketId>,
    list: Vec<Arc<Gcra>>,
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets::with_account(ACCOUNT_DEFAULT)
    }
}

impl Buckets {
    /// A registry whose account-level bucket (id 0) has `account` limits.
    pub fn with_account(account: Limits) -> Buckets {
        Buckets {
            ids: AHashMap::new(),
            list: vec![Arc::new(Gcra::new(account))],
        }
    }

    pub const ACCOUNT: BucketId = BucketId(0);

    /// The bucket for `scope` (one per stage method) with `limits`.
    pub fn intern(&mut self, scope: &str, limits: Limits) -> BucketId {
        let key = (scope.into(), limits.rate.to_bits(), limits.burst);
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = BucketId(self.list.len() as u32);
        self.list.push(Arc::new(Gcra::new(limits)));
        self.ids.insert(key, id);
        id
    }

    /// Every bucket interned so far; index = `BucketId.0`.
    pub fn list(&self) -> Vec<Arc<Gcra>> {
        self.list.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_keeps_its_bucket_until_its_limits_change() {
        let mut b = Buckets::default();
        let l = Limits {
            rate: 5.0,
            burst: 2,
        };
        let a = b.intern("api/prod/GET /pets", l);
        assert_eq!(a, BucketId(1));
        assert_eq!(b.intern("api/prod/GET /pets", l), a);
        assert_ne!(b.intern("api/beta/GET /pets", l), a);
        assert_ne!(b.intern("api/prod/GET /pets", Limits { rate: 6.0, ..l }), a);
        assert_eq!(b.list().len(), 4);
    }
}
