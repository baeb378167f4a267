//! A per-core cache of verified bearer tokens (Cognito JWTs): a repeat token costs one hash, one
//! compare and an `Rc` clone, with no RSA and no allocation.
//!
//! Fixed size (`SLOTS`, two-way set associative): a key is the token's hash (keyed per core, so
//! collisions cannot be aimed) and the token's bytes, compared in full, so a forged token never
//! answers for a cached one. Each entry carries its own expiry (Unix seconds, the caller's
//! choice: the token's `exp` capped by the authorizer's TTL); an expired entry is never returned.
//! Only the miss path allocates (the stored copy of the token). Memory is bounded by `SLOTS` x the
//! longest token the caller stores.

use std::cell::RefCell;

/// Entries per core (a power of two).
pub const SLOTS: usize = 1024;

struct Slot<V> {
    hash: u64,
    token: Box<[u8]>,
    value: V,
    expires: u64,
}

pub struct TokenCache<V> {
    slots: RefCell<Vec<Option<Slot<V>>>>,
    hasher: ahash::RandomState,
}

impl<V: Clone> Default for TokenCache<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Clone> TokenCache<V> {
    pub fn new() -> TokenCache<V> {
        TokenCache {
            slots: RefCell::new((0..SLOTS).map(|_| None).collect()),
            hasher: ahash::RandomState::new(),
        }
    }

    fn hash(&self, token: &[u8]) -> u64 {
        self.hasher.hash_one(token)
    }

    /// The value cached for `token`, if it has not expired at `now`.
    pub fn get(&self, token: &[u8], now: u64) -> Option<V> {
        let h = self.hash(token);
        let i = (h as usize) & (SLOTS - 1);
        let slots = self.slots.borrow();
        [i, i ^ 1].into_iter().find_map(|j| match &slots[j] {
            Some(s) if s.hash == h && s.expires > now && *s.token == *token => {
                Some(s.value.clone())
            }
            _ => None,
        })
    }

    /// Caches `value` for `token` until `expires` (nothing when that is not after `now`).
    pub fn insert(&self, token: &[u8], value: V, expires: u64, now: u64) {
        if expires <= now {
            return;
        }
        let h = self.hash(token);
        let i = (h as usize) & (SLOTS - 1);
        let mut slots = self.slots.borrow_mut();
        // The same token, else a free or expired slot, else the one that expires first.
        let rank = |j: usize| match &slots[j] {
            Some(s) if s.hash == h && *s.token == *token => 0,
            None => 1,
            Some(s) if s.expires <= now => 1,
            Some(s) => 2 + s.expires,
        };
        let j = if rank(i ^ 1) < rank(i) { i ^ 1 } else { i };
        slots[j] = Some(Slot {
            hash: h,
            token: token.into(),
            value,
            expires,
        });
    }

    /// Forgets every token (FlushStageAuthorizersCache).
    pub fn clear(&self) {
        for s in self.slots.borrow_mut().iter_mut() {
            *s = None;
        }
    }

    /// Entries live at `now` (tests, metrics).
    pub fn len(&self, now: u64) -> usize {
        self.slots
            .borrow()
            .iter()
            .filter(|s| s.as_ref().is_some_and(|s| s.expires > now))
            .count()
    }

    pub fn is_empty(&self, now: u64) -> bool {
        self.len(now) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn hits_until_expiry_and_only_for_the_same_bytes() {
        let c: TokenCache<Rc<str>> = TokenCache::new();
        c.insert(b"token-a", "alice".into(), 100, 10);
        assert_eq!(c.get(b"token-a", 99).as_deref(), Some("alice"));
        assert_eq!(c.get(b"token-a", 100), None);
        assert_eq!(c.get(b"token-b", 50), None);
        assert_eq!(c.get(b"token-", 50), None);
        // Already expired: not stored.
        c.insert(b"old", "x".into(), 10, 10);
        assert_eq!(c.get(b"old", 5), None);
        // Replaced in place.
        c.insert(b"token-a", "alice2".into(), 200, 10);
        assert_eq!(c.get(b"token-a", 150).as_deref(), Some("alice2"));
        assert_eq!(c.len(10), 1);
    }

    #[test]
    fn bounded_whatever_the_number_of_tokens() {
        let c: TokenCache<u32> = TokenCache::new();
        for n in 0..(SLOTS as u32 * 4) {
            c.insert(format!("t{n}").as_bytes(), n, 1000 + u64::from(n), 0);
        }
        assert!(c.len(0) <= SLOTS);
        // The newest survive (they expire last).
        let last = SLOTS as u32 * 4 - 1;
        assert_eq!(c.get(format!("t{last}").as_bytes(), 0), Some(last));
    }
}
