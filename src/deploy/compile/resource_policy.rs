//! The API's resource policy (`policy`, or `x-amazon-apigateway-policy` left by an import),
//! compiled once per stage for `pipeline::authorize::resource_policy`.
//!
//! AWS stores `policy` as JSON text. A `Resource` / `NotResource` written in the shorthand
//! `execute-api:/{stage}/{METHOD}/{path}` is expanded to the API's ARN,
//! `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`, as AWS expands it
//! when the policy is saved. A document that does not compile (not JSON, no `Statement`, an
//! unsupported condition operator or key, ...) fails the deployment with the reason at
//! `/policy`: a policy that cannot be enforced is never served without it.

use crate::deploy::iam_policy::PolicyDocument;
use crate::deploy::model::RestApi;
use crate::deploy::problem::Problems;
use serde_json::Value;

/// The shorthand AWS accepts for "this API" in a resource policy's resources.
const SHORTHAND: &str = "execute-api:/";

/// The compiled resource policy of `api`, `None` when it has none (or one that does not
/// compile, reported in `problems`).
pub fn compile(api: &RestApi, problems: &mut Problems) -> Option<PolicyDocument> {
    let mut doc = match (
        api.policy.as_deref().map(str::trim),
        api.extra.get("x-amazon-apigateway-policy"),
    ) {
        (Some(text), _) if !text.is_empty() => match serde_json::from_str::<Value>(text) {
            // Some clients store the document as a JSON string holding JSON.
            Ok(Value::String(inner)) => {
                serde_json::from_str(&inner).unwrap_or(Value::String(inner))
            }
            Ok(v) => v,
            Err(e) => {
                problems.push(
                    "/policy".to_string(),
                    format!("Invalid policy document: not JSON ({e})"),
                );
                return None;
            }
        },
        (_, Some(v)) if !v.is_null() => v.clone(),
        _ => return None,
    };
    let env = crate::aws::env();
    let prefix = format!(
        "arn:aws:execute-api:{}:{}:{}/",
        env.region, env.account_id, api.id
    );
    expand_shorthand(&mut doc, &prefix);
    match PolicyDocument::from_value(&doc) {
        Ok(p) => Some(p),
        Err(e) => {
            problems.push("/policy".to_string(), e.to_string());
            None
        }
    }
}

/// Rewrites `execute-api:/...` in every statement's `Resource` / `NotResource` to `prefix...`.
fn expand_shorthand(doc: &mut Value, prefix: &str) {
    let statements: Vec<&mut Value> = match doc.get_mut("Statement") {
        Some(Value::Array(list)) => list.iter_mut().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => return,
    };
    for s in statements {
        for field in ["Resource", "NotResource"] {
            let values: Vec<&mut Value> = match s.get_mut(field) {
                Some(Value::Array(list)) => list.iter_mut().collect(),
                Some(v @ Value::String(_)) => vec![v],
                _ => continue,
            };
            for v in values {
                if let Value::String(r) = v {
                    if let Some(rest) = r.strip_prefix(SHORTHAND) {
                        *r = format!("{prefix}{rest}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::iam_policy::{Decision, Request};

    fn api(policy: &str) -> RestApi {
        RestApi {
            id: "abc123".into(),
            policy: Some(policy.into()),
            ..RestApi::default()
        }
    }

    fn decide(p: &PolicyDocument, arn: &str) -> Decision {
        p.evaluate(&Request {
            action: "execute-api:Invoke",
            resource: arn,
            principal: None,
        })
    }

    #[test]
    fn the_shorthand_expands_to_this_apis_arn() {
        let mut problems = Problems::default();
        let p = compile(
            &api(r#"{"Statement": [{"Effect": "Allow", "Principal": "*",
                "Action": "execute-api:Invoke", "Resource": ["execute-api:/prod/GET/*"]},
                {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
                 "Resource": "execute-api:/*/DELETE/*"}]}"#),
            &mut problems,
        )
        .unwrap();
        assert!(problems.0.is_empty());
        let arn = |rest: &str| format!("arn:aws:execute-api:us-east-1:123456789012:abc123/{rest}");
        assert_eq!(decide(&p, &arn("prod/GET/pets")), Decision::Allow);
        assert_eq!(decide(&p, &arn("beta/GET/pets")), Decision::NotApplicable);
        assert_eq!(decide(&p, &arn("prod/DELETE/pets")), Decision::Deny);
        assert_eq!(
            decide(
                &p,
                "arn:aws:execute-api:us-east-1:123456789012:other/prod/GET/pets"
            ),
            Decision::NotApplicable
        );
    }

    #[test]
    fn string_encoded_extension_and_absent_policies() {
        let mut problems = Problems::default();
        let doc = r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}}"#;
        let quoted = serde_json::to_string(doc).unwrap();
        assert!(compile(&api(&quoted), &mut problems).is_some());
        let mut a = api("  ");
        assert!(compile(&a, &mut problems).is_none());
        a.extra.insert(
            "x-amazon-apigateway-policy".into(),
            serde_json::from_str(doc).unwrap(),
        );
        assert!(compile(&a, &mut problems).is_some());
        assert!(problems.0.is_empty());
    }

    #[test]
    fn a_policy_that_cannot_be_enforced_fails_the_deploy_naming_why() {
        let mut problems = Problems::default();
        let p = compile(
            &api(
                r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                "Resource": "*", "Condition": {"StringEquals": {"aws:Referer": "x"}}}}"#,
            ),
            &mut problems,
        );
        assert!(p.is_none());
        assert_eq!(problems.0[0].pointer, "/policy");
        assert!(
            problems.0[0].message.contains("aws:Referer"),
            "{:?}",
            problems.0
        );
        compile(&api("{nope"), &mut problems);
        assert!(problems.0[1].message.contains("not JSON"));
    }
}
