//! `AWS_IAM` authorization: a SigV4 signature (service `execute-api`) by a configured principal.

use super::Decision;
use crate::core::Core;
use crate::pipeline::respond::Reject;
use crate::pipeline::Exchange;

pub fn authorize(
    x: &mut Exchange<'_>,
    core: &Core,
    scratch: &mut Vec<u8>,
) -> Result<Decision, Reject> {
    let _ = (x, core, scratch);
    Err(super::AuthReject::MissingToken.into())
}
