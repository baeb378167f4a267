//! Lambda authorizer outputs: any bytes from an authorizer function are read into an answer or
//! refused with a reason, never a panic; an answer's context holds only strings, JSON numbers
//! and booleans, and its policy always decides for a method ARN.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::deploy::iam_policy::Request;
use tollgate::pipeline::authorize::lambda::reply;
use tollgate::pipeline::authorize::ContextValue;

fuzz_target!(|data: &[u8]| {
    let Ok(out) = reply::read(data) else {
        return;
    };
    for (_, v) in out.auth.context.iter() {
        if let ContextValue::Num(n) = v {
            assert!(n.parse::<f64>().is_ok(), "not a JSON number: {n}");
        }
    }
    let _ = out.policy.evaluate(&Request {
        action: "execute-api:Invoke",
        resource: "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/1",
        principal: None,
    });
});
