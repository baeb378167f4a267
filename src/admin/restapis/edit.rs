//! The check every edit of an API definition passes before it is stored: the compiler's own
//! `check_api`, over the definition minus the methods that have no integration yet (AWS lets a
//! method exist without one until deployment, where it is then refused).

use crate::admin::error::ApiError;
use crate::deploy::compile::check_api;
use crate::deploy::model::RestApi;

pub fn check_edited(api: &RestApi) -> Result<(), ApiError> {
    let mut checked = api.clone();
    for r in &mut checked.resources {
        r.resource_methods
            .retain(|_, m| m.method_integration.is_some());
    }
    check_api(&checked).map_err(|p| {
        let messages: Vec<&str> = p.0.iter().map(|p| p.message.as_str()).collect();
        ApiError::bad_request(messages.join("; "))
    })
}
