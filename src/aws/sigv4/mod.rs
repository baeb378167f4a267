//! AWS Signature Version 4, computed exactly as botocore signs (`botocore/auth.py`, `SigV4Auth`):
//! verification for the admin port, so the aws CLI and boto3 are accepted unchanged, and
//! (`sign.rs`) the signing of the gateway's own calls to AWS, on the same canonical rules.
//!
//! Role: `auth` hands a request and a secret lookup to [`verify`]; the data plane's AWS_IAM
//! phase hands its raw request to [`verify_signed`] (`verify.rs`, which `verify` runs too, so
//! both ports check signatures with one piece of code). Each returns who signed it or a
//! [`SigV4Error`], which its caller turns into AWS's status and message.
//! Order of checks (cheap and secret-free first): parse the header or the presigned query
//! (Incomplete) -> date shape -> access key known (UnrecognizedClient) -> session token -> clock
//! skew within 5 minutes (presigned: within its expiry) -> credential scope -> payload hash ->
//! signature (InvalidSignature).
//!
//! Invariants: no panic on any input; the signature is compared in constant time; secrets never
//! appear in an error message.

mod canonical;
mod parse;
pub mod sign;
pub mod time;
mod verify;

pub use canonical::{canonical_query, canonical_request, canonical_uri, uri_encode, RequestView};
pub use parse::{parse_authorization, Authorization, ALGORITHM};
use std::borrow::Cow;
pub use verify::{
    feed_raw_canonical_query, raw_query_param, verify_signed, Secret, Signed, MAX_PRESIGN_EXPIRES,
    UNSIGNED_PAYLOAD,
};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// How far `X-Amz-Date` may be from the server's clock, either way (AWS's 5 minutes).
pub const MAX_SKEW_SECS: u64 = 5 * 60;

/// Why a request's signature was refused. Each maps to one AWS error type (see `error.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    /// No `Authorization` header at all: AWS's `MissingAuthenticationTokenException`.
    Missing,
    /// The header or date is malformed; the message is AWS's, ending in `Authorization=...`.
    Incomplete(String),
    /// The access key id is not configured.
    UnknownAccessKey,
    /// The scope names the wrong service, terminator or date: message as AWS gives it.
    Scope(String),
    /// `X-Amz-Date` is more than five minutes in the past (`date`, `now`: SigV4 timestamps).
    Expired { date: String, now: u64 },
    /// A presigned request's `X-Amz-Date + X-Amz-Expires` has passed.
    PresignExpired {
        date: String,
        expires: u64,
        now: u64,
    },
    /// `X-Amz-Date` is more than five minutes in the future.
    NotYetCurrent { date: String, now: u64 },
    /// `X-Amz-Content-Sha256` is not the hash of the body that arrived.
    PayloadHashMismatch,
    /// Everything parsed, but the signature is not the one the secret gives.
    Mismatch,
}

impl SigV4Error {
    /// AWS's message for this error.
    pub fn message(&self) -> String {
        match self {
            SigV4Error::Missing => "Missing Authentication Token".into(),
            SigV4Error::Incomplete(m) | SigV4Error::Scope(m) => m.clone(),
            SigV4Error::UnknownAccessKey => {
                "The security token included in the request is invalid.".into()
            }
            SigV4Error::Expired { date, now } => format!(
                "Signature expired: {date} is now earlier than {} ({} - 5 min.)",
                time::format(now.saturating_sub(MAX_SKEW_SECS)),
                time::format(*now)
            ),
            SigV4Error::PresignExpired { date, expires, now } => format!(
                "Signature expired: {date} is now earlier than {} ({} - {expires} sec.)",
                time::format(now.saturating_sub(*expires)),
                time::format(*now)
            ),
            SigV4Error::NotYetCurrent { date, now } => format!(
                "Signature not yet current: {date} is still later than {} ({} + 5 min.)",
                time::format(now + MAX_SKEW_SECS),
                time::format(*now)
            ),
            SigV4Error::PayloadHashMismatch => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .into()
            }
            SigV4Error::Mismatch => "The request signature we calculated does not match the \
                signature you provided. Check your AWS Secret Access Key and signing method. \
                Consult the service documentation for details."
                .into(),
        }
    }
}

/// Who signed a verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub access_key_id: String,
    pub region: String,
}

/// Verifies `req` (the `Authorization` header or the presigned query) for `service` at Unix
/// time `now`, with `secret_for` mapping an access key id to its secret (long-term keys: a
/// request carrying a session token is refused).
pub fn verify<'k>(
    req: &RequestView,
    service: &str,
    now: u64,
    secret_for: impl Fn(&str) -> Option<&'k str>,
) -> Result<Verified, SigV4Error> {
    verify_signed(req, service, now, |id, region| {
        let secret = secret_for(id)?;
        Some((
            Verified {
                access_key_id: id.to_string(),
                region: region.to_string(),
            },
            Secret {
                secret_access_key: secret,
                session_token: None,
            },
        ))
    })
}

/// The admin's request (query already decoded into pairs) as the verifier reads it.
impl Signed for RequestView<'_> {
    fn method(&self) -> &str {
        self.method
    }
    fn path(&self) -> &str {
        self.path
    }
    fn header(&self, name: &str) -> Option<&str> {
        RequestView::header(self, name)
    }
    fn each_header(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        for (_, v) in self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            f(v.as_bytes());
        }
    }
    fn query_param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| Cow::Borrowed(v.as_str()))
    }
    fn feed_canonical_query(&self, presigned: bool, feed: &mut dyn FnMut(&[u8])) {
        let kept: Vec<(String, String)> = self
            .query
            .iter()
            .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
            .cloned()
            .collect();
        feed(canonical_query(&kept).as_bytes());
    }
    fn body(&self) -> &[u8] {
        self.body
    }
}

/// AWS's scope checks: right service, right terminator, a region, the date of `X-Amz-Date`.
fn check_scope(auth: &Authorization, amz_date: &str, service: &str) -> Result<(), SigV4Error> {
    if auth.date != &amz_date[..8] {
        return Err(SigV4Error::Scope(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '{}' != '{}', from 'X-Amz-Date'.",
            auth.date,
            &amz_date[..8]
        )));
    }
    if auth.region.is_empty() {
        return Err(SigV4Error::Scope(
            "Credential should be scoped to a valid region. ".into(),
        ));
    }
    if auth.service != service {
        return Err(SigV4Error::Scope(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    if auth.terminator != "aws4_request" {
        return Err(SigV4Error::Scope(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
            auth.terminator
        )));
    }
    Ok(())
}

/// Hex SHA-256 of the body: the canonical request's last line.
pub fn payload_hash(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

/// `AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hex(sha256(canonical))}`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    )
}

/// The hex signature of `string_to_sign` under the key derived from `secret`
/// (kDate -> kRegion -> kService -> kSigning).
pub fn signature(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> String {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex(&hmac(&k_signing, string_to_sign.as_bytes()))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail here.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Equality whose time depends only on the lengths, so a forger learns nothing from timing
/// about how many leading characters of a guessed signature were right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Signs a request as botocore would (service `apigateway`, region `us-east-1`), for Tollgate's
/// own clients of the admin port (`tollgate backup` against a running gateway). Returns the
/// `X-Amz-Date` and `Authorization` header values; `host` must be the `Host` header sent.
pub fn sign(
    access_key_id: &str,
    secret: &str,
    method: &str,
    path: &str,
    host: &str,
    body: &[u8],
    now_epoch: u64,
) -> (String, String) {
    const REGION: &str = "us-east-1";
    const SERVICE: &str = "apigateway";
    let amz_date = time::format(now_epoch);
    let date = &amz_date[..8];
    let headers = [
        ("host".to_string(), host.to_string()),
        ("x-amz-date".to_string(), amz_date.clone()),
    ];
    let view = canonical::RequestView {
        method,
        path,
        query: &[],
        headers: &headers,
        body,
    };
    let signed = ["host", "x-amz-date"];
    let canonical = canonical::canonical_request(&view, &signed, &payload_hash(body));
    let scope = format!("{date}/{REGION}/{SERVICE}/aws4_request");
    let sts = string_to_sign(&amz_date, &scope, &canonical);
    let sig = signature(secret, date, REGION, SERVICE, &sts);
    let auth = format!(
        "{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={sig}",
        signed.join(";")
    );
    (amz_date, auth)
}

#[cfg(test)]
mod tests;
