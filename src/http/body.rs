//! Chunked transfer coding (RFC 9112 §7.1), sans-io.
//!
//! One state machine serves two uses:
//! - `decode` turns a client's chunked request body into plain bytes appended to a caller-owned
//!   `Vec` (whose capacity the connection keeps across requests, so the steady state does not
//!   allocate), enforcing `max_body` on the decoded size;
//! - `scan` only tracks framing, so a backend's chunked response can be relayed byte for byte
//!   while the connection still learns exactly where the message ends.
//!
//! Input may be split at any byte; the decoder keeps all state in a few integers. It is strict
//! where leniency is a smuggling vector: no bare LF or CR, no whitespace except before a chunk
//! extension, at most 16 hex digits, and the CRLF after each chunk's data is required. Chunk
//! extensions and trailer fields are skipped, and their length is bounded so an endless extension
//! or trailer cannot keep a connection busy.

/// Longest chunk extension (after the size) we skip on one chunk-size line.
pub const MAX_CHUNK_EXT: usize = 4096;
/// Longest trailer section we skip.
pub const MAX_TRAILERS: usize = 16 * 1024;

/// Why a chunked body was refused. Either way the connection is closed afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("malformed chunked body: {0}")]
    Malformed(&'static str),
    #[error("body larger than the limit")]
    TooLarge,
}

impl BodyError {
    pub fn status(&self) -> u16 {
        match self {
            BodyError::Malformed(_) => 400,
            BodyError::TooLarge => 413,
        }
    }

    /// The text for the `{"message": "..."}` body.
    pub fn message(&self) -> &'static str {
        match self {
            BodyError::Malformed(_) => "Bad Request",
            BodyError::TooLarge => "Request Too Long",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the chunk-size hex digits; `digits` so far.
    Size {
        digits: u8,
    },
    /// Whitespace after the size: only allowed before a `;` extension (RFC 9112 BWS).
    SizeBws,
    /// Skipping a chunk extension until CR.
    Ext {
        len: usize,
    },
    /// Saw the CR ending the size line.
    SizeLf,
    /// Inside chunk data; `self.remaining` bytes left.
    Data,
    DataCr,
    DataLf,
    /// At the start of a trailer line (or the final empty line).
    TrailerStart,
    /// Inside a trailer field line.
    Trailer,
    TrailerLf,
    /// Saw the CR of the final empty line.
    EndLf,
    Done,
}

/// Chunked decoder and validator. Create one per message or `reset` it.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    size: u64,
    remaining: u64,
    total: u64,
    trailer_len: usize,
    max_body: u64,
}

impl ChunkedDecoder {
    /// `max_body` bounds the decoded size (413 beyond it); pass `usize::MAX` to relay unbounded.
    pub fn new(max_body: usize) -> Self {
        ChunkedDecoder {
            state: State::Size { digits: 0 },
            size: 0,
            remaining: 0,
            total: 0,
            trailer_len: 0,
            max_body: max_body as u64,
        }
    }

    /// Starts over for the next message, keeping the limit.
    pub fn reset(&mut self) {
        *self = Self::new(self.max_body as usize);
    }

    /// Decoded bytes so far.
    pub fn decoded_len(&self) -> u64 {
        self.total
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes from `input`, appending chunk data to `out`. Returns how many input bytes were
    /// consumed and whether the message is complete; once complete, bytes after the final CRLF
    /// are not consumed (they belong to the next pipelined request). After an error the decoder
    /// must not be used again without `reset`.
    #[inline]
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(usize, bool), BodyError> {
        self.run(input, |data| out.extend_from_slice(data))
    }

    /// Like `decode`, but only validates and tracks framing; data is neither copied nor kept.
    #[inline]
    pub fn scan(&mut self, input: &[u8]) -> Result<(usize, bool), BodyError> {
        self.run(input, |_| {})
    }

    fn run(
        &mut self,
        input: &[u8],
        mut on_data: impl FnMut(&[u8]),
    ) -> Result<(usize, bool), BodyError> {
        let mut i = 0;
        while i < input.len() {
            if self.state == State::Data {
                // The only state that takes more than one byte at a time: copy the run.
                let take = (input.len() - i).min(self.remaining.min(usize::MAX as u64) as usize);
                on_data(&input[i..i + take]);
                i += take;
                self.remaining -= take as u64;
                if self.remaining == 0 {
                    self.state = State::DataCr;
                }
                continue;
            }
            let b = input[i];
            i += 1;
            self.state = match self.state {
                State::Size { digits } => match hex_value(b) {
                    Some(v) => {
                        if digits == 16 {
                            return Err(malformed("chunk size too long"));
                        }
                        self.size = (self.size << 4) | u64::from(v);
                        State::Size { digits: digits + 1 }
                    }
                    None if digits == 0 => return Err(malformed("missing chunk size")),
                    None => match b {
                        b'\r' => State::SizeLf,
                        b';' => State::Ext { len: 0 },
                        b' ' | b'\t' => State::SizeBws,
                        b'\n' => return Err(malformed("bare LF")),
                        _ => return Err(malformed("invalid chunk size")),
                    },
                },
                State::SizeBws => match b {
                    b' ' | b'\t' => State::SizeBws,
                    b';' => State::Ext { len: 0 },
                    _ => return Err(malformed("whitespace after chunk size")),
                },
                State::Ext { len } => match b {
                    b'\r' => State::SizeLf,
                    b'\n' => return Err(malformed("bare LF")),
                    // Extensions are tokens and quoted strings; controls are never valid.
                    0..=0x08 | 0x0a..=0x1f | 0x7f => {
                        return Err(malformed("control in chunk extension"))
                    }
                    _ if len >= MAX_CHUNK_EXT => return Err(malformed("chunk extension too long")),
                    _ => State::Ext { len: len + 1 },
                },
                State::SizeLf => {
                    if b != b'\n' {
                        return Err(malformed("bare CR"));
                    }
                    if self.size == 0 {
                        State::TrailerStart
                    } else {
                        // Refuse as soon as the size line announces too much, before any data.
                        self.total = self
                            .total
                            .checked_add(self.size)
                            .filter(|&t| t <= self.max_body)
                            .ok_or(BodyError::TooLarge)?;
                        self.remaining = self.size;
                        self.size = 0;
                        State::Data
                    }
                }
                State::DataCr => match b {
                    b'\r' => State::DataLf,
                    _ => return Err(malformed("missing CRLF after chunk data")),
                },
                State::DataLf => match b {
                    b'\n' => State::Size { digits: 0 },
                    _ => return Err(malformed("missing CRLF after chunk data")),
                },
                State::TrailerStart => match b {
                    b'\r' => State::EndLf,
                    b'\n' => return Err(malformed("bare LF")),
                    // A trailer line starting with whitespace would be obs-fold.
                    b' ' | b'\t' => return Err(malformed("obs-fold in trailer")),
                    _ => self.trailer_byte(b)?,
                },
                State::Trailer => match b {
                    b'\r' => State::TrailerLf,
                    b'\n' => return Err(malformed("bare LF")),
                    _ => self.trailer_byte(b)?,
                },
                State::TrailerLf => match b {
                    b'\n' => State::TrailerStart,
                    _ => return Err(malformed("bare CR")),
                },
                State::EndLf => match b {
                    b'\n' => {
                        self.state = State::Done;
                        return Ok((i, true));
                    }
                    _ => return Err(malformed("bare CR")),
                },
                State::Data => unreachable!("handled above"),
                State::Done => {
                    // Nothing after the end belongs to this message.
                    return Ok((i - 1, true));
                }
            };
        }
        Ok((i, self.state == State::Done))
    }

    #[inline]
    fn trailer_byte(&mut self, b: u8) -> Result<State, BodyError> {
        if (b < 0x20 && b != b'\t') || b == 0x7f {
            return Err(malformed("control in trailer"));
        }
        self.trailer_len += 1;
        if self.trailer_len > MAX_TRAILERS {
            return Err(malformed("trailer section too long"));
        }
        Ok(State::Trailer)
    }
}

#[inline]
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cold]
fn malformed(reason: &'static str) -> BodyError {
    BodyError::Malformed(reason)
}

#[cfg(test)]
#[path = "body_tests.rs"]
mod tests;
