//! The request head parser: the first thing that touches client bytes.
//!
//! `parse(buf, limits, out)` returns `Ok(None)` while the head is incomplete, `Ok(Some(n))` once
//! the first `n` bytes of `buf` are a complete head (with `out` filled with spans into `buf`), or
//! a `HeadError` that the connection answers and then closes on.
//!
//! Invariants:
//! - No allocation: httparse writes into a fixed stack array; `out` holds `Span`s, not bytes.
//! - Bounded work: httparse never sees more than `max_head` bytes, and an over-long request line
//!   is refused before its CRLF arrives.
//! - One reading of the framing: anything another HTTP implementation could frame differently
//!   (bare LF, obs-fold, CL+TE, duplicate CL, non-final chunked, TE on HTTP/1.0...) is a 400, so
//!   the gateway and its backends can never disagree about where a request ends.

use std::mem::MaybeUninit;

use super::syntax::{
    check_head_end, check_leading_empty_lines, check_line_end, list_items, parse_content_length,
    span_of, TransferCodings,
};
use super::{Framing, HeadError, HeaderSpan, Limits, Span, MAX_HEADERS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
    Options,
    /// Any other token; the route lookup will not find it.
    Other,
}

impl Method {
    /// Method tokens are case-sensitive (RFC 9110 §9.1): `get` is `Other`.
    #[inline]
    pub fn from_token(token: &[u8]) -> Method {
        match token {
            b"GET" => Method::Get,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"PATCH" => Method::Patch,
            b"HEAD" => Method::Head,
            b"OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RequestHead {
    pub method: Method,
    pub method_span: Span,
    /// The request target in origin-form, e.g. `/prod/pets?limit=2`. For an absolute-form target
    /// (`http://host/prod/pets`) this is the part from the path on; for `OPTIONS *` it is `*`.
    pub target: Span,
    /// Path part of the target, without the query.
    pub path: Span,
    /// Query part without the `?`; empty when absent.
    pub query: Span,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    pub headers: [HeaderSpan; MAX_HEADERS],
    pub n_headers: usize,
    /// The Host header value, or the authority of an absolute-form target (which RFC 9112 §3.2.2
    /// says overrides Host). `None` when absent or empty.
    pub host: Option<Span>,
    pub framing: Framing,
    /// Whether the connection may be reused after this request (HTTP/1.1 without
    /// `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`).
    pub keep_alive: bool,
    pub expect_continue: bool,
}

impl Default for RequestHead {
    fn default() -> Self {
        RequestHead {
            method: Method::Other,
            method_span: Span::default(),
            target: Span::default(),
            path: Span::default(),
            query: Span::default(),
            minor_version: 1,
            headers: [HeaderSpan::default(); MAX_HEADERS],
            n_headers: 0,
            host: None,
            framing: Framing::None,
            keep_alive: false,
            expect_continue: false,
        }
    }
}

impl RequestHead {
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of header `name_lowercase` (matched ASCII case-insensitively); when a header is
    /// repeated the last line wins.
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

/// Parses the request head at the start of `buf`. See the module doc for the contract.
pub fn parse(
    buf: &[u8],
    limits: &Limits,
    out: &mut RequestHead,
) -> Result<Option<usize>, HeadError> {
    // Spans are u32; a head never gets near that, but the window keeps the cast honest.
    let window = buf.len().min(limits.max_head).min(u32::MAX as usize);
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let max_headers = limits.max_headers.min(MAX_HEADERS);
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(&buf[..window], &mut headers[..max_headers]) {
        Ok(httparse::Status::Complete(n)) => {
            finish(buf, n, &req, limits, out)?;
            Ok(Some(n))
        }
        Ok(httparse::Status::Partial) => {
            check_partial(buf, limits)?;
            Ok(None)
        }
        Err(e) => Err(map_httparse_error(e, buf)),
    }
}

/// Limits that an incomplete head already breaks. The request line gets its own scan so that an
/// endless target is a 414 (as API Gateway answers) rather than a 431.
fn check_partial(buf: &[u8], limits: &Limits) -> Result<(), HeadError> {
    let lead = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let line = &buf[lead..];
    if let Some(sp) = line.iter().position(|&b| b == b' ') {
        let target = &line[sp + 1..];
        let len = target
            .iter()
            .position(|&b| matches!(b, b' ' | b'\r' | b'\n'))
            .unwrap_or(target.len());
        if len > limits.max_url {
            return Err(HeadError::UriTooLong);
        }
    }
    if buf.len() > limits.max_head {
        return Err(HeadError::HeadersTooLarge);
    }
    Ok(())
}

#[cold]
fn map_httparse_error(e: httparse::Error, buf: &[u8]) -> HeadError {
    use httparse::Error as E;
    match e {
        E::TooManyHeaders => HeadError::TooManyHeaders,
        E::Version if is_other_http_version(buf) => HeadError::VersionNotSupported,
        E::Version => HeadError::BadRequest("malformed HTTP version"),
        E::HeaderName => HeadError::BadRequest("invalid header name"),
        E::HeaderValue => HeadError::BadRequest("invalid header value"),
        E::NewLine => HeadError::BadRequest("invalid line terminator"),
        E::Token => HeadError::BadRequest("invalid method or request target"),
        E::Status => HeadError::BadRequest("malformed request line"),
    }
}

/// httparse knows only HTTP/1.0 and HTTP/1.1; a syntactically valid `HTTP/d.d` otherwise is 505.
fn is_other_http_version(buf: &[u8]) -> bool {
    let mut parts = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .map_or(&buf[..0], |i| &buf[i..])
        .splitn(3, |&b| b == b' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(_), Some(v)) => {
            let v = v.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or(v);
            matches!(v, [b'H', b'T', b'T', b'P', b'/', d1, b'.', d2]
                if d1.is_ascii_digit() && d2.is_ascii_digit())
                || matches!(v, [b'H', b'T', b'T', b'P', b'/', d] if d.is_ascii_digit())
        }
        _ => false,
    }
}

/// Checks and records a head httparse found complete. Everything httparse leaves to its caller
/// is here: line terminators, the target form, and the framing and connection headers.
fn finish(
    buf: &[u8],
    n: usize,
    req: &httparse::Request<'_, '_>,
    limits: &Limits,
    out: &mut RequestHead,
) -> Result<(), HeadError> {
    let bad = HeadError::BadRequest;
    let (Some(method), Some(target), Some(minor_version)) = (req.method, req.path, req.version)
    else {
        return Err(bad("incomplete request line"));
    };
    let target = span_of(buf, target.as_bytes());
    if (target.end - target.start) as usize > limits.max_url {
        return Err(HeadError::UriTooLong);
    }
    out.method_span = span_of(buf, method.as_bytes());
    out.method = Method::from_token(method.as_bytes());
    out.minor_version = minor_version;
    check_leading_empty_lines(&buf[..out.method_span.start as usize]).map_err(bad)?;
    set_target(buf, target, out)?;

    let mut cl: Option<u64> = None;
    let mut te = TransferCodings::default();
    let mut host_header: Option<Span> = None;
    let (mut close, mut keep_alive_token) = (false, false);
    let (mut expect_continue, mut expect_other) = (false, false);

    // "HTTP/1.x" ends 9 bytes after the target (SP + 8); httparse allows no whitespace around it.
    let mut line_end = target.end as usize + 9;
    for (slot, h) in out.headers.iter_mut().zip(req.headers.iter()) {
        let name = span_of(buf, h.name.as_bytes());
        let value = span_of(buf, h.value);
        check_line_end(buf, line_end, name.start as usize).map_err(bad)?;
        line_end = value.end as usize;
        *slot = HeaderSpan { name, value };

        let name = h.name.as_bytes();
        let value = h.value;
        // Most headers are none of these; their lengths (4, 6, 10, 14, 17) reject them cheaply.
        if !matches!(name.len(), 4 | 6 | 10 | 14 | 17) {
            continue;
        }
        if name.eq_ignore_ascii_case(b"host") {
            if host_header.is_some() {
                return Err(bad("more than one Host header"));
            }
            if !value.iter().all(|&b| is_host_char(b)) {
                return Err(bad("invalid Host header"));
            }
            host_header = Some(span_of(buf, value));
        } else if name.eq_ignore_ascii_case(b"content-length") {
            if cl.is_some() {
                return Err(bad("duplicate Content-Length"));
            }
            cl = Some(parse_content_length(value).ok_or(bad("invalid Content-Length"))?);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            te.add(value).map_err(bad)?;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in list_items(value) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"expect") {
            for item in list_items(value) {
                if item.eq_ignore_ascii_case(b"100-continue") {
                    expect_continue = true;
                } else {
                    expect_other = true;
                }
            }
        }
    }
    out.n_headers = req.headers.len();
    check_head_end(buf, line_end, n).map_err(bad)?;

    out.framing = if te.present {
        // RFC 9112 §6.1: TE in HTTP/1.0 means the framing is faulty.
        if minor_version == 0 {
            return Err(bad("Transfer-Encoding in HTTP/1.0"));
        }
        // RFC 9112 §6.3 lets a server prefer TE over CL; a gateway must not, because the
        // backend or a proxy in front of us may have chosen the other one.
        if cl.is_some() {
            return Err(bad("both Content-Length and Transfer-Encoding"));
        }
        if !te.chunked_last {
            return Err(bad("chunked is not the final transfer coding"));
        }
        if te.other {
            return Err(HeadError::NotImplemented(
                "transfer coding other than chunked",
            ));
        }
        Framing::Chunked
    } else if let Some(len) = cl {
        Framing::ContentLength(len)
    } else {
        Framing::None
    };

    // An absolute-form authority was stored by set_target and overrides Host.
    if out.host.is_none() {
        out.host = host_header.filter(|s| !s.is_empty());
    }
    // Refused only now, with the head filled in: the 413 is then rendered through the gateway
    // responses of the API and stage the request names (REQUEST_TOO_LARGE).
    if matches!(out.framing, Framing::ContentLength(len) if len > limits.max_body as u64) {
        return Err(HeadError::BodyTooLarge);
    }
    if minor_version == 1 && host_header.is_none() {
        return Err(bad("missing Host header"));
    }
    out.keep_alive = !close && (minor_version == 1 || keep_alive_token);
    // RFC 9110 §10.1.1: a 100-continue expectation in HTTP/1.0 MUST be ignored.
    out.expect_continue = expect_continue && minor_version == 1;
    if expect_other {
        return Err(HeadError::ExpectationFailed);
    }
    Ok(())
}

/// Sets `target`, `path`, `query` and (for absolute-form) `host`. We are an origin server, so only
/// origin-form, absolute-form and `OPTIONS *` make sense (RFC 9112 §3.2).
fn set_target(buf: &[u8], target: Span, out: &mut RequestHead) -> Result<(), HeadError> {
    let bad = HeadError::BadRequest;
    let t = target.get(buf);
    out.host = None;
    let origin = match t {
        [b'/', ..] => target,
        b"*" if out.method == Method::Options => target,
        b"*" => return Err(bad("asterisk-form target without OPTIONS")),
        _ => {
            let scheme_len = if starts_with_ignore_case(t, b"http://") {
                7
            } else if starts_with_ignore_case(t, b"https://") {
                8
            } else {
                return Err(bad("authority-form or invalid request target"));
            };
            let rest = &t[scheme_len..];
            let auth_len = rest
                .iter()
                .position(|&b| matches!(b, b'/' | b'?' | b'#'))
                .unwrap_or(rest.len());
            let authority = &rest[..auth_len];
            // Userinfo (`user@host`) is deprecated and a classic way to confuse host checks.
            if authority.is_empty() || !authority.iter().all(|&b| is_host_char(b)) {
                return Err(bad("invalid authority in absolute-form target"));
            }
            if rest.get(auth_len) != Some(&b'/') {
                // `http://host` or `http://host?q` would need a synthesized "/" path.
                return Err(bad("absolute-form target without a path"));
            }
            let start = target.start + (scheme_len + auth_len) as u32;
            out.host = Some(Span {
                start: target.start + scheme_len as u32,
                end: start,
            });
            Span {
                start,
                end: target.end,
            }
        }
    };
    let t = origin.get(buf);
    let mut query_at = None;
    for (i, &b) in t.iter().enumerate() {
        match b {
            b'?' if query_at.is_none() => query_at = Some(i),
            b'#' => return Err(bad("fragment in request target")),
            _ => {}
        }
    }
    out.target = origin;
    (out.path, out.query) = match query_at {
        Some(i) => {
            let q = origin.start + i as u32;
            (
                Span {
                    start: origin.start,
                    end: q,
                },
                Span {
                    start: q + 1,
                    end: origin.end,
                },
            )
        }
        None => (
            origin,
            Span {
                start: origin.end,
                end: origin.end,
            },
        ),
    };
    Ok(())
}

#[inline]
fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Bytes of `uri-host [ ":" port ]` (reg-name, IP literals, pct-encoding). Excludes `@`, `/`,
/// whitespace and controls, which have no business in a Host and break host-based routing.
#[inline]
fn is_host_char(b: u8) -> bool {
    HOST_CHARS[b as usize]
}

static HOST_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'['
                    | b']'
                    | b'%'
            );
        b += 1;
    }
    t
};

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
