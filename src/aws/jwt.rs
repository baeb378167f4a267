//! Cognito user pool tokens (JWTs), checked as a `COGNITO_USER_POOLS` authorizer checks them.
//! Pure: the token, the keys and the time come in, a verdict goes out; the JWKS fetcher
//! (`super::jwks`) and the authorize phase supply the keys and the clock. Fuzzed (`fuzz/jwt`).
//!
//! What is checked, in order (each failure is 401 Unauthorized on the data path):
//! 1. Size: at most `MAX_TOKEN_LEN` bytes (API Gateway's whole request header block is 10 KiB, so
//!    nothing larger ever reached AWS's authorizer), three base64url parts, JSON objects.
//! 2. `alg` must be `RS256`, the only algorithm Cognito signs with. `none`, `HS256` (the classic
//!    "verify an HMAC with the RSA public key as the secret") and everything else are refused
//!    before any key is looked at; the signature is always verified as RS256 whatever the header
//!    says, with a 2048..=8192-bit key.
//! 3. `iss` picks the user pool: it must be `https://cognito-idp.{region}.amazonaws.com/{poolId}`
//!    for one of the authorizer's `providerARNs`, whatever endpoint served the keys (moto, a
//!    mirror). The issuer is read before the signature is checked only to choose the keys.
//! 4. `kid` must name a key of that pool; an unknown kid is `UnknownKid` so the caller can ask the
//!    fetcher for fresh keys (rate-limited there) and try once more.
//! 5. The RS256 signature over `header.payload`.
//! 6. `token_use` is `id` or `access`; `exp` is required and must be in the future, `nbf` (when
//!    present) not in the future. AWS documents no clock tolerance for its JWT checks ("exp must
//!    be after the current time", HTTP API JWT authorizer), so none is given. `iat` is not
//!    checked: a gateway clock a second behind Cognito's must not refuse fresh tokens.
//!
//! Which token a method accepts (ID without `authorizationScopes`, access with a matching scope)
//! depends on the method, not the token, so it is `Verified::admits`, answered from the cached
//! verdict without allocating.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

/// The longest token looked at (bytes).
pub const MAX_TOKEN_LEN: usize = 10 * 1024;

/// One key of a pool's JWKS: an RSA public key and its `kid`.
#[derive(Clone)]
pub struct RsaKey {
    pub kid: Box<str>,
    pub key: DecodingKey,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaKey({})", self.kid)
    }
}

/// Reads a JWKS document (`{"keys":[{"kty":"RSA","kid":..,"n":..,"e":..}]}`), keeping the RSA
/// signing keys (`use` absent or `sig`, `alg` absent or `RS256`). Errors name what is wrong.
pub fn parse_jwks(body: &[u8]) -> Result<Vec<RsaKey>, String> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|e| format!("the JWKS is not JSON: {e}"))?;
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the JWKS has no \"keys\" array")?;
    let mut out = Vec::new();
    for k in keys {
        let s = |name: &str| k.get(name).and_then(Value::as_str);
        if s("kty") != Some("RSA")
            || s("use").is_some_and(|u| u != "sig")
            || s("alg").is_some_and(|a| a != "RS256")
        {
            continue;
        }
        let (Some(kid), Some(n), Some(e)) = (s("kid"), s("n"), s("e")) else {
            continue;
        };
        // Validated here, once, so a key that cannot verify anything is dropped with a reason.
        let (Ok(n_bytes), Ok(_)) = (URL_SAFE_NO_PAD.decode(n), URL_SAFE_NO_PAD.decode(e)) else {
            return Err(format!("key {kid}: n or e is not base64url"));
        };
        if n_bytes.len() < 256 {
            return Err(format!("key {kid}: RSA keys under 2048 bits are refused"));
        }
        let key =
            DecodingKey::from_rsa_components(n, e).map_err(|err| format!("key {kid}: {err}"))?;
        out.push(RsaKey {
            kid: kid.into(),
            key,
        });
    }
    if out.is_empty() {
        return Err("the JWKS holds no RS256 signing key".into());
    }
    Ok(out)
}

/// Why a token is refused (all are 401 Unauthorized to the client; the variant is for logs and
/// tests, and tells the caller when fresh keys might help).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtError {
    Oversized,
    Malformed,
    /// `alg` other than RS256 (none, HS256, ...).
    Algorithm,
    /// `iss` is not one of the authorizer's pools.
    Issuer,
    /// No key of pool `pool` has this `kid` (fresh keys may have it).
    UnknownKid {
        pool: usize,
    },
    Signature,
    Expired,
    NotYetValid,
    /// `token_use` missing or neither `id` nor `access`; or a claim of the wrong type.
    Claims,
}

/// A token that passed every check: what the authorize phase caches and answers from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Which of the caller's issuers signed it (index into the `issuers` given to `verify`).
    pub pool: usize,
    pub token_use: TokenUse,
    /// `exp`, Unix seconds.
    pub exp: u64,
    /// `aud` of an ID token, `client_id` of an access token (the app client).
    pub client: Box<str>,
    /// An access token's `scope` claim (space-separated); empty for ID tokens.
    pub scope: Box<str>,
    /// Every claim as `$context.authorizer.claims.NAME` gives it (see `claim_text`).
    pub claims: Box<[(Box<str>, Box<str>)]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
}

impl Verified {
    /// Whether this token opens a method with these `authorizationScopes`: without scopes API
    /// Gateway takes an ID token (an access token is refused); with scopes it takes an access
    /// token whose `scope` holds at least one of them (an ID token is refused). No allocation.
    pub fn admits<S: AsRef<str>>(&self, method_scopes: &[S]) -> bool {
        admits(self.token_use, &self.scope, method_scopes)
    }
}

/// `Verified::admits` from a cached verdict's parts.
pub fn admits<S: AsRef<str>>(token_use: TokenUse, scope: &str, method_scopes: &[S]) -> bool {
    if method_scopes.is_empty() {
        return token_use == TokenUse::Id;
    }
    token_use == TokenUse::Access
        && scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .any(|granted| method_scopes.iter().any(|m| m.as_ref() == granted))
}

/// The parts of a token, split and decoded but not yet trusted.
struct Parts<'t> {
    kid: String,
    claims: Map<String, Value>,
    /// `header.payload`, the signed bytes.
    signed: &'t [u8],
    signature: &'t str,
}

fn b64_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

fn split(token: &str) -> Result<Parts<'_>, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::Oversized);
    }
    let mut it = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(JwtError::Malformed);
    };
    if h.is_empty() || p.is_empty() || s.is_empty() {
        return Err(JwtError::Malformed);
    }
    let header: Map<String, Value> = b64_json(h)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(JwtError::Algorithm);
    }
    // A `crit` header names extensions the verifier must understand; Cognito sends none.
    if header.contains_key("crit") {
        return Err(JwtError::Malformed);
    }
    let kid = match header.get("kid") {
        Some(Value::String(k)) => k.clone(),
        _ => return Err(JwtError::Malformed),
    };
    let claims: Map<String, Value> = b64_json(p)?;
    Ok(Parts {
        kid,
        claims,
        signed: &token.as_bytes()[..h.len() + 1 + p.len()],
        signature: s,
    })
}

/// A time claim as Unix seconds (JSON number; fractions cut; negative or absurd refused).
fn seconds(v: &Value) -> Result<u64, JwtError> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1e15)
                    .map(|f| f as u64)
            })
            .ok_or(JwtError::Claims),
        _ => Err(JwtError::Claims),
    }
}

/// Checks `token` against the pools in `issuers` (`keys(i)` gives pool `i`'s current keys) at
/// `now` (Unix seconds).
pub fn verify<I: AsRef<str>, K: AsRef<[RsaKey]>>(
    token: &str,
    issuers: &[I],
    keys: impl FnOnce(usize) -> K,
    now: u64,
) -> Result<Verified, JwtError> {
    let parts = split(token)?;
    let iss = parts
        .claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or(JwtError::Issuer)?;
    let pool = issuers
        .iter()
        .position(|i| i.as_ref() == iss)
        .ok_or(JwtError::Issuer)?;
    let keys = keys(pool);
    let key = keys
        .as_ref()
        .iter()
        .find(|k| *k.kid == *parts.kid)
        .ok_or(JwtError::UnknownKid { pool })?;
    // RS256 whatever the header claimed (it was checked above): the algorithm is never the
    // token's choice.
    match jsonwebtoken::crypto::verify(parts.signature, parts.signed, &key.key, Algorithm::RS256) {
        Ok(true) => {}
        _ => return Err(JwtError::Signature),
    }
    claims_verdict(&parts.claims, pool, now)
}

/// The claim checks alone, on a payload's JSON (the fuzz target reaches them through this
/// without a valid signature).
pub fn verify_claims(payload: &[u8], pool: usize, now: u64) -> Result<Verified, JwtError> {
    let claims: Map<String, Value> =
        serde_json::from_slice(payload).map_err(|_| JwtError::Malformed)?;
    claims_verdict(&claims, pool, now)
}

fn claims_verdict(c: &Map<String, Value>, pool: usize, now: u64) -> Result<Verified, JwtError> {
    let exp = seconds(c.get("exp").ok_or(JwtError::Claims)?)?;
    if exp <= now {
        return Err(JwtError::Expired);
    }
    if let Some(nbf) = c.get("nbf") {
        if seconds(nbf)? > now {
            return Err(JwtError::NotYetValid);
        }
    }
    let token_use = match c.get("token_use").and_then(Value::as_str) {
        Some("id") => TokenUse::Id,
        Some("access") => TokenUse::Access,
        _ => return Err(JwtError::Claims),
    };
    let text = |name: &str| c.get(name).and_then(Value::as_str);
    let client = match token_use {
        TokenUse::Id => text("aud"),
        TokenUse::Access => text("client_id"),
    }
    .ok_or(JwtError::Claims)?;
    let scope = match token_use {
        TokenUse::Id => "",
        TokenUse::Access => text("scope").unwrap_or(""),
    };
    Ok(Verified {
        pool,
        token_use,
        exp,
        client: client.into(),
        scope: scope.into(),
        claims: c
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.as_str().into(), claim_text(k, v).into()))
            .collect(),
    })
}

/// A claim's value as API Gateway passes it on (`$context.authorizer.claims.NAME`, the proxy
/// event's `requestContext.authorizer.claims`): every value a string. Strings as they are;
/// `exp`, `iat` and `nbf` as Java's `Date.toString()` in UTC (`Wed May 01 13:10:22 UTC 2024`);
/// other numbers and booleans as their JSON text (`auth_time` stays `"1714565422"`); arrays as
/// `[a b]` (`cognito:groups` with two groups is `"[admins users]"`); objects as JSON.
pub fn claim_text(name: &str, v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(_) if matches!(name, "exp" | "iat" | "nbf") => match seconds(v) {
            Ok(secs) => java_date(secs).unwrap_or_else(|| v.to_string()),
            Err(_) => v.to_string(),
        },
        Value::Array(items) => {
            let mut out = String::from("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&claim_text("", item));
            }
            out.push(']');
            out
        }
        other => other.to_string(),
    }
}

/// `EEE MMM dd HH:mm:ss 'UTC' yyyy`: Java's `Date.toString()` in UTC, as AWS prints dates in
/// Cognito claims and in execution log lines.
pub fn java_date(secs: u64) -> Option<String> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()?;
    Some(format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[usize::from(t.weekday().number_days_from_monday())],
        MONTHS[usize::from(u8::from(t.month())) - 1],
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year()
    ))
}

/// Test support: tokens signed with the key pair in `testdata/` (the fuzz target reads the same
/// `jwks.json`).
#[cfg(test)]
pub mod testing {
    use super::*;

    pub const PRIVATE_DER: &[u8] = include_bytes!("testdata/jwt_rsa_private.der");
    pub const OTHER_PRIVATE_DER: &[u8] = include_bytes!("testdata/jwt_rsa_other.der");
    pub const JWKS: &[u8] = include_bytes!("testdata/jwks.json");
    pub const OTHER_JWKS: &[u8] = include_bytes!("testdata/jwks_other.json");
    pub const KID: &str = "test-key-1";

    pub fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A token with this header and these claims, RS256-signed with `der` (PKCS#1).
    pub fn sign(header: &Value, claims: &Value, der: &[u8]) -> String {
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = jsonwebtoken::crypto::sign(
            signed.as_bytes(),
            &jsonwebtoken::EncodingKey::from_rsa_der(der),
            Algorithm::RS256,
        )
        .expect("test key signs");
        format!("{signed}.{sig}")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TESTPOOL";
    const OTHER_ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHER";
    const NOW: u64 = 1_800_000_000;

    fn keys() -> Vec<RsaKey> {
        parse_jwks(JWKS).unwrap()
    }

    fn id_claims() -> Value {
        json!({
            "sub": "5b3c-user", "aud": "client-1", "token_use": "id", "iss": ISS,
            "cognito:username": "alice", "email_verified": true, "auth_time": NOW - 10,
            "iat": NOW - 10, "exp": NOW + 3600, "cognito:groups": ["admins", "users"],
        })
    }

    fn access_claims(scope: &str) -> Value {
        json!({
            "sub": "5b3c-user", "client_id": "client-1", "token_use": "access", "iss": ISS,
            "username": "alice", "scope": scope, "iat": NOW - 10, "exp": NOW + 3600,
        })
    }

    fn header() -> Value {
        json!({"alg": "RS256", "kid": KID})
    }

    fn check(token: &str) -> Result<Verified, JwtError> {
        let k = keys();
        verify(token, &[OTHER_ISS, ISS], |_| &k, NOW)
    }

    #[test]
    fn a_valid_id_token_passes_with_its_claims_as_aws_renders_them() {
        let v = check(&sign(&header(), &id_claims(), PRIVATE_DER)).unwrap();
        assert_eq!(v.pool, 1);
        assert_eq!(v.token_use, TokenUse::Id);
        assert_eq!(&*v.client, "client-1");
        assert_eq!(v.exp, NOW + 3600);
        let get = |n: &str| {
            v.claims
                .iter()
                .find(|(k, _)| &**k == n)
                .map(|(_, v)| v.to_string())
        };
        assert_eq!(get("sub").as_deref(), Some("5b3c-user"));
        assert_eq!(get("email_verified").as_deref(), Some("true"));
        assert_eq!(get("auth_time").as_deref(), Some("1799999990"));
        // 1_800_000_000 + 3600 = 2027-01-15T09:00:00Z
        assert_eq!(get("exp").as_deref(), Some("Fri Jan 15 09:00:00 UTC 2027"));
        assert_eq!(get("cognito:groups").as_deref(), Some("[admins users]"));
        assert!(v.admits::<&str>(&[]));
        assert!(!v.admits(&["aws.cognito.signin.user.admin"]));
    }

    #[test]
    fn access_tokens_need_a_scope_the_method_lists() {
        let v = check(&sign(
            &header(),
            &access_claims("openid pets/read"),
            PRIVATE_DER,
        ))
        .unwrap();
        assert_eq!(v.token_use, TokenUse::Access);
        assert_eq!(&*v.client, "client-1");
        assert!(v.admits(&["pets/write", "pets/read"]));
        assert!(!v.admits(&["pets/write"]));
        // Without authorizationScopes only ID tokens open the method.
        assert!(!v.admits::<&str>(&[]));
        // A prefix of a granted scope is not that scope.
        assert!(!v.admits(&["pets/rea"]));
    }

    #[test]
    fn time_claims() {
        let mut c = id_claims();
        c["exp"] = json!(NOW);
        assert_eq!(
            check(&sign(&header(), &c, PRIVATE_DER)),
            Err(JwtError::Expired)
        );
        c["exp"] = json!(NOW + 1);
        assert!(check(&sign(&header(), &c, PRIVATE_DER)).is_ok());
        c["nbf"] = json!(NOW + 1);
        assert_eq!(
            check(&sign(&header(), &c, PRIVATE_DER)),
            Err(JwtError::NotYetValid)
        );
        c["nbf"] = json!(NOW);
        assert!(check(&sign(&header(), &c, PRIVATE_DER)).is_ok());
        c.as_object_mut().unwrap().remove("exp");
        assert_eq!(
            check(&sign(&header(), &c, PRIVATE_DER)),
            Err(JwtError::Claims)
        );
        c["exp"] = json!("soon");
        assert_eq!(
            check(&sign(&header(), &c, PRIVATE_DER)),
            Err(JwtError::Claims)
        );
    }

    #[test]
    fn tampered_tokens_fail_the_signature() {
        let token = sign(&header(), &id_claims(), PRIVATE_DER);
        // Another payload under the same signature.
        let mut c = id_claims();
        c["sub"] = json!("mallory");
        let forged = sign(&header(), &c, PRIVATE_DER);
        let (head_payload, _) = forged.rsplit_once('.').unwrap();
        let (_, sig) = token.rsplit_once('.').unwrap();
        assert_eq!(
            check(&format!("{head_payload}.{sig}")),
            Err(JwtError::Signature)
        );
        // One signature byte changed.
        let mut bytes = token.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            check(std::str::from_utf8(&bytes).unwrap()),
            Err(JwtError::Signature)
        );
        // Signed by a key that is not the pool's, under the pool's kid.
        assert_eq!(
            check(&sign(&header(), &id_claims(), OTHER_PRIVATE_DER)),
            Err(JwtError::Signature)
        );
    }

    #[test]
    fn alg_none_and_hs256_with_the_public_key_are_refused() {
        let claims = b64(id_claims().to_string().as_bytes());
        let none = format!(
            "{}.{claims}.",
            b64(json!({"alg": "none", "kid": KID}).to_string().as_bytes())
        );
        assert_eq!(check(&none), Err(JwtError::Malformed));
        let none_sig = format!(
            "{}.{claims}.AAAA",
            b64(json!({"alg": "none", "kid": KID}).to_string().as_bytes())
        );
        assert_eq!(check(&none_sig), Err(JwtError::Algorithm));
        // HS256 keyed with the JWKS document and with the modulus: the public key as the secret.
        let jwks = keys();
        let n = serde_json::from_slice::<Value>(JWKS).unwrap()["keys"][0]["n"]
            .as_str()
            .unwrap()
            .to_string();
        for secret in [JWKS.to_vec(), n.into_bytes()] {
            let head = b64(json!({"alg": "HS256", "kid": KID}).to_string().as_bytes());
            let signed = format!("{head}.{claims}");
            let sig = jsonwebtoken::crypto::sign(
                signed.as_bytes(),
                &jsonwebtoken::EncodingKey::from_secret(&secret),
                Algorithm::HS256,
            )
            .unwrap();
            assert_eq!(check(&format!("{signed}.{sig}")), Err(JwtError::Algorithm));
        }
        // Lower-case or other RSA algorithms are not RS256 either.
        for alg in ["rs256", "RS512", "PS256", "ES256"] {
            let t = sign(&json!({"alg": alg, "kid": KID}), &id_claims(), PRIVATE_DER);
            assert_eq!(
                verify(&t, &[ISS], |_| &jwks, NOW),
                Err(JwtError::Algorithm),
                "{alg}"
            );
        }
    }

    #[test]
    fn the_issuer_must_be_one_of_the_authorizers_pools() {
        let mut c = id_claims();
        c["iss"] = json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_ELSEWHERE");
        assert_eq!(
            check(&sign(&header(), &c, PRIVATE_DER)),
            Err(JwtError::Issuer)
        );
        // The endpoint that served the keys (moto) is not an issuer.
        c["iss"] = json!("http://127.0.0.1:5000/us-east-1_TESTPOOL");
        assert_eq!(
            check(&sign(&header(), &c, PRIVATE_DER)),
            Err(JwtError::Issuer)
        );
        c.as_object_mut().unwrap().remove("iss");
        assert_eq!(
            check(&sign(&header(), &c, PRIVATE_DER)),
            Err(JwtError::Issuer)
        );
    }

    #[test]
    fn an_unknown_kid_asks_for_fresh_keys() {
        let t = sign(
            &json!({"alg": "RS256", "kid": "rotated"}),
            &id_claims(),
            PRIVATE_DER,
        );
        assert_eq!(check(&t), Err(JwtError::UnknownKid { pool: 1 }));
        let none: Vec<RsaKey> = Vec::new();
        assert_eq!(
            verify(&t, &[ISS], |_| &none, NOW),
            Err(JwtError::UnknownKid { pool: 0 })
        );
        // The other pool's keys do not verify this pool's tokens.
        let other = parse_jwks(OTHER_JWKS).unwrap();
        assert_eq!(
            verify(
                &sign(&header(), &id_claims(), PRIVATE_DER),
                &[ISS],
                |_| &other,
                NOW
            ),
            Err(JwtError::UnknownKid { pool: 0 })
        );
    }

    #[test]
    fn token_use_and_client_claims_are_required() {
        let mut c = id_claims();
        c["token_use"] = json!("refresh");
        assert_eq!(
            check(&sign(&header(), &c, PRIVATE_DER)),
            Err(JwtError::Claims)
        );
        let mut c = id_claims();
        c.as_object_mut().unwrap().remove("aud");
        assert_eq!(
            check(&sign(&header(), &c, PRIVATE_DER)),
            Err(JwtError::Claims)
        );
        let mut c = access_claims("a");
        c.as_object_mut().unwrap().remove("client_id");
        assert_eq!(
            check(&sign(&header(), &c, PRIVATE_DER)),
            Err(JwtError::Claims)
        );
    }

    #[test]
    fn malformed_and_oversized_tokens_are_refused_without_panicking() {
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(check(&long), Err(JwtError::Oversized));
        for bad in [
            "",
            ".",
            "..",
            "a.b",
            "a.b.c.d",
            "Bearer x.y.z",
            "e30.e30.e30",
            "!!!.e30.sig",
            "eyJhbGciOiJSUzI1NiJ9.e30.sig",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        // A header that is JSON but not an object, and an object without kid.
        let t = format!("{}.e30.c2ln", b64(b"[1]"));
        assert_eq!(check(&t), Err(JwtError::Malformed));
        let t = format!("{}.e30.c2ln", b64(br#"{"alg":"RS256"}"#));
        assert_eq!(check(&t), Err(JwtError::Malformed));
    }

    #[test]
    fn jwks_documents() {
        assert_eq!(keys().len(), 1);
        assert_eq!(&*keys()[0].kid, KID);
        assert!(parse_jwks(b"{}").is_err());
        assert!(parse_jwks(b"not json").is_err());
        assert!(parse_jwks(br#"{"keys":[]}"#).is_err());
        assert!(parse_jwks(br#"{"keys":[{"kty":"EC","kid":"e","x":"a","y":"b"}]}"#).is_err());
        // A short modulus is refused rather than trusted.
        assert!(
            parse_jwks(br#"{"keys":[{"kty":"RSA","kid":"s","n":"AQAB","e":"AQAB"}]}"#).is_err()
        );
    }

    #[test]
    fn claim_texts() {
        assert_eq!(claim_text("iat", &json!(0)), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(claim_text("x", &json!(12)), "12");
        assert_eq!(claim_text("x", &json!(false)), "false");
        assert_eq!(claim_text("x", &json!(["one"])), "[one]");
        assert_eq!(claim_text("x", &json!({"a": 1})), r#"{"a":1}"#);
    }
}
