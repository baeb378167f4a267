//! `AWS` service integrations (SQS, SNS, DynamoDB, Kinesis, S3, Step Functions, EventBridge…):
//! transform request builds them as HTTP integration requests to the service's endpoint (the
//! request template as the body, `requestParameters` as headers such as `X-Amz-Target` and
//! `Content-Type`, and the query), and `sign` adds SigV4 for the ARN's service and region, with
//! the gateway's credentials, as the last step before sending.
//!
//! Signed: `host`, `x-amz-date`, `x-amz-security-token` (temporary credentials), and the request's
//! `content-type` and `x-amz-*` headers, as the SDKs sign them. S3 gets `x-amz-content-sha256` and
//! its canonical path as sent (S3 alone does not encode the path twice).

use super::respond::Reject;
use super::Exchange;
use crate::aws::sigv4::sign::{payload_hash, Outbound};
use crate::deploy::snapshot::Upstream;
use crate::http::uri::{decoded, Form};

/// Signs the integration request built in `out` (head and body) in place.
pub fn sign(x: &Exchange<'_>, up: &Upstream, out: &mut Vec<u8>) -> Result<(), Reject> {
    let Some(call) = &x.integration().aws else {
        return Err(Reject::Internal);
    };
    let creds = super::lambda::credentials(x)?;
    let Some(head_end) = out.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(Reject::Internal);
    };
    let head = String::from_utf8_lossy(&out[..head_end]).into_owned();
    let body = out[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.splitn(3, ' ');
    let (method, target) = (parts.next().unwrap_or("GET"), parts.next().unwrap_or("/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let s3 = &*call.service == "s3";

    // The canonical query: each pair decoded, then encoded and sorted by the signer's rules.
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                String::from_utf8_lossy(&decoded(s.as_bytes(), Form::Path).collect::<Vec<u8>>())
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect();
    let canonical_query = crate::aws::sigv4::canonical_query(&pairs);

    let content_sha = s3.then(|| payload_hash(&body));
    let content_sha_str = content_sha
        .as_ref()
        .map(|h| String::from_utf8_lossy(h).into_owned());
    // A name sent twice is signed once, its values joined by `,` (SigV4's rule).
    let mut headers: Vec<(String, String)> = Vec::new();
    for (n, v) in lines.filter_map(|l| l.split_once(':')) {
        let (n, v) = (n.trim().to_ascii_lowercase(), v.trim());
        if !(n == "content-type" || (n.starts_with("x-amz-") && n != "x-amz-date")) {
            continue;
        }
        match headers.iter_mut().find(|(m, _)| *m == n) {
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(v);
            }
            None => headers.push((n, v.to_string())),
        }
    }
    if let Some(h) = &content_sha_str {
        headers.push(("x-amz-content-sha256".into(), h.clone()));
    }
    let signed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    // S3 signs the path as sent; every other service its encoded form encoded again.
    let canonical_path;
    let path_for_signing = if s3 {
        canonical_path =
            String::from_utf8_lossy(&decoded(path.as_bytes(), Form::Path).collect::<Vec<u8>>())
                .into_owned();
        &canonical_path
    } else {
        path
    };
    let req = Outbound {
        method,
        path: path_for_signing,
        query: &canonical_query,
        host: &up.authority,
        headers: &signed,
        payload: &body,
    };
    let mut extra = Vec::with_capacity(512);
    if let Some(h) = &content_sha_str {
        extra.extend_from_slice(b"X-Amz-Content-Sha256: ");
        extra.extend_from_slice(h.as_bytes());
        extra.extend_from_slice(b"\r\n");
    }
    super::lambda::sign(x, call, &creds, &req, &mut extra);
    // Into the head, before its blank line.
    out.splice(head_end + 2..head_end + 2, extra);
    Ok(())
}
