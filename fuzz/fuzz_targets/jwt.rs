//! Cognito tokens (`aws::jwt`): any bytes, as a token checked against a fixed JWKS or as a
//! payload through the claim checks, are refused or accepted without panicking, and nothing is
//! accepted without a signature by the JWKS's key (the fuzzer holds no private key).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tollgate::aws::jwt::{parse_jwks, verify, verify_claims, RsaKey};

const ISSUERS: [&str; 2] = [
    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TESTPOOL",
    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHER",
];

fn keys() -> &'static [RsaKey] {
    static KEYS: OnceLock<Vec<RsaKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        parse_jwks(include_bytes!("../../src/aws/testdata/jwks.json")).expect("test JWKS")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let now = 1_800_000_000;
    if mode & 1 == 0 {
        let Ok(token) = std::str::from_utf8(rest) else {
            return;
        };
        if verify(token, &ISSUERS, |_| keys(), now).is_ok() {
            panic!("a token the fuzzer made up verified");
        }
    } else {
        let _ = parse_jwks(rest);
        if let Ok(v) = verify_claims(rest, 0, now) {
            assert!(v.exp > now);
            let _ = v.admits(&["a"]);
        }
    }
});
