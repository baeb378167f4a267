//! Phase "validate": the method's request validator, before the request is transformed.
//!
//! `validateRequestParameters` checks that every parameter the method declares required
//! (`method.request.{path|querystring|header}.NAME: true`) is present and not blank, as API
//! Gateway does: it checks existence only, never type or format. A request that lacks some gets
//! 400 `{"message": "Missing required request parameters: [a, b]"}` (BAD_REQUEST_PARAMETERS),
//! naming each missing one in the method's declaration order, and the backend sees nothing.
//!
//! The missing set travels as a bitmask into the gateway-response renderer, which writes the
//! names from the compiled method: the check allocates nothing, pass or fail.
//! `validateRequestBody` (JSON Schema models) is not checked yet; see the README.

use super::params::query_pairs;
use super::respond::Reject;
use super::Exchange;
use crate::deploy::policy::ParamLocation;

/// Bit `i` stands for the method's `i`-th required parameter; later ones share the last bit.
fn bit(i: usize) -> u64 {
    1 << i.min(63)
}

fn blank(v: &[u8]) -> bool {
    v.trim_ascii().is_empty()
}

pub fn validate(x: &Exchange<'_>) -> Result<(), Reject> {
    let validation = &x.method().validation;
    let Some(idx) = validation.validator else {
        return Ok(());
    };
    if !x.stage().validators[idx.0 as usize].validate_parameters {
        return Ok(());
    }
    let ex = x.req;
    let mut missing = 0u64;
    for (i, p) in validation.required.iter().enumerate() {
        let present = match p.location {
            ParamLocation::Path => {
                let at = x.method().path_params.iter().position(|n| **n == *p.name);
                at.and_then(|at| x.route.capture(ex.buf, at))
                    .is_some_and(|v| !blank(v))
            }
            ParamLocation::Query => query_pairs(ex.head.query.get(ex.buf))
                .any(|(n, v)| n == p.name.as_bytes() && !blank(v)),
            ParamLocation::Header => ex
                .head
                .headers(ex.buf)
                .any(|(n, v)| n.eq_ignore_ascii_case(p.name.as_bytes()) && !blank(v)),
        };
        if !present {
            missing |= bit(i);
        }
    }
    if missing == 0 {
        Ok(())
    } else {
        Err(Reject::MissingRequiredParameters { missing })
    }
}

/// Writes the names `missing` selects, as AWS lists them: `[a, b]`.
pub fn write_missing(x: &Exchange<'_>, missing: u64, out: &mut Vec<u8>) {
    out.push(b'[');
    let mut first = true;
    for (i, p) in x.method().validation.required.iter().enumerate() {
        if missing & bit(i) != 0 {
            if !first {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(p.name.as_bytes());
            first = false;
        }
    }
    out.push(b']');
}
