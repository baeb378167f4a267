//! `x-amazon-apigateway-integration` -> `model::Integration`. Only the document's shape is
//! checked here (types of fields, spelling conversions such as `http_proxy` -> `HTTP_PROXY`);
//! what the values mean is checked by `compile::check_api_at` on the finished model, so an
//! import and a deployment refuse the same things.

use super::doc::{extras, Ctx};
use crate::deploy::model::{Integration, IntegrationResponse};
use crate::deploy::problem::join;
use serde_json::{Map, Value};
use std::collections::HashMap;

const KNOWN: [&str; 15] = [
    "type",
    "httpMethod",
    "uri",
    "connectionType",
    "connectionId",
    "credentials",
    "requestParameters",
    "requestTemplates",
    "passthroughBehavior",
    "contentHandling",
    "timeoutInMillis",
    "cacheNamespace",
    "cacheKeyParameters",
    "tlsConfig",
    "responses",
];
// `selectionPattern` is the response's key in OpenAPI; one written inside the response is
// ignored with a warning (kept as an extra it would collide with the stored field).
const KNOWN_RESPONSE: [&str; 5] = [
    "selectionPattern",
    "statusCode",
    "responseParameters",
    "responseTemplates",
    "contentHandling",
];

/// The integration, and for each integration response status code the `responses` key (the
/// selection pattern as written) it came from, for pointers.
pub fn import_integration(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    at: &str,
) -> (Integration, HashMap<String, String>) {
    let mut origin = HashMap::new();
    let kind = match cx.field_str(obj, "type", at) {
        Some(t) => t.to_ascii_uppercase(),
        None => {
            if !obj.contains_key("type") {
                cx.error(
                    join(at, "type"),
                    "Invalid integration: the integration type is required",
                );
            }
            String::new()
        }
    };
    let timeout_in_millis = cx.field_i64(obj, "timeoutInMillis", at).map(|t| {
        // Out-of-range values are reported by the compile check; clamp into u32 so they are.
        u32::try_from(t).unwrap_or(if t < 0 { 0 } else { u32::MAX })
    });
    let mut integ = Integration {
        kind,
        http_method: cx.field_str(obj, "httpMethod", at).map(str::to_string),
        uri: cx.field_str(obj, "uri", at).map(str::to_string),
        connection_type: cx
            .field_str(obj, "connectionType", at)
            .map(str::to_ascii_uppercase),
        connection_id: cx.field_str(obj, "connectionId", at).map(str::to_string),
        credentials: cx.field_str(obj, "credentials", at).map(str::to_string),
        request_parameters: cx.field_string_map(obj, "requestParameters", at),
        request_templates: cx.field_string_map(obj, "requestTemplates", at),
        passthrough_behavior: cx
            .field_str(obj, "passthroughBehavior", at)
            .map(str::to_ascii_uppercase),
        content_handling: cx.field_str(obj, "contentHandling", at).map(str::to_string),
        timeout_in_millis,
        cache_namespace: cx.field_str(obj, "cacheNamespace", at).map(str::to_string),
        cache_key_parameters: cx.field_strings(obj, "cacheKeyParameters", at),
        tls_config: obj.get("tlsConfig").cloned(),
        extra: extras(obj, &KNOWN),
        ..Integration::default()
    };
    if let Some(responses) = cx.field_object(obj, "responses", at) {
        let base = join(at, "responses");
        for (pattern, v) in responses {
            let r_at = join(&base, pattern);
            let Some(r) = cx.object(v, &r_at) else {
                continue;
            };
            let Some(status) = cx.field_str_or_number(r, "statusCode", &r_at) else {
                if !r.contains_key("statusCode") {
                    cx.error(
                        join(&r_at, "statusCode"),
                        "Invalid integration response: statusCode is required",
                    );
                }
                continue;
            };
            if integ.integration_responses.contains_key(&status) {
                cx.warn(&r_at, format!(
                    "Integration response for status code {status} is defined more than once; only the first one is imported"
                ));
                continue;
            }
            if r.contains_key("selectionPattern") {
                cx.warn(
                    join(&r_at, "selectionPattern"),
                    format!("selectionPattern inside an integration response is ignored: the response's key ({pattern}) is its selection pattern"),
                );
            }
            let response = IntegrationResponse {
                status_code: status.clone(),
                selection_pattern: (pattern != "default").then(|| pattern.clone()),
                response_parameters: cx.field_string_map(r, "responseParameters", &r_at),
                response_templates: cx.field_string_map(r, "responseTemplates", &r_at),
                content_handling: cx
                    .field_str(r, "contentHandling", &r_at)
                    .map(str::to_string),
                extra: extras(r, &KNOWN_RESPONSE),
            };
            integ.integration_responses.insert(status.clone(), response);
            origin.insert(status, pattern.clone());
        }
    }
    (integ, origin)
}
