//! Tells the operator how to call what is served: each deployed stage's invoke URL with the `Host`
//! header that picks its API. Logged once the data port is bound (boot) and after every publish
//! that changes which stages serve which deployment (CreateDeployment, a stage moved to another
//! deployment, a deleted stage or API, SIGHUP).
//!
//! Why: with one API deployed a request needs no `Host`; the moment a second one is deployed the
//! same `curl` turns into AWS's bare 403, and nothing the client sees says why. The log is the
//! only place that can.
//!
//! Runs on the control thread only (inside `SnapshotCell::publish`), never on a worker, so it may
//! allocate freely. Pure functions from snapshots to lines, so they are unit-tested here.

use crate::deploy::snapshot::StageRuntime;
use crate::deploy::Snapshot;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The `Host` suffix the log suggests: any `{id}.execute-api.*` picks the API (see
/// `Snapshot::api_for_host`), this one is short and obviously local.
pub const HOST_SUFFIX: &str = "execute-api.local";

/// At boot, more stages than this are summarised instead of listed one per line.
const BOOT_LINES: usize = 50;

/// The address a client on this machine uses to reach `listen` (a wildcard bind is reached on
/// loopback).
fn reachable(listen: SocketAddr) -> SocketAddr {
    match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), listen.port())
        }
        _ => listen,
    }
}

/// `stage prod of api abc123 (PetStore): curl -H 'Host: abc123.execute-api.local' http://…/prod/`
pub fn stage_line(listen: SocketAddr, api_id: &str, api_name: &str, stage: &str) -> String {
    format!(
        "stage {stage} of api {api_id} ({api_name}): curl -H 'Host: {api_id}.{HOST_SUFFIX}' http://{}/{stage}/",
        reachable(listen)
    )
}

/// How many APIs have at least one stage (those a request can reach).
pub fn deployed_apis(snap: &Snapshot) -> usize {
    snap.apis.iter().filter(|a| !a.stages.is_empty()).count()
}

/// Whether a request needs `Host`, said once for the whole snapshot.
fn host_note(snap: &Snapshot) -> String {
    match deployed_apis(snap) {
        0 => "no API is deployed: import one and create a deployment".to_string(),
        1 => format!(
            "one API is deployed: requests without a Host naming an API go to it (Host: {{api-id}}.{HOST_SUFFIX} also works)"
        ),
        n => format!(
            "{n} APIs are deployed: a request must name one with Host: {{api-id}}.{HOST_SUFFIX}, or it gets 403"
        ),
    }
}

/// The stages a client names (a canary variant is part of its stage, not announced apart).
fn served_stages(api: &crate::deploy::snapshot::ApiRuntime) -> impl Iterator<Item = &StageRuntime> {
    api.stages
        .iter()
        .enumerate()
        .filter(|(i, _)| !api.is_canary(*i))
        .map(|(_, s)| s)
}

/// Every stage served by `snap` (boot), then the `Host` note.
pub fn boot_lines(snap: &Snapshot, listen: SocketAddr) -> Vec<String> {
    let mut lines = Vec::new();
    let mut skipped = 0usize;
    for api in &snap.apis {
        for stage in served_stages(api) {
            if lines.len() < BOOT_LINES {
                lines.push(stage_line(listen, &api.id, &api.name, &stage.name));
            } else {
                skipped += 1;
            }
        }
    }
    if skipped > 0 {
        lines.push(format!(
            "... and {skipped} more stage(s): aws apigateway get-rest-apis / get-stages lists them"
        ));
    }
    lines.push(host_note(snap));
    lines
}

/// What changed between two published snapshots: stages now serving a deployment they did not
/// serve before, canaries set, changed or turned off, stages no longer served, and the `Host` note when the number of deployed APIs
/// crossed one. Empty when nothing a client would call differently changed (e.g. a stage's
/// variables only).
pub fn change_lines(old: &Snapshot, new: &Snapshot, listen: SocketAddr) -> Vec<String> {
    let deployment = |snap: &Snapshot, api: &str, stage: &str| {
        let idx = snap.api_by_id.get(api)?.0 as usize;
        snap.apis[idx]
            .stages
            .iter()
            .find(|s| &*s.name == stage)
            .map(|s| s.deployment_id.clone())
    };
    let mut lines = Vec::new();
    for api in &new.apis {
        for stage in served_stages(api) {
            if deployment(old, &api.id, &stage.name).as_ref() != Some(&stage.deployment_id) {
                lines.push(format!(
                    "deployed {}: {}",
                    stage.deployment_id,
                    stage_line(listen, &api.id, &api.name, &stage.name)
                ));
            }
        }
    }
    // A canary's deployment and share, as a stage of `snap` has it.
    let canary = |snap: &Snapshot, api: &str, stage: &str| {
        let a = &snap.apis[snap.api_by_id.get(api)?.0 as usize];
        let c = a.stages.iter().find(|s| &*s.name == stage)?.canary?;
        Some((
            a.stages[c.stage.0 as usize].deployment_id.clone(),
            c.threshold,
        ))
    };
    for api in &new.apis {
        for stage in served_stages(api) {
            let now = canary(new, &api.id, &stage.name);
            if now == canary(old, &api.id, &stage.name) {
                continue;
            }
            lines.push(match now {
                Some((d, threshold)) => format!(
                    "canary of stage {} of api {}: deployment {d} takes {}% of its requests",
                    stage.name,
                    api.id,
                    percent(threshold)
                ),
                None => format!("canary of stage {} of api {}: off", stage.name, api.id),
            });
        }
    }
    for api in &old.apis {
        for stage in served_stages(api) {
            if deployment(new, &api.id, &stage.name).is_none() {
                lines.push(format!(
                    "no longer served: stage {} of api {} ({})",
                    stage.name, api.id, api.name
                ));
            }
        }
    }
    let (before, after) = (deployed_apis(old), deployed_apis(new));
    if before != after && (before <= 1 || after <= 1) {
        lines.push(host_note(new));
    }
    lines
}

/// A canary threshold as the percentage it was set from (to 4 decimals, trailing zeros off).
fn percent(threshold: u32) -> String {
    let p = if threshold == u32::MAX {
        100.0
    } else {
        f64::from(threshold) * 100.0 / 4_294_967_296.0
    };
    let text = format!("{p:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::router::Router;
    use crate::deploy::snapshot::{ApiIdx, ApiRuntime, StageRuntime};

    /// (api id, api name, [(stage, deployment id)]).
    type Api<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

    fn snap(apis: &[Api<'_>]) -> Snapshot {
        let mut s = Snapshot::default();
        for (i, (id, name, stages)) in apis.iter().enumerate() {
            s.api_by_id.insert((*id).into(), ApiIdx(i as u32));
            s.apis.push(ApiRuntime {
                endpoint_type: "EDGE",
                id: (*id).into(),
                name: (*name).into(),
                stages: stages
                    .iter()
                    .map(|(stage, dep)| StageRuntime {
                        name: (*stage).into(),
                        deployment_id: (*dep).into(),
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
                    .collect(),
            });
        }
        s
    }

    const LISTEN: &str = "127.0.0.1:8080";

    #[test]
    fn a_stage_line_is_a_curl_with_the_host_it_needs() {
        let l = stage_line(LISTEN.parse().unwrap(), "abc123", "PetStore", "prod");
        assert_eq!(
            l,
            "stage prod of api abc123 (PetStore): curl -H 'Host: abc123.execute-api.local' http://127.0.0.1:8080/prod/"
        );
        let any = stage_line("0.0.0.0:80".parse().unwrap(), "a", "n", "s");
        assert!(any.ends_with("http://127.0.0.1:80/s/"), "{any}");
        let any6 = stage_line("[::]:80".parse().unwrap(), "a", "n", "s");
        assert!(any6.ends_with("http://[::1]:80/s/"), "{any6}");
    }

    #[test]
    fn boot_lists_every_stage_then_says_whether_host_is_needed() {
        let s = snap(&[
            ("aaa", "sample", &[("prod", "d1")]),
            ("bbb", "PetStore", &[("prod", "d2"), ("test", "d3")]),
            ("ccc", "undeployed", &[]),
        ]);
        let lines = boot_lines(&s, LISTEN.parse().unwrap());
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(lines[1].starts_with("stage prod of api bbb (PetStore)"));
        assert!(lines[2].contains("'Host: bbb.execute-api.local' http://127.0.0.1:8080/test/"));
        assert!(lines[3].starts_with("2 APIs are deployed"), "{}", lines[3]);

        let one = boot_lines(
            &snap(&[("aaa", "s", &[("prod", "d1")])]),
            LISTEN.parse().unwrap(),
        );
        assert!(one[1].starts_with("one API is deployed"), "{one:?}");
        let none = boot_lines(&Snapshot::default(), LISTEN.parse().unwrap());
        assert_eq!(none.len(), 1);
        assert!(none[0].starts_with("no API is deployed"));
    }

    #[test]
    fn boot_summarises_past_the_line_limit() {
        let stages: Vec<(String, String)> = (0..60)
            .map(|i| (format!("s{i}"), format!("d{i}")))
            .collect();
        let refs: Vec<(&str, &str)> = stages.iter().map(|(a, b)| (&**a, &**b)).collect();
        let lines = boot_lines(&snap(&[("aaa", "big", &refs)]), LISTEN.parse().unwrap());
        assert_eq!(lines.len(), BOOT_LINES + 2);
        assert!(lines[BOOT_LINES].starts_with("... and 10 more stage(s)"));
    }

    #[test]
    fn changes_name_new_moved_and_removed_stages_only() {
        let listen = LISTEN.parse().unwrap();
        let old = snap(&[("aaa", "sample", &[("prod", "d1"), ("old", "d0")])]);
        let new = snap(&[
            ("aaa", "sample", &[("prod", "d1")]),
            ("bbb", "PetStore", &[("prod", "d2")]),
        ]);
        let lines = change_lines(&old, &new, listen);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert_eq!(
            lines[0],
            "deployed d2: stage prod of api bbb (PetStore): curl -H 'Host: bbb.execute-api.local' http://127.0.0.1:8080/prod/"
        );
        assert_eq!(lines[1], "no longer served: stage old of api aaa (sample)");
        assert!(lines[2].starts_with("2 APIs are deployed"), "{}", lines[2]);

        // A redeploy of the same stage: named; the API count did not change: no note.
        let moved = snap(&[
            ("aaa", "sample", &[("prod", "d9")]),
            ("bbb", "PetStore", &[("prod", "d2")]),
        ]);
        let lines = change_lines(&new, &moved, listen);
        assert_eq!(lines.len(), 1, "{lines:#?}");
        assert!(lines[0].starts_with("deployed d9: stage prod of api aaa"));

        // Nothing served changed (a variables-only stage update compiles to the same ids).
        assert!(change_lines(&moved, &moved, listen).is_empty());
    }

    #[test]
    fn canaries_set_changed_and_removed_are_named_once() {
        use crate::deploy::compile::canary::threshold;
        use crate::deploy::snapshot::{CanaryRuntime, StageIdx};
        let listen = LISTEN.parse().unwrap();
        let plain = snap(&[("aaa", "sample", &[("prod", "d1")])]);
        let with = |pct: f64| {
            let mut s = snap(&[("aaa", "sample", &[("prod", "d1"), ("prod", "d2")])]);
            s.apis[0].stages[0].canary = Some(CanaryRuntime {
                stage: StageIdx(1),
                threshold: threshold(pct),
                use_stage_cache: false,
            });
            s
        };
        assert_eq!(
            change_lines(&plain, &with(12.5), listen),
            ["canary of stage prod of api aaa: deployment d2 takes 12.5% of its requests"]
        );
        assert!(change_lines(&with(12.5), &with(12.5), listen).is_empty());
        assert_eq!(
            change_lines(&with(12.5), &with(100.0), listen),
            ["canary of stage prod of api aaa: deployment d2 takes 100% of its requests"]
        );
        assert_eq!(
            change_lines(&with(0.5), &plain, listen),
            ["canary of stage prod of api aaa: off"]
        );
        // The variant is not announced as a stage of its own.
        assert_eq!(boot_lines(&with(1.0), listen).len(), 2);
    }
}
