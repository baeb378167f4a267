//! The last phase, and the only place that turns a `Reject` into status, AWS error body and
//! `x-amzn-ErrorType`: each `Reject` names its gateway response type and is rendered through the
//! stage's compiled gateway responses (`gateway`), the connection loop's refusals included.
//! Also the response-head helpers every phase writes with, so every response carries `Date`,
//! `x-amzn-RequestId` and the right framing and `Connection` headers.

mod gateway;

pub use gateway::{ErrorSite, GatewayError};

use super::route::{RouteError, Routed};
use super::{Exchange, Outcome};
use crate::deploy::gateway_responses::ResponseType;
use crate::deploy::Snapshot;
use crate::http::body::BodyError;
use crate::http::{response, HeadError};
use crate::net::upstream::UpstreamError;

/// Every way the data path refuses or fails a request, named after API Gateway's gateway
/// response types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// MISSING_AUTHENTICATION_TOKEN: no such API, stage, resource or method.
    MissingAuthenticationToken,
    /// UNSUPPORTED_MEDIA_TYPE: passthrough behaviour refused the request's content type.
    UnsupportedMediaType,
    /// INTEGRATION_TIMEOUT.
    IntegrationTimeout,
    /// INTEGRATION_FAILURE: the backend refused, reset or answered malformed.
    IntegrationFailure,
    /// API_CONFIGURATION_ERROR: a configuration the request cannot be served with.
    Internal,
    /// A malformed or over-limit request (the connection is closed after it): REQUEST_TOO_LARGE
    /// for 413, else DEFAULT_4XX / DEFAULT_5XX by status.
    BadRequest { status: u16, message: &'static str },
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
            UpstreamError::TlsUnsupported => Reject::Internal,
            _ => Reject::IntegrationFailure,
        }
    }
}

impl Reject {
    /// The gateway response type this error renders as, with what it says when nothing is
    /// customised. Statuses are what Tollgate has always answered: a failed backend is 502
    /// (INTEGRATION_FAILURE's own default, 504, is what an override-free GetGatewayResponse
    /// reports), framing errors keep their 400/408/414/431 under DEFAULT_4XX.
    pub fn gateway_error(&self) -> GatewayError {
        let of = GatewayError::of;
        match *self {
            Reject::MissingAuthenticationToken => of(ResponseType::MissingAuthenticationToken),
            Reject::UnsupportedMediaType => of(ResponseType::UnsupportedMediaType),
            Reject::IntegrationTimeout => of(ResponseType::IntegrationTimeout),
            Reject::IntegrationFailure => GatewayError {
                status: 502,
                ..of(ResponseType::IntegrationFailure)
            },
            Reject::Internal => of(ResponseType::ApiConfigurationError),
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
    Routed(&'a Routed<'a>),
}

/// Writes the error response for `r` through the gateway responses that apply, and says
/// whether to close.
pub fn reject(ex: &Exchange<'_>, scope: Scope<'_>, wbuf: &mut Vec<u8>, r: Reject) -> Outcome {
    let close = !ex.keep_alive || !r.keeps_connection();
    let (table, routed) = match scope {
        Scope::Unrouted(snap) => (gateway::table_for(snap, ex.buf, Some(ex.head)), None),
        Scope::Routed(routed) => (&routed.stage.gateway_responses, Some(routed)),
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
    let status = gateway::render(table, &r.gateway_error(), &site, close, ex.is_head(), wbuf);
    Outcome {
        status,
        close,
        integration_us: None,
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
pub fn head_start(ex: &Exchange<'_>, wbuf: &mut Vec<u8>, status: u16) {
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
    ex: &Exchange<'_>,
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
    }
}
