//! The REST (format 1.0) Lambda proxy event, written straight into the exchange's template
//! buffer as API Gateway builds it: `resource`, `path` (the resource path with its values, no
//! stage), `httpMethod`, `headers` / `multiValueHeaders` (the last value of a repeated name /
//! every value, names as sent), `queryStringParameters` / `multiValueQueryStringParameters`
//! (decoded; `null` without a query), `pathParameters` (decoded; `null` when the resource has
//! none), `stageVariables` (`null` when the stage has none), `requestContext`, `body` (`null`
//! when empty) and `isBase64Encoded` (a body whose `Content-Type` is one of the API's
//! `binaryMediaTypes` goes base64-encoded).
//!
//! Every value is escaped as it is copied: nothing is built on the heap.

use crate::deploy::snapshot::ContextVar;
use crate::http::uri::{decoded, Form};
use crate::pipeline::params::{context_bytes, query_pairs, write_context};
use crate::pipeline::Exchange;

/// Appends `bytes` as a JSON string (quotes included). Text that is not UTF-8 is written as the
/// lossy conversion, so the event is always valid JSON.
pub fn string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    match std::str::from_utf8(bytes) {
        Ok(s) => crate::http::response::json_escape(out, s),
        Err(_) => crate::http::response::json_escape(out, &String::from_utf8_lossy(bytes)),
    }
    out.push(b'"');
}

/// A percent-encoded value, decoded, as a JSON string.
fn decoded_string(out: &mut Vec<u8>, raw: &[u8], form: Form) {
    if !(raw.contains(&b'%') || form == Form::Query && raw.contains(&b'+')) {
        return string(out, raw);
    }
    // Decoded into the tail of `out`, then moved into place escaped.
    let mark = out.len();
    out.extend(decoded(raw, form));
    let tail = out.split_off(mark);
    string(out, &tail);
}

pub fn key(out: &mut Vec<u8>, k: &str) {
    out.push(b'"');
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

fn context_string(out: &mut Vec<u8>, x: &Exchange<'_>, var: ContextVar) {
    match context_bytes(x, &var) {
        Some(b) => string(out, b),
        None => {
            out.push(b'"');
            write_context(x, &var, out);
            out.push(b'"');
        }
    }
}

/// Writes the proxy event for `x` (whose body is `body`) into `out`.
pub fn write(x: &Exchange<'_>, body: &[u8], out: &mut Vec<u8>) {
    let req = x.req;
    out.push(b'{');
    write_request_fields(x, out);
    out.push(b',');
    let binary = x
        .integration()
        .content
        .binary
        .matches(req.header(b"content-type"));
    key(out, "body");
    if body.is_empty() {
        out.extend_from_slice(b"null");
    } else if binary {
        out.push(b'"');
        crate::pipeline::content::binary::encode(body, out);
        out.push(b'"');
    } else {
        string(out, body);
    }
    out.push(b',');
    key(out, "isBase64Encoded");
    out.extend_from_slice(if binary && !body.is_empty() {
        b"true"
    } else {
        b"false"
    });
    out.push(b'}');
}

/// The request's fields as the proxy event and a REQUEST authorizer's event share them, without
/// the braces: `resource`, `path`, `httpMethod`, the headers, the query string,
/// `pathParameters`, `stageVariables`, `requestContext`.
pub fn write_request_fields(x: &Exchange<'_>, out: &mut Vec<u8>) {
    let req = x.req;
    let buf = req.buf;
    let method = x.method();
    key(out, "resource");
    string(out, method.resource_path.as_bytes());
    out.push(b',');
    key(out, "path");
    let path_end = req.head.path.end as usize;
    let stage_less = buf.get(x.route.path_start..path_end).unwrap_or_default();
    if stage_less.is_empty() {
        string(out, b"/");
    } else {
        string(out, stage_less);
    }
    out.push(b',');
    key(out, "httpMethod");
    string(out, req.head.method_span.get(buf));
    out.push(b',');
    write_headers(x, out);
    out.push(b',');
    write_query(x, out);
    out.push(b',');
    key(out, "pathParameters");
    if method.path_params.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        out.push(b'{');
        for (i, name) in method.path_params.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, name.as_bytes());
            out.push(b':');
            decoded_string(out, x.route.capture(buf, i).unwrap_or_default(), Form::Path);
        }
        out.push(b'}');
    }
    out.push(b',');
    key(out, "stageVariables");
    let vars = &x.stage().variables;
    if vars.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        out.push(b'{');
        for (i, (k, v)) in vars.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, k.as_bytes());
            out.push(b':');
            string(out, v.as_bytes());
        }
        out.push(b'}');
    }
    out.push(b',');
    write_request_context(x, out);
}

/// `headers` (last value per name) and `multiValueHeaders` (every value, first-seen order).
fn write_headers(x: &Exchange<'_>, out: &mut Vec<u8>) {
    let req = x.req;
    write_pair_maps(
        out,
        ("headers", "multiValueHeaders"),
        || req.head.headers(req.buf),
        |a, b| a.eq_ignore_ascii_case(b),
        string,
    );
}

/// `queryStringParameters` (last value per name) and `multiValueQueryStringParameters`, both
/// `null` without a query.
fn write_query(x: &Exchange<'_>, out: &mut Vec<u8>) {
    let req = x.req;
    let query = req.head.query.get(req.buf);
    if query_pairs(query).next().is_none() {
        out.extend_from_slice(
            b"\"queryStringParameters\":null,\"multiValueQueryStringParameters\":null",
        );
        return;
    }
    write_pair_maps(
        out,
        ("queryStringParameters", "multiValueQueryStringParameters"),
        || query_pairs(query),
        |a, b| a == b,
        |o, t| decoded_string(o, t, Form::Query),
    );
}

/// `"SINGLE":{name:last value,…},"MULTI":{name:[every value],…}` from `pairs` (names grouped by
/// `same`, in first-seen order), each name and value written by `text`. Quadratic in the pairs,
/// which a request holds at most 100 of, and allocation-free.
fn write_pair_maps<'b, I>(
    out: &mut Vec<u8>,
    (single, multi): (&str, &str),
    pairs: impl Fn() -> I,
    same: impl Fn(&[u8], &[u8]) -> bool,
    text: impl Fn(&mut Vec<u8>, &[u8]),
) where
    I: Iterator<Item = (&'b [u8], &'b [u8])>,
{
    let same = &same;
    let first_of = |i: usize, n: &[u8]| !pairs().take(i).any(|(m, _)| same(m, n));
    let values = |n: &'b [u8]| pairs().filter(move |(m, _)| same(m, n)).map(|(_, v)| v);
    for (k, name) in [single, multi].into_iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        key(out, name);
        out.push(b'{');
        let mut any = false;
        for (i, (n, _)) in pairs().enumerate() {
            if !first_of(i, n) {
                continue;
            }
            if any {
                out.push(b',');
            }
            any = true;
            text(out, n);
            out.push(b':');
            if k == 0 {
                text(out, values(n).last().unwrap_or_default());
                continue;
            }
            out.push(b'[');
            for (j, v) in values(n).enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                text(out, v);
            }
            out.push(b']');
        }
        out.push(b'}');
    }
}

/// `requestContext`: the request's identity as API Gateway knows it at this point: the IAM
/// caller's fields, the authorizer's output, and `null` for the identity fields of features not
/// built (identity pools), as AWS gives them to a call without one.
fn write_request_context(x: &Exchange<'_>, out: &mut Vec<u8>) {
    let req = x.req;
    key(out, "requestContext");
    out.push(b'{');
    key(out, "resourceId");
    string(out, x.method().resource_id.as_bytes());
    out.push(b',');
    // The fields that are the parameter mappings' context variables, from their one table.
    for (name, var) in [
        ("resourcePath", ContextVar::ResourcePath),
        ("httpMethod", ContextVar::HttpMethod),
        ("extendedRequestId", ContextVar::RequestId),
        ("requestId", ContextVar::RequestId),
        ("path", ContextVar::Path),
        ("accountId", ContextVar::AccountId),
        ("protocol", ContextVar::Protocol),
        ("stage", ContextVar::Stage),
        ("domainName", ContextVar::DomainName),
        ("apiId", ContextVar::ApiId),
    ] {
        key(out, name);
        context_string(out, x, var);
        out.push(b',');
    }
    key(out, "requestTime");
    // Digits, letters, `/`, `:`, space and `+`: nothing to escape.
    out.push(b'"');
    crate::pipeline::mapping::context::write_request_time(req.epoch_ms, out);
    out.push(b'"');
    out.push(b',');
    key(out, "domainPrefix");
    let host = req.head.host.map(|h| h.get(req.buf)).unwrap_or_default();
    string(out, host.split(|&b| b == b'.').next().unwrap_or_default());
    out.push(b',');
    key(out, "requestTimeEpoch");
    write_context(x, &ContextVar::RequestTimeEpoch, out);
    out.push(b',');
    key(out, "identity");
    out.push(b'{');
    let iam = x.auth.as_deref().and_then(|a| a.identity.as_ref());
    for (i, name) in [
        "cognitoIdentityPoolId",
        "accountId",
        "cognitoIdentityId",
        "caller",
        "principalOrgId",
        "accessKey",
        "cognitoAuthenticationType",
        "cognitoAuthenticationProvider",
        "userArn",
        "user",
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            out.push(b',');
        }
        key(out, name);
        let value = iam.and_then(|id| match *name {
            "accountId" => Some(&id.account_id),
            "caller" => Some(&id.caller),
            "accessKey" => Some(&id.access_key),
            "userArn" => Some(&id.user_arn),
            "user" => Some(&id.user),
            _ => None,
        });
        match value {
            Some(v) => string(out, v.as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b',');
    key(out, "sourceIp");
    context_string(out, x, ContextVar::SourceIp);
    out.push(b',');
    key(out, "userAgent");
    match req.header(b"user-agent") {
        Some(ua) => string(out, ua),
        None => out.extend_from_slice(b"null"),
    }
    // The key that passed the method's API key check, as AWS adds them.
    if let Some(k) = x.api_key {
        out.push(b',');
        key(out, "apiKey");
        string(out, k.value.as_bytes());
        out.push(b',');
        key(out, "apiKeyId");
        string(out, k.id.as_bytes());
    }
    out.extend_from_slice(b"},");
    if let Some(auth) = x.auth.as_deref() {
        write_authorizer(auth, out);
    }
    key(out, "deploymentId");
    string(out, x.stage().deployment_id.as_bytes());
    out.push(b'}');
}

/// `requestContext.authorizer`: a Lambda authorizer's `principalId` and context keys (numbers and
/// booleans as JSON numbers and booleans), a Cognito token's `claims`.
fn write_authorizer(auth: &crate::pipeline::authorize::Authorized, out: &mut Vec<u8>) {
    use crate::pipeline::authorize::ContextValue;
    key(out, "authorizer");
    out.push(b'{');
    let mut first = true;
    let mut comma = |out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
    };
    if let Some(p) = &auth.principal_id {
        comma(out);
        key(out, "principalId");
        string(out, p.as_bytes());
    }
    for (k, v) in auth.context.iter() {
        comma(out);
        key_escaped(out, k);
        match v {
            ContextValue::Str(s) => string(out, s.as_bytes()),
            ContextValue::Num(n) => out.extend_from_slice(n.as_bytes()),
            ContextValue::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        }
    }
    if !auth.claims.is_empty() {
        comma(out);
        key(out, "claims");
        out.push(b'{');
        for (i, (k, v)) in auth.claims.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            key_escaped(out, k);
            string(out, v.as_bytes());
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"},");
}

/// A key that comes from outside (an authorizer's context key, a claim name): escaped.
fn key_escaped(out: &mut Vec<u8>, k: &str) {
    string(out, k.as_bytes());
    out.push(b':');
}
