//! What integration roles (`roles`) and user-pool key sets (`jwks`) share: a process-wide list of
//! the items compiled snapshots name, held weakly (an item no snapshot names any more is dropped),
//! and one control-plane thread that refreshes them and sleeps until the next one is due or a new
//! item wakes it.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

/// The longest the refresher sleeps without being woken: items are re-checked at least this
/// often.
const MAX_SLEEP_SECS: u64 = 60;

pub struct Registry<T> {
    items: Mutex<Vec<Weak<T>>>,
    /// Set by `wake`, cleared by the refresher: work waiting.
    woken: Mutex<bool>,
    wake: Condvar,
}

impl<T> Registry<T> {
    pub const fn new() -> Registry<T> {
        Registry {
            items: Mutex::new(Vec::new()),
            woken: Mutex::new(false),
            wake: Condvar::new(),
        }
    }

    /// The live item `is` picks, else a new one from `make` (registered, and the refresher woken
    /// to fetch it). Control plane only: takes the registry's lock.
    pub fn intern(&self, is: impl Fn(&T) -> bool, make: impl FnOnce() -> T) -> Arc<T> {
        let mut items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        items.retain(|w| w.strong_count() > 0);
        if let Some(found) = items.iter().filter_map(Weak::upgrade).find(|t| is(t)) {
            return found;
        }
        let t = Arc::new(make());
        items.push(Arc::downgrade(&t));
        drop(items);
        self.wake();
        t
    }

    /// Every item some snapshot still names.
    pub fn live(&self) -> Vec<Arc<T>> {
        let mut items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        items.retain(|w| w.strong_count() > 0);
        items.iter().filter_map(Weak::upgrade).collect()
    }

    /// Asks the refresher for a pass now.
    pub fn wake(&self) {
        *self.woken.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.wake.notify_one();
    }

    /// The refresher's sleep: until Unix time `next` (at least a second, at most a minute), or
    /// until woken.
    pub fn sleep_until(&self, next: u64, now: u64) {
        let wait = next.saturating_sub(now).clamp(1, MAX_SLEEP_SECS);
        let mut woken = self.woken.lock().unwrap_or_else(|p| p.into_inner());
        if !*woken {
            woken = self
                .wake
                .wait_timeout(woken, Duration::from_secs(wait))
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        *woken = false;
    }
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_shared_while_named_and_dropped_after() {
        let reg: Registry<String> = Registry::new();
        let a = reg.intern(|s| s == "a", || "a".to_string());
        let again = reg.intern(|s| s == "a", || unreachable!("interned already"));
        assert!(Arc::ptr_eq(&a, &again));
        assert_eq!(reg.live().len(), 1);
        drop((a, again));
        assert!(reg.live().is_empty());
        // A wake before the sleep makes the sleep return at once.
        reg.wake();
        let t = std::time::Instant::now();
        reg.sleep_until(u64::MAX, 0);
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
