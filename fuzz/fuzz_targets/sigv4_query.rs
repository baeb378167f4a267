//! SigV4's query-string (presigned) form as the data plane reads it: any raw query, path,
//! headers and body are answered without panic; the raw query's streamed canonical form equals
//! the one built from its decoded pairs; and a URL presigned with the module's own pieces (over a
//! fuzzed method, path, query and body) always verifies, while one signature digit changed, or
//! one byte of the query changed, never does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::borrow::Cow;
use tollgate::aws::sigv4::{
    canonical_query, canonical_uri, feed_raw_canonical_query, raw_query_param, signature,
    string_to_sign, uri_encode, verify_signed, Secret, Signed,
};

const KEY: &str = "AKIAFUZZ000000000001";
const SECRET: &str = "fuzz/secret+0000000000000000000000000000";
const TOKEN: &str = "fuzz/token+=";
const NOW: u64 = 1_440_938_160; // 20150830T123600Z

struct Raw<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a [(String, String)],
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
            .map(|(_, v)| v.as_str())
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

fn verify(r: &Raw<'_>, now: u64, token: Option<&str>) -> bool {
    verify_signed(r, "execute-api", now, |id, _| {
        (id == KEY).then_some((
            (),
            Secret {
                secret_access_key: SECRET,
                session_token: token,
            },
        ))
    })
    .is_ok()
}

/// What a raw query component decodes to (`%XX` only), as the verifier decodes it.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (
                (b[i + 1] as char).to_digit(16),
                (b[i + 2] as char).to_digit(16),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Lines: method, target, then `name: value` headers; after an empty line, the body.
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.split('\n');
    let method = lines.next().unwrap_or_default();
    let target = lines.next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect();
    let body = body.as_bytes();

    // 1. Whatever arrives: never a panic.
    let r = Raw {
        method,
        path,
        query,
        headers: &headers,
        body,
    };
    let now = NOW + u64::from(data.first().copied().unwrap_or(0)) * 97;
    let _ = verify(&r, now, None);
    let _ = verify(&r, now, Some(TOKEN));

    // 2. The streamed canonical query is the one built from the decoded pairs.
    let mut streamed = Vec::new();
    feed_raw_canonical_query(query, false, &mut |b| streamed.extend_from_slice(b));
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    if pairs
        .iter()
        .all(|(k, v)| !k.contains('\u{fffd}') && !v.contains('\u{fffd}'))
    {
        assert_eq!(String::from_utf8_lossy(&streamed), canonical_query(&pairs));
    }

    // 3. Presigned by us, it verifies (the fuzzed query kept, minus any X-Amz-* of its own).
    let user: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !decode(p).to_ascii_lowercase().starts_with("x-amz-"))
        .collect();
    let mut q = user.join("&");
    if !q.is_empty() {
        q.push('&');
    }
    let scope = "20150830/us-east-1/execute-api/aws4_request";
    q.push_str(&format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date=20150830T123600Z\
         &X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Security-Token={}",
        uri_encode(&format!("{KEY}/{scope}")),
        uri_encode(TOKEN)
    ));
    let host = [("Host".to_string(), "fuzz.local".to_string())];
    let mut canonical_q = Vec::new();
    feed_raw_canonical_query(&q, true, &mut |b| canonical_q.extend_from_slice(b));
    let path = if path.is_empty() { "/" } else { path };
    let canonical = format!(
        "{}\n{}\n{}\nhost:fuzz.local\n\nhost\n{}",
        method.to_ascii_uppercase(),
        canonical_uri(path),
        String::from_utf8_lossy(&canonical_q),
        tollgate::aws::sigv4::payload_hash(body)
    );
    let sig = signature(
        SECRET,
        "20150830",
        "us-east-1",
        "execute-api",
        &string_to_sign("20150830T123600Z", scope, &canonical),
    );
    let signed = format!("{q}&X-Amz-Signature={sig}");
    let r = Raw {
        method,
        path,
        query: &signed,
        headers: &host,
        body,
    };
    assert!(verify(&r, NOW + 300, Some(TOKEN)), "{signed}\n{canonical}");
    assert!(!verify(&r, NOW + 301, Some(TOKEN)));
    assert!(!verify(&r, NOW, None));
    let flipped = format!(
        "{q}&X-Amz-Signature={}{}",
        if sig.starts_with('0') { '1' } else { '0' },
        &sig[1..]
    );
    assert!(!verify(
        &Raw {
            query: &flipped,
            ..r
        },
        NOW,
        Some(TOKEN)
    ));
});
