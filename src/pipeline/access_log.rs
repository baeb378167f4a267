//! The access log phase, after respond: the stage's compiled format rendered for this request
//! into a reused line buffer, its `responseLatency` places left open until `finish` knows when
//! the response ended (see `core::access_log`). Values come from the exchange and from what
//! `respond` was handed (`Facts`); an empty value is written `-`, as API Gateway writes it.

use crate::core::access_log::{Pending, HOLES};
use crate::deploy::compile::access_log::{
    AccessLogFormat, AuthStep, Escape, LogVar, Piece, StepField,
};
use crate::deploy::gateway_responses::ResponseType;
use crate::deploy::policy::ModelIdx;
use crate::deploy::snapshot::{ApiRuntime, ContextVar, StageRuntime};
use crate::net::relay::RelayMode;
use crate::pipeline::mapping::context::write_request_time;
use crate::pipeline::params::{canary_text, write_context, write_request_context};
use crate::pipeline::trace::{AwsRequestId, Step};
use crate::pipeline::waf::WafVerdict;
use crate::pipeline::{Exchange, IntegrationResponse, Outcome, Reply, Request};
use crate::runtime::access_log::DestId;
use std::io::Write as _;

/// What the phases knew before `respond` consumed their answer.
#[derive(Debug, Default)]
pub struct Facts {
    /// The backend's (or MOCK's) status.
    pub integration_status: Option<u16>,
    /// The gateway error the request ended in: its type, and its message (allocated only on
    /// this error path, for the log).
    pub error: Option<(ResponseType, Option<String>)>,
    /// Why the integration failed (allocated only when it did).
    pub integration_error: Option<Box<str>>,
    /// A Lambda or AWS service integration's request id header.
    pub integration_request_id: Option<AwsRequestId>,
    /// Its `x-amz-id-2` header (`awsEndpointRequestId2`).
    pub integration_request_id2: Option<AwsRequestId<128>>,
    /// The model the request body failed validation against.
    pub invalid_body: Option<ModelIdx>,
}

impl Facts {
    pub fn of(x: &Exchange<'_>, reply: &Result<Reply<'_>, super::respond::Reject>) -> Facts {
        let mut facts = match reply {
            // `respond` fails a response with no method response (API_CONFIGURATION_ERROR).
            Ok(Reply::Mapped {
                resp, integration, ..
            }) if !resp.has_method_response => Facts {
                integration_status: Some(integration.status),
                error: Some((ResponseType::ApiConfigurationError, None)),
                ..Facts::default()
            },
            Ok(Reply::Mapped { integration, .. })
            | Ok(Reply::Proxied(integration))
            | Ok(Reply::Lambda(integration)) => Facts {
                integration_status: Some(integration.status),
                ..Facts::default()
            },
            // Answered from the stage cache: no integration was called.
            Ok(Reply::Cached(_)) => Facts::default(),
            Err(r) => Facts::rejected(r),
        };
        facts.integration_error = x.integration_error.clone();
        if let Ok(Reply::Mapped { integration, .. } | Reply::Lambda(integration)) = reply {
            facts.integration_request_id = aws_request_id(x, integration, b"x-amzn-requestid")
                .or_else(|| aws_request_id(x, integration, b"x-amz-request-id"));
            facts.integration_request_id2 = aws_request_id(x, integration, b"x-amz-id-2");
            // A proxy Lambda's function error is found by `respond`, after these facts.
            if matches!(reply, Ok(Reply::Lambda(_))) && facts.integration_error.is_none() {
                facts.integration_error = super::lambda::failure(integration);
            }
        }
        facts
    }

    /// A request refused before any integration was called.
    pub fn rejected(r: &super::respond::Reject) -> Facts {
        let g = r.gateway_error();
        // A type's own message is read from its defaults when the line is written: only a
        // message made for this request (an IAM denial naming the caller) is copied.
        let own = g
            .message
            .filter(|&m| Some(m) != g.response_type.defaults().message);
        Facts {
            error: Some((g.response_type, own.map(str::to_string))),
            invalid_body: g.body_model,
            ..Facts::default()
        }
    }
}

/// A request id header (`name`, lower case) an AWS endpoint answered with, for the integrations
/// that call one.
fn aws_request_id<const N: usize>(
    x: &Exchange<'_>,
    integration: &IntegrationResponse<'_>,
    name: &[u8],
) -> Option<AwsRequestId<N>> {
    use crate::deploy::snapshot::IntegrationKind::{AwsService, Lambda, LambdaProxy};
    if !matches!(x.integration().kind, Lambda | LambdaProxy | AwsService) {
        return None;
    }
    Some(AwsRequestId::new(integration.header(name)?))
}

/// A request that named a stage but none of its resources (403 Missing Authentication Token):
/// AWS still logs it on the stage.
pub struct Unrouted<'a> {
    pub req: &'a Request<'a>,
    pub api: &'a ApiRuntime,
    pub stage: &'a StageRuntime,
    pub canary: bool,
    pub waf: Option<WafVerdict>,
}

/// Whose line is being written. For a request no resource matched, the line says the
/// request's own facts and the stage's; what belongs to a method (`resourcePath`,
/// `resourceId`, the caller, the integration) is `-`.
#[derive(Clone, Copy)]
pub enum Subject<'s> {
    Routed(&'s Exchange<'s>),
    Unrouted(&'s Unrouted<'s>),
}

impl<'s> Subject<'s> {
    fn req(self) -> &'s Request<'s> {
        match self {
            Subject::Routed(x) => x.req,
            Subject::Unrouted(u) => u.req,
        }
    }
    fn api(self) -> &'s ApiRuntime {
        match self {
            Subject::Routed(x) => x.api(),
            Subject::Unrouted(u) => u.api,
        }
    }
    fn stage(self) -> &'s StageRuntime {
        match self {
            Subject::Routed(x) => x.stage(),
            Subject::Unrouted(u) => u.stage,
        }
    }
    fn canary(self) -> bool {
        match self {
            Subject::Routed(x) => x.route.canary,
            Subject::Unrouted(u) => u.canary,
        }
    }
    fn waf(self) -> Option<&'s WafVerdict> {
        match self {
            Subject::Routed(x) => x.waf.as_ref(),
            Subject::Unrouted(u) => u.waf.as_ref(),
        }
    }
}

/// Renders the stage's access log line for `s` into a pending line.
pub fn render(
    s: Subject<'_>,
    facts: &Facts,
    outcome: &Outcome,
    response: &[u8],
    line: Vec<u8>,
    format: &AccessLogFormat,
    dest: DestId,
) -> Pending {
    let mut p = Pending {
        dest,
        line,
        holes: [0; HOLES],
        n_holes: 0,
    };
    render_pieces(format, &mut p, |v, out| {
        value(s, facts, outcome, response, v, out)
    });
    p
}

/// The format's pieces into `p.line`, each variable's text written by `value` (then escaped
/// for the format's shape, `-` when empty); `responseLatency` places are left open in `p.holes`.
pub fn render_pieces(
    format: &AccessLogFormat,
    p: &mut Pending,
    mut value: impl FnMut(&LogVar, &mut Vec<u8>),
) {
    for piece in format.pieces.iter() {
        match piece {
            Piece::Lit(b) => p.line.extend_from_slice(b),
            Piece::Var(LogVar::ResponseLatency) if (p.n_holes as usize) < HOLES => {
                p.holes[p.n_holes as usize] = p.line.len() as u32;
                p.n_holes += 1;
            }
            // A JSON string: the quotes stay, what is between them is escaped (`"-"` when none).
            Piece::Var(LogVar::ErrorMessageString) => {
                p.line.push(b'"');
                let start = p.line.len();
                value(&LogVar::ErrorMessage, &mut p.line);
                finish_value(&mut p.line, start, Escape::Json);
                p.line.push(b'"');
            }
            Piece::Var(v) => {
                let start = p.line.len();
                value(v, &mut p.line);
                finish_value(&mut p.line, start, format.escape);
            }
        }
    }
}

/// Writes `-` for an empty value, else escapes what was written since `start`.
fn finish_value(out: &mut Vec<u8>, start: usize, escape: Escape) {
    if out.len() == start {
        out.push(b'-');
        return;
    }
    // Control bytes never reach a line raw: a value can never end the line early.
    let needs = |b: u8| match escape {
        Escape::None => b < 0x20,
        Escape::Json => b == b'"' || b == b'\\' || b < 0x20,
        Escape::Xml => b < 0x20 || matches!(b, b'<' | b'>' | b'&' | b'"' | b'\''),
    };
    if !out[start..].iter().any(|&b| needs(b)) {
        return;
    }
    // Rare: rewrite the value escaped (the tail is re-appended from a copy on the stack side).
    let raw: Vec<u8> = out.split_off(start);
    for &b in &raw {
        if !needs(b) {
            out.push(b);
            continue;
        }
        match (escape, b) {
            (Escape::Json, b'"') => out.extend_from_slice(b"\\\""),
            (Escape::Json, b'\\') => out.extend_from_slice(b"\\\\"),
            (Escape::Json, b'\n') => out.extend_from_slice(b"\\n"),
            (Escape::Json, b'\r') => out.extend_from_slice(b"\\r"),
            (Escape::Json, b'\t') => out.extend_from_slice(b"\\t"),
            (Escape::Json, c) => {
                let _ = write!(out, "\\u{:04x}", c);
            }
            (_, b'<') => out.extend_from_slice(b"&lt;"),
            (_, b'>') => out.extend_from_slice(b"&gt;"),
            (_, b'&') => out.extend_from_slice(b"&amp;"),
            (_, b'"') => out.extend_from_slice(b"&quot;"),
            (_, b'\'') => out.extend_from_slice(b"&apos;"),
            // Control bytes in CLF, CSV and XML values become spaces.
            (_, _) => out.push(b' '),
        }
    }
}

/// The response payload's length: a relayed body's announced length, the body written after the
/// head in `response`, or (a body already relayed whole: a HEAD answer, a compressed body) the
/// head's Content-Length; `None` for a body relayed without one (chunked, until close).
fn response_length(response: &[u8], relay: Option<RelayMode>) -> Option<u64> {
    let end = || memchr::memmem::find(response, b"\r\n\r\n");
    match relay {
        Some(RelayMode::Sized(n)) => Some(n),
        None => Some((response.len() - end()? - 4) as u64),
        Some(RelayMode::Done) => {
            let head = &response[..end()?];
            head.split(|&b| b == b'\n').find_map(|l| {
                let (name, v) = l.split_at(l.iter().position(|&b| b == b':')?);
                if !name.trim_ascii().eq_ignore_ascii_case(b"content-length") {
                    return None;
                }
                std::str::from_utf8(&v[1..]).ok()?.trim().parse().ok()
            })
        }
        Some(_) => None,
    }
}

/// A number's decimal digits (the hot path of every line: not through `fmt`).
fn num(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A `$context.*` access-log variable (not a method's, for an unrouted request).
fn context(s: Subject<'_>, c: &ContextVar, out: &mut Vec<u8>) {
    match s {
        Subject::Routed(x) => write_context(x, c, out),
        Subject::Unrouted(u) => match c {
            ContextVar::ApiId => out.extend_from_slice(u.api.id.as_bytes()),
            ContextVar::Stage => out.extend_from_slice(u.stage.name.as_bytes()),
            ContextVar::IsCanaryRequest => out.extend_from_slice(canary_text(u.canary)),
            other => {
                write_request_context(u.req, other, out);
            }
        },
    }
}

fn value(
    s: Subject<'_>,
    facts: &Facts,
    outcome: &Outcome,
    response: &[u8],
    v: &LogVar,
    out: &mut Vec<u8>,
) {
    let req = s.req();
    let routed = match s {
        Subject::Routed(x) => Some(x),
        Subject::Unrouted(_) => None,
    };
    match v {
        LogVar::Ctx(c) => context(s, c, out),
        LogVar::RequestTime => write_request_time(req.epoch_ms, out),
        LogVar::ExtendedRequestId => out.extend_from_slice(&req.request_id),
        LogVar::UserAgent => out.extend_from_slice(req.header(b"user-agent").unwrap_or_default()),
        LogVar::ResourceId => {
            if let Some(x) = routed {
                out.extend_from_slice(x.method().resource_id.as_bytes())
            }
        }
        LogVar::DeploymentId => out.extend_from_slice(s.stage().deployment_id.as_bytes()),
        LogVar::DomainPrefix => {
            let host = req.head.host.map(|h| h.get(req.buf)).unwrap_or_default();
            out.extend_from_slice(host.split(|&b| b == b'.').next().unwrap_or_default());
        }
        LogVar::Status => {
            num(out, u64::from(outcome.status));
        }
        LogVar::ResponseLength => {
            if let Some(n) = response_length(response, outcome.relay.as_ref().map(|r| r.mode)) {
                num(out, n);
            }
        }
        LogVar::ResponseLatency => {
            // Past the holes `render` keeps: the latency so far.
            num(out, req.received.elapsed().as_millis() as u64);
        }
        LogVar::IntegrationLatency => {
            if let Some(us) = routed.and_then(|x| x.integration_us) {
                num(out, us / 1000);
            }
        }
        LogVar::IntegrationStatus => {
            if let Some(s) = facts.integration_status {
                num(out, u64::from(s));
            }
        }
        LogVar::ErrorMessage | LogVar::ErrorMessageString => {
            if let Some((t, m)) = &facts.error {
                let m = m.as_deref().or(t.defaults().message).unwrap_or_default();
                out.extend_from_slice(m.as_bytes());
            }
        }
        LogVar::ErrorResponseType => {
            if let Some((t, _)) = &facts.error {
                out.extend_from_slice(t.name().as_bytes());
            }
        }
        // AWS: "Present only when you enabled a canary" (the canary copy has no canary itself,
        // so a canary request is known by its route).
        LogVar::IsCanaryRequest => {
            if s.canary() || s.stage().canary.is_some() {
                out.extend_from_slice(canary_text(s.canary()))
            }
        }
        // Unset (`-`) on a stage with no web ACL, as on AWS.
        LogVar::WafResponseCode => {
            if let Some(w) = s.waf() {
                out.extend_from_slice(w.response_code().as_bytes());
            }
        }
        LogVar::WafStatus => {
            if let Some(w) = s.waf() {
                num(out, u64::from(w.status));
            }
        }
        LogVar::WafLatency => {
            if let Some(w) = s.waf() {
                num(out, u64::from(w.latency_us / 1000));
            }
        }
        // Tollgate's WAF runs in process: it cannot fail the way a call to AWS WAF can.
        LogVar::WafError => {}
        LogVar::Auth(step, field) => {
            if let Some(x) = routed {
                auth_step(x, facts, *step, *field, out)
            }
        }
        LogVar::AuthorizerIntegrationLatency => {
            if let Some(i) = routed.and_then(|x| x.auth_trace.invoke) {
                num(out, i.latency_us / 1000);
            }
        }
        LogVar::AuthorizerIntegrationStatus => {
            if let Some(i) = routed.and_then(|x| x.auth_trace.invoke.filter(|i| i.status != 0)) {
                num(out, u64::from(i.status));
            }
        }
        LogVar::AuthorizerRequestId => {
            if let Some(id) = routed.and_then(|x| x.auth_trace.invoke?.request_id) {
                out.extend_from_slice(id.as_bytes());
            }
        }
        LogVar::IntegrationError => {
            out.extend_from_slice(facts.integration_error.as_deref().unwrap_or("").as_bytes())
        }
        LogVar::AwsEndpointRequestId2 => {
            if let Some(id) = &facts.integration_request_id2 {
                out.extend_from_slice(id.as_bytes());
            }
        }
        LogVar::IntegrationRequestId => {
            if let Some(id) = &facts.integration_request_id {
                out.extend_from_slice(id.as_bytes());
            }
        }
        LogVar::ValidationErrorString => {
            if let (Some(x), Some(model)) = (routed, facts.invalid_body) {
                crate::pipeline::validate::write_validation_error_text(x, model, out);
            }
        }
        LogVar::WebAclArn => {
            if let Some(program) = &s.stage().waf {
                out.extend_from_slice(program.arn.as_bytes());
            }
        }
        LogVar::EndpointType => out.extend_from_slice(s.api().endpoint_type.as_bytes()),
        LogVar::Absent => {}
    }
}

/// A step of the authorize phase; `-` when the method's mechanism has no such step. A failed
/// step's error is why the mechanism said it failed, else the refusal's message: a failed
/// step ends the request, so the request's error is the step's.
fn auth_step(x: &Exchange<'_>, facts: &Facts, step: AuthStep, field: StepField, out: &mut Vec<u8>) {
    let t = &x.auth_trace;
    let s: Step = match step {
        AuthStep::Authenticate => t.authenticate,
        AuthStep::Authorize => t.authorize,
        AuthStep::Authorizer => t.authorizer,
    };
    if !s.ran() {
        return;
    }
    match field {
        StepField::Status => num(out, u64::from(s.status)),
        StepField::Latency => num(out, s.latency_us / 1000),
        StepField::Error if s.failed() => {
            if let Some(why) = &t.error {
                out.extend_from_slice(why.as_bytes());
            } else if let Some((rt, m)) = &facts.error {
                let m = m.as_deref().or(rt.defaults().message).unwrap_or_default();
                out.extend_from_slice(m.as_bytes());
            }
        }
        StepField::Error => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(v: &str, e: Escape) -> String {
        let mut out = b"x".to_vec();
        out.extend_from_slice(v.as_bytes());
        finish_value(&mut out, 1, e);
        String::from_utf8(out[1..].to_vec()).unwrap()
    }

    #[test]
    fn values_are_escaped_for_the_format() {
        assert_eq!(escaped("", Escape::Json), "-");
        assert_eq!(escaped("a\"b\\c\u{1}", Escape::Json), "a\\\"b\\\\c\\u0001");
        assert_eq!(
            escaped("<a&'\">", Escape::Xml),
            "&lt;a&amp;&apos;&quot;&gt;"
        );
        assert_eq!(escaped("a\"b\nc", Escape::None), "a\"b c");
        assert_eq!(escaped("a\r", Escape::Xml), "a ");
    }

    #[test]
    fn response_length_from_the_written_response() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(response_length(r, None), Some(5));
        let h = b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n";
        assert_eq!(response_length(h, Some(RelayMode::Sized(1234))), Some(1234));
        assert_eq!(response_length(h, Some(RelayMode::Done)), Some(1234));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(response_length(chunked, Some(RelayMode::Chunked)), None);
        assert_eq!(
            response_length(b"HTTP/1.1 200 OK\r\n\r\n", Some(RelayMode::Done)),
            None
        );
    }
}
