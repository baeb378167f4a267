//! IAM policy documents (authorizer replies, resource policies, with their conditions): any text is compiled or refused
//! with a reason, never a panic, and a compiled document always gives an answer; the wildcard
//! matcher always ends and agrees with itself on literal patterns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::deploy::iam_policy::{glob, ConditionContext, PolicyDocument, Request};

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
        // Conditions against a context carrying every key, and against one carrying none.
        let full = ConditionContext {
            source_ip: Some("10.1.2.3".parse().unwrap()),
            principal_arn: Some("arn:aws:iam::123456789012:user/u"),
            userid: Some("AIDAEXAMPLE"),
            username: Some("u"),
            source_vpce: Some("vpce-1a2b3c4d"),
            source_vpc: Some("vpc-2f09a348"),
        };
        for ctx in [full, ConditionContext::default()] {
            let _ = doc.evaluate_with(
                &Request {
                    action: "execute-api:Invoke",
                    resource: "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/1",
                    principal: ctx.principal_arn,
                },
                &ctx,
            );
        }
    }
    // Split the input into a pattern and a text; a pattern without wildcards matches itself.
    let (p, t) = data.split_at(data.len() / 2);
    let _ = glob(p, t, data.first().is_some_and(|b| b & 1 == 1));
    if !p.iter().any(|&b| b == b'*' || b == b'?') {
        assert!(glob(p, p, false));
    }
});
