//! The connection's relay: after `respond` wrote a streamed response's head, this copies the rest
//! of the backend body to the client, reframed as `respond` decided, then hands the backend
//! connection back to the upstream client. It is the only writer of client bytes besides
//! `respond`.
//!
//! Memory stays bounded however large or slow the body: pending bytes are written out once they
//! pass `FLUSH_AT`, and the backend is read one piece at a time into its connection's buffer.
//! A body cut short ends the client's response visibly truncated (fewer bytes than
//! Content-Length, or no final chunk), and the caller then closes the connection.

use super::stream::Stream;
use super::upstream::{BodyStream, Client};
use crate::http::body::ChunkedDecoder;
use crate::http::response;
use std::time::Duration;

/// Pending response bytes are written to the client once they pass this size.
pub const FLUSH_AT: usize = 64 * 1024;

/// How the body goes to the client, given the backend's framing and the client's HTTP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayMode {
    /// Nothing more to send (no body, a HEAD request, or a body already read whole): only
    /// release the backend connection.
    Done,
    /// Exactly this many bytes, as they come (the client was told Content-Length).
    Sized(u64),
    /// A chunked body relayed byte for byte (its framing is validated on the way).
    Chunked,
    /// A chunked body decoded for an HTTP/1.0 client; the connection closes after it.
    Dechunked,
    /// A body that ends when the backend closes, chunked for the client.
    UntilCloseChunked,
    /// A body that ends when the backend closes, sent as is; the connection closes after it.
    UntilCloseRaw,
}

/// A streamed body handed from the pipeline to the connection.
pub struct Relay {
    pub body: BodyStream,
    pub mode: RelayMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayEnd {
    /// The whole body went out (pending bytes may remain in the write buffer).
    Complete,
    /// The backend failed or closed early: the client's response is truncated.
    Truncated,
    /// Writing to the client failed or stalled.
    ClientGone,
}

/// How a relay went: its end, and whether it waited on either side (a relay whose body was
/// already read whole does no I/O, and then the core's clock reading is still current).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relayed {
    pub end: RelayEnd,
    pub waited: bool,
}

/// What reading the next piece of a relayed body gave.
enum Refill {
    More,
    Ended,
    Failed,
    ClientGone,
}

async fn flush<S: Stream>(client: &mut S, wbuf: &mut Vec<u8>, limit: Duration) -> bool {
    if wbuf.is_empty() {
        return true;
    }
    match monoio::time::timeout(limit, client.write_all(std::mem::take(wbuf))).await {
        Ok((res, mut back)) => {
            back.clear();
            *wbuf = back;
            res.is_ok()
        }
        Err(_) => false,
    }
}

/// Between two pieces of a body: writes the pending bytes out once they pass `FLUSH_AT`, then
/// reads the next piece from the backend.
async fn refill<S: Stream>(
    body: &mut BodyStream,
    client: &mut S,
    wbuf: &mut Vec<u8>,
    write_limit: Duration,
    waited: &mut bool,
) -> Refill {
    *waited = true;
    if wbuf.len() >= FLUSH_AT && !flush(client, wbuf, write_limit).await {
        return Refill::ClientGone;
    }
    match body.refill().await {
        Ok(0) => Refill::Ended,
        Ok(_) => Refill::More,
        Err(_) => Refill::Failed,
    }
}

/// Relays the rest of `relay`'s body into `wbuf` (flushing to `client` as it grows), then
/// returns the backend connection to `upstream` when it ended cleanly.
pub async fn relay<S: Stream>(
    relay: Relay,
    client: &mut S,
    wbuf: &mut Vec<u8>,
    upstream: &Client,
    write_limit: Duration,
) -> Relayed {
    let Relay { mut body, mode } = relay;
    let mut waited = false;
    let end = copy(&mut body, mode, client, wbuf, write_limit, &mut waited).await;
    if end == RelayEnd::Complete {
        upstream.release(body);
    }
    Relayed { end, waited }
}

async fn copy<S: Stream>(
    body: &mut BodyStream,
    mode: RelayMode,
    client: &mut S,
    wbuf: &mut Vec<u8>,
    write_limit: Duration,
    waited: &mut bool,
) -> RelayEnd {
    match mode {
        RelayMode::Done => {}
        RelayMode::Sized(n) => {
            let mut remaining = n as usize;
            loop {
                let data = body.buffered();
                let take = remaining.min(data.len());
                wbuf.extend_from_slice(&data[..take]);
                body.consume(take);
                remaining -= take;
                if remaining == 0 {
                    break;
                }
                match refill(body, client, wbuf, write_limit, waited).await {
                    Refill::More => {}
                    Refill::ClientGone => return RelayEnd::ClientGone,
                    Refill::Ended | Refill::Failed => return RelayEnd::Truncated,
                }
            }
        }
        RelayMode::Chunked | RelayMode::Dechunked => {
            let mut decoder = ChunkedDecoder::new(usize::MAX);
            loop {
                let input = body.buffered();
                let step = if mode == RelayMode::Chunked {
                    // The framing is validated as it passes, so relaying the bytes is safe.
                    decoder.scan(input).inspect(|(used, _)| {
                        wbuf.extend_from_slice(&input[..*used]);
                    })
                } else {
                    decoder.decode(input, wbuf)
                };
                match step {
                    Ok((used, done)) => {
                        body.consume(used);
                        if done {
                            break;
                        }
                    }
                    Err(_) => return RelayEnd::Truncated,
                }
                match refill(body, client, wbuf, write_limit, waited).await {
                    Refill::More => {}
                    Refill::ClientGone => return RelayEnd::ClientGone,
                    Refill::Ended | Refill::Failed => return RelayEnd::Truncated,
                }
            }
        }
        RelayMode::UntilCloseChunked | RelayMode::UntilCloseRaw => loop {
            let data = body.buffered();
            if !data.is_empty() {
                if mode == RelayMode::UntilCloseChunked {
                    response::chunk_header(wbuf, data.len());
                    wbuf.extend_from_slice(data);
                    wbuf.extend_from_slice(b"\r\n");
                } else {
                    wbuf.extend_from_slice(data);
                }
                let n = data.len();
                body.consume(n);
            }
            match refill(body, client, wbuf, write_limit, waited).await {
                Refill::More => {}
                Refill::ClientGone => return RelayEnd::ClientGone,
                Refill::Ended => {
                    if mode == RelayMode::UntilCloseChunked {
                        response::last_chunk(wbuf);
                    }
                    // Never reused: the body's end was the connection's end.
                    return RelayEnd::Complete;
                }
                Refill::Failed => return RelayEnd::Truncated,
            }
        },
    }
    body.end();
    RelayEnd::Complete
}
