//! Cognito token checks: a full verification (parse, RS256 with a 2048-bit key, claims, every
//! claim rendered as AWS passes it on) against the per-core token cache's hit (hash + compare +
//! `Rc` clone). Run with `cargo bench --bench jwt_verify`.

use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::rc::Rc;
use tollgate::aws::jwt::{parse_jwks, verify};
use tollgate::core::token_cache::TokenCache;

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BENCH";
const NOW: u64 = 1_800_000_000;

/// An ID token shaped like Cognito's (about 1 KB), signed with the test key.
fn token() -> String {
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let signed = format!(
        "{}.{}",
        b64(serde_json::json!({"kid": "test-key-1", "alg": "RS256"})),
        b64(serde_json::json!({
            "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "email_verified": true, "iss": ISS,
            "cognito:username": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "aud": "3n4b5urk1ft4fl3mg5e62d9ado",
            "event_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "token_use": "id",
            "auth_time": NOW - 60, "exp": NOW + 3600, "iat": NOW - 60,
            "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "email": "someone@example.com",
            "cognito:groups": ["admins", "users"],
        }))
    );
    let sig = jsonwebtoken::crypto::sign(
        signed.as_bytes(),
        &jsonwebtoken::EncodingKey::from_rsa_der(include_bytes!(
            "../src/aws/testdata/jwt_rsa_private.der"
        )),
        jsonwebtoken::Algorithm::RS256,
    )
    .unwrap();
    format!("{signed}.{sig}")
}

fn bench(c: &mut Criterion) {
    let keys = parse_jwks(include_bytes!("../src/aws/testdata/jwks.json")).unwrap();
    let t = token();
    assert!(verify(&t, &[ISS], |_| &keys, NOW).is_ok());
    c.bench_function("jwt/verify_uncached", |b| {
        b.iter(|| verify(black_box(&t), &[ISS], |_| &keys, NOW).unwrap())
    });
    let cache: TokenCache<Rc<u64>> = TokenCache::new();
    cache.insert(t.as_bytes(), Rc::new(7), NOW + 300, NOW);
    c.bench_function("jwt/cache_hit", |b| {
        b.iter(|| cache.get(black_box(t.as_bytes()), NOW).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
