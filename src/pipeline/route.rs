//! Phase 1, route: `/{stage}/{path}` on the API chosen by `Host` (or the only one deployed) to a
//! compiled method, with the path parameters captured as spans. Turns the connection's `Request`
//! into the `Exchange` the later phases share.
//!
//! Like API Gateway, an unknown API, stage, resource or method all look the same to the client:
//! 403 Missing Authentication Token, so callers cannot probe what exists. Every step is an index
//! or a compiled lookup (API by host, stage by name, method by the router): nothing of the
//! configuration is scanned or compared as text per request. A stage with a canary sends each
//! request to its canary variant with the canary's probability; the phases after this one see
//! the variant's deployment and variables without knowing about canaries.

mod no_api;

use super::{Exchange, Request};
use crate::deploy::router::Captures;
use crate::deploy::snapshot::{ApiIdx, MethodIdx, StageIdx};
use crate::deploy::Snapshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    NoApi,
    NoStage,
    /// The stage exists but none of its resources and methods match. The client still gets
    /// 403, but the stage answers it: its web ACL judges it and its access log records it.
    NoResource {
        api: ApiIdx,
        stage: StageIdx,
        canary: bool,
    },
}

/// Where a request was routed: typed ids into the snapshot, and the captured path parameters.
#[derive(Debug, Clone)]
pub struct Route {
    pub api: ApiIdx,
    pub stage: StageIdx,
    pub method: MethodIdx,
    /// Path parameter spans, relative to `path_start` in the request buffer.
    pub captures: Captures,
    /// Offset in `Request::buf` where the path after the stage segment starts.
    pub path_start: usize,
    /// The request was sent to the stage's canary (`stage` is then the canary variant, which
    /// shares the stage's name): `$context.isCanaryRequest`, metrics, access logs.
    pub canary: bool,
}

impl Route {
    /// The raw (still percent-encoded) value of the i-th captured path parameter.
    pub fn capture<'b>(&self, buf: &'b [u8], i: usize) -> Option<&'b [u8]> {
        if i >= self.captures.len {
            return None;
        }
        let s = self.captures.spans[i];
        buf.get(self.path_start + s.start as usize..self.path_start + s.end as usize)
    }
}

/// The stage's canary variant with the canary's probability (a draw from the thread's own
/// generator: no lock, no allocation), else the stage itself.
#[inline]
fn pick_variant(snap: &Snapshot, api: ApiIdx, stage: StageIdx) -> (StageIdx, bool) {
    match snap.stage(api, stage).canary {
        Some(c) if c.threshold != 0 && c.picks(fastrand::u32(..)) => (c.stage, true),
        _ => (stage, false),
    }
}

pub fn route<'a>(req: &'a Request<'a>, snap: &'a Snapshot) -> Result<Exchange<'a>, RouteError> {
    let host = req.head.host.map(|h| h.get(req.buf));
    let Some(api) = snap.api_for_host(host) else {
        no_api::explain(snap, host);
        return Err(RouteError::NoApi);
    };
    let path = req.head.path.get(req.buf);
    let rest = path.strip_prefix(b"/").ok_or(RouteError::NoStage)?;
    let stage_len = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    let stage = snap
        .stage_idx(api, &rest[..stage_len])
        .ok_or(RouteError::NoStage)?;
    let (stage, canary) = pick_variant(snap, api, stage);
    let path_start = req.head.path.start as usize + 1 + stage_len;
    let sub = &req.buf[path_start..req.head.path.end as usize];
    let mut captures = Captures::default();
    let method_bytes = req.head.method_span.get(req.buf);
    let method = snap
        .stage(api, stage)
        .router
        .lookup(method_bytes, sub, &mut captures)
        .ok_or(RouteError::NoResource { api, stage, canary })?;
    Ok(Exchange {
        req,
        snap,
        route: Route {
            api,
            stage,
            method,
            captures,
            path_start,
            canary,
        },
        request_template: None,
        integration_us: None,
        mock_status: None,
        body_json: crate::json::Doc::default(),
        auth: None,
        api_key: None,
        rate_limit: None,
        cache: None,
        waf: None,
        auth_trace: Default::default(),
        integration_error: None,
    })
}
