//! Start-up and shutdown: one pinned monoio runtime per worker, each with its own `SO_REUSEPORT`
//! listener and `Core`; the drain on SIGTERM.
//!
//! Workers share nothing on the request path. What crosses threads: the published snapshot (one
//! atomic load per request), the drain flag (read per request, written once), and the metrics
//! series (owned by their core, read at scrape), upstream addresses (resolved by the
//! `resolver` thread, one atomic load per new backend connection), and VPC link target health
//! (probed by the `health` thread, one atomic load per request to a link).

pub mod access_log;
pub mod drain;
pub mod driver;
pub mod health;
pub mod memory;
pub mod resolver;

use crate::core::metrics::MetricsHub;
use crate::core::{Core, WorkerConfig};
use crate::deploy::publish::SnapshotCell;
use crate::net;
use crate::settings::{DriverChoice, Settings};
use drain::Drain;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a worker copies its latency histograms to where the scraper reads them.
const METRICS_PUBLISH: Duration = Duration::from_millis(250);

pub struct Workers {
    pub listen: SocketAddr,
    pub drivers: Vec<driver::Kind>,
    drain: Arc<Drain>,
    count: usize,
}

impl WorkerConfig {
    pub fn from_settings(s: &Settings) -> WorkerConfig {
        WorkerConfig {
            limits: s.limits,
            header_timeout: s.header_timeout,
            idle_timeout: s.idle_timeout,
            connect_timeout: s.connect_timeout,
            pool_idle_per_upstream: s.pool_idle_per_upstream,
            workers: s.worker_count(),
        }
    }
}

/// Binds every worker's listener and starts the workers; returns once all of them run.
pub fn start(
    settings: &Settings,
    cell: Arc<SnapshotCell>,
    hub: Arc<MetricsHub>,
) -> io::Result<Workers> {
    let n = settings.worker_count();
    let listeners = net::listener::bind_workers(settings.listen, n)?;
    let listen = listeners[0].local_addr()?;
    let drain = Arc::new(Drain::default());
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    // Host names in integration URIs are resolved here, off the worker threads.
    let addrs = resolver::start(
        cell.clone(),
        resolver::lookup_from_env(),
        Default::default(),
        crate::core::links::LinkTable::new(&settings.vpc_links),
    )?;
    // VPC link targets are probed here too, off the workers.
    health::start(&addrs, &settings.vpc_links, resolver::lookup_from_env())?;
    let (tx, rx) = mpsc::channel::<io::Result<driver::Kind>>();
    for (i, listener) in listeners.into_iter().enumerate() {
        let config = WorkerConfig::from_settings(settings);
        let cell = cell.clone();
        let metrics = hub.new_core();
        let drain = drain.clone();
        let addrs = addrs.clone();
        let tx = tx.clone();
        let tx_err = tx.clone();
        let pin = cores.get(i % cores.len().max(1)).copied();
        let choice = settings.driver;
        std::thread::Builder::new()
            .name(format!("tollgate-w{i}"))
            .spawn(move || {
                if let Some(id) = pin {
                    core_affinity::set_for_current(id);
                }
                let worker = move |kind: driver::Kind| {
                    let _ = tx.send(Ok(kind));
                    let mut core = Core::new(i, config, cell, metrics, drain.flag(), addrs);
                    core.access_log = crate::core::access_log::CoreLog::register();
                    let core = Rc::new(core);
                    async move { worker_main(core, listener, drain).await }
                };
                // A panicking worker would leave the process serving on fewer cores without
                // saying so; exit instead, so the supervisor (systemd) restarts a whole gateway.
                let run = std::panic::AssertUnwindSafe(|| driver::run(choice, i, worker));
                match std::panic::catch_unwind(run) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        let _ = tx_err.send(Err(e));
                    }
                    Err(_) => {
                        eprintln!(
                            "worker {i} panicked; exiting so the supervisor restarts tollgate"
                        );
                        std::process::exit(70);
                    }
                }
            })?;
    }
    drop(tx);
    let mut drivers = Vec::with_capacity(n);
    for _ in 0..n {
        match rx.recv() {
            Ok(Ok(kind)) => drivers.push(kind),
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(io::Error::other("a worker exited during start-up")),
        }
    }
    Ok(Workers {
        listen,
        drivers,
        drain,
        count: n,
    })
}

impl Workers {
    /// Stops accepting, lets in-flight requests finish, and returns when all workers are idle or
    /// `timeout` passed (true = drained cleanly).
    pub fn drain(&self, timeout: Duration) -> bool {
        self.drain.start();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.drain.idle_workers() >= self.count {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }
}

async fn worker_main(core: Rc<Core>, listener: std::net::TcpListener, drain: Arc<Drain>) {
    let listener = match monoio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("worker {}: cannot adopt listener: {e}", core.index);
            return;
        }
    };
    let ticker = core.clone();
    monoio::spawn(async move {
        let trim = memory::Trim::default();
        loop {
            monoio::time::sleep(METRICS_PUBLISH).await;
            ticker.metrics.publish();
            ticker.access_log.flush();
            let open = ticker.connections.get();
            ticker.metrics.set_connections(open);
            trim.tick(open, ticker.buffers.freed());
        }
    });
    let mut stop = std::pin::pin!(drain.wait());
    loop {
        monoio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    monoio::spawn(net::conn::serve(core.clone(), stream, peer));
                }
                Err(e) => {
                    // Out of descriptors or memory: back off instead of spinning.
                    eprintln!("worker {}: accept failed: {e}", core.index);
                    monoio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
    drop(listener);
    while core.in_flight() > 0 {
        monoio::time::sleep(Duration::from_millis(5)).await;
    }
    core.metrics.publish();
    core.access_log.flush();
    drain.worker_idle();
    // Keep serving the requests of connections that are mid-request until the process exits.
    std::future::pending::<()>().await;
}

pub fn driver_name(choice: DriverChoice) -> &'static str {
    match choice {
        DriverChoice::Auto => "auto",
        DriverChoice::Uring => "uring",
        DriverChoice::Epoll => "epoll",
    }
}
