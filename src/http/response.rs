//! The response encoder: writes HTTP/1.1 response heads (and the gateway's own JSON error
//! responses) into the connection's reused write buffer.
//!
//! Invariants: appends only, never clears `out` (pipelined responses share one buffer and one
//! write); allocates nothing once `out` has capacity (integers are formatted on the stack).
//! Callers pass names and values that are valid field syntax; values that come from users or
//! templates must be checked with [`is_valid_field_value`] first, since a CR or LF in a value
//! would let them inject headers or split the response.

/// The reason phrase for `status` (RFC 9110 §15 and the IANA-registered extensions): the one table
/// both the data plane and the admin port write status lines from.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "Unknown",
    }
}

/// `HTTP/1.1 {status} {reason}\r\n`. A status outside 100..=999 cannot be written as the three
/// digits the grammar demands and is sent as 500.
#[inline]
pub fn status_line(out: &mut Vec<u8>, status: u16) {
    let status = if (100..=999).contains(&status) {
        status
    } else {
        500
    };
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(&[
        b'0' + (status / 100) as u8,
        b'0' + (status / 10 % 10) as u8,
        b'0' + (status % 10) as u8,
        b' ',
    ]);
    out.extend_from_slice(reason(status).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `{name}: {value}\r\n`.
#[inline]
pub fn header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    debug_assert!(is_valid_field_name(name), "{name:?}");
    debug_assert!(is_valid_field_value(value), "{value:?}");
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// `Content-Length: {n}\r\n`.
#[inline]
pub fn content_length(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(b"Content-Length: ");
    push_decimal(out, n as u64);
    out.extend_from_slice(b"\r\n");
}

/// The size line of a chunk of `len` bytes: `{hex}\r\n`. Follow the data with [`chunk_end`].
/// A zero `len` would end the body; use [`last_chunk`] for that.
#[inline]
pub fn chunk_header(out: &mut Vec<u8>, len: usize) {
    debug_assert!(len > 0, "a zero-size chunk ends the body");
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    let mut n = len as u64;
    loop {
        i -= 1;
        digits[i] = b"0123456789abcdef"[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
}

/// The CRLF after a chunk's data.
#[inline]
pub fn chunk_end(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\r\n");
}

/// A whole chunk: size line, data, CRLF. Empty data writes nothing (it would end the body).
#[inline]
pub fn chunk(out: &mut Vec<u8>, data: &[u8]) {
    if !data.is_empty() {
        chunk_header(out, data.len());
        out.extend_from_slice(data);
        chunk_end(out);
    }
}

/// The last chunk with no trailers: `0\r\n\r\n`.
#[inline]
pub fn last_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n\r\n");
}

/// A complete gateway-generated error response in API Gateway's shape:
/// `{"message":"..."}` with `Content-Type: application/json`, `x-amzn-RequestId`, and
/// `x-amzn-ErrorType` when given. `head_only` (a HEAD request) omits the body but keeps its
/// Content-Length, as RFC 9110 §9.3.2 allows.
#[allow(clippy::too_many_arguments)]
pub fn json_error(
    out: &mut Vec<u8>,
    status: u16,
    message: &str,
    error_type: Option<&str>,
    request_id: &[u8],
    date: &[u8],
    keep_alive: bool,
    head_only: bool,
) {
    const OPEN: &[u8] = br#"{"message":""#;
    const CLOSE: &[u8] = br#""}"#;
    status_line(out, status);
    header(out, b"Date", date);
    header(out, b"Content-Type", b"application/json");
    content_length(out, OPEN.len() + json_escaped_len(message) + CLOSE.len());
    header(out, b"x-amzn-RequestId", request_id);
    if let Some(t) = error_type {
        header(out, b"x-amzn-ErrorType", t.as_bytes());
    }
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(OPEN);
        json_escape(out, message);
        out.extend_from_slice(CLOSE);
    }
}

/// Appends `s` escaped for the inside of a JSON string (RFC 8259 §7).
pub fn json_escape(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                out.extend_from_slice(&bytes[run..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xf) as usize],
                ]);
                run = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[run..i]);
        out.extend_from_slice(esc);
        run = i + 1;
    }
    out.extend_from_slice(&bytes[run..]);
}

/// The length `json_escape` will write, so Content-Length can precede the body.
pub fn json_escaped_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

/// A field name is a non-empty token.
pub fn is_valid_field_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| super::syntax::is_tchar(b))
}

/// A field value has no controls other than HTAB (so no CR, LF or NUL) and no leading or
/// trailing whitespace.
pub fn is_valid_field_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
        && !matches!(value.first(), Some(b' ' | b'\t'))
        && !matches!(value.last(), Some(b' ' | b'\t'))
}

#[inline]
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn status_lines() {
        let cases = [
            (200, "HTTP/1.1 200 OK\r\n"),
            (404, "HTTP/1.1 404 Not Found\r\n"),
            (429, "HTTP/1.1 429 Too Many Requests\r\n"),
            (599, "HTTP/1.1 599 Unknown\r\n"),
            (99, "HTTP/1.1 500 Internal Server Error\r\n"),
            (1000, "HTTP/1.1 500 Internal Server Error\r\n"),
        ];
        for (s, want) in cases {
            assert_eq!(written(|o| status_line(o, s)), want);
        }
    }

    #[test]
    fn numbers() {
        for (n, want) in [
            (0, "0"),
            (7, "7"),
            (10, "10"),
            (1234567890, "1234567890"),
            (usize::MAX, "18446744073709551615"),
        ] {
            assert_eq!(
                written(|o| content_length(o, n)),
                format!("Content-Length: {want}\r\n")
            );
        }
        for (n, want) in [
            (1, "1"),
            (15, "f"),
            (16, "10"),
            (16384, "4000"),
            (usize::MAX, "ffffffffffffffff"),
        ] {
            assert_eq!(written(|o| chunk_header(o, n)), format!("{want}\r\n"));
        }
    }

    #[test]
    fn chunks_round_trip_through_the_decoder() {
        let mut out = Vec::new();
        chunk(&mut out, b"hello ");
        chunk(&mut out, b"");
        chunk(&mut out, &[b'x'; 300]);
        last_chunk(&mut out);
        let mut d = crate::http::body::ChunkedDecoder::new(1000);
        let mut body = Vec::new();
        assert_eq!(d.decode(&out, &mut body), Ok((out.len(), true)));
        assert_eq!(body.len(), 306);
    }

    #[test]
    fn json_escaping() {
        let cases = [
            ("plain", "plain"),
            ("a\"b\\c", "a\\\"b\\\\c"),
            ("\n\r\t\x08\x0c", "\\n\\r\\t\\b\\f"),
            ("\x00\x1f", "\\u0000\\u001f"),
            ("é ✓ /", "é ✓ /"),
        ];
        for (s, want) in cases {
            assert_eq!(written(|o| json_escape(o, s)), want);
            assert_eq!(json_escaped_len(s), want.len(), "{s:?}");
        }
    }

    #[test]
    fn json_error_response() {
        let date = b"Sun, 06 Nov 1994 08:49:37 GMT";
        let got = written(|o| {
            json_error(
                o,
                403,
                "Missing \"token\"",
                Some("MissingAuthenticationTokenException"),
                b"abc-123",
                date,
                false,
                false,
            )
        });
        let body = r#"{"message":"Missing \"token\""}"#;
        assert_eq!(
            got,
            format!(
                "HTTP/1.1 403 Forbidden\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\nx-amzn-RequestId: abc-123\r\n\
                 x-amzn-ErrorType: MissingAuthenticationTokenException\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        );
        let head = written(|o| json_error(o, 404, "Not Found", None, b"r", date, true, true));
        assert!(
            head.ends_with("Content-Length: 23\r\nx-amzn-RequestId: r\r\n\r\n"),
            "{head}"
        );
        assert!(!head.contains("Connection") && !head.contains("ErrorType"));
        let body: serde_json::Value =
            serde_json::from_str(&got[got.find("\r\n\r\n").unwrap() + 4..]).unwrap();
        assert_eq!(body["message"], "Missing \"token\"");
    }

    #[test]
    fn no_allocation_once_capacity_is_there() {
        let mut out = Vec::with_capacity(512);
        let cap = out.capacity();
        for _ in 0..10 {
            out.clear();
            json_error(
                &mut out,
                429,
                "Too Many Requests",
                None,
                b"id",
                b"Sun, 06 Nov 1994 08:49:37 GMT",
                true,
                false,
            );
            chunk_header(&mut out, 4096);
        }
        assert_eq!(out.capacity(), cap);
    }

    #[test]
    fn field_validation() {
        assert!(is_valid_field_name(b"x-amzn-RequestId"));
        assert!(!is_valid_field_name(b""));
        assert!(!is_valid_field_name(b"a b"));
        assert!(!is_valid_field_name(b"a:"));
        assert!(is_valid_field_value(b"a\tb c"));
        assert!(is_valid_field_value(b""));
        assert!(!is_valid_field_value(b"a\r\nX-Injected: 1"));
        assert!(!is_valid_field_value(b"a\nb"));
        assert!(!is_valid_field_value(b"a\0"));
        assert!(!is_valid_field_value(b" a"));
    }
}
