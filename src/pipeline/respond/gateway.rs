//! Renders a gateway-made error through the deployment's `GatewayResponses`: the status after
//! overrides, `x-amzn-ErrorType`, the customisation's headers and template (or AWS's default
//! `{"message":...}` body), with the headers every response carries.
//!
//! Invariant: writes straight into the connection's output buffer and allocates nothing once it
//! has capacity. The body is written first and rotated behind the head, so Content-Length needs
//! no second pass over the template.

use crate::deploy::gateway_responses::{
    GatewayResponses, Piece, ResponseType, ValueSource, AWS_DEFAULTS,
};
use crate::deploy::snapshot::ContextVar;
use crate::deploy::snapshot::Velocity;
use crate::deploy::Snapshot;
use crate::http::request::RequestHead;
use crate::http::response;
use crate::pipeline::mapping::gateway::GatewayEnv;
use crate::pipeline::params::{query_pairs, write_ip, ACCOUNT_ID};
use crate::pipeline::Exchange;
use crate::vtl::{self, Value};
use std::io::Write as _;
use std::net::IpAddr;

/// One error the gateway makes: its type and what it says when nothing is customised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayError<'m> {
    pub response_type: ResponseType,
    /// The status the error naturally answers (before `statusCode` overrides).
    pub status: u16,
    /// Borrowed from the `Reject` for the messages made per request (an IAM denial names the
    /// caller and the resource).
    pub message: Option<&'m str>,
    pub error_type: Option<&'static str>,
    /// Set by the request validator: which required parameters are missing. The message is then
    /// `"{message}: [a, b]"`, the names read from the routed method.
    pub missing_params: u64,
    /// Set by the body validator: the model the body failed, from which
    /// `$context.error.validationErrorString` is written.
    pub body_model: Option<crate::deploy::policy::ModelIdx>,
}

impl GatewayError<'static> {
    /// The type's AWS defaults. A DEFAULT_* type has no status of its own: use `with_status`.
    pub fn of(t: ResponseType) -> GatewayError<'static> {
        let d = t.defaults();
        GatewayError {
            response_type: t,
            status: d.status.unwrap_or(500),
            message: d.message,
            error_type: d.error_type,
            missing_params: 0,
            body_model: None,
        }
    }
}

/// What the renderer may read of the request that failed.
#[derive(Clone, Copy)]
pub struct ErrorSite<'a> {
    /// The buffer the head's spans point into.
    pub buf: &'a [u8],
    /// `None` when no head could be parsed.
    pub head: Option<&'a RequestHead>,
    /// Set once the request was routed to a method (path parameters, resource path).
    pub routed: Option<&'a Exchange<'a>>,
    pub peer: IpAddr,
    pub request_id: &'a [u8],
    pub date: &'a [u8],
    pub epoch_ms: u64,
}

/// The gateway responses that apply to a request not (yet) routed: the stage's, found the way
/// `route` finds it (API by `Host` or the only deployed one, stage by the first path segment);
/// AWS's defaults when there is no head or no such API or stage.
pub fn table_for<'s>(
    snap: &'s Snapshot,
    buf: &[u8],
    head: Option<&RequestHead>,
) -> &'s GatewayResponses {
    let Some(head) = head else {
        return &AWS_DEFAULTS;
    };
    let Some(api) = snap.api_for_host(head.host.map(|h| h.get(buf))) else {
        return &AWS_DEFAULTS;
    };
    let path = head.path.get(buf);
    let rest = path.strip_prefix(b"/").unwrap_or(path);
    let stage = &rest[..rest.iter().position(|&b| b == b'/').unwrap_or(rest.len())];
    snap.stage_idx(api, stage)
        .map_or(&AWS_DEFAULTS, |s| &snap.stage(api, s).gateway_responses)
}

/// Appends the whole error response to `out`; returns the status sent.
pub fn render(
    table: &GatewayResponses,
    err: &GatewayError,
    site: &ErrorSite<'_>,
    close: bool,
    head_only: bool,
    out: &mut Vec<u8>,
) -> u16 {
    let resolved = table.resolve(err.response_type, err.status);
    let custom = resolved.custom;
    let template = custom.and_then(|c| choose(&c.templates, site));
    let mark = out.len();
    let content_type: &[u8] = match template {
        Some((ct, pieces)) => {
            for p in pieces {
                write_piece(p, err, site, out);
            }
            ct.as_bytes()
        }
        None => {
            out.extend_from_slice(b"{\"message\":");
            write_message_string(err, site, out);
            out.push(b'}');
            b"application/json"
        }
    };
    let body_len = out.len() - mark;
    response::status_line(out, resolved.status);
    response::header(out, b"Date", site.date);
    if !custom.is_some_and(|c| c.sets_content_type) {
        response::header(out, b"Content-Type", content_type);
    }
    response::content_length(out, body_len);
    response::header(out, b"x-amzn-RequestId", site.request_id);
    if let Some(t) = err.error_type {
        response::header(out, b"x-amzn-ErrorType", t.as_bytes());
    }
    for (name, src) in custom.map_or(&[][..], |c| &c.headers) {
        let start = out.len();
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        let value_start = out.len();
        if write_value(src, site, out) && response::is_valid_field_value(&out[value_start..]) {
            out.extend_from_slice(b"\r\n");
        } else {
            // No such value in the request: the header is left out, as API Gateway does.
            out.truncate(start);
        }
    }
    if close {
        response::header(out, b"Connection", b"close");
    }
    out.extend_from_slice(b"\r\n");
    out[mark..].rotate_left(body_len);
    if head_only {
        out.truncate(out.len() - body_len);
    }
    resolved.status
}

type Templates = [(Box<str>, Vec<Piece>)];

/// The template for the client's `Accept` when there is one for it exactly, else
/// `application/json`, else the first.
fn choose<'t>(templates: &'t Templates, site: &ErrorSite<'_>) -> Option<(&'t str, &'t [Piece])> {
    let accept = site.head.and_then(|h| h.header(site.buf, b"accept"));
    let by = |want: &[u8]| {
        templates
            .iter()
            .find(|(ct, _)| ct.as_bytes().eq_ignore_ascii_case(want))
    };
    accept
        .and_then(by)
        .or_else(|| by(b"application/json"))
        .or(templates.first())
        .map(|(ct, p)| (&**ct, &p[..]))
}

fn write_message_string(err: &GatewayError, site: &ErrorSite<'_>, out: &mut Vec<u8>) {
    match err.message {
        Some(_) => {
            out.push(b'"');
            let at = out.len();
            write_message(err, site, out);
            // Escape what was written in place: names and messages are short and rarely need it.
            if out[at..]
                .iter()
                .any(|&b| b == b'"' || b == b'\\' || b < 0x20)
            {
                let raw = out.split_off(at);
                response::json_escape(out, &String::from_utf8_lossy(&raw));
            }
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// The error's message, with the missing parameters' names when the validator set them.
fn write_message(err: &GatewayError, site: &ErrorSite<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(err.message.unwrap_or("").as_bytes());
    if err.missing_params != 0 {
        if let Some(x) = site.routed {
            out.extend_from_slice(b": ");
            crate::pipeline::validate::write_missing(x, err.missing_params, out);
        }
    }
}

/// `$context.error.validationErrorString`: empty unless the body validator refused the request.
fn write_validation_error_string(err: &GatewayError, site: &ErrorSite<'_>, out: &mut Vec<u8>) {
    if let (Some(model), Some(x)) = (err.body_model, site.routed) {
        crate::pipeline::validate::write_validation_error_string(x, model, out);
    }
}

fn write_piece(p: &Piece, err: &GatewayError, site: &ErrorSite<'_>, out: &mut Vec<u8>) {
    match p {
        Piece::Text(t) => out.extend_from_slice(t.as_bytes()),
        Piece::Message => write_message(err, site, out),
        Piece::MessageString => write_message_string(err, site, out),
        Piece::ResponseType => out.extend_from_slice(err.response_type.name().as_bytes()),
        Piece::ValidationErrorString => write_validation_error_string(err, site, out),
        Piece::Value(src) => {
            write_value(src, site, out);
        }
        Piece::Vtl(t) => write_velocity(t, err, site, out),
    }
}

/// Renders a Velocity gateway template. If it fails (a runaway template), the error's default
/// body is sent instead: the client still learns what went wrong.
fn write_velocity(t: &Velocity, err: &GatewayError, site: &ErrorSite<'_>, out: &mut Vec<u8>) {
    let text = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut v = Vec::new();
        f(&mut v);
        Value::str(&String::from_utf8_lossy(&v))
    };
    let error = Value::Map(vec![
        ("message".into(), text(&|v| write_message(err, site, v))),
        (
            "messageString".into(),
            text(&|v| write_message_string(err, site, v)),
        ),
        ("responseType".into(), Value::str(err.response_type.name())),
        (
            "validationErrorString".into(),
            text(&|v| write_validation_error_string(err, site, v)),
        ),
    ]);
    let env = GatewayEnv::new(site, t, error);
    let mark = out.len();
    if vtl::render(&t.program, &env, vtl::Limits::default(), out).is_err() {
        out.truncate(mark);
        out.extend_from_slice(b"{\"message\":");
        write_message_string(err, site, out);
        out.push(b'}');
    }
}

/// Appends the value `src` reads from the request; false (nothing written) when it has none.
fn write_value(src: &ValueSource, site: &ErrorSite<'_>, out: &mut Vec<u8>) -> bool {
    let buf = site.buf;
    match src {
        ValueSource::Literal(v) => out.extend_from_slice(v.as_bytes()),
        ValueSource::Header(name) => match site.head.and_then(|h| h.header(buf, name.as_bytes())) {
            Some(v) => out.extend_from_slice(v),
            None => return false,
        },
        ValueSource::MultiHeader(name) => {
            let Some(head) = site.head else { return false };
            let start = out.len();
            for (n, v) in head.headers(buf) {
                if n.eq_ignore_ascii_case(name.as_bytes()) {
                    if out.len() > start {
                        out.push(b',');
                    }
                    out.extend_from_slice(v);
                }
            }
            return out.len() > start;
        }
        ValueSource::Query(name) | ValueSource::MultiQuery(name) => {
            let Some(head) = site.head else { return false };
            let mut found = false;
            for (n, v) in query_pairs(head.query.get(buf)) {
                if n != name.as_bytes() {
                    continue;
                }
                if found {
                    out.push(b',');
                }
                out.extend_from_slice(v);
                found = true;
                if matches!(src, ValueSource::Query(_)) {
                    break;
                }
            }
            return found;
        }
        ValueSource::Path(name) => {
            let Some(x) = site.routed else { return false };
            let i = x.method().path_params.iter().position(|p| **p == **name);
            match i.and_then(|i| x.route.capture(buf, i)) {
                Some(v) => out.extend_from_slice(v),
                None => return false,
            }
        }
        ValueSource::Context(var) => return write_context(var, site, out),
    }
    true
}

fn write_context(var: &ContextVar, site: &ErrorSite<'_>, out: &mut Vec<u8>) -> bool {
    let head = site.head;
    let routed = site.routed;
    let value: &[u8] = match var {
        ContextVar::RequestId => site.request_id,
        ContextVar::AccountId => ACCOUNT_ID.as_bytes(),
        ContextVar::SourceIp => {
            write_ip(out, site.peer);
            return true;
        }
        ContextVar::RequestTimeEpoch => {
            // Writing into a Vec with spare capacity formats in place, without allocating.
            let _ = write!(out, "{}", site.epoch_ms);
            return true;
        }
        ContextVar::HttpMethod => match head {
            Some(h) => h.method_span.get(site.buf),
            None => return false,
        },
        ContextVar::Path => match head {
            Some(h) => h.path.get(site.buf),
            None => return false,
        },
        ContextVar::Protocol => match head {
            Some(h) if h.minor_version == 0 => b"HTTP/1.0",
            Some(_) => b"HTTP/1.1",
            None => return false,
        },
        ContextVar::DomainName => match head.and_then(|h| h.host) {
            Some(span) => span.get(site.buf),
            None => return false,
        },
        ContextVar::ResourcePath => match routed {
            Some(x) => x.method().resource_path.as_bytes(),
            None => return false,
        },
        // Compiled to literals; kept for a routed request all the same.
        ContextVar::ApiId => match routed {
            Some(x) => x.api().id.as_bytes(),
            None => return false,
        },
        ContextVar::Stage => match routed {
            Some(x) => x.stage().name.as_bytes(),
            None => return false,
        },
        ContextVar::IsCanaryRequest => match routed {
            Some(x) => crate::pipeline::params::canary_text(x.route.canary),
            None => return false,
        },
        // Only a key that passed is named (a refused one is never echoed back).
        ContextVar::ApiKey => match routed.and_then(|x| x.api_key) {
            Some(k) => k.value.as_bytes(),
            None => return false,
        },
        ContextVar::ApiKeyId => match routed.and_then(|x| x.api_key) {
            Some(k) => k.id.as_bytes(),
            None => return false,
        },
        // What the authorizer established, when the refusal came after it (a gateway response
        // for UNAUTHORIZED has none: `$context.authorizer.*` is empty there, as on AWS).
        other => match routed.and_then(|x| crate::pipeline::params::caller_value(x, other)) {
            Some(v) => v,
            None => return false,
        },
    };
    out.extend_from_slice(value);
    true
}

#[cfg(test)]
mod tests;
