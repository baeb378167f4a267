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

use super::respond::Reject;
use super::{Body, Exchange, IntegrationResponse};
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
            log_failure(x, up, &e);
            return Err(Reject::from(&e));
        }
    };
    x.integration_us = Some(started.elapsed().as_micros() as u64);
    let head: &'b ResponseHead = head;
    if head.is_interim() {
        log_unsolicited_interim(x, up, head.status);
        return Err(Reject::IntegrationFailure);
    }
    Ok(IntegrationResponse {
        status: head.status,
        head: Some(head),
        body: Body::Stream(body),
        body_json: crate::json::Doc::default(),
    })
}

#[cold]
fn log_failure(x: &Exchange<'_>, up: &Upstream, e: &UpstreamError) {
    eprintln!(
        "request {}: integration {}:{} failed: {e}",
        String::from_utf8_lossy(&x.req.request_id),
        up.host,
        up.port
    );
}

#[cold]
fn log_unsolicited_interim(x: &Exchange<'_>, up: &Upstream, status: u16) {
    eprintln!(
        "request {}: integration {}:{} answered {status} to a request that asked for no upgrade",
        String::from_utf8_lossy(&x.req.request_id),
        up.host,
        up.port
    );
}
