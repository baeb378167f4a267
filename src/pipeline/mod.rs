//! THE DATA PATH. `run` takes one parsed request through API Gateway's phases, in order:
//!
//! route -> WAF -> authorize -> (request decompression) -> API key -> throttle -> validate ->
//! cache lookup -> transform request -> integrate -> transform response -> respond -> cache fill
//!
//! `route` turns the connection's `Request` into an `Exchange`, which every later phase takes
//! mutably and adds what it learned to (the selected request template, the integration latency;
//! identity, authorizer context, API key and usage plan join it with their phases). A phase
//! returns `Result<_, Reject>`: `Ok` continues, a `Reject` goes straight to `respond`, the only
//! place that turns an answer into bytes for the client. Integrate returns the backend's response
//! (`IntegrationResponse`: a head plus a body in hand or still to be read); a streamed body
//! leaves `run` as a `Relay` in the `Outcome`, and the connection relays it, then calls `finish`
//! (metrics).
//!
//! A request that finds no method never becomes an exchange: `unrouted` answers it (403), after
//! the stage's web ACL when it named a stage, and logs it on that stage.
//!
//! Phases are plain functions over the exchange; only those that do I/O are `async`. Nothing
//! here names a socket: the pipeline runs the same over an in-memory backend (see `tests`).

pub mod access_log;
pub mod api_key;
pub mod authorize;
pub mod aws_service;
pub mod cache;
pub mod content;
pub mod exec_log;
pub mod integrate;
pub mod lambda;
pub mod local;
pub mod mapping;
pub mod params;
pub mod respond;
pub mod route;
pub mod target;
#[cfg(test)]
mod tests;
pub mod throttle;
pub mod trace;
pub mod transform;
pub mod unrouted;
pub mod validate;
pub mod waf;

use crate::core::metrics::Slot;
use crate::core::Core;
use crate::deploy::snapshot::{
    ApiRuntime, IntegrationResponseRuntime, IntegrationRuntime, MethodRuntime, StageRuntime,
};
use crate::deploy::Snapshot;
use crate::http::request::RequestHead;
use crate::http::upstream::ResponseHead;
use crate::net::relay::Relay;
use crate::net::upstream::BodyStream;
use access_log::Subject;
use route::Route;
use std::net::IpAddr;
use std::time::Instant;

/// One request as the connection hands it over: the parsed head (spans into `buf`), the decoded
/// body, and what the connection knows. Borrowed from the connection's reused buffers.
pub struct Request<'a> {
    pub buf: &'a [u8],
    pub head: &'a RequestHead,
    pub body: &'a [u8],
    pub peer: IpAddr,
    /// The client allows reuse and the worker is not draining.
    pub keep_alive: bool,
    pub request_id: [u8; 36],
    /// From the core's coarse clock, read when the connection woke up.
    pub date: [u8; 29],
    pub received: Instant,
    pub epoch_ms: u64,
}

impl Request<'_> {
    pub fn header(&self, lower_name: &[u8]) -> Option<&[u8]> {
        self.head.header(self.buf, lower_name)
    }
    pub fn is_head(&self) -> bool {
        self.head.method == crate::http::request::Method::Head
    }
}

/// A routed request and what the phases have learned about it so far. Configuration is reached
/// through the typed ids in `route` and the snapshot handle, never copied in.
pub struct Exchange<'a> {
    pub req: &'a Request<'a>,
    pub snap: &'a Snapshot,
    pub route: Route,
    /// Transform request: the request template chosen by content type (index into the
    /// integration's `request_templates`), if any.
    pub request_template: Option<usize>,
    /// Integrate: time spent waiting for the backend's response head (IntegrationLatency).
    pub integration_us: Option<u64>,
    /// Transform request: the `statusCode` a rendered MOCK request template named.
    pub mock_status: Option<u16>,
    /// The request body as JSON, parsed on first use and then shared by every phase that reads
    /// it (body validation, `method.request.body` mappings, `$input.path` / `$input.json`).
    pub body_json: crate::json::Doc,
    /// Authorize: who the caller is, as the method's authorizer, Cognito token or IAM signature
    /// established it (shared with the authorizer's per-core cache).
    pub auth: Option<std::rc::Rc<authorize::Authorized>>,
    /// API key: the key that passed the check (`$context.identity.apiKey` / `apiKeyId`).
    pub api_key: Option<&'a crate::deploy::keys::KeyEntry>,
    /// Throttle: what the stage's opt-in `RateLimit-*` headers say, when it has them on.
    pub rate_limit: Option<throttle::RateInfo>,
    /// Cache lookup: whether the stage cache answered (`None`: the method is not cached).
    pub cache: Option<cache::CacheStatus>,
    /// WAF: the web ACL's verdict (`None`: the stage has no web ACL).
    pub waf: Option<waf::WafVerdict>,
    /// Authorize: each step's status and latency, for the access log.
    pub auth_trace: trace::AuthTrace,
    /// Integrate: why the backend call failed (`$context.integration.error`), built only when
    /// it did.
    pub integration_error: Option<Box<str>>,
}

impl<'a> Exchange<'a> {
    /// The request body parsed as JSON (at most once per request); `None` when it is not JSON.
    pub fn body_json(&self) -> Option<crate::json::Node<'_>> {
        self.body_json.get(self.req.body)
    }
    pub fn api(&self) -> &'a ApiRuntime {
        self.snap.api(self.route.api)
    }
    pub fn stage(&self) -> &'a StageRuntime {
        self.snap.stage(self.route.api, self.route.stage)
    }
    pub fn method(&self) -> &'a MethodRuntime {
        self.snap
            .method(self.route.api, self.route.stage, self.route.method)
    }
    pub fn integration(&self) -> &'a IntegrationRuntime {
        &self.method().integration
    }
}

/// The backend's (or MOCK's) answer, as the integrate phase returns it.
pub struct IntegrationResponse<'b> {
    pub status: u16,
    /// The backend's head, its spans into the body stream's buffer (`None` for MOCK).
    pub head: Option<&'b ResponseHead>,
    pub body: Body<'b>,
    /// The body as JSON once it is in hand, parsed at most once and shared by the response
    /// template (`$input.*`) and `integration.response.body` mappings.
    pub body_json: crate::json::Doc,
}

pub enum Body<'b> {
    /// Read whole; with the backend connection it came from, pooled again after the response.
    InHand(&'b [u8], Option<BodyStream>),
    /// Still to be read from the backend connection, per its framing.
    Stream(BodyStream),
}

impl<'b> IntegrationResponse<'b> {
    /// A response with no backend behind it (MOCK).
    pub fn local(status: u16) -> IntegrationResponse<'b> {
        IntegrationResponse {
            status,
            head: None,
            body: Body::InHand(b"", None),
            body_json: crate::json::Doc::default(),
        }
    }

    /// The body parsed as JSON (`None` while it is still streaming, or when it is not JSON).
    pub fn json(&self) -> Option<crate::json::Node<'_>> {
        match &self.body {
            Body::InHand(b, _) => self.body_json.get(b),
            Body::Stream(_) => None,
        }
    }

    /// A backend response header (`name` lower case).
    pub fn header(&self, name: &[u8]) -> Option<&[u8]> {
        let stream = match &self.body {
            Body::InHand(_, s) => s.as_ref()?,
            Body::Stream(s) => s,
        };
        self.head?.header(stream.head_buf(), name)
    }
}

/// What the phases hand to `respond`.
pub enum Reply<'b> {
    /// A method response mapped from the integration response (MOCK and HTTP).
    Mapped {
        resp: &'b IntegrationResponseRuntime,
        /// The chosen response template's content type, and its body (`None`: the
        /// integration response's body passes through).
        content_type: &'b [u8],
        template_body: Option<&'b [u8]>,
        /// What a rendered response template set on `$context.responseOverride`.
        overrides: mapping::Overrides,
        integration: IntegrationResponse<'b>,
    },
    /// HTTP_PROXY: the backend's response as it is, its body streamed.
    Proxied(IntegrationResponse<'b>),
    /// AWS_PROXY to Lambda: the Invoke response (read whole), whose body is the function's reply.
    Lambda(IntegrationResponse<'b>),
    /// The stage cache's stored response (`cache::serve`).
    Cached(std::rc::Rc<crate::core::response_cache::Stored>),
}

/// The reused per-connection buffers the phases write into.
pub struct Buffers<'b> {
    /// Pending response bytes; the connection flushes them (pipelined responses share a write).
    pub wbuf: &'b mut Vec<u8>,
    /// The backend request, then a buffered backend body.
    pub ubuf: &'b mut Vec<u8>,
    /// A mapping template's output: the integration request body, or the method response body.
    pub tbuf: &'b mut Vec<u8>,
    /// The backend response head (1.7 KB: kept out of the per-request future so it is neither
    /// copied nor zeroed per request).
    pub uhead: &'b mut ResponseHead,
}

pub struct Outcome {
    pub status: u16,
    /// The connection must close after this response (framing ended early, or asked to).
    pub close: bool,
    /// Time spent waiting on the backend, for IntegrationLatency.
    pub integration_us: Option<u64>,
    /// The rest of a streamed body for the connection to relay (and the backend connection to
    /// hand back once it is read).
    pub relay: Option<Relay>,
    /// The routed method's metrics series, recorded by `finish` once the response is out.
    pub slot: Option<Slot>,
    /// The stage's access log line, rendered, waiting for `finish` to add the latency.
    pub access_log: Option<crate::core::access_log::PendingId>,
    /// The gateway response the request was refused with, when `respond::reject` answered it
    /// (so the logs know of a refusal `respond` itself decided: a malformed Lambda reply).
    pub refused: Option<crate::deploy::gateway_responses::ResponseType>,
}

pub async fn run(req: &Request<'_>, core: &Core, snap: &Snapshot, bufs: Buffers<'_>) -> Outcome {
    let Buffers {
        wbuf,
        ubuf,
        tbuf,
        uhead,
    } = bufs;
    // The API key table as it is now (the exchange may borrow the key that passes).
    let keys = core.keys();
    // A compressed body decoded for every later phase (declared first: the exchange borrows it).
    let (inflated, decoded_req);
    let mut x = match route::route(req, snap) {
        Ok(x) => x,
        Err(e) => return unrouted::answer(req, core, snap, e, wbuf),
    };
    // WAF first, as AWS evaluates it in front of API Gateway: a blocked request goes no further
    // (it is answered, counted and access-logged like any other refusal).
    // Authorize next, on the request as the client signed it (a SigV4 payload hash covers the
    // body as sent, compressed or not); nothing of the body is decoded for a refused caller.
    let authorized = match waf::inspect(&mut x, core) {
        Ok(()) => authorize::authorize(&mut x, core, tbuf).await,
        Err(blocked) => Err(blocked),
    };
    let inflated_body = if authorized.is_ok() {
        content::inflate_request(&x, core.config.limits.max_body)
    } else {
        Ok(None)
    };
    let inflate = match inflated_body {
        Ok(Some(body)) => {
            inflated = body;
            decoded_req = Request {
                body: &inflated,
                ..*req
            };
            x = Exchange {
                req: &decoded_req,
                ..x
            };
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(r) => Err(r),
    };
    // What cache lookup leaves for cache fill (the key's fill, when this request fetches it).
    let mut cached = cache::CacheState::default();
    let reply = async {
        authorized?;
        inflate?;
        api_key::check(&mut x, &keys)?;
        throttle::admit(&mut x, core, &keys)?;
        validate::validate(&x)?;
        if let Some(hit) = cache::lookup(&mut x, core, &mut cached).await? {
            return Ok(Reply::Cached(hit));
        }
        if let Some(role) = x.integration().aws.as_ref().and_then(|a| a.role.as_ref()) {
            // A role still being assumed (just deployed) is waited for, within the deadline.
            role.ready(x.integration().timeout).await;
        }
        transform::request(&mut x, ubuf, tbuf, core.config.limits.max_integration_head)?;
        let integrated = integrate::integrate(&mut x, &core.upstream, ubuf, uhead).await?;
        transform::response(&mut x, integrated, core.config.limits.max_body, ubuf, tbuf).await
    }
    .await;
    let failed = reply.is_err();
    let access_log = x
        .stage()
        .access_log
        .as_ref()
        .filter(|_| core.access_log.on());
    let exec_log = core.access_log.on()
        && x.method().settings.logging.level != crate::deploy::policy::LogLevel::Off;
    let mut facts = (access_log.is_some() || exec_log).then(|| access_log::Facts::of(&x, &reply));
    let start = wbuf.len();
    let mut outcome = respond::respond(&x, reply, wbuf);
    // A refusal `respond` made itself (a Lambda proxy reply it could not use) fails the request
    // in the logs too.
    if let (Some(f), Some(t)) = (facts.as_mut(), outcome.refused) {
        f.error.get_or_insert((t, None));
    }
    cache::fill(&x, core, cached, failed, &outcome, wbuf, start);
    if let Some(info) = &x.rate_limit {
        throttle::insert_headers(wbuf, start, info);
    }
    if failed {
        outcome.integration_us = Some(req.received.elapsed().as_micros() as u64);
    }
    let r = &x.route;
    outcome.slot = core.metrics.slot(r.api, r.stage, r.method);
    if let (true, Some(facts)) = (exec_log, &facts) {
        let response = &wbuf[start..];
        let body =
            memchr::memmem::find(response, b"\r\n\r\n").map_or(&[][..], |end| &response[end + 4..]);
        exec_log::write(core, &x, facts, &outcome, body);
    }
    if let (Some(log), Some(facts)) = (access_log, &facts) {
        let line = core.access_log.line_buf();
        let response = &wbuf[start..];
        let pending = access_log::render(
            Subject::Routed(&x),
            facts,
            &outcome,
            response,
            line,
            &log.format,
            log.dest,
        );
        outcome.access_log = Some(core.access_log.hold(pending));
    }
    if let (Some(slot), Some(status)) = (outcome.slot, x.cache) {
        core.metrics.record_cache(slot, status);
    }
    outcome
}

/// Records the request's metrics and appends its access log line once its response is out
/// (after the relay of a streamed body, so Latency spans the whole response, as API Gateway
/// measures it).
pub fn finish(core: &Core, received: Instant, outcome: &mut Outcome) {
    let latency = received.elapsed().as_micros() as u64;
    if let Some(slot) = outcome.slot {
        core.metrics
            .record(slot, outcome.status, latency, outcome.integration_us);
    }
    if let Some(line) = outcome.access_log.take() {
        core.access_log.complete(line, latency / 1000);
    }
}
