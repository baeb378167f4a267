//! A small SigV4 signer for the black-box tests, written apart from the crate's verifier so the
//! two check each other. It mimics botocore's `SigV4Auth` for a non-S3 service: the canonical
//! query is the raw query split on `&` and sorted (as botocore's `_canonical_query_string_url`),
//! the canonical URI is the raw path re-encoded (so `%2F` becomes `%252F`), every header passed in
//! plus `host` and `x-amz-date` is signed.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};

/// The read-write credential every test config carries (and the env pair for the embedded config).
pub const ADMIN_KEY: Key = Key {
    id: "AKIATOLLGATETEST0001",
    secret: "tollgate/Test+Secret0000000000000000000",
};
/// A read-only credential in every rendered test config.
pub const READ_ONLY_KEY: Key = Key {
    id: "AKIATOLLGATEREAD0001",
    secret: "tollgate/ReadOnly+Secret000000000000000",
};

#[derive(Clone, Copy, Debug)]
pub struct Key {
    pub id: &'static str,
    pub secret: &'static str,
}

/// An owned key pair (e.g. read back from a generated credentials file).
#[derive(Clone, Debug)]
pub struct OwnedKey {
    pub id: String,
    pub secret: String,
}

impl From<Key> for OwnedKey {
    fn from(k: Key) -> OwnedKey {
        OwnedKey {
            id: k.id.into(),
            secret: k.secret.into(),
        }
    }
}

/// The headers to add to a request (`X-Amz-Date`, `Authorization`) signed at the current time.
pub fn sign_headers(
    key: &OwnedKey,
    method: &str,
    target: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<(String, String)> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    sign_headers_at(key, now, method, target, host, headers, body)
}

/// Percent-decodes `s`, then encodes everything but RFC 3986 unreserved characters.
fn query_encode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                decoded.push(b);
                i += 3;
                continue;
            }
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    let mut out = String::with_capacity(decoded.len() * 3);
    for b in decoded {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// [`sign_headers`] at Unix time `now`.
pub fn sign_headers_at(
    key: &OwnedKey,
    now: u64,
    method: &str,
    target: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<(String, String)> {
    let amz_date = amz_date(now);
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    all.push(("host".into(), host.into()));
    all.push(("x-amz-date".into(), amz_date.clone()));
    all.sort();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    // Canonical query: each key and value decoded, then re-encoded with the RFC 3986 unreserved
    // set (what botocore puts on the wire, e.g. `,` as `%2C`), sorted.
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (query_encode(k), query_encode(v)))
        .collect();
    pairs.sort();
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let signed = all
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_headers: String = all.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let canonical = format!(
        "{method}\n{}\n{query}\n{canonical_headers}\n{signed}\n{}",
        quote_path(path),
        hex(&Sha256::digest(body))
    );
    let date = &amz_date[..8];
    let scope = format!("{date}/us-east-1/apigateway/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut k = hmac(format!("AWS4{}", key.secret).as_bytes(), date.as_bytes());
    for part in ["us-east-1", "apigateway", "aws4_request"] {
        k = hmac(&k, part.as_bytes());
    }
    let signature = hex(&hmac(&k, to_sign.as_bytes()));
    vec![
        ("X-Amz-Date".into(), amz_date),
        (
            "Authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
                key.id
            ),
        ),
    ]
}

/// botocore's `quote(path, safe='/~')` (the tests send no dot segments or empty segments).
fn quote_path(path: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    path.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `YYYYMMDDTHHMMSSZ`, from the `time` crate's calendar (not the gateway's own formatter, so
/// the harness stays an independent signer).
pub fn amz_date(secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs as i64).expect("a date before 10000");
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
