//! SigV4 parser and verifier: any Authorization header and request is answered without panic;
//! and a request signed with the module's own pieces (over fuzzed method, path, query, headers
//! and body) always verifies, while the same request with one signature digit changed never does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::admin::auth::{authenticate_at, Keyring};
use tollgate::admin::http::{parse_query, Request};
use tollgate::admin::sigv4::{
    self, canonical_request, parse_authorization, payload_hash, signature, string_to_sign,
};
use tollgate::settings::AdminCredential;

const KEY: &str = "AKIAFUZZ000000000001";
const SECRET: &str = "fuzz/secret+0000000000000000000000000000";
const NOW: u64 = 1_440_938_160; // 20150830T123600Z

fn keyring() -> Keyring {
    Keyring::new(vec![AdminCredential {
        access_key_id: KEY.into(),
        secret_access_key: SECRET.into(),
        read_only: false,
    }])
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Lines: method, target, then `name: value` headers; after an empty line, the body.
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.split('\n');
    let method = lines.next().unwrap_or_default().to_string();
    let target = lines.next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect();

    // 1. Whatever arrives: parse and verify never panic.
    for (_, v) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("authorization")) {
        let _ = parse_authorization(v, true);
        let _ = parse_authorization(v, false);
    }
    let Some(query) = parse_query(query) else {
        return;
    };
    let mut req = Request {
        method,
        path: path.to_string(),
        query,
        headers,
        body: body.as_bytes().to_vec(),
        keep_alive: true,
    };
    let now = NOW + u64::from(data.first().copied().unwrap_or(0)) * 7;
    let _ = authenticate_at(&keyring(), &req, now);

    // 2. Signed by us, it verifies. Header names that cannot be listed in SignedHeaders (empty,
    //    or with `;`, `,`, `=` or whitespace) stay unsigned; the auth headers are ours.
    req.headers.retain(|(n, _)| {
        !["authorization", "x-amz-date", "x-amz-content-sha256"]
            .iter()
            .any(|h| n.eq_ignore_ascii_case(h))
    });
    req.headers.push(("Host".into(), "fuzz.local".into()));
    req.headers.push(("X-Amz-Date".into(), "20150830T123600Z".into()));
    let mut signed: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| {
            !n.is_empty()
                && !n
                    .chars()
                    .any(|c| c.is_whitespace() || matches!(c, ';' | ',' | '='))
        })
        .collect();
    signed.sort();
    signed.dedup();
    let names: Vec<&str> = signed.iter().map(String::as_str).collect();
    let view = sigv4::RequestView {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body: &req.body,
    };
    let canonical = canonical_request(&view, &names, &payload_hash(&req.body));
    let scope = "20150830/us-east-1/apigateway/aws4_request";
    let sig = signature(
        SECRET,
        "20150830",
        "us-east-1",
        "apigateway",
        &string_to_sign("20150830T123600Z", scope, &canonical),
    );
    let header = |sig: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential={KEY}/{scope}, SignedHeaders={}, Signature={sig}",
            names.join(";")
        )
    };
    req.headers.insert(0, ("Authorization".into(), header(&sig)));
    let ok = authenticate_at(&keyring(), &req, NOW);
    assert!(ok.is_ok(), "{ok:?}\n{canonical}");

    let flipped: String = sig
        .chars()
        .enumerate()
        .map(|(i, c)| match (i, c) {
            (0, '0') => '1',
            (0, _) => '0',
            (_, c) => c,
        })
        .collect();
    req.headers[0].1 = header(&flipped);
    assert!(authenticate_at(&keyring(), &req, NOW).is_err());
});
