//! Hand-over of compiled snapshots from the control plane to the workers.
//!
//! The control plane `publish`es a whole new `Snapshot`; each worker checks `generation` (one
//! atomic load) at every request and only calls `load` when it changed, so the request path takes
//! no lock and clones no `Arc` in steady state.

use crate::deploy::Snapshot;
use arc_swap::ArcSwap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Debug)]
pub struct SnapshotCell {
    current: ArcSwap<Snapshot>,
    generation: AtomicU64,
}

impl Default for SnapshotCell {
    fn default() -> Self {
        SnapshotCell {
            current: ArcSwap::from_pointee(Snapshot::default()),
            generation: AtomicU64::new(0),
        }
    }
}

impl SnapshotCell {
    /// Installs `snap`, stamping it with the next generation. Returns that generation.
    pub fn publish(&self, mut snap: Snapshot) -> u64 {
        let generation = self.generation.load(Ordering::Relaxed) + 1;
        snap.generation = generation;
        self.current.store(Arc::new(snap));
        // Release after the store: a worker that sees the new number also sees the snapshot.
        self.generation.store(generation, Ordering::Release);
        generation
    }

    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }
}
