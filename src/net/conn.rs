//! The client connection loop: read, parse every complete request in the buffer, run the
//! pipeline for each (relaying a streamed response body when the pipeline hands one back), and
//! write all their responses with one write. The core's coarse clock is read once per wake-up
//! (after each read), not per request. Errors the connection itself answers (400, 408, 413,
//! 414, 431) go through `refuse`, which renders a `Reject` with the pipeline's `respond`.
//!
//! One task per connection owns three reused buffers (read, write, backend request) and a parsed
//! head; in steady state a request allocates nothing. Timeouts: the whole head must arrive within
//! `header_timeout` of its first byte (slowloris), an idle keep-alive connection closes after
//! `idle_timeout`, and a client that stops reading is dropped when a write stalls that long — so a
//! slow or hostile client holds at most its buffers, never an unbounded queue.

use super::relay::{self, RelayEnd};
use super::stream::{timed, ClientStream, Stream};
use crate::core::Core;
use crate::deploy::Snapshot;
use crate::http::body::ChunkedDecoder;
use crate::http::request::{self, RequestHead};
use crate::http::upstream::ResponseHead;
use crate::http::Framing;
use crate::http::HeadError;
use crate::pipeline::respond::{self, Reject};
use crate::pipeline::{self, Buffers, Request};
use monoio::net::TcpStream;
use monoio::time::Sleep;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Initial size of each connection buffer. Small, so thousands of idle keep-alive connections
/// cost little (~16 KiB each with the parsed heads); a buffer grows once for larger traffic and
/// then keeps its size, up to `KEEP_CAPACITY`.
const READ_BUF: usize = 4 * 1024;
/// Buffers that grew past this for one large request are shrunk back after it.
const KEEP_CAPACITY: usize = 64 * 1024;
/// Pipelined responses are written out once this much is pending, so a client that pipelines
/// many requests without reading holds at most this much (plus one response) of our memory.
const FLUSH_AT: usize = 64 * 1024;

/// A head that did not arrive in time (slowloris).
const TIMEOUT: Reject = Reject::BadRequest {
    status: 408,
    message: "Request Timeout",
};

#[derive(Debug)]
enum ConnEnd {
    /// Peer closed, timed out, or we answered with `Connection: close`.
    Done,
}

struct Conn {
    stream: ClientStream,
    peer: IpAddr,
    rbuf: Vec<u8>,
    /// Bytes of `rbuf` already consumed by earlier requests.
    consumed: usize,
    wbuf: Vec<u8>,
    ubuf: Vec<u8>,
    body: Vec<u8>,
    head: Box<RequestHead>,
    uhead: Box<ResponseHead>,
    snap: Arc<Snapshot>,
    /// Bounds every read and flush, re-armed per wait (`stream::timed`: no timer in the futures).
    timer: Pin<Box<Sleep>>,
}

/// `limit` from now; a limit too far to represent waits ~forever (as `monoio::time::timeout`).
fn deadline_in(limit: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(limit)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

pub async fn serve(core: Rc<Core>, stream: TcpStream, peer: SocketAddr) {
    core.connections.set(core.connections.get() + 1);
    let mut conn = Conn {
        stream: ClientStream::tcp(stream),
        peer: peer.ip(),
        rbuf: Vec::with_capacity(READ_BUF),
        consumed: 0,
        wbuf: Vec::with_capacity(READ_BUF),
        ubuf: Vec::with_capacity(READ_BUF),
        body: Vec::new(),
        head: Box::new(RequestHead::new()),
        uhead: Box::new(ResponseHead::new()),
        snap: core.current(),
        timer: Box::pin(monoio::time::sleep(Duration::ZERO)),
    };
    let _ = conn.run(&core).await;
    core.connections.set(core.connections.get() - 1);
}

impl Conn {
    async fn flush(&mut self, limit: Duration) -> Result<(), ConnEnd> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.wbuf);
        let deadline = deadline_in(limit);
        match timed(self.stream.write_all(buf), &mut self.timer, deadline).await {
            Some((Ok(_), mut back)) => {
                back.clear();
                if back.capacity() > KEEP_CAPACITY {
                    back.shrink_to(KEEP_CAPACITY);
                }
                self.wbuf = back;
                Ok(())
            }
            _ => Err(ConnEnd::Done),
        }
    }

    /// Reads more bytes onto the end of `rbuf`; `Ok(0)` is EOF.
    async fn read_more(&mut self, limit: Duration) -> Result<usize, ConnEnd> {
        if self.consumed > 0 {
            // Keep unparsed bytes at the front so the buffer does not creep.
            self.rbuf.drain(..self.consumed);
            self.consumed = 0;
        }
        if self.rbuf.len() == self.rbuf.capacity() {
            self.rbuf.reserve(self.rbuf.capacity().max(READ_BUF));
        }
        let buf = std::mem::take(&mut self.rbuf);
        let deadline = deadline_in(limit);
        match timed(self.stream.read(buf), &mut self.timer, deadline).await {
            Some((Ok(n), buf)) => {
                self.rbuf = buf;
                Ok(n)
            }
            _ => Err(ConnEnd::Done),
        }
    }

    /// Answers a request that could not be read, parsed or framed, then closes. Once the head
    /// was `parsed`, the request's stage's gateway responses apply (its DEFAULT_4XX,
    /// REQUEST_TOO_LARGE); before that, AWS's defaults.
    async fn refuse(&mut self, core: &Core, r: Reject, parsed: bool) -> Result<(), ConnEnd> {
        core.refresh(&mut self.snap);
        let mut id = [0u8; 36];
        core.ids.borrow_mut().next(&mut id);
        let date = core.clock.date();
        let site = respond::ErrorSite {
            buf: &self.rbuf,
            head: parsed.then_some(&*self.head),
            routed: None,
            peer: self.peer,
            request_id: &id,
            date: &date,
            epoch_ms: core.clock.epoch_ms(),
        };
        respond::refuse(&self.snap, &site, r, &mut self.wbuf);
        let _ = self.flush(core.config.idle_timeout).await;
        Err(ConnEnd::Done)
    }

    async fn run(&mut self, core: &Core) -> Result<(), ConnEnd> {
        let cfg = core.config.clone();
        loop {
            // 1. A complete head, within the header timeout of its first byte.
            let mut head_started: Option<Instant> = None;
            let head_len = loop {
                let avail = &self.rbuf[self.consumed..];
                match request::parse(avail, &cfg.limits, &mut self.head) {
                    Ok(Some(n)) => break n,
                    Ok(None) => {}
                    // Only a body over the limit is refused after the whole head was read.
                    Err(e) => {
                        let parsed = e == HeadError::BodyTooLarge;
                        return self.refuse(core, e.into(), parsed).await;
                    }
                }
                let pending = avail.len();
                // Pipelining ends here: answer everything parsed so far in one write.
                self.flush(cfg.idle_timeout).await?;
                if pending == 0 && core.draining() {
                    return Err(ConnEnd::Done);
                }
                let limit = if pending == 0 {
                    cfg.idle_timeout
                } else {
                    let started = *head_started.get_or_insert_with(|| core.clock.now());
                    match cfg.header_timeout.checked_sub(started.elapsed()) {
                        Some(d) => d,
                        None => return self.refuse(core, TIMEOUT, false).await,
                    }
                };
                let read = self.read_more(limit).await;
                // A wake-up: the one clock reading every request in this read shares.
                core.clock.tick();
                match read {
                    Ok(0) => return Err(ConnEnd::Done),
                    Ok(_) => {
                        if pending == 0 {
                            head_started = Some(core.clock.now());
                        }
                    }
                    // A stalled partial head is answered (slowloris); an idle one just closes.
                    Err(_) if pending > 0 => return self.refuse(core, TIMEOUT, false).await,
                    Err(e) => return Err(e),
                }
            };
            // Spans are relative to the head start; keep it at offset 0 while the body arrives.
            if self.consumed > 0 {
                self.rbuf.drain(..self.consumed);
                self.consumed = 0;
            }
            // 2. The body, framed per the head.
            let body_start = head_len;
            let (body_range, next) = match self.head.framing {
                Framing::None | Framing::UntilClose => (None, body_start),
                Framing::ContentLength(n) => {
                    let n = n as usize;
                    if n > cfg.limits.max_body {
                        return self
                            .refuse(core, HeadError::BodyTooLarge.into(), true)
                            .await;
                    }
                    if self.head.expect_continue && self.rbuf.len() < body_start + n {
                        self.wbuf
                            .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                        self.flush(cfg.idle_timeout).await?;
                    }
                    while self.rbuf.len() < body_start + n {
                        let need = body_start + n - self.rbuf.len();
                        if self.rbuf.capacity() - self.rbuf.len() < need {
                            self.rbuf.reserve(need);
                        }
                        if self.read_more(cfg.idle_timeout).await? == 0 {
                            return Err(ConnEnd::Done);
                        }
                    }
                    (Some((body_start, n)), body_start + n)
                }
                Framing::Chunked => {
                    if self.head.expect_continue && self.rbuf.len() == body_start {
                        self.wbuf
                            .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                        self.flush(cfg.idle_timeout).await?;
                    }
                    self.body.clear();
                    let mut decoder = ChunkedDecoder::new(cfg.limits.max_body);
                    let mut pos = body_start;
                    loop {
                        match decoder.decode(&self.rbuf[pos..], &mut self.body) {
                            Ok((used, done)) => {
                                pos += used;
                                if done {
                                    break;
                                }
                            }
                            Err(e) => return self.refuse(core, e.into(), true).await,
                        }
                        // Keep the head and any undecoded tail; drop what was decoded.
                        self.rbuf.drain(body_start..pos);
                        pos = body_start;
                        let got = self.read_more(cfg.idle_timeout).await?;
                        if got == 0 {
                            return Err(ConnEnd::Done);
                        }
                    }
                    (None, pos)
                }
            };
            // 3. The pipeline.
            core.refresh(&mut self.snap);
            core.begin_request();
            let mut request_id = [0u8; 36];
            core.ids.borrow_mut().next(&mut request_id);
            let body: &[u8] = match body_range {
                Some((start, len)) => &self.rbuf[start..start + len],
                None if self.head.framing == Framing::Chunked => &self.body,
                None => &[],
            };
            let req = Request {
                buf: &self.rbuf,
                head: &self.head,
                body,
                peer: self.peer,
                keep_alive: self.head.keep_alive && !core.draining(),
                request_id,
                date: core.clock.date(),
                received: core.clock.now(),
                epoch_ms: core.clock.epoch_ms(),
            };
            let bufs = Buffers {
                wbuf: &mut self.wbuf,
                ubuf: &mut self.ubuf,
                uhead: &mut self.uhead,
            };
            let mut outcome = pipeline::run(&req, core, &self.snap, bufs).await;
            if let Some(r) = outcome.relay.take() {
                let relayed = relay::relay(
                    r,
                    &mut self.stream,
                    &mut self.wbuf,
                    &core.upstream,
                    cfg.idle_timeout,
                )
                .await;
                if relayed.end != RelayEnd::Complete {
                    // Ending the connection is the only honest signal once the head is out.
                    outcome.close = true;
                }
                if relayed.waited {
                    // Only a relay that waited leaves the clock reading stale.
                    core.clock.tick();
                }
            }
            pipeline::finish(core, req.received, &outcome);
            core.end_request();
            if self.ubuf.capacity() > KEEP_CAPACITY {
                self.ubuf = Vec::with_capacity(READ_BUF);
            }
            if self.body.capacity() > KEEP_CAPACITY {
                self.body = Vec::new();
            }
            if outcome.close || core.draining() {
                self.flush(cfg.idle_timeout).await?;
                return Err(ConnEnd::Done);
            }
            if self.wbuf.len() >= FLUSH_AT {
                self.flush(cfg.idle_timeout).await?;
            }
            self.consumed = next;
            if self.consumed == self.rbuf.len() {
                self.rbuf.clear();
                self.consumed = 0;
                if self.rbuf.capacity() > KEEP_CAPACITY {
                    self.rbuf = Vec::with_capacity(READ_BUF);
                }
            }
        }
    }
}
