//! The API's resource policy, combined with the method's own decision by AWS's table.

use super::Decision;
use crate::pipeline::respond::Reject;
use crate::pipeline::Exchange;

pub fn check(x: &Exchange<'_>, decision: Decision, scratch: &mut Vec<u8>) -> Result<(), Reject> {
    let _ = (x, decision, scratch);
    Err(super::AuthReject::NotAuthorized.into())
}
