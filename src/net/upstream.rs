//! The backend side of a proxied exchange: connecting to an upstream (at an address the control
//! plane resolved, see `core::addrs`), writing the request, and reading the response head. Body
//! relaying lives in `pipeline::integrate`, which decides framing towards the client.
//!
//! Every wait is bounded by the integration deadline. Buffers are owned and handed to the kernel
//! and back (monoio's rent model); a timed-out operation takes its buffer with it, and the
//! connection is then dropped, never pooled.

use crate::core::pool::UpConn;
use crate::deploy::snapshot::{Scheme, Upstream};
use crate::http::upstream::{parse_response, ResponseHead, UpstreamHeadError};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot resolve {0}")]
    Resolve(String),
    #[error("connect failed: {0}")]
    Connect(io::Error),
    #[error("timed out")]
    Timeout,
    #[error("backend closed the connection (response bytes received: {received})")]
    Closed { received: bool },
    #[error("I/O error: {0}")]
    Io(io::Error),
    #[error("invalid backend response: {0}")]
    Malformed(UpstreamHeadError),
    #[error("https backends need the TLS client, which this build does not have yet")]
    TlsUnsupported,
}

impl UpstreamError {
    /// A failure that may be the backend's idle close racing our reuse of a pooled connection:
    /// nothing of a response arrived, so the request was not processed (or can safely be sent
    /// again, for idempotent methods).
    pub fn maybe_stale_connection(&self) -> bool {
        match self {
            UpstreamError::Closed { received } => !received,
            UpstreamError::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionAborted
            ),
            _ => false,
        }
    }
}

pub fn remaining(deadline: Instant) -> Result<Duration, UpstreamError> {
    let now = Instant::now();
    if now >= deadline {
        return Err(UpstreamError::Timeout);
    }
    Ok(deadline - now)
}

pub async fn connect(
    up: &Upstream,
    addr: SocketAddr,
    connect_timeout: Duration,
    deadline: Instant,
) -> Result<UpConn, UpstreamError> {
    if up.scheme == Scheme::Https {
        return Err(UpstreamError::TlsUnsupported);
    }
    let limit = remaining(deadline)?.min(connect_timeout);
    let stream = monoio::time::timeout(limit, TcpStream::connect_addr(addr))
        .await
        .map_err(|_| UpstreamError::Timeout)?
        .map_err(UpstreamError::Connect)?;
    let _ = stream.set_nodelay(true);
    Ok(UpConn::new(stream))
}

/// Writes all of `buf` (handed back through the same `&mut`).
pub async fn write_all(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    deadline: Instant,
) -> Result<(), UpstreamError> {
    let limit = remaining(deadline)?;
    let (res, back) = monoio::time::timeout(limit, stream.write_all(std::mem::take(buf)))
        .await
        .map_err(|_| UpstreamError::Timeout)?;
    *buf = back;
    res.map(|_| ()).map_err(UpstreamError::Io)
}

/// Reads more bytes onto the end of `conn.rbuf`, growing it when full. Returns the count (0 = EOF).
pub async fn read_more(
    conn: &mut UpConn,
    deadline: Instant,
    grow_to: usize,
) -> Result<usize, UpstreamError> {
    let limit = remaining(deadline)?;
    let mut buf = std::mem::take(&mut conn.rbuf);
    if buf.len() == buf.capacity() {
        buf.reserve(
            buf.capacity()
                .max(4096)
                .min(grow_to.saturating_sub(buf.len()).max(4096)),
        );
    }
    let len = buf.len();
    let (res, slice) = monoio::time::timeout(limit, conn.stream.read(buf.slice_mut(len..)))
        .await
        .map_err(|_| UpstreamError::Timeout)?;
    conn.rbuf = slice.into_inner();
    res.map_err(UpstreamError::Io)
}

/// Reads until a final (non-1xx) response head is parsed into `out`; returns its length. Interim
/// 1xx responses are skipped, as RFC 9110 lets a proxy do for clients that did not ask for them.
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
            Ok(Some(n)) if out.is_interim() && out.status != 101 => {
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
