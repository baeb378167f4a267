//! The API's resource policy, combined with the method's own decision by AWS's evaluation table
//! ("How API Gateway resource policies affect authorization workflow"):
//!
//! - an explicit Deny in the resource policy refuses, whatever the method's mechanism said;
//! - `NONE`: the resource policy must Allow;
//! - a Lambda authorizer's Allow or a valid Cognito token (`Decision::Allowed`): allowed unless
//!   denied (table A: Allow + no statement = Allow); an authorizer policy silent on the method
//!   (`Decision::AuthorizerSilent`): allowed only by the resource policy's Allow;
//! - `AWS_IAM`: a caller in the API's own account needs an Allow from its identity policy or from
//!   the resource policy (table A); a caller from another account needs both (table B).
//!
//! For Lambda authorizers AWS evaluates the resource policy twice: for an explicit Deny before
//! invoking the authorizer (so a denied caller never costs an invocation), then with its policy.
//! [`explicitly_denied`] is the first of those, for the lambda mechanism to call first.
//!
//! Refusals: `User: anonymous is not authorized to perform: execute-api:Invoke on resource:
//! {arn}` (an IAM caller: `User: {userArn} ...`), ending in ` with an explicit deny` for a Deny.
//! Evaluation allocates nothing; the ARN is written into the phase's scratch buffer.

use super::iam::{denied, evaluate, principal_of};
use super::Decision;
use crate::deploy::iam_policy::Decision as Says;
use crate::pipeline::respond::Reject;
use crate::pipeline::Exchange;

const ANONYMOUS: &str = "anonymous";

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

/// Combines the API's resource policy (if any) with what the method's mechanism decided.
pub fn check(x: &Exchange<'_>, decision: Decision, scratch: &mut Vec<u8>) -> Result<(), Reject> {
    let Some(doc) = &x.stage().resource_policy else {
        return Ok(());
    };
    let caller = principal_of(x);
    let says = evaluate(x, doc, caller, scratch);
    let who = caller.map_or(ANONYMOUS, |p| &*p.arn);
    let same_account = caller.is_some_and(|p| *p.account_id == *crate::aws::env().account_id);
    match combine(decision, says, same_account) {
        Outcome::Allow => Ok(()),
        Outcome::ExplicitDeny => Err(denied(who, text(scratch), true)),
        // The authorizer's own refusal, as when there is no resource policy.
        Outcome::ImplicitDeny if decision == Decision::AuthorizerSilent => {
            Err(super::AuthReject::NotAuthorized.into())
        }
        Outcome::ImplicitDeny => Err(denied(who, text(scratch), false)),
    }
}

/// What AWS's evaluation table gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// AWS's table: the method's decision and the resource policy's word (`same_account`: an IAM
/// caller in the API's own account) give the outcome.
pub fn combine(decision: Decision, says: Says, same_account: bool) -> Outcome {
    let allowed = match (decision, says) {
        (_, Says::Deny) | (Decision::Iam(Says::Deny), _) => return Outcome::ExplicitDeny,
        (Decision::Unauthenticated, s) => s == Says::Allow,
        (Decision::Allowed, _) => true,
        (Decision::AuthorizerSilent, s) => s == Says::Allow,
        (Decision::Iam(identity), s) if same_account => identity == Says::Allow || s == Says::Allow,
        (Decision::Iam(identity), s) => identity == Says::Allow && s == Says::Allow,
    };
    if allowed {
        Outcome::Allow
    } else {
        Outcome::ImplicitDeny
    }
}

/// The resource policy's pre-authorization pass: `Err` when it explicitly denies the request as
/// it stands (no caller identified yet). The Lambda mechanism calls this before invoking the
/// authorizer, as AWS does; `check` runs again afterwards with the authorizer's decision.
pub fn explicitly_denied(x: &Exchange<'_>, scratch: &mut Vec<u8>) -> Result<(), Reject> {
    let Some(doc) = &x.stage().resource_policy else {
        return Ok(());
    };
    match evaluate(x, doc, None, scratch) {
        Says::Deny => Err(denied(ANONYMOUS, text(scratch), true)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::{Allow, ExplicitDeny, ImplicitDeny};
    use Says::{Allow as A, Deny as D, NotApplicable as N};

    /// AWS's tables A (same account, Lambda and Cognito) and B (IAM across accounts), and the
    /// resource-policy-only flow for NONE methods.
    #[test]
    fn the_evaluation_table() {
        let rows: &[(Decision, Says, bool, Outcome)] = &[
            // NONE: the resource policy must allow.
            (Decision::Unauthenticated, A, false, Allow),
            (Decision::Unauthenticated, N, false, ImplicitDeny),
            (Decision::Unauthenticated, D, false, ExplicitDeny),
            // An authorizer's Allow (Lambda, Cognito): allowed unless the policy denies.
            (Decision::Allowed, A, false, Allow),
            (Decision::Allowed, N, false, Allow),
            (Decision::Allowed, D, false, ExplicitDeny),
            // A Lambda authorizer's policy silent on the method: the resource policy decides.
            (Decision::AuthorizerSilent, A, false, Allow),
            (Decision::AuthorizerSilent, N, false, ImplicitDeny),
            (Decision::AuthorizerSilent, D, false, ExplicitDeny),
            // IAM, same account (table A): either side's Allow, no Deny anywhere.
            (Decision::Iam(A), A, true, Allow),
            (Decision::Iam(A), N, true, Allow),
            (Decision::Iam(N), A, true, Allow),
            (Decision::Iam(N), N, true, ImplicitDeny),
            (Decision::Iam(A), D, true, ExplicitDeny),
            (Decision::Iam(D), A, true, ExplicitDeny),
            // IAM, another account (table B): both must allow.
            (Decision::Iam(A), A, false, Allow),
            (Decision::Iam(A), N, false, ImplicitDeny),
            (Decision::Iam(N), A, false, ImplicitDeny),
            (Decision::Iam(N), N, false, ImplicitDeny),
            (Decision::Iam(A), D, false, ExplicitDeny),
            (Decision::Iam(D), A, false, ExplicitDeny),
        ];
        for &(decision, says, same, want) in rows {
            assert_eq!(
                combine(decision, says, same),
                want,
                "{decision:?} {says:?} same account: {same}"
            );
        }
    }
}
