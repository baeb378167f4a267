//! The per-core Lambda authorizer result cache (`authorizerResultTtlInSeconds`), consulted by
//! `pipeline::authorize::lambda` before it invokes the function.
//!
//! Keyed as API Gateway keys it: the authorizer (of one stage of one deployed snapshot, so a
//! redeploy starts empty) and the values of its identity sources. The entry holds the function's
//! whole answer: the caller (`Rc<Authorized>`, shared with every exchange it authorizes) and the
//! policy it returned, which is evaluated again for each method called. So, as on AWS:
//! - a cached Allow whose policy covers other methods (`…/prod/*`) answers for them without a
//!   call;
//! - a policy that covers only the method first called (`Resource: event.methodArn`) DENIES the
//!   next method the same identity calls (403 `User is not authorized to access this resource`)
//!   until the entry expires. Return a policy covering every method the identity may call, or
//!   set the TTL to 0.
//!
//! Only a well-formed answer is cached (an Allow or a Deny policy); failures (function errors,
//! timeouts, invalid replies) are never cached.
//!
//! Bounded (`MAX_ENTRIES` per core): an insert into a full cache drops expired entries first,
//! then an arbitrary one. A hit allocates nothing: the key is a hash of the identity bytes,
//! which are kept in the entry and compared in full, so two identities never share an answer.
//! Each core has its own cache (thread per core, no locks): an identity is authorized once per
//! core that serves it.

use crate::deploy::authorizers::AuthorizerIdx;
use crate::deploy::iam_policy::PolicyDocument;
use crate::deploy::snapshot::{ApiIdx, StageIdx};
use crate::pipeline::authorize::Authorized;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::rc::Rc;

/// Entries one core keeps at most.
pub const MAX_ENTRIES: usize = 4096;

/// Which authorizer an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope {
    /// The snapshot's generation: a new deployment does not reuse an older one's answers.
    pub generation: u64,
    /// The stage's FlushStageAuthorizersCache count: a flush does not reuse older answers.
    pub flushed: u64,
    pub api: ApiIdx,
    pub stage: StageIdx,
    pub authorizer: AuthorizerIdx,
}

/// A cached answer: who the caller is, and the policy to evaluate per method.
#[derive(Debug, Clone)]
pub struct Answer {
    pub auth: Rc<Authorized>,
    pub policy: Rc<PolicyDocument>,
}

struct Entry {
    scope: Scope,
    identity: Box<[u8]>,
    expires_ms: u64,
    answer: Answer,
}

pub struct AuthzCache {
    entries: RefCell<HashMap<u64, Entry>>,
    hasher: ahash::RandomState,
    max: usize,
}

impl Default for AuthzCache {
    fn default() -> Self {
        AuthzCache::with_capacity(MAX_ENTRIES)
    }
}

impl AuthzCache {
    pub fn with_capacity(max: usize) -> AuthzCache {
        AuthzCache {
            entries: RefCell::new(HashMap::new()),
            hasher: ahash::RandomState::new(),
            max: max.max(1),
        }
    }

    fn key(&self, scope: &Scope, identity: &[u8]) -> u64 {
        let mut h = self.hasher.build_hasher();
        scope.hash(&mut h);
        identity.hash(&mut h);
        h.finish()
    }

    /// The unexpired answer for `identity` (the identity source values, as the caller joined
    /// them) at `now_ms`.
    pub fn get(&self, scope: Scope, identity: &[u8], now_ms: u64) -> Option<Answer> {
        let key = self.key(&scope, identity);
        let entries = self.entries.borrow();
        let e = entries.get(&key)?;
        (e.scope == scope && &*e.identity == identity && now_ms < e.expires_ms)
            .then(|| e.answer.clone())
    }

    /// Keeps `answer` for `identity` until `now_ms + ttl_secs` (nothing with a TTL of 0).
    pub fn put(&self, scope: Scope, identity: &[u8], answer: Answer, now_ms: u64, ttl_secs: u32) {
        if ttl_secs == 0 {
            return;
        }
        let key = self.key(&scope, identity);
        let mut entries = self.entries.borrow_mut();
        if entries.len() >= self.max && !entries.contains_key(&key) {
            entries.retain(|_, e| now_ms < e.expires_ms);
            if entries.len() >= self.max {
                if let Some(&victim) = entries.keys().next() {
                    entries.remove(&victim);
                }
            }
        }
        entries.insert(
            key,
            Entry {
                scope,
                identity: identity.into(),
                expires_ms: now_ms + u64::from(ttl_secs) * 1000,
                answer,
            },
        );
    }

    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(authorizer: u32) -> Scope {
        Scope {
            generation: 1,
            flushed: 0,
            api: ApiIdx(0),
            stage: StageIdx(0),
            authorizer: AuthorizerIdx(authorizer),
        }
    }

    fn answer(principal: &str) -> Answer {
        Answer {
            auth: Rc::new(Authorized {
                principal_id: Some(principal.into()),
                ..Authorized::default()
            }),
            policy: Rc::new(
                PolicyDocument::parse(
                    r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
                )
                .unwrap(),
            ),
        }
    }

    fn principal(a: Option<Answer>) -> Option<String> {
        a.and_then(|a| a.auth.principal_id.as_deref().map(str::to_string))
    }

    #[test]
    fn hit_miss_and_expiry() {
        let c = AuthzCache::default();
        assert!(c.get(scope(0), b"tok", 0).is_none());
        c.put(scope(0), b"tok", answer("a"), 1_000, 300);
        assert_eq!(principal(c.get(scope(0), b"tok", 1_000)), Some("a".into()));
        assert_eq!(
            principal(c.get(scope(0), b"tok", 300_999)),
            Some("a".into())
        );
        assert!(c.get(scope(0), b"tok", 301_000).is_none(), "expired");
        assert!(c.get(scope(0), b"other", 1_000).is_none(), "other identity");
        assert!(c.get(scope(1), b"tok", 1_000).is_none(), "other authorizer");
        let later = Scope {
            generation: 2,
            ..scope(0)
        };
        assert!(c.get(later, b"tok", 1_000).is_none(), "other deployment");
    }

    #[test]
    fn ttl_zero_caches_nothing() {
        let c = AuthzCache::default();
        c.put(scope(0), b"tok", answer("a"), 0, 0);
        assert!(c.is_empty());
        assert!(c.get(scope(0), b"tok", 0).is_none());
    }

    #[test]
    fn bounded_expired_entries_go_first() {
        let c = AuthzCache::with_capacity(3);
        c.put(scope(0), b"old", answer("old"), 0, 1);
        c.put(scope(0), b"b", answer("b"), 0, 300);
        c.put(scope(0), b"c", answer("c"), 0, 300);
        // Full: the expired entry makes room.
        c.put(scope(0), b"d", answer("d"), 5_000, 300);
        assert_eq!(c.len(), 3);
        assert!(c.get(scope(0), b"old", 0).is_none());
        for k in [&b"b"[..], b"c", b"d"] {
            assert!(c.get(scope(0), k, 5_000).is_some());
        }
        // Full and nothing expired: one entry goes, the bound holds.
        for i in 0..10u8 {
            c.put(scope(0), &[i], answer("n"), 5_000, 300);
            assert!(c.len() <= 3);
            assert!(c.get(scope(0), &[i], 5_000).is_some());
        }
    }

    #[test]
    fn a_refreshed_entry_replaces_the_old_answer() {
        let c = AuthzCache::default();
        c.put(scope(0), b"tok", answer("a"), 0, 300);
        c.put(scope(0), b"tok", answer("b"), 10, 300);
        assert_eq!(c.len(), 1);
        assert_eq!(principal(c.get(scope(0), b"tok", 10)), Some("b".into()));
    }
}
