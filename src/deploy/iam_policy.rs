//! IAM policy documents, compiled once and evaluated on the request path: the language of Lambda
//! authorizer policies, API resource policies (`policy`, `x-amazon-apigateway-policy`) and IAM
//! identity policies. Groundwork for the authorizers issue (issue 11), which wires it in.
//!
//! - `Statement` is one object or a list; each has `Effect` (`Allow` / `Deny`), `Action` or
//!   `NotAction`, `Resource` or `NotResource`, optionally `Principal` or `NotPrincipal` (`"*"` or
//!   `{"AWS": ...}`); each of those is a string or a list of strings.
//! - Wildcards as IAM has them: `*` any run of characters (`/` included), `?` any one character.
//!   Actions (`execute-api:Invoke`) compare case-insensitively, resources and principals exactly.
//! - Evaluation as IAM does it within one document: an explicit `Deny` that matches wins; else a
//!   matching `Allow` allows; else the document says nothing (implicit deny), which callers
//!   combine with other documents by AWS's evaluation table.
//! - A document that is not JSON, has no `Statement`, or has a statement without `Effect`, an
//!   action or a resource is an error naming what is wrong (AWS refuses such a policy).
//! - `Condition` blocks are compiled by `condition` (the operators and keys of API Gateway's
//!   resource policies); an operator or key it does not know is refused by name, never ignored:
//!   ignoring one would turn a conditional Deny into an unconditional one, or a conditional Allow
//!   into an unconditional Allow. A statement applies only when its conditions hold for the
//!   request's [`ConditionContext`].
//! - A principal `{"AWS": "123456789012"}` or `{"AWS": "arn:aws:iam::123456789012:root"}` names
//!   a whole account, as in IAM: it matches every caller whose ARN is in that account.

mod condition;

pub use condition::{Cidr, ConditionContext, Conditions};
use serde_json::Value;

/// What one document says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A matching `Deny` statement.
    Deny,
    /// A matching `Allow` statement and no matching `Deny`.
    Allow,
    /// No statement matches (implicit deny).
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("Invalid policy document: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// A list of patterns, matched positively (`Action`) or negatively (`NotAction`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Patterns {
    not: bool,
    patterns: Vec<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    effect: Effect,
    actions: Patterns,
    resources: Patterns,
    /// `None`: no principal element (identity policies, authorizer policies).
    principals: Option<Patterns>,
    conditions: Conditions,
}

/// A compiled policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    statements: Vec<Statement>,
}

/// The request a document is asked about.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `execute-api:Invoke`.
    pub action: &'a str,
    /// `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`.
    pub resource: &'a str,
    /// The caller's ARN, or `None` for an anonymous caller (matched only by `"*"`).
    pub principal: Option<&'a str>,
}

fn invalid(msg: impl Into<String>) -> PolicyError {
    PolicyError::Invalid(msg.into())
}

/// A string or a list of strings.
fn strings(v: &Value, what: &str) -> Result<Vec<Box<str>>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.as_str().into()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(Into::into)
                    .ok_or_else(|| invalid(format!("{what} must be a string or a list of strings")))
            })
            .collect(),
        _ => Err(invalid(format!(
            "{what} must be a string or a non-empty list of strings"
        ))),
    }
}

/// `Name` or `NotName` (exactly one of them) of a statement.
fn either(s: &serde_json::Map<String, Value>, name: &str) -> Result<Patterns, PolicyError> {
    let not_name = format!("Not{name}");
    match (s.get(name), s.get(&not_name)) {
        (Some(v), None) => Ok(Patterns {
            not: false,
            patterns: strings(v, name)?,
        }),
        (None, Some(v)) => Ok(Patterns {
            not: true,
            patterns: strings(v, &not_name)?,
        }),
        (None, None) => Err(invalid(format!("a statement has no {name} or {not_name}"))),
        (Some(_), Some(_)) => Err(invalid(format!(
            "a statement has both {name} and {not_name}"
        ))),
    }
}

/// `"*"` or `{"AWS": ...}` as principal patterns.
fn principal_patterns(v: &Value, what: &str) -> Result<Vec<Box<str>>, PolicyError> {
    match v {
        Value::String(s) if s == "*" => Ok(vec!["*".into()]),
        Value::Object(m) => match m.get("AWS") {
            Some(aws) => strings(aws, what),
            None => Err(invalid(format!(
                "{what} supports \"*\" and {{\"AWS\": ...}} principals"
            ))),
        },
        _ => Err(invalid(format!("{what} must be \"*\" or an object"))),
    }
}

impl PolicyDocument {
    /// Compiles a document from its JSON text.
    pub fn parse(text: &str) -> Result<PolicyDocument, PolicyError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| invalid(format!("not JSON ({e})")))?;
        PolicyDocument::from_value(&v)
    }

    /// Compiles a document already parsed (an authorizer reply's `policyDocument`).
    pub fn from_value(v: &Value) -> Result<PolicyDocument, PolicyError> {
        let doc = v
            .as_object()
            .ok_or_else(|| invalid("the document must be a JSON object"))?;
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(s @ Value::Object(_)) => vec![s],
            Some(_) => return Err(invalid("Statement must be an object or a list")),
            None => return Err(invalid("the document has no Statement")),
        };
        let statements = statements
            .into_iter()
            .map(|s| {
                let s = s
                    .as_object()
                    .ok_or_else(|| invalid("each statement must be an object"))?;
                let conditions = match s.get("Condition") {
                    Some(c) => Conditions::compile(c)?,
                    None => Conditions::default(),
                };
                let effect = match s.get("Effect").and_then(Value::as_str) {
                    Some("Allow") => Effect::Allow,
                    Some("Deny") => Effect::Deny,
                    Some(other) => {
                        return Err(invalid(format!(
                            "Effect must be Allow or Deny, not {other}"
                        )))
                    }
                    None => return Err(invalid("a statement has no Effect")),
                };
                let principals = match (s.get("Principal"), s.get("NotPrincipal")) {
                    (None, None) => None,
                    (Some(p), None) => Some(Patterns {
                        not: false,
                        patterns: principal_patterns(p, "Principal")?,
                    }),
                    (None, Some(p)) => Some(Patterns {
                        not: true,
                        patterns: principal_patterns(p, "NotPrincipal")?,
                    }),
                    (Some(_), Some(_)) => {
                        return Err(invalid("a statement has both Principal and NotPrincipal"))
                    }
                };
                Ok(Statement {
                    effect,
                    actions: either(s, "Action")?,
                    resources: either(s, "Resource")?,
                    principals,
                    conditions,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PolicyDocument { statements })
    }

    /// What this document says about `req` (explicit Deny wins over Allow), for a request that
    /// carries no condition keys (a statement with conditions applies only where IAM's rules for
    /// missing keys make them hold).
    pub fn evaluate(&self, req: &Request<'_>) -> Decision {
        self.evaluate_with(req, &ConditionContext::default())
    }

    /// What this document says about `req`, its conditions read from `ctx`.
    pub fn evaluate_with(&self, req: &Request<'_>, ctx: &ConditionContext<'_>) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            if !s.applies(req, ctx) || !s.conditions.holds(ctx) {
                continue;
            }
            match s.effect {
                Effect::Deny => return Decision::Deny,
                Effect::Allow => allowed = true,
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::NotApplicable
        }
    }
}

impl Statement {
    /// A role session's caller (`arn:aws:sts::…:assumed-role/R/S`) is also named by its role's
    /// ARN (`ctx.principal_arn`), as IAM matches `Principal` elements.
    fn applies(&self, req: &Request<'_>, ctx: &ConditionContext<'_>) -> bool {
        let action = self.actions.matches(req.action, true);
        let resource = self.resources.matches(req.resource, false);
        let principal = match &self.principals {
            None => true,
            Some(p) => {
                let hit = p.patterns.iter().any(|pat| match req.principal {
                    _ if &**pat == "*" => true,
                    Some(arn) => {
                        principal_matches(pat, arn)
                            || ctx.principal_arn.is_some_and(|r| principal_matches(pat, r))
                    }
                    None => false,
                });
                hit != p.not
            }
        };
        action && resource && principal
    }
}

/// An `AWS` principal pattern against a caller's ARN: an account (`123456789012` or
/// `arn:aws:iam::123456789012:root`) covers every ARN in it; anything else is an ARN pattern.
fn principal_matches(pattern: &str, arn: &str) -> bool {
    let account = if pattern.len() == 12 && pattern.bytes().all(|b| b.is_ascii_digit()) {
        Some(pattern)
    } else {
        pattern
            .strip_prefix("arn:aws:iam::")
            .and_then(|rest| rest.strip_suffix(":root"))
    };
    match account {
        // arn:aws:{iam|sts}::{account}:...
        Some(account) => arn.split(':').nth(4) == Some(account),
        None => glob(pattern.as_bytes(), arn.as_bytes(), false),
    }
}

impl Patterns {
    fn matches(&self, value: &str, fold_case: bool) -> bool {
        let hit = self
            .patterns
            .iter()
            .any(|p| glob(p.as_bytes(), value.as_bytes(), fold_case));
        hit != self.not
    }
}

/// IAM's wildcard match: `*` any run (possibly empty), `?` exactly one byte. Linear in practice
/// (one backtrack point, the last `*`), never allocates.
pub fn glob(pattern: &[u8], text: &[u8], fold_case: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if fold_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || eq(pattern[p], text[t])) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            // A trailing `*` takes the rest (the common `arn:…/stage/*`): no byte-by-byte walk.
            if p + 1 == pattern.len() {
                return true;
            }
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7";

    fn req(resource: &str) -> Request<'_> {
        Request {
            action: "execute-api:Invoke",
            resource,
            principal: None,
        }
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(glob(b"*", b"", false));
        assert!(glob(b"a*c", b"abbbc", false));
        assert!(glob(b"a?c", b"abc", false));
        assert!(!glob(b"a?c", b"ac", false));
        assert!(glob(b"arn:*/prod/*/pets/*", ARN.as_bytes(), false));
        assert!(!glob(b"arn:*/beta/*", ARN.as_bytes(), false));
        assert!(glob(b"execute-api:*", b"EXECUTE-API:Invoke", true));
        assert!(!glob(b"execute-api:*", b"EXECUTE-API:Invoke", false));
        assert!(glob(b"*a*b*c*", b"xxaxxbxxcxx", false));
        assert!(!glob(b"*a*b*c", b"xxaxxbxxcxx", false));
    }

    #[test]
    fn an_authorizer_policy_allows_what_it_covers_and_deny_wins() {
        let doc = PolicyDocument::parse(
            r#"{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "execute-api:Invoke",
                 "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/*"},
                {"Effect": "Deny", "Action": ["execute-api:*"],
                 "Resource": ["arn:aws:execute-api:*:*:abc123/prod/GET/admin*"]}]}"#,
        )
        .unwrap();
        assert_eq!(doc.evaluate(&req(ARN)), Decision::Allow);
        assert_eq!(
            doc.evaluate(&req(
                "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/admin/users"
            )),
            Decision::Deny
        );
        assert_eq!(
            doc.evaluate(&req(
                "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/pets"
            )),
            Decision::NotApplicable
        );
    }

    #[test]
    fn a_single_statement_object_and_not_elements() {
        let doc = PolicyDocument::parse(
            r#"{"Statement": {"Effect": "Deny", "Action": "execute-api:Invoke",
                "NotResource": "arn:aws:execute-api:*:*:abc123/prod/GET/pets/*"}}"#,
        )
        .unwrap();
        assert_eq!(doc.evaluate(&req(ARN)), Decision::NotApplicable);
        assert_eq!(
            doc.evaluate(&req(
                "arn:aws:execute-api:us-east-1:1:abc123/prod/DELETE/pets/7"
            )),
            Decision::Deny
        );
    }

    #[test]
    fn resource_policy_principals() {
        let doc = PolicyDocument::parse(
            r#"{"Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"},
                {"Effect": "Deny", "Principal": {"AWS": ["arn:aws:iam::123456789012:user/mallory"]},
                 "Action": "execute-api:Invoke", "Resource": "*"}]}"#,
        )
        .unwrap();
        let mut r = req(ARN);
        assert_eq!(doc.evaluate(&r), Decision::Allow);
        r.principal = Some("arn:aws:iam::123456789012:user/alice");
        assert_eq!(doc.evaluate(&r), Decision::Allow);
        r.principal = Some("arn:aws:iam::123456789012:user/mallory");
        assert_eq!(doc.evaluate(&r), Decision::Deny);
    }

    /// (IP, principal, decision) for a resource policy allowing 127.0.0.1 and one account's
    /// callers, denying one user explicitly.
    #[test]
    fn conditional_statements_and_account_principals() {
        let doc = PolicyDocument::parse(
            r#"{"Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                 "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}},
                {"Effect": "Allow", "Principal": {"AWS": "111122223333"},
                 "Action": "execute-api:Invoke", "Resource": "*"},
                {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                 "Action": "execute-api:Invoke", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:username": "mallory"}}}]}"#,
        )
        .unwrap();
        let table = [
            ("127.0.0.1", None, None, Decision::Allow),
            ("10.0.0.1", None, None, Decision::NotApplicable),
            (
                "10.0.0.1",
                Some("arn:aws:iam::111122223333:user/a"),
                Some("a"),
                Decision::Allow,
            ),
            (
                "127.0.0.1",
                Some("arn:aws:iam::444455556666:user/mallory"),
                Some("mallory"),
                Decision::Deny,
            ),
            (
                "127.0.0.1",
                Some("arn:aws:iam::444455556666:user/bob"),
                Some("bob"),
                Decision::Allow,
            ),
        ];
        for (ip, principal, username, want) in table {
            let r = Request {
                principal,
                ..req(ARN)
            };
            let ctx = ConditionContext {
                source_ip: Some(ip.parse().unwrap()),
                principal_arn: principal,
                username,
                ..Default::default()
            };
            assert_eq!(doc.evaluate_with(&r, &ctx), want, "{ip} {principal:?}");
        }
        // A role session is named by its role's ARN too.
        let session = Request {
            principal: Some("arn:aws:sts::444455556666:assumed-role/deployer/s1"),
            ..req(ARN)
        };
        let role = ConditionContext {
            principal_arn: Some("arn:aws:iam::444455556666:role/deployer"),
            ..Default::default()
        };
        let by_role = PolicyDocument::parse(
            r#"{"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*",
                "Principal": {"AWS": "arn:aws:iam::444455556666:role/deployer"}}}"#,
        )
        .unwrap();
        assert_eq!(by_role.evaluate_with(&session, &role), Decision::Allow);
        assert_eq!(by_role.evaluate(&session), Decision::NotApplicable);
        // Without a context no IP condition holds.
        assert_eq!(doc.evaluate(&req(ARN)), Decision::NotApplicable);
    }

    #[test]
    fn malformed_documents_are_refused_with_the_reason() {
        let bad = [
            ("not json", "not JSON"),
            ("[]", "must be a JSON object"),
            (r#"{"Version": "2012-10-17"}"#, "has no Statement"),
            (r#"{"Statement": 3}"#, "Statement must be"),
            (
                r#"{"Statement": [{"Action": "a", "Resource": "*"}]}"#,
                "has no Effect",
            ),
            (
                r#"{"Statement": [{"Effect": "Maybe", "Action": "a", "Resource": "*"}]}"#,
                "Effect must be",
            ),
            (
                r#"{"Statement": [{"Effect": "Allow", "Resource": "*"}]}"#,
                "no Action or NotAction",
            ),
            (
                r#"{"Statement": [{"Effect": "Allow", "Action": "a", "NotAction": "b", "Resource": "*"}]}"#,
                "both Action and NotAction",
            ),
            (
                r#"{"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}"#,
                "non-empty list",
            ),
            (
                r#"{"Statement": [{"Effect": "Allow", "Action": [1], "Resource": "*"}]}"#,
                "list of strings",
            ),
            (
                r#"{"Statement": [{"Effect": "Allow", "Action": "a", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}"#,
                "condition operator Bool is not supported",
            ),
            (
                r#"{"Statement": [{"Effect": "Allow", "Action": "a", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceArn": "x"}}}]}"#,
                "condition key aws:SourceArn under StringEquals is not supported",
            ),
            (
                r#"{"Statement": [{"Effect": "Allow", "Principal": {"Service": "x"}, "Action": "a", "Resource": "*"}]}"#,
                "principals",
            ),
        ];
        for (text, says) in bad {
            let e = PolicyDocument::parse(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
            assert!(e.starts_with("Invalid policy document: "), "{e}");
        }
    }
}
