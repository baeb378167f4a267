//! Phases "transform request" and "transform response": the integration request built from the
//! method request (target, parameter mappings, body by mapping template or passthrough), and, for
//! non-proxy integrations, the method response chosen and mapped from the integration response.
//!
//! Templates come compiled from `deploy` (the seam for the VTL engine): this module only picks
//! one by content type, exactly as API Gateway does, and renders what the compiler produced.

use super::params::{query_pairs, write_value};
use super::respond::{self, Reject};
use super::route::Routed;
use super::{Exchange, Outcome};
use crate::deploy::snapshot::{
    IntegrationResponseRuntime, IntegrationRuntime, ParamSource, PassthroughBehavior,
    ResponseParamSource, Template, Upstream,
};
use crate::http::response;
use std::io::Write as _;

/// Request headers never forwarded: hop-by-hop (RFC 9110 §7.6.1), framing we set ourselves, and
/// ones we rewrite.
const DROP_REQUEST: &[&[u8]] = &[
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"host",
    b"content-length",
    b"expect",
    b"x-forwarded-for",
    b"x-forwarded-proto",
];

/// The request content type without parameters, lower-cased into `out` (API Gateway matches
/// templates case-insensitively on the media type alone). Empty when absent.
fn media_type<'o>(value: Option<&[u8]>, out: &'o mut [u8; 128]) -> &'o [u8] {
    let Some(v) = value else { return &out[..0] };
    let end = v.iter().position(|&b| b == b';').unwrap_or(v.len());
    let v = v[..end].trim_ascii();
    let n = v.len().min(out.len());
    for (o, b) in out.iter_mut().zip(&v[..n]) {
        *o = b.to_ascii_lowercase();
    }
    &out[..n]
}

/// The integration request body and its content type, per the request templates and the
/// passthrough behaviour (API Gateway's rules: a template for the content type wins; with none
/// for it, WHEN_NO_MATCH passes through, WHEN_NO_TEMPLATES passes through only if there are no
/// templates at all, NEVER refuses with 415). A request without Content-Type is treated as
/// `application/json`.
pub fn request_body<'a>(
    ex: &'a Exchange<'a>,
    integ: &'a IntegrationRuntime,
) -> Result<(&'a [u8], Option<&'a [u8]>), Reject> {
    let mut lower = [0u8; 128];
    let ct_raw = ex.header(b"content-type");
    let ct = match media_type(ct_raw, &mut lower) {
        b"" => &b"application/json"[..],
        m => m,
    };
    if let Some((key, t)) = integ
        .request_templates
        .iter()
        .find(|(k, _)| k.as_bytes() == ct)
    {
        let body = match t {
            Template::Static(s) => s.as_bytes(),
            Template::Passthrough => ex.body,
        };
        return Ok((body, Some(key.as_bytes())));
    }
    let pass = match integ.passthrough {
        PassthroughBehavior::WhenNoMatch => true,
        PassthroughBehavior::WhenNoTemplates => integ.request_templates.is_empty(),
        PassthroughBehavior::Never => false,
    };
    if pass {
        Ok((ex.body, ct_raw))
    } else {
        Err(Reject::UnsupportedMediaType)
    }
}

fn is_mapped_header(integ: &IntegrationRuntime, name: &[u8]) -> bool {
    integ
        .header_params
        .iter()
        .any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
}

/// Names listed in the client's `Connection` header are hop-by-hop too.
fn listed_in_connection(ex: &Exchange<'_>, name: &[u8]) -> bool {
    ex.head.headers(ex.buf).any(|(n, v)| {
        n.eq_ignore_ascii_case(b"connection")
            && v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(name))
    })
}

/// Writes the integration request head and body into `out`.
///
/// HTTP_PROXY forwards the method, the query string and the client's headers (less hop-by-hop);
/// HTTP sends only what the mappings name. Both append the client to `X-Forwarded-For`.
pub fn build_request(
    ex: &Exchange<'_>,
    routed: &Routed<'_>,
    up: &Upstream,
    proxy: bool,
    body: &[u8],
    content_type: Option<&[u8]>,
    out: &mut Vec<u8>,
) {
    let integ = &routed.method.integration;
    out.clear();
    match integ.method.as_deref() {
        Some(m) if m != "ANY" => out.extend_from_slice(m.as_bytes()),
        _ => out.extend_from_slice(ex.head.method_span.get(ex.buf)),
    }
    out.push(b' ');
    let path_at = out.len();
    for part in &integ.path {
        match part {
            crate::deploy::snapshot::UriPart::Literal(s) => out.extend_from_slice(s.as_bytes()),
            crate::deploy::snapshot::UriPart::Param(src) => {
                write_value(ex, routed, src, out);
            }
        }
    }
    if out.len() == path_at {
        out.push(b'/');
    }
    let mut sep = b'?';
    let mut push_query = |out: &mut Vec<u8>| {
        out.push(sep);
        sep = b'&';
    };
    if proxy && !ex.head.query.is_empty() {
        push_query(out);
        out.extend_from_slice(ex.head.query.get(ex.buf));
    }
    if let Some(q) = &integ.fixed_query {
        push_query(out);
        out.extend_from_slice(q.as_bytes());
    }
    for (name, src) in &integ.query_params {
        if let ParamSource::MultiQuery(from) = src {
            for (n, v) in query_pairs(ex.head.query.get(ex.buf)) {
                if n == from.as_bytes() {
                    push_query(out);
                    out.extend_from_slice(name.as_bytes());
                    out.push(b'=');
                    out.extend_from_slice(v);
                }
            }
            continue;
        }
        let mark = out.len();
        push_query(out);
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        if !write_value(ex, routed, src, out) {
            out.truncate(mark);
        }
    }
    out.extend_from_slice(b" HTTP/1.1\r\n");
    response::header(out, b"Host", up.authority.as_bytes());
    if proxy {
        for (n, v) in ex.head.headers(ex.buf) {
            if DROP_REQUEST.iter().any(|d| n.eq_ignore_ascii_case(d))
                || is_mapped_header(integ, n)
                || listed_in_connection(ex, n)
            {
                continue;
            }
            response::header(out, n, v);
        }
    } else {
        let _ = write!(out, "User-Agent: AmazonAPIGateway_{}\r\n", routed.api.id);
        if let Some(ct) = content_type {
            response::header(out, b"Content-Type", ct);
        }
    }
    for (name, src) in &integ.header_params {
        let mark = out.len();
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        if write_value(ex, routed, src, out) {
            out.extend_from_slice(b"\r\n");
        } else {
            out.truncate(mark);
        }
    }
    out.extend_from_slice(b"X-Forwarded-For: ");
    if let Some(prior) = ex.header(b"x-forwarded-for") {
        out.extend_from_slice(prior);
        out.extend_from_slice(b", ");
    }
    super::params::write_ip(out, ex.peer);
    out.extend_from_slice(b"\r\nX-Forwarded-Proto: http\r\n");
    let method = ex.head.method;
    use crate::http::request::Method;
    if !body.is_empty() || matches!(method, Method::Post | Method::Put | Method::Patch) {
        response::content_length(out, body.len());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

/// The integration response whose selection pattern matches `selector` (a backend status code,
/// or a mock's statusCode), else the default one.
pub fn select_response<'i>(
    integ: &'i IntegrationRuntime,
    selector: &str,
) -> Option<&'i IntegrationResponseRuntime> {
    integ
        .responses
        .iter()
        .find(|r| r.selection.as_ref().is_some_and(|re| re.is_match(selector)))
        .or_else(|| integ.default_response.map(|i| &integ.responses[i]))
}

/// Picks the response template: the one for a media type the client accepts, else
/// `application/json`, else the first — API Gateway's order.
fn response_template<'r>(
    ex: &Exchange<'_>,
    resp: &'r IntegrationResponseRuntime,
) -> Option<&'r (Box<str>, Template)> {
    if let Some(accept) = ex.header(b"accept") {
        for item in accept.split(|&b| b == b',') {
            let mut lower = [0u8; 128];
            let m = media_type(Some(item), &mut lower);
            if let Some(t) = resp.templates.iter().find(|(k, _)| k.as_bytes() == m) {
                return Some(t);
            }
        }
    }
    resp.templates
        .iter()
        .find(|(k, _)| &**k == "application/json")
        .or_else(|| resp.templates.first())
}

/// Writes the method response for a non-proxy integration: status, mapped headers and the body
/// from the chosen template (or the integration body passed through). A mapped `Content-Type`
/// replaces the template's.
pub fn write_response<'b>(
    ex: &Exchange<'_>,
    resp: &'b IntegrationResponseRuntime,
    backend_header: &dyn Fn(&[u8]) -> Option<&'b [u8]>,
    integration_body: &'b [u8],
    wbuf: &mut Vec<u8>,
) -> Outcome {
    let (mut ct, body): (&[u8], &[u8]) = match response_template(ex, resp) {
        Some((k, Template::Static(s))) => (k.as_bytes(), s.as_bytes()),
        Some((k, Template::Passthrough)) => (k.as_bytes(), integration_body),
        None => (b"application/json", integration_body),
    };
    let value_of = |src: &'b ResponseParamSource| -> Option<&'b [u8]> {
        match src {
            ResponseParamSource::Literal(v) => Some(v.as_bytes()),
            ResponseParamSource::Header(h) => backend_header(h.as_bytes()),
        }
    };
    for (name, src) in &resp.header_params {
        if name.eq_ignore_ascii_case("content-type") {
            if let Some(v) = value_of(src) {
                ct = v;
            }
        }
    }
    respond::fixed(
        ex,
        wbuf,
        resp.status,
        ct,
        |w| {
            for (name, src) in &resp.header_params {
                if name.eq_ignore_ascii_case("content-type") {
                    continue;
                }
                if let Some(v) = value_of(src) {
                    response::header(w, name.as_bytes(), v);
                }
            }
        },
        body,
    )
}
