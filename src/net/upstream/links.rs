//! A worker's own view of its VPC links: which target comes next (round robin) and which targets
//! it has ejected after connect failures (passive ejection, per worker, as Envoy's outlier
//! detection is per worker too).
//!
//! `pick` prefers targets that are healthy (active checks, `core::links`) and not ejected here;
//! when none of those is left it falls back to the others (fail open: a health checker that
//! sees every target down must not turn every request into a 503 if some still answer). A
//! request never tries a target twice (`tried` is a bit set). Nothing here allocates after
//! `Rotation::new`, and time is passed in, so tests drive it.

use crate::core::links::{EjectPolicy, TargetView};
use std::cell::Cell;
use std::net::SocketAddr;
use std::time::Instant;

#[derive(Default)]
struct TargetState {
    /// Connect failures in a row on this worker.
    failures: Cell<u32>,
    ejected_until: Cell<Option<Instant>>,
}

struct LinkState {
    next: Cell<usize>,
    targets: Box<[TargetState]>,
}

pub struct Rotation {
    links: Box<[LinkState]>,
}

impl Rotation {
    /// `shape`: targets per link (index = `LinkId.0`).
    pub fn new(shape: &[usize]) -> Rotation {
        Rotation {
            links: shape
                .iter()
                .map(|&n| LinkState {
                    next: Cell::new(0),
                    targets: (0..n).map(|_| TargetState::default()).collect(),
                })
                .collect(),
        }
    }

    /// The next target of `link` to try and its address: round robin over the usable targets
    /// (healthy, not ejected here, address known) not in `tried`, then over the rest that have an
    /// address. `None` when every target with an address was tried.
    pub fn pick(
        &self,
        link: usize,
        views: &[TargetView],
        now: Instant,
        tried: u64,
    ) -> Option<(usize, SocketAddr)> {
        let state = self.links.get(link)?;
        let n = views.len().min(state.targets.len());
        let start = state.next.get();
        let candidate = |k: usize, strict: bool| {
            let t = (start + k) % n;
            let view = views[t];
            let addr = view.addr?;
            if tried & (1 << t) != 0 {
                return None;
            }
            let ejected = state.targets[t]
                .ejected_until
                .get()
                .is_some_and(|u| u > now);
            (!strict || (view.healthy && !ejected)).then_some((t, addr))
        };
        let found = (0..n)
            .find_map(|k| candidate(k, true))
            .or_else(|| (0..n).find_map(|k| candidate(k, false)))?;
        state.next.set(found.0 + 1);
        Some(found)
    }

    /// A connection to the target opened: its failure count starts again.
    pub fn connected(&self, link: usize, target: usize) {
        if let Some(t) = self.target(link, target) {
            t.failures.set(0);
            t.ejected_until.set(None);
        }
    }

    /// A connection to the target could not be opened (refused, unreachable, timed out).
    pub fn failed(&self, link: usize, target: usize, now: Instant, policy: EjectPolicy) {
        let Some(t) = self.target(link, target) else {
            return;
        };
        let failures = t.failures.get().saturating_add(1);
        t.failures.set(failures);
        if failures >= policy.after_failures {
            t.ejected_until.set(Some(now + policy.duration));
            t.failures.set(0);
        }
    }

    fn target(&self, link: usize, target: usize) -> Option<&TargetState> {
        self.links.get(link)?.targets.get(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn view(port: u16, healthy: bool) -> TargetView {
        TargetView {
            addr: Some(SocketAddr::from(([127, 0, 0, 1], port))),
            healthy,
        }
    }

    fn ports(r: &Rotation, views: &[TargetView], now: Instant, picks: usize) -> Vec<u16> {
        (0..picks)
            .map(|_| r.pick(0, views, now, 0).map_or(0, |(_, a)| a.port()))
            .collect()
    }

    const POLICY: EjectPolicy = EjectPolicy {
        after_failures: 2,
        duration: Duration::from_secs(10),
    };

    #[test]
    fn balances_round_robin_over_healthy_targets() {
        let r = Rotation::new(&[3]);
        let now = Instant::now();
        let all = [view(1, true), view(2, true), view(3, true)];
        assert_eq!(ports(&r, &all, now, 6), [1, 2, 3, 1, 2, 3]);
        let one_down = [view(1, true), view(2, false), view(3, true)];
        assert_eq!(ports(&r, &one_down, now, 4), [1, 3, 1, 3]);
        let unresolved = [
            view(1, true),
            TargetView {
                addr: None,
                healthy: true,
            },
        ];
        let r = Rotation::new(&[2]);
        assert_eq!(ports(&r, &unresolved, now, 3), [1, 1, 1]);
    }

    #[test]
    fn every_target_unhealthy_still_tries_them_all() {
        let r = Rotation::new(&[2]);
        let now = Instant::now();
        let views = [view(1, false), view(2, false)];
        let (a, _) = r.pick(0, &views, now, 0).unwrap();
        let (b, _) = r.pick(0, &views, now, 1 << a).unwrap();
        assert_ne!(a, b);
        assert_eq!(r.pick(0, &views, now, (1 << a) | (1 << b)), None);
    }

    #[test]
    fn ejection_takes_a_target_out_until_it_expires() {
        let r = Rotation::new(&[2]);
        let t0 = Instant::now();
        let views = [view(1, true), view(2, true)];
        r.failed(0, 0, t0, POLICY);
        assert_eq!(
            ports(&r, &views, t0, 2),
            [1, 2],
            "one failure is below the threshold"
        );
        r.failed(0, 0, t0, POLICY);
        assert_eq!(ports(&r, &views, t0, 3), [2, 2, 2], "ejected");
        // Ejected, and the other target already tried: the ejected one is still a last resort.
        assert_eq!(r.pick(0, &views, t0, 1 << 1).map(|(t, _)| t), Some(0));
        let later = t0 + Duration::from_secs(11);
        let both = |mut p: Vec<u16>| {
            p.sort_unstable();
            p
        };
        assert_eq!(
            both(ports(&r, &views, later, 2)),
            [1, 2],
            "back after eject_ms"
        );
        r.failed(0, 1, later, POLICY);
        r.connected(0, 1);
        r.failed(0, 1, later, POLICY);
        assert_eq!(
            both(ports(&r, &views, later, 2)),
            [1, 2],
            "a success resets the count"
        );
    }
}
