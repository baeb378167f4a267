//! The control plane's resolver: looks up every upstream host name off the worker threads and
//! publishes the answers into the `core::addrs::AddrBook` the workers read.
//!
//! One thread owns the schedule. It learns names from the published snapshot (upstream ids are
//! stable, so an id keeps its name), looks each up when it first appears, and again every
//! `Timing::refresh` (getaddrinfo gives no TTL, so the refresh is fixed). Lookups run on short-lived
//! threads, at most `MAX_LOOKUPS` at once, so one slow name never holds up the others. A failed
//! refresh keeps the last good address and is retried after `Timing::retry`; a name that never
//! resolved is published as `Failed` so requests for it fail at once instead of waiting.
//!
//! The thread holds only a `Weak` to the book and exits when the workers' side is dropped.

use crate::core::addrs::{ip_literal, AddrBook, Entry, Nudge};
use crate::core::links::LinkTable;
use crate::deploy::publish::SnapshotCell;
use crate::deploy::snapshot::UpstreamId;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// Lookups in flight at once; the rest wait their turn.
const MAX_LOOKUPS: usize = 4;
/// The longest the thread sleeps without looking for a new snapshot or a dropped book.
const SCAN_EVERY: Duration = Duration::from_secs(1);

/// Resolves `(host, port)` to one address. Injectable so tests can use a slow or scripted fake.
pub type Lookup = Arc<dyn Fn(&str, u16) -> io::Result<SocketAddr> + Send + Sync>;

#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long an answer is used before the name is looked up again.
    pub refresh: Duration,
    /// How soon a failed lookup is tried again.
    pub retry: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            refresh: Duration::from_secs(30),
            retry: Duration::from_secs(5),
        }
    }
}

/// The system resolver (getaddrinfo): the first address it returns, as the worker used before.
pub fn system_lookup() -> Lookup {
    Arc::new(|host: &str, port: u16| {
        (host, port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address for the name"))
    })
}

/// The lookup the gateway runs with: the system resolver, unless `TOLLGATE_TEST_DNS` names a
/// test zone. TEST ONLY: `TOLLGATE_TEST_DNS="name=ip[@delay_ms],..."` answers each listed name
/// with `ip` after `delay_ms` (other names go to the system resolver). It exists so black-box
/// tests can make one name slow without a DNS server; it only ever delays this thread's lookups.
pub fn lookup_from_env() -> Lookup {
    match std::env::var("TOLLGATE_TEST_DNS") {
        Ok(zone) if !zone.is_empty() => match test_zone(&zone) {
            Ok(l) => {
                eprintln!("dns: TOLLGATE_TEST_DNS test zone in use ({zone})");
                l
            }
            Err(e) => {
                eprintln!("dns: ignoring TOLLGATE_TEST_DNS: {e}");
                system_lookup()
            }
        },
        _ => system_lookup(),
    }
}

fn test_zone(zone: &str) -> Result<Lookup, String> {
    let mut names = Vec::new();
    for item in zone.split(',') {
        let (name, answer) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?} is not name=ip[@ms]"))?;
        let (ip, ms) = answer.split_once('@').unwrap_or((answer, "0"));
        let ip: std::net::IpAddr = ip.parse().map_err(|_| format!("{ip:?} is not an IP"))?;
        let ms: u64 = ms
            .parse()
            .map_err(|_| format!("{ms:?} is not milliseconds"))?;
        names.push((name.to_ascii_lowercase(), ip, Duration::from_millis(ms)));
    }
    let system = system_lookup();
    Ok(Arc::new(move |host: &str, port: u16| {
        match names.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(host)) {
            Some((_, ip, delay)) => {
                std::thread::sleep(*delay);
                Ok(SocketAddr::new(*ip, port))
            }
            None => system(host, port),
        }
    }))
}

/// Starts the resolver thread for the upstreams of the snapshots published in `cell`.
/// `links` (the VPC link targets) travels in the same book; `runtime::health` keeps it current.
pub fn start(
    cell: Arc<SnapshotCell>,
    lookup: Lookup,
    timing: Timing,
    links: LinkTable,
) -> io::Result<Arc<AddrBook>> {
    let (tx, rx) = mpsc::channel();
    let book = Arc::new(AddrBook::with_links(tx.clone(), links));
    let weak = Arc::downgrade(&book);
    std::thread::Builder::new()
        .name("tollgate-dns".into())
        .spawn(move || {
            Schedule {
                cell,
                lookup,
                timing,
                answers: tx,
                names: Vec::new(),
                entries: Vec::new(),
                seen: None,
                in_flight: 0,
            }
            .run(weak, rx)
        })?;
    Ok(book)
}

/// One upstream name's place in the schedule.
struct Name {
    host: Box<str>,
    port: u16,
    /// `None` for IP literals, which are never looked up.
    due: Option<Instant>,
    in_flight: bool,
}

struct Schedule {
    cell: Arc<SnapshotCell>,
    lookup: Lookup,
    timing: Timing,
    answers: mpsc::Sender<Nudge>,
    names: Vec<Name>,
    entries: Vec<Entry>,
    seen: Option<u64>,
    in_flight: usize,
}

impl Schedule {
    fn run(mut self, book: Weak<AddrBook>, rx: mpsc::Receiver<Nudge>) {
        loop {
            self.learn_names();
            self.dispatch(Instant::now());
            let wait = self.next_wake(Instant::now());
            let mut changed = false;
            match rx.recv_timeout(wait) {
                Ok(msg) => changed |= self.take(msg),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            while let Ok(msg) = rx.try_recv() {
                changed |= self.take(msg);
            }
            let Some(book) = book.upgrade() else { return };
            if changed {
                book.publish(self.entries.clone());
            }
        }
    }

    /// Adds the names of upstreams interned since the last look (ids are never reused).
    fn learn_names(&mut self) {
        let generation = self.cell.generation();
        if self.seen == Some(generation) {
            return;
        }
        self.seen = Some(generation);
        let snap = self.cell.load();
        let now = Instant::now();
        for up in &snap.upstreams[self.names.len().min(snap.upstreams.len())..] {
            // A VPC link's connections go to its targets (resolved by `runtime::health`): its
            // URI host only names the `Host` header, and may not resolve here at all.
            let due = (up.link.is_none() && ip_literal(&up.host).is_none()).then_some(now);
            self.names.push(Name {
                host: up.host.clone(),
                port: up.port,
                due,
                in_flight: false,
            });
            self.entries.push(Entry::Pending);
        }
    }

    /// Starts the lookups that are due, up to `MAX_LOOKUPS` in flight, oldest first.
    fn dispatch(&mut self, now: Instant) {
        while self.in_flight < MAX_LOOKUPS {
            let next = self
                .names
                .iter()
                .enumerate()
                .filter(|(_, n)| !n.in_flight && n.due.is_some_and(|d| d <= now))
                .min_by_key(|(_, n)| n.due)
                .map(|(i, _)| i);
            let Some(i) = next else { return };
            let name = &mut self.names[i];
            name.in_flight = true;
            self.in_flight += 1;
            let (host, port) = (name.host.clone(), name.port);
            let (lookup, answers) = (self.lookup.clone(), self.answers.clone());
            let id = UpstreamId(i as u32);
            let spawned = std::thread::Builder::new()
                .name("tollgate-dns-lookup".into())
                .spawn(move || {
                    let result = lookup(&host, port);
                    let _ = answers.send(Nudge::Answer { id, result });
                });
            if let Err(e) = spawned {
                // No thread to look it up: count it as a failed lookup so it is retried later.
                let _ = self.answers.send(Nudge::Answer { id, result: Err(e) });
            }
        }
    }

    /// Records a message; true when the published table changes.
    fn take(&mut self, msg: Nudge) -> bool {
        let Nudge::Answer { id, result } = msg else {
            return false;
        };
        let i = id.0 as usize;
        let (Some(name), Some(entry)) = (self.names.get_mut(i), self.entries.get_mut(i)) else {
            return false;
        };
        name.in_flight = false;
        self.in_flight -= 1;
        let now = Instant::now();
        let before = *entry;
        match result {
            Ok(addr) => {
                *entry = Entry::Ready(addr);
                name.due = Some(now + self.timing.refresh);
            }
            Err(e) => {
                if !matches!(entry, Entry::Ready(_)) {
                    *entry = Entry::Failed;
                }
                if before != Entry::Failed {
                    eprintln!(
                        "dns: cannot resolve {}:{} ({e}); {}",
                        name.host,
                        name.port,
                        if matches!(entry, Entry::Ready(_)) {
                            "keeping the last good address"
                        } else {
                            "requests to it fail until it resolves"
                        }
                    );
                }
                name.due = Some(now + self.timing.retry);
            }
        }
        *entry != before
    }

    /// How long to sleep: until the next lookup is due, at most `SCAN_EVERY`.
    fn next_wake(&self, now: Instant) -> Duration {
        let next = if self.in_flight >= MAX_LOOKUPS {
            None
        } else {
            self.names
                .iter()
                .filter(|n| !n.in_flight)
                .filter_map(|n| n.due)
                .min()
        };
        next.map_or(SCAN_EVERY, |due| due.saturating_duration_since(now))
            .min(SCAN_EVERY)
    }
}

#[cfg(test)]
#[path = "resolver_tests.rs"]
mod tests;
