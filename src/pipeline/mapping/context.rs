//! `$context` as a mapping template sees it: every variable API Gateway defines that Tollgate
//! knows at the point templates run (after routing, before authorizers exist). Variables of
//! features not built yet (authorizer, API key, Cognito and IAM identity) are present and empty,
//! as API Gateway gives them for a request that had none, so a template that prints them renders
//! the same text.

use crate::pipeline::params::{write_ip, ACCOUNT_ID};
use crate::pipeline::Exchange;
use crate::vtl::Value;

fn text(b: &[u8]) -> Value {
    Value::str(&String::from_utf8_lossy(b))
}

fn entry(k: &str, v: Value) -> (String, Value) {
    (k.to_string(), v)
}

/// `dd/MMM/yyyy:HH:mm:ss +0000`, API Gateway's `requestTime` (CLF format, UTC).
pub fn request_time(epoch_ms: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = (epoch_ms / 1000) as i64;
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return String::new();
    };
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        t.day(),
        MONTHS[usize::from(u8::from(t.month())) - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The `$context` map for the routed request `x`.
pub fn context(x: &Exchange<'_>) -> Value {
    let req = x.req;
    let empty = || Value::str("");
    let host = req.head.host.map(|h| h.get(req.buf)).unwrap_or_default();
    let domain_prefix = host.split(|&b| b == b'.').next().unwrap_or_default();
    let mut ip = Vec::new();
    write_ip(&mut ip, req.peer);
    let identity = Value::Map(vec![
        entry("sourceIp", text(&ip)),
        entry(
            "userAgent",
            text(req.header(b"user-agent").unwrap_or_default()),
        ),
        entry("accountId", empty()),
        entry("apiKey", empty()),
        entry("apiKeyId", empty()),
        entry("caller", empty()),
        entry("user", empty()),
        entry("userArn", empty()),
        entry("accessKey", empty()),
        entry("principalOrgId", empty()),
        entry("cognitoIdentityId", empty()),
        entry("cognitoIdentityPoolId", empty()),
        entry("cognitoAuthenticationType", empty()),
        entry("cognitoAuthenticationProvider", empty()),
    ]);
    let protocol = if req.head.minor_version == 0 {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    };
    Value::Map(vec![
        entry("accountId", Value::str(ACCOUNT_ID)),
        entry("apiId", Value::str(&x.api().id)),
        entry("authorizer", Value::Map(Vec::new())),
        entry("deploymentId", Value::str(&x.stage().deployment_id)),
        entry("domainName", text(host)),
        entry("domainPrefix", text(domain_prefix)),
        entry("extendedRequestId", text(&req.request_id)),
        entry("httpMethod", text(req.head.method_span.get(req.buf))),
        entry("identity", identity),
        entry("path", text(req.head.path.get(req.buf))),
        entry("protocol", Value::str(protocol)),
        entry("requestId", text(&req.request_id)),
        entry("requestTime", Value::str(&request_time(req.epoch_ms))),
        entry("requestTimeEpoch", Value::Int(req.epoch_ms as i64)),
        entry("resourceId", Value::str(&x.method().resource_id)),
        entry("resourcePath", Value::str(&x.method().resource_path)),
        entry("stage", Value::str(&x.stage().name)),
    ])
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
