//! A request route could not place: no API for its host, no such stage, or a stage none of whose
//! resources and methods match. All three get API Gateway's 403 Missing Authentication Token, so
//! callers cannot probe what exists. When the request named a real stage, the stage still
//! answers it as AWS does: its web ACL judges it first (a blocked scanner gets WAF's answer and
//! counts towards rate-based rules) and its access log records it.

use super::access_log::{self, Facts, Subject, Unrouted};
use super::respond::{self, Reject, Scope};
use super::route::RouteError;
use super::{waf, Outcome, Request};
use crate::core::Core;
use crate::deploy::Snapshot;

pub fn answer(
    req: &Request<'_>,
    core: &Core,
    snap: &Snapshot,
    e: RouteError,
    wbuf: &mut Vec<u8>,
) -> Outcome {
    core.metrics.record_unrouted();
    let RouteError::NoResource { api, stage, canary } = e else {
        return respond::reject(req, Scope::Unrouted(snap), wbuf, Reject::from(e));
    };
    let stage_rt = snap.stage(api, stage);
    let log = stage_rt
        .access_log
        .as_ref()
        .filter(|_| core.access_log.on());
    let start = wbuf.len();
    let (waf, blocked) = waf::inspect_unrouted(req, snap, stage_rt, core, wbuf);
    let (mut outcome, facts) = match blocked {
        Some(o) => {
            let r = Reject::WafBlocked { response: None };
            (o, log.map(|_| Facts::rejected(&r)))
        }
        None => {
            let r = Reject::from(e);
            let facts = log.map(|_| Facts::rejected(&r));
            (respond::reject(req, Scope::Unrouted(snap), wbuf, r), facts)
        }
    };
    if let (Some(log), Some(facts)) = (log, facts) {
        let u = Unrouted {
            req,
            api: snap.api(api),
            stage: stage_rt,
            canary,
            waf,
        };
        let line = core.access_log.line_buf();
        let response = &wbuf[start..];
        let pending = access_log::render(
            Subject::Unrouted(&u),
            &facts,
            &outcome,
            response,
            line,
            &log.format,
            log.dest,
        );
        outcome.access_log = Some(core.access_log.hold(pending));
    }
    outcome
}
