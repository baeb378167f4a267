//! `COGNITO_USER_POOLS` authorization: a JWT issued by one of the authorizer's user pools.

use super::Decision;
use crate::core::Core;
use crate::deploy::authorizers::AuthorizerIdx;
use crate::pipeline::respond::Reject;
use crate::pipeline::Exchange;

pub fn authorize(
    x: &mut Exchange<'_>,
    core: &Core,
    authorizer: AuthorizerIdx,
    scopes: &[Box<str>],
) -> Result<Decision, Reject> {
    let _ = (x, core, authorizer, scopes);
    Err(super::AuthReject::Unauthorized.into())
}
