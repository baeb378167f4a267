//! TestInvokeMethod: runs one method of the CURRENT (undeployed) definition through the real data
//! path and reports what a client would have received, with an AWS-style execution log.
//!
//! Under the control-plane lock `prepare` only reads the API and compiles it, for a synthetic
//! stage `test-invoke-stage` with the caller's stage variables, keeping just the method under test
//! (so the request can reach no other method). The lock is released before `execute`, which runs
//! on a thread of its own with a one-off monoio runtime (HTTP integrations reach real backends)
//! and hands the framed request to `pipeline::local::serve_one` against a throwaway `Core`
//! holding the test snapshot: no client socket, and route, the phases, respond and the body relay
//! are exactly the workers' code; nothing of the integration logic is re-implemented here. The
//! run is bounded by the integration's timeout plus a margin.

use crate::admin::error::ApiError;
use crate::core::metrics::MetricsHub;
use crate::core::{Core, WorkerConfig};
use crate::deploy::compile::{build_snapshot, compile_stage_for_test_invoke, UpstreamInterner};
use crate::deploy::model::{RestApi, Stage};
use crate::deploy::publish::SnapshotCell;
use crate::deploy::snapshot::ApiRuntime;
use crate::http::Limits;
use crate::pipeline::exec_log;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// AWS's name for the stage a test invocation runs in (`$context.stage`).
pub const TEST_STAGE: &str = "test-invoke-stage";
/// Added to the integration timeout: connection set-up and the response's own writing.
const MARGIN: Duration = Duration::from_secs(2);
/// AWS's default integration timeout.
const DEFAULT_TIMEOUT_MS: u64 = 29_000;

/// TestInvokeMethodRequest's body members.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestInvokeIn {
    pub path_with_query_string: Option<String>,
    pub body: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    pub multi_value_headers: Option<BTreeMap<String, Vec<String>>>,
    pub client_certificate_id: Option<String>,
    pub stage_variables: Option<BTreeMap<String, String>>,
}

/// TestInvokeMethodResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestInvokeOut {
    pub status: u16,
    pub body: String,
    pub headers: BTreeMap<String, String>,
    pub multi_value_headers: BTreeMap<String, Vec<String>>,
    pub log: String,
    pub latency: u64,
}

/// Everything `execute` needs, built under the lock; owns no borrow of the control plane.
pub struct Prepared {
    snapshot: crate::deploy::Snapshot,
    request: Vec<u8>,
    timeout: Duration,
    log: ExecLog,
}

/// Compiles `api`'s current definition of (`resource_id`, `http_method`) for the test stage and
/// frames the simulated request.
pub fn prepare(
    api: &RestApi,
    resource_id: &str,
    http_method: &str,
    input: TestInvokeIn,
) -> Result<Prepared, ApiError> {
    let resource = api
        .resources
        .iter()
        .find(|r| r.id == resource_id)
        .ok_or(ApiError::NotFound("Invalid Resource identifier specified"))?;
    let method = resource
        .resource_methods
        .get(http_method)
        .ok_or(ApiError::NotFound("Invalid Method identifier specified"))?;

    // Only the method under test is compiled: whatever path is asked, no other method answers.
    let mut only = api.clone();
    for r in &mut only.resources {
        let keep = r.id == resource_id;
        r.resource_methods.retain(|m, _| keep && m == http_method);
    }
    if let Some(vars) = &input.stage_variables {
        crate::admin::deployments::stages::validate_variables(vars)?;
    }
    let stage = Stage {
        stage_name: TEST_STAGE.into(),
        deployment_id: "test-invoke-deployment".into(),
        variables: input.stage_variables.clone().unwrap_or_default(),
        ..Stage::default()
    };
    let mut upstreams = UpstreamInterner::default();
    let mut runtime = compile_stage_for_test_invoke(&only, &stage, &mut upstreams)
        .map_err(|p| ApiError::bad_request(p.render("The method cannot be invoked:")))?;
    // As on AWS, a test call skips authorization, the API key and the resource policy.
    for m in &mut runtime.methods {
        m.authorization = crate::deploy::policy::AuthorizationPlan::None;
        m.api_key.required = false;
    }
    runtime.resource_policy = None;
    let snapshot = build_snapshot(
        vec![ApiRuntime {
            endpoint_type: crate::deploy::snapshot::endpoint_type(
                api.endpoint_configuration.as_ref(),
            ),
            id: api.id.as_str().into(),
            name: api.name.as_str().into(),
            stages: vec![runtime],
        }],
        &upstreams,
    );

    let path_query = match input.path_with_query_string.as_deref() {
        None | Some("") => resource.path.clone(),
        Some(p) if p.starts_with('/') => p.to_string(),
        Some(p) => format!("/{p}"),
    };
    let headers = merged_headers(&input)?;
    let body = input.body.unwrap_or_default();
    // ANY matches every verb; AWS's console tests it as GET.
    let verb = if http_method == "ANY" {
        "GET"
    } else {
        http_method
    };
    let request = frame_request(verb, &path_query, &headers, body.as_bytes(), &api.id)?;
    let integration = method.method_integration.as_ref();
    let timeout_ms = integration
        .and_then(|i| i.timeout_in_millis)
        .map_or(DEFAULT_TIMEOUT_MS, u64::from);
    let (path, query) = path_query
        .split_once('?')
        .unwrap_or((path_query.as_str(), ""));
    let mut log = ExecLog::new();
    log.line(exec_log::starting(&crate::deploy::ids::new_id(36)));
    log.line(exec_log::method_line(http_method, &resource.path));
    log.line(format!(
        "Method request path: {}",
        render_map(&path_params(&resource.path, path))
    ));
    log.line(format!(
        "Method request query string: {}",
        render_map(&query_params(query))
    ));
    log.line(format!(
        "Method request headers: {}",
        render_pairs(&headers)
    ));
    log.line(exec_log::body_before(&body));
    if input.client_certificate_id.is_some() {
        log.line("Client certificate: not used (HTTPS client certificates are not supported yet)");
    }
    if let Some(i) = integration {
        match i.uri.as_deref() {
            Some(uri) if i.kind != "MOCK" => log.line(format!(
                "Endpoint request URI: {}",
                substitute_stage_variables(uri, &stage.variables)
            )),
            _ => log.line(format!("Integration type: {}", i.kind)),
        }
    }
    Ok(Prepared {
        snapshot,
        request,
        timeout: Duration::from_millis(timeout_ms) + MARGIN,
        log,
    })
}

/// Runs the prepared request through the data path on a thread of its own. Blocks the calling
/// admin connection thread (never the control-plane lock) for at most the integration timeout.
pub fn execute(prepared: Prepared) -> Result<TestInvokeOut, ApiError> {
    let Prepared {
        snapshot,
        request,
        timeout,
        mut log,
    } = prepared;
    let started = Instant::now();
    let raw = on_own_thread("tollgate-test-invoke", move || {
        in_process(snapshot, request, timeout)
    })?;
    let latency = started.elapsed().as_millis() as u64;
    let parsed = parse_response(&raw).ok_or_else(|| {
        ApiError::Internal("the data path answered with an unreadable response".into())
    })?;
    let body = String::from_utf8_lossy(&parsed.body).into_owned();
    let mut headers = BTreeMap::new();
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in &parsed.headers {
        if is_hop_by_hop(name) {
            continue;
        }
        headers.insert(name.clone(), value.clone());
        multi.entry(name.clone()).or_default().push(value.clone());
    }
    log.line(exec_log::body_after(&body));
    log.line(format!("Method response headers: {}", render_map(&headers)));
    log.line(exec_log::SUCCEEDED);
    log.line(exec_log::completed(parsed.status));
    Ok(TestInvokeOut {
        status: parsed.status,
        body,
        headers,
        multi_value_headers: multi,
        log: log.finish(),
        latency,
    })
}

/// One request through the data path in this thread, over no socket but the backend's.
/// Runs `run` (a one-off data path on its own runtime) on a thread named `name`, so the admin
/// connection waits for it without holding the control-plane lock; its failures are 500s.
pub(super) fn on_own_thread<T: Send + 'static>(
    name: &str,
    run: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(run)
        .map_err(|e| ApiError::Internal(format!("cannot start the test invocation: {e}")))?
        .join()
        .map_err(|_| ApiError::Internal("the test invocation panicked".into()))?
        .map_err(|e| ApiError::Internal(format!("test invocation failed: {e}")))
}

fn in_process(
    snapshot: crate::deploy::Snapshot,
    request: Vec<u8>,
    timeout: Duration,
) -> std::io::Result<Vec<u8>> {
    let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
        .enable_timer()
        .build()?;
    rt.block_on(async move {
        let core = test_core(snapshot, timeout)?;
        let snap = core.current();
        let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let served = crate::pipeline::local::serve_one(&core, &snap, &request, peer);
        monoio::time::timeout(timeout, served)
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"))?
            .map_err(std::io::Error::other)
    })
}

/// A throwaway `Core` serving only `snapshot` (call inside the test's runtime): the workers'
/// per-core state, with names resolved off this thread as on a worker (the resolver stops with
/// the core).
pub(super) fn test_core(
    snapshot: crate::deploy::Snapshot,
    timeout: Duration,
) -> std::io::Result<Core> {
    let cell = Arc::new(SnapshotCell::default());
    cell.publish(snapshot);
    let hub = Arc::new(MetricsHub::default());
    let addrs = crate::runtime::resolver::start(
        cell.clone(),
        crate::runtime::resolver::system_lookup(),
        Default::default(),
        Default::default(),
    )?;
    Ok(Core::new(
        0,
        test_worker_config(timeout),
        cell,
        hub.new_core(),
        Arc::new(AtomicBool::new(false)),
        addrs,
    ))
}

fn test_worker_config(timeout: Duration) -> WorkerConfig {
    WorkerConfig {
        limits: Limits::default(),
        header_timeout: timeout,
        idle_timeout: timeout,
        connect_timeout: Duration::from_secs(10).min(timeout),
        pool_idle_per_upstream: 0,
        workers: 1,
    }
}

/// `headers` then `multiValueHeaders` (AWS merges both), as (name, value) pairs in order.
fn merged_headers(input: &TestInvokeIn) -> Result<Vec<(String, String)>, ApiError> {
    merge_headers(input.headers.as_ref(), input.multi_value_headers.as_ref())
}

/// `headers` then `multiValueHeaders`, merged as AWS merges them; invalid names or values refused.
pub(super) fn merge_headers(
    headers: Option<&BTreeMap<String, String>>,
    multi_value_headers: Option<&BTreeMap<String, Vec<String>>>,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for (k, v) in headers.into_iter().flatten() {
        out.push((k.clone(), v.clone()));
    }
    for (k, vs) in multi_value_headers.into_iter().flatten() {
        for v in vs {
            if !out.iter().any(|(n, x)| n == k && x == v) {
                out.push((k.clone(), v.clone()));
            }
        }
    }
    for (k, v) in &out {
        let bad_name = k.is_empty()
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if bad_name || v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(ApiError::bad_request(format!("Invalid header {k}")));
        }
    }
    Ok(out)
}

/// The simulated request as HTTP/1.1 bytes. Framing headers are ours, not the caller's.
pub(super) fn frame_request(
    verb: &str,
    path_query: &str,
    headers: &[(String, String)],
    body: &[u8],
    api_id: &str,
) -> Result<Vec<u8>, ApiError> {
    if path_query
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(ApiError::bad_request(
            "Invalid pathWithQueryString: it must be a URL path without spaces",
        ));
    }
    let mut out = format!("{verb} /{TEST_STAGE}{path_query} HTTP/1.1\r\n").into_bytes();
    let has_host = headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host"));
    if !has_host {
        out.extend_from_slice(format!("Host: {api_id}.execute-api.test-invoke\r\n").as_bytes());
    }
    for (k, v) in headers {
        let lower = k.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

struct Parsed {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Parses the one response the connection wrote before closing.
fn parse_response(raw: &[u8]) -> Option<Parsed> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let body = if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = find("content-length") {
        rest.get(..len.parse::<usize>().ok()?)?.to_vec()
    } else {
        rest.to_vec()
    };
    Some(Parsed {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

fn is_hop_by_hop(name: &str) -> bool {
    ["connection", "transfer-encoding", "keep-alive"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// `{name}` and `{name+}` segments of `template` matched against `path` (still encoded).
fn path_params(template: &str, path: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let tsegs: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let psegs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for (i, t) in tsegs.iter().enumerate() {
        let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
            continue;
        };
        if let Some(greedy) = name.strip_suffix('+') {
            out.insert(greedy.to_string(), psegs.get(i..).unwrap_or(&[]).join("/"));
            break;
        }
        if let Some(v) = psegs.get(i) {
            out.insert(name.to_string(), v.to_string());
        }
    }
    out
}

fn query_params(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// `${stageVariables.name}` replaced by its value, as the compiler does for the real URI.
fn substitute_stage_variables(uri: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = uri.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("${{stageVariables.{k}}}"), v);
    }
    out
}

/// AWS renders maps in the log Java-style: `{a=1, b=2}`.
fn render_map(m: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

fn render_pairs(pairs: &[(String, String)]) -> String {
    let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

/// The execution log: "Execution log for request {id}" then timestamped lines.
pub(super) struct ExecLog {
    text: String,
}

impl ExecLog {
    pub(super) fn new() -> ExecLog {
        ExecLog {
            text: format!(
                "Execution log for request {}\n",
                crate::deploy::ids::new_id(36)
            ),
        }
    }

    pub(super) fn line(&mut self, message: impl AsRef<str>) {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.text.push_str(&log_time(secs));
        self.text.push_str(" : ");
        self.text.push_str(message.as_ref());
        self.text.push('\n');
    }

    pub(super) fn finish(self) -> String {
        self.text
    }
}

/// `Mon Jan 01 00:00:00 UTC 2024`, the Java `Date.toString()` AWS's log lines start with.
fn log_time(unix: u64) -> String {
    crate::aws::jwt::java_date(unix)
        .or_else(|| crate::aws::jwt::java_date(0))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_time_is_java_date_style() {
        assert_eq!(log_time(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(log_time(1_704_067_200), "Mon Jan 01 00:00:00 UTC 2024");
        assert_eq!(log_time(951_782_400 + 3723), "Tue Feb 29 01:02:03 UTC 2000");
    }

    #[test]
    fn path_params_and_query() {
        let p = path_params("/pets/{id}/files/{rest+}", "/pets/7/files/a/b");
        assert_eq!(p["id"], "7");
        assert_eq!(p["rest"], "a/b");
        assert_eq!(render_map(&query_params("a=1&b")), "{a=1, b=}");
    }

    #[test]
    fn responses_parse_with_each_framing() {
        let cl = parse_response(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: b\r\n\r\nhi")
            .unwrap();
        assert_eq!((cl.status, cl.body.as_slice()), (201, &b"hi"[..]));
        assert_eq!(cl.headers[1], ("X-A".into(), "b".into()));
        let ch = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1;x\r\nd\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(ch.body, b"abcd");
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_none());
    }

    #[test]
    fn framing_refuses_header_injection() {
        let input = TestInvokeIn {
            headers: Some([("X-A".to_string(), "1\r\nX-B: 2".to_string())].into()),
            ..TestInvokeIn::default()
        };
        assert!(merged_headers(&input).is_err());
        assert!(frame_request("GET", "/a b", &[], b"", "id").is_err());
        let req = frame_request(
            "POST",
            "/p?q=1",
            &[("Content-Length".into(), "9".into())],
            b"xy",
            "a1",
        )
        .unwrap();
        let text = String::from_utf8(req).unwrap();
        assert!(text.starts_with("POST /test-invoke-stage/p?q=1 HTTP/1.1\r\nHost: a1.execute-api."));
        assert!(text.contains("Content-Length: 2\r\n") && !text.contains(": 9"));
    }
}
