//! A backend response body still to be read, with its framing: what the integrate phase returns
//! beside the response head. Whoever consumes it — the connection's relay for HTTP_PROXY, the
//! response transform for HTTP (which needs it whole) — reads it through this type, and
//! `Client::release` then pools the connection only if the body ended exactly where its framing
//! said (bytes the backend sent unasked make a connection unfit for reuse).

use super::pool::UpConn;
use super::wire::read_more;
use super::{Attempt, UpstreamError};
use crate::deploy::snapshot::UpstreamId;
use crate::http::body::{BodyError, ChunkedDecoder};
use crate::http::upstream::ResponseHead;
use crate::http::Framing;
use std::time::Instant;

/// Most bytes read from the backend per read while relaying.
const READ_PIECE: usize = 64 * 1024;

pub struct BodyStream {
    conn: Box<UpConn>,
    up_id: UpstreamId,
    head_len: usize,
    /// Offset in `conn.rbuf` of the first body byte not yet consumed.
    pos: usize,
    framing: Framing,
    /// The backend allows reuse after this response.
    keep_alive: bool,
    /// Set when the body was read to exactly its end and the connection may be pooled.
    reusable: bool,
}

impl BodyStream {
    pub(super) fn new(
        mut conn: Box<UpConn>,
        attempt: &Attempt,
        head: &ResponseHead,
        head_len: usize,
    ) -> BodyStream {
        conn.deadline = attempt.deadline;
        conn.read_timeout = attempt.read_timeout;
        BodyStream {
            conn,
            up_id: attempt.up_id,
            head_len,
            pos: head_len,
            framing: head.framing,
            keep_alive: head.keep_alive,
            reusable: false,
        }
    }

    /// The buffer the response head's spans point into; valid until the first `refill`.
    pub fn head_buf(&self) -> &[u8] {
        &self.conn.rbuf[..self.head_len]
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Body bytes already read and not yet consumed.
    pub fn buffered(&self) -> &[u8] {
        &self.conn.rbuf[self.pos..]
    }

    pub fn consume(&mut self, n: usize) {
        self.pos += n;
    }

    /// The body ends here (its framing said so, or it has none): the connection may be reused
    /// if the backend allows it and sent nothing beyond.
    pub fn end(&mut self) {
        self.reusable = self.keep_alive && self.pos == self.conn.rbuf.len();
    }

    /// Drops what was consumed and reads the next piece, each read allowed the read timeout.
    /// The head's bytes are gone afterwards. `Ok(0)` is the backend's close.
    pub async fn refill(&mut self) -> Result<usize, UpstreamError> {
        self.conn.rbuf.clear();
        self.pos = 0;
        self.head_len = 0;
        let conn = &mut *self.conn;
        conn.deadline = conn.deadline.max(Instant::now() + conn.read_timeout);
        let deadline = conn.deadline;
        read_more(conn, deadline, READ_PIECE).await
    }

    /// Reads the whole body (decoded, at most `max` bytes) into `out`, keeping the head's bytes.
    pub async fn collect(&mut self, max: usize, out: &mut Vec<u8>) -> Result<(), UpstreamError> {
        out.clear();
        let head_len = self.head_len;
        let deadline = self.conn.deadline;
        match self.framing {
            Framing::None => {}
            Framing::ContentLength(n) => {
                let n = usize::try_from(n).map_err(|_| UpstreamError::TooLarge)?;
                if n > max {
                    return Err(UpstreamError::TooLarge);
                }
                while self.conn.rbuf.len() < head_len + n {
                    if read_more(&mut self.conn, deadline, head_len + n).await? == 0 {
                        return Err(UpstreamError::Closed { received: true });
                    }
                }
                out.extend_from_slice(&self.conn.rbuf[head_len..head_len + n]);
                self.pos = head_len + n;
            }
            Framing::Chunked => {
                let mut decoder = ChunkedDecoder::new(max);
                loop {
                    let (used, done) =
                        decoder
                            .decode(&self.conn.rbuf[self.pos..], out)
                            .map_err(|e| match e {
                                BodyError::TooLarge => UpstreamError::TooLarge,
                                _ => UpstreamError::BadChunk,
                            })?;
                    self.pos += used;
                    if done {
                        break;
                    }
                    // Keep the head (its spans) and the undecoded tail; drop what was decoded.
                    self.conn.rbuf.drain(head_len..self.pos);
                    self.pos = head_len;
                    if read_more(&mut self.conn, deadline, READ_PIECE).await? == 0 {
                        return Err(UpstreamError::Closed { received: true });
                    }
                }
            }
            Framing::UntilClose => {
                self.keep_alive = false;
                loop {
                    if self.conn.rbuf.len() - head_len > max {
                        return Err(UpstreamError::TooLarge);
                    }
                    let grow = head_len + max + 1;
                    if read_more(&mut self.conn, deadline, grow).await? == 0 {
                        break;
                    }
                }
                out.extend_from_slice(&self.conn.rbuf[head_len..]);
                self.pos = self.conn.rbuf.len();
            }
        }
        self.end();
        Ok(())
    }

    /// The connection, when the body ended cleanly and it may carry another request.
    pub(super) fn into_reusable(self) -> Option<(UpstreamId, Box<UpConn>)> {
        self.reusable.then_some((self.up_id, self.conn))
    }
}
