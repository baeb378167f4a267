//! Bytes on a backend connection: writing the request, reading more of the response, and reading
//! until a final response head is parsed. Every wait is bounded by a deadline.

use super::{UpConn, UpstreamError};
use crate::http::upstream::{parse_response, ResponseHead};
use crate::net::stream::{timed, Stream};
use std::time::{Duration, Instant};

pub fn remaining(deadline: Instant) -> Result<Duration, UpstreamError> {
    let now = Instant::now();
    if now >= deadline {
        return Err(UpstreamError::Timeout);
    }
    Ok(deadline - now)
}

/// Writes all of `buf` (handed back through the same `&mut`).
pub async fn write_all(
    conn: &mut UpConn,
    buf: &mut Vec<u8>,
    deadline: Instant,
) -> Result<(), UpstreamError> {
    remaining(deadline)?;
    let UpConn { stream, timer, .. } = conn;
    let (res, back) = timed(stream.write_all(std::mem::take(buf)), timer, deadline)
        .await
        .ok_or(UpstreamError::Timeout)?;
    *buf = back;
    res.map(|_| ()).map_err(UpstreamError::Io)
}

/// Reads more bytes onto the end of `conn.rbuf`, growing it when full. Returns the count (0 = EOF).
pub async fn read_more(
    conn: &mut UpConn,
    deadline: Instant,
    grow_to: usize,
) -> Result<usize, UpstreamError> {
    remaining(deadline)?;
    let mut buf = std::mem::take(&mut conn.rbuf);
    if buf.len() == buf.capacity() {
        buf.reserve(
            buf.capacity()
                .max(4096)
                .min(grow_to.saturating_sub(buf.len()).max(4096)),
        );
    }
    let UpConn { stream, timer, .. } = conn;
    let (res, buf) = timed(stream.read(buf), timer, deadline)
        .await
        .ok_or(UpstreamError::Timeout)?;
    conn.rbuf = buf;
    res.map_err(UpstreamError::Io)
}

/// Reads until a response head other than `100 Continue` is parsed into `out`; returns its
/// length. A `100 Continue` is skipped as interim (the gateway never sends `Expect`, but a backend
/// may send one anyway, and it promises nothing). Any other 1xx (`101`, `102`, `103`, ...) is
/// returned like a final head: the gateway never asks for an upgrade, so it is the caller's to
/// refuse as a backend fault.
pub async fn read_head(
    conn: &mut UpConn,
    max_head: usize,
    request_was_head: bool,
    deadline: Instant,
    out: &mut ResponseHead,
) -> Result<usize, UpstreamError> {
    let mut received = false;
    loop {
        match parse_response(&conn.rbuf, max_head, request_was_head, out) {
            Ok(Some(n)) if out.status == 100 => {
                conn.rbuf.drain(..n);
                received = true;
            }
            Ok(Some(n)) => return Ok(n),
            Ok(None) => {
                let n = read_more(conn, deadline, max_head + 4096).await?;
                if n == 0 {
                    return Err(UpstreamError::Closed {
                        received: received || !conn.rbuf.is_empty(),
                    });
                }
            }
            Err(e) => return Err(UpstreamError::Malformed(e)),
        }
    }
}
