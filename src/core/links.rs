//! VPC link targets as the workers read them: per link, per target, the address to connect to
//! and whether the active health checker (`runtime::health`) finds it healthy.
//!
//! The table's shape (links, targets per link) is fixed at start from `[[vpc_links]]`; only the
//! views change. The health checker publishes a whole new table; a worker loads it (one
//! `ArcSwap` load, no lock, no allocation) when it picks a target, copies the view it needs and
//! lets go before any `.await`.

use crate::settings::VpcLinkConfig;
use arc_swap::ArcSwap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// At most this many targets per link (a worker tracks the ones it tried in a `u64`).
pub const MAX_TARGETS: usize = 64;

/// One target as workers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetView {
    /// `None` until a name target is first resolved.
    pub addr: Option<SocketAddr>,
    /// What the active health checks say; targets start healthy so a new gateway serves at once.
    pub healthy: bool,
}

/// Passive ejection settings of one link (per worker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EjectPolicy {
    pub after_failures: u32,
    pub duration: Duration,
}

#[derive(Default)]
pub struct LinkTable {
    policies: Vec<EjectPolicy>,
    views: ArcSwap<Vec<Vec<TargetView>>>,
}

impl LinkTable {
    pub fn new(links: &[VpcLinkConfig]) -> LinkTable {
        let views = links
            .iter()
            .map(|l| {
                l.targets
                    .iter()
                    .map(|t| TargetView {
                        addr: crate::core::addrs::ip_literal(&t.host)
                            .map(|ip| SocketAddr::new(ip, t.port)),
                        healthy: true,
                    })
                    .collect()
            })
            .collect();
        LinkTable {
            policies: links
                .iter()
                .map(|l| EjectPolicy {
                    after_failures: l.eject_after_failures,
                    duration: l.eject,
                })
                .collect(),
            views: ArcSwap::from_pointee(views),
        }
    }

    /// Targets per link, index = `LinkId.0`.
    pub fn shape(&self) -> Vec<usize> {
        self.views.load().iter().map(Vec::len).collect()
    }

    pub fn policy(&self, link: usize) -> Option<EjectPolicy> {
        self.policies.get(link).copied()
    }

    /// The current views (short-lived: copy what is needed, never hold across `.await`).
    pub fn load(&self) -> arc_swap::Guard<Arc<Vec<Vec<TargetView>>>> {
        self.views.load()
    }

    /// Replaces every view (health checker side). The shape must not change.
    pub fn publish(&self, views: Vec<Vec<TargetView>>) {
        debug_assert_eq!(
            views.iter().map(Vec::len).collect::<Vec<_>>(),
            self.shape(),
            "a link table's shape is fixed"
        );
        self.views.store(Arc::new(views));
    }
}
