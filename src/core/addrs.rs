//! Upstream addresses as the workers read them: a table indexed by `UpstreamId` that the control
//! plane's resolver (`runtime::resolver`) fills and workers only read.
//!
//! A worker never calls `getaddrinfo`: it reads the table once per new backend connection (one
//! `ArcSwap` load, no lock, no allocation). An IP literal never touches the table. A name not yet
//! answered is waited for asynchronously — the worker keeps serving its other connections — up to
//! the caller's limit; the resolver is nudged so a name seen for the first time is looked up now
//! rather than at its next scan.
//!
//! Invariant: entries only move forward (`Pending` → `Ready`/`Failed`, `Failed` → `Ready`); the
//! resolver keeps the last good address when a refresh fails, so a DNS outage does not take down
//! an upstream that was reachable.

use crate::core::links::LinkTable;
use crate::deploy::snapshot::{Upstream, UpstreamId};
use arc_swap::ArcSwap;
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// First and longest pause between two looks at a pending name.
const FIRST_POLL: Duration = Duration::from_millis(1);
const MAX_POLL: Duration = Duration::from_millis(50);

/// What the resolver knows of one upstream's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Not answered yet (or an IP literal, which is never looked up).
    Pending,
    Ready(SocketAddr),
    /// The lookup failed and no earlier answer exists; the resolver retries it.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    #[error("the name did not resolve")]
    Unresolvable,
    #[error("no answer for the name within the wait limit")]
    NotYet,
}

/// The shared table. Workers hold it in an `Arc`; the resolver thread holds a `Weak` and stops
/// once the last worker side is dropped.
pub struct AddrBook {
    entries: ArcSwap<Vec<Entry>>,
    /// VPC link targets and their health (`runtime::health` publishes, workers read).
    links: LinkTable,
    /// Wakes the resolver to rescan the snapshot (a worker met a name it has no answer for).
    nudge: mpsc::Sender<Nudge>,
}

/// Messages to the resolver thread; `Answer` comes from its own lookup threads.
#[derive(Debug)]
pub enum Nudge {
    Rescan,
    Answer {
        id: UpstreamId,
        result: std::io::Result<SocketAddr>,
    },
}

impl AddrBook {
    pub fn new(nudge: mpsc::Sender<Nudge>) -> AddrBook {
        AddrBook::with_links(nudge, LinkTable::default())
    }

    pub fn with_links(nudge: mpsc::Sender<Nudge>, links: LinkTable) -> AddrBook {
        AddrBook {
            entries: ArcSwap::from_pointee(Vec::new()),
            links,
            nudge,
        }
    }

    /// The VPC link targets (`connectionType: VPC_LINK` upstreams connect to these).
    pub fn links(&self) -> &LinkTable {
        &self.links
    }

    /// A table no resolver serves: every name stays pending. For in-memory pipelines whose
    /// backends are fakes (names are never looked up there).
    pub fn unserved() -> AddrBook {
        AddrBook::new(mpsc::channel().0)
    }

    /// The entry for `id` right now.
    pub fn get(&self, id: UpstreamId) -> Entry {
        self.entries
            .load()
            .get(id.0 as usize)
            .copied()
            .unwrap_or(Entry::Pending)
    }

    /// Replaces the whole table (resolver side; entries are copied, so workers never see a torn
    /// update).
    pub fn publish(&self, entries: Vec<Entry>) {
        self.entries.store(Arc::new(entries));
    }

    /// The address to connect to for `up`: immediately for an IP literal or a resolved name,
    /// otherwise after waiting (without blocking the thread) at most `wait` for the resolver.
    pub async fn address(
        &self,
        id: UpstreamId,
        up: &Upstream,
        wait: Duration,
    ) -> Result<SocketAddr, AddrError> {
        if let Some(ip) = ip_literal(&up.host) {
            return Ok(SocketAddr::new(ip, up.port));
        }
        match self.get(id) {
            Entry::Ready(addr) => Ok(addr),
            Entry::Failed => Err(AddrError::Unresolvable),
            Entry::Pending => self.wait_for(id, wait).await,
        }
    }

    /// Asks the resolver to look at the published snapshot now rather than at its next scan.
    pub fn rescan(&self) {
        // Fails only when the resolver thread is gone; waiting workers then time out.
        let _ = self.nudge.send(Nudge::Rescan);
    }

    #[cold]
    async fn wait_for(&self, id: UpstreamId, wait: Duration) -> Result<SocketAddr, AddrError> {
        self.rescan();
        let until = Instant::now() + wait;
        let mut pause = FIRST_POLL;
        loop {
            let now = Instant::now();
            if now >= until {
                return Err(AddrError::NotYet);
            }
            monoio::time::sleep(pause.min(until - now)).await;
            pause = (pause * 2).min(MAX_POLL);
            match self.get(id) {
                Entry::Ready(addr) => return Ok(addr),
                Entry::Failed => return Err(AddrError::Unresolvable),
                Entry::Pending => {}
            }
        }
    }
}

/// `host` as an IP address when it is one (IPv6 in URI brackets or bare).
pub fn ip_literal(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::snapshot::Scheme;

    fn upstream(host: &str) -> Upstream {
        Upstream {
            scheme: Scheme::Http,
            host: host.into(),
            port: 8080,
            authority: host.into(),
            tls_skip_verify: false,
            client_cert: None,
            link: None,
        }
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .enable_timer()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn ip_literals_are_answered_without_the_table() {
        let (tx, rx) = mpsc::channel();
        let book = AddrBook::new(tx);
        for (host, want) in [
            ("127.0.0.1", "127.0.0.1:8080"),
            ("[::1]", "[::1]:8080"),
            ("::1", "[::1]:8080"),
        ] {
            let got = run(book.address(UpstreamId(0), &upstream(host), Duration::ZERO));
            assert_eq!(got, Ok(want.parse().unwrap()), "{host}");
        }
        assert!(rx.try_recv().is_err(), "an IP literal nudged the resolver");
    }

    #[test]
    fn a_pending_name_waits_then_fails_and_nudges_the_resolver() {
        let (tx, rx) = mpsc::channel();
        let book = AddrBook::new(tx);
        let started = Instant::now();
        let got = run(book.address(
            UpstreamId(3),
            &upstream("a.test"),
            Duration::from_millis(80),
        ));
        assert_eq!(got, Err(AddrError::NotYet));
        assert!(started.elapsed() >= Duration::from_millis(80));
        assert!(matches!(rx.try_recv(), Ok(Nudge::Rescan)));
    }

    #[test]
    fn a_waiting_worker_sees_the_answer_when_it_is_published() {
        let (tx, _rx) = mpsc::channel();
        let book = AddrBook::new(tx);
        let addr: SocketAddr = "10.0.0.7:8080".parse().unwrap();
        let got = run(async {
            let publish = async {
                monoio::time::sleep(Duration::from_millis(20)).await;
                book.publish(vec![Entry::Pending, Entry::Ready(addr)]);
            };
            let up = upstream("b.test");
            let wait = book.address(UpstreamId(1), &up, Duration::from_secs(5));
            monoio::join!(publish, wait).1
        });
        assert_eq!(got, Ok(addr));
        book.publish(vec![Entry::Failed]);
        let failed = run(book.address(UpstreamId(0), &upstream("c.test"), Duration::from_secs(5)));
        assert_eq!(
            failed,
            Err(AddrError::Unresolvable),
            "a failed name fails at once"
        );
    }
}
