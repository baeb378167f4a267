//! Binary payloads and compression, as API Gateway REST APIs do them: the hooks the request and
//! response phases call, over the compiled `ContentPlan` of each integration.
//!
//! - `inflate_request` (before validation): with compression enabled on the API, a request body
//!   in `Content-Encoding: gzip` or `deflate` is decoded, bounded by the gateway's body limit,
//!   and every later phase sees the decoded body.
//! - `integration_body` (transform request, HTTP): `contentHandling` of the integration
//!   (`binary`'s request table). HTTP_PROXY bodies pass unchanged, byte for byte.
//! - `method_response_body` (respond, MOCK and HTTP): `contentHandling` of the integration
//!   response (`binary`'s response table), then compression when the body reaches
//!   `minimumCompressionSize` and the client's `Accept-Encoding` allows it.
//!
//! Invariant: a route whose API has neither `binaryMediaTypes`, `contentHandling` nor
//! compression takes no branch here that allocates (every hook starts with a check of
//! compiled data), so the proxied steady state stays allocation-free. Converted and compressed
//! bodies are written into per-core scratch buffers (`Scratch`) that are reused across requests.

pub mod binary;
pub mod compress;
pub mod media;

pub use binary::ContentHandling;
use binary::Convert;
use compress::{Coding, InflateError};
pub use media::MediaTypes;

use super::respond::Reject;
use super::{Exchange, IntegrationResponse};
use crate::deploy::snapshot::IntegrationResponseRuntime;
use std::cell::RefCell;
use std::thread::LocalKey;

/// What one integration needs to know about payloads: the API's binary media types and
/// compression threshold (both captured by the deployment), and its own `contentHandling`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentPlan {
    pub binary: MediaTypes,
    /// `minimumCompressionSize`; `None`: compression disabled.
    pub min_compression: Option<u32>,
    /// The integration's (request side) `contentHandling`.
    pub handling: ContentHandling,
}

impl ContentPlan {
    pub fn compile(
        binary_media_types: &[String],
        min_compression: Option<i64>,
        content_handling: Option<&str>,
    ) -> ContentPlan {
        ContentPlan {
            binary: MediaTypes::compile(binary_media_types),
            // The admin API and the importer hold it to 0..=10485760.
            min_compression: min_compression.and_then(|n| u32::try_from(n).ok()),
            handling: ContentHandling::parse(content_handling),
        }
    }
}

thread_local! {
    static INFLATED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static REQUEST: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static RESPONSE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static COMPRESSED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Capacity a scratch buffer keeps between requests; a larger one is freed after use, so a
/// rare 10 MB body does not pin 10 MB per core.
const KEEP_CAPACITY: usize = 1 << 20;

/// A per-core buffer taken for one request and given back when dropped. Requests interleave on
/// a core (an `await` lies between taking and giving back), so a second request finds the slot
/// empty and grows its own buffer; whichever is larger is kept.
pub struct Scratch {
    buf: Vec<u8>,
    slot: &'static LocalKey<RefCell<Vec<u8>>>,
}

impl Scratch {
    fn take(slot: &'static LocalKey<RefCell<Vec<u8>>>) -> Scratch {
        let mut buf = slot.with_borrow_mut(std::mem::take);
        buf.clear();
        Scratch { buf, slot }
    }
}

impl std::ops::Deref for Scratch {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.buf.capacity() > KEEP_CAPACITY {
            return;
        }
        let buf = std::mem::take(&mut self.buf);
        // `try_with`: a thread being torn down has no slot left to give back to.
        let _ = self.slot.try_with(|s| {
            let mut s = s.borrow_mut();
            if s.capacity() < buf.capacity() {
                *s = buf;
            }
        });
    }
}

/// A body as the gateway sends it on: the one it had, or a converted one in a scratch buffer.
pub enum Payload<'a> {
    Same(&'a [u8]),
    Converted(Scratch),
}

impl std::ops::Deref for Payload<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Payload::Same(b) => b,
            Payload::Converted(s) => s,
        }
    }
}

/// Applies a conversion; a payload that is not base64 fails the transformation.
fn convert<'a>(
    how: Convert,
    body: &'a [u8],
    slot: &'static LocalKey<RefCell<Vec<u8>>>,
) -> Result<Payload<'a>, Reject> {
    if how == Convert::None {
        return Ok(Payload::Same(body));
    }
    let mut out = Scratch::take(slot);
    match how {
        Convert::None => {}
        Convert::Encode => binary::encode(body, &mut out.buf),
        // API Gateway fails such a request with a 500 ("Internal server error") and logs that
        // it could not transform the payload; Tollgate answers the same.
        Convert::Decode => binary::decode(body, &mut out.buf).map_err(|_| Reject::Internal)?,
    }
    Ok(Payload::Converted(out))
}

/// The compressed body's request coding when the API decodes it: compression enabled and a
/// `Content-Encoding` of gzip or deflate. Other codings pass through undecoded.
fn request_coding(x: &Exchange<'_>) -> Option<Coding> {
    x.integration().content.min_compression?;
    Coding::of_content_encoding(x.req.header(b"content-encoding"))
        .ok()
        .flatten()
}

/// Hook before validation: the request body decoded from its `Content-Encoding`, when the API
/// has compression enabled (`None`: use the body as received). Over `max_body` decoded -> 413,
/// as a body over the limit is refused on arrival; an undecodable stream -> 400.
pub fn inflate_request(x: &Exchange<'_>, max_body: usize) -> Result<Option<Scratch>, Reject> {
    let Some(coding) = request_coding(x) else {
        return Ok(None);
    };
    let mut out = Scratch::take(&INFLATED);
    match compress::decompress(coding, x.req.body, max_body, &mut out.buf) {
        Ok(()) => Ok(Some(out)),
        Err(InflateError::TooLarge) => Err(Reject::BadRequest {
            status: 413,
            message: "Request Too Long",
        }),
        // API Gateway's wording is not documented; this names the problem as its other 400s do.
        Err(InflateError::Corrupt) => Err(Reject::BadRequest {
            status: 400,
            message: "Bad Request",
        }),
    }
}

/// Hook in transform request (HTTP, a request template selected): what the template sees as
/// `$input.body`. With CONVERT_TO_TEXT a binary payload reaches the template as base64, as on API
/// Gateway; any other handling applies to a payload, not to a template's input.
pub fn template_input<'a>(x: &Exchange<'_>, body: &'a [u8]) -> Result<Payload<'a>, Reject> {
    if x.integration().content.handling == ContentHandling::ConvertToText {
        integration_body(x, body)
    } else {
        Ok(Payload::Same(body))
    }
}

/// Hook for HTTP_PROXY's header copy: once the body was decoded (`inflate_request`), the
/// client's `Content-Encoding` no longer describes it and is not forwarded.
pub fn drops_forwarded_header(x: &Exchange<'_>, lower_or_not: &[u8]) -> bool {
    lower_or_not.eq_ignore_ascii_case(b"content-encoding") && request_coding(x).is_some()
}

/// Hook in transform request (HTTP, body passed through without a template): the integration
/// request body per the integration's `contentHandling` and the request's `Content-Type`.
pub fn integration_body<'a>(x: &Exchange<'_>, body: &'a [u8]) -> Result<Payload<'a>, Reject> {
    let plan = &x.integration().content;
    if plan.handling == ContentHandling::Passthrough {
        return Ok(Payload::Same(body));
    }
    let binary = plan.binary.matches(x.req.header(b"content-type"));
    convert(
        binary::request_conversion(plan.handling, binary),
        body,
        &REQUEST,
    )
}

/// Hook in transform response (HTTP_PROXY): whether the backend's response is to be read whole
/// and compressed. Only a body of known length (`Content-Length`) between the threshold and the
/// gateway's body limit, not already encoded, to a client that accepts gzip or deflate; a
/// chunked or until-close body streams through uncompressed (API Gateway buffers every response;
/// Tollgate streams those, and compressing a stream would need a streaming encoder per
/// connection, left for later).
pub fn compresses_proxied(
    x: &Exchange<'_>,
    integration: &IntegrationResponse<'_>,
    max_body: usize,
) -> bool {
    let Some(min) = x.integration().content.min_compression else {
        return false;
    };
    let super::Body::Stream(stream) = &integration.body else {
        return false;
    };
    let crate::http::Framing::ContentLength(n) = stream.framing() else {
        return false;
    };
    n >= u64::from(min)
        && n <= max_body as u64
        && !x.req.is_head()
        && !matches!(integration.status, 204 | 304)
        && integration.header(b"content-encoding").is_none()
        && compress::negotiate(x.req.header(b"accept-encoding")).is_some()
}

/// Hook in respond (HTTP_PROXY, a body read whole): the backend's body compressed when
/// `compresses_proxied` holds for it (a body read whole for the stage cache may not qualify:
/// below the threshold, already encoded, or compression off).
pub fn proxied_body<'b>(x: &Exchange<'_>, body: &'b [u8], encoded: bool) -> Encoded<'b> {
    let min = x.integration().content.min_compression;
    let qualifies = !encoded && min.is_some_and(|m| body.len() as u64 >= u64::from(m));
    let coding = if qualifies {
        compress::negotiate(x.req.header(b"accept-encoding"))
    } else {
        None
    };
    match coding {
        Some(coding) => {
            let mut out = Scratch::take(&COMPRESSED);
            compress::compress(coding, body, &mut out.buf);
            Encoded {
                body: Payload::Converted(out),
                coding: Some(coding),
            }
        }
        None => Encoded {
            body: Payload::Same(body),
            coding: None,
        },
    }
}

/// A method response body ready to send, and its `Content-Encoding`.
pub struct Encoded<'b> {
    pub body: Payload<'b>,
    pub coding: Option<Coding>,
}

impl Encoded<'_> {
    /// The headers compression adds (none when the body is not compressed).
    pub fn write_headers(&self, w: &mut Vec<u8>) {
        if let Some(c) = self.coding {
            crate::http::response::header(w, b"Content-Encoding", c.name());
            crate::http::response::header(w, b"Vary", b"Accept-Encoding");
        }
    }
}

/// Hook in respond (MOCK and HTTP): `body` is the method response payload (the integration
/// response's body passed through, or a template's output, which is text), converted per the
/// integration response's `contentHandling` and the client's first `Accept` type, then
/// compressed when compression applies.
pub fn method_response_body<'b>(
    x: &Exchange<'_>,
    resp: &IntegrationResponseRuntime,
    integration: &IntegrationResponse<'_>,
    templated: bool,
    body: &'b [u8],
) -> Result<Encoded<'b>, Reject> {
    let plan = &x.integration().content;
    let payload = if plan.binary.is_empty() && resp.content_handling == ContentHandling::Passthrough
    {
        Payload::Same(body)
    } else {
        let payload_binary = !templated && plan.binary.matches(integration.header(b"content-type"));
        let accept_binary = plan.binary.matches_first_accept(x.req.header(b"accept"));
        let how = binary::response_conversion(resp.content_handling, payload_binary, accept_binary);
        convert(how, body, &RESPONSE)?
    };
    let coding = match plan.min_compression {
        Some(min) if payload.len() >= min as usize => {
            compress::negotiate(x.req.header(b"accept-encoding"))
        }
        _ => None,
    };
    let Some(coding) = coding else {
        return Ok(Encoded {
            body: payload,
            coding: None,
        });
    };
    let mut out = Scratch::take(&COMPRESSED);
    compress::compress(coding, &payload, &mut out.buf);
    Ok(Encoded {
        body: Payload::Converted(out),
        coding: Some(coding),
    })
}
