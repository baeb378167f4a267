//! Reading method-request values for parameter mappings (`method.request.*`, `context.*`,
//! literals) straight out of the request buffer, writing them into the backend request buffer.
//! As on API Gateway a mapping carries the decoded value (a path capture's `%XX`, a query value's
//! `%XX` and `+`), which `http::uri` encodes again for the place it goes, in one pass over the
//! client's bytes: no allocation, no double encoding, and no delimiter smuggled into a backend's
//! request line or header block.
//!
//! Body sources (`method.request.body[.PATH]`, `integration.response.body[.PATH]`) read the one
//! parse of the body (`Exchange::body_json`, `IntegrationResponse::json`), rendered as API Gateway
//! renders a mapped JSON value: a string unquoted, anything else as compact JSON text. A body that
//! is blank or not JSON, or a path that finds nothing, yields no value, so the mapping is left out
//! as for an absent header. Only routes with a body mapping parse the body; the rest stay
//! allocation-free. The response side (`write_response_value`) writes method response headers.

use super::target::{self, Place, ValueError, Values};
use super::{Body, Exchange, IntegrationResponse};
use crate::deploy::snapshot::{ContextVar, ParamSource, ResponseParamSource};
use crate::http::response::is_valid_field_value;
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
            let mark = out.len();
            write_context(x, var, out);
            place_tail(out, mark, place)?;
            Ok(true)
        }
        ParamSource::Body(b) => {
            let mark = out.len();
            if !write_body_text(request_json(x), &b.path, out) {
                return Ok(false);
            }
            place_tail(out, mark, place)?;
            Ok(true)
        }
    }
}

/// The request body's JSON for body mappings: `None` when the body is blank (the shared parse
/// reads a blank body as `{}` for templates, but there is no value to map) or not JSON.
fn request_json<'x>(x: &'x Exchange<'_>) -> Option<crate::json::Node<'x>> {
    if is_blank(x.req.body) {
        return None;
    }
    x.body_json()
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Appends what `path` finds in `root` as mapping text (see the module doc); `false`, with
/// nothing written, when there is no document or the path finds nothing.
pub fn write_body_text(
    root: Option<crate::json::Node<'_>>,
    path: &crate::json::Path,
    out: &mut Vec<u8>,
) -> bool {
    root.is_some_and(|r| crate::json::write_text(&path.eval(r), out))
}

/// Turns the plain text written at `out[mark..]` into its form for `place`: encoded for a path
/// segment or query component, or, for a header, trimmed of surrounding whitespace and checked
/// to be a field value (on error nothing of it is left).
pub fn place_tail(out: &mut Vec<u8>, mark: usize, place: Place) -> Result<(), ValueError> {
    if place == Place::Header {
        return field_value_tail(out, mark)
            .then_some(())
            .ok_or(ValueError::NotFieldValue);
    }
    let end = out.len();
    for i in mark..end {
        let b = out[i];
        target::put(out, &[b], Form::Plain, place)?;
    }
    out.copy_within(end.., mark);
    out.truncate(out.len() - (end - mark));
    Ok(())
}

/// Trims spaces and tabs around `out[mark..]` in place; `false` (and `out` cut back to `mark`)
/// when what is left holds a byte a field value may not.
pub(crate) fn field_value_tail(out: &mut Vec<u8>, mark: usize) -> bool {
    let value = &out[mark..];
    let start = value
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let end = value.len()
        - value[start..]
            .iter()
            .rev()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
    out.copy_within(mark + start..mark + end, mark);
    out.truncate(mark + end - start);
    if is_valid_field_value(&out[mark..]) {
        true
    } else {
        out.truncate(mark);
        false
    }
}

/// Appends the value of a method response header mapping as a field value. `false`, with
/// nothing written, when the integration response has no such value, or when a body value is
/// not a valid field value (a string holding a line break): the header is then left out rather
/// than the response failed, as for an absent header.
pub fn write_response_value(
    x: &Exchange<'_>,
    src: &ResponseParamSource,
    integration: &IntegrationResponse<'_>,
    out: &mut Vec<u8>,
) -> bool {
    let mark = out.len();
    match src {
        ResponseParamSource::Literal(v) => out.extend_from_slice(v.as_bytes()),
        ResponseParamSource::Header(h) => match integration.header(h.as_bytes()) {
            Some(v) => out.extend_from_slice(v),
            None => return false,
        },
        ResponseParamSource::MultiHeader(h) => {
            let mut first = true;
            each_response_header(integration, h.as_bytes(), &mut |v| {
                if !first {
                    out.push(b',');
                }
                out.extend_from_slice(v);
                first = false;
            });
            if first {
                return false;
            }
        }
        ResponseParamSource::Context(var) => write_context(x, var, out),
        ResponseParamSource::Body(b) => {
            let json = match &integration.body {
                Body::InHand(body, _) if is_blank(body) => None,
                _ => integration.json(),
            };
            if !write_body_text(json, &b.path, out) {
                return false;
            }
            return field_value_tail(out, mark);
        }
    }
    true
}

/// Calls `f` with every value of the integration response header `name` (lower case), in order.
fn each_response_header(
    integration: &IntegrationResponse<'_>,
    name: &[u8],
    f: &mut dyn FnMut(&[u8]),
) {
    let stream = match &integration.body {
        Body::InHand(_, s) => s.as_ref(),
        Body::Stream(s) => Some(s),
    };
    let (Some(head), Some(stream)) = (integration.head, stream) else {
        return;
    };
    for (n, v) in head.headers(stream.head_buf()) {
        if n.eq_ignore_ascii_case(name) {
            f(v);
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

pub(crate) fn write_context(x: &Exchange<'_>, var: &ContextVar, out: &mut Vec<u8>) {
    if let Some(b) = context_bytes(x, var) {
        out.extend_from_slice(b);
        return;
    }
    if !write_request_context(x.req, var, out) {
        out.extend_from_slice(caller_value(x, var).unwrap_or_default());
    }
}

/// The context variables that need only the request itself (no route): written, and `true`;
/// `false` for every other variable. Also what an unrouted request's access log line says.
pub(crate) fn write_request_context(
    ex: &super::Request<'_>,
    var: &ContextVar,
    out: &mut Vec<u8>,
) -> bool {
    match var {
        // Writing into a Vec with spare capacity formats in place, without allocating.
        ContextVar::SourceIp => write_ip(out, ex.peer),
        ContextVar::RequestTimeEpoch => {
            let _ = write!(out, "{}", ex.epoch_ms);
        }
        other => match request_context_bytes(ex, other) {
            Some(b) => out.extend_from_slice(b),
            None => return false,
        },
    }
    true
}

/// A context variable that is already text in the request or the snapshot, borrowed for the
/// request's lifetime (`None` for those that must be formatted, `sourceIp` and
/// `requestTimeEpoch`, and for the caller's, which live in the exchange: `caller_value`).
pub(crate) fn context_bytes<'x>(x: &Exchange<'x>, var: &ContextVar) -> Option<&'x [u8]> {
    Some(match var {
        ContextVar::ApiId => x.api().id.as_bytes(),
        ContextVar::Stage => x.stage().name.as_bytes(),
        ContextVar::ResourcePath => x.method().resource_path.as_bytes(),
        ContextVar::ApiKey => x.api_key.map(|k| k.value.as_bytes()).unwrap_or_default(),
        ContextVar::ApiKeyId => x.api_key.map(|k| k.id.as_bytes()).unwrap_or_default(),
        ContextVar::IsCanaryRequest => canary_text(x.route.canary),
        other => return request_context_bytes(x.req, other),
    })
}

/// The context variables that are text in the request itself (or constant).
fn request_context_bytes<'x>(ex: &'x super::Request<'x>, var: &ContextVar) -> Option<&'x [u8]> {
    Some(match var {
        ContextVar::RequestId => &ex.request_id[..],
        ContextVar::HttpMethod => ex.head.method_span.get(ex.buf),
        ContextVar::Path => ex.head.path.get(ex.buf),
        ContextVar::Protocol => {
            if ex.head.minor_version == 0 {
                b"HTTP/1.0"
            } else {
                b"HTTP/1.1"
            }
        }
        ContextVar::DomainName => ex.head.host.map(|h| h.get(ex.buf)).unwrap_or_default(),
        ContextVar::AccountId => ACCOUNT_ID.as_bytes(),
        _ => return None,
    })
}

/// `$context.isCanaryRequest` as API Gateway renders it.
pub(crate) fn canary_text(canary: bool) -> &'static [u8] {
    if canary {
        b"true"
    } else {
        b"false"
    }
}

/// The caller's `identity.*` (IAM) and `authorizer.*` values, as the authorize phase found
/// them; `None` for a variable it did not set (and for every other variable).
pub(crate) fn caller_value<'r>(x: &'r Exchange<'_>, var: &ContextVar) -> Option<&'r [u8]> {
    let auth = x.auth.as_deref()?;
    let iam = || auth.identity.as_ref();
    Some(match var {
        ContextVar::IdentityAccessKey => iam()?.access_key.as_bytes(),
        ContextVar::IdentityAccountId => iam()?.account_id.as_bytes(),
        ContextVar::IdentityCaller => iam()?.caller.as_bytes(),
        ContextVar::IdentityUser => iam()?.user.as_bytes(),
        ContextVar::IdentityUserArn => iam()?.user_arn.as_bytes(),
        ContextVar::Authorizer(name) => auth.value(name)?.as_bytes(),
        _ => return None,
    })
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

    /// `write_body_text` then `place_tail`, as `write_value` runs them for a body source.
    fn body_value(body: &str, expr: &str, place: Place) -> Result<Option<String>, ValueError> {
        let doc = crate::json::Doc::default();
        let root = (!is_blank(body.as_bytes()))
            .then(|| doc.get(body.as_bytes()))
            .flatten();
        let path = crate::json::compile_body_expression(expr).unwrap();
        let mut out = b"prefix:".to_vec();
        if !write_body_text(root, &path, &mut out) {
            assert_eq!(out, b"prefix:");
            return Ok(None);
        }
        place_tail(&mut out, 7, place)?;
        Ok(Some(String::from_utf8(out[7..].to_vec()).unwrap()))
    }

    #[test]
    fn body_values_render_as_api_gateway_maps_them() {
        let body = r#"{"name":"Ann Lee","id":7,"ok":true,"none":null,"tags":["a","b"],
            "pet":{"kind":"cat","age":2.5},"nl":"a\nb","pad":"  x  ","items":[{"id":1},{"id":2}]}"#;
        let h = Place::Header;
        type Want<'a> = Result<Option<&'a str>, ValueError>;
        let cases: &[(&str, &str, Place, Want)] = &[
            (body, "name", h, Ok(Some("Ann Lee"))),
            (body, "id", h, Ok(Some("7"))),
            (body, "ok", h, Ok(Some("true"))),
            (body, "none", h, Ok(Some("null"))),
            (body, "tags", h, Ok(Some(r#"["a","b"]"#))),
            (body, "pet", h, Ok(Some(r#"{"kind":"cat","age":2.5}"#))),
            (body, "pet.kind", h, Ok(Some("cat"))),
            (body, "tags[1]", h, Ok(Some("b"))),
            (body, "items[*].id", h, Ok(Some("[1,2]"))),
            (body, "pad", h, Ok(Some("x"))),
            (body, "missing", h, Ok(None)),
            (body, "pet.missing.deeper", h, Ok(None)),
            (body, "nl", h, Err(ValueError::NotFieldValue)),
            (body, "name", Place::Query, Ok(Some("Ann%20Lee"))),
            (body, "name", Place::Segment, Ok(Some("Ann%20Lee"))),
            (
                body,
                "tags",
                Place::Query,
                Ok(Some("%5B%22a%22,%22b%22%5D")),
            ),
            (
                r#" {"a": [1, 2], "b": "x y"} "#,
                "",
                h,
                Ok(Some(r#"{"a":[1,2],"b":"x y"}"#)),
            ),
            (r#""just text""#, "", h, Ok(Some("just text"))),
            ("not json", "", h, Ok(None)),
            ("not json", "name", h, Ok(None)),
            ("", "", h, Ok(None)),
            ("  \r\n", "name", h, Ok(None)),
            ("[1,2]", "name", h, Ok(None)),
        ];
        for (body, expr, place, want) in cases {
            let want = (*want).map(|o| o.map(str::to_string));
            assert_eq!(body_value(body, expr, *place), want, "{expr} over {body}");
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
