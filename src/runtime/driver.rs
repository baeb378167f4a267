//! Picking the I/O driver for a worker: io_uring with a tuned ring by default, falling back to
//! monoio's epoll ("legacy") driver where io_uring is unavailable (containers often block it).
//!
//! The ring is tuned because monoio's default setup costs ~30% more CPU per proxied request than
//! epoll here: COOP_TASKRUN (+TASKRUN_FLAG) stops completion work from interrupting the worker,
//! SINGLE_ISSUER + DEFER_TASKRUN batch completions into the worker's own waits. Each flag needs
//! a newer kernel, so set-ups are tried from most to least tuned.

use crate::settings::DriverChoice;
use monoio::{IoUringDriver, LegacyDriver, RuntimeBuilder};
use std::future::Future;
use std::io;

const RING_ENTRIES: u32 = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Uring,
    Epoll,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Uring => "io_uring",
            Kind::Epoll => "epoll",
        }
    }
}

fn ring_setups() -> [io_uring::Builder; 3] {
    let mut tuned = io_uring::IoUring::builder();
    tuned
        .setup_coop_taskrun()
        .setup_taskrun_flag()
        .setup_single_issuer()
        .setup_defer_taskrun();
    let mut coop = io_uring::IoUring::builder();
    coop.setup_coop_taskrun().setup_taskrun_flag();
    [tuned, coop, io_uring::IoUring::builder()]
}

/// Builds the runtime `choice` asks for on this thread and runs `make(kind)`'s future on it.
pub fn run<F, Fut>(choice: DriverChoice, worker: usize, make: F) -> io::Result<()>
where
    F: FnOnce(Kind) -> Fut,
    Fut: Future<Output = ()>,
{
    if choice != DriverChoice::Epoll {
        let mut last = None;
        for urb in ring_setups() {
            match RuntimeBuilder::<IoUringDriver>::new()
                .with_entries(RING_ENTRIES)
                .uring_builder(urb)
                .enable_timer()
                .build()
            {
                Ok(mut rt) => {
                    eprintln!("worker {worker}: io_uring driver");
                    rt.block_on(make(Kind::Uring));
                    return Ok(());
                }
                Err(e) => last = Some(e),
            }
        }
        let e = last.unwrap_or_else(|| io::Error::other("io_uring unavailable"));
        if choice == DriverChoice::Uring {
            return Err(io::Error::new(
                e.kind(),
                format!("io_uring driver unavailable: {e}"),
            ));
        }
        eprintln!("worker {worker}: io_uring unavailable ({e}); falling back to epoll");
    }
    let mut rt = RuntimeBuilder::<LegacyDriver>::new()
        .enable_timer()
        .build()?;
    eprintln!("worker {worker}: epoll driver");
    rt.block_on(make(Kind::Epoll));
    Ok(())
}
