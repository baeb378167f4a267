//! The per-core stage response cache (`cacheClusterEnabled`), consulted by `pipeline::cache`
//! after validate and filled after respond.
//!
//! ## Design: one unsync cache per core, not one shared map
//! Each worker owns a `quick_cache::unsync::Cache` per cached stage (CLOCK-Pro eviction, bounded
//! by weight = stored bytes). The hit path is a hash of the key bytes, one probe, a full compare
//! of the key, one atomic load (the stage's flush sequence) and an `Rc` clone: no lock, and no
//! write to a cache line another core uses (quick_cache's relaxed reference counter, bumped until
//! it saturates, lives in this core's own entry). The alternative, one
//! lock-free map for all cores (`papaya`), stores each response once instead of once per core that
//! serves it, but every hit then pays an epoch guard (an atomic RMW on a shared counter) and
//! reads entries another core wrote (cross-core cache-line traffic), and freeing needs deferred
//! reclamation. Measured with `cargo bench --bench response_cache` (compose a 40-byte key, probe,
//! flush check, copy a 1 KiB response into the write buffer; 2-core VM): on a quiet machine
//! 44 ns per-core against 43 ns for `papaya` alone, and 90 ns against 102 ns with the other core
//! hitting the same key (under load from other builds: 60-90 against 50-70 ns alone, 120-170
//! against 130-210 ns contended). Alone they are even (quick_cache's probe and CLOCK bookkeeping
//! cost about what papaya's epoch pin and `Arc` clone do); contended, the shared entry's
//! reference count and the map's epoch counters then bounce between cores. Either is small next to
//! the ~8,000 instructions of a whole cache-hit request (README, `CACHE=1 bench/wrk/run.sh`); the
//! per-core choice wins on contention and keeps the hit path off shared cache lines.
//! Its cost is memory (an entry is held by each core that serves it, at most `cores` x the
//! per-core budget = the stage's budget) and a cold start per core (each core fetches a key once;
//! misses are coalesced per core, so a hot key expiring sends at most one backend request per
//! core, see below).
//!
//! ## Memory budget
//! `cacheClusterSize` (GB, AWS's list 0.5 .. 237) maps to bytes of stored responses: the stage's
//! budget is `cacheClusterSize` x 1 GiB split evenly between the workers, so the whole process
//! holds at most the cluster's size for the stage (0.5 GB on 2 workers = 256 MiB per core). The
//! budget is a ceiling, not an allocation: the cache grows as entries come. An entry weighs its
//! key, head and body bytes plus `ENTRY_OVERHEAD`. One response is stored only up to
//! `ITEM_LIMIT` (1 MiB, AWS's item limit is 1 MB); a bigger one is served and not cached.
//!
//! ## Keys
//! The key is the bytes `pipeline::cache` composes (stage slot, method, resource path, each
//! `cacheKeyParameters` value, `cacheNamespace`); the table is addressed by the key's ahash
//! (keyed per core, so collisions cannot be aimed) and the key bytes are compared in full, so two
//! requests never share an answer by hash accident.
//!
//! ## Invalidation without locks on the hit path
//! Every cached stage has a `StageCacheControl` (process-wide, by API id and stage name; see
//! `controls`), shared by `Arc` with the compiled stage. FlushStageCache and the path-prefix purge
//! (admin thread) append a `Purge` to its log and then bump `seq`. An entry remembers the `seq` it
//! was filled (or last checked) at; a lookup compares it with `seq` (one `Acquire` load). Only
//! when they differ does it read the log (an `ArcSwap` load) to see whether a purge since then
//! covers the entry. So a flush reaches every core at its next lookup of each entry, and the hit
//! path never waits on the admin thread. A redeploy of the stage changes its `scope` (the
//! deployment id's hash), which drops the core's table for the stage at its next lookup. Plans
//! also carry a `generation` (compile order), so a request still running on the previous
//! snapshot (a keep-alive connection that has not swapped yet, or a fill that began before the
//! redeploy) neither reads nor replaces the newer deployment's table: it goes uncached.
//!
//! ## Miss coalescing
//! A key being fetched is `pending` on this core: later lookups of it wait (a waker list, no
//! lock) for the fill instead of calling the backend. A fill that does not happen (the backend
//! failed, the response was not cacheable, the request was cancelled) releases the waiters to go
//! to the backend themselves, each on its own: they neither queue behind one another nor all
//! receive one error they did not cause.

use arc_swap::ArcSwap;
use quick_cache::{Equivalent, Weighter};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasher, Hash, Hasher};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

/// The largest response body stored (AWS's item limit is 1 MB).
pub const ITEM_LIMIT: usize = 1 << 20;

/// Bookkeeping counted in an entry's weight besides its bytes.
pub const ENTRY_OVERHEAD: u64 = 160;

/// Purges a control keeps; a core whose entry predates the oldest treats the entry as flushed.
const PURGE_LOG: usize = 64;

/// A response as it is served from the cache: what is the same for every client, once.
#[derive(Debug)]
pub struct Stored {
    pub status: u16,
    /// The status line and every header that does not change per request (not `Date`,
    /// `x-amzn-RequestId`, `Content-Length`, `Connection`), each line ending in CRLF; the status
    /// line is rendered from `status`.
    pub head: Box<[u8]>,
    pub body: Box<[u8]>,
}

/// One purge: every entry of the stage (`prefix: None`, FlushStageCache) or those whose request
/// or resource path starts with `prefix`.
#[derive(Debug, Clone)]
pub struct Purge {
    pub seq: u64,
    pub prefix: Option<Box<str>>,
}

/// The control-plane side of one stage's cache, shared by every core.
#[derive(Debug)]
pub struct StageCacheControl {
    /// Index of the stage's table in each core's `ResponseCache`: stable across deployments.
    pub slot: u32,
    seq: AtomicU64,
    log: ArcSwap<Vec<Purge>>,
    /// Bumped by FlushStageAuthorizersCache: part of the Lambda authorizer cache's scope.
    authorizers: AtomicU64,
    /// Serialises writers (admin calls); never taken on the request path.
    write: Mutex<()>,
}

impl StageCacheControl {
    fn new(slot: u32) -> StageCacheControl {
        StageCacheControl {
            slot,
            seq: AtomicU64::new(0),
            log: ArcSwap::from_pointee(Vec::new()),
            authorizers: AtomicU64::new(0),
            write: Mutex::new(()),
        }
    }

    /// Flushes every entry (`None`) or those under `prefix`, on every core at its next lookup.
    pub fn purge(&self, prefix: Option<&str>) {
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let seq = self.seq.load(Ordering::Relaxed) + 1;
        let mut log: Vec<Purge> = (**self.log.load()).clone();
        log.push(Purge {
            seq,
            prefix: prefix.map(Into::into),
        });
        if log.len() > PURGE_LOG {
            log.drain(..log.len() - PURGE_LOG);
        }
        self.log.store(Arc::new(log));
        // Release after the log: a core that reads the new seq finds the purge in the log.
        self.seq.store(seq, Ordering::Release);
    }

    /// FlushStageAuthorizersCache: the stage's Lambda authorizer answers (each core's next
    /// lookup misses) and every core's verified Cognito tokens (that cache is keyed by token,
    /// not by stage).
    pub fn flush_authorizers(&self) {
        self.authorizers.fetch_add(1, Ordering::Release);
        TOKENS_FLUSHED.fetch_add(1, Ordering::Release);
    }

    /// The authorizer flush count, for the Lambda authorizer cache's scope.
    #[inline]
    pub fn authorizers(&self) -> u64 {
        self.authorizers.load(Ordering::Acquire)
    }

    #[inline]
    pub fn seq(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }

    /// Whether a purge after `since` (up to `now`) covers an entry at `path` / `resource`.
    #[cold]
    fn purged_since(&self, since: u64, path: &[u8], resource: &[u8]) -> bool {
        let log = self.log.load();
        if log.first().is_none_or(|p| p.seq > since + 1) {
            return true;
        }
        log.iter()
            .filter(|p| p.seq > since)
            .any(|p| match &p.prefix {
                None => true,
                Some(pre) => {
                    path.starts_with(pre.as_bytes()) || resource.starts_with(pre.as_bytes())
                }
            })
    }
}

/// Bumped by every FlushStageAuthorizersCache; a core clears its Cognito token cache when it sees
/// a new value (`pipeline::authorize::cognito`).
pub static TOKENS_FLUSHED: AtomicU64 = AtomicU64::new(0);

type Registry = Mutex<HashMap<(Box<str>, Box<str>), Arc<StageCacheControl>>>;

fn registry() -> &'static Registry {
    static CONTROLS: OnceLock<Registry> = OnceLock::new();
    CONTROLS.get_or_init(Default::default)
}

/// The control of `api_id`'s stage `stage`, created (with the next slot) on first use. Called by
/// the compiler; the admin thread's flushes find the same one with `existing`.
pub fn control(api_id: &str, stage: &str) -> Arc<StageCacheControl> {
    let mut map = registry().lock().unwrap_or_else(|e| e.into_inner());
    let next = map.len() as u32;
    map.entry((api_id.into(), stage.into()))
        .or_insert_with(|| Arc::new(StageCacheControl::new(next)))
        .clone()
}

/// The control of a stage that has had a cache compiled, if any.
pub fn existing(api_id: &str, stage: &str) -> Option<Arc<StageCacheControl>> {
    let map = registry().lock().unwrap_or_else(|e| e.into_inner());
    map.get(&(Box::<str>::from(api_id), Box::<str>::from(stage)))
        .cloned()
}

/// A stored key: its hash and its bytes.
struct Key {
    hash: u64,
    bytes: Box<[u8]>,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}
impl PartialEq for Key {
    fn eq(&self, o: &Key) -> bool {
        self.hash == o.hash && self.bytes == o.bytes
    }
}
impl Eq for Key {}

/// A lookup key borrowed from the core's scratch buffer (no allocation on a hit).
struct KeyRef<'a> {
    hash: u64,
    bytes: &'a [u8],
}
impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}
impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, k: &Key) -> bool {
        self.hash == k.hash && *self.bytes == *k.bytes
    }
}

/// The key's own hash is already an ahash: the table uses it as is.
#[derive(Clone, Default)]
struct PassThrough;
struct PassThroughHasher(u64);
impl BuildHasher for PassThrough {
    type Hasher = PassThroughHasher;
    fn build_hasher(&self) -> PassThroughHasher {
        PassThroughHasher(0)
    }
}
impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

struct Entry {
    stored: Rc<Stored>,
    expires_ms: u64,
    /// The control's `seq` when filled or last found unpurged.
    seq: Cell<u64>,
    /// The request path (after the stage) and resource path it was filled for (prefix purges).
    path: Box<[u8]>,
    resource: Box<[u8]>,
}

#[derive(Clone)]
struct ByBytes;
impl Weighter<Key, Entry> for ByBytes {
    fn weight(&self, k: &Key, e: &Entry) -> u64 {
        entry_weight(k.bytes.len(), &e.stored, e.path.len() + e.resource.len())
    }
}

fn entry_weight(key: usize, s: &Stored, paths: usize) -> u64 {
    (key + s.head.len() + s.body.len() + paths) as u64 + ENTRY_OVERHEAD
}

type Table = quick_cache::unsync::Cache<Key, Entry, ByBytes, PassThrough>;

struct StageTable {
    /// The deployment the entries were filled under.
    scope: u64,
    /// The newest plan of that deployment seen (plans are recompiled without a redeploy).
    generation: u64,
    budget: u64,
    table: Table,
}

/// A fill in flight for one key on this core, and who waits for it.
#[derive(Default)]
struct Pending {
    /// `None` while filling; then whether the entry was stored.
    done: Cell<Option<bool>>,
    waiters: RefCell<Vec<Waker>>,
}

/// One core's response cache: a table per cached stage (by the control's slot), the scratch
/// buffer keys are composed in, and the fills in flight.
pub struct ResponseCache {
    stages: RefCell<Vec<Option<StageTable>>>,
    scratch: RefCell<Vec<u8>>,
    hasher: ahash::RandomState,
    pending: RefCell<HashMap<Box<[u8]>, Rc<Pending>>>,
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache {
            stages: RefCell::new(Vec::new()),
            scratch: RefCell::new(Vec::with_capacity(256)),
            hasher: ahash::RandomState::new(),
            pending: RefCell::new(HashMap::new()),
        }
    }
}

/// Where a stage's lookups go: its control, deployment and budget on this core.
#[derive(Clone, Copy)]
pub struct StageRef<'a> {
    pub control: &'a StageCacheControl,
    pub scope: u64,
    /// When the plan was compiled: orders two deployments' scopes.
    pub generation: u64,
    pub budget: u64,
}

/// What a lookup found.
pub enum Found<'c> {
    /// Nobody on this core is fetching the key: the caller fetches and fills it.
    Fetch(Fill<'c>),
    /// Another request on this core is fetching the key: wait for it, then look again.
    Wait(Wait),
}

/// The right (and duty) to fill one key; dropped unfilled, it releases the waiters.
pub struct Fill<'c> {
    cache: &'c ResponseCache,
    key: Box<[u8]>,
    hash: u64,
    pending: Rc<Pending>,
}

impl ResponseCache {
    /// Composes a key in the core's scratch buffer (`compose` appends to it) and hashes it.
    pub fn with_key<'s, R>(
        &'s self,
        compose: impl FnOnce(&mut Vec<u8>),
        then: impl FnOnce(&'s Self, u64, &[u8]) -> R,
    ) -> R {
        let mut scratch = self.scratch.borrow_mut();
        scratch.clear();
        compose(&mut scratch);
        let hash = self.hasher.hash_one(&scratch[..]);
        then(self, hash, &scratch)
    }

    /// The core's table for `stage`; `None` when it belongs to a newer deployment than
    /// `stage`'s (which must then go uncached rather than drop it).
    fn table<'t>(
        stages: &'t mut Vec<Option<StageTable>>,
        stage: StageRef<'_>,
    ) -> Option<&'t mut StageTable> {
        let i = stage.control.slot as usize;
        if stages.len() <= i {
            stages.resize_with(i + 1, || None);
        }
        let t = &mut stages[i];
        match t {
            Some(st) if st.scope == stage.scope => {
                st.generation = st.generation.max(stage.generation);
                if st.budget != stage.budget {
                    st.budget = stage.budget;
                    st.table.set_capacity(stage.budget.max(1));
                }
            }
            Some(st) if st.generation > stage.generation => return None,
            _ => {
                *t = Some(StageTable {
                    scope: stage.scope,
                    generation: stage.generation,
                    budget: stage.budget,
                    table: Table::with(
                        (stage.budget / 4096).clamp(16, 4096) as usize,
                        stage.budget.max(1),
                        ByBytes,
                        PassThrough,
                        Default::default(),
                    ),
                });
            }
        }
        t.as_mut()
    }

    /// The fresh entry for the key at `now_ms`, if any (allocation-free).
    pub fn get(
        &self,
        stage: StageRef<'_>,
        hash: u64,
        key: &[u8],
        now_ms: u64,
    ) -> Option<Rc<Stored>> {
        let mut stages = self.stages.borrow_mut();
        let t = Self::table(&mut stages, stage)?;
        let e = t.table.get(&KeyRef { hash, bytes: key })?;
        if now_ms >= e.expires_ms {
            return None;
        }
        let seq = stage.control.seq();
        if e.seq.get() != seq {
            if stage
                .control
                .purged_since(e.seq.get(), &e.path, &e.resource)
            {
                t.table.remove(&KeyRef { hash, bytes: key });
                return None;
            }
            e.seq.set(seq);
        }
        Some(e.stored.clone())
    }

    /// After a miss: become the key's filler, or wait for the one in flight.
    pub fn begin(&self, hash: u64, key: &[u8]) -> Found<'_> {
        let mut pending = self.pending.borrow_mut();
        if let Some(p) = pending.get(key) {
            return Found::Wait(Wait { pending: p.clone() });
        }
        let p = Rc::new(Pending::default());
        pending.insert(key.into(), p.clone());
        Found::Fetch(Fill {
            cache: self,
            key: key.into(),
            hash,
            pending: p,
        })
    }

    /// Drops the key's entry (an authorized `Cache-Control: max-age=0`).
    pub fn invalidate(&self, stage: StageRef<'_>, hash: u64, key: &[u8]) {
        let mut stages = self.stages.borrow_mut();
        if let Some(t) = Self::table(&mut stages, stage) {
            t.table.remove(&KeyRef { hash, bytes: key });
        }
    }

    /// Stores `stored` for `fill`'s key until `expires_ms` and wakes the waiters. `seq` is the
    /// control's sequence read before the backend was called, so a flush during the fetch
    /// flushes this entry too. Nothing is stored over the item limit or the stage's budget.
    #[allow(clippy::too_many_arguments)]
    pub fn complete(
        &self,
        stage: StageRef<'_>,
        fill: Fill<'_>,
        stored: Stored,
        expires_ms: u64,
        seq: u64,
        path: &[u8],
        resource: &[u8],
    ) -> bool {
        let w = entry_weight(fill.key.len(), &stored, path.len() + resource.len());
        let mut stages = self.stages.borrow_mut();
        let table = Self::table(&mut stages, stage)
            .filter(|_| stored.body.len() <= ITEM_LIMIT && w <= stage.budget);
        let ok = table.is_some();
        if let Some(t) = table {
            t.table.insert(
                Key {
                    hash: fill.hash,
                    bytes: fill.key.clone(),
                },
                Entry {
                    stored: Rc::new(stored),
                    expires_ms,
                    seq: Cell::new(seq),
                    path: path.into(),
                    resource: resource.into(),
                },
            );
        }
        drop(stages);
        self.release(&fill.key, &fill.pending, ok);
        ok
    }

    fn release(&self, key: &[u8], pending: &Pending, stored: bool) {
        if pending.done.get().is_some() {
            return;
        }
        self.pending.borrow_mut().remove(key);
        pending.done.set(Some(stored));
        for w in pending.waiters.take() {
            w.wake();
        }
    }

    /// Entries this core holds for the stage in `slot` (tests).
    pub fn len(&self, slot: u32) -> usize {
        self.stages
            .borrow()
            .get(slot as usize)
            .and_then(Option::as_ref)
            .map_or(0, |t| t.table.len())
    }
}

impl Drop for Fill<'_> {
    /// A fill that did not complete (not cacheable, failed, cancelled) releases its waiters.
    fn drop(&mut self) {
        self.cache.release(&self.key, &self.pending, false);
    }
}

/// Waits for another request's fill of the same key; `true` when it stored an entry.
pub struct Wait {
    pending: Rc<Pending>,
}

impl Future for Wait {
    type Output = bool;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        match self.pending.done.get() {
            Some(stored) => Poll::Ready(stored),
            None => {
                let mut w = self.pending.waiters.borrow_mut();
                if !w.iter().any(|x| x.will_wake(cx.waker())) {
                    w.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(body: &[u8]) -> Stored {
        Stored {
            status: 200,
            head: b"Content-Type: text/plain\r\n"[..].into(),
            body: body.into(),
        }
    }

    /// Deployment `scope`, compiled in that order (a later deployment has a larger number).
    fn at(c: &StageCacheControl, scope: u64) -> StageRef<'_> {
        StageRef {
            control: c,
            scope,
            generation: scope,
            budget: 1 << 20,
        }
    }

    /// Fills `key` with `body` at `now` for `ttl` ms.
    fn put(cache: &ResponseCache, s: StageRef<'_>, key: &[u8], body: &[u8], path: &[u8]) {
        let h = cache.hasher.hash_one(key);
        let Found::Fetch(fill) = cache.begin(h, key) else {
            panic!("a fill is already pending")
        };
        assert!(cache.complete(s, fill, stored(body), 1_000, s.control.seq(), path, b"/r"));
    }

    fn get(cache: &ResponseCache, s: StageRef<'_>, key: &[u8], now: u64) -> Option<Vec<u8>> {
        let h = cache.hasher.hash_one(key);
        cache.get(s, h, key, now).map(|s| s.body.to_vec())
    }

    #[test]
    fn hit_until_expiry_full_compare_and_redeploy() {
        let c = StageCacheControl::new(0);
        let cache = ResponseCache::default();
        put(&cache, at(&c, 1), b"k1", b"one", b"/a");
        assert_eq!(get(&cache, at(&c, 1), b"k1", 999), Some(b"one".to_vec()));
        assert_eq!(get(&cache, at(&c, 1), b"k1", 1_000), None, "expired");
        assert_eq!(get(&cache, at(&c, 1), b"k2", 0), None);
        // Same hash, other bytes: never a hit.
        let h = cache.hasher.hash_one(b"k1");
        assert!(cache.get(at(&c, 1), h, b"k1x", 0).is_none());
        // A new deployment (scope) starts empty.
        assert_eq!(get(&cache, at(&c, 2), b"k1", 0), None);
        assert_eq!(cache.len(0), 0);
    }

    #[test]
    fn the_previous_deployment_never_replaces_the_newer_table() {
        let c = StageCacheControl::new(0);
        let cache = ResponseCache::default();
        let h = cache.hasher.hash_one(b"old");
        // A fill begun under deployment 1 ...
        let Found::Fetch(late) = cache.begin(h, b"old") else {
            panic!()
        };
        // ... while deployment 2 goes live and fills its own entry.
        put(&cache, at(&c, 2), b"new", b"two", b"/a");
        // The late fill is not stored, and deployment 1's lookups miss without dropping
        // deployment 2's table.
        assert!(!cache.complete(at(&c, 1), late, stored(b"one"), 1_000, 0, b"/a", b"/r"));
        assert_eq!(get(&cache, at(&c, 1), b"new", 0), None);
        cache.invalidate(at(&c, 1), cache.hasher.hash_one(b"new"), b"new");
        assert_eq!(get(&cache, at(&c, 2), b"new", 0), Some(b"two".to_vec()));
        // The same deployment recompiled (a later generation) keeps its entries.
        let again = StageRef {
            generation: 7,
            ..at(&c, 2)
        };
        assert_eq!(get(&cache, again, b"new", 0), Some(b"two".to_vec()));
        assert_eq!(get(&cache, at(&c, 8), b"new", 0), None, "a real redeploy");
        assert_eq!(cache.len(0), 0);
    }

    #[test]
    fn purges_reach_entries_by_prefix_or_all() {
        let c = StageCacheControl::new(0);
        let cache = ResponseCache::default();
        put(&cache, at(&c, 1), b"a", b"A", b"/pets/1");
        put(&cache, at(&c, 1), b"b", b"B", b"/users/1");
        c.purge(Some("/pets"));
        assert_eq!(get(&cache, at(&c, 1), b"a", 0), None);
        assert_eq!(get(&cache, at(&c, 1), b"b", 0), Some(b"B".to_vec()));
        c.purge(Some("/r")); // the resource path matches too
        assert_eq!(get(&cache, at(&c, 1), b"b", 0), None);
        put(&cache, at(&c, 1), b"b", b"B2", b"/users/1");
        c.purge(None);
        assert_eq!(get(&cache, at(&c, 1), b"b", 0), None);
        // An entry older than the whole purge log is treated as flushed.
        put(&cache, at(&c, 1), b"c", b"C", b"/keep");
        for _ in 0..PURGE_LOG + 1 {
            c.purge(Some("/nothing"));
        }
        assert_eq!(get(&cache, at(&c, 1), b"c", 0), None);
    }

    #[test]
    fn waiters_follow_the_fill_and_are_released_when_it_fails() {
        let cache = ResponseCache::default();
        let h = cache.hasher.hash_one(b"k");
        let Found::Fetch(fill) = cache.begin(h, b"k") else {
            panic!()
        };
        let Found::Wait(wait) = cache.begin(h, b"k") else {
            panic!("a second miss waits")
        };
        assert_eq!(wait.pending.done.get(), None);
        drop(fill); // not cacheable: released, not stored
        assert_eq!(wait.pending.done.get(), Some(false));
        // Nothing pending any more: the next miss fetches.
        assert!(matches!(cache.begin(h, b"k"), Found::Fetch(_)));
    }

    #[test]
    fn oversized_or_over_budget_items_are_not_stored() {
        let c = StageCacheControl::new(0);
        let cache = ResponseCache::default();
        let s = StageRef {
            control: &c,
            scope: 1,
            generation: 1,
            budget: 4096,
        };
        let h = cache.hasher.hash_one(b"k");
        let Found::Fetch(fill) = cache.begin(h, b"k") else {
            panic!()
        };
        assert!(!cache.complete(s, fill, stored(&[0; 5000]), 1_000, 0, b"/", b"/"));
        assert!(get(&cache, s, b"k", 0).is_none());
        let big = StageRef {
            budget: 1 << 30,
            ..s
        };
        let Found::Fetch(fill) = cache.begin(h, b"k") else {
            panic!()
        };
        let over = vec![0; ITEM_LIMIT + 1];
        assert!(!cache.complete(big, fill, stored(&over), 1_000, 0, b"/", b"/"));
    }
}
