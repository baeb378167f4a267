//! Per-method request metrics named after API Gateway's CloudWatch metrics (Count, 4XXError,
//! 5XXError, Latency, IntegrationLatency, CacheHitCount, CacheMissCount), with its dimensions
//! (ApiId/ApiName, Stage, Resource, Method). Requests a stage's canary served have series of
//! their own (label `canary="true"`), as API Gateway reports a canary's metrics apart from its
//! stage's.
//!
//! Each core owns its series: counters are atomics written only by that core; latency histograms
//! are recorded into core-local hdrhistograms and copied into a shared slot by `publish` (a
//! worker tick), so the request path takes no lock. The admin thread merges all cores at scrape.
//! Series are keyed by their labels and never removed, so counts survive redeploys.

use crate::deploy::snapshot::{ApiIdx, MethodIdx, StageIdx};
use crate::deploy::Snapshot;
use ahash::AHashMap;
use hdrhistogram::Histogram;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels {
    pub api_id: Box<str>,
    pub api_name: Box<str>,
    pub stage: Box<str>,
    pub resource: Box<str>,
    pub method: Box<str>,
    /// Requests the stage's canary served: rendered as `canary="true"` (base series carry no
    /// canary label, so a selector on `stage` alone sums both, the stage's total).
    pub canary: bool,
}

/// A metric series slot within one core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(pub u32);

fn new_histogram() -> Histogram<u64> {
    // Microseconds from 1 µs to 10 min at 2 significant digits: ~20 KiB per series.
    Histogram::new_with_bounds(1, 600_000_000, 2).expect("static histogram bounds are valid")
}

struct Series {
    labels: Labels,
    count: AtomicU64,
    e4xx: AtomicU64,
    e5xx: AtomicU64,
    cache_hit: AtomicU64,
    cache_miss: AtomicU64,
    latency: Mutex<Histogram<u64>>,
    integration_latency: Mutex<Histogram<u64>>,
}

#[derive(Default)]
struct Shared {
    series: Mutex<Vec<Arc<Series>>>,
    unrouted: AtomicU64,
    /// Client connections open on this core, as of its last tick.
    connections: AtomicU64,
    /// Error log lines this core folded into a count (`core::log_fold`), as of its last tick.
    folded: AtomicU64,
}

/// What the admin thread holds: every core's shared half.
#[derive(Default)]
pub struct MetricsHub {
    cores: Mutex<Vec<Arc<Shared>>>,
}

struct Local {
    by_labels: AHashMap<Labels, Slot>,
    /// [api][stage][method] -> slot, for the adopted snapshot.
    table: Vec<Vec<Vec<Slot>>>,
    series: Vec<Arc<Series>>,
    latency: Vec<Histogram<u64>>,
    integration_latency: Vec<Histogram<u64>>,
    dirty: Vec<Slot>,
    is_dirty: Vec<bool>,
}

/// One core's metrics.
pub struct CoreMetrics {
    shared: Arc<Shared>,
    local: RefCell<Local>,
}

impl MetricsHub {
    pub fn new_core(self: &Arc<Self>) -> CoreMetrics {
        let shared = Arc::new(Shared::default());
        self.cores
            .lock()
            .expect("metrics lock")
            .push(shared.clone());
        CoreMetrics {
            shared,
            local: RefCell::new(Local {
                by_labels: AHashMap::new(),
                table: Vec::new(),
                series: Vec::new(),
                latency: Vec::new(),
                integration_latency: Vec::new(),
                dirty: Vec::new(),
                is_dirty: Vec::new(),
            }),
        }
    }

    /// Prometheus text exposition of every core's series, summed by labels.
    pub fn render(&self) -> String {
        struct Merged {
            count: u64,
            e4xx: u64,
            e5xx: u64,
            cache_hit: u64,
            cache_miss: u64,
            latency: Histogram<u64>,
            integration_latency: Histogram<u64>,
        }
        let mut merged: std::collections::BTreeMap<Labels, Merged> = Default::default();
        let mut unrouted = 0;
        let mut folded = 0;
        let mut connections = 0;
        for core in self.cores.lock().expect("metrics lock").iter() {
            unrouted += core.unrouted.load(Ordering::Relaxed);
            folded += core.folded.load(Ordering::Relaxed);
            connections += core.connections.load(Ordering::Relaxed);
            for s in core.series.lock().expect("metrics lock").iter() {
                let m = merged.entry(s.labels.clone()).or_insert_with(|| Merged {
                    count: 0,
                    e4xx: 0,
                    e5xx: 0,
                    cache_hit: 0,
                    cache_miss: 0,
                    latency: new_histogram(),
                    integration_latency: new_histogram(),
                });
                m.count += s.count.load(Ordering::Relaxed);
                m.e4xx += s.e4xx.load(Ordering::Relaxed);
                m.e5xx += s.e5xx.load(Ordering::Relaxed);
                m.cache_hit += s.cache_hit.load(Ordering::Relaxed);
                m.cache_miss += s.cache_miss.load(Ordering::Relaxed);
                let _ = m.latency.add(&*s.latency.lock().expect("metrics lock"));
                let _ = m
                    .integration_latency
                    .add(&*s.integration_latency.lock().expect("metrics lock"));
            }
        }
        let mut out = String::new();
        let label = |l: &Labels| {
            format!(
                "api=\"{}\",api_name=\"{}\",stage=\"{}\",{}resource=\"{}\",method=\"{}\"",
                escape(&l.api_id),
                escape(&l.api_name),
                escape(&l.stage),
                if l.canary { "canary=\"true\"," } else { "" },
                escape(&l.resource),
                escape(&l.method)
            )
        };
        for (name, help, pick) in [
            ("tollgate_count", "Requests (CloudWatch Count)", 0),
            (
                "tollgate_4xxerror",
                "Client-side errors (CloudWatch 4XXError)",
                1,
            ),
            (
                "tollgate_5xxerror",
                "Server-side errors (CloudWatch 5XXError)",
                2,
            ),
            (
                "tollgate_cachehitcount",
                "Requests served from the stage cache (CloudWatch CacheHitCount)",
                3,
            ),
            (
                "tollgate_cachemisscount",
                "Requests of cached methods served by the backend (CloudWatch CacheMissCount)",
                4,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}.\n# TYPE {name} counter");
            for (l, m) in &merged {
                let v = [m.count, m.e4xx, m.e5xx, m.cache_hit, m.cache_miss][pick];
                let _ = writeln!(out, "{name}{{{}}} {v}", label(l));
            }
        }
        for (name, help, integration) in [
            (
                "tollgate_latency_ms",
                "Time from request received to response sent (CloudWatch Latency)",
                false,
            ),
            (
                "tollgate_integration_latency_ms",
                "Time spent in the backend (CloudWatch IntegrationLatency)",
                true,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}.\n# TYPE {name} summary");
            for (l, m) in &merged {
                let h = if integration {
                    &m.integration_latency
                } else {
                    &m.latency
                };
                let labels = label(l);
                for q in [0.5, 0.9, 0.99] {
                    let v = h.value_at_quantile(q) as f64 / 1000.0;
                    let _ = writeln!(out, "{name}{{{labels},quantile=\"{q}\"}} {v}");
                }
                let sum = h.mean() * h.len() as f64 / 1000.0;
                let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
                let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.len());
            }
        }
        let _ = writeln!(
            out,
            "# HELP tollgate_unrouted_total Requests that matched no API, stage or resource.\n# TYPE tollgate_unrouted_total counter\ntollgate_unrouted_total {unrouted}"
        );
        let _ = writeln!(
            out,
            "# HELP tollgate_connections_open Client connections open now (as of each worker's last tick).\n# TYPE tollgate_connections_open gauge\ntollgate_connections_open {connections}"
        );
        let _ = writeln!(
            out,
            "# HELP tollgate_log_lines_folded_total Error log lines folded into a count by the per-upstream, per-cause limit (as of each worker's last tick).\n# TYPE tollgate_log_lines_folded_total counter\ntollgate_log_lines_folded_total {folded}"
        );
        crate::runtime::access_log::render_metrics(&mut out);
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl CoreMetrics {
    /// Maps every method of a newly adopted snapshot to its series, creating missing ones.
    pub fn adopt(&self, snap: &Snapshot) {
        let mut local = self.local.borrow_mut();
        let local = &mut *local;
        let mut table = Vec::with_capacity(snap.apis.len());
        for api in &snap.apis {
            let mut stages = Vec::with_capacity(api.stages.len());
            for (i, stage) in api.stages.iter().enumerate() {
                let canary = api.is_canary(i);
                let mut methods = Vec::with_capacity(stage.methods.len());
                for m in &stage.methods {
                    let labels = Labels {
                        api_id: api.id.clone(),
                        api_name: api.name.clone(),
                        stage: stage.name.clone(),
                        resource: m.resource_path.clone(),
                        method: m.http_method.clone(),
                        canary,
                    };
                    let slot = match local.by_labels.get(&labels) {
                        Some(s) => *s,
                        None => {
                            let slot = Slot(local.series.len() as u32);
                            let series = Arc::new(Series {
                                labels: labels.clone(),
                                count: AtomicU64::new(0),
                                e4xx: AtomicU64::new(0),
                                e5xx: AtomicU64::new(0),
                                cache_hit: AtomicU64::new(0),
                                cache_miss: AtomicU64::new(0),
                                latency: Mutex::new(new_histogram()),
                                integration_latency: Mutex::new(new_histogram()),
                            });
                            self.shared
                                .series
                                .lock()
                                .expect("metrics lock")
                                .push(series.clone());
                            local.series.push(series);
                            local.latency.push(new_histogram());
                            local.integration_latency.push(new_histogram());
                            local.is_dirty.push(false);
                            local.by_labels.insert(labels, slot);
                            slot
                        }
                    };
                    methods.push(slot);
                }
                stages.push(methods);
            }
            table.push(stages);
        }
        local.table = table;
        let n = local.series.len();
        if local.dirty.capacity() < n {
            local.dirty.reserve(n - local.dirty.len());
        }
    }

    /// The series of a routed request, resolved against the adopted snapshot.
    pub fn slot(&self, api: ApiIdx, stage: StageIdx, method: MethodIdx) -> Option<Slot> {
        let local = self.local.borrow();
        let methods = local.table.get(api.0 as usize)?.get(stage.0 as usize)?;
        methods.get(method.0 as usize).copied()
    }

    pub fn record(&self, slot: Slot, status: u16, latency_us: u64, integration_us: Option<u64>) {
        let mut local = self.local.borrow_mut();
        let i = slot.0 as usize;
        let Some(series) = local.series.get(i) else {
            return;
        };
        series.count.fetch_add(1, Ordering::Relaxed);
        match status {
            400..=499 => {
                series.e4xx.fetch_add(1, Ordering::Relaxed);
            }
            500..=599 => {
                series.e5xx.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        let _ = local.latency[i].record(latency_us.max(1));
        if let Some(us) = integration_us {
            let _ = local.integration_latency[i].record(us.max(1));
        }
        // `dirty` has capacity for every series (reserved at adoption), so this never allocates.
        if !local.is_dirty[i] {
            local.is_dirty[i] = true;
            local.dirty.push(slot);
        }
    }

    /// Counts a cached method's request as a cache hit or miss (a bypass counts as neither).
    pub fn record_cache(&self, slot: Slot, status: crate::pipeline::cache::CacheStatus) {
        use crate::pipeline::cache::CacheStatus;
        let local = self.local.borrow();
        let Some(series) = local.series.get(slot.0 as usize) else {
            return;
        };
        match status {
            CacheStatus::Hit => series.cache_hit.fetch_add(1, Ordering::Relaxed),
            CacheStatus::Miss => series.cache_miss.fetch_add(1, Ordering::Relaxed),
            CacheStatus::Bypass => 0,
        };
    }

    /// Publishes this core's open connection count (a worker tick, not per connection).
    pub fn set_connections(&self, open: usize) {
        self.shared
            .connections
            .store(open as u64, Ordering::Relaxed);
    }

    pub fn record_unrouted(&self) {
        self.shared.unrouted.fetch_add(1, Ordering::Relaxed);
    }

    /// Copies changed core-local histograms into the shared slots the scraper reads. Called off
    /// the request path by a worker tick; no allocation (same-shaped histograms).
    pub fn publish(&self) {
        self.shared
            .folded
            .store(super::log_fold::folded_total(), Ordering::Relaxed);
        let mut local = self.local.borrow_mut();
        let local = &mut *local;
        for slot in local.dirty.drain(..) {
            let i = slot.0 as usize;
            local.is_dirty[i] = false;
            let series = &local.series[i];
            if let Ok(mut h) = series.latency.lock() {
                h.reset();
                let _ = h.add(&local.latency[i]);
            }
            if let Ok(mut h) = series.integration_latency.lock() {
                h.reset();
                let _ = h.add(&local.integration_latency[i]);
            }
        }
    }
}
