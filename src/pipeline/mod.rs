//! THE DATA PATH. `run` takes one parsed request through API Gateway's phases, in order:
//!
//! route -> (authorize, throttle, validate, cache lookup: later issues) -> transform request ->
//! integrate -> transform response -> respond
//!
//! Phases are plain functions over the `Exchange`; only those that do I/O are `async`. Errors are
//! per-phase enums converted into one `Reject`, which only `respond` turns into bytes.

pub mod integrate;
pub mod params;
pub mod respond;
pub mod route;
pub mod transform;

use crate::core::Core;
use crate::deploy::snapshot::IntegrationKind;
use crate::deploy::Snapshot;
use crate::http::request::RequestHead;
use crate::http::upstream::ResponseHead;
use monoio::net::TcpStream;
use respond::{Reject, Scope};
use std::net::IpAddr;
use std::time::Instant;

/// One request as the phases see it: the parsed head (spans into `buf`), the decoded body and
/// what the connection knows. Borrowed from the connection's reused buffers.
pub struct Exchange<'a> {
    pub buf: &'a [u8],
    pub head: &'a RequestHead,
    pub body: &'a [u8],
    pub peer: IpAddr,
    /// The client allows reuse and the worker is not draining.
    pub keep_alive: bool,
    pub request_id: [u8; 36],
    pub date: [u8; 29],
    pub received: Instant,
    pub epoch_ms: u64,
}

impl Exchange<'_> {
    pub fn header(&self, lower_name: &[u8]) -> Option<&[u8]> {
        self.head.header(self.buf, lower_name)
    }
    pub fn is_head(&self) -> bool {
        self.head.method == crate::http::request::Method::Head
    }
}

/// The client side of the connection, lent to the phases that write the response.
pub struct ClientIo<'a> {
    pub stream: &'a mut TcpStream,
    /// Pending response bytes; the connection flushes them (pipelined responses share one write).
    pub wbuf: &'a mut Vec<u8>,
    /// Scratch for the backend request.
    pub ubuf: &'a mut Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: u16,
    /// The connection must close after this response (framing ended early, or asked to).
    pub close: bool,
    /// Time spent waiting on the backend, for IntegrationLatency.
    pub integration_us: Option<u64>,
}

/// `uhead` is the connection's reused backend response head (1.7 KB: kept out of the per-request
/// future so it is neither copied nor zeroed per request).
pub async fn run(
    ex: &Exchange<'_>,
    core: &Core,
    snap: &Snapshot,
    io: &mut ClientIo<'_>,
    uhead: &mut ResponseHead,
) -> Outcome {
    let routed = match route::route(ex, snap) {
        Ok(r) => r,
        Err(e) => {
            core.metrics.record_unrouted();
            return respond::reject(ex, Scope::Unrouted(snap), io.wbuf, Reject::from(e));
        }
    };
    let slot = core
        .metrics
        .slot(routed.api_idx, routed.stage_idx, routed.method_idx);
    // The method-request phases of later issues (authorizers, API keys and usage plans,
    // request validation, the stage cache) slot in here, each returning Continue or a Reject.
    let mark = io.wbuf.len();
    let result = match routed.method.integration.kind {
        IntegrationKind::Mock => integrate::mock(ex, &routed, io.wbuf),
        IntegrationKind::HttpProxy => {
            integrate::http(ex, &routed, core, snap, io, uhead, true).await
        }
        IntegrationKind::Http => integrate::http(ex, &routed, core, snap, io, uhead, false).await,
    };
    let outcome = match result {
        Ok(o) => o,
        Err(reject) => {
            // Nothing of this response reached the client yet (integrate only fails before it
            // starts relaying), so drop any partial head and answer the error instead.
            io.wbuf.truncate(mark);
            let mut o = respond::reject(ex, Scope::Routed(&routed), io.wbuf, reject);
            o.integration_us = reject_integration_us(ex);
            o
        }
    };
    if let Some(slot) = slot {
        let latency = ex.received.elapsed().as_micros() as u64;
        core.metrics
            .record(slot, outcome.status, latency, outcome.integration_us);
    }
    outcome
}

fn reject_integration_us(ex: &Exchange<'_>) -> Option<u64> {
    Some(ex.received.elapsed().as_micros() as u64)
}
