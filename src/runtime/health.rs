//! The control plane's VPC link health checker: probes every link target off the worker threads
//! and publishes addresses and health into the table the workers read (`core::links`, inside the
//! `AddrBook`).
//!
//! One thread owns the schedule; each due round runs its probes on short-lived scoped threads so a
//! target that hangs until its timeout does not delay the others. A probe resolves a name target
//! (the last good address is kept when a lookup fails), opens a TCP connection and, when the link
//! has a `health_check.path`, sends `GET path` and wants a 2xx or 3xx status. A target turns
//! unhealthy after `unhealthy_threshold` failed probes in a row and healthy again after
//! `healthy_threshold` passed ones; targets start healthy so a fresh gateway serves at once
//! (workers also eject a target that refuses connections, without waiting for a probe).
//!
//! The thread holds only a `Weak` to the book and exits when the workers' side is dropped.

use super::resolver::Lookup;
use crate::core::addrs::{ip_literal, AddrBook};
use crate::core::links::TargetView;
use crate::settings::{HealthCheck, LinkTarget, VpcLinkConfig};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The longest the thread sleeps without looking for a dropped book.
const WAKE_EVERY: Duration = Duration::from_secs(1);

/// One target's run of probe results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub healthy: bool,
    /// Probes in a row whose result disagrees with `healthy`.
    streak: u32,
}

impl Default for Health {
    fn default() -> Health {
        Health {
            healthy: true,
            streak: 0,
        }
    }
}

impl Health {
    /// Records one probe; true when the target changed state.
    pub fn record(&mut self, ok: bool, check: &HealthCheck) -> bool {
        if ok == self.healthy {
            self.streak = 0;
            return false;
        }
        self.streak += 1;
        let needed = if ok {
            check.healthy_threshold
        } else {
            check.unhealthy_threshold
        };
        if self.streak < needed {
            return false;
        }
        self.healthy = ok;
        self.streak = 0;
        true
    }
}

struct Probed {
    link: usize,
    target: LinkTarget,
    view: TargetView,
    health: Health,
    due: Instant,
}

/// Starts the checker for `links` (nothing when there are none).
pub fn start(book: &Arc<AddrBook>, links: &[VpcLinkConfig], lookup: Lookup) -> io::Result<()> {
    if links.is_empty() {
        return Ok(());
    }
    let now = Instant::now();
    let initial = book.links().load();
    let targets = links
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            let views = initial.get(i).cloned().unwrap_or_default();
            l.targets.iter().zip(views).map(move |(t, view)| Probed {
                link: i,
                target: t.clone(),
                view,
                health: Health::default(),
                due: now,
            })
        })
        .collect::<Vec<_>>();
    drop(initial);
    let checks: Vec<HealthCheck> = links.iter().map(|l| l.health.clone()).collect();
    let labels: Vec<String> = links.iter().map(VpcLinkConfig::label).collect();
    let weak = Arc::downgrade(book);
    std::thread::Builder::new()
        .name("tollgate-health".into())
        .spawn(move || run(weak, targets, &checks, &labels, &lookup))?;
    Ok(())
}

fn run(
    book: Weak<AddrBook>,
    mut targets: Vec<Probed>,
    checks: &[HealthCheck],
    labels: &[String],
    lookup: &Lookup,
) {
    loop {
        let now = Instant::now();
        // A wake with nothing due does no work at all (no scope, no allocation).
        let any_due = targets.iter().any(|p| p.due <= now);
        let results: Vec<(usize, (Option<SocketAddr>, bool))> = if !any_due {
            Vec::new()
        } else {
            std::thread::scope(|s| {
                let probes: Vec<_> = targets
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.due <= now)
                    .map(|(i, p)| {
                        let check = &checks[p.link];
                        (
                            i,
                            s.spawn(move || probe(&p.target, p.view.addr, check, lookup)),
                        )
                    })
                    .collect();
                probes
                    .into_iter()
                    .map(|(i, h)| (i, h.join().unwrap_or((None, false))))
                    .collect()
            })
        };
        let mut changed = false;
        for (i, (addr, ok)) in results {
            let p = &mut targets[i];
            let check = &checks[p.link];
            p.due = Instant::now() + check.interval;
            if addr.is_some() && addr != p.view.addr {
                p.view.addr = addr;
                changed = true;
            }
            if p.health.record(ok, check) {
                eprintln!(
                    "vpc link {}: target {} is now {}",
                    labels[p.link],
                    p.target,
                    if p.health.healthy {
                        "healthy"
                    } else {
                        "unhealthy"
                    }
                );
                p.view.healthy = p.health.healthy;
                changed = true;
            }
        }
        let Some(book) = book.upgrade() else { return };
        if changed {
            let mut views: Vec<Vec<TargetView>> = vec![Vec::new(); checks.len()];
            for p in &targets {
                views[p.link].push(p.view);
            }
            book.links().publish(views);
        }
        drop(book);
        let next = targets.iter().map(|p| p.due).min();
        let wait = next.map_or(WAKE_EVERY, |d| d.saturating_duration_since(Instant::now()));
        std::thread::sleep(wait.min(WAKE_EVERY));
    }
}

/// The target's address (resolved now for a name; `known` when the lookup fails) and whether it
/// passed the probe.
fn probe(
    target: &LinkTarget,
    known: Option<SocketAddr>,
    check: &HealthCheck,
    lookup: &Lookup,
) -> (Option<SocketAddr>, bool) {
    let addr = match ip_literal(&target.host) {
        Some(ip) => Some(SocketAddr::new(ip, target.port)),
        None => lookup(&target.host, target.port).ok().or(known),
    };
    let Some(addr) = addr else {
        return (None, false);
    };
    (Some(addr), passes(addr, target, check).unwrap_or(false))
}

fn passes(addr: SocketAddr, target: &LinkTarget, check: &HealthCheck) -> io::Result<bool> {
    let mut s = TcpStream::connect_timeout(&addr, check.timeout)?;
    let Some(path) = &check.path else {
        return Ok(true);
    };
    s.set_read_timeout(Some(check.timeout))?;
    s.set_write_timeout(Some(check.timeout))?;
    // One write: `write!` on the socket would send each piece of the format as its own segment.
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: tollgate-health-check\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes())?;
    // "HTTP/1.1 200": the status code is bytes 9..12 of the status line.
    let mut head = [0u8; 12];
    s.read_exact(&mut head)?;
    Ok(head.starts_with(b"HTTP/1.") && matches!(head[9], b'2' | b'3'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn check(path: Option<&str>) -> HealthCheck {
        HealthCheck {
            path: path.map(Into::into),
            timeout: Duration::from_millis(500),
            ..HealthCheck::default()
        }
    }

    #[test]
    fn thresholds_flip_state_only_after_a_run() {
        let c = HealthCheck {
            healthy_threshold: 2,
            unhealthy_threshold: 3,
            ..HealthCheck::default()
        };
        let mut h = Health::default();
        let seen: Vec<bool> = [false, false, true, false, false, false, true, true]
            .iter()
            .map(|&ok| {
                h.record(ok, &c);
                h.healthy
            })
            .collect();
        assert_eq!(seen, [true, true, true, true, true, false, false, true]);
    }

    fn target(addr: SocketAddr) -> LinkTarget {
        LinkTarget {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }

    #[test]
    fn tcp_and_http_probes() {
        let lookup = super::super::resolver::system_lookup();
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert_eq!(
            probe(&target(closed), None, &check(None), &lookup),
            (Some(closed), false)
        );
        for (status, want) in [("200 OK", true), ("302 Found", true), ("503 Busy", false)] {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = l.local_addr().unwrap();
            let server = std::thread::spawn(move || {
                let (mut s, _) = l.accept().unwrap();
                let mut buf = [0u8; 512];
                let n = s.read(&mut buf).unwrap();
                let _ = write!(s, "HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
                String::from_utf8_lossy(&buf[..n]).into_owned()
            });
            let got = probe(&target(addr), None, &check(Some("/health")), &lookup);
            assert_eq!(got, (Some(addr), want), "{status}");
            let request = server.join().unwrap();
            assert!(request.starts_with("GET /health HTTP/1.1\r\n"), "{request}");
        }
    }
}
