//! Lambda integrations, where they differ from HTTP: transform request writes the proxy event
//! (`event.rs`) and the signed Invoke request around it (`proxy_request`, `invoke`; a custom
//! integration's payload is its rendered template); for a proxy integration respond checks
//! whether the function answered (`check_invoke`) and turns its reply (`reply.rs`) into the
//! method response (`respond`), while a custom integration's result goes through integration
//! responses (`invoked`). Sending is the upstream client's, as for any backend, and the Invoke
//! connection is pooled again whatever the function did.
//!
//! Failures, as API Gateway answers them:
//! - a function error (Invoke's `X-Amz-Function-Error`, or, from the local emulators that answer
//!   one with a 5xx and an `errorMessage` body but no `x-amzn-ErrorType`, the same) and a
//!   malformed reply: 502 `{"message": "Internal server error"}`;
//! - any other Invoke failure (throttled, no such function, access denied, service error) and
//!   missing credentials: 500 `{"message": "Internal server error"}`;
//! - no answer within the integration timeout: 504.
//!
//! Each is logged with the request id and what went wrong, never with a credential.

pub mod event;
pub mod reply;

use std::io::Write as _;

use super::respond::Reject;
use super::{Exchange, IntegrationResponse};
use crate::aws::roles::Signing;
use crate::aws::sigv4::sign::{sign_on_core, Outbound};
use crate::http::response;

/// Writes the signed `POST …/invocations` request carrying `x`'s proxy event into `out`
/// (`tbuf` holds the event while it is built).
pub fn proxy_request(
    x: &Exchange<'_>,
    out: &mut Vec<u8>,
    tbuf: &mut Vec<u8>,
) -> Result<(), Reject> {
    tbuf.clear();
    event::write(x, x.req.body, tbuf);
    invoke(x, out, tbuf)
}

/// The Invoke headers a Lambda custom integration may map (`integration.request.header.NAME`):
/// asynchronous invocation (`'Event'`), log tail, client context.
const INVOKE_HEADERS: &[&str] = &[
    "X-Amz-Invocation-Type",
    "X-Amz-Log-Type",
    "X-Amz-Client-Context",
];

/// Writes the signed Invoke request carrying `payload` (a proxy event, a rendered request
/// template, or the body passed through) into `out`.
pub fn invoke(x: &Exchange<'_>, out: &mut Vec<u8>, payload: &[u8]) -> Result<(), Reject> {
    let integ = x.integration();
    let (Some(call), Some(up_id)) = (&integ.aws, integ.upstream) else {
        return Err(Reject::Internal);
    };
    invoke_function(x, call, up_id, &integ.header_params, out, payload)
}

/// Writes the signed Invoke request of `call` (on upstream `up_id`) carrying `payload` into
/// `out`, with the Invoke headers `header_params` map: the one Invoke writer, shared by Lambda
/// integrations and Lambda authorizers (which map none).
pub fn invoke_function(
    x: &Exchange<'_>,
    call: &crate::deploy::snapshot::AwsCall,
    up_id: crate::deploy::snapshot::UpstreamId,
    header_params: &[(Box<str>, crate::deploy::snapshot::ParamSource)],
    out: &mut Vec<u8>,
    payload: &[u8],
) -> Result<(), Reject> {
    let up = x.snap.upstream(up_id);
    let creds = call_credentials(x, call)?;
    out.clear();
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(call.path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(up.authority.as_bytes());
    out.extend_from_slice(b"\r\nContent-Type: application/json\r\n");
    let mut typed = false;
    for (name, src) in header_params {
        let Some(known) = INVOKE_HEADERS.iter().find(|h| h.eq_ignore_ascii_case(name)) else {
            continue;
        };
        let mark = out.len();
        out.extend_from_slice(known.as_bytes());
        out.extend_from_slice(b": ");
        let at = out.len();
        match super::target::Values::put(x, src, super::target::Place::Header, out) {
            Ok(true) if out.len() > at => {
                out.extend_from_slice(b"\r\n");
                typed |= *known == INVOKE_HEADERS[0];
            }
            _ => out.truncate(mark),
        }
    }
    if !typed {
        out.extend_from_slice(b"X-Amz-Invocation-Type: RequestResponse\r\n");
    }
    out.extend_from_slice(b"Content-Length: ");
    let _ = write!(out, "{}", payload.len());
    out.extend_from_slice(b"\r\n");
    let req = Outbound {
        method: "POST",
        path: &call.path,
        query: "",
        host: &up.authority,
        headers: &[],
        payload,
    };
    sign(x, call, &creds, &req, out);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(payload);
    Ok(())
}

/// Appends the SigV4 headers for `req` (the integration's service and region, signed at the
/// request's time with `creds`) to `out`: the one signing call of every AWS integration.
pub fn sign(
    x: &Exchange<'_>,
    call: &crate::deploy::snapshot::AwsCall,
    creds: &Signing,
    req: &Outbound<'_>,
    out: &mut Vec<u8>,
) {
    let now = x.req.epoch_ms / 1000;
    sign_on_core(
        creds.credentials(),
        &call.region,
        &call.service,
        req,
        now,
        out,
    );
}

/// The credentials this integration signs with: the caller's (`arn:aws:iam::*:user/*` on an
/// AWS_IAM method), its role's, assumed off the request path (`crate::aws::roles`), else the
/// gateway's own. Without any, the call fails with 500 and a log
/// line saying why (never a credential).
pub fn credentials(x: &Exchange<'_>) -> Result<Signing, Reject> {
    match x.integration().aws.as_ref() {
        Some(call) => call_credentials(x, call),
        None => credentials_of(x, None),
    }
}

/// The credentials `call` signs with: the verified AWS_IAM caller's for `caller` calls, else its
/// role's or the gateway's own (`credentials_of`).
pub fn call_credentials<'x>(
    x: &'x Exchange<'_>,
    call: &'x crate::deploy::snapshot::AwsCall,
) -> Result<Signing, Reject> {
    if call.caller {
        // `arn:aws:iam::*:user/*`: the AWS_IAM caller's own credentials (compiled only on
        // AWS_IAM methods, so a caller was verified before this runs).
        return match crate::pipeline::authorize::iam::principal_of(x) {
            Some(p) => Ok(Signing::Own(&p.credentials)),
            None => {
                log(
                    x,
                    format_args!(
                        "Execution failed due to configuration error: no caller credentials to sign with"
                    ),
                );
                Err(Reject::Internal)
            }
        };
    }
    credentials_of(x, call.role.as_ref())
}

/// The credentials a call with `role` (an integration's or an authorizer's) signs with.
pub fn credentials_of(
    x: &Exchange<'_>,
    role: Option<&std::sync::Arc<crate::aws::roles::Role>>,
) -> Result<Signing, Reject> {
    use crate::aws::roles::Unavailable;
    if let Some(role) = role {
        return role.signing(x.req.epoch_ms / 1000).map_err(|why| {
            let why = match why {
                Unavailable::NotYet => "no answer from STS yet",
                Unavailable::Failed(ref reason) => reason,
            };
            log(
                x,
                format_args!(
                    "Execution failed due to configuration error: API Gateway does not have permission to assume the provided role {}: {why}",
                    role.arn()
                ),
            );
            Reject::Internal
        });
    }
    match crate::aws::env().credentials.as_ref() {
        Some(own) => Ok(Signing::Own(own)),
        None => {
            log(
                x,
                format_args!("{}", crate::aws::credentials::missing_message()),
            );
            Err(Reject::Internal)
        }
    }
}

/// What an Invoke response says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invoked<'d> {
    /// The function returned; the body is its result (empty for an `Event` invocation).
    Returned,
    /// The function failed with this `errorMessage`; the body is its error object.
    FunctionError(&'d str),
}

/// After the Invoke response is read whole: whether the function ran, or (Invoke itself
/// failed: no such function, throttled, denied) the failure, logged.
pub fn invoked<'d>(
    x: &Exchange<'_>,
    integrated: &'d IntegrationResponse<'_>,
) -> Result<Invoked<'d>, Reject> {
    classify(integrated).map_err(|()| {
        log(x, format_args!("{}", invoke_failed(integrated)));
        Reject::Internal
    })
}

/// What an Invoke response says; `Err` when Invoke itself failed.
fn classify<'d>(integrated: &'d IntegrationResponse<'_>) -> Result<Invoked<'d>, ()> {
    let message = || {
        integrated
            .json()
            .and_then(|d| d.field("errorMessage"))
            .and_then(|m| m.as_str())
    };
    if integrated.header(b"x-amz-function-error").is_some() {
        return Ok(Invoked::FunctionError(message().unwrap_or("")));
    }
    if (200..300).contains(&integrated.status) {
        return Ok(Invoked::Returned);
    }
    if integrated.header(b"x-amzn-errortype").is_none() {
        if let Some(m) = message() {
            return Ok(Invoked::FunctionError(m));
        }
    }
    Err(())
}

#[cold]
fn invoke_failed(integrated: &IntegrationResponse<'_>) -> String {
    format!(
        "Lambda invocation failed with status: {} ({})",
        integrated.status,
        String::from_utf8_lossy(
            integrated
                .header(b"x-amzn-errortype")
                .unwrap_or(b"no error type")
        )
    )
}

#[cold]
fn function_failed(integrated: &IntegrationResponse<'_>, message: &str) -> String {
    format!(
        "Lambda execution failed with status {} due to customer function error: {message}",
        integrated.status
    )
}

/// Why an Invoke response is not the function's result (`$context.integration.error`), in
/// the execution log's words; `None` (and nothing allocated) when the function returned.
pub fn failure(integrated: &IntegrationResponse<'_>) -> Option<Box<str>> {
    match classify(integrated) {
        Ok(Invoked::Returned) => None,
        Ok(Invoked::FunctionError(m)) => Some(function_failed(integrated, m).into()),
        Err(()) => Some(invoke_failed(integrated).into()),
    }
}

/// A proxy integration after the Invoke response is read whole: `Ok` when the function
/// answered; a function error is 502.
pub fn check_invoke(x: &Exchange<'_>, integrated: &IntegrationResponse<'_>) -> Result<(), Reject> {
    if let Invoked::FunctionError(message) = invoked(x, integrated)? {
        log_function_error(x, integrated, message);
        return Err(Reject::IntegrationFailure);
    }
    Ok(())
}

/// A function error, logged as API Gateway's execution log words it.
#[cold]
pub fn log_function_error(x: &Exchange<'_>, integrated: &IntegrationResponse<'_>, message: &str) {
    log(x, format_args!("{}", function_failed(integrated, message)));
}

/// The method response for the function's reply; a malformed reply is 502.
pub fn respond(
    x: &Exchange<'_>,
    integrated: &IntegrationResponse<'_>,
    wbuf: &mut Vec<u8>,
) -> Result<super::Outcome, Reject> {
    check_invoke(x, integrated)?;
    let r = match reply::read(integrated.json()) {
        Ok(r) => r,
        Err(why) => {
            log(x, format_args!("Execution failed due to configuration error: Malformed Lambda proxy response: {why}"));
            return Err(Reject::IntegrationFailure);
        }
    };
    let req = x.req;
    // A base64 body goes out as bytes when the client accepts one of the API's binary types
    // (API Gateway's rule for proxy replies); otherwise as the text the function wrote.
    let mut decoded = Vec::new();
    let binary = r.base64
        && x.integration()
            .content
            .binary
            .matches_first_accept(req.header(b"accept"));
    let body: &[u8] = if binary {
        if super::content::binary::decode(r.body.as_bytes(), &mut decoded).is_err() {
            log(x, format_args!("Execution failed due to configuration error: Malformed Lambda proxy response: body is not base64"));
            return Err(Reject::IntegrationFailure);
        }
        &decoded
    } else {
        r.body.as_bytes()
    };
    let content_type = header_value(&r, "content-type").unwrap_or(b"application/json");
    Ok(super::respond::fixed(
        req,
        wbuf,
        r.status,
        content_type,
        |w| write_reply_headers(&r, w),
        body,
    ))
}

/// A reply header's (first) value, `multiValueHeaders` first as API Gateway merges them.
fn header_value<'d>(r: &reply::LambdaReply<'d>, lower: &str) -> Option<&'d [u8]> {
    let find = |n: Option<crate::json::Node<'d>>| {
        n?.members()
            .find(|(k, _)| k.eq_ignore_ascii_case(lower))
            .map(|(_, v)| v)
    };
    let v = match find(r.multi_value_headers) {
        Some(list) => list.elements().next()?,
        None => find(r.headers)?,
    };
    v.as_str().map(str::as_bytes)
}

/// Headers the reply may not set: the gateway frames the response itself.
const FRAMING: &[&str] = &[
    "content-type",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

/// Set by the gateway: a reply's own goes out as `x-amzn-Remapped-NAME`.
const REMAPPED: &[&str] = &[
    "date",
    "server",
    "authorization",
    "www-authenticate",
    "x-amzn-requestid",
];

/// `multiValueHeaders`, then each `headers` name the former lacks (API Gateway's merge: a name in
/// both keeps only its multi-value values). Invalid names or values are left out.
pub fn write_reply_headers(r: &reply::LambdaReply<'_>, w: &mut Vec<u8>) {
    // Only a number or boolean value is written out first (strings are read in place).
    let mut other = Vec::new();
    let mut emit = |name: &str, v: crate::json::Node<'_>, w: &mut Vec<u8>| {
        if FRAMING.iter().any(|f| name.eq_ignore_ascii_case(f)) {
            return;
        }
        let value: &[u8] = match v.as_str() {
            Some(s) => s.as_bytes(),
            None => {
                other.clear();
                reply::write_scalar(v, &mut other);
                &other
            }
        };
        let trimmed = value.trim_ascii();
        if !response::is_valid_field_name(name.as_bytes())
            || !response::is_valid_field_value(trimmed)
        {
            return;
        }
        if REMAPPED.iter().any(|f| name.eq_ignore_ascii_case(f)) {
            w.extend_from_slice(b"x-amzn-Remapped-");
        }
        response::header(w, name.as_bytes(), trimmed);
    };
    if let Some(m) = r.multi_value_headers {
        for (name, list) in m.members() {
            for v in list.elements() {
                emit(name, v, w);
            }
        }
    }
    if let Some(h) = r.headers {
        for (name, v) in h.members() {
            let in_multi = r
                .multi_value_headers
                .is_some_and(|m| m.members().any(|(k, _)| k.eq_ignore_ascii_case(name)));
            if !in_multi && v.kind() != crate::json::Kind::Null {
                emit(name, v, w);
            }
        }
    }
}

#[cold]
pub fn log(x: &Exchange<'_>, what: std::fmt::Arguments<'_>) {
    eprintln!(
        "request {}: {what}",
        String::from_utf8_lossy(&x.req.request_id)
    );
}
