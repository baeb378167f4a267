//! UpdateStage's checks of `accessLogSettings`, run on the patched stage before anything is
//! stored: the format compiles (every `$context` variable is one API Gateway documents), the
//! destination is a CloudWatch Logs log group ARN, and this host can write where that group
//! goes (a destination that cannot be written is refused here, with the reason, rather than
//! accepted and silently lost). Each refusal is a 400 and changes nothing.

use crate::admin::error::ApiError;
use crate::deploy::compile::access_log::{compile, SETTINGS};
use crate::deploy::model::Stage;
use serde_json::Value;

fn member<'s>(stage: &'s Stage, name: &str) -> Option<&'s str> {
    stage.extra.get(SETTINGS)?.get(name).and_then(Value::as_str)
}

pub fn check(old: &Stage, new: &Stage) -> Result<(), ApiError> {
    let (format, arn) = (member(new, "format"), member(new, "destinationArn"));
    if format.is_none() && arn.is_none() {
        return Ok(());
    }
    let Some(arn) = arn else {
        return Err(ApiError::bad_request(
            "Access log destination ARN must be specified when a format is set",
        ));
    };
    crate::runtime::access_log::log_group(arn).map_err(ApiError::bad_request)?;
    // A destination alone logs nothing until a format is set.
    let Some(format) = format else { return Ok(()) };
    compile(format).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if member(old, "destinationArn") != Some(arn) {
        crate::runtime::access_log::check(arn).map_err(ApiError::bad_request)?;
    }
    Ok(())
}
