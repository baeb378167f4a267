//! The last phase, and the only place that turns a `Reject` into status, AWS error body and
//! `x-amzn-ErrorType`. Also the response-head helpers every phase writes with, so every response
//! carries `Date`, `x-amzn-RequestId` and the right framing and `Connection` headers.

use super::route::RouteError;
use super::{Exchange, Outcome};
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
    /// DEFAULT_5XX from a configuration the request cannot be served with.
    Internal,
    /// A malformed or over-limit request (the connection is closed after it).
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
    /// Status, `{"message"}` text and `x-amzn-ErrorType`, as API Gateway answers them.
    pub fn parts(&self) -> (u16, &'static str, Option<&'static str>) {
        match *self {
            Reject::MissingAuthenticationToken => (
                403,
                "Missing Authentication Token",
                Some("MissingAuthenticationTokenException"),
            ),
            Reject::UnsupportedMediaType => (
                415,
                "Unsupported Media Type",
                Some("UnsupportedMediaTypeException"),
            ),
            Reject::IntegrationTimeout => (504, "Endpoint request timed out", None),
            Reject::IntegrationFailure => (
                502,
                "Internal server error",
                Some("InternalServerErrorException"),
            ),
            Reject::Internal => (
                500,
                "Internal server error",
                Some("InternalServerErrorException"),
            ),
            Reject::BadRequest { status, message } => (status, message, None),
        }
    }

    /// Whether the connection can carry another request after this answer.
    pub fn keeps_connection(&self) -> bool {
        !matches!(self, Reject::BadRequest { .. })
    }
}

/// Writes the error response for `r` and says whether to close.
pub fn reject(ex: &Exchange<'_>, wbuf: &mut Vec<u8>, r: Reject) -> Outcome {
    let (status, message, error_type) = r.parts();
    let close = !ex.keep_alive || !r.keeps_connection();
    error_response(
        wbuf,
        status,
        message,
        error_type,
        &ex.request_id,
        &ex.date,
        close,
        ex.is_head(),
    );
    Outcome {
        status,
        close,
        integration_us: None,
    }
}

/// An error response without an exchange (the head could not be parsed).
#[allow(clippy::too_many_arguments)]
pub fn error_response(
    wbuf: &mut Vec<u8>,
    status: u16,
    message: &str,
    error_type: Option<&str>,
    request_id: &[u8],
    date: &[u8],
    close: bool,
    head_only: bool,
) {
    response::json_error(
        wbuf, status, message, error_type, request_id, date, !close, head_only,
    );
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
