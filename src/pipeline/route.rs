//! Phase 1, route: `/{stage}/{path}` on the API chosen by `Host` (or the only one deployed) to a
//! compiled method, with the path parameters captured as spans.
//!
//! Like API Gateway, an unknown API, stage, resource or method all look the same to the client:
//! 403 Missing Authentication Token, so callers cannot probe what exists.

mod no_api;

use super::Exchange;
use crate::deploy::router::Captures;
use crate::deploy::snapshot::{ApiRuntime, MethodRuntime, StageRuntime};
use crate::deploy::Snapshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    NoApi,
    NoStage,
    NoResource,
}

pub struct Routed<'s> {
    pub api: &'s ApiRuntime,
    pub stage: &'s StageRuntime,
    pub method: &'s MethodRuntime,
    pub api_idx: usize,
    pub stage_idx: usize,
    pub method_idx: usize,
    /// Path parameter spans, relative to `path_start` in the exchange buffer.
    pub captures: Captures,
    /// Offset in `Exchange::buf` where the path after the stage segment starts.
    pub path_start: usize,
}

impl Routed<'_> {
    /// The raw (still percent-encoded) value of the i-th captured path parameter.
    pub fn capture<'b>(&self, buf: &'b [u8], i: usize) -> Option<&'b [u8]> {
        if i >= self.captures.len {
            return None;
        }
        let s = self.captures.spans[i];
        buf.get(self.path_start + s.start as usize..self.path_start + s.end as usize)
    }
}

pub fn route<'s>(ex: &Exchange<'_>, snap: &'s Snapshot) -> Result<Routed<'s>, RouteError> {
    let host = ex.head.host.map(|h| h.get(ex.buf));
    let Some((api_idx, api)) = snap.api_for_host(host) else {
        no_api::explain(snap, host);
        return Err(RouteError::NoApi);
    };
    let path = ex.head.path.get(ex.buf);
    let rest = path.strip_prefix(b"/").ok_or(RouteError::NoStage)?;
    let stage_len = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    let stage_name = &rest[..stage_len];
    let stage_idx = api
        .stages
        .iter()
        .position(|s| s.name.as_bytes() == stage_name)
        .ok_or(RouteError::NoStage)?;
    let stage = &api.stages[stage_idx];
    let path_start = ex.head.path.start as usize + 1 + stage_len;
    let sub = &ex.buf[path_start..ex.head.path.end as usize];
    let mut captures = Captures::default();
    let method_bytes = ex.head.method_span.get(ex.buf);
    let idx = stage
        .router
        .lookup(method_bytes, sub, &mut captures)
        .ok_or(RouteError::NoResource)?;
    Ok(Routed {
        api,
        stage,
        method: &stage.methods[idx.0 as usize],
        api_idx,
        stage_idx,
        method_idx: idx.0 as usize,
        captures,
        path_start,
    })
}
