//! A Lambda authorizer's output, as API Gateway reads it:
//! `{"principalId", "policyDocument", "context", "usageIdentifierKey"}`.
//!
//! - `policyDocument` is required and must be an IAM policy document
//!   (`deploy::iam_policy::PolicyDocument`: `Statement` with `Effect`, `Action`, `Resource`);
//! - `principalId` is optional (AWS evaluates a reply with only a policy); when present it is a
//!   string;
//! - `context` is optional; its values must be strings, numbers or booleans: a nested object or
//!   array (or `null`) makes the whole reply invalid, as on AWS;
//! - `usageIdentifierKey` is optional, a string: the API key when the API's `apiKeySource` is
//!   AUTHORIZER.
//!
//! Anything else in the object is ignored. An invalid reply is AWS's 500
//! AUTHORIZER_CONFIGURATION_ERROR, never cached.

use crate::deploy::iam_policy::PolicyDocument;
use crate::pipeline::authorize::{Authorized, ContextValue};
use serde_json::Value;

/// A well-formed authorizer output.
#[derive(Debug)]
pub struct Output {
    pub auth: Authorized,
    pub policy: PolicyDocument,
}

/// Why an authorizer output is unusable, for the log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    NotJson,
    NotAnObject,
    PrincipalId,
    NoPolicyDocument,
    PolicyDocument(String),
    Context(String),
    UsageIdentifierKey,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::NotJson => f.write_str("the response is not JSON"),
            Invalid::NotAnObject => f.write_str("the response is not a JSON object"),
            Invalid::PrincipalId => f.write_str("principalId is not a string"),
            Invalid::NoPolicyDocument => f.write_str("the response has no policyDocument"),
            Invalid::PolicyDocument(why) => write!(f, "policyDocument: {why}"),
            Invalid::Context(key) => write!(
                f,
                "context value '{key}' is not a string, number or boolean"
            ),
            Invalid::UsageIdentifierKey => f.write_str("usageIdentifierKey is not a string"),
        }
    }
}

fn optional_str(v: Option<&Value>, err: Invalid) -> Result<Option<&str>, Invalid> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(err),
    }
}

/// Reads the function's result (the Invoke response body).
pub fn read(body: &[u8]) -> Result<Output, Invalid> {
    let v: Value = serde_json::from_slice(body).map_err(|_| Invalid::NotJson)?;
    let Value::Object(o) = v else {
        return Err(Invalid::NotAnObject);
    };
    let principal_id = optional_str(o.get("principalId"), Invalid::PrincipalId)?;
    let policy = match o.get("policyDocument") {
        None | Some(Value::Null) => return Err(Invalid::NoPolicyDocument),
        Some(p @ Value::Object(_)) => PolicyDocument::from_value(p),
        Some(_) => return Err(Invalid::PolicyDocument("not an object".into())),
    }
    .map_err(|e| Invalid::PolicyDocument(e.to_string()))?;
    let context = match o.get("context") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(c)) => c
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Value::String(s) => ContextValue::Str(s.as_str().into()),
                    Value::Number(n) => ContextValue::Num(n.to_string().into()),
                    Value::Bool(b) => ContextValue::Bool(*b),
                    _ => return Err(Invalid::Context(k.clone())),
                };
                Ok((k.as_str().into(), value))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(Invalid::Context("(context is not an object)".into())),
    };
    let usage_identifier_key =
        optional_str(o.get("usageIdentifierKey"), Invalid::UsageIdentifierKey)?;
    Ok(Output {
        auth: Authorized {
            principal_id: principal_id.map(Into::into),
            context: context.into(),
            usage_identifier_key: usage_identifier_key.map(Into::into),
            ..Authorized::default()
        },
        policy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::iam_policy::{Decision, Request};

    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:1:a/prod/*"}]}"#;

    fn decide(o: &Output, arn: &str) -> Decision {
        o.policy.evaluate(&Request {
            action: "execute-api:Invoke",
            resource: arn,
            principal: None,
        })
    }

    #[test]
    fn well_formed_outputs() {
        let o = read(format!(r#"{{"principalId":"u1","policyDocument":{POLICY},"context":{{"s":"x","n":42,"f":1.5,"b":false}},"usageIdentifierKey":"KEY","other":[1]}}"#).as_bytes()).unwrap();
        assert_eq!(o.auth.principal_id.as_deref(), Some("u1"));
        assert_eq!(
            &*o.auth.context,
            &[
                ("s".into(), ContextValue::Str("x".into())),
                ("n".into(), ContextValue::Num("42".into())),
                ("f".into(), ContextValue::Num("1.5".into())),
                ("b".into(), ContextValue::Bool(false)),
            ]
        );
        assert_eq!(o.auth.usage_identifier_key.as_deref(), Some("KEY"));
        assert_eq!(
            decide(&o, "arn:aws:execute-api:us-east-1:1:a/prod/GET/pets"),
            Decision::Allow
        );
        assert_eq!(
            decide(&o, "arn:aws:execute-api:us-east-1:1:a/test/GET/pets"),
            Decision::NotApplicable
        );
        // Only a policy: principalId, context and key are optional.
        let o =
            read(format!(r#"{{"policyDocument":{POLICY},"context":null}}"#).as_bytes()).unwrap();
        assert_eq!(o.auth, Authorized::default());
    }

    #[test]
    fn invalid_outputs() {
        let p = POLICY;
        for (text, want) in [
            ("not json".to_string(), Invalid::NotJson),
            ("[1]".to_string(), Invalid::NotAnObject),
            (
                r#"{"hello":"world"}"#.to_string(),
                Invalid::NoPolicyDocument,
            ),
            (
                r#"{"principalId":"u","policyDocument":null}"#.to_string(),
                Invalid::NoPolicyDocument,
            ),
            (
                format!(r#"{{"principalId":7,"policyDocument":{p}}}"#),
                Invalid::PrincipalId,
            ),
            (
                format!(r#"{{"policyDocument":{p},"context":{{"o":{{"a":1}}}}}}"#),
                Invalid::Context("o".into()),
            ),
            (
                format!(r#"{{"policyDocument":{p},"context":{{"l":[1]}}}}"#),
                Invalid::Context("l".into()),
            ),
            (
                format!(r#"{{"policyDocument":{p},"context":{{"z":null}}}}"#),
                Invalid::Context("z".into()),
            ),
            (
                format!(r#"{{"policyDocument":{p},"usageIdentifierKey":1}}"#),
                Invalid::UsageIdentifierKey,
            ),
        ] {
            assert_eq!(read(text.as_bytes()).unwrap_err(), want, "{text}");
        }
        for text in [
            r#"{"policyDocument":"{}"}"#,
            r#"{"policyDocument":{}}"#,
            r#"{"policyDocument":{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}}"#,
        ] {
            assert!(
                matches!(read(text.as_bytes()), Err(Invalid::PolicyDocument(_))),
                "{text}"
            );
        }
    }
}
