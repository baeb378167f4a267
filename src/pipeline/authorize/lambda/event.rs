//! The events a Lambda authorizer receives, exactly as API Gateway sends them:
//! - TOKEN: `{"type":"TOKEN","authorizationToken":"…","methodArn":"…"}`;
//! - REQUEST: `{"type":"REQUEST","methodArn":"…",` then the request's fields as the Lambda proxy
//!   event has them (`resource`, `path`, `httpMethod`, `headers`, `multiValueHeaders`,
//!   `queryStringParameters`, `multiValueQueryStringParameters`, `pathParameters`,
//!   `stageVariables`, `requestContext`), written by the proxy event's own writer
//!   (`pipeline::lambda::event::write_request_fields`); no body.

use crate::pipeline::lambda::event::{key, string, write_request_fields};
use crate::pipeline::Exchange;

pub fn write_token(token: &[u8], method_arn: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(br#"{"type":"TOKEN","authorizationToken":"#);
    string(out, token);
    out.push(b',');
    key(out, "methodArn");
    string(out, method_arn);
    out.push(b'}');
}

pub fn write_request(x: &Exchange<'_>, method_arn: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(br#"{"type":"REQUEST","methodArn":"#);
    string(out, method_arn);
    out.push(b',');
    write_request_fields(x, out);
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_event_is_aws_shape() {
        let mut out = Vec::new();
        write_token(
            b"Bearer a\"b",
            b"arn:aws:execute-api:us-east-1:1:a/prod/GET/pets",
            &mut out,
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "TOKEN", "authorizationToken": "Bearer a\"b",
                "methodArn": "arn:aws:execute-api:us-east-1:1:a/prod/GET/pets"})
        );
    }
}
