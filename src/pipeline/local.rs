//! One request through the pipeline with no client socket: the raw request bytes in, the raw
//! response bytes out, a streamed body relayed into memory. TestInvokeMethod runs on this, and
//! so do the pipeline's unit tests (with an in-memory backend); the route, phases, respond and
//! relay are exactly the connection's.

use super::{Buffers, Request};
use crate::core::Core;
use crate::deploy::Snapshot;
use crate::http::request::{self, RequestHead};
use crate::http::upstream::ResponseHead;
use crate::net::relay;
use crate::net::stream::{AtEnd, MemoryStream};
use std::net::IpAddr;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("the request head is malformed: {0}")]
    Head(crate::http::HeadError),
    #[error("the request is incomplete")]
    Incomplete,
}

/// Runs `raw` (one complete HTTP/1.1 request, its body framed by Content-Length) through the
/// pipeline on `core`, as if it came from `peer`, and returns every byte the client would have
/// received. Time is the core's clock as it stands (the caller ticks or sets it). The
/// connection's framing rules stay the connection's: this path takes only requests it can frame
/// itself.
pub async fn serve_one(
    core: &Core,
    snap: &Snapshot,
    raw: &[u8],
    peer: IpAddr,
) -> Result<Vec<u8>, LocalError> {
    let mut head = Box::new(RequestHead::new());
    let req = request(core, raw, &mut head, peer)?;
    let mut wbuf = Vec::new();
    let mut ubuf = Vec::new();
    let mut uhead = Box::new(ResponseHead::new());
    let mut tbuf = Vec::new();
    let bufs = Buffers {
        wbuf: &mut wbuf,
        ubuf: &mut ubuf,
        tbuf: &mut tbuf,
        uhead: &mut uhead,
    };
    let mut outcome = super::run(&req, core, snap, bufs).await;
    let mut client = MemoryStream::new(Vec::new(), AtEnd::Eof);
    let written = client.written();
    if let Some(r) = outcome.relay.take() {
        let limit = core.config.idle_timeout;
        relay::relay(r, &mut client, &mut wbuf, &core.upstream, limit).await;
    }
    super::finish(core, req.received, &mut outcome);
    let mut out = std::mem::take(&mut *written.borrow_mut());
    out.extend_from_slice(&wbuf);
    Ok(out)
}

/// `raw` (one complete request, its body framed by Content-Length) parsed into `head` and handed
/// over as the connection would: a fresh request id, the core's clock.
pub fn request<'r>(
    core: &Core,
    raw: &'r [u8],
    head: &'r mut RequestHead,
    peer: IpAddr,
) -> Result<Request<'r>, LocalError> {
    let head_len = request::parse(raw, &core.config.limits, head)
        .map_err(LocalError::Head)?
        .ok_or(LocalError::Incomplete)?;
    let head: &'r RequestHead = head;
    let body_len = match head.framing {
        crate::http::Framing::ContentLength(n) => n as usize,
        _ => 0,
    };
    let body = raw
        .get(head_len..head_len + body_len)
        .ok_or(LocalError::Incomplete)?;
    let mut request_id = [0u8; 36];
    core.ids.borrow_mut().next(&mut request_id);
    Ok(Request {
        buf: raw,
        head,
        body,
        peer,
        keep_alive: head.keep_alive,
        request_id,
        date: core.clock.date(),
        received: core.clock.now(),
        epoch_ms: core.clock.epoch_ms(),
    })
}
