//! Phase 2, WAF: the stage's web ACL (AWS WAF, associated through the stage's `webAclArn`) judges
//! the request right after route, before authorizers, API keys and throttles, as AWS evaluates
//! WAF in front of API Gateway. A blocked request is answered by `respond` with the
//! `WAF_FILTERED` gateway response (403 `{"message":"Forbidden"}`), or with the blocking rule's
//! `CustomResponse`, and goes no further.
//!
//! A request to the stage that matches none of its resources is judged too (`inspect_unrouted`),
//! as WAF sits in front of the whole stage on AWS.
//!
//! The compiled program lives in the snapshot (`StageRuntime::waf`); evaluation allocates
//! nothing: transformations write into this core's reused `Scratch`. The verdict is recorded in
//! `Exchange::waf` for `$context.waf*` and metrics.

use super::respond::{head_end_sized, head_start, Reject, Scope};
use super::{Exchange, Outcome, Request};
use crate::core::Core;
use crate::deploy::snapshot::StageRuntime;
use crate::deploy::waf::{self, Program, Source};
use crate::deploy::Snapshot;
use crate::http::response;
use std::net::IpAddr;
use std::time::Instant;

/// What WAF decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WafVerdict {
    pub blocked: bool,
    /// The status WAF answered with when it blocked (403, or the custom response's), else 200.
    pub status: u16,
    /// Time spent evaluating the web ACL (`$context.waf.latency`, in milliseconds there).
    pub latency_us: u32,
    /// The rule (index in the program's sorted rules) that ended evaluation, if any.
    pub rule: Option<u16>,
    /// How many Count rules matched.
    pub counted: u16,
}

impl WafVerdict {
    /// `$context.wafResponseCode`.
    pub fn response_code(&self) -> &'static str {
        if self.blocked {
            "WAF_BLOCK"
        } else {
            "WAF_ALLOW"
        }
    }
}

/// The request as WAF reads it.
struct Inspected<'a> {
    req: &'a Request<'a>,
}

impl Source for Inspected<'_> {
    fn method(&self) -> &[u8] {
        self.req.head.method_span.get(self.req.buf)
    }
    fn path(&self) -> &[u8] {
        self.req.head.path.get(self.req.buf)
    }
    fn query(&self) -> &[u8] {
        self.req.head.query.get(self.req.buf)
    }
    fn header(&self, name: &[u8]) -> Option<&[u8]> {
        self.req.header(name)
    }
    fn body(&self) -> &[u8] {
        self.req.body
    }
    fn peer(&self) -> IpAddr {
        self.req.peer
    }
    fn now_secs(&self) -> u64 {
        self.req.epoch_ms / 1000
    }
}

/// Runs the stage's web ACL, if it has one.
pub fn inspect(x: &mut Exchange<'_>, core: &Core) -> Result<(), Reject> {
    let Some(program) = x.stage().waf.as_deref() else {
        return Ok(());
    };
    let (verdict, response) = judge(program, x.req, core);
    x.waf = Some(verdict);
    if verdict.blocked {
        return Err(Reject::WafBlocked { response });
    }
    Ok(())
}

/// The web ACL's verdict on `req`, and the custom response of the rule that blocked it.
fn judge(program: &Program, req: &Request<'_>, core: &Core) -> (WafVerdict, Option<u16>) {
    let started = Instant::now();
    let outcome = {
        let mut scratch = core.waf_scratch.borrow_mut();
        waf::evaluate(program, &Inspected { req }, &mut scratch)
    };
    let status = match outcome.response {
        Some(i) => program.responses[i as usize].status,
        None if outcome.blocked => 403,
        None => 200,
    };
    let verdict = WafVerdict {
        blocked: outcome.blocked,
        status,
        latency_us: started.elapsed().as_micros().min(u32::MAX as u128) as u32,
        rule: outcome.rule,
        counted: outcome.counted,
    };
    (verdict, outcome.response)
}

/// A request to a stage with a web ACL that matched none of its resources: WAF still judges it
/// first (it sits in front of the whole stage on AWS, so a blocked client gets WAF's answer and
/// a scanner's misses count towards rate-based rules). The verdict (`None` without a web ACL),
/// and the answer when WAF blocked.
pub fn inspect_unrouted(
    req: &Request<'_>,
    snap: &Snapshot,
    stage: &StageRuntime,
    core: &Core,
    wbuf: &mut Vec<u8>,
) -> (Option<WafVerdict>, Option<Outcome>) {
    let Some(program) = stage.waf.as_deref() else {
        return (None, None);
    };
    let (verdict, response) = judge(program, req, core);
    if !verdict.blocked {
        return (Some(verdict), None);
    }
    let close = !req.keep_alive;
    if let Some(o) = response.and_then(|i| custom_response(req, program, i, close, wbuf)) {
        return (Some(verdict), Some(o));
    }
    let r = Reject::WafBlocked { response: None };
    let blocked = super::respond::reject(req, Scope::Unrouted(snap), wbuf, r);
    (Some(verdict), Some(blocked))
}

/// Writes a rule's `CustomResponse` (status, `x-amzn-waf-*` headers, body).
pub fn custom_response(
    req: &Request<'_>,
    program: &Program,
    i: u16,
    close: bool,
    wbuf: &mut Vec<u8>,
) -> Option<Outcome> {
    let r = program.responses.get(i as usize)?;
    head_start(req, wbuf, r.status);
    if let Some(ct) = &r.content_type {
        response::header(wbuf, b"Content-Type", ct.as_bytes());
    }
    for (n, v) in r.headers.iter() {
        response::header(wbuf, n.as_bytes(), v.as_bytes());
    }
    head_end_sized(wbuf, r.body.len(), close);
    if !req.is_head() {
        wbuf.extend_from_slice(&r.body);
    }
    Some(Outcome {
        status: r.status,
        close,
        integration_us: None,
        relay: None,
        slot: None,
        access_log: None,
        refused: None,
    })
}
