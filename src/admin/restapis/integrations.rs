//! Integrations and IntegrationResponses of a method (Put/Get/Update/Delete), as pure edits of a
//! `RestApi`. What the values mean (URI, type, timeout, templates) is checked by the compiler's
//! `check_api` when the control plane stores the result, so an admin write and a deployment
//! refuse the same things with the same messages.

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Op, PatchOperation, Rule};
use crate::admin::restapis::methods::{edit_map, method_mut};
use crate::deploy::model::{Integration, IntegrationResponse, RestApi};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub const INTEGRATION_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid Integration identifier specified");
pub const INTEGRATION_RESPONSE_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid Response status code specified");

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutIntegrationIn {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// botocore's wire name for `integrationHttpMethod` is `httpMethod` (its locationName).
    #[serde(rename = "httpMethod", alias = "integrationHttpMethod")]
    pub integration_http_method: Option<String>,
    pub uri: Option<String>,
    pub connection_type: Option<String>,
    pub connection_id: Option<String>,
    pub credentials: Option<String>,
    #[serde(default)]
    pub request_parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub request_templates: BTreeMap<String, String>,
    pub passthrough_behavior: Option<String>,
    pub cache_namespace: Option<String>,
    #[serde(default)]
    pub cache_key_parameters: Vec<String>,
    pub content_handling: Option<String>,
    pub timeout_in_millis: Option<u32>,
    pub tls_config: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutIntegrationResponseIn {
    pub selection_pattern: Option<String>,
    #[serde(default)]
    pub response_parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub response_templates: BTreeMap<String, String>,
    pub content_handling: Option<String>,
}

pub fn integration_mut<'a>(
    api: &'a mut RestApi,
    resource_id: &str,
    http_method: &str,
) -> Result<&'a mut Integration, ApiError> {
    method_mut(api, resource_id, http_method)?
        .method_integration
        .as_mut()
        .ok_or(INTEGRATION_NOT_FOUND)
}

/// PutIntegration: sets (replaces) the method's integration.
pub fn put_integration(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
    input: PutIntegrationIn,
) -> Result<Integration, ApiError> {
    let kind = input
        .kind
        .ok_or_else(|| ApiError::bad_request("Integration type must be specified"))?;
    let integ = Integration {
        kind,
        http_method: input.integration_http_method,
        uri: input.uri,
        connection_type: input.connection_type,
        connection_id: input.connection_id,
        credentials: input.credentials,
        request_parameters: input.request_parameters,
        request_templates: input.request_templates,
        passthrough_behavior: input.passthrough_behavior,
        content_handling: input.content_handling,
        timeout_in_millis: input.timeout_in_millis,
        cache_namespace: input.cache_namespace,
        cache_key_parameters: input.cache_key_parameters,
        tls_config: input.tls_config,
        ..Integration::default()
    };
    method_mut(api, resource_id, http_method)?.method_integration = Some(integ.clone());
    Ok(integ)
}

const INTEGRATION_RULES: &[Rule<Integration>] = &[
    Rule {
        path: "/type",
        ops: &[Op::Replace],
        apply: |i, c| {
            i.kind = c.value().to_string();
            Ok(())
        },
    },
    Rule {
        path: "/httpMethod",
        ops: &[Op::Replace],
        apply: |i, c| {
            i.http_method = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/uri",
        ops: &[Op::Replace],
        apply: |i, c| {
            i.uri = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/connectionType",
        ops: &[Op::Replace],
        apply: |i, c| {
            i.connection_type = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/connectionId",
        ops: &[Op::Replace, Op::Remove],
        apply: |i, c| {
            i.connection_id = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/credentials",
        ops: &[Op::Replace, Op::Remove],
        apply: |i, c| {
            i.credentials = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/passthroughBehavior",
        ops: &[Op::Replace],
        apply: |i, c| {
            i.passthrough_behavior = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/contentHandling",
        ops: &[Op::Replace, Op::Remove],
        apply: |i, c| {
            i.content_handling = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/timeoutInMillis",
        ops: &[Op::Replace],
        apply: |i, c| {
            i.timeout_in_millis = Some(c.int(50..=29_000)? as u32);
            Ok(())
        },
    },
    Rule {
        path: "/cacheNamespace",
        ops: &[Op::Replace],
        apply: |i, c| {
            i.cache_namespace = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/cacheKeyParameters/{name}",
        ops: &[Op::Add, Op::Remove],
        apply: |i, c| {
            i.cache_key_parameters.retain(|p| p != c.capture(0));
            if c.op == Op::Add {
                i.cache_key_parameters.push(c.capture(0).to_string());
            }
            Ok(())
        },
    },
    Rule {
        path: "/requestParameters/{name}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |i, c| edit_map(&mut i.request_parameters, c, || Ok(c.value().to_string())),
    },
    Rule {
        path: "/requestTemplates/{contentType}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |i, c| edit_map(&mut i.request_templates, c, || Ok(c.value().to_string())),
    },
];

pub fn update_integration(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
    ops: &[PatchOperation],
) -> Result<Integration, ApiError> {
    let i = integration_mut(api, resource_id, http_method)?;
    *i = patch::apply(i, ops, INTEGRATION_RULES)?;
    Ok(i.clone())
}

pub fn delete_integration(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
) -> Result<(), ApiError> {
    method_mut(api, resource_id, http_method)?
        .method_integration
        .take()
        .map(|_| ())
        .ok_or(INTEGRATION_NOT_FOUND)
}

/// PutIntegrationResponse: creates or replaces the integration response for `status`.
pub fn put_integration_response(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
    status: &str,
    input: PutIntegrationResponseIn,
) -> Result<IntegrationResponse, ApiError> {
    if !crate::deploy::import::is_status_code(status) {
        return Err(ApiError::bad_request(format!(
            "Invalid status code specified: {status}"
        )));
    }
    let r = IntegrationResponse {
        status_code: status.to_string(),
        selection_pattern: input.selection_pattern,
        response_parameters: input.response_parameters,
        response_templates: input.response_templates,
        content_handling: input.content_handling,
        ..IntegrationResponse::default()
    };
    integration_mut(api, resource_id, http_method)?
        .integration_responses
        .insert(status.to_string(), r.clone());
    Ok(r)
}

pub fn integration_response_mut<'a>(
    api: &'a mut RestApi,
    resource_id: &str,
    http_method: &str,
    status: &str,
) -> Result<&'a mut IntegrationResponse, ApiError> {
    integration_mut(api, resource_id, http_method)?
        .integration_responses
        .get_mut(status)
        .ok_or(INTEGRATION_RESPONSE_NOT_FOUND)
}

const INTEGRATION_RESPONSE_RULES: &[Rule<IntegrationResponse>] = &[
    Rule {
        path: "/selectionPattern",
        ops: &[Op::Replace, Op::Remove],
        apply: |r, c| {
            r.selection_pattern = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/contentHandling",
        ops: &[Op::Replace, Op::Remove],
        apply: |r, c| {
            r.content_handling = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/responseParameters/{name}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |r, c| edit_map(&mut r.response_parameters, c, || Ok(c.value().to_string())),
    },
    Rule {
        path: "/responseTemplates/{contentType}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |r, c| edit_map(&mut r.response_templates, c, || Ok(c.value().to_string())),
    },
];

pub fn update_integration_response(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
    status: &str,
    ops: &[PatchOperation],
) -> Result<IntegrationResponse, ApiError> {
    let r = integration_response_mut(api, resource_id, http_method, status)?;
    *r = patch::apply(r, ops, INTEGRATION_RESPONSE_RULES)?;
    Ok(r.clone())
}

pub fn delete_integration_response(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
    status: &str,
) -> Result<(), ApiError> {
    integration_mut(api, resource_id, http_method)?
        .integration_responses
        .remove(status)
        .map(|_| ())
        .ok_or(INTEGRATION_RESPONSE_NOT_FOUND)
}
