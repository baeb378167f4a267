//! Phase "integrate": MOCK answers with the status its request template selected; HTTP and
//! HTTP_PROXY send the integration request (already built by transform request) to the backend
//! through the core's upstream client and return its response head with the body still to be
//! read. Nothing is written to the client here: `transform::response` and `respond` decide what
//! becomes of the response, and the connection relays a streamed body.
//!
//! A backend 1xx other than `100 Continue` (which the upstream client skips) is an integration
//! failure (502): the gateway never asks for an upgrade (it drops the client's `Upgrade` and
//! `Expect` headers), so a `101`, or a `102`/`103` that would leave the rest of the exchange to
//! guesswork, is a broken backend. Its connection is dropped with the body stream, never pooled.
//!
//! Failures are logged with the request id, folded per upstream and cause (`core::log_fold`): at
//! most a line a second each, carrying the count of those folded.

use super::respond::Reject;
use super::{Body, Exchange, IntegrationResponse};
use crate::core::log_fold;
use crate::deploy::snapshot::{BackendMethod, IntegrationKind, Upstream};
use crate::http::request::Method;
use crate::http::upstream::ResponseHead;
use crate::net::upstream::{Attempt, Client, UpstreamError};
use std::time::Instant;

pub async fn integrate<'b>(
    x: &mut Exchange<'_>,
    client: &Client,
    request: &mut Vec<u8>,
    head: &'b mut ResponseHead,
) -> Result<IntegrationResponse<'b>, Reject> {
    let integ = x.integration();
    if integ.kind == IntegrationKind::Mock {
        // 0: the template named no statusCode, so the default response answers.
        let status = x.mock_status.or_else(|| {
            x.request_template
                .and_then(|i| integ.mock_status.get(i).copied().flatten())
        });
        return Ok(IntegrationResponse::local(status.unwrap_or(0)));
    }
    let up_id = integ.upstream.ok_or(Reject::Internal)?;
    let up = x.snap.upstream(up_id);
    let client_method = x.req.head.method;
    let (retry_ok, request_was_head) = match &integ.method {
        BackendMethod::Fixed {
            idempotent, head, ..
        } => (*idempotent, *head),
        BackendMethod::Client => (
            matches!(
                client_method,
                Method::Get | Method::Head | Method::Options | Method::Put | Method::Delete
            ),
            client_method == Method::Head,
        ),
    };
    let started = Instant::now();
    let attempt = Attempt {
        up_id,
        retry_ok,
        request_was_head,
        deadline: started + integ.timeout,
        read_timeout: integ.timeout,
    };
    let body = match client.send(up, &attempt, request, head).await {
        Ok(b) => b,
        Err(e) => {
            log_failure(x, up_id, up, &e);
            return Err(failed(x, &e));
        }
    };
    x.integration_us = Some(started.elapsed().as_micros() as u64);
    let head: &'b ResponseHead = head;
    if head.is_interim() {
        log_unsolicited_interim(x, up_id, up, head.status);
        x.integration_error = Some(format!("unexpected {} response", head.status).into());
        return Err(Reject::IntegrationFailure);
    }
    Ok(IntegrationResponse {
        status: head.status,
        head: Some(head),
        body: Body::Stream(body),
        body_json: crate::json::Doc::default(),
    })
}

/// The refusal for a backend call that failed, its reason kept for
/// `$context.integration.error`.
#[cold]
pub fn failed(x: &mut Exchange<'_>, e: &UpstreamError) -> Reject {
    x.integration_error = Some(e.to_string().into());
    Reject::from(e)
}

/// Folding key for a failure of `up_id`: one cause code per kind of upstream error (a refused
/// backend under load writes one line a second with a count, not one per request).
fn fold_key(
    up_id: crate::deploy::snapshot::UpstreamId,
    e: Option<&UpstreamError>,
) -> log_fold::Key {
    let cause = match e {
        None => 0,
        Some(UpstreamError::Resolve(_)) => 1,
        Some(UpstreamError::Connect(_)) => 2,
        Some(UpstreamError::Timeout) => 3,
        Some(UpstreamError::Closed { .. }) => 4,
        Some(UpstreamError::Io(_)) => 5,
        Some(UpstreamError::Malformed(_)) => 6,
        Some(UpstreamError::TooLarge) => 7,
        Some(UpstreamError::BadChunk) => 8,
        Some(UpstreamError::Tls(_)) => 9,
    };
    log_fold::Key {
        upstream: up_id.0,
        cause,
    }
}

#[cold]
fn log_failure(
    x: &Exchange<'_>,
    up_id: crate::deploy::snapshot::UpstreamId,
    up: &Upstream,
    e: &UpstreamError,
) {
    let Some(w) = log_fold::admit(fold_key(up_id, Some(e)), Instant::now()) else {
        return;
    };
    eprintln!(
        "request {}: integration {}:{} failed: {e}{}",
        String::from_utf8_lossy(&x.req.request_id),
        up.host,
        up.port,
        w.suffix()
    );
}

#[cold]
fn log_unsolicited_interim(
    x: &Exchange<'_>,
    up_id: crate::deploy::snapshot::UpstreamId,
    up: &Upstream,
    status: u16,
) {
    let Some(w) = log_fold::admit(fold_key(up_id, None), Instant::now()) else {
        return;
    };
    eprintln!(
        "request {}: integration {}:{} answered {status} to a request that asked for no upgrade{}",
        String::from_utf8_lossy(&x.req.request_id),
        up.host,
        up.port,
        w.suffix()
    );
}
