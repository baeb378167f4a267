//! The one SigV4 verifier, for the admin port (`apigateway`) and the data plane (`execute-api`):
//! the `Authorization` header form and the query-string (presigned) form, session tokens, clock
//! skew, presigned expiry, payload hash. The canonical request is streamed into SHA-256 piece by
//! piece (never built as a `String` on the common path), the signing key comes from the core's
//! `KeyCache` (four HMACs once a day per key, region and service), and every hex form lives on
//! the stack: a valid header-signed request allocates nothing here.
//!
//! A request is read through [`Signed`], so the admin's decoded request and the data plane's raw
//! head are verified by the same code. Order of checks (cheap and secret-free first): form ->
//! parse (Incomplete) -> date shape -> access key known (UnknownAccessKey) -> session token ->
//! clock skew / presigned expiry -> credential scope -> payload hash -> signature (Mismatch).
//!
//! Presigned (botocore's `SigV4QueryAuth`): `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
//! `X-Amz-Expires` (1..=604800 s), `X-Amz-SignedHeaders`, `X-Amz-Signature`, and
//! `X-Amz-Security-Token` with session credentials, all in the query; the canonical query is
//! every parameter but `X-Amz-Signature`; the payload line is the body's hash, or
//! `UNSIGNED-PAYLOAD` (both are accepted). Valid from five minutes before `X-Amz-Date` to
//! `X-Amz-Date + X-Amz-Expires`.

use super::parse::{signed_headers_problem, split_credential};
use super::sign::{derived_key, payload_hash};
use super::{parse_authorization, Authorization, SigV4Error, ALGORITHM, MAX_SKEW_SECS};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// The longest a presigned URL may be valid: seven days, as AWS allows.
pub const MAX_PRESIGN_EXPIRES: u64 = 604_800;
/// The payload line of a presigned request whose body was not hashed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// A request as the verifier reads it.
pub trait Signed {
    fn method(&self) -> &str;
    /// The path as sent (still percent-encoded), without the query.
    fn path(&self) -> &str;
    /// The first value of header `name` (lower case; any case on the wire).
    fn header(&self, name: &str) -> Option<&str>;
    /// Every value of header `name` (lower case; any case on the wire), in order.
    fn each_header(&self, name: &str, f: &mut dyn FnMut(&[u8]));
    /// The decoded value of the first query parameter named exactly `name`.
    fn query_param(&self, name: &str) -> Option<Cow<'_, str>>;
    /// Feeds the canonical query string (pairs encoded, sorted), leaving out `X-Amz-Signature`
    /// when `presigned`.
    fn feed_canonical_query(&self, presigned: bool, feed: &mut dyn FnMut(&[u8]));
    fn body(&self) -> &[u8];
}

/// A configured credential's secret and, for temporary credentials, its session token.
#[derive(Clone, Copy)]
pub struct Secret<'k> {
    pub secret_access_key: &'k str,
    pub session_token: Option<&'k str>,
}

/// Verifies `req` for `service` at Unix time `now`. `lookup(access_key_id, region)` names the
/// credential (`T`: whatever the caller wants back: an index, an id) and its secret.
pub fn verify_signed<'k, T>(
    req: &(impl Signed + ?Sized),
    service: &str,
    now: u64,
    lookup: impl FnOnce(&str, &str) -> Option<(T, Secret<'k>)>,
) -> Result<T, SigV4Error> {
    if let Some(header) = req.header("authorization") {
        let amz_date = req.header("x-amz-date");
        let auth = parse_authorization(header, amz_date.is_some())?;
        let form = Form {
            auth,
            amz_date: amz_date.unwrap_or_default(),
            expires: None,
            token: req.header("x-amz-security-token"),
        };
        return check(req, service, now, &form, lookup);
    }
    let algorithm = req.query_param("X-Amz-Algorithm");
    let credential = req.query_param("X-Amz-Credential");
    if algorithm.is_none() && credential.is_none() {
        return Err(SigV4Error::Missing);
    }
    let date = req.query_param("X-Amz-Date");
    let expires = req.query_param("X-Amz-Expires");
    let signed = req.query_param("X-Amz-SignedHeaders");
    let signature = req.query_param("X-Amz-Signature");
    let token = req.query_param("X-Amz-Security-Token");
    let incomplete = |m: String| SigV4Error::Incomplete(m);
    for (name, v) in [
        ("X-Amz-Algorithm", &algorithm),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Signature", &signature),
        ("X-Amz-SignedHeaders", &signed),
        ("X-Amz-Date", &date),
        ("X-Amz-Expires", &expires),
    ] {
        if v.as_deref().is_none_or(str::is_empty) {
            return Err(incomplete(format!(
                "AWS query-string parameters must include '{name}'. Re-examine the query-string \
                 parameters."
            )));
        }
    }
    let (algorithm, credential, date, expires, signed, signature) = (
        algorithm.unwrap_or_default(),
        credential.unwrap_or_default(),
        date.unwrap_or_default(),
        expires.unwrap_or_default(),
        signed.unwrap_or_default(),
        signature.unwrap_or_default(),
    );
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'; use '{ALGORITHM}'. "
        )));
    }
    let Some([access_key_id, day, region, svc, terminator]) = split_credential(&credential) else {
        return Err(incomplete(format!(
            "Credential '{credential}' is not of the form \
             'AccessKeyId/YYYYMMDD/region/service/aws4_request'. "
        )));
    };
    if access_key_id.is_empty() {
        return Err(incomplete(
            "AWS query-string parameters must include 'X-Amz-Credential'. Re-examine the \
             query-string parameters."
                .into(),
        ));
    }
    if let Some(problem) = signed_headers_problem(&signed) {
        return Err(incomplete(problem));
    }
    let expires = match expires.parse::<u64>() {
        Ok(e) if (1..=MAX_PRESIGN_EXPIRES).contains(&e) => e,
        _ => {
            return Err(incomplete(format!(
                "X-Amz-Expires must be a number of seconds from 1 to {MAX_PRESIGN_EXPIRES}, \
                 not '{expires}'. "
            )))
        }
    };
    let form = Form {
        auth: Authorization {
            access_key_id,
            date: day,
            region,
            service: svc,
            terminator,
            signed: &signed,
            signature: &signature,
        },
        amz_date: &date,
        expires: Some(expires),
        token: token.as_deref(),
    };
    check(req, service, now, &form, lookup)
}

/// A parsed signature of either form.
struct Form<'a> {
    auth: Authorization<'a>,
    amz_date: &'a str,
    /// `Some` for the presigned form.
    expires: Option<u64>,
    token: Option<&'a str>,
}

fn check<'k, T>(
    req: &(impl Signed + ?Sized),
    service: &str,
    now: u64,
    form: &Form<'_>,
    lookup: impl FnOnce(&str, &str) -> Option<(T, Secret<'k>)>,
) -> Result<T, SigV4Error> {
    let auth = &form.auth;
    let amz_date = form.amz_date;
    let Some(date_secs) = super::time::parse(amz_date) else {
        return Err(SigV4Error::Incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. \
             See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    let (who, secret) =
        lookup(auth.access_key_id, auth.region).ok_or(SigV4Error::UnknownAccessKey)?;
    // Temporary credentials are only valid with their token; a long-term key takes none.
    let token_ok = match (secret.session_token, form.token) {
        (None, None) => true,
        (Some(want), Some(got)) => super::constant_time_eq(want.as_bytes(), got.as_bytes()),
        _ => false,
    };
    if !token_ok {
        return Err(SigV4Error::UnknownAccessKey);
    }
    match form.expires {
        None if date_secs + MAX_SKEW_SECS < now => {
            return Err(SigV4Error::Expired {
                date: amz_date.into(),
                now,
            })
        }
        Some(expires) if date_secs + expires < now => {
            return Err(SigV4Error::PresignExpired {
                date: amz_date.into(),
                expires,
                now,
            })
        }
        _ => {}
    }
    if date_secs > now + MAX_SKEW_SECS {
        return Err(SigV4Error::NotYetCurrent {
            date: amz_date.into(),
            now,
        });
    }
    super::check_scope(auth, amz_date, service)?;
    let body_hash = payload_hash(req.body());
    let body_hash = std::str::from_utf8(&body_hash).unwrap_or_default();
    let claimed = req.header("x-amz-content-sha256");
    let presigned = form.expires.is_some();
    let payload = match claimed {
        Some(c) if presigned && c == UNSIGNED_PAYLOAD => UNSIGNED_PAYLOAD,
        Some(c) if !c.eq_ignore_ascii_case(body_hash) => {
            return Err(SigV4Error::PayloadHashMismatch)
        }
        _ => body_hash,
    };
    let key = derived_key(
        secret.secret_access_key,
        auth.date,
        auth.region,
        auth.service,
    );
    let matches = |payload: &str| {
        let canonical = canonical_hash(req, auth, presigned, payload);
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        for part in [
            ALGORITHM.as_bytes(),
            b"\n",
            amz_date.as_bytes(),
            b"\n",
            auth.date.as_bytes(),
            b"/",
            auth.region.as_bytes(),
            b"/",
            auth.service.as_bytes(),
            b"/",
            auth.terminator.as_bytes(),
            b"\n",
            &canonical,
        ] {
            mac.update(part);
        }
        let expected = super::sign::hex32(&mac.finalize().into_bytes().into());
        super::constant_time_eq(&expected, auth.signature.as_bytes())
    };
    // A presigned URL may have been signed over the body or over `UNSIGNED-PAYLOAD`.
    if matches(payload) || (presigned && claimed.is_none() && matches(UNSIGNED_PAYLOAD)) {
        Ok(who)
    } else {
        Err(SigV4Error::Mismatch)
    }
}

/// Hex SHA-256 of the canonical request, streamed.
fn canonical_hash(
    req: &(impl Signed + ?Sized),
    auth: &Authorization<'_>,
    presigned: bool,
    payload: &str,
) -> [u8; 64] {
    let mut h = Sha256::new();
    let mut feed = |b: &[u8]| h.update(b);
    for b in req.method().bytes() {
        feed(&[b.to_ascii_uppercase()]);
    }
    feed(b"\n");
    feed_canonical_uri(req.path(), &mut feed);
    feed(b"\n");
    req.feed_canonical_query(presigned, &mut feed);
    feed(b"\n");
    for name in auth.signed_headers() {
        feed_lower(name, &mut feed);
        feed(b":");
        let mut first = true;
        req.each_header(&name.to_ascii_lowercase_cow(), &mut |v: &[u8]| {
            if !first {
                feed(b",");
            }
            first = false;
            for (i, word) in v
                .split(|b| b.is_ascii_whitespace())
                .filter(|w| !w.is_empty())
                .enumerate()
            {
                if i > 0 {
                    feed(b" ");
                }
                feed(word);
            }
        });
        feed(b"\n");
    }
    feed(b"\n");
    for (i, name) in auth.signed_headers().enumerate() {
        if i > 0 {
            feed(b";");
        }
        feed_lower(name, &mut feed);
    }
    feed(b"\n");
    feed(payload.as_bytes());
    super::sign::hex32(&h.finalize().into())
}

fn feed_lower(s: &str, feed: &mut impl FnMut(&[u8])) {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        for b in s.bytes() {
            feed(&[b.to_ascii_lowercase()]);
        }
    } else {
        feed(s.as_bytes());
    }
}

/// Lower-cases without allocating when the name already is (botocore always sends it so).
trait LowerCow {
    fn to_ascii_lowercase_cow(&self) -> Cow<'_, str>;
}

impl LowerCow for str {
    fn to_ascii_lowercase_cow(&self) -> Cow<'_, str> {
        if self.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(self.to_ascii_lowercase())
        } else {
            Cow::Borrowed(self)
        }
    }
}

/// The canonical URI: streamed when the path has no dot or empty segments (the usual case),
/// otherwise normalized by `canonical_uri` first.
fn feed_canonical_uri(path: &str, feed: &mut impl FnMut(&[u8])) {
    let b = path.as_bytes();
    let clean = b.first() == Some(&b'/')
        && !b.windows(2).any(|w| w == b"//")
        && !path.contains("/./")
        && !path.contains("/../")
        && !path.ends_with("/.")
        && !path.ends_with("/..");
    if clean {
        for &c in b {
            if c == b'/' {
                feed(b"/");
            } else {
                feed_encoded_byte(c, feed);
            }
        }
    } else {
        feed(super::canonical_uri(path).as_bytes());
    }
}

fn feed_encoded_byte(b: u8, feed: &mut impl FnMut(&[u8])) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
        feed(&[b]);
    } else {
        feed(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
    }
}

/// The bytes `raw` (a query key or value as sent) decodes to: `%XX` decoded, anything else kept
/// (`+` included: botocore never sends one for a space).
fn decoded(raw: &[u8]) -> impl Iterator<Item = u8> + Clone + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *raw.get(i)?;
        if b == b'%' {
            let hi = raw.get(i + 1).and_then(|h| (*h as char).to_digit(16));
            let lo = raw.get(i + 2).and_then(|h| (*h as char).to_digit(16));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                i += 3;
                return Some((hi * 16 + lo) as u8);
            }
        }
        i += 1;
        Some(b)
    })
}

/// The canonical (RFC 3986) encoding of what `raw` decodes to, byte by byte.
fn encoded(raw: &[u8]) -> impl Iterator<Item = u8> + '_ {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    decoded(raw).flat_map(|b| {
        let (arr, n) = if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            ([b, 0, 0], 1)
        } else {
            (
                [b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]],
                3,
            )
        };
        arr.into_iter().take(n)
    })
}

/// The decoded value of the first parameter named `name` in a raw query string.
pub fn raw_query_param<'q>(raw: &'q str, name: &str) -> Option<Cow<'q, str>> {
    raw.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if !decoded(k.as_bytes()).eq(name.bytes()) {
            return None;
        }
        Some(if v.contains('%') {
            // One allocation: decoding never lengthens.
            let mut bytes = Vec::with_capacity(v.len());
            bytes.extend(decoded(v.as_bytes()));
            Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            )
        } else {
            Cow::Borrowed(v)
        })
    })
}

/// Feeds the canonical form of a raw query string: pairs re-encoded and sorted by encoded key,
/// then encoded value, `X-Amz-Signature` left out when `presigned`. Up to 32 pairs are sorted on
/// the stack.
pub fn feed_raw_canonical_query(raw: &str, presigned: bool, feed: &mut dyn FnMut(&[u8])) {
    type Pair<'q> = (&'q [u8], &'q [u8]);
    let pairs = raw.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (k.as_bytes(), v.as_bytes())
    });
    let pairs = pairs.filter(|(k, _)| !(presigned && decoded(k).eq(*b"X-Amz-Signature")));
    let by_encoded = |a: &Pair<'_>, b: &Pair<'_>| {
        encoded(a.0)
            .cmp(encoded(b.0))
            .then_with(|| encoded(a.1).cmp(encoded(b.1)))
    };
    let emit = |sorted: &[Pair<'_>], feed: &mut dyn FnMut(&[u8])| {
        for (i, (k, v)) in sorted.iter().enumerate() {
            if i > 0 {
                feed(b"&");
            }
            decoded(k).for_each(|b| feed_encoded_byte(b, &mut |x: &[u8]| feed(x)));
            feed(b"=");
            decoded(v).for_each(|b| feed_encoded_byte(b, &mut |x: &[u8]| feed(x)));
        }
    };
    let mut stack: [Pair<'_>; 32] = [(&[], &[]); 32];
    let mut n = 0;
    let mut spill: Option<Vec<Pair<'_>>> = None;
    for p in pairs {
        match &mut spill {
            Some(v) => v.push(p),
            None if n < stack.len() => {
                stack[n] = p;
                n += 1;
            }
            None => {
                let mut v = stack.to_vec();
                v.push(p);
                spill = Some(v);
            }
        }
    }
    match spill {
        Some(mut v) => {
            v.sort_by(by_encoded);
            emit(&v, feed);
        }
        None => {
            let s = &mut stack[..n];
            s.sort_by(by_encoded);
            emit(s, feed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    /// 20150830T123600Z, when botocore signed every vector below.
    const T0: u64 = 1_440_938_160;
    const HOST: &str = "abc123.execute-api.localhost:8080";

    /// A request as the data plane holds it: the raw query string.
    struct Raw<'a> {
        method: &'a str,
        path: &'a str,
        query: &'a str,
        headers: Vec<(&'a str, &'a str)>,
        body: &'a [u8],
    }

    impl Signed for Raw<'_> {
        fn method(&self) -> &str {
            self.method
        }
        fn path(&self) -> &str {
            self.path
        }
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
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
            raw_query_param(self.query, name)
        }
        fn feed_canonical_query(&self, presigned: bool, feed: &mut dyn FnMut(&[u8])) {
            feed_raw_canonical_query(self.query, presigned, feed)
        }
        fn body(&self) -> &[u8] {
            self.body
        }
    }

    fn get(query: &str) -> Raw<'_> {
        Raw {
            method: "GET",
            path: "/prod/pets",
            query,
            headers: vec![("Host", HOST)],
            body: b"",
        }
    }

    fn run(req: &Raw<'_>, now: u64, token: Option<&str>) -> Result<&'static str, SigV4Error> {
        verify_signed(req, "execute-api", now, |id, region| {
            assert_eq!(region, "us-east-1");
            (id == "AKIDEXAMPLE").then_some((
                "alice",
                Secret {
                    secret_access_key: SECRET,
                    session_token: token,
                },
            ))
        })
    }

    /// botocore `SigV4QueryAuth(creds, "execute-api", "us-east-1", expires=300)` on
    /// `GET http://abc123.execute-api.localhost:8080/prod/pets?limit=5&name=a%20b` at T0.
    const PRESIGNED: &str = "limit=5&name=a%20b&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=71e46b7800e6bc49b17be3b7749ef46866e87eaddc75c8b85596e6869de03e01";
    /// The same signer with session token `tok/en+1=` and the default expiry (3600 s), no query.
    const PRESIGNED_TOKEN: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok%2Fen%2B1%3D&X-Amz-Signature=c2a80352293f412505629150c3f92324157d2a0300134fd95edae3cdb9d895cc";

    #[test]
    fn botocore_presigned_urls_verify_within_their_expiry() {
        let r = get(PRESIGNED);
        assert_eq!(run(&r, T0, None), Ok("alice"));
        assert_eq!(run(&r, T0 + 300, None), Ok("alice"));
        assert!(matches!(
            run(&r, T0 + 301, None),
            Err(SigV4Error::PresignExpired { expires: 300, .. })
        ));
        let m = run(&r, T0 + 301, None).unwrap_err().message();
        assert!(
            m.starts_with("Signature expired: 20150830T123600Z is now earlier than"),
            "{m}"
        );
        assert!(matches!(
            run(&r, T0 - 301, None),
            Err(SigV4Error::NotYetCurrent { .. })
        ));
        // Parameter order on the wire does not matter; the values do.
        let mut parts: Vec<&str> = PRESIGNED.split('&').collect();
        parts.reverse();
        let reordered = parts.join("&");
        assert_eq!(run(&get(&reordered), T0, None), Ok("alice"));
        let tampered = PRESIGNED.replace("limit=5", "limit=6");
        assert_eq!(run(&get(&tampered), T0, None), Err(SigV4Error::Mismatch));
        let longer = PRESIGNED.replace("X-Amz-Expires=300", "X-Amz-Expires=3000");
        assert_eq!(
            run(&get(&longer), T0 + 1000, None),
            Err(SigV4Error::Mismatch)
        );
        // A long-term key refuses a token; an unknown key is unknown.
        let with_token = format!("{PRESIGNED}&X-Amz-Security-Token=x");
        assert_eq!(
            run(&get(&with_token), T0, None),
            Err(SigV4Error::UnknownAccessKey)
        );
        let other = PRESIGNED.replace("AKIDEXAMPLE", "AKIDOTHER");
        assert_eq!(
            run(&get(&other), T0, None),
            Err(SigV4Error::UnknownAccessKey)
        );
    }

    #[test]
    fn presigned_session_tokens_must_match() {
        let r = get(PRESIGNED_TOKEN);
        assert_eq!(run(&r, T0 + 3600, Some("tok/en+1=")), Ok("alice"));
        assert_eq!(
            run(&r, T0, Some("other")),
            Err(SigV4Error::UnknownAccessKey)
        );
        assert_eq!(run(&r, T0, None), Err(SigV4Error::UnknownAccessKey));
        let none = PRESIGNED_TOKEN.replace("&X-Amz-Security-Token=tok%2Fen%2B1%3D", "");
        assert_eq!(
            run(&get(&none), T0, Some("tok/en+1=")),
            Err(SigV4Error::UnknownAccessKey)
        );
    }

    #[test]
    fn presigned_unsigned_payload_is_accepted() {
        // Signed here over UNSIGNED-PAYLOAD (what S3-style presigners send) with a body present.
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host";
        let canonical = format!("POST\n/prod/pets\n{q}\nhost:{HOST}\n\nhost\n{UNSIGNED_PAYLOAD}");
        let sts = super::super::string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/execute-api/aws4_request",
            &canonical,
        );
        let sig = super::super::signature(SECRET, "20150830", "us-east-1", "execute-api", &sts);
        let full = format!("{q}&X-Amz-Signature={sig}");
        let r = Raw {
            method: "POST",
            body: b"{}",
            ..get(&full)
        };
        assert_eq!(run(&r, T0, None), Ok("alice"));
    }

    #[test]
    fn incomplete_presigned_queries_name_what_is_missing() {
        for (drop, says) in [
            ("X-Amz-Credential", "must include 'X-Amz-Credential'"),
            ("X-Amz-Signature", "must include 'X-Amz-Signature'"),
            ("X-Amz-SignedHeaders", "must include 'X-Amz-SignedHeaders'"),
            ("X-Amz-Date", "must include 'X-Amz-Date'"),
            ("X-Amz-Expires", "must include 'X-Amz-Expires'"),
        ] {
            let q: Vec<&str> = PRESIGNED
                .split('&')
                .filter(|p| !p.starts_with(&format!("{drop}=")))
                .collect();
            match run(&get(&q.join("&")), T0, None) {
                Err(SigV4Error::Incomplete(m)) => assert!(m.contains(says), "{m}"),
                other => panic!("{drop}: {other:?}"),
            }
        }
        for (from, to, says) in [
            (
                "X-Amz-Expires=300",
                "X-Amz-Expires=604801",
                "X-Amz-Expires must be",
            ),
            (
                "X-Amz-Expires=300",
                "X-Amz-Expires=0",
                "X-Amz-Expires must be",
            ),
            (
                "AWS4-HMAC-SHA256",
                "AWS4-HMAC-SHA1",
                "Unsupported AWS 'algorithm'",
            ),
            ("SignedHeaders=host", "SignedHeaders=x-amz-date", "'Host'"),
            ("%2Faws4_request", "", "is not of the form"),
            ("X-Amz-Date=20150830T123600Z", "X-Amz-Date=2015", "ISO-8601"),
        ] {
            match run(&get(&PRESIGNED.replace(from, to)), T0, None) {
                Err(SigV4Error::Incomplete(m)) => assert!(m.contains(says), "{to}: {m}"),
                other => panic!("{to}: {other:?}"),
            }
        }
        assert_eq!(run(&get("limit=5"), T0, None), Err(SigV4Error::Missing));
    }

    /// botocore `SigV4Auth` (header form) with session token `tok` on a POST with a JSON body.
    #[test]
    fn botocore_header_form_with_a_session_token() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=1b09c585d52acf199a709caff0b0275817e50c8cbe0a492fe6f4c867a1f5103c";
        let r = Raw {
            method: "POST",
            path: "/prod/pets",
            query: "",
            headers: vec![
                ("Host", HOST),
                ("X-Amz-Date", "20150830T123600Z"),
                ("X-Amz-Security-Token", "tok"),
                ("Authorization", auth),
            ],
            body: br#"{"a":1}"#,
        };
        assert_eq!(run(&r, T0 + 299, Some("tok")), Ok("alice"));
        assert_eq!(run(&r, T0, None), Err(SigV4Error::UnknownAccessKey));
        assert!(matches!(
            run(&r, T0 + 301, Some("tok")),
            Err(SigV4Error::Expired { .. })
        ));
        let changed = Raw {
            body: br#"{"a":2}"#,
            ..r
        };
        assert_eq!(run(&changed, T0, Some("tok")), Err(SigV4Error::Mismatch));
    }

    #[test]
    fn raw_query_canonicalizes_as_the_decoded_one() {
        for raw in [
            "",
            "Param2=value2&Param1=value1",
            "b=2&a=z&a=y",
            "mode",
            "name=a%20b&x=%2F~%2B%2A",
            "x=/~+*&name=a b",
            "A=1&%20=2",
            "%7E=%7e&bad=%zz%4",
        ] {
            let mut got = Vec::new();
            feed_raw_canonical_query(raw, false, &mut |b| got.extend_from_slice(b));
            let pairs: Vec<(String, String)> = raw
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    let d = |s: &str| String::from_utf8(decoded(s.as_bytes()).collect()).unwrap();
                    (d(k), d(v))
                })
                .collect();
            assert_eq!(
                String::from_utf8(got).unwrap(),
                super::super::canonical_query(&pairs),
                "{raw}"
            );
        }
        // More pairs than the stack holds.
        let many: Vec<String> = (0..40).rev().map(|i| format!("k{i:02}=v")).collect();
        let mut got = Vec::new();
        feed_raw_canonical_query(&many.join("&"), false, &mut |b| got.extend_from_slice(b));
        let mut want = many.clone();
        want.sort();
        assert_eq!(String::from_utf8(got).unwrap(), want.join("&"));
    }

    #[test]
    fn presigned_query_leaves_out_the_signature_only() {
        let mut got = Vec::new();
        feed_raw_canonical_query(
            "X-Amz-Signature=abc&b=1&X-Amz-Date=20150830T123600Z&X-Amz-Signaturex=1",
            true,
            &mut |b| got.extend_from_slice(b),
        );
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "X-Amz-Date=20150830T123600Z&X-Amz-Signaturex=1&b=1"
        );
        assert_eq!(
            raw_query_param("a=1&X-Amz-Credential=AK%2F2015%2Fr", "X-Amz-Credential").as_deref(),
            Some("AK/2015/r")
        );
        assert_eq!(raw_query_param("a=1&b", "b").as_deref(), Some(""));
        assert_eq!(raw_query_param("a=1", "A"), None);
    }

    #[test]
    fn uri_streams_as_canonical_uri_normalizes() {
        for raw in [
            "",
            "/",
            "/restapis/",
            "//restapis//a1//",
            "/a/./b/../c",
            "/..",
            "/r%2Fx%20y",
            "/a+b=c:d@e",
            "/é",
            "/a/.",
            "/a/..",
        ] {
            let mut got = Vec::new();
            feed_canonical_uri(raw, &mut |b| got.extend_from_slice(b));
            assert_eq!(
                String::from_utf8(got).unwrap(),
                super::super::canonical_uri(raw),
                "{raw}"
            );
        }
    }
}
