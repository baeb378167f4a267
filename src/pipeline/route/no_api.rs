//! Why a request matched no API, said in the log. The client gets AWS's bare 403 (by design: it
//! must not learn what exists), so the operator is the one to tell — typically a newcomer whose
//! `curl` without `Host` stopped working the moment a second API was deployed.
//!
//! Cold and bounded: runs only when routing already failed, logs at most once per second per
//! worker (a flood of bad requests cannot flood the log), counts what it held back, and writes
//! straight to the locked stderr without allocating.

use crate::deploy::announce::{deployed_apis, HOST_SUFFIX};
use crate::deploy::Snapshot;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// At most one line per this long, per worker thread.
const EVERY: Duration = Duration::from_secs(1);
/// Deployed APIs named as examples in one line.
const EXAMPLES: usize = 3;

thread_local! {
    static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
    static HELD_BACK: Cell<u64> = const { Cell::new(0) };
}

/// Whether a line may be written at `now`; counts the ones that may not.
fn allowed(now: Instant) -> Option<u64> {
    let recent = LAST.with(|l| l.get().is_some_and(|t| now.duration_since(t) < EVERY));
    if recent {
        HELD_BACK.with(|h| h.set(h.get() + 1));
        return None;
    }
    LAST.with(|l| l.set(Some(now)));
    Some(HELD_BACK.with(|h| h.replace(0)))
}

/// What went wrong, for the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why<'a> {
    NothingDeployed,
    /// `Host: {id}.execute-api.*` with an id that has no deployed stage.
    UnknownId(&'a str),
    /// No API named and more than one deployed.
    Ambiguous(usize),
}

fn why<'a>(snap: &Snapshot, host: Option<&'a [u8]>) -> Why<'a> {
    let named = host.and_then(|h| {
        let dot = h.iter().position(|&b| b == b'.')?;
        h[dot..]
            .starts_with(b".execute-api.")
            .then(|| std::str::from_utf8(&h[..dot]).unwrap_or("(not UTF-8)"))
    });
    match (named, deployed_apis(snap)) {
        (Some(id), _) => Why::UnknownId(id),
        (None, 0) => Why::NothingDeployed,
        (None, n) => Why::Ambiguous(n),
    }
}

/// Logs (rate-limited) why `host` picked no API in `snap`. Called from the route phase's NoApi
/// branch only.
#[cold]
#[inline(never)]
pub fn explain(snap: &Snapshot, host: Option<&[u8]>) {
    let Some(held_back) = allowed(Instant::now()) else {
        return;
    };
    // Errors writing the log are ignored: there is nowhere else to report them.
    let _ = write_line(
        &mut std::io::stderr().lock(),
        snap,
        why(snap, host),
        held_back,
    );
}

fn write_line(
    out: &mut impl std::io::Write,
    snap: &Snapshot,
    why: Why<'_>,
    held_back: u64,
) -> std::io::Result<()> {
    out.write_all(b"403 Missing Authentication Token: ")?;
    match why {
        Why::NothingDeployed => out.write_all(b"no API is deployed")?,
        Why::UnknownId(id) => write!(
            out,
            "the request's Host names API {id}, which has no deployed stage"
        )?,
        Why::Ambiguous(n) => write!(
            out,
            "{n} APIs are deployed and the request's Host named none; send Host: {{api-id}}.{HOST_SUFFIX}"
        )?,
    }
    if !matches!(why, Why::NothingDeployed) {
        let mut deployed = snap.apis.iter().filter(|a| !a.stages.is_empty());
        for (i, api) in deployed.by_ref().take(EXAMPLES).enumerate() {
            let sep = if i == 0 { "; deployed: " } else { ", " };
            write!(out, "{sep}{} ({})", api.id, api.name)?;
        }
        if deployed.next().is_some() {
            out.write_all(b", ...")?;
        }
    }
    if held_back > 0 {
        write!(out, " [{held_back} similar held back]")?;
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::router::Router;
    use crate::deploy::snapshot::{ApiIdx, ApiRuntime, StageRuntime};

    fn snap(ids: &[(&str, bool)]) -> Snapshot {
        let mut s = Snapshot::default();
        for (i, (id, deployed)) in ids.iter().enumerate() {
            s.api_by_id.insert((*id).into(), ApiIdx(i as u32));
            let stages = deployed
                .then(|| StageRuntime {
                    name: "prod".into(),
                    deployment_id: "d".into(),
                    router: Router::default(),
                    gateway_responses: Default::default(),
                    validators: Vec::new(),
                    variables: Vec::new(),
                    models: Box::default(),
                    settings: Default::default(),
                    methods: Vec::new(),
                    authorizers: Vec::new(),
                    resource_policy: None,
                    arn_prefix: Box::default(),
                    canary: None,
                    access_log: None,
                    cache: None,
                    cache_control: crate::core::response_cache::control("", ""),
                    waf: None,
                })
                .into_iter()
                .collect();
            s.apis.push(ApiRuntime {
                endpoint_type: "EDGE",
                id: (*id).into(),
                name: format!("{id}-name").into(),
                stages,
            });
        }
        s
    }

    fn line(snap: &Snapshot, host: Option<&str>, held_back: u64) -> String {
        let mut out = Vec::new();
        write_line(
            &mut out,
            snap,
            why(snap, host.map(str::as_bytes)),
            held_back,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn says_why_no_api_was_picked() {
        let two = snap(&[("aaa", true), ("bbb", true), ("ccc", false)]);
        assert_eq!(
            line(&two, Some("127.0.0.1:8080"), 0),
            "403 Missing Authentication Token: 2 APIs are deployed and the request's Host named \
             none; send Host: {api-id}.execute-api.local; deployed: aaa (aaa-name), bbb (bbb-name)\n"
        );
        assert_eq!(
            line(&two, Some("zzz.execute-api.us-east-1.amazonaws.com"), 4),
            "403 Missing Authentication Token: the request's Host names API zzz, which has no \
             deployed stage; deployed: aaa (aaa-name), bbb (bbb-name) [4 similar held back]\n"
        );
        assert_eq!(
            line(&snap(&[("aaa", false)]), None, 0),
            "403 Missing Authentication Token: no API is deployed\n"
        );
        let many = snap(&[("a", true), ("b", true), ("c", true), ("d", true)]);
        assert!(line(&many, None, 0).ends_with("c (c-name), ...\n"));
    }

    #[test]
    fn at_most_one_line_per_second_per_thread() {
        // A fresh thread: its own rate-limit state.
        std::thread::spawn(|| {
            let t0 = Instant::now();
            assert_eq!(allowed(t0), Some(0));
            assert_eq!(allowed(t0 + Duration::from_millis(10)), None);
            assert_eq!(allowed(t0 + Duration::from_millis(999)), None);
            assert_eq!(allowed(t0 + EVERY), Some(2));
            assert_eq!(allowed(t0 + EVERY), None);
        })
        .join()
        .unwrap();
    }
}
