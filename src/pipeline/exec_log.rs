//! Execution logs, after respond: what API Gateway writes to a stage's execution log group when
//! `methodSettings` logging is on, in its words, each line prefixed `(requestId)`. They go to
//! stderr (journald under systemd) through the core's log buffer, so the worker never writes to
//! a pipe itself.
//!
//! `INFO` logs every request's steps; `ERROR` only requests that failed, and those at most one
//! line set per method and error type per second (`core::log_fold`), the next one saying how
//! many were folded: a failing backend at 50k req/s must not flood the journal. With
//! `dataTraceEnabled` the request and response bodies are included, cut at 1 KB as AWS cuts them.
//!
//! The wording is shared with TestInvokeMethod's log (`admin::tools::test_invoke`).

use crate::core::log_fold;
use crate::core::Core;
use crate::deploy::policy::LogLevel;
use crate::pipeline::access_log::Facts;
use crate::pipeline::{Exchange, Outcome};
use crate::runtime::access_log::DestId;
use std::io::Write as _;

/// Data trace bodies are cut here, as API Gateway cuts them.
const TRACE_LIMIT: usize = 1024;

pub fn starting(id: &str) -> String {
    format!("Starting execution for request: {id}")
}
pub fn method_line(http_method: &str, resource_path: &str) -> String {
    format!("HTTP Method: {http_method}, Resource Path: {resource_path}")
}
pub fn body_before(body: &str) -> String {
    format!("Method request body before transformations: {body}")
}
pub fn body_after(body: &str) -> String {
    format!("Method response body after transformations: {body}")
}
pub fn received(status: u16, latency_ms: u64) -> String {
    format!("Received response. Status: {status}, Integration latency: {latency_ms} ms")
}
pub const SUCCEEDED: &str = "Successfully completed execution";
pub fn completed(status: u16) -> String {
    format!("Method completed with status: {status}")
}

/// Writes the request's execution log lines, when its method's settings ask for them.
pub fn write(
    core: &Core,
    x: &Exchange<'_>,
    facts: &Facts,
    outcome: &Outcome,
    response_body: &[u8],
) {
    let logging = &x.method().settings.logging;
    let failed = facts.error.is_some();
    match logging.level {
        LogLevel::Off => return,
        LogLevel::Error if !failed => return,
        _ => {}
    }
    let mut suffix = String::new();
    if logging.level == LogLevel::Error {
        let key = log_fold::Key {
            upstream: 0x8000_0000 | (x.route.method.0 & 0x7fff_ffff),
            cause: 0x80 | facts.error.as_ref().map_or(0, |(t, _)| *t as u8),
        };
        match log_fold::admit(key, x.req.received) {
            Some(w) => suffix = w.suffix(),
            None => return,
        }
    }
    let req = x.req;
    let id = std::str::from_utf8(&req.request_id).unwrap_or_default();
    let mut buf = core.access_log.line_buf();
    let mut line = |message: &dyn std::fmt::Display| {
        buf.clear();
        let _ = write!(buf, "({id}) {message}");
        core.access_log.line(DestId::STDERR, &buf);
    };
    let method = x.method();
    if logging.level == LogLevel::Info {
        line(&format_args!("Extended Request Id: {id}"));
        line(&starting(id));
        line(&method_line(&method.http_method, &method.resource_path));
        if logging.data_trace {
            line(&body_before(&trace(req.body)));
        }
        if let Some(up) = x.integration().upstream {
            let u = x.snap.upstream(up);
            let scheme = match u.scheme {
                crate::deploy::snapshot::Scheme::Http => "http",
                crate::deploy::snapshot::Scheme::Https => "https",
            };
            line(&format_args!(
                "Sending request to {scheme}://{}",
                u.authority
            ));
        }
        if let (Some(s), Some(us)) = (facts.integration_status, x.integration_us) {
            line(&received(s, us / 1000));
        }
        if logging.data_trace && outcome.relay.is_none() {
            line(&body_after(&trace(response_body)));
        }
    }
    if let Some((t, message)) = &facts.error {
        let message = message
            .as_deref()
            .or(t.defaults().message)
            .unwrap_or_default();
        match t {
            crate::deploy::gateway_responses::ResponseType::IntegrationTimeout => {
                line(&"Execution failed due to a timeout error")
            }
            crate::deploy::gateway_responses::ResponseType::ApiConfigurationError
            | crate::deploy::gateway_responses::ResponseType::IntegrationFailure => line(
                &format_args!("Execution failed due to configuration error: {message}"),
            ),
            _ => line(&format_args!("{message}")),
        }
        line(&format_args!(
            "Gateway response type: {} with status code: {}",
            t.name(),
            outcome.status
        ));
    } else {
        line(&SUCCEEDED);
    }
    line(&format_args!("{}{suffix}", completed(outcome.status)));
    core.access_log.put_back(buf);
}

/// A body for a data trace line: text, cut at `TRACE_LIMIT` with AWS's marker.
fn trace(body: &[u8]) -> String {
    let cut = &body[..body.len().min(TRACE_LIMIT)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if body.len() > TRACE_LIMIT {
        s.push_str(" [TRUNCATED]");
    }
    s
}
