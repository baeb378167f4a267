//! The API's resource policy, combined with the method's own decision by AWS's evaluation table
//! ("How API Gateway resource policies affect authorization workflow"):
//!
//! - an explicit Deny in the resource policy refuses, whatever the method's mechanism said;
//! - `NONE`: the resource policy must Allow;
//! - a Lambda authorizer's Allow or a valid Cognito token (`Decision::Allowed`): allowed unless
//!   denied (table A: Allow + no statement = Allow);
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
    let allowed = match (decision, says) {
        (_, Says::Deny) => return Err(denied(who, text(scratch), true)),
        (Decision::Unauthenticated, s) => s == Says::Allow,
        (Decision::Allowed, _) => true,
        (Decision::Iam(identity), s) => {
            let same_account =
                caller.is_some_and(|p| *p.account_id == *crate::aws::env().account_id);
            if same_account {
                identity == Says::Allow || s == Says::Allow
            } else {
                identity == Says::Allow && s == Says::Allow
            }
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(denied(who, text(scratch), false))
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
