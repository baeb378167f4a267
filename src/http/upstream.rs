//! The backend response head parser, used by the upstream client (`net::upstream`).
//!
//! `parse_response(buf, max_head, request_was_head, out)` returns `Ok(None)` while incomplete,
//! `Ok(Some(n))` for a complete head of `n` bytes, or an `UpstreamHeadError` (answered as 502).
//!
//! Interim responses: a 1xx head (e.g. `100 Continue`, `103 Early Hints`) is returned like any
//! other, with `Framing::None`. The caller drops a `100 Continue` and parses again for the final
//! response; any other 1xx (`101 Switching Protocols` included) is one the gateway never asked
//! for, and an error for the caller.
//!
//! Header values: every line is CRLF-terminated (no bare CR or LF, checked below) and httparse
//! refuses NUL and other control bytes but HTAB in values, and obs-fold continuation lines in
//! responses, so a value taken from a parsed head is always an RFC 9110 field value and can be
//! copied into a client response as it is (`tests::header_values_are_field_values`).
//!
//! Invariants: no allocation (fixed header array, spans into `buf`), at most `max_head` bytes
//! parsed, and a body length we are sure of (RFC 9112 §6.3), since the response is relayed to a
//! client on a connection that may be reused.

use std::mem::MaybeUninit;

use super::syntax::{
    check_head_end, check_leading_empty_lines, check_line_end, list_items, parse_content_length,
    span_of, TransferCodings,
};
use super::{Framing, HeaderSpan, Span, MAX_HEADERS};

/// Why a backend response head was refused; all of them are a 502 to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamHeadError {
    #[error("malformed backend response head: {0}")]
    Malformed(&'static str),
    #[error("backend response head too large")]
    HeadTooLarge,
    #[error("too many backend response headers")]
    TooManyHeaders,
    /// The body length cannot be determined without guessing (CL+TE, conflicting CL...).
    #[error("ambiguous backend response framing: {0}")]
    BadFraming(&'static str),
}

impl UpstreamHeadError {
    pub fn status(&self) -> u16 {
        502
    }
}

#[derive(Debug, Clone)]
pub struct ResponseHead {
    pub status: u16,
    /// The reason phrase (possibly empty).
    pub reason: Span,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    pub headers: [HeaderSpan; MAX_HEADERS],
    pub n_headers: usize,
    pub framing: Framing,
    /// Whether the backend connection may be reused after this response's body.
    pub keep_alive: bool,
}

impl Default for ResponseHead {
    fn default() -> Self {
        ResponseHead {
            status: 0,
            reason: Span::default(),
            minor_version: 1,
            headers: [HeaderSpan::default(); MAX_HEADERS],
            n_headers: 0,
            framing: Framing::None,
            keep_alive: false,
        }
    }
}

impl ResponseHead {
    pub fn new() -> Self {
        Self::default()
    }

    /// A 1xx head; skip it and parse the next head.
    #[inline]
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status)
    }

    /// The value of header `name_lowercase` (ASCII case-insensitive); the last line wins.
    #[inline]
    pub fn header<'a>(&self, buf: &'a [u8], name_lowercase: &[u8]) -> Option<&'a [u8]> {
        super::find_header(&self.headers[..self.n_headers], buf, name_lowercase)
    }

    /// All header lines in order, as (name, value).
    #[inline]
    pub fn headers<'a>(&'a self, buf: &'a [u8]) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        super::header_pairs(&self.headers[..self.n_headers], buf)
    }
}

/// Parses a backend response head at the start of `buf`. See the module doc for the contract.
pub fn parse_response(
    buf: &[u8],
    max_head: usize,
    request_was_head: bool,
    out: &mut ResponseHead,
) -> Result<Option<usize>, UpstreamHeadError> {
    let window = buf.len().min(max_head).min(u32::MAX as usize);
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut []);
    match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut res,
        &buf[..window],
        &mut headers,
    ) {
        Ok(httparse::Status::Complete(n)) => {
            finish(buf, n, &res, request_was_head, out)?;
            Ok(Some(n))
        }
        Ok(httparse::Status::Partial) if buf.len() > max_head => {
            Err(UpstreamHeadError::HeadTooLarge)
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(map_httparse_error(e)),
    }
}

#[cold]
fn map_httparse_error(e: httparse::Error) -> UpstreamHeadError {
    use httparse::Error as E;
    use UpstreamHeadError::Malformed;
    match e {
        E::TooManyHeaders => UpstreamHeadError::TooManyHeaders,
        E::Version => Malformed("unsupported or malformed HTTP version"),
        E::Status => Malformed("malformed status line"),
        E::HeaderName => Malformed("invalid header name"),
        E::HeaderValue => Malformed("invalid header value"),
        E::NewLine => Malformed("invalid line terminator"),
        E::Token => Malformed("invalid token"),
    }
}

fn finish(
    buf: &[u8],
    n: usize,
    res: &httparse::Response<'_, '_>,
    request_was_head: bool,
    out: &mut ResponseHead,
) -> Result<(), UpstreamHeadError> {
    use UpstreamHeadError::{BadFraming, Malformed};
    let (Some(minor_version), Some(status)) = (res.version, res.code) else {
        return Err(Malformed("incomplete status line"));
    };
    if status < 100 {
        return Err(Malformed("status code below 100"));
    }
    out.status = status;
    out.minor_version = minor_version;

    // httparse gives the reason as a str it may replace with a static "" (obs-text), so find the
    // status line in `buf` instead: CRLF* "HTTP/1.x SP ddd [SP reason] CRLF".
    let start = buf[..n]
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(n);
    check_leading_empty_lines(&buf[..start]).map_err(Malformed)?;
    let lf = start
        + buf[start..n]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(n - start);
    if lf == n || buf[lf - 1] != b'\r' {
        return Err(Malformed("bare LF line terminator"));
    }
    let code_end = start + 12;
    out.reason = if lf - 1 > code_end {
        Span {
            start: code_end as u32 + 1,
            end: (lf - 1) as u32,
        }
    } else {
        Span {
            start: code_end as u32,
            end: code_end as u32,
        }
    };

    let mut cl: Option<u64> = None;
    let mut te = TransferCodings::default();
    let (mut close, mut keep_alive_token) = (false, false);
    let mut line_end = lf - 1;
    for (slot, h) in out.headers.iter_mut().zip(res.headers.iter()) {
        let name = span_of(buf, h.name.as_bytes());
        let value = span_of(buf, h.value);
        check_line_end(buf, line_end, name.start as usize).map_err(Malformed)?;
        line_end = value.end as usize;
        *slot = HeaderSpan { name, value };

        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"content-length") {
            let len = parse_content_length(h.value).ok_or(BadFraming("invalid Content-Length"))?;
            // RFC 9112 §6.3 allows identical repeats; differing ones leave the length unknown.
            if cl.is_some_and(|prev| prev != len) {
                return Err(BadFraming("conflicting Content-Length"));
            }
            cl = Some(len);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            te.add(h.value).map_err(BadFraming)?;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in list_items(h.value) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    out.n_headers = res.headers.len();
    check_head_end(buf, line_end, n).map_err(Malformed)?;

    // Checked before the no-body cases: a backend that sends both is broken, and we never relay
    // a head whose framing two implementations could read differently.
    if te.present && cl.is_some() {
        return Err(BadFraming("both Content-Length and Transfer-Encoding"));
    }
    if te.present && minor_version == 0 {
        return Err(BadFraming("Transfer-Encoding in HTTP/1.0"));
    }
    let mut keep_alive = !close && (minor_version == 1 || keep_alive_token);
    out.framing = if request_was_head || status < 200 || status == 204 || status == 304 {
        Framing::None
    } else if te.present {
        if te.chunked_last {
            Framing::Chunked
        } else {
            // RFC 9112 §6.3 item 4 (response): read until close.
            keep_alive = false;
            Framing::UntilClose
        }
    } else if let Some(len) = cl {
        Framing::ContentLength(len)
    } else {
        keep_alive = false;
        Framing::UntilClose
    };
    out.keep_alive = keep_alive;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        buf: &[u8],
        head_req: bool,
    ) -> (Result<Option<usize>, UpstreamHeadError>, ResponseHead) {
        let mut out = ResponseHead::new();
        let r = parse_response(buf, 8192, head_req, &mut out);
        (r, out)
    }

    #[test]
    fn typical_response() {
        let buf = b"HTTP/1.1 201 Created Now\r\nContent-Type: application/json\r\nContent-Length: 2\r\nX-A: 1\r\nx-a: 2\r\n\r\n{}";
        let (r, h) = parse(buf, false);
        assert_eq!(r, Ok(Some(buf.len() - 2)));
        assert_eq!((h.status, h.minor_version), (201, 1));
        assert_eq!(h.reason.get(buf), b"Created Now");
        assert_eq!(h.framing, Framing::ContentLength(2));
        assert!(h.keep_alive);
        assert_eq!(h.header(buf, b"x-a"), Some(&b"2"[..]));
        assert_eq!(h.headers(buf).count(), 4);
        for i in 0..buf.len() - 2 {
            assert_eq!(parse(&buf[..i], false).0, Ok(None), "split at {i}");
        }
    }

    #[test]
    fn framing_table() {
        use Framing::*;
        // (head, request was HEAD, status, framing, keep_alive)
        let cases: &[(&[u8], bool, u16, Framing, bool)] = &[
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                false,
                200,
                ContentLength(5),
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                false,
                200,
                ContentLength(5),
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                false,
                200,
                Chunked,
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                false,
                200,
                Chunked,
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                false,
                200,
                UntilClose,
                false,
            ),
            (b"HTTP/1.1 200 OK\r\n\r\n", false, 200, UntilClose, false),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
                false,
                200,
                ContentLength(5),
                false,
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n",
                false,
                200,
                ContentLength(5),
                false,
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n",
                false,
                200,
                ContentLength(5),
                true,
            ),
            (b"HTTP/1.1 204 No Content\r\n\r\n", false, 204, None, true),
            (
                b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
                false,
                304,
                None,
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
                true,
                200,
                None,
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                true,
                200,
                None,
                true,
            ),
            (b"HTTP/1.1 100 Continue\r\n\r\n", false, 100, None, true),
            (
                b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
                false,
                103,
                None,
                true,
            ),
            (
                b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
                false,
                200,
                ContentLength(0),
                true,
            ),
            (
                b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                false,
                200,
                ContentLength(0),
                true,
            ),
        ];
        for (buf, head_req, status, framing, ka) in cases {
            let (r, h) = parse(buf, *head_req);
            assert_eq!(r, Ok(Some(buf.len())), "{}", String::from_utf8_lossy(buf));
            assert_eq!(
                (h.status, h.framing, h.keep_alive),
                (*status, *framing, *ka),
                "{}",
                String::from_utf8_lossy(buf)
            );
        }
    }

    #[test]
    fn interim_then_final() {
        let buf = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
        let mut h = ResponseHead::new();
        let mut at = 0;
        loop {
            let n = parse_response(&buf[at..], 8192, false, &mut h)
                .unwrap()
                .unwrap();
            at += n;
            if !h.is_interim() {
                break;
            }
        }
        assert_eq!(
            (h.status, h.framing, &buf[at..]),
            (200, Framing::ContentLength(1), &b"x"[..])
        );
    }

    #[test]
    fn empty_and_obs_text_reason() {
        let buf = b"HTTP/1.1 200 \xe9t\xe9\r\n\r\n";
        let (r, h) = parse(buf, false);
        assert!(r.is_ok());
        assert_eq!(h.reason.get(buf), b"\xe9t\xe9");
        let buf = b"HTTP/1.1 404\r\n\r\n";
        let (_, h) = parse(buf, false);
        assert_eq!(h.reason.get(buf), b"");
    }

    #[test]
    fn rejections() {
        use UpstreamHeadError::*;
        let too_many = {
            let mut b = b"HTTP/1.1 200 OK\r\n".to_vec();
            for i in 0..=MAX_HEADERS {
                b.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
            }
            b.extend_from_slice(b"\r\n");
            b
        };
        let big = [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; 9000]].concat();
        type Case<'a> = (&'a str, &'a [u8], fn(&UpstreamHeadError) -> bool);
        let cases: &[Case] = &[
            (
                "CL and TE",
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                |e| matches!(e, BadFraming(_)),
            ),
            (
                "CL and TE on 204",
                b"HTTP/1.1 204 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                |e| matches!(e, BadFraming(_)),
            ),
            (
                "conflicting CL",
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                |e| matches!(e, BadFraming(_)),
            ),
            (
                "invalid CL",
                b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
                |e| matches!(e, BadFraming(_)),
            ),
            (
                "CL list",
                b"HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n",
                |e| matches!(e, BadFraming(_)),
            ),
            (
                "CL sign",
                b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                |e| matches!(e, BadFraming(_)),
            ),
            (
                "chunked twice",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                |e| matches!(e, BadFraming(_)),
            ),
            (
                "TE on 1.0",
                b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                |e| matches!(e, BadFraming(_)),
            ),
            (
                "bare LF status line",
                b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
                |e| matches!(e, Malformed(_)),
            ),
            (
                "bare LF header",
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n",
                |e| matches!(e, Malformed(_)),
            ),
            (
                "bare LF end",
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n",
                |e| matches!(e, Malformed(_)),
            ),
            (
                "bare LF leading",
                b"\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                |e| matches!(e, Malformed(_)),
            ),
            ("bare CR", b"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", |e| {
                matches!(e, Malformed(_))
            }),
            (
                "bare CR status line",
                b"HTTP/1.1 200 OK\rX: b\r\n\r\n",
                |e| matches!(e, Malformed(_)),
            ),
            ("obs-fold", b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", |e| {
                matches!(e, Malformed(_))
            }),
            ("NUL in value", b"HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n", |e| {
                matches!(e, Malformed(_))
            }),
            (
                "space before colon",
                b"HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
                |e| matches!(e, Malformed(_)),
            ),
            ("HTTP/2", b"HTTP/2 200 OK\r\n\r\n", |e| {
                matches!(e, Malformed(_))
            }),
            ("status letters", b"HTTP/1.1 2x0 OK\r\n\r\n", |e| {
                matches!(e, Malformed(_))
            }),
            ("status 099", b"HTTP/1.1 099 OK\r\n\r\n", |e| {
                matches!(e, Malformed(_))
            }),
            ("four-digit status", b"HTTP/1.1 2000 OK\r\n\r\n", |e| {
                matches!(e, Malformed(_))
            }),
            ("not HTTP", b"SSH-2.0-OpenSSH\r\n\r\n", |e| {
                matches!(e, Malformed(_))
            }),
            ("too many headers", &too_many, |e| {
                matches!(e, TooManyHeaders)
            }),
            ("head over max_head", &big, |e| matches!(e, HeadTooLarge)),
        ];
        for (name, buf, ok) in cases {
            let (r, _) = parse(buf, false);
            match r {
                Err(e) => {
                    assert!(ok(&e), "{name}: {e:?}");
                    assert_eq!(e.status(), 502);
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    /// The guarantee `respond` relies on when it copies a backend header into a method response
    /// header (`integration.response.header.X`): every value of a parsed head is a field value.
    #[test]
    fn header_values_are_field_values() {
        let ctl = (0u8..0x20).filter(|&b| b != b'\t').chain([0x7f]);
        for b in ctl {
            let mut buf = b"HTTP/1.1 200 OK\r\nX: a".to_vec();
            buf.push(b);
            buf.extend_from_slice(b"b\r\nContent-Length: 0\r\n\r\n");
            let (r, _) = parse(&buf, false);
            assert!(r.is_err(), "control byte {b:#04x} in a value: {r:?}");
        }
        let buf = b"HTTP/1.1 200 OK\r\nX: a\tb \x80\xff\r\nY: \r\nContent-Length: 0\r\n\r\n";
        let (r, h) = parse(buf, false);
        assert_eq!(r, Ok(Some(buf.len())));
        for (_, v) in h.headers(buf) {
            assert!(
                crate::http::response::is_valid_field_value(v),
                "{:?}",
                String::from_utf8_lossy(v)
            );
        }
    }
}
