//! PER-CORE STATE: everything one worker owns and its connections share, without locks.
//!
//! A `Core` lives on one pinned worker thread behind an `Rc`; its parts use `Cell`/`RefCell`
//! with short synchronous borrows that never span an `.await`. The coarse clock (with the `Date`
//! header), request ids, the backend client (its pools), metrics and the adopted snapshot are
//! all here.

pub mod access_log;
pub mod addrs;
pub mod authz_cache;
pub mod buffers;
pub mod clock;
pub mod frames;
pub mod ids;
pub mod links;
pub mod log_fold;
pub mod metrics;
pub mod quota;
pub mod response_cache;
pub mod throttle;
pub mod token_cache;

use crate::deploy::publish::SnapshotCell;
use crate::deploy::Snapshot;
use crate::http::Limits;
use crate::net::upstream;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Spare connection working sets (and request-loop frames) a core keeps for reuse: enough for
/// this many connections busy at once without allocating (~20 KiB each, so ~2.5 MiB a core at
/// most); beyond it, sets are freed when given back, so a spike's peak is not kept.
const SPARE_SETS: usize = 128;

/// The settings a worker needs on the request path, copied out of `Settings` at start.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub limits: Limits,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
    pub pool_idle_per_upstream: usize,
    /// Workers in all (throttle leases are sized by how many cores share a bucket).
    pub workers: usize,
}

pub struct Core {
    pub index: usize,
    pub config: WorkerConfig,
    cell: Arc<SnapshotCell>,
    snapshot: RefCell<Arc<Snapshot>>,
    generation: Cell<u64>,
    pub clock: clock::Clock,
    pub ids: RefCell<ids::RequestIds>,
    /// The backend client: connections, pools, name resolution.
    pub upstream: upstream::Client,
    pub metrics: metrics::CoreMetrics,
    /// Buffers and heads lent to connections while they have a request in hand.
    pub buffers: buffers::BufferPool,
    /// Heap frames for the request loop of busy connections (idle ones hold none).
    pub frames: frames::FramePool,
    /// Set by the runtime on SIGTERM: finish the request in hand, then close.
    draining: Arc<AtomicBool>,
    /// Requests being processed right now (drain waits for zero).
    in_flight: Cell<usize>,
    /// Connections open right now.
    pub connections: Cell<usize>,
    /// This core's leases on the shared throttle buckets.
    pub throttle: throttle::Shards,
    /// Lambda authorizer answers, by authorizer and identity (`authorizerResultTtlInSeconds`).
    pub authz_cache: authz_cache::AuthzCache,
    /// Access and execution log lines on their way to the writer thread (inert unless the
    /// runtime registered this core).
    pub access_log: access_log::CoreLog,
    /// The stage response caches (`cacheClusterEnabled`), one table per cached stage.
    pub response_cache: response_cache::ResponseCache,
    /// The WAF evaluator's reused transformation buffers.
    pub waf_scratch: RefCell<crate::deploy::waf::Scratch>,
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
        let upstream = upstream::Client::new(
            config.pool_idle_per_upstream,
            config.connect_timeout,
            config.limits.max_head,
            addrs,
        );
        let core = Core {
            index,
            throttle: throttle::Shards::new(config.workers),
            config,
            cell,
            snapshot: RefCell::new(snapshot.clone()),
            generation: Cell::new(generation),
            clock: clock::Clock::new(),
            ids: RefCell::new(ids::RequestIds::new(index)),
            upstream,
            metrics,
            buffers: buffers::BufferPool::new(SPARE_SETS),
            frames: frames::FramePool::new(SPARE_SETS),
            draining,
            in_flight: Cell::new(0),
            connections: Cell::new(0),
            authz_cache: authz_cache::AuthzCache::default(),
            access_log: access_log::CoreLog::default(),
            response_cache: response_cache::ResponseCache::default(),
            waf_scratch: RefCell::new(crate::deploy::waf::Scratch::with_capacity(
                crate::deploy::waf::BODY_LIMIT * 2,
            )),
        };
        core.metrics.adopt(&snapshot);
        core.upstream.adopt(&snapshot);
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
        self.upstream.adopt(&snap);
        *self.snapshot.borrow_mut() = snap;
    }

    pub fn current(&self) -> Arc<Snapshot> {
        let mut s = self.snapshot.borrow().clone();
        self.refresh(&mut s);
        s
    }

    /// The API key table now (one lock-free load; key changes need no redeploy).
    #[inline]
    pub fn keys(&self) -> arc_swap::Guard<Arc<crate::deploy::keys::KeyTable>> {
        self.cell.keys()
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
