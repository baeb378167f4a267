//! Signing the gateway's own calls to AWS (Lambda Invoke and the service integrations), with the
//! canonical rules the admin verifier checks (`canonical.rs`), computed without allocating: the
//! canonical request is fed to SHA-256 piece by piece, and every hex form lives on the stack.
//!
//! The derived signing key (four HMACs over date, region and service) changes once a day per
//! region and service, so each core keeps the last ones it derived in a `KeyCache`.
//!
//! Signed headers: `host`, `x-amz-date`, `x-amz-security-token` (with temporary credentials) and
//! whatever the caller adds (`content-type`, `x-amz-target`), sorted as SigV4 requires. The
//! caller writes every other header itself; the ones this signs it writes here.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::ALGORITHM;

/// Access key, secret and (for temporary credentials) session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// Never prints the secret or the token.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A request as it will be sent.
pub struct Outbound<'a> {
    pub method: &'a str,
    /// The path as sent (percent-encoded, no query), free of dot and empty segments.
    pub path: &'a str,
    /// The query in canonical form (pairs encoded and sorted), or empty.
    pub query: &'a str,
    pub host: &'a str,
    /// Extra headers to sign: lower-case names, values as sent.
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: &'a [u8],
}

/// Signing keys derived recently, keyed by (day, region, service).
/// One derived key: (day, region, service, key, the secret it was derived from). The secret is
/// compared so a refreshed secret never signs with a stale key.
type DerivedKey = ([u8; 8], String, String, [u8; 32], String);

#[derive(Default)]
pub struct KeyCache {
    keys: Vec<DerivedKey>,
}

impl KeyCache {
    fn key(&mut self, secret: &str, date: &[u8; 8], region: &str, service: &str) -> [u8; 32] {
        if let Some(k) = self
            .keys
            .iter()
            .find(|k| &k.0 == date && k.1 == region && k.2 == service && k.4 == secret)
        {
            return k.3;
        }
        let mut secret_key = Vec::with_capacity(secret.len() + 4);
        secret_key.extend_from_slice(b"AWS4");
        secret_key.extend_from_slice(secret.as_bytes());
        let k_date = hmac(&secret_key, date);
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, service.as_bytes());
        let k = hmac(&k_service, b"aws4_request");
        // A few regions and services per gateway; a new day replaces the old keys.
        self.keys.retain(|k| &k.0 == date);
        if self.keys.len() >= 16 {
            self.keys.clear();
        }
        self.keys.push((
            *date,
            region.to_string(),
            service.to_string(),
            k,
            secret.to_string(),
        ));
        k
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail here.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub(super) fn hex32(b: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, x) in b.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(x >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(x & 15)];
    }
    out
}

/// `YYYYMMDDTHHMMSSZ` on the stack.
fn amz_date(secs: u64) -> [u8; 16] {
    super::time::format_into(secs)
}

/// Feeds `path`'s canonical form (each segment percent-encoded again, RFC 3986 unreserved kept)
/// to `feed`.
fn feed_canonical_uri(path: &str, feed: &mut impl FnMut(&[u8])) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if path.is_empty() {
        feed(b"/");
        return;
    }
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            feed(&[b]);
        } else {
            feed(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

thread_local! {
    /// This core's derived keys (one thread per core).
    static CORE_KEYS: std::cell::RefCell<KeyCache> = std::cell::RefCell::new(KeyCache::default());
}

/// `sign_into` with this core's key cache: what every outbound call on a worker uses.
pub fn sign_on_core(
    creds: &Credentials,
    region: &str,
    service: &str,
    req: &Outbound<'_>,
    now_secs: u64,
    out: &mut Vec<u8>,
) {
    CORE_KEYS.with(|k| {
        sign_into(
            creds,
            region,
            service,
            req,
            now_secs,
            &mut k.borrow_mut(),
            out,
        )
    });
}

/// The signing key for `secret` on `date` (`YYYYMMDD`), `region` and `service`, from this core's
/// cache (the verifier's side of the same derivation).
pub(super) fn derived_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut day = [0u8; 8];
    if date.len() == 8 {
        day.copy_from_slice(date.as_bytes());
    }
    CORE_KEYS.with(|k| k.borrow_mut().key(secret, &day, region, service))
}

/// Lower-case hex SHA-256 of `payload`.
pub fn payload_hash(payload: &[u8]) -> [u8; 64] {
    hex32(&Sha256::digest(payload).into())
}

/// Signs `req` and appends the signing headers (`X-Amz-Date`, `X-Amz-Security-Token` when the
/// credentials have one, `Authorization`) to `out`, each ending in CRLF.
pub fn sign_into(
    creds: &Credentials,
    region: &str,
    service: &str,
    req: &Outbound<'_>,
    now_secs: u64,
    keys: &mut KeyCache,
    out: &mut Vec<u8>,
) {
    let date_time = amz_date(now_secs);
    let date: [u8; 8] = date_time[..8].try_into().expect("16 > 8");
    let date_time_str = std::str::from_utf8(&date_time).unwrap_or_default();
    // The signed headers, sorted by name (at most a handful: a stack array).
    let mut signed: [(&str, &str); 8] = [("", ""); 8];
    let mut n = 0;
    let mut add = |name, value| {
        if n < signed.len() {
            signed[n] = (name, value);
            n += 1;
        }
    };
    add("host", req.host);
    add("x-amz-date", date_time_str);
    if let Some(t) = &creds.session_token {
        add("x-amz-security-token", t.as_str());
    }
    for &(name, value) in req.headers {
        add(name, value);
    }
    let signed = &mut signed[..n];
    signed.sort_by(|a, b| a.0.cmp(b.0));

    let mut h = Sha256::new();
    let mut feed = |b: &[u8]| h.update(b);
    feed(req.method.as_bytes());
    feed(b"\n");
    feed_canonical_uri(req.path, &mut feed);
    feed(b"\n");
    feed(req.query.as_bytes());
    feed(b"\n");
    for (name, value) in signed.iter() {
        feed(name.as_bytes());
        feed(b":");
        for (i, word) in value.split_ascii_whitespace().enumerate() {
            if i > 0 {
                feed(b" ");
            }
            feed(word.as_bytes());
        }
        feed(b"\n");
    }
    feed(b"\n");
    for (i, (name, _)) in signed.iter().enumerate() {
        if i > 0 {
            feed(b";");
        }
        feed(name.as_bytes());
    }
    feed(b"\n");
    feed(&payload_hash(req.payload));
    let canonical_hash = hex32(&h.finalize().into());

    let key = keys.key(&creds.secret_access_key, &date, region, service);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    for part in [
        ALGORITHM.as_bytes(),
        b"\n",
        &date_time,
        b"\n",
        &date,
        b"/",
        region.as_bytes(),
        b"/",
        service.as_bytes(),
        b"/aws4_request\n",
        &canonical_hash,
    ] {
        mac.update(part);
    }
    let signature = hex32(&mac.finalize().into_bytes().into());

    out.extend_from_slice(b"X-Amz-Date: ");
    out.extend_from_slice(&date_time);
    out.extend_from_slice(b"\r\n");
    if let Some(t) = &creds.session_token {
        out.extend_from_slice(b"X-Amz-Security-Token: ");
        out.extend_from_slice(t.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Authorization: ");
    out.extend_from_slice(ALGORITHM.as_bytes());
    out.extend_from_slice(b" Credential=");
    out.extend_from_slice(creds.access_key_id.as_bytes());
    out.push(b'/');
    out.extend_from_slice(&date);
    out.push(b'/');
    out.extend_from_slice(region.as_bytes());
    out.push(b'/');
    out.extend_from_slice(service.as_bytes());
    out.extend_from_slice(b"/aws4_request, SignedHeaders=");
    for (i, (name, _)) in signed.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_bytes());
    }
    out.extend_from_slice(b", Signature=");
    out.extend_from_slice(&signature);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: token.map(Into::into),
        }
    }

    fn header<'a>(out: &'a str, name: &str) -> &'a str {
        out.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .unwrap()
    }

    /// AWS's own SigV4 test suite, `get-vanilla`: 2015-08-30T12:36:00Z, service `service`.
    #[test]
    fn matches_the_aws_test_suite() {
        let req = Outbound {
            method: "GET",
            path: "/",
            query: "",
            host: "example.amazonaws.com",
            headers: &[],
            payload: b"",
        };
        let mut out = Vec::new();
        sign_into(
            &creds(None),
            "us-east-1",
            "service",
            &req,
            1_440_938_160,
            &mut KeyCache::default(),
            &mut out,
        );
        let out = String::from_utf8(out).unwrap();
        assert_eq!(header(&out, "X-Amz-Date"), "20150830T123600Z");
        assert_eq!(
            header(&out, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// What this signs, the admin verifier (the same canonical rules) accepts, with a session
    /// token, extra headers out of order, an encoded path and a body.
    #[test]
    fn the_verifier_accepts_what_the_signer_signs() {
        let body = br#"{"a":1}"#;
        let path = "/2015-03-31/functions/my%3Afn/invocations";
        let req = Outbound {
            method: "POST",
            path,
            query: "",
            host: "127.0.0.1:9001",
            headers: &[
                ("x-amz-target", "T.Op"),
                ("content-type", "application/json"),
            ],
            payload: body,
        };
        let now = 1_700_000_000;
        let c = creds(Some("tok"));
        let mut keys = KeyCache::default();
        let mut out = Vec::new();
        sign_into(&c, "eu-west-1", "lambda", &req, now, &mut keys, &mut out);
        // The cached key signs the same.
        let mut again = Vec::new();
        sign_into(&c, "eu-west-1", "lambda", &req, now, &mut keys, &mut again);
        assert_eq!(out, again);
        let out = String::from_utf8(out).unwrap();
        let headers: Vec<(String, String)> = [
            ("host", "127.0.0.1:9001"),
            ("content-type", "application/json"),
            ("x-amz-target", "T.Op"),
            ("x-amz-date", header(&out, "X-Amz-Date")),
            ("x-amz-security-token", header(&out, "X-Amz-Security-Token")),
            ("authorization", header(&out, "Authorization")),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        let view = crate::aws::sigv4::RequestView {
            method: "POST",
            path,
            query: &[],
            headers: &headers,
            body,
        };
        let secret = |token| crate::aws::sigv4::Secret {
            secret_access_key: c.secret_access_key.as_str(),
            session_token: token,
        };
        let verified = crate::aws::sigv4::verify_signed(&view, "lambda", now, |id, _| {
            (id == "AKIDEXAMPLE").then_some(((), secret(Some("tok"))))
        });
        assert!(verified.is_ok(), "{verified:?}");
        // The token is part of the credential: without it configured, the key is refused.
        let untokened =
            crate::aws::sigv4::verify_signed(&view, "lambda", now, |_, _| Some(((), secret(None))));
        assert_eq!(
            untokened,
            Err(crate::aws::sigv4::SigV4Error::UnknownAccessKey)
        );
        assert!(header(&out, "Authorization").contains(
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
        ));
        // A different secret does not verify.
        let wrong = crate::aws::sigv4::verify(&view, "lambda", now, |_| Some("other"));
        assert!(wrong.is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let text = format!("{:?}", creds(Some("tok")));
        assert!(!text.contains("wJalr") && !text.contains("tok\""), "{text}");
    }
}
