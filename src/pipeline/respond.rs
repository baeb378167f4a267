//! The last phase, and the only writer of client bytes in the pipeline: `respond` renders what
//! the phases produced (a mapped method response, a proxied backend head whose body the
//! connection then relays, or a `Reject`), and this is the only place that turns a `Reject`
//! into status, AWS error body and `x-amzn-ErrorType` — including the connection's own errors
//! (`refusal`). Every response carries `Date`, `x-amzn-RequestId` and the right framing and
//! `Connection` headers.

use super::route::RouteError;
use super::{Body, Exchange, IntegrationResponse, Outcome, Reply, Request};
use crate::deploy::snapshot::{IntegrationResponseRuntime, ResponseParamSource};
use crate::http::body::BodyError;
use crate::http::{response, Framing, HeadError};
use crate::net::relay::{Relay, RelayMode};
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
pub fn reject(ex: &Request<'_>, wbuf: &mut Vec<u8>, r: Reject) -> Outcome {
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
        relay: None,
        slot: None,
    }
}

/// The connection's own error answer (a request that could not be read, framed or timed), after
/// which it closes.
pub fn refusal(wbuf: &mut Vec<u8>, r: Reject, request_id: &[u8], date: &[u8]) {
    let (status, message, error_type) = r.parts();
    error_response(
        wbuf, status, message, error_type, request_id, date, true, false,
    );
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
    }
}

/// Renders the phases' result: the entry point of this phase.
pub fn respond(x: &Exchange<'_>, reply: Result<Reply<'_>, Reject>, wbuf: &mut Vec<u8>) -> Outcome {
    let mut outcome = match reply {
        Ok(Reply::Mapped {
            resp,
            content_type,
            template_body,
            integration,
        }) => mapped(x.req, resp, content_type, template_body, integration, wbuf),
        Ok(Reply::Proxied(integration)) => proxied(x.req, integration, wbuf),
        Err(r) => reject(x.req, wbuf, r),
    };
    outcome.integration_us = x.integration_us;
    outcome
}

/// A non-proxy method response: the mapped status and headers, the template's body (or the
/// integration body). A mapped `Content-Type` replaces the template's.
fn mapped(
    req: &Request<'_>,
    resp: &IntegrationResponseRuntime,
    template_type: &[u8],
    template_body: Option<&[u8]>,
    integration: IntegrationResponse<'_>,
    wbuf: &mut Vec<u8>,
) -> Outcome {
    fn value_of<'v>(
        src: &'v ResponseParamSource,
        integration: &'v IntegrationResponse<'_>,
    ) -> Option<&'v [u8]> {
        match src {
            ResponseParamSource::Literal(v) => Some(v.as_bytes()),
            ResponseParamSource::Header(h) => integration.header(h.as_bytes()),
        }
    }
    let content_type = resp
        .content_type
        .as_ref()
        .and_then(|src| value_of(src, &integration))
        .unwrap_or(template_type);
    let body = match (&integration.body, template_body) {
        (_, Some(t)) => t,
        (Body::InHand(b, _), None) => b,
        (Body::Stream(_), None) => &[],
    };
    let mut outcome = fixed(
        req,
        wbuf,
        resp.status,
        content_type,
        |w| {
            for (name, src) in &resp.header_params {
                if let Some(v) = value_of(src, &integration) {
                    response::header(w, name.as_bytes(), v);
                }
            }
        },
        body,
    );
    // The backend connection goes back through the relay, which finds nothing left to send.
    let stream = match integration.body {
        Body::InHand(_, s) => s,
        Body::Stream(s) => Some(s),
    };
    outcome.relay = stream.map(|body| Relay {
        body,
        mode: RelayMode::Done,
    });
    outcome
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
fn proxied(req: &Request<'_>, integration: IntegrationResponse<'_>, wbuf: &mut Vec<u8>) -> Outcome {
    let IntegrationResponse {
        status, head, body, ..
    } = integration;
    let Body::Stream(body) = body else {
        // Only a backend response is proxied; an in-hand body has nothing left to stream.
        return reject(req, wbuf, Reject::Internal);
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
    if let Some(head) = head {
        for (n, v) in head.headers(body.head_buf()) {
            if DROP_RESPONSE.iter().any(|d| n.eq_ignore_ascii_case(d)) {
                continue;
            }
            if REMAP_RESPONSE.iter().any(|d| n.eq_ignore_ascii_case(d)) {
                wbuf.extend_from_slice(b"x-amzn-Remapped-");
            }
            response::header(wbuf, n, v);
        }
    }
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
    }
}
