//! Field-level HTTP/1.1 syntax shared by the request and backend-response parsers: turning
//! httparse's borrowed slices back into `Span`s, checking line terminators, and reading the
//! framing headers (Content-Length, Transfer-Encoding) and comma lists.
//!
//! httparse accepts a bare LF as a line terminator; a front end that does so while the backend
//! does not (or the reverse) is a request-smuggling vector. Rather than rescanning every head byte,
//! the parsers inspect only the gaps httparse leaves between the end of one line's last
//! token and the start of the next line ([`check_line_end`]): every byte of a head is either
//! inside a token httparse validated or inside one of those gaps.

use super::Span;

/// The `Span` of `part`, which must be a subslice of `buf` (httparse only hands out such slices).
///
/// Pointer arithmetic on addresses only, so no `unsafe`; the debug assertion catches a slice from
/// elsewhere (httparse returns a static `""` reason for obs-text, which is why the response parser
/// computes the reason span itself).
#[inline]
pub(crate) fn span_of(buf: &[u8], part: &[u8]) -> Span {
    let start = (part.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    debug_assert!(start <= buf.len() && start + part.len() <= buf.len());
    Span {
        start: start as u32,
        end: (start + part.len()) as u32,
    }
}

/// Checks one line terminator of a head that httparse accepted: `from` is just past the line's
/// last token, `to` the start of the next line. Only optional trailing whitespace (which httparse
/// trims off values) and exactly one CRLF may lie between.
#[inline]
pub(crate) fn check_line_end(buf: &[u8], from: usize, to: usize) -> Result<(), &'static str> {
    let gap = &buf[from..to];
    let i = gap
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(gap.len());
    if &gap[i..] == b"\r\n" {
        Ok(())
    } else {
        Err(bad_line_end(&gap[i..]))
    }
}

#[cold]
fn bad_line_end(gap: &[u8]) -> &'static str {
    if gap.contains(&b'\n') {
        "bare LF line terminator"
    } else {
        "bare CR line terminator"
    }
}

/// The head's final terminator after the last header (or the start line): optional whitespace,
/// CRLF, CRLF.
#[inline]
pub(crate) fn check_head_end(buf: &[u8], from: usize, end: usize) -> Result<(), &'static str> {
    let gap = &buf[from..end];
    let i = gap
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(gap.len());
    if &gap[i..] == b"\r\n\r\n" {
        Ok(())
    } else {
        Err(bad_line_end(&gap[i..]))
    }
}

/// Leading empty lines that httparse skipped must be CRLF pairs, not bare LFs.
#[inline]
pub(crate) fn check_leading_empty_lines(lead: &[u8]) -> Result<(), &'static str> {
    if lead.len() % 2 == 0 && lead.chunks_exact(2).all(|p| p == b"\r\n") {
        Ok(())
    } else {
        Err(bad_line_end(lead))
    }
}

/// RFC 9110 `tchar`.
#[inline]
pub(crate) fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`'
        | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

#[inline]
fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Elements of a comma-separated list field value, OWS-trimmed, empty elements skipped
/// (RFC 9110 §5.6.1 requires recipients to tolerate them).
#[inline]
pub(crate) fn list_items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|s| !s.is_empty())
}

/// Strict `Content-Length = 1*DIGIT`: no sign, no whitespace inside, no comma list, no overflow.
#[inline]
pub(crate) fn parse_content_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in value {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// What a message's Transfer-Encoding field lines (all of them, in order) say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TransferCodings {
    pub present: bool,
    /// `chunked` appeared (exactly once: a second one is an error).
    pub chunked: bool,
    /// The final coding is `chunked`.
    pub chunked_last: bool,
    /// A coding other than `chunked` appeared (we decode none of them).
    pub other: bool,
}

impl TransferCodings {
    /// Adds one Transfer-Encoding field line. Errors on a malformed coding or a repeated `chunked`
    /// (RFC 9112 §7: a sender MUST NOT apply chunked more than once).
    pub(crate) fn add(&mut self, value: &[u8]) -> Result<(), &'static str> {
        self.present = true;
        for item in list_items(value) {
            // Only the coding name matters for framing; parameters are ignored.
            let name = trim_ows(item.split(|&b| b == b';').next().unwrap_or(item));
            if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
                return Err("malformed Transfer-Encoding");
            }
            if name.eq_ignore_ascii_case(b"chunked") {
                if self.chunked {
                    return Err("chunked applied more than once");
                }
                self.chunked = true;
                self.chunked_last = true;
            } else {
                self.other = true;
                self.chunked_last = false;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_is_strict() {
        let cases: &[(&[u8], Option<u64>)] = &[
            (b"0", Some(0)),
            (b"42", Some(42)),
            (b"0042", Some(42)),
            (b"18446744073709551615", Some(u64::MAX)),
            (b"18446744073709551616", None),
            (b"", None),
            (b"+1", None),
            (b"-1", None),
            (b"1 2", None),
            (b"1,1", None),
            (b"0x10", None),
            (b"1.0", None),
        ];
        for (v, want) in cases {
            assert_eq!(
                parse_content_length(v),
                *want,
                "{:?}",
                String::from_utf8_lossy(v)
            );
        }
    }

    #[test]
    fn transfer_codings() {
        type Case = (&'static [&'static [u8]], Result<(bool, bool), ()>);
        let cases: &[Case] = &[
            // (chunked_last, other)
            (&[b"chunked"], Ok((true, false))),
            (&[b"CHUNKED"], Ok((true, false))),
            (&[b"gzip, chunked"], Ok((true, true))),
            (&[b"gzip", b"chunked"], Ok((true, true))),
            (&[b"chunked, gzip"], Ok((false, true))),
            (&[b"identity"], Ok((false, true))),
            (&[b""], Ok((false, false))),
            (&[b"chunked, chunked"], Err(())),
            (&[b"chunked", b"chunked"], Err(())),
            (&[b"chunked;x=1"], Ok((true, false))),
            (&[b"chun ked"], Err(())),
            (&[b"\"chunked\""], Err(())),
        ];
        for (lines, want) in cases {
            let mut tc = TransferCodings::default();
            let got = lines
                .iter()
                .try_for_each(|l| tc.add(l))
                .map(|()| (tc.chunked_last, tc.other))
                .map_err(|_| ());
            assert_eq!(got, *want, "{lines:?}");
        }
    }

    #[test]
    fn lists() {
        let items = |v| list_items(v).collect::<Vec<_>>();
        assert_eq!(items(b"keep-alive, Close"), [&b"keep-alive"[..], b"Close"]);
        assert_eq!(items(b" ,close\t,"), [&b"close"[..]]);
        assert_eq!(list_items(b"a, ,b,,").count(), 2);
    }

    #[test]
    fn line_end_gaps() {
        let buf = b"a \r\nb\nc\rd";
        assert!(check_line_end(buf, 1, 4).is_ok());
        assert_eq!(check_line_end(buf, 5, 6), Err("bare LF line terminator"));
        assert_eq!(check_line_end(buf, 7, 8), Err("bare CR line terminator"));
        assert!(check_head_end(b"x\t\r\n\r\n", 1, 6).is_ok());
        assert!(check_head_end(b"x\r\n\n", 1, 4).is_err());
        assert!(check_leading_empty_lines(b"\r\n\r\n").is_ok());
        assert!(check_leading_empty_lines(b"\n").is_err());
        assert!(check_leading_empty_lines(b"\r\n\n").is_err());
    }
}
