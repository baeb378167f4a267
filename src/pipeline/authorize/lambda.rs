//! `CUSTOM` authorization: a Lambda authorizer (TOKEN or REQUEST).

use super::Decision;
use crate::core::Core;
use crate::deploy::authorizers::AuthorizerIdx;
use crate::pipeline::respond::Reject;
use crate::pipeline::Exchange;

pub async fn authorize(
    x: &mut Exchange<'_>,
    core: &Core,
    authorizer: AuthorizerIdx,
    scratch: &mut Vec<u8>,
) -> Result<Decision, Reject> {
    let _ = (x, core, authorizer, scratch);
    Err(super::AuthReject::AuthorizerFailure.into())
}
