//! The last phase, and the only writer of client bytes in the pipeline: `respond` renders what
//! the phases produced (a mapped method response, a proxied backend head whose body the
//! connection then relays, or a `Reject`), and this is the only place that turns a `Reject`
//! into status, AWS error body and `x-amzn-ErrorType`: each `Reject` names its gateway response
//! type and is rendered through the stage's compiled gateway responses (`gateway`), the
//! connection's own refusals included (`refuse`). Every response carries `Date`,
//! `x-amzn-RequestId` and the right framing and `Connection` headers.

pub mod gateway;

pub use gateway::{ErrorSite, GatewayError};

use super::mapping::Overrides;
use super::params::write_response_value;
use super::route::RouteError;
use super::{Body, Exchange, IntegrationResponse, Outcome, Reply, Request};
use crate::deploy::gateway_responses::ResponseType;
use crate::deploy::snapshot::{IntegrationResponseRuntime, ResponseParamSource};
use crate::deploy::Snapshot;
use crate::http::body::BodyError;
use crate::http::upstream::ResponseHead;
use crate::http::{response, Framing, HeadError};
use crate::net::relay::{Relay, RelayMode};
use crate::net::upstream::UpstreamError;

/// Every way the data path refuses or fails a request, named after API Gateway's gateway
/// response types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reject {
    /// MISSING_AUTHENTICATION_TOKEN: no such API, stage, resource or method.
    MissingAuthenticationToken,
    /// INVALID_API_KEY: a key-required method without a key that may call it (403 Forbidden).
    InvalidApiKey,
    /// THROTTLED: a throttle level had no token (429 Too Many Requests).
    Throttled,
    /// QUOTA_EXCEEDED: the usage plan's quota for the key is spent (429 Limit Exceeded).
    QuotaExceeded,
    /// UNSUPPORTED_MEDIA_TYPE: passthrough behaviour refused the request's content type.
    UnsupportedMediaType,
    /// INTEGRATION_TIMEOUT.
    IntegrationTimeout,
    /// INTEGRATION_FAILURE: the backend refused, reset or answered malformed.
    IntegrationFailure,
    /// API_CONFIGURATION_ERROR: a configuration the request cannot be served with.
    Internal,
    /// REQUEST_TOO_LARGE: the rendered integration request head is over
    /// `limits.max_integration_head`. Nothing was sent, and the client's request was read whole,
    /// so its connection stays usable.
    IntegrationRequestTooLarge,
    /// BAD_REQUEST_PARAMETERS from the request validator: bit `i` marks the method's `i`-th
    /// required parameter as missing (the renderer names them).
    MissingRequiredParameters { missing: u64 },
    /// BAD_REQUEST_BODY: a request template reads the body as JSON and it is not JSON.
    UnparsableBody,
    /// BAD_REQUEST_BODY from the request validator: the body is not valid for `model` (the
    /// renderer writes `$context.error.validationErrorString` from it).
    InvalidBody {
        model: crate::deploy::policy::ModelIdx,
    },
    /// BAD_REQUEST_PARAMETERS: a request value that cannot be mapped where the API puts it.
    BadRequestParameters { message: &'static str },
    /// A malformed or over-limit request (the connection is closed after it): REQUEST_TOO_LARGE
    /// for 413, else DEFAULT_4XX / DEFAULT_5XX by status.
    BadRequest { status: u16, message: &'static str },
    /// The authorize phase refused the request (UNAUTHORIZED, ACCESS_DENIED, ...).
    Auth(crate::pipeline::authorize::AuthReject),
    /// WAF_FILTERED: the stage's web ACL blocked the request; with the blocking rule's custom
    /// response (index into the stage's WAF program) when it has one.
    WafBlocked { response: Option<u16> },
}

impl From<crate::pipeline::authorize::AuthReject> for Reject {
    fn from(a: crate::pipeline::authorize::AuthReject) -> Self {
        Reject::Auth(a)
    }
}

impl From<RouteError> for Reject {
    fn from(_: RouteError) -> Self {
        Reject::MissingAuthenticationToken
    }
}

impl From<HeadError> for Reject {
    fn from(e: HeadError) -> Self {
        Reject::BadRequest {
            status: e.status(),
            message: e.message(),
        }
    }
}

impl From<BodyError> for Reject {
    fn from(e: BodyError) -> Self {
        Reject::BadRequest {
            status: e.status(),
            message: e.message(),
        }
    }
}

impl From<&UpstreamError> for Reject {
    fn from(e: &UpstreamError) -> Self {
        match e {
            UpstreamError::Timeout => Reject::IntegrationTimeout,
            _ => Reject::IntegrationFailure,
        }
    }
}

impl Reject {
    /// The gateway response type this error renders as, with what it says when nothing is
    /// customised. Statuses are what Tollgate has always answered: a failed backend is 502
    /// (INTEGRATION_FAILURE's own default, 504, is what an override-free GetGatewayResponse
    /// reports), framing errors keep their 400/408/414/431 under DEFAULT_4XX.
    pub fn gateway_error(&self) -> GatewayError<'_> {
        let of = GatewayError::of;
        match *self {
            Reject::Auth(ref a) => a.gateway_error(),
            Reject::MissingAuthenticationToken => of(ResponseType::MissingAuthenticationToken),
            Reject::InvalidApiKey => of(ResponseType::InvalidApiKey),
            Reject::Throttled => of(ResponseType::Throttled),
            Reject::QuotaExceeded => of(ResponseType::QuotaExceeded),
            Reject::WafBlocked { .. } => of(ResponseType::WafFiltered),
            Reject::UnsupportedMediaType => of(ResponseType::UnsupportedMediaType),
            Reject::IntegrationTimeout => of(ResponseType::IntegrationTimeout),
            Reject::IntegrationFailure => GatewayError {
                status: 502,
                ..of(ResponseType::IntegrationFailure)
            },
            Reject::Internal => of(ResponseType::ApiConfigurationError),
            Reject::IntegrationRequestTooLarge => GatewayError {
                status: 413,
                message: Some("Request Too Long"),
                ..of(ResponseType::RequestTooLarge)
            },
            Reject::MissingRequiredParameters { missing } => GatewayError {
                message: Some("Missing required request parameters"),
                missing_params: missing,
                ..of(ResponseType::BadRequestParameters)
            },
            Reject::InvalidBody { model } => GatewayError {
                body_model: Some(model),
                ..of(ResponseType::BadRequestBody)
            },
            Reject::BadRequestParameters { message } => GatewayError {
                message: Some(message),
                ..of(ResponseType::BadRequestParameters)
            },
            Reject::UnparsableBody => GatewayError {
                message: Some("Could not parse request body into json"),
                ..of(ResponseType::BadRequestBody)
            },
            Reject::BadRequest { status, message } => {
                let response_type = match status {
                    413 => ResponseType::RequestTooLarge,
                    500.. => ResponseType::Default5xx,
                    _ => ResponseType::Default4xx,
                };
                GatewayError {
                    response_type,
                    status,
                    message: Some(message),
                    error_type: None,
                    missing_params: 0,
                    body_model: None,
                }
            }
        }
    }

    /// Whether the connection can carry another request after this answer.
    pub fn keeps_connection(&self) -> bool {
        !matches!(self, Reject::BadRequest { .. })
    }
}

/// Where the failed request got to, which decides whose gateway responses apply.
#[derive(Clone, Copy)]
pub enum Scope<'a> {
    /// Not routed: the stage is looked up from `Host` and the path (AWS defaults without one).
    Unrouted(&'a Snapshot),
    Routed(&'a Exchange<'a>),
}

/// Writes the error response for `r` through the gateway responses that apply, and says
/// whether to close.
pub fn reject(ex: &Request<'_>, scope: Scope<'_>, wbuf: &mut Vec<u8>, r: Reject) -> Outcome {
    let close = !ex.keep_alive || !r.keeps_connection();
    if let (Reject::WafBlocked { response: Some(i) }, Scope::Routed(x)) = (&r, scope) {
        if let Some(program) = x.stage().waf.as_deref() {
            if let Some(o) = super::waf::custom_response(x.req, program, *i, close, wbuf) {
                return o;
            }
        }
    }
    let (table, routed) = match scope {
        Scope::Unrouted(snap) => (gateway::table_for(snap, ex.buf, Some(ex.head)), None),
        Scope::Routed(x) => (&x.stage().gateway_responses, Some(x)),
    };
    let site = ErrorSite {
        buf: ex.buf,
        head: Some(ex.head),
        routed,
        peer: ex.peer,
        request_id: &ex.request_id,
        date: &ex.date,
        epoch_ms: ex.epoch_ms,
    };
    let error = r.gateway_error();
    let status = gateway::render(table, &error, &site, close, ex.is_head(), wbuf);
    Outcome {
        status,
        close,
        integration_us: None,
        relay: None,
        slot: None,
        access_log: None,
        refused: Some(error.response_type),
    }
}

/// The connection loop's refusal of a request it could not parse or frame (it closes after):
/// rendered through the gateway responses of the request's stage once `head` is known.
pub fn refuse(snap: &Snapshot, site: &ErrorSite<'_>, r: Reject, wbuf: &mut Vec<u8>) -> u16 {
    let table = gateway::table_for(snap, site.buf, site.head);
    let head_only = site
        .head
        .is_some_and(|h| h.method == crate::http::request::Method::Head);
    gateway::render(table, &r.gateway_error(), site, true, head_only, wbuf)
}

/// Status line plus the headers every response carries.
pub fn head_start(ex: &Request<'_>, wbuf: &mut Vec<u8>, status: u16) {
    response::status_line(wbuf, status);
    response::header(wbuf, b"Date", &ex.date);
    response::header(wbuf, b"x-amzn-RequestId", &ex.request_id);
}

/// Ends a head whose body length is known.
pub fn head_end_sized(wbuf: &mut Vec<u8>, len: usize, close: bool) {
    response::content_length(wbuf, len);
    if close {
        response::header(wbuf, b"Connection", b"close");
    }
    wbuf.extend_from_slice(b"\r\n");
}

/// Ends a head whose body follows chunked.
pub fn head_end_chunked(wbuf: &mut Vec<u8>, close: bool) {
    response::header(wbuf, b"Transfer-Encoding", b"chunked");
    if close {
        response::header(wbuf, b"Connection", b"close");
    }
    wbuf.extend_from_slice(b"\r\n");
}

/// A complete response with a fixed body.
pub fn fixed(
    ex: &Request<'_>,
    wbuf: &mut Vec<u8>,
    status: u16,
    content_type: &[u8],
    extra: impl FnOnce(&mut Vec<u8>),
    body: &[u8],
) -> Outcome {
    let close = !ex.keep_alive;
    head_start(ex, wbuf, status);
    response::header(wbuf, b"Content-Type", content_type);
    extra(wbuf);
    head_end_sized(wbuf, body.len(), close);
    if !ex.is_head() {
        wbuf.extend_from_slice(body);
    }
    Outcome {
        status,
        close,
        integration_us: None,
        relay: None,
        slot: None,
        access_log: None,
        refused: None,
    }
}

/// Renders the phases' result: the entry point of this phase.
pub fn respond(x: &Exchange<'_>, reply: Result<Reply<'_>, Reject>, wbuf: &mut Vec<u8>) -> Outcome {
    let mut outcome = match reply {
        Ok(Reply::Mapped {
            resp,
            content_type,
            template_body,
            overrides,
            integration,
        }) if resp.has_method_response => mapped(
            x,
            resp,
            content_type,
            template_body,
            &overrides,
            integration,
            wbuf,
        ),
        // The selected integration response's status has no method response: API Gateway fails
        // the call with 500 (API_CONFIGURATION_ERROR) rather than answer an undeclared status.
        Ok(Reply::Mapped {
            resp, integration, ..
        }) => {
            log_no_method_response(x.req, resp.status);
            let mut outcome = reject(x.req, Scope::Routed(x), wbuf, Reject::Internal);
            outcome.relay = relay_rest(integration);
            outcome
        }
        Ok(Reply::Proxied(integration)) => proxied(x, integration, wbuf),
        Ok(Reply::Cached(stored)) => super::cache::serve(x.req, &stored, wbuf),
        Ok(Reply::Lambda(integration)) => {
            let mut outcome = match super::lambda::respond(x, &integration, wbuf) {
                Ok(o) => o,
                Err(r) => reject(x.req, Scope::Routed(x), wbuf, r),
            };
            outcome.relay = relay_rest(integration);
            outcome
        }
        Err(r) => reject(x.req, Scope::Routed(x), wbuf, r),
    };
    outcome.integration_us = x.integration_us;
    outcome
}

/// A non-proxy method response: the mapped status and headers, the template's body (or the
/// integration body). A mapped `Content-Type` replaces the template's.
fn mapped(
    x: &Exchange<'_>,
    resp: &IntegrationResponseRuntime,
    template_type: &[u8],
    template_body: Option<&[u8]>,
    overrides: &Overrides,
    integration: IntegrationResponse<'_>,
    wbuf: &mut Vec<u8>,
) -> Outcome {
    let req = x.req;
    // Literals and backend headers are borrowed; a computed type (body, context...) is rendered
    // on its own, which allocates only for APIs that map one.
    let mut rendered = Vec::new();
    let content_type = match &resp.content_type {
        None => template_type,
        Some(ResponseParamSource::Literal(v)) => v.as_bytes(),
        Some(ResponseParamSource::Header(h)) => {
            integration.header(h.as_bytes()).unwrap_or(template_type)
        }
        Some(src) if write_response_value(x, src, &integration, &mut rendered) => &rendered,
        Some(_) => template_type,
    };
    let body = match (&integration.body, template_body) {
        (_, Some(t)) => t,
        (Body::InHand(b, _), None) => b,
        (Body::Stream(_), None) => &[],
    };
    let content_type = overrides
        .header("content-type")
        .map_or(content_type, str::as_bytes);
    let templated = template_body.is_some();
    let body = match super::content::method_response_body(x, resp, &integration, templated, body) {
        Ok(b) => b,
        Err(r) => return reject(req, Scope::Routed(x), wbuf, r),
    };
    let mut outcome = fixed(
        req,
        wbuf,
        overrides.status.unwrap_or(resp.status),
        content_type,
        |w| {
            for (name, value) in &overrides.headers {
                write_override_header(name, value, w);
            }
            for (name, src) in &resp.header_params {
                if overrides.header(name).is_some() {
                    continue;
                }
                let mark = w.len();
                w.extend_from_slice(name.as_bytes());
                w.extend_from_slice(b": ");
                if write_response_value(x, src, &integration, w) {
                    w.extend_from_slice(b"\r\n");
                } else {
                    w.truncate(mark);
                }
            }
            body.write_headers(w);
        },
        &body.body,
    );
    outcome.relay = relay_rest(integration);
    outcome
}

/// `$context.responseOverride.header.NAME`. A name the gateway frames itself, or a name or value
/// that cannot be a header, is left out rather than failing a response the backend gave.
fn write_override_header(name: &str, value: &str, w: &mut Vec<u8>) {
    const FRAMING: &[&[u8]] = &[
        b"content-type",
        b"content-length",
        b"transfer-encoding",
        b"connection",
        b"date",
    ];
    super::mapping::write_override_header(name, value, FRAMING, w);
}

#[cold]
fn log_no_method_response(req: &Request<'_>, status: u16) {
    eprintln!(
        "request {}: Execution failed due to configuration error: Output mapping refers to an invalid method response: {status}",
        String::from_utf8_lossy(&req.request_id)
    );
}

/// The backend connection goes back through the relay, which finds nothing left to send.
fn relay_rest(integration: IntegrationResponse<'_>) -> Option<Relay> {
    let stream = match integration.body {
        Body::InHand(_, s) => s,
        Body::Stream(s) => Some(s),
    };
    stream.map(|body| Relay {
        body,
        mode: RelayMode::Done,
    })
}

/// Backend response headers not relayed: hop-by-hop and framing (we frame for the client).
const DROP_RESPONSE: &[&[u8]] = &[
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"content-length",
];

/// The backend's headers, less hop-by-hop and framing, with API Gateway's remapped names.
fn proxied_headers(head: Option<&ResponseHead>, head_buf: &[u8], wbuf: &mut Vec<u8>) {
    let Some(head) = head else { return };
    for (n, v) in head.headers(head_buf) {
        if DROP_RESPONSE.iter().any(|d| n.eq_ignore_ascii_case(d)) {
            continue;
        }
        if REMAP_RESPONSE.iter().any(|d| n.eq_ignore_ascii_case(d)) {
            wbuf.extend_from_slice(b"x-amzn-Remapped-");
        }
        response::header(wbuf, n, v);
    }
}

/// HTTP_PROXY with compression: the backend's head as `proxied` writes it, its body (read
/// whole) compressed, framed by length. The backend connection goes back through the relay.
fn proxied_compressed(
    x: &Exchange<'_>,
    status: u16,
    head: Option<&ResponseHead>,
    bytes: &[u8],
    stream: crate::net::upstream::BodyStream,
    wbuf: &mut Vec<u8>,
) -> Outcome {
    let req = x.req;
    let close = !req.keep_alive;
    head_start(req, wbuf, status);
    proxied_headers(head, stream.head_buf(), wbuf);
    let encoded = head.is_some_and(|h| h.header(stream.head_buf(), b"content-encoding").is_some());
    let body = super::content::proxied_body(x, bytes, encoded);
    body.write_headers(wbuf);
    head_end_sized(wbuf, body.body.len(), close);
    wbuf.extend_from_slice(&body.body);
    Outcome {
        status,
        close,
        integration_us: None,
        relay: Some(Relay {
            body: stream,
            mode: RelayMode::Done,
        }),
        slot: None,
        access_log: None,
        refused: None,
    }
}

/// Backend headers API Gateway relays under `x-amzn-Remapped-{name}` because it sets its own.
const REMAP_RESPONSE: &[&[u8]] = &[
    b"date",
    b"server",
    b"authorization",
    b"www-authenticate",
    b"x-amzn-requestid",
];

/// HTTP_PROXY: the backend's head, filtered and remapped as API Gateway does, framed for this
/// client; the body is left for the connection's relay in the mode chosen here. A body that can
/// only end at close (chunked or until-close to an HTTP/1.0 client) closes the connection.
fn proxied(x: &Exchange<'_>, integration: IntegrationResponse<'_>, wbuf: &mut Vec<u8>) -> Outcome {
    let req = x.req;
    let IntegrationResponse {
        status, head, body, ..
    } = integration;
    let body = match body {
        Body::Stream(body) => body,
        // Read whole to be compressed (`content::compresses_proxied`).
        Body::InHand(bytes, Some(stream)) => {
            return proxied_compressed(x, status, head, bytes, stream, wbuf)
        }
        // Only a backend response is proxied.
        Body::InHand(_, None) => return reject(req, Scope::Routed(x), wbuf, Reject::Internal),
    };
    let framing = if req.is_head() {
        Framing::None
    } else {
        body.framing()
    };
    let chunked_client = req.head.minor_version >= 1;
    let mut close = !req.keep_alive
        || (!chunked_client && matches!(framing, Framing::Chunked | Framing::UntilClose));
    head_start(req, wbuf, status);
    proxied_headers(head, body.head_buf(), wbuf);
    let mode = match framing {
        Framing::None => {
            if req.is_head() {
                let cl = head.and_then(|h| h.header(body.head_buf(), b"content-length"));
                if let Some(cl) = cl {
                    response::header(wbuf, b"Content-Length", cl);
                }
            } else if !matches!(status, 204 | 304) {
                response::content_length(wbuf, 0);
            }
            if close {
                response::header(wbuf, b"Connection", b"close");
            }
            wbuf.extend_from_slice(b"\r\n");
            RelayMode::Done
        }
        Framing::ContentLength(n) => {
            head_end_sized(wbuf, n as usize, close);
            RelayMode::Sized(n)
        }
        Framing::Chunked if chunked_client => {
            head_end_chunked(wbuf, close);
            RelayMode::Chunked
        }
        Framing::Chunked => {
            close = true;
            response::header(wbuf, b"Connection", b"close");
            wbuf.extend_from_slice(b"\r\n");
            RelayMode::Dechunked
        }
        Framing::UntilClose if chunked_client => {
            head_end_chunked(wbuf, close);
            RelayMode::UntilCloseChunked
        }
        Framing::UntilClose => {
            response::header(wbuf, b"Connection", b"close");
            wbuf.extend_from_slice(b"\r\n");
            RelayMode::UntilCloseRaw
        }
    };
    Outcome {
        status,
        close,
        integration_us: None,
        relay: Some(Relay { body, mode }),
        slot: None,
        access_log: None,
        refused: None,
    }
}
