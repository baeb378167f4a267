//! PER-CORE STATE: everything one worker owns and its connections share, without locks.
//!
//! A `Core` lives on one pinned worker thread behind an `Rc`; its parts use `Cell`/`RefCell`
//! with short synchronous borrows that never span an `.await`. Time, request ids, the `Date`
//! header, upstream pools, metrics and the adopted snapshot are all here.

pub mod addrs;
pub mod buffers;
pub mod ids;
pub mod metrics;
pub mod pool;

use crate::deploy::publish::SnapshotCell;
use crate::deploy::Snapshot;
use crate::http::date::DateCache;
use crate::http::Limits;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The settings a worker needs on the request path, copied out of `Settings` at start.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub limits: Limits,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
    pub pool_idle_per_upstream: usize,
}

pub struct Core {
    pub index: usize,
    pub config: WorkerConfig,
    cell: Arc<SnapshotCell>,
    snapshot: RefCell<Arc<Snapshot>>,
    generation: Cell<u64>,
    date: RefCell<DateCache>,
    pub ids: RefCell<ids::RequestIds>,
    pub pool: pool::Pool,
    /// Upstream addresses, resolved by the control plane (`runtime::resolver`).
    pub addrs: Arc<addrs::AddrBook>,
    pub metrics: metrics::CoreMetrics,
    /// Set by the runtime on SIGTERM: finish the request in hand, then close.
    draining: Arc<AtomicBool>,
    /// Requests being processed right now (drain waits for zero).
    in_flight: Cell<usize>,
    /// Connections open right now.
    pub connections: Cell<usize>,
}

impl Core {
    pub fn new(
        index: usize,
        config: WorkerConfig,
        cell: Arc<SnapshotCell>,
        metrics: metrics::CoreMetrics,
        draining: Arc<AtomicBool>,
        addrs: Arc<addrs::AddrBook>,
    ) -> Core {
        let snapshot = cell.load();
        let generation = snapshot.generation;
        let pool = pool::Pool::new(config.pool_idle_per_upstream);
        let core = Core {
            index,
            config,
            cell,
            snapshot: RefCell::new(snapshot.clone()),
            generation: Cell::new(generation),
            date: RefCell::new(DateCache::new()),
            ids: RefCell::new(ids::RequestIds::new(index)),
            pool,
            addrs,
            metrics,
            draining,
            in_flight: Cell::new(0),
            connections: Cell::new(0),
        };
        core.metrics.adopt(&snapshot);
        core.pool.adopt(&snapshot);
        core
    }

    /// Brings `held` (a connection's snapshot) up to date with the published one. One atomic load
    /// when nothing changed; an `Arc` clone only when a new snapshot was published.
    #[inline]
    pub fn refresh(&self, held: &mut Arc<Snapshot>) {
        let published = self.cell.generation();
        if held.generation == published {
            return;
        }
        if self.generation.get() != published {
            self.adopt();
        }
        *held = self.snapshot.borrow().clone();
    }

    #[cold]
    fn adopt(&self) {
        let snap = self.cell.load();
        self.generation.set(snap.generation);
        self.metrics.adopt(&snap);
        self.pool.adopt(&snap);
        *self.snapshot.borrow_mut() = snap;
    }

    pub fn current(&self) -> Arc<Snapshot> {
        let mut s = self.snapshot.borrow().clone();
        self.refresh(&mut s);
        s
    }

    /// The `Date` header value for now (reformatted at most once a second).
    pub fn date(&self, out: &mut [u8; 29]) {
        *out = *self.date.borrow_mut().get(SystemTime::now());
    }

    #[inline]
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    pub fn begin_request(&self) {
        self.in_flight.set(self.in_flight.get() + 1);
    }

    pub fn end_request(&self) {
        self.in_flight.set(self.in_flight.get() - 1);
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.get()
    }
}
