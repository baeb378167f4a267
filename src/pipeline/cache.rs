//! Phases "cache lookup" (after validate) and "cache fill" (after respond): the stage response
//! cache (`cacheClusterEnabled`) on the data path. The store itself, its design and its
//! invalidation are in `core::response_cache`; what is cached is compiled in
//! `deploy::compile::cache`.
//!
//! Lookup composes the key in the core's scratch buffer (method, resource path, each
//! `cacheKeyParameters` value, `cacheNamespace`) and either answers from the cache (`Reply::Cached`,
//! served by `serve`: no backend, no template, no allocation), or lets the request go on to the
//! backend holding the key's `Fill`, or waits for another request on this core that is fetching
//! the same key (miss coalescing). Fill takes the response `respond` just wrote, keeps its status,
//! its headers less the per-request ones (`Date`, `x-amzn-RequestId`, framing, `Connection`) and
//! its body, once, in an `Rc`. Only a 2xx integration response whose body is in hand and within
//! `ITEM_LIMIT` is stored; HTTP_PROXY bodies are read whole for it (`reads_whole`): those of known
//! length when within the limit, chunked and until-close ones up to the payload limit.
//! A response the gateway compressed for this client (`minimumCompressionSize`) is not cached
//! (another client may not accept its encoding). HEAD requests are not cached.
//!
//! `Cache-Control: max-age=0` from the client invalidates the entry and refetches when the
//! method does not require authorization for it (`requireAuthorizationForCacheControl` false),
//! or when the caller is an IAM caller whose identity policy allows `execute-api:InvalidateCache`
//! on the method ARN (a principal without a policy may do everything, as for Invoke). Otherwise
//! `unauthorizedCacheControlHeaderStrategy` decides: `FAIL_WITH_403` refuses (403 ACCESS_DENIED),
//! `SUCCEED_WITH_RESPONSE_HEADER` ignores the header and adds `WARNING` below to the response,
//! `SUCCEED_WITHOUT_RESPONSE_HEADER` ignores it silently. (AWS documents that it adds "a warning
//! header" but not its text; this is Tollgate's, an RFC 7234 `Warning`.)

use super::authorize::{iam, method_arn};
use super::respond::Reject;
use super::target::Place;
use super::{Exchange, Outcome, Request};
use crate::core::response_cache::{self, Fill, Found, StageRef, Stored};
use crate::core::Core;
use crate::deploy::compile::cache::{MethodCachePlan, StageCachePlan};
use crate::deploy::iam_policy;
use crate::deploy::policy::UnauthorizedCacheControl;
use crate::http::response;
use crate::net::relay::RelayMode;
use std::rc::Rc;

/// The warning added under SUCCEED_WITH_RESPONSE_HEADER.
pub const WARNING: &[u8] =
    b"199 - \"Cache-Control: max-age=0 ignored: not authorized to invalidate the cache\"";

/// The action an IAM policy must allow for a client's `max-age=0` to invalidate.
pub const INVALIDATE: &str = "execute-api:InvalidateCache";

/// What the cache did for a request (CacheHitCount / CacheMissCount, execution logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Answered from the cache (also after waiting for another request's fill).
    Hit,
    /// Cached method, answered by the backend.
    Miss,
    /// Cached method, but this request does not use the cache (HEAD).
    Bypass,
}

/// What lookup hands to fill.
#[derive(Default)]
pub struct CacheState<'c> {
    fill: Option<Fill<'c>>,
    /// The stage's flush sequence before the backend was called.
    seq: u64,
    warn: bool,
}

fn plan<'a>(x: &Exchange<'a>) -> Option<(&'a StageCachePlan, &'a MethodCachePlan)> {
    let stage = x.stage().cache.as_ref()?;
    let method = stage.methods.get(x.route.method.0 as usize)?.as_ref()?;
    Some((stage, method))
}

fn stage_ref<'a>(plan: &'a StageCachePlan, core: &Core) -> StageRef<'a> {
    StageRef {
        control: &plan.control,
        scope: plan.scope,
        generation: plan.generation,
        budget: plan.bytes / core.config.workers.max(1) as u64,
    }
}

/// Phase "cache lookup": `Some` answers the request from the cache.
pub async fn lookup<'c>(
    x: &mut Exchange<'_>,
    core: &'c Core,
    state: &mut CacheState<'c>,
) -> Result<Option<Rc<Stored>>, Reject> {
    let Some((stage, method)) = plan(x) else {
        return Ok(None);
    };
    let req = x.req;
    if !method.caches(req.head.method_span.get(req.buf)) {
        return Ok(None);
    }
    if req.is_head() {
        x.cache = Some(CacheStatus::Bypass);
        return Ok(None);
    }
    let mut invalidate = false;
    if max_age_zero(req) {
        if !method.require_authorization || may_invalidate(x) {
            invalidate = true;
        } else {
            match method.unauthorized {
                UnauthorizedCacheControl::FailWith403 => {
                    return Err(super::authorize::AuthReject::NotAuthorized.into())
                }
                UnauthorizedCacheControl::SucceedWithResponseHeader => state.warn = true,
                UnauthorizedCacheControl::SucceedWithoutResponseHeader => {}
            }
        }
    }
    let at = stage_ref(stage, core);
    let cache = &core.response_cache;
    let now = req.epoch_ms;
    let mut waited = false;
    loop {
        let x_ref = &*x;
        let found = cache.with_key(
            |k| compose(x_ref, stage, method, k),
            |c, hash, key| {
                if invalidate {
                    c.invalidate(at, hash, key);
                } else if let Some(hit) = c.get(at, hash, key, now) {
                    return Ok(hit);
                }
                Err(c.begin(hash, key))
            },
        );
        match found {
            Ok(hit) => {
                x.cache = Some(CacheStatus::Hit);
                return Ok(Some(hit));
            }
            Err(Found::Fetch(fill)) => {
                state.seq = stage.control.seq();
                state.fill = Some(fill);
                x.cache = Some(CacheStatus::Miss);
                return Ok(None);
            }
            Err(Found::Wait(wait)) => {
                // Another request on this core is fetching the key: its fill answers this one
                // too. One wait at most; a fill that stored nothing sends this one on.
                if wait.await && !waited {
                    waited = true;
                    invalidate = false;
                    continue;
                }
                x.cache = Some(CacheStatus::Miss);
                return Ok(None);
            }
        }
    }
}

/// The key: stage slot, request method, resource path, each key parameter's value (or its
/// absence) and the namespace, separated so that no two different requests compose alike.
fn compose(x: &Exchange<'_>, stage: &StageCachePlan, m: &MethodCachePlan, k: &mut Vec<u8>) {
    let req = x.req;
    k.extend_from_slice(&stage.control.slot.to_le_bytes());
    k.extend_from_slice(req.head.method_span.get(req.buf));
    k.push(0);
    k.extend_from_slice(x.method().resource_path.as_bytes());
    for src in m.params.iter() {
        k.push(0);
        let mark = k.len();
        k.push(1);
        // Query form escapes every delimiter, so a value cannot imitate a separator.
        match super::params::write_value(x, src, Place::Query, k) {
            Ok(true) => {}
            _ => {
                k.truncate(mark);
                k.push(2);
            }
        }
    }
    k.push(0);
    k.extend_from_slice(m.namespace.as_bytes());
}

/// Whether the request carries `Cache-Control` with `max-age=0`.
fn max_age_zero(req: &Request<'_>) -> bool {
    req.head
        .headers(req.buf)
        .filter(|(n, _)| n.eq_ignore_ascii_case(b"cache-control"))
        .any(|(_, v)| {
            v.split(|&b| b == b',').any(|d| {
                let d = d.trim_ascii();
                d.len() == 9 && d.eq_ignore_ascii_case(b"max-age=0")
            })
        })
}

/// An IAM caller whose identity policy allows `execute-api:InvalidateCache` on the method ARN.
#[cold]
fn may_invalidate(x: &Exchange<'_>) -> bool {
    let Some(p) = iam::principal_of(x) else {
        return false;
    };
    let Some(doc) = &p.policy else {
        return true;
    };
    let mut scratch = Vec::new();
    let arn = method_arn(x, &mut scratch);
    let arn = std::str::from_utf8(arn).unwrap_or_default();
    let req = iam_policy::Request {
        action: INVALIDATE,
        resource: arn,
        principal: Some(&p.arn),
    };
    doc.evaluate_with(&req, &iam::condition_context(x, Some(p))) == iam_policy::Decision::Allow
}

/// Hook in transform response (HTTP_PROXY): read the body whole, so that fill finds it in the
/// response (`respond` then frames it by length). A body of known length over the item limit is
/// relayed as it comes instead. A chunked or until-close body has no length to check first: it
/// is read whole up to the gateway's payload limit (`limits.max_body_bytes`, AWS's 10 MB for every
/// integration response), and stored only if within the item limit.
pub fn reads_whole(
    x: &Exchange<'_>,
    integration: &super::IntegrationResponse<'_>,
    max_body: usize,
) -> bool {
    use crate::http::Framing;
    let super::Body::Stream(stream) = &integration.body else {
        return false;
    };
    x.cache == Some(CacheStatus::Miss)
        && (200..300).contains(&integration.status)
        && integration.status != 204
        && !x.req.is_head()
        && match stream.framing() {
            Framing::ContentLength(n) => n <= response_cache::ITEM_LIMIT.min(max_body) as u64,
            Framing::Chunked | Framing::UntilClose => true,
            Framing::None => false,
        }
}

/// Writes the cached response for this request: the stored status, headers and body with this
/// request's `Date`, `x-amzn-RequestId` and framing. No allocation (`wbuf` is reused).
pub fn serve(req: &Request<'_>, stored: &Stored, wbuf: &mut Vec<u8>) -> Outcome {
    let close = !req.keep_alive;
    super::respond::head_start(req, wbuf, stored.status);
    wbuf.extend_from_slice(&stored.head);
    super::respond::head_end_sized(wbuf, stored.body.len(), close);
    wbuf.extend_from_slice(&stored.body);
    Outcome {
        status: stored.status,
        close,
        integration_us: None,
        relay: None,
        slot: None,
        access_log: None,
        refused: None,
    }
}

/// Headers not stored: written per request, or framing.
const PER_REQUEST: &[&[u8]] = &[
    b"date",
    b"x-amzn-requestid",
    b"content-length",
    b"connection",
    b"ratelimit-limit",
    b"ratelimit-remaining",
    b"ratelimit-reset",
];

/// Phase "cache fill": stores what `respond` wrote at `wbuf[start..]` when the request holds a
/// fill and the response may be cached; then adds the warning header if lookup asked for it.
pub fn fill(
    x: &Exchange<'_>,
    core: &Core,
    state: CacheState<'_>,
    failed: bool,
    outcome: &Outcome,
    wbuf: &mut Vec<u8>,
    start: usize,
) {
    let CacheState { fill, seq, warn } = state;
    if let (Some(fill), Some((stage, method))) = (fill, plan(x)) {
        let whole = outcome
            .relay
            .as_ref()
            .is_none_or(|r| r.mode == RelayMode::Done);
        let compressed = x.integration().content.min_compression.is_some();
        if !failed && whole && (200..300).contains(&outcome.status) {
            if let Some(stored) = parse(&wbuf[start..], outcome.status, compressed) {
                let req = x.req;
                let path = req
                    .buf
                    .get(x.route.path_start..req.head.path.end as usize)
                    .unwrap_or_default();
                core.response_cache.complete(
                    stage_ref(stage, core),
                    fill,
                    stored,
                    req.epoch_ms + method.ttl_ms,
                    seq,
                    path,
                    x.method().resource_path.as_bytes(),
                );
            }
        }
        // A fill not completed is dropped here, which releases its waiters.
    }
    if warn {
        insert_header(wbuf, start, b"Warning", WARNING);
    }
}

/// The stored form of a response as `respond` wrote it; `None` when it cannot be stored (no
/// length, chunked, over the item limit, or compressed for this client).
fn parse(bytes: &[u8], status: u16, compressible: bool) -> Option<Stored> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let (head, body) = (&bytes[..end + 2], &bytes[end + 4..]);
    let mut lines = head.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    lines.next()?; // the status line
    let mut kept = Vec::with_capacity(head.len());
    let mut length = None;
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        let name = &line[..colon];
        if name.eq_ignore_ascii_case(b"transfer-encoding")
            || (compressible && name.eq_ignore_ascii_case(b"content-encoding"))
        {
            return None;
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            length = std::str::from_utf8(&line[colon + 1..])
                .ok()?
                .trim()
                .parse::<usize>()
                .ok();
        }
        if PER_REQUEST.iter().any(|p| name.eq_ignore_ascii_case(p)) {
            continue;
        }
        kept.extend_from_slice(line);
        kept.extend_from_slice(b"\r\n");
    }
    if length != Some(body.len()) || body.len() > response_cache::ITEM_LIMIT {
        return None;
    }
    Some(Stored {
        status,
        head: kept.into(),
        body: body.into(),
    })
}

/// Inserts a header after the status line of the response at `wbuf[start..]`.
fn insert_header(wbuf: &mut Vec<u8>, start: usize, name: &[u8], value: &[u8]) {
    let Some(eol) = wbuf
        .get(start..)
        .and_then(|b| b.windows(2).position(|w| w == b"\r\n"))
    else {
        return;
    };
    let at = start + eol + 2;
    let n = wbuf.len();
    response::header(wbuf, name, value);
    let added = wbuf.len() - n;
    wbuf[at..].rotate_right(added);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_stable_headers_and_body() {
        let raw = b"HTTP/1.1 200 OK\r\nDate: x\r\nx-amzn-RequestId: r\r\nContent-Type: application/json\r\nX-A: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        let s = parse(raw, 200, false).unwrap();
        assert_eq!(
            s.head.as_ref(),
            b"Content-Type: application/json\r\nX-A: 1\r\n"
        );
        assert_eq!(s.body.as_ref(), b"{}");
        // Framing that does not match the body, chunked, or compressed for one client: no.
        assert!(parse(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{}",
            200,
            false
        )
        .is_none());
        assert!(parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            200,
            false
        )
        .is_none());
        let gz = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n";
        assert!(parse(gz, 200, true).is_none());
        assert!(parse(gz, 200, false).is_some());
    }

    #[test]
    fn insert_header_goes_after_the_status_line() {
        let mut w = b"junkHTTP/1.1 200 OK\r\nA: b\r\n\r\n".to_vec();
        insert_header(&mut w, 4, b"Warning", b"199 - \"x\"");
        assert_eq!(
            &w[..],
            b"junkHTTP/1.1 200 OK\r\nWarning: 199 - \"x\"\r\nA: b\r\n\r\n"
        );
    }
}
