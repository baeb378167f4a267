//! Per-core keep-alive pools of backend connections, one per `UpstreamId`.
//!
//! LIFO, so the connection most likely still open is reused first and the rest age out. Ids are
//! stable across snapshots (the compiler interns origins), so pools survive a redeploy. A pooled
//! connection owns its read buffer, so reuse costs no allocation. Connections are boxed once, when
//! made: a response's `BodyStream` then carries a pointer, not the socket and buffer, through the
//! pipeline's by-value results (small values are moved inline, large ones by `memcpy`).

use crate::deploy::snapshot::UpstreamId;
use crate::deploy::Snapshot;
use crate::net::stream::UpstreamStream;
use monoio::time::Sleep;
use std::cell::RefCell;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// Backends commonly close idle keep-alive connections after 60–75 s (nginx: 75 s); retiring ours
/// well before keeps the reuse-after-close race (and its retry) rare.
const MAX_IDLE: Duration = Duration::from_secs(30);
/// Initial read buffer for a backend connection; grows for larger heads, up to the head limit.
pub const UPSTREAM_BUF: usize = 16 * 1024;

pub struct UpConn {
    pub stream: UpstreamStream,
    pub rbuf: Vec<u8>,
    pub idle_since: Instant,
    /// True once the connection served a request: a failure before any response byte on such a
    /// connection may be the backend's idle close, which is the only case worth a retry.
    pub reused: bool,
    /// The current exchange's deadline for the next read of its response body, and how far each
    /// read moves it (`BodyStream` keeps them here, in the box, to stay small).
    pub deadline: Instant,
    pub read_timeout: Duration,
    /// The timer every wait on this connection is bounded by, reset to each wait's deadline (see
    /// `wire::Timed`): made once with the connection, so a wait's future holds a pointer to it
    /// instead of a 640-byte timer that every async layer would copy again.
    pub timer: Pin<Box<Sleep>>,
    /// For a VPC link's upstream: which of the link's targets this connection goes to (its pool
    /// is shared by the targets, and a request takes a connection to the target it picked).
    pub target: usize,
}

impl UpConn {
    pub fn new(stream: UpstreamStream, now: Instant) -> Box<UpConn> {
        Box::new(UpConn {
            stream,
            rbuf: Vec::with_capacity(UPSTREAM_BUF),
            idle_since: now,
            reused: false,
            deadline: now,
            read_timeout: Duration::ZERO,
            timer: Box::pin(monoio::time::sleep_until(now.into())),
            target: 0,
        })
    }
}

pub struct Pool {
    // Boxed on purpose: the box is made once per connection and travels whole between the pool
    // and `BodyStream`; storing `UpConn` unboxed would re-box it on every take.
    #[allow(clippy::vec_box)]
    idle: RefCell<Vec<Vec<Box<UpConn>>>>,
    max_idle: usize,
}

impl Pool {
    pub fn new(max_idle: usize) -> Pool {
        Pool {
            idle: RefCell::new(Vec::new()),
            max_idle,
        }
    }

    /// Makes room for every upstream the snapshot names, so `put` never grows the outer table.
    pub fn adopt(&self, snap: &Snapshot) {
        let mut idle = self.idle.borrow_mut();
        while idle.len() < snap.upstreams.len() {
            idle.push(Vec::with_capacity(self.max_idle.min(64)));
        }
    }

    pub fn take(&self, id: UpstreamId, now: Instant) -> Option<Box<UpConn>> {
        let mut idle = self.idle.borrow_mut();
        let list = idle.get_mut(id.0 as usize)?;
        while let Some(mut conn) = list.pop() {
            if now.duration_since(conn.idle_since) < MAX_IDLE {
                conn.reused = true;
                return Some(conn);
            }
        }
        None
    }

    /// `take` for a VPC link's upstream: the most recently idle connection to `target`.
    pub fn take_target(&self, id: UpstreamId, target: usize, now: Instant) -> Option<Box<UpConn>> {
        let mut idle = self.idle.borrow_mut();
        let list = idle.get_mut(id.0 as usize)?;
        // Connections idle too long are dropped whatever their target, as `take` would.
        list.retain(|c| now.duration_since(c.idle_since) < MAX_IDLE);
        let at = list.iter().rposition(|c| c.target == target)?;
        let mut conn = list.remove(at);
        conn.reused = true;
        Some(conn)
    }

    pub fn put(&self, id: UpstreamId, mut conn: Box<UpConn>, now: Instant) {
        let mut idle = self.idle.borrow_mut();
        let i = id.0 as usize;
        if i >= idle.len() {
            return;
        }
        let list = &mut idle[i];
        if list.len() >= self.max_idle {
            return;
        }
        conn.rbuf.clear();
        conn.idle_since = now;
        list.push(conn);
    }

    /// Idle connections held right now (for tests and metrics).
    pub fn idle_count(&self) -> usize {
        self.idle.borrow().iter().map(Vec::len).sum()
    }
}
