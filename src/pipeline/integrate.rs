//! Phase "integrate": MOCK answers from the compiled integration responses; HTTP and HTTP_PROXY
//! send the integration request to the backend over a pooled keep-alive connection.
//!
//! HTTP_PROXY streams the backend's body to the client as it arrives (memory stays bounded by
//! one buffer however large or slow the body); HTTP buffers it (up to the body limit) because the
//! response mapping needs all of it. The backend is not trusted: its framing is validated, bytes
//! it sends unasked make the connection unfit for reuse, and a body cut short ends the client's
//! response visibly truncated (no final chunk, or fewer bytes than Content-Length, then close).

use super::respond::{self, Reject};
use super::route::Routed;
use super::transform;
use super::{ClientIo, Exchange, Outcome};
use crate::core::pool::UpConn;
use crate::core::Core;
use crate::deploy::snapshot::UpstreamId;
use crate::deploy::Snapshot;
use crate::http::body::ChunkedDecoder;
use crate::http::request::Method;
use crate::http::upstream::ResponseHead;
use crate::http::{response, Framing};
use crate::net::upstream::{self, UpstreamError};
use monoio::io::AsyncWriteRentExt;
use monoio::net::TcpStream;
use std::time::{Duration, Instant};

/// Pending response bytes are written to the client once they pass this size.
const FLUSH_AT: usize = 64 * 1024;

/// Backend response headers not relayed: hop-by-hop and framing (we frame for the client).
const DROP_RESPONSE: &[&[u8]] = &[
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"content-length",
];

/// Backend headers API Gateway relays under `x-amzn-Remapped-{name}` because it sets its own.
const REMAP_RESPONSE: &[&[u8]] = &[
    b"date",
    b"server",
    b"authorization",
    b"www-authenticate",
    b"x-amzn-requestid",
];

fn status_str(status: u16, out: &mut [u8; 3]) -> &str {
    out[0] = b'0' + (status / 100 % 10) as u8;
    out[1] = b'0' + (status / 10 % 10) as u8;
    out[2] = b'0' + (status % 10) as u8;
    std::str::from_utf8(out).unwrap_or("500")
}

pub fn mock(ex: &Exchange<'_>, routed: &Routed<'_>, wbuf: &mut Vec<u8>) -> Result<Outcome, Reject> {
    let integ = &routed.method.integration;
    let (_, template_type) = transform::request_body(ex, integ)?;
    let status = template_type.and_then(|ct| {
        integ
            .mock_status
            .iter()
            .find(|(k, _)| k.as_bytes() == ct)
            .map(|(_, s)| *s)
    });
    let mut digits = [0u8; 3];
    let resp = match status {
        Some(s) => transform::select_response(integ, status_str(s, &mut digits)),
        None => integ.default_response.map(|i| &integ.responses[i]),
    }
    .ok_or(Reject::Internal)?;
    Ok(transform::write_response(ex, resp, &|_| None, b"", wbuf))
}

fn idempotent(ex: &Exchange<'_>, routed: &Routed<'_>) -> bool {
    match routed.method.integration.method.as_deref() {
        Some(m) if m != "ANY" => matches!(m, "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE"),
        _ => matches!(
            ex.head.method,
            Method::Get | Method::Head | Method::Options | Method::Put | Method::Delete
        ),
    }
}

/// What `exchange` needs to know about the request beyond its bytes.
#[derive(Clone, Copy)]
struct Attempt {
    up_id: UpstreamId,
    /// The method is idempotent, so a stale pooled connection may be retried.
    retry_ok: bool,
    /// The backend was sent HEAD: its response has no body whatever its headers say.
    request_was_head: bool,
    deadline: Instant,
}

/// Sends `io.ubuf` and reads the response head, on a pooled connection when one is idle. Retries
/// once on a fresh connection only when an idempotent request failed on a reused connection
/// before any response byte arrived (the backend's idle close racing our reuse).
async fn exchange(
    core: &Core,
    snap: &Snapshot,
    attempt_of: &Attempt,
    ubuf: &mut Vec<u8>,
    head: &mut ResponseHead,
) -> Result<(UpConn, usize), UpstreamError> {
    let Attempt {
        up_id,
        retry_ok,
        request_was_head,
        deadline,
    } = *attempt_of;
    let up = &snap.upstreams[up_id.0 as usize];
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut conn = match core.pool.take(up_id, Instant::now()) {
            Some(c) => c,
            None => {
                // Names are resolved off this thread; an unanswered one is awaited, not looked up.
                let wait = upstream::remaining(deadline)?.min(core.config.connect_timeout);
                let addr = (core.addrs.address(up_id, up, wait).await)
                    .map_err(|_| UpstreamError::Resolve(up.host.to_string()))?;
                upstream::connect(up, addr, core.config.connect_timeout, deadline).await?
            }
        };
        let result = match upstream::write_all(&mut conn.stream, ubuf, deadline).await {
            Ok(()) => {
                upstream::read_head(
                    &mut conn,
                    core.config.limits.max_head,
                    request_was_head,
                    deadline,
                    head,
                )
                .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(n) => return Ok((conn, n)),
            Err(e) if attempt == 1 && retry_ok && conn.reused && e.maybe_stale_connection() => {
                continue;
            }
            Err(e) => return Err(e),
        }
    }
}

pub async fn http(
    ex: &Exchange<'_>,
    routed: &Routed<'_>,
    core: &Core,
    snap: &Snapshot,
    io: &mut ClientIo<'_>,
    head: &mut ResponseHead,
    proxy: bool,
) -> Result<Outcome, Reject> {
    let integ = &routed.method.integration;
    if let Some(why) = &integ.config_error {
        log_config_error(ex, why);
        return Err(Reject::Internal);
    }
    let up_id = integ.upstream.ok_or(Reject::Internal)?;
    let up = &snap.upstreams[up_id.0 as usize];
    let (body, content_type) = if proxy {
        (ex.body, None)
    } else {
        transform::request_body(ex, integ)?
    };
    transform::build_request(ex, routed, up, proxy, body, content_type, io.ubuf);
    let started = Instant::now();
    let deadline = started + integ.timeout;
    let sent_head = ex.is_head() && integ.method.as_deref().is_none_or(|m| m == "ANY");
    let attempt = Attempt {
        up_id,
        retry_ok: idempotent(ex, routed),
        request_was_head: sent_head,
        deadline,
    };
    let (conn, head_len) = match exchange(core, snap, &attempt, io.ubuf, head).await {
        Ok(r) => r,
        Err(e) => {
            log_failure(ex, up, &e);
            return Err(Reject::from(&e));
        }
    };
    let integration_us = Some(started.elapsed().as_micros() as u64);
    if proxy {
        Ok(relay(
            ex,
            core,
            up_id,
            conn,
            head,
            head_len,
            io,
            deadline,
            integ.timeout,
            integration_us,
        )
        .await)
    } else {
        buffered(
            ex,
            routed,
            core,
            up_id,
            conn,
            head,
            head_len,
            io,
            deadline,
            integration_us,
        )
        .await
    }
}

#[cold]
fn log_config_error(ex: &Exchange<'_>, why: &str) {
    eprintln!("request {}: {why}", String::from_utf8_lossy(&ex.request_id));
}

#[cold]
fn log_failure(ex: &Exchange<'_>, up: &crate::deploy::snapshot::Upstream, e: &UpstreamError) {
    eprintln!(
        "request {}: integration {}:{} failed: {e}",
        String::from_utf8_lossy(&ex.request_id),
        up.host,
        up.port
    );
}

/// Writes the backend's headers, filtered and remapped as API Gateway does for HTTP_PROXY.
fn relay_headers(head: &ResponseHead, buf: &[u8], wbuf: &mut Vec<u8>) {
    for (n, v) in head.headers(buf) {
        if DROP_RESPONSE.iter().any(|d| n.eq_ignore_ascii_case(d)) {
            continue;
        }
        if REMAP_RESPONSE.iter().any(|d| n.eq_ignore_ascii_case(d)) {
            wbuf.extend_from_slice(b"x-amzn-Remapped-");
        }
        response::header(wbuf, n, v);
    }
}

async fn flush(stream: &mut TcpStream, wbuf: &mut Vec<u8>, limit: Duration) -> bool {
    if wbuf.is_empty() {
        return true;
    }
    match monoio::time::timeout(limit, stream.write_all(std::mem::take(wbuf))).await {
        Ok((res, mut back)) => {
            back.clear();
            *wbuf = back;
            res.is_ok()
        }
        Err(_) => false,
    }
}

/// What reading the next piece of a relayed body gave.
enum Refill {
    More,
    /// The backend closed the connection.
    Ended,
    /// The backend failed or went silent past the read timeout.
    Failed,
    /// Writing the pending bytes to the client failed or stalled.
    ClientGone,
}

/// Between two pieces of a relayed body: writes the pending bytes out once they pass `FLUSH_AT`
/// (so memory stays bounded however large the body), then reads the next piece from the backend
/// into the emptied buffer, each read allowed `read_timeout`.
async fn refill(
    conn: &mut UpConn,
    io: &mut ClientIo<'_>,
    write_limit: Duration,
    deadline: &mut Instant,
    read_timeout: Duration,
) -> Refill {
    if io.wbuf.len() >= FLUSH_AT && !flush(io.stream, io.wbuf, write_limit).await {
        return Refill::ClientGone;
    }
    conn.rbuf.clear();
    *deadline = (*deadline).max(Instant::now() + read_timeout);
    match upstream::read_more(conn, *deadline, 64 * 1024).await {
        Ok(0) => Refill::Ended,
        Ok(_) => Refill::More,
        Err(_) => Refill::Failed,
    }
}

/// Streams the HTTP_PROXY response to the client. Never fails as a whole: once the head is out,
/// a problem can only end the response early (and the connection).
#[allow(clippy::too_many_arguments)]
async fn relay(
    ex: &Exchange<'_>,
    core: &Core,
    up_id: UpstreamId,
    mut conn: UpConn,
    head: &ResponseHead,
    head_len: usize,
    io: &mut ClientIo<'_>,
    mut deadline: Instant,
    read_timeout: Duration,
    integration_us: Option<u64>,
) -> Outcome {
    let status = head.status;
    let framing = if ex.is_head() {
        Framing::None
    } else {
        head.framing
    };
    let chunked_client = ex.head.minor_version >= 1;
    // Bodies that end at close cannot be framed for an HTTP/1.0 client except by closing too.
    let mut close = !ex.keep_alive
        || (!chunked_client && matches!(framing, Framing::Chunked | Framing::UntilClose));
    let write_limit = core.config.idle_timeout;
    // The client stopped reading (or left) mid-body: nothing more can be said to it.
    let gone = Outcome {
        status,
        close: true,
        integration_us,
    };
    respond::head_start(ex, io.wbuf, status);
    relay_headers(head, &conn.rbuf, io.wbuf);
    let mut reusable = head.keep_alive;
    let mut complete = true;
    match framing {
        Framing::None => {
            if ex.is_head() {
                if let Some(cl) = head.header(&conn.rbuf, b"content-length") {
                    response::header(io.wbuf, b"Content-Length", cl);
                }
            } else if !matches!(status, 204 | 304) {
                response::content_length(io.wbuf, 0);
            }
            if close {
                response::header(io.wbuf, b"Connection", b"close");
            }
            io.wbuf.extend_from_slice(b"\r\n");
            reusable &= conn.rbuf.len() == head_len;
        }
        Framing::ContentLength(n) => {
            respond::head_end_sized(io.wbuf, n as usize, close);
            let mut pos = head_len;
            let mut remaining = n as usize;
            loop {
                let take = remaining.min(conn.rbuf.len() - pos);
                io.wbuf.extend_from_slice(&conn.rbuf[pos..pos + take]);
                remaining -= take;
                pos += take;
                if remaining == 0 {
                    reusable &= pos == conn.rbuf.len();
                    break;
                }
                match refill(&mut conn, io, write_limit, &mut deadline, read_timeout).await {
                    Refill::More => pos = 0,
                    Refill::ClientGone => return gone,
                    Refill::Ended | Refill::Failed => {
                        complete = false;
                        break;
                    }
                }
            }
        }
        Framing::Chunked => {
            let mut decoder = ChunkedDecoder::new(usize::MAX);
            let mut pos = head_len;
            if chunked_client {
                respond::head_end_chunked(io.wbuf, close);
            } else {
                close = true;
                response::header(io.wbuf, b"Connection", b"close");
                io.wbuf.extend_from_slice(b"\r\n");
            }
            loop {
                let input = &conn.rbuf[pos..];
                let step = if chunked_client {
                    // The framing was validated, so relaying the bytes as they are is safe.
                    decoder.scan(input).inspect(|(used, _)| {
                        io.wbuf.extend_from_slice(&input[..*used]);
                    })
                } else {
                    decoder.decode(input, io.wbuf)
                };
                match step {
                    Ok((used, done)) => {
                        pos += used;
                        if done {
                            reusable &= pos == conn.rbuf.len();
                            break;
                        }
                    }
                    Err(_) => {
                        complete = false;
                        break;
                    }
                }
                match refill(&mut conn, io, write_limit, &mut deadline, read_timeout).await {
                    Refill::More => pos = 0,
                    Refill::ClientGone => return gone,
                    Refill::Ended | Refill::Failed => {
                        complete = false;
                        break;
                    }
                }
            }
        }
        Framing::UntilClose => {
            reusable = false;
            if chunked_client {
                respond::head_end_chunked(io.wbuf, close);
            } else {
                response::header(io.wbuf, b"Connection", b"close");
                io.wbuf.extend_from_slice(b"\r\n");
            }
            let mut pos = head_len;
            loop {
                let data = &conn.rbuf[pos..];
                if !data.is_empty() {
                    if chunked_client {
                        response::chunk_header(io.wbuf, data.len());
                        io.wbuf.extend_from_slice(data);
                        io.wbuf.extend_from_slice(b"\r\n");
                    } else {
                        io.wbuf.extend_from_slice(data);
                    }
                }
                match refill(&mut conn, io, write_limit, &mut deadline, read_timeout).await {
                    Refill::More => pos = 0,
                    Refill::ClientGone => return gone,
                    Refill::Ended => {
                        if chunked_client {
                            response::last_chunk(io.wbuf);
                        }
                        break;
                    }
                    Refill::Failed => {
                        complete = false;
                        break;
                    }
                }
            }
        }
    }
    if !complete {
        // Ending the connection is the only honest signal left once the head is out.
        return Outcome {
            status,
            close: true,
            integration_us,
        };
    }
    if reusable {
        core.pool.put(up_id, conn, Instant::now());
    }
    Outcome {
        status,
        close,
        integration_us,
    }
}

/// Reads the whole HTTP (non-proxy) integration response, then maps it.
#[allow(clippy::too_many_arguments)]
async fn buffered(
    ex: &Exchange<'_>,
    routed: &Routed<'_>,
    core: &Core,
    up_id: UpstreamId,
    mut conn: UpConn,
    head: &ResponseHead,
    head_len: usize,
    io: &mut ClientIo<'_>,
    deadline: Instant,
    integration_us: Option<u64>,
) -> Result<Outcome, Reject> {
    let max = core.config.limits.max_body;
    let mut reusable = head.keep_alive;
    // Where the body lies: in conn.rbuf (lengths) or decoded into io.ubuf (chunked).
    let mut body_in_ubuf = false;
    let mut body_end = head_len;
    match head.framing {
        Framing::None => reusable &= conn.rbuf.len() == head_len,
        Framing::ContentLength(n) => {
            let n = n as usize;
            if n > max {
                return Err(Reject::IntegrationFailure);
            }
            while conn.rbuf.len() < head_len + n {
                match upstream::read_more(&mut conn, deadline, head_len + n).await {
                    Ok(0) => return Err(Reject::IntegrationFailure),
                    Ok(_) => {}
                    Err(e) => return Err(Reject::from(&e)),
                }
            }
            body_end = head_len + n;
            reusable &= conn.rbuf.len() == body_end;
        }
        Framing::Chunked => {
            body_in_ubuf = true;
            io.ubuf.clear();
            let mut decoder = ChunkedDecoder::new(max);
            let mut pos = head_len;
            loop {
                let (used, done) = decoder
                    .decode(&conn.rbuf[pos..], io.ubuf)
                    .map_err(|_| Reject::IntegrationFailure)?;
                pos += used;
                if done {
                    reusable &= pos == conn.rbuf.len();
                    break;
                }
                conn.rbuf.clear();
                pos = 0;
                match upstream::read_more(&mut conn, deadline, 64 * 1024).await {
                    Ok(0) => return Err(Reject::IntegrationFailure),
                    Ok(_) => {}
                    Err(e) => return Err(Reject::from(&e)),
                }
            }
        }
        Framing::UntilClose => {
            reusable = false;
            loop {
                if conn.rbuf.len() - head_len > max {
                    return Err(Reject::IntegrationFailure);
                }
                match upstream::read_more(&mut conn, deadline, head_len + max + 1).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Err(Reject::from(&e)),
                }
            }
            body_end = conn.rbuf.len();
        }
    }
    let integ = &routed.method.integration;
    let mut digits = [0u8; 3];
    let Some(resp) = transform::select_response(integ, status_str(head.status, &mut digits)) else {
        // API Gateway answers 500 when no integration response matches and there is no default.
        return Err(Reject::Internal);
    };
    let mut outcome = {
        let rbuf = &conn.rbuf;
        let body: &[u8] = if body_in_ubuf {
            io.ubuf
        } else {
            &rbuf[head_len..body_end]
        };
        transform::write_response(ex, resp, &|name| head.header(rbuf, name), body, io.wbuf)
    };
    outcome.integration_us = integration_us;
    if reusable {
        core.pool.put(up_id, conn, Instant::now());
    }
    Ok(outcome)
}
