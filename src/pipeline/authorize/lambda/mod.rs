//! `CUSTOM` authorization: a Lambda authorizer (TOKEN or REQUEST), as API Gateway runs one.
//!
//! 0. The API's resource policy, if it explicitly denies the request as it stands: 403 without
//!    invoking (`resource_policy::explicitly_denied`; the full evaluation table runs after).
//! 1. The identity: TOKEN reads its one header (missing or empty: 401 without invoking) and
//!    checks it against `identityValidationExpression` (no match: 401 without invoking);
//!    REQUEST needs every identity source it lists (headers, query strings, stage variables,
//!    context variables; one missing or empty: 401 without invoking). A REQUEST authorizer with
//!    no identity sources (allowed only with a TTL of 0) is invoked for every request.
//! 2. The per-core cache (`core::authz_cache`, `authorizerResultTtlInSeconds`) by those values;
//!    a hit costs no allocation.
//! 3. On a miss, the function is invoked through the Lambda integration's Invoke writer and
//!    signer (`pipeline::lambda`) with the event (`event.rs`), within `TIMEOUT`; its output
//!    (`reply.rs`) is cached whole, policy included.
//! 4. The policy is evaluated against the method ARN
//!    (`arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`): Allow continues
//!    with the caller in `x.auth`; an explicit Deny is 403 `User is not authorized to access
//!    this resource with an explicit deny`; no matching statement is 403 `User is not authorized
//!    to access this resource`. A cached policy is evaluated for each method called, so one that
//!    names only the first method denies the others until it expires (AWS's behaviour).
//!
//! For the access log, steps 1 to 4 are the authorizer step, step 4 (with the resource policy)
//! the authorize step, and the Invoke call of step 3 the authorizer's integration.
//!
//! Failures, as AWS answers them: the function failing with the message `Unauthorized` is 401
//! (UNAUTHORIZED); any other function error, an invalid output (no policy, a nested `context`
//! value, not JSON), no answer within `TIMEOUT`, an unreachable endpoint or an Invoke error is
//! 500 AUTHORIZER_CONFIGURATION_ERROR (`{"message": null}`), fail closed and never cached. Each
//! is logged with the request id and why, never with the token or a credential.

pub mod event;
pub mod reply;
#[cfg(test)]
mod tests;

use super::{AuthReject, Decision};
use crate::core::authz_cache::{Answer, Scope};
use crate::core::Core;
use crate::deploy::authorizers::{
    AuthorizerIdx, AuthorizerKind, AuthorizerRuntime, IdentitySource, LambdaFunction,
};
use crate::deploy::iam_policy::{self, PolicyDocument};
use crate::http::upstream::ResponseHead;
use crate::net::upstream::{Attempt, UpstreamError};
use crate::pipeline::lambda::{self, Invoked};
use crate::pipeline::params::{context_bytes, query_pairs, write_context};
use crate::pipeline::respond::Reject;
use crate::pipeline::trace::{AuthTrace, AwsRequestId, Invoke, Step};
use crate::pipeline::{Body, Exchange, IntegrationResponse};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How long API Gateway waits for a Lambda authorizer (its quota: 10 000 ms).
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub async fn authorize(
    x: &mut Exchange<'_>,
    core: &Core,
    authorizer: AuthorizerIdx,
    scratch: &mut Vec<u8>,
) -> Result<Decision, Reject> {
    // The API's resource policy first, as AWS evaluates it: an explicit Deny of the request as
    // it stands refuses it without invoking (or even asking for) the authorizer, so the
    // authorizer step never ran and the refusal is the authorize step's.
    let started = Instant::now();
    let denied = super::resource_policy::explicitly_denied(x, scratch);
    if denied.is_err() {
        x.auth_trace.authorize = Step::of(started, &denied);
        denied?;
    }
    let started = Instant::now();
    let consulted = consult(x, core, authorizer, scratch).await;
    x.auth_trace.authorizer = Step::of(started, &consulted);
    consulted
}

/// Steps 1 to 4: the identity, the cache or the function, and its policy.
async fn consult(
    x: &mut Exchange<'_>,
    core: &Core,
    authorizer: AuthorizerIdx,
    scratch: &mut Vec<u8>,
) -> Result<Decision, Reject> {
    let Some(a) = x.stage().authorizer(authorizer) else {
        // The compiler refuses a method naming an authorizer that does not compile.
        return Err(AuthReject::AuthorizerConfiguration.into());
    };
    let (AuthorizerKind::Token(f) | AuthorizerKind::Request(f)) = &a.kind else {
        return Err(AuthReject::AuthorizerConfiguration.into());
    };
    scratch.clear();
    if !identity(x, a, scratch) {
        return Err(AuthReject::Unauthorized.into());
    }
    let scope = Scope {
        generation: x.snap.generation,
        flushed: x.stage().cache_control.authorizers(),
        api: x.route.api,
        stage: x.route.stage,
        authorizer,
    };
    let now = x.req.epoch_ms;
    let answer = match core.authz_cache.get(scope, scratch, now) {
        Some(hit) => hit,
        None => {
            let key: Box<[u8]> = scratch.as_slice().into();
            let mut trace = AuthTrace::default();
            let called = call(x, core, a, f, scratch, &mut trace).await;
            x.auth_trace.invoke = trace.invoke;
            x.auth_trace.error = trace.error;
            let answer = called?;
            core.authz_cache
                .put(scope, &key, answer.clone(), now, a.ttl_secs);
            answer
        }
    };
    let started = Instant::now();
    let decided = decide(x, answer, scratch);
    x.auth_trace.authorize = Step::of(started, &decided);
    decided
}

/// Evaluates `answer`'s policy for `x`'s method: Allow admits the caller, otherwise 403.
fn decide(x: &mut Exchange<'_>, answer: Answer, scratch: &mut Vec<u8>) -> Result<Decision, Reject> {
    match evaluate(x, &answer.policy, scratch) {
        iam_policy::Decision::Allow => {
            x.auth = Some(answer.auth);
            Ok(Decision::Allowed)
        }
        iam_policy::Decision::Deny => Err(AuthReject::ExplicitDeny.into()),
        // With a resource policy, its Allow may still admit the call (AWS's table A).
        iam_policy::Decision::NotApplicable if x.stage().resource_policy.is_some() => {
            x.auth = Some(answer.auth);
            Ok(Decision::AuthorizerSilent)
        }
        iam_policy::Decision::NotApplicable => Err(AuthReject::NotAuthorized.into()),
    }
}

/// What `policy` says about `x`'s method ARN (written into `scratch`).
pub fn evaluate(
    x: &Exchange<'_>,
    policy: &PolicyDocument,
    scratch: &mut Vec<u8>,
) -> iam_policy::Decision {
    let arn = super::method_arn(x, scratch);
    // The request line is ASCII (the head parser admits nothing else); anything else matches
    // no statement.
    let Ok(arn) = std::str::from_utf8(arn) else {
        return iam_policy::Decision::NotApplicable;
    };
    policy.evaluate(&iam_policy::Request {
        action: "execute-api:Invoke",
        resource: arn,
        principal: None,
    })
}

/// Writes the identity source values (the cache key) into `out`, each length-prefixed so that
/// no two lists join the same; `false` when one is missing or empty, or a TOKEN fails its
/// validation expression.
pub fn identity(x: &Exchange<'_>, a: &AuthorizerRuntime, out: &mut Vec<u8>) -> bool {
    let req = x.req;
    for source in a.sources.iter() {
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        let start = out.len();
        match source {
            IdentitySource::Header(name) => {
                out.extend_from_slice(req.header(name.as_bytes()).unwrap_or_default())
            }
            IdentitySource::Query(name) => {
                let query = req.head.query.get(req.buf);
                let value = query_pairs(query)
                    .find(|(k, _)| *k == name.as_bytes())
                    .map(|(_, v)| v);
                out.extend_from_slice(value.unwrap_or_default());
            }
            IdentitySource::StageVariable { value, .. } => {
                out.extend_from_slice(value.as_deref().unwrap_or_default().as_bytes())
            }
            IdentitySource::Context(var) => match context_bytes(x, var) {
                Some(b) => out.extend_from_slice(b),
                None => write_context(x, var, out),
            },
        }
        let len = out.len() - start;
        if len == 0 {
            return false;
        }
        out[at..start].copy_from_slice(&(len as u32).to_le_bytes());
    }
    if let Some(re) = &a.validation {
        // TOKEN: one source, the token after its 4-byte length.
        let token = out.get(4..).unwrap_or_default();
        if !std::str::from_utf8(token).is_ok_and(|t| re.is_match(t)) {
            return false;
        }
    }
    true
}

/// The TOKEN authorizer's token (its one identity source), from `x`'s request.
fn token<'x>(x: &Exchange<'x>, a: &AuthorizerRuntime) -> &'x [u8] {
    match a.sources.first() {
        Some(IdentitySource::Header(name)) => x.req.header(name.as_bytes()).unwrap_or_default(),
        _ => b"",
    }
}

/// Invokes the authorizer's function for `x` and reads its output (`scratch` is reused).
pub async fn call(
    x: &Exchange<'_>,
    core: &Core,
    a: &AuthorizerRuntime,
    f: &LambdaFunction,
    scratch: &mut Vec<u8>,
    trace: &mut AuthTrace,
) -> Result<Answer, Reject> {
    let body = invoke_raw(x, core, a, f, scratch, trace).await?;
    match reply::read(&body) {
        Ok(out) => Ok(Answer {
            auth: Rc::new(out.auth),
            policy: Rc::new(out.policy),
        }),
        Err(why) => {
            let why = format!("Invalid JSON in response from authorizer {}: {why}", a.name);
            lambda::log(
                x,
                format_args!("Execution failed due to configuration error: {why}"),
            );
            trace.error = Some(why.into());
            Err(AuthReject::AuthorizerConfiguration.into())
        }
    }
}

/// Invokes the function with `x`'s event; the function's result (its output, unread) when it
/// returned, else the refusal (logged, and its reason in `trace.error`). The Invoke call's
/// status, latency and request id go to `trace.invoke`.
async fn invoke_raw(
    x: &Exchange<'_>,
    core: &Core,
    a: &AuthorizerRuntime,
    f: &LambdaFunction,
    scratch: &mut Vec<u8>,
    trace: &mut AuthTrace,
) -> Result<Vec<u8>, Reject> {
    let failed = || Reject::from(AuthReject::AuthorizerConfiguration);
    let (up_id, invoke) = match &f.invoke {
        Ok(target) => target,
        Err(why) => {
            lambda::log(x, format_args!("authorizer {}: {why}", a.name));
            trace.error = Some(format!("authorizer {}: {why}", a.name).into());
            return Err(failed());
        }
    };
    if let Some(role) = &invoke.role {
        role.ready(TIMEOUT).await;
    }
    let mut arn = Vec::new();
    super::method_arn(x, &mut arn);
    scratch.clear();
    match &a.kind {
        AuthorizerKind::Token(_) => event::write_token(token(x, a), &arn, scratch),
        _ => event::write_request(x, &arn, scratch),
    }
    let mut request = Vec::with_capacity(scratch.len() + 1024);
    lambda::invoke_function(x, invoke, *up_id, &[], &mut request, scratch).map_err(|_| failed())?;
    let started = Instant::now();
    let attempt = Attempt {
        up_id: *up_id,
        // An authorizer call has no effect to repeat; a pooled connection the endpoint closed
        // meanwhile is retried once on a fresh one.
        retry_ok: true,
        request_was_head: false,
        deadline: started + TIMEOUT,
        read_timeout: TIMEOUT,
    };
    let up = x.snap.upstream(*up_id);
    let mut head = Box::new(ResponseHead::new());
    let sent = core
        .upstream
        .send(up, &attempt, &mut request, &mut head)
        .await;
    trace.invoke = Some(Invoke {
        status: if sent.is_ok() { head.status } else { 0 },
        latency_us: started.elapsed().as_micros() as u64,
        request_id: None,
    });
    let mut stream = match sent {
        Ok(s) => s,
        Err(e) => return Err(upstream_failed(x, a, &e, trace)),
    };
    let mut body = Vec::new();
    if let Err(e) = stream.collect(core.config.limits.max_body, &mut body).await {
        return Err(upstream_failed(x, a, &e, trace));
    }
    let integrated = IntegrationResponse {
        status: head.status,
        head: Some(&head),
        body: Body::InHand(&body, Some(stream)),
        body_json: crate::json::Doc::default(),
    };
    if let Some(invoked) = &mut trace.invoke {
        // The whole call, its output read, as AWS times the authorizer's integration.
        invoked.latency_us = started.elapsed().as_micros() as u64;
        invoked.request_id = integrated
            .header(b"x-amzn-requestid")
            .map(AwsRequestId::new);
    }
    // Whether the function answered, read before the connection goes back to the pool.
    let outcome = match lambda::invoked(x, &integrated) {
        Err(_) => {
            trace.error = lambda::failure(&integrated);
            Err(failed())
        }
        Ok(Invoked::Returned) => Ok(()),
        // The one error AWS maps to 401: the function saying so.
        Ok(Invoked::FunctionError("Unauthorized")) => Err(AuthReject::Unauthorized.into()),
        Ok(Invoked::FunctionError(message)) => {
            let why = format!("Authorizer {} failed: {message}", a.name);
            lambda::log(
                x,
                format_args!("Execution failed due to configuration error: {why}"),
            );
            trace.error = Some(why.into());
            Err(failed())
        }
    };
    if let Body::InHand(_, Some(stream)) = integrated.body {
        core.upstream.release(stream);
    }
    outcome?;
    Ok(body)
}

#[cold]
fn upstream_failed(
    x: &Exchange<'_>,
    a: &AuthorizerRuntime,
    e: &UpstreamError,
    trace: &mut AuthTrace,
) -> Reject {
    let why = match e {
        UpstreamError::Timeout => format!("no answer within {} s", TIMEOUT.as_secs()),
        e => e.to_string(),
    };
    let why = format!("Authorizer {} could not be invoked: {why}", a.name);
    lambda::log(
        x,
        format_args!("Execution failed due to configuration error: {why}"),
    );
    trace.error = Some(why.into());
    AuthReject::AuthorizerConfiguration.into()
}

/// What TestInvokeAuthorizer reports.
#[derive(Debug, Default)]
pub struct Tested {
    /// 0 when the authorizer answered with a usable output; else the status a client would
    /// have received (401, 500).
    pub client_status: u16,
    pub principal_id: Option<String>,
    /// The returned `policyDocument`, as JSON text.
    pub policy: Option<String>,
    /// The returned `context`, as text.
    pub context: Vec<(String, String)>,
    /// What happened, for the execution log.
    pub log: Vec<String>,
}

/// TestInvokeAuthorizer: the authorize phase's identity check and invocation for `x` (never
/// cached, no method's policy evaluated), reported as AWS reports it.
pub async fn test_invoke(
    x: &Exchange<'_>,
    core: &Core,
    authorizer: AuthorizerIdx,
    scratch: &mut Vec<u8>,
) -> Tested {
    let mut t = Tested::default();
    let status = |r: &Reject| r.gateway_error().status;
    let Some(a) = x.stage().authorizer(authorizer) else {
        t.client_status = 500;
        t.log.push(
            "Execution failed due to configuration error: the authorizer does not compile".into(),
        );
        return t;
    };
    let (AuthorizerKind::Token(f) | AuthorizerKind::Request(f)) = &a.kind else {
        t.client_status = 500;
        t.log
            .push("Execution failed: not a Lambda authorizer".into());
        return t;
    };
    scratch.clear();
    if !identity(x, a, scratch) {
        t.client_status = 401;
        t.log.push(
            "The identity source is missing, empty or does not match the validation expression: Unauthorized".into(),
        );
        return t;
    }
    t.log.push(format!("Endpoint request URI: {}", f.uri));
    let body = match invoke_raw(x, core, a, f, scratch, &mut AuthTrace::default()).await {
        Ok(body) => body,
        Err(r) => {
            t.client_status = status(&r);
            t.log
                .push(format!("Authorizer failed: {}", t.client_status));
            return t;
        }
    };
    t.log.push(format!(
        "Endpoint response body before transformations: {}",
        String::from_utf8_lossy(&body)
    ));
    match reply::read(&body) {
        Ok(out) => {
            let doc: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            t.policy = doc.get("policyDocument").map(|p| p.to_string());
            t.principal_id = out.auth.principal_id.as_deref().map(Into::into);
            t.context = out
                .auth
                .context
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_text().to_string()))
                .collect();
        }
        Err(why) => {
            t.client_status = 500;
            t.log.push(format!(
                "Execution failed due to configuration error: Invalid JSON in response: {why}"
            ));
        }
    }
    t
}
