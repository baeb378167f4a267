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
//!
//! `validateRequestBody` (checked after the parameters, as AWS does) picks the method's model
//! for the request's `Content-Type` (`BodyModels::select`: media type, case-insensitive, else
//! `$default`; no header means `application/json`) and validates the body, parsed once by
//! `Exchange::body_json`, against the model compiled at deployment. Choices, with why:
//! - a content type with neither its own model nor `$default` is not validated: AWS passes such
//!   a request through to the integration (what its users report and document working around);
//! - a method with no `requestModels` at all is validated against AWS's `Empty` model
//!   (`{"type": "object"}`), as LocalStack found AWS doing;
//! - an empty body is validated as `{}` (LocalStack, checked against AWS: a GET without a body
//!   passes a body validator whose model requires nothing);
//! - a body that is not JSON fails with `[Unknown error parsing request body]`, the text AWS logs.
//!
//! A failure answers 400 BAD_REQUEST_BODY `{"message": "Invalid request body"}`. Only the model
//! travels in the `Reject`; the renderer asks `write_validation_error_string` for
//! `$context.error.validationErrorString`, so the error text is built (and allocated) only on
//! that failure path.

mod messages;

pub use messages::error_string;

use super::params::query_pairs;
use super::respond::Reject;
use super::Exchange;
use crate::deploy::policy::{ModelIdx, ParamLocation};
use crate::json::schema::Tape;
use crate::json::Node;
use jsonschema::Validator;
use std::sync::LazyLock;

/// Bit `i` stands for the method's `i`-th required parameter; later ones share the last bit.
fn bit(i: usize) -> u64 {
    1 << i.min(63)
}

fn blank(v: &[u8]) -> bool {
    v.trim_ascii().is_empty()
}

pub fn validate(x: &Exchange<'_>) -> Result<(), Reject> {
    let Some(idx) = x.method().validation.validator else {
        return Ok(());
    };
    let validator = &x.stage().validators[idx.0 as usize];
    if validator.validate_parameters {
        check_parameters(x)?;
    }
    if validator.validate_body {
        check_body(x)?;
    }
    Ok(())
}

fn check_parameters(x: &Exchange<'_>) -> Result<(), Reject> {
    let validation = &x.method().validation;
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

/// The body as the model sees it: `{}` when empty (the tape parses a blank body so), `None` when
/// it is not JSON.
fn instance<'x>(x: &'x Exchange<'_>) -> Option<Node<'x>> {
    x.body_json()
}

fn check_body(x: &Exchange<'_>) -> Result<(), Reject> {
    let body = &x.method().validation.body;
    let Some(model) = body.select(x.req.header(b"content-type")) else {
        return Ok(());
    };
    // Compiled for every model a body-validating method selects; absent only if that ever broke.
    let Some(validator) = model_validator(x, model) else {
        return Err(Reject::Internal);
    };
    match instance(x) {
        Some(v) if validator.is_valid(v.into()) => Ok(()),
        _ => Err(Reject::InvalidBody { model }),
    }
}

/// AWS's `Empty` model, for a body-validating method that names no model.
static EMPTY_MODEL: LazyLock<Validator<Tape>> = LazyLock::new(|| {
    jsonschema::options_for::<Tape>()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&serde_json::json!({"type": "object"}))
        .expect("a valid schema")
});

fn model_validator<'x>(x: &'x Exchange<'_>, model: ModelIdx) -> Option<&'x Validator<Tape>> {
    if model == ModelIdx::EMPTY {
        return Some(&EMPTY_MODEL);
    }
    let compiled = x.stage().models.get(model.0 as usize)?.as_ref()?;
    Some(&compiled.validator)
}

/// Writes `$context.error.validationErrorString` for a body `model` refused, escaped for the
/// inside of a JSON string as AWS gives it (`[object has missing required properties
/// ([\"name\"])]`).
#[cold]
pub fn write_validation_error_string(x: &Exchange<'_>, model: ModelIdx, out: &mut Vec<u8>) {
    if let Some(text) = validation_error_text(x, model) {
        crate::http::response::json_escape(out, &text);
    }
}

/// The same message unescaped, for a writer that escapes for its own format (the access log).
#[cold]
pub fn write_validation_error_text(x: &Exchange<'_>, model: ModelIdx, out: &mut Vec<u8>) {
    if let Some(text) = validation_error_text(x, model) {
        out.extend_from_slice(text.as_bytes());
    }
}

fn validation_error_text(x: &Exchange<'_>, model: ModelIdx) -> Option<String> {
    let validator = model_validator(x, model)?;
    Some(match instance(x) {
        Some(v) => messages::error_string(validator, v.into()),
        None => messages::UNPARSEABLE.to_string(),
    })
}
