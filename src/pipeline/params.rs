//! Reading method-request values for parameter mappings (`method.request.*`, `context.*`,
//! literals) straight out of the request buffer, writing them into the backend request buffer.
//! As on API Gateway a mapping carries the decoded value (a path capture's `%XX`, a query value's
//! `%XX` and `+`), which `http::uri` encodes again for the place it goes, in one pass over the
//! client's bytes: no allocation, no double encoding, and no delimiter smuggled into a backend's
//! request line or header block.

use super::target::{self, Place, ValueError, Values};
use super::Exchange;
use crate::deploy::snapshot::{ContextVar, ParamSource};
use crate::http::uri::Form;
use std::io::Write as _;

/// The account id reported in `context.accountId` (Tollgate is not an AWS account).
pub const ACCOUNT_ID: &str = "000000000000";

/// Iterates `name=value` pairs of a raw query string.
pub fn query_pairs(query: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    query
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (&pair[..eq], &pair[eq + 1..]),
            None => (pair, &pair[pair.len()..]),
        })
}

pub fn query_first<'b>(query: &'b [u8], name: &[u8]) -> Option<&'b [u8]> {
    query_pairs(query).find(|(n, _)| *n == name).map(|(_, v)| v)
}

impl Values for Exchange<'_> {
    fn put(&self, src: &ParamSource, place: Place, out: &mut Vec<u8>) -> Result<bool, ValueError> {
        write_value(self, src, place, out)
    }

    fn each_query(&self, name: &[u8], f: &mut dyn FnMut(&[u8])) {
        for (n, v) in query_pairs(self.req.head.query.get(self.req.buf)) {
            if n == name {
                f(v);
            }
        }
    }

    fn client_query(&self) -> &[u8] {
        self.req.head.query.get(self.req.buf)
    }
}

/// Appends the value `src` yields to `out`, encoded for `place`. Returns `Ok(false)` when the
/// request has no such value (the mapping is then left out, as API Gateway does). Multiple values
/// are joined with `,`.
pub fn write_value(
    x: &Exchange<'_>,
    src: &ParamSource,
    place: Place,
    out: &mut Vec<u8>,
) -> Result<bool, ValueError> {
    let ex = x.req;
    let joined = |pieces: &mut dyn Iterator<Item = &[u8]>, form: Form, out: &mut Vec<u8>| {
        let mut first = true;
        for piece in pieces {
            if !first {
                out.push(b',');
            }
            target::put(out, piece, form, place)?;
            first = false;
        }
        Ok(!first)
    };
    match src {
        ParamSource::PathCapture(i) => joined(
            &mut x.route.capture(ex.buf, *i as usize).into_iter(),
            Form::Path,
            out,
        ),
        ParamSource::Query(name) => {
            let q = ex.head.query.get(ex.buf);
            joined(
                &mut query_first(q, name.as_bytes()).into_iter(),
                Form::Query,
                out,
            )
        }
        ParamSource::MultiQuery(name) => {
            let q = ex.head.query.get(ex.buf);
            let mut values = query_pairs(q)
                .filter(|(n, _)| *n == name.as_bytes())
                .map(|(_, v)| v);
            joined(&mut values, Form::Query, out)
        }
        ParamSource::Header(name) => joined(
            &mut ex.header(name.as_bytes()).into_iter(),
            Form::Plain,
            out,
        ),
        ParamSource::MultiHeader(name) => {
            let mut values = ex
                .head
                .headers(ex.buf)
                .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
                .map(|(_, v)| v);
            joined(&mut values, Form::Plain, out)
        }
        ParamSource::Literal(v) => joined(&mut std::iter::once(v.as_bytes()), Form::Plain, out),
        ParamSource::Context(var) => {
            if place == Place::Header {
                write_context(x, *var, out);
            } else {
                // Context values are plain text; written to a scratch tail, then encoded.
                let mark = out.len();
                write_context(x, *var, out);
                let end = out.len();
                for i in mark..end {
                    let b = out[i];
                    target::put(out, &[b], Form::Plain, place)?;
                }
                out.copy_within(end.., mark);
                out.truncate(out.len() - (end - mark));
            }
            Ok(true)
        }
    }
}

/// Appends an IP address in its usual text form. IPv4 (nearly every request) is formatted by
/// hand: `fmt` costs ~1k instructions per address.
pub fn write_ip(out: &mut Vec<u8>, ip: std::net::IpAddr) {
    match ip {
        std::net::IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                if octet >= 100 {
                    out.push(b'0' + octet / 100);
                }
                if octet >= 10 {
                    out.push(b'0' + octet / 10 % 10);
                }
                out.push(b'0' + octet % 10);
            }
        }
        std::net::IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

fn write_context(x: &Exchange<'_>, var: ContextVar, out: &mut Vec<u8>) {
    let ex = x.req;
    match var {
        ContextVar::RequestId => out.extend_from_slice(&ex.request_id),
        ContextVar::ApiId => out.extend_from_slice(x.api().id.as_bytes()),
        ContextVar::Stage => out.extend_from_slice(x.stage().name.as_bytes()),
        ContextVar::ResourcePath => out.extend_from_slice(x.method().resource_path.as_bytes()),
        ContextVar::HttpMethod => out.extend_from_slice(ex.head.method_span.get(ex.buf)),
        // Writing into a Vec with spare capacity formats in place, without allocating.
        ContextVar::SourceIp => write_ip(out, ex.peer),
        ContextVar::Path => out.extend_from_slice(ex.head.path.get(ex.buf)),
        ContextVar::Protocol => out.extend_from_slice(if ex.head.minor_version == 0 {
            b"HTTP/1.0"
        } else {
            b"HTTP/1.1"
        }),
        ContextVar::RequestTimeEpoch => {
            let _ = write!(out, "{}", ex.epoch_ms);
        }
        ContextVar::DomainName => {
            if let Some(h) = ex.head.host {
                out.extend_from_slice(h.get(ex.buf));
            }
        }
        ContextVar::AccountId => out.extend_from_slice(ACCOUNT_ID.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_text_matches_std() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "10.20.100.255",
            "192.168.1.9",
            "::1",
            "fe80::1",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let mut out = Vec::new();
            write_ip(&mut out, ip);
            assert_eq!(String::from_utf8(out).unwrap(), ip.to_string());
        }
    }

    #[test]
    fn query_pairs_split_like_api_gateway() {
        let q = b"a=1&b=&c&a=2&&d=x=y";
        let v: Vec<_> = query_pairs(q).collect();
        assert_eq!(
            v,
            vec![
                (&b"a"[..], &b"1"[..]),
                (b"b", b""),
                (b"c", b""),
                (b"a", b"2"),
                (b"d", b"x=y")
            ]
        );
        assert_eq!(query_first(q, b"a"), Some(&b"1"[..]));
        assert_eq!(query_first(q, b"zz"), None);
    }
}
