//! The client connection loop: read, parse every complete request in the buffer, run the
//! pipeline for each (relaying a streamed response body when the pipeline hands one back), and
//! write all their responses with one write. The core's coarse clock is read once per wake-up
//! (after each read), not per request. Errors the connection itself answers (400, 408, 413,
//! 414, 431) go through `refuse`, which renders a `Reject` with the pipeline's `respond`.
//!
//! An idle keep-alive connection holds only its socket, a small read buffer (`IDLE_READ`) and a
//! small task: when request bytes arrive it borrows a working set (read, write and backend
//! request buffers, the parsed heads) from the core's pool and runs its request loop in a pooled
//! frame (`core::frames`); both go back when it is idle again. In steady state a request
//! allocates nothing.
//!
//! Timeouts: the whole head must arrive within `header_timeout` of its first byte (slowloris),
//! an idle keep-alive connection closes after `idle_timeout`, and a client that stops reading is
//! dropped when a write stalls that long — so a slow or hostile client holds at most its
//! buffers, never an unbounded queue.

// Pipelined responses are written out at the relay's threshold too, so a client that pipelines
// many requests without reading holds at most that much (plus one response) of our memory.
use super::relay::{self, RelayEnd, FLUSH_AT};
use super::stream::{timed, ClientStream, Stream};
use crate::core::buffers::{WorkSet, KEEP_CAPACITY};
use crate::core::Core;
use crate::deploy::Snapshot;
use crate::http::body::ChunkedDecoder;
use crate::http::request;
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

/// What an idle connection reads its next request's first bytes into. Most request heads fit;
/// a longer one continues in the working set's read buffer (one more read).
const IDLE_READ: usize = 1024;
/// Growth step of the read buffer, and the size a shrunk buffer starts again from.
const READ_BUF: usize = crate::core::buffers::INITIAL;

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

/// Everything received was answered and written: the connection waits for its next request.
struct Idle;

/// A connection while it has request bytes in hand, with its borrowed working set.
struct Conn<'a> {
    stream: &'a mut ClientStream,
    peer: IpAddr,
    /// Bytes of `w.rbuf` already consumed by earlier requests.
    consumed: usize,
    w: &'a mut WorkSet,
    snap: &'a mut Arc<Snapshot>,
}

fn new_timer() -> Pin<Box<Sleep>> {
    Box::pin(monoio::time::sleep(Duration::ZERO))
}

/// `limit` from now; a limit too far to represent waits ~forever (as `monoio::time::timeout`).
fn deadline_in(limit: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(limit)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

pub async fn serve(core: Rc<Core>, stream: TcpStream, peer: SocketAddr) {
    core.connections.set(core.connections.get() + 1);
    let mut stream = ClientStream::tcp(stream);
    let mut snap = core.current();
    let mut idle = Vec::with_capacity(IDLE_READ);
    while !core.draining() {
        // Idle: no working set, only the small read buffer handed to the kernel.
        let read = monoio::time::timeout(core.config.idle_timeout, stream.read(idle)).await;
        core.clock.tick();
        let Ok((Ok(n @ 1..), buf)) = read else { break };
        idle = buf;
        let mut w = core.buffers.take();
        w.rbuf.extend_from_slice(&idle[..n]);
        idle.clear();
        let conn = Conn {
            stream: &mut stream,
            peer: peer.ip(),
            consumed: 0,
            w: &mut w,
            snap: &mut snap,
        };
        let end = core.frames.frame_with(|| conn.run(&core)).await;
        core.buffers.give(w);
        if end.is_err() {
            break;
        }
    }
    core.connections.set(core.connections.get() - 1);
}

impl Conn<'_> {
    async fn flush(&mut self, limit: Duration) -> Result<(), ConnEnd> {
        if self.w.wbuf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.w.wbuf);
        let deadline = deadline_in(limit);
        match timed(
            self.stream.write_all(buf),
            self.w.timer.get_or_insert_with(new_timer),
            deadline,
        )
        .await
        {
            Some((Ok(_), mut back)) => {
                back.clear();
                if back.capacity() > KEEP_CAPACITY {
                    back.shrink_to(KEEP_CAPACITY);
                }
                self.w.wbuf = back;
                Ok(())
            }
            _ => Err(ConnEnd::Done),
        }
    }

    /// Reads more bytes onto the end of `rbuf`; `Ok(0)` is EOF.
    async fn read_more(&mut self, limit: Duration) -> Result<usize, ConnEnd> {
        if self.consumed > 0 {
            // Keep unparsed bytes at the front so the buffer does not creep.
            self.w.rbuf.drain(..self.consumed);
            self.consumed = 0;
        }
        if self.w.rbuf.len() == self.w.rbuf.capacity() {
            self.w.rbuf.reserve(self.w.rbuf.capacity().max(READ_BUF));
        }
        let buf = std::mem::take(&mut self.w.rbuf);
        let deadline = deadline_in(limit);
        match timed(
            self.stream.read(buf),
            self.w.timer.get_or_insert_with(new_timer),
            deadline,
        )
        .await
        {
            Some((Ok(n), buf)) => {
                self.w.rbuf = buf;
                Ok(n)
            }
            _ => Err(ConnEnd::Done),
        }
    }

    /// Answers a request that could not be read, parsed or framed, then closes. Once the head
    /// was `parsed`, the request's stage's gateway responses apply (its DEFAULT_4XX,
    /// REQUEST_TOO_LARGE); before that, AWS's defaults.
    async fn refuse<T>(&mut self, core: &Core, r: Reject, parsed: bool) -> Result<T, ConnEnd> {
        core.refresh(self.snap);
        let mut id = [0u8; 36];
        core.ids.borrow_mut().next(&mut id);
        let date = core.clock.date();
        let site = respond::ErrorSite {
            buf: &self.w.rbuf,
            head: parsed.then_some(&self.w.head),
            routed: None,
            peer: self.peer,
            request_id: &id,
            date: &date,
            epoch_ms: core.clock.epoch_ms(),
        };
        respond::refuse(self.snap, &site, r, &mut self.w.wbuf);
        let _ = self.flush(core.config.idle_timeout).await;
        Err(ConnEnd::Done)
    }

    /// Serves requests until everything received is answered (`Idle`) or the connection ends.
    async fn run(mut self, core: &Core) -> Result<Idle, ConnEnd> {
        let cfg = core.config.clone();
        loop {
            // 1. A complete head, within the header timeout of its first byte.
            let mut head_started: Option<Instant> = None;
            let head_len = loop {
                let avail = &self.w.rbuf[self.consumed..];
                match request::parse(avail, &cfg.limits, &mut self.w.head) {
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
                if pending == 0 {
                    // The working set goes back to the pool; `serve` waits for more.
                    return Ok(Idle);
                }
                let started = *head_started.get_or_insert_with(|| core.clock.now());
                let limit = match cfg.header_timeout.checked_sub(started.elapsed()) {
                    Some(d) => d,
                    None => return self.refuse(core, TIMEOUT, false).await,
                };
                let read = self.read_more(limit).await;
                // A wake-up: the one clock reading every request in this read shares.
                core.clock.tick();
                match read {
                    Ok(0) => return Err(ConnEnd::Done),
                    Ok(_) => {}
                    // A stalled partial head is answered (slowloris).
                    Err(_) => return self.refuse(core, TIMEOUT, false).await,
                }
            };
            // Spans are relative to the head start; keep it at offset 0 while the body arrives.
            if self.consumed > 0 {
                self.w.rbuf.drain(..self.consumed);
                self.consumed = 0;
            }
            // 2. The body, framed per the head.
            let body_start = head_len;
            let (body_range, next) = match self.w.head.framing {
                Framing::None | Framing::UntilClose => (None, body_start),
                Framing::ContentLength(n) => {
                    let n = n as usize;
                    if n > cfg.limits.max_body {
                        return self
                            .refuse(core, HeadError::BodyTooLarge.into(), true)
                            .await;
                    }
                    if self.w.head.expect_continue && self.w.rbuf.len() < body_start + n {
                        self.w
                            .wbuf
                            .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                        self.flush(cfg.idle_timeout).await?;
                    }
                    while self.w.rbuf.len() < body_start + n {
                        let need = body_start + n - self.w.rbuf.len();
                        if self.w.rbuf.capacity() - self.w.rbuf.len() < need {
                            self.w.rbuf.reserve(need);
                        }
                        if self.read_more(cfg.idle_timeout).await? == 0 {
                            return Err(ConnEnd::Done);
                        }
                    }
                    (Some((body_start, n)), body_start + n)
                }
                Framing::Chunked => {
                    if self.w.head.expect_continue && self.w.rbuf.len() == body_start {
                        self.w
                            .wbuf
                            .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                        self.flush(cfg.idle_timeout).await?;
                    }
                    self.w.body.clear();
                    let mut decoder = ChunkedDecoder::new(cfg.limits.max_body);
                    let mut pos = body_start;
                    loop {
                        match decoder.decode(&self.w.rbuf[pos..], &mut self.w.body) {
                            Ok((used, done)) => {
                                pos += used;
                                if done {
                                    break;
                                }
                            }
                            Err(e) => return self.refuse(core, e.into(), true).await,
                        }
                        // Keep the head and any undecoded tail; drop what was decoded.
                        self.w.rbuf.drain(body_start..pos);
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
            core.refresh(self.snap);
            core.begin_request();
            let mut request_id = [0u8; 36];
            core.ids.borrow_mut().next(&mut request_id);
            let body: &[u8] = match body_range {
                Some((start, len)) => &self.w.rbuf[start..start + len],
                None if self.w.head.framing == Framing::Chunked => &self.w.body,
                None => &[],
            };
            let req = Request {
                buf: &self.w.rbuf,
                head: &self.w.head,
                body,
                peer: self.peer,
                keep_alive: self.w.head.keep_alive && !core.draining(),
                request_id,
                date: core.clock.date(),
                received: core.clock.now(),
                epoch_ms: core.clock.epoch_ms(),
            };
            let bufs = Buffers {
                wbuf: &mut self.w.wbuf,
                ubuf: &mut self.w.ubuf,
                tbuf: &mut self.w.tbuf,
                uhead: &mut self.w.uhead,
            };
            let mut outcome = pipeline::run(&req, core, self.snap, bufs).await;
            if let Some(r) = outcome.relay.take() {
                let relayed = relay::relay(
                    r,
                    self.stream,
                    &mut self.w.wbuf,
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
            pipeline::finish(core, req.received, &mut outcome);
            core.end_request();
            if self.w.ubuf.capacity() > KEEP_CAPACITY {
                self.w.ubuf = Vec::with_capacity(READ_BUF);
            }
            if self.w.body.capacity() > KEEP_CAPACITY {
                self.w.body = Vec::new();
            }
            if outcome.close || core.draining() {
                self.flush(cfg.idle_timeout).await?;
                return Err(ConnEnd::Done);
            }
            if self.w.wbuf.len() >= FLUSH_AT {
                self.flush(cfg.idle_timeout).await?;
            }
            self.consumed = next;
            if self.consumed == self.w.rbuf.len() {
                self.w.rbuf.clear();
                self.consumed = 0;
                if self.w.rbuf.capacity() > KEEP_CAPACITY {
                    self.w.rbuf = Vec::with_capacity(READ_BUF);
                }
            }
        }
    }
}
