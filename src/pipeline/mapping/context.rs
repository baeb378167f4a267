//! `$context` as a mapping template sees it: every variable API Gateway defines that Tollgate
//! knows at the point templates run (after routing, authorization and the API key check).
//! Variables of features not built yet (Cognito identity pools, organisations) are present and
//! empty, as API Gateway gives them for a request that had none, so a template that prints them
//! renders the same text.

use crate::deploy::compile::params::context_var;
use crate::deploy::snapshot::ContextVar;
use crate::pipeline::params::{caller_value, context_bytes, write_context};
use crate::pipeline::Exchange;
use crate::vtl::Value;

/// Request bytes as a template string: borrowed when UTF-8 (always, for what the parser admits).
fn text(b: &[u8]) -> Value<'_> {
    match std::str::from_utf8(b) {
        Ok(s) => Value::Text(s),
        Err(_) => Value::str(&String::from_utf8_lossy(b)),
    }
}

/// `dd/MMM/yyyy:HH:mm:ss +0000`, API Gateway's `requestTime` (CLF format, UTC).
pub fn request_time(epoch_ms: u64) -> String {
    let mut out = Vec::with_capacity(26);
    write_request_time(epoch_ms, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// `request_time` written into `out` (no allocation when `out` has room).
pub fn write_request_time(epoch_ms: u64, out: &mut Vec<u8>) {
    // Every access log line and many templates write it: formatted once a second per thread.
    thread_local! {
        static LAST: std::cell::Cell<(u64, [u8; 26])> = const { std::cell::Cell::new((u64::MAX, [0; 26])) };
    }
    let secs = epoch_ms / 1000;
    let (at, text) = LAST.get();
    if at == secs {
        out.extend_from_slice(&text);
        return;
    }
    let start = out.len();
    format_request_time(secs, out);
    if let Ok(text) = <[u8; 26]>::try_from(&out[start..]) {
        LAST.set((secs, text));
    }
}

fn format_request_time(secs: u64, out: &mut Vec<u8>) {
    use std::io::Write as _;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs as i64) else {
        return;
    };
    let _ = write!(
        out,
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        t.day(),
        MONTHS[usize::from(u8::from(t.month())) - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    );
}

/// The names `$context` has, in the order its map prints.
const NAMES: [&str; 17] = [
    "accountId",
    "apiId",
    "authorizer",
    "deploymentId",
    "domainName",
    "domainPrefix",
    "extendedRequestId",
    "httpMethod",
    "identity",
    "path",
    "protocol",
    "requestId",
    "requestTime",
    "requestTimeEpoch",
    "resourceId",
    "resourcePath",
    "stage",
];

/// `$context.identity`'s fields; the last five belong to features not built (identity pools).
const IDENTITY: [&str; 14] = [
    "sourceIp",
    "userAgent",
    "apiKey",
    "apiKeyId",
    "accountId",
    "caller",
    "user",
    "userArn",
    "accessKey",
    "principalOrgId",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
];

/// The `$context` map for the routed request `x` (a template that uses `$context` whole).
pub fn context<'x>(x: &Exchange<'x>) -> Value<'x> {
    Value::Map(
        NAMES
            .iter()
            .filter_map(|&n| Some((n.to_string(), prop(x, n)?)))
            .collect(),
    )
}

/// One `$context.NAME`, computed alone: a template reads a few fields, and building the whole
/// map for each would cost more than the rest of the render. The variables parameter mappings
/// also read (`context.NAME` sources) come from their one table, `params::write_context`.
pub fn prop<'x>(x: &Exchange<'x>, name: &str) -> Option<Value<'x>> {
    let req: &'x crate::pipeline::Request<'x> = x.req;
    Some(match name {
        "authorizer" => authorizer(x),
        "deploymentId" => Value::Text(&x.stage().deployment_id),
        "domainPrefix" => {
            let host = req.head.host.map(|h| h.get(req.buf)).unwrap_or_default();
            text(host.split(|&b| b == b'.').next().unwrap_or_default())
        }
        "extendedRequestId" => text(&req.request_id),
        "identity" => Value::Map(
            IDENTITY
                .iter()
                .map(|&n| (n.to_string(), identity(x, n)))
                .collect(),
        ),
        "requestTime" => Value::str(&request_time(req.epoch_ms)),
        "requestTimeEpoch" => Value::Int(req.epoch_ms as i64),
        "resourceId" => Value::Text(&x.method().resource_id),
        _ => mapped(x, context_var(name)?),
    })
}

/// A variable from the parameter mappings' table, as text.
fn mapped<'x>(x: &Exchange<'x>, var: ContextVar) -> Value<'x> {
    if let Some(b) = context_bytes(x, &var) {
        return text(b);
    }
    // The caller's identity lives in the exchange, not the request: copied for the template.
    if let Some(b) = caller_value(x, &var) {
        return Value::str(&String::from_utf8_lossy(b));
    }
    let mut out = Vec::new();
    write_context(x, &var, &mut out);
    Value::str(&String::from_utf8_lossy(&out))
}

fn identity<'x>(x: &Exchange<'x>, name: &str) -> Value<'x> {
    match name {
        "sourceIp" => mapped(x, ContextVar::SourceIp),
        "userAgent" => text(x.req.header(b"user-agent").unwrap_or_default()),
        "apiKey" => mapped(x, ContextVar::ApiKey),
        "apiKeyId" => mapped(x, ContextVar::ApiKeyId),
        "accessKey" => mapped(x, ContextVar::IdentityAccessKey),
        "accountId" => mapped(x, ContextVar::IdentityAccountId),
        "caller" => mapped(x, ContextVar::IdentityCaller),
        "user" => mapped(x, ContextVar::IdentityUser),
        "userArn" => mapped(x, ContextVar::IdentityUserArn),
        _ => Value::str(""),
    }
}

/// `$context.authorizer`: `principalId`, the Lambda authorizer's context keys, and a Cognito
/// token's `claims` (a map), as the authorize phase found them; empty for an unauthorized
/// method. Numbers and booleans keep their type, as AWS passes them to templates.
fn authorizer<'x>(x: &Exchange<'x>) -> Value<'x> {
    let Some(auth) = x.auth.as_deref() else {
        return Value::Map(Vec::new());
    };
    let mut map = Vec::with_capacity(auth.context.len() + 2);
    if let Some(p) = &auth.principal_id {
        map.push(("principalId".to_string(), Value::str(p)));
    }
    for (k, v) in auth.context.iter() {
        let v = match v {
            crate::pipeline::authorize::ContextValue::Str(s) => Value::str(s),
            crate::pipeline::authorize::ContextValue::Bool(b) => Value::Bool(*b),
            crate::pipeline::authorize::ContextValue::Num(n) => match n.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => n
                    .parse::<f64>()
                    .map(Value::Float)
                    .unwrap_or_else(|_| Value::str(n)),
            },
        };
        map.push((k.to_string(), v));
    }
    if !auth.claims.is_empty() {
        let claims = auth
            .claims
            .iter()
            .map(|(k, v)| (k.to_string(), Value::str(v)))
            .collect();
        map.push(("claims".to_string(), Value::Map(claims)));
    }
    Value::Map(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_time_is_clf_in_utc() {
        assert_eq!(
            request_time(1_700_000_000_123),
            "14/Nov/2023:22:13:20 +0000"
        );
        assert_eq!(request_time(0), "01/Jan/1970:00:00:00 +0000");
    }
}
