//! Hand-over of compiled snapshots from the control plane to the workers.
//!
//! The control plane `publish`es a whole new `Snapshot`; each worker checks `generation` (one
//! atomic load) at every request and only calls `load` when it changed, so the request path takes
//! no lock and clones no `Arc` in steady state.
//!
//! Once the data port is bound, `announce_at` makes every later publish log what it changed for
//! clients (`deploy::announce`): this is the one place every deploy path goes through.

use crate::deploy::keys::KeyTable;
use crate::deploy::{announce, Snapshot};
use arc_swap::ArcSwap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

#[derive(Debug)]
pub struct SnapshotCell {
    current: ArcSwap<Snapshot>,
    generation: AtomicU64,
    /// API keys and the stages their usage plans open (`deploy::keys`): published on their own,
    /// since on AWS key and plan changes act without a deployment.
    keys: ArcSwap<KeyTable>,
    /// The data-plane address, once bound: set means "log each publish's changes".
    announce: OnceLock<SocketAddr>,
}

impl Default for SnapshotCell {
    fn default() -> Self {
        SnapshotCell {
            current: ArcSwap::from_pointee(Snapshot::default()),
            generation: AtomicU64::new(0),
            keys: ArcSwap::from_pointee(KeyTable::default()),
            announce: OnceLock::new(),
        }
    }
}

impl SnapshotCell {
    /// Installs `snap`, stamping it with the next generation. Returns that generation.
    pub fn publish(&self, mut snap: Snapshot) -> u64 {
        let generation = self.generation.load(Ordering::Relaxed) + 1;
        snap.generation = generation;
        // The control plane serialises publishes (its lock), so `current` is the previous one.
        if let Some(listen) = self.announce.get() {
            for line in announce::change_lines(&self.current.load(), &snap, *listen) {
                eprintln!("{line}");
            }
        }
        self.current.store(Arc::new(snap));
        // Release after the store: a worker that sees the new number also sees the snapshot.
        self.generation.store(generation, Ordering::Release);
        generation
    }

    /// Logs how to call every stage served now and, from here on, what each publish changes.
    /// Called once the data port is bound (its port is only known then); later calls only log.
    pub fn announce_at(&self, listen: SocketAddr) {
        let _ = self.announce.set(listen);
        for line in announce::boot_lines(&self.current.load(), listen) {
            eprintln!("{line}");
        }
    }

    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Installs a new key table: every worker's next key check reads it.
    pub fn publish_keys(&self, keys: KeyTable) {
        self.keys.store(Arc::new(keys));
    }

    /// The key table now (one lock-free load, no allocation).
    #[inline]
    pub fn keys(&self) -> arc_swap::Guard<Arc<KeyTable>> {
        self.keys.load()
    }
}
