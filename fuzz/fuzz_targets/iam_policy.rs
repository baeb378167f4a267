//! IAM policy documents (authorizer replies, resource policies): any text is compiled or refused
//! with a reason, never a panic, and a compiled document always gives an answer; the wildcard
//! matcher always ends and agrees with itself on literal patterns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::deploy::iam_policy::{glob, PolicyDocument, Request};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(doc) = PolicyDocument::parse(text) {
        for principal in [None, Some("arn:aws:iam::123456789012:user/u")] {
            let _ = doc.evaluate(&Request {
                action: "execute-api:Invoke",
                resource: "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/1",
                principal,
            });
        }
    }
    // Split the input into a pattern and a text; a pattern without wildcards matches itself.
    let (p, t) = data.split_at(data.len() / 2);
    let _ = glob(p, t, data.first().is_some_and(|b| b & 1 == 1));
    if !p.iter().any(|&b| b == b'*' || b == b'?') {
        assert!(glob(p, p, false));
    }
});
