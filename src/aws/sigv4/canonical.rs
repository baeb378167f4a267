//! The canonical request: the exact bytes both sides hash, built the way botocore builds them for
//! non-S3 services (`botocore/auth.py`, `SigV4Auth.canonical_request`).
//!
//! Invariants, each matching botocore:
//! - the URI is the path *as sent* with dot segments and empty segments removed, then
//!   percent-encoded again except `/` and unreserved characters, so an already-encoded `%2F`
//!   becomes `%252F` (AWS double-encodes for every service but S3);
//! - query pairs are re-encoded (RFC 3986 unreserved set, upper-case hex) and sorted by encoded
//!   key, then encoded value (botocore hashes the query exactly as it put it on the wire; its
//!   serializer encodes canonically, so re-encoding the decoded pairs gives the same bytes, and a
//!   client that sends `%7E` for `~` fails here exactly as it fails at AWS);
//! - headers are the `SignedHeaders` names in the order given, each with every value of that name
//!   (any case) trimmed, inner whitespace runs collapsed to one space, joined by `,`.

use std::fmt::Write as _;

/// A request as the verifier needs to see it: the raw path, decoded query pairs, headers as sent.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    pub method: &'a str,
    /// Still percent-encoded, without the query.
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl RequestView<'_> {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The canonical request for `req`, signing `signed_headers` (lower-case names) with
/// `payload_hash` as its last line.
pub fn canonical_request(req: &RequestView, signed_headers: &[&str], payload_hash: &str) -> String {
    let mut out = String::with_capacity(256 + req.path.len());
    out.push_str(&req.method.to_ascii_uppercase());
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query(req.query));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        out.push_str(&header_value(req.headers, name));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// botocore's `quote(remove_dot_segments(path), safe='/~')`.
pub fn canonical_uri(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in raw_path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut path = String::with_capacity(raw_path.len() + 1);
    path.push('/');
    path.push_str(&segments.join("/"));
    // A trailing slash survives only where something is left before it (botocore does the same).
    if raw_path.ends_with('/') && !segments.is_empty() {
        path.push('/');
    }
    let mut out = String::with_capacity(path.len() + 16);
    for seg in path.split_inclusive('/') {
        let (body, slash) = match seg.strip_suffix('/') {
            Some(b) => (b, "/"),
            None => (seg, ""),
        };
        uri_encode_into(&mut out, body);
        out.push_str(slash);
    }
    out
}

/// Pairs encoded and sorted by key, then value; `k=v` joined by `&` (`k=` for an empty value).
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Every value of header `name`, each trimmed with inner whitespace runs collapsed, joined by `,`.
fn header_value(headers: &[(String, String)], name: &str) -> String {
    let mut out = String::new();
    let mut first = true;
    for (_, v) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
        if !first {
            out.push(',');
        }
        first = false;
        for (i, word) in v.split_ascii_whitespace().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// RFC 3986 percent-encoding of everything but `A-Z a-z 0-9 - _ . ~`, upper-case hex.
pub fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    uri_encode_into(&mut out, s);
    out
}

fn uri_encode_into(out: &mut String, s: &str) {
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_matches_botocore_normalize_and_quote() {
        // (raw path as sent, botocore's canonical URI)
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("/restapis", "/restapis"),
            ("/restapis/", "/restapis/"),
            ("//restapis//a1//", "/restapis/a1/"),
            ("/a/./b/../c", "/a/c"),
            ("/..", "/"),
            ("/../", "/"),
            ("/r%2Fx%20y", "/r%252Fx%2520y"),
            ("/~user/a-b_c.d", "/~user/a-b_c.d"),
            ("/a+b=c:d@e", "/a%2Bb%3Dc%3Ad%40e"),
            ("/é", "/%C3%A9"),
        ];
        for (raw, want) in cases {
            assert_eq!(canonical_uri(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn query_is_encoded_then_sorted_by_key_then_value() {
        let q = |pairs: &[(&str, &str)]| {
            canonical_query(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(q(&[]), "");
        assert_eq!(
            q(&[("Param2", "value2"), ("Param1", "value1")]),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(q(&[("b", "2"), ("a", "z"), ("a", "y")]), "a=y&a=z&b=2");
        assert_eq!(q(&[("mode", "")]), "mode=");
        assert_eq!(
            q(&[("name", "a b"), ("x", "/~+*")]),
            "name=a%20b&x=%2F~%2B%2A"
        );
        // Sorting is over the encoded form: `%20` (0x25...) sorts before `A`.
        assert_eq!(q(&[("A", "1"), (" ", "2")]), "%20=2&A=1");
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let headers = vec![
            ("X-Multi".to_string(), "  a   b  ".to_string()),
            ("host".to_string(), "h".to_string()),
            ("x-multi".to_string(), "c\t d".to_string()),
        ];
        assert_eq!(header_value(&headers, "x-multi"), "a b,c d");
        assert_eq!(header_value(&headers, "absent"), "");
    }
}
