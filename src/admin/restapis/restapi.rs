//! CreateRestApi and UpdateRestApi: a new, empty API with its root resource, and the patch
//! paths AWS documents for `UpdateRestApi`.

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Op, PatchOperation, Rule};
use crate::deploy::ids::new_id;
use crate::deploy::model::{EndpointConfiguration, Resource, RestApi};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// AWS's `CreateRestApiRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRestApiIn {
    pub name: Option<String>,
    pub description: Option<String>,
    pub version: Option<String>,
    /// Accepted so the error can say cloning is not supported.
    pub clone_from: Option<String>,
    #[serde(default)]
    pub binary_media_types: Vec<String>,
    pub minimum_compression_size: Option<i64>,
    pub api_key_source: Option<String>,
    pub endpoint_configuration: Option<EndpointConfiguration>,
    pub policy: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub disable_execute_api_endpoint: bool,
    /// Members of AWS's request Tollgate accepts and does not act on (TLS policy, VPC access).
    #[allow(dead_code)]
    pub security_policy: Option<Value>,
    #[allow(dead_code)]
    pub endpoint_access_mode: Option<Value>,
}

/// The new API (id, root resource), not yet stored.
pub fn new_rest_api(input: CreateRestApiIn, now: i64) -> Result<RestApi, ApiError> {
    let name = input.name.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
        ApiError::bad_request("Invalid REST API name specified: name must not be empty")
    })?;
    if input.clone_from.is_some() {
        return Err(ApiError::bad_request(
            "cloneFrom is not supported by Tollgate",
        ));
    }
    check_key_source(input.api_key_source.as_deref())?;
    check_compression(input.minimum_compression_size)?;
    let root = new_id(10);
    Ok(RestApi {
        id: new_id(10),
        name,
        description: input.description,
        created_date: now,
        version: input.version,
        binary_media_types: input.binary_media_types,
        minimum_compression_size: input.minimum_compression_size,
        api_key_source: input.api_key_source,
        endpoint_configuration: input.endpoint_configuration,
        policy: input.policy,
        tags: input.tags,
        disable_execute_api_endpoint: input.disable_execute_api_endpoint,
        root_resource_id: root.clone(),
        resources: vec![Resource {
            id: root,
            path: "/".into(),
            ..Resource::default()
        }],
        ..RestApi::default()
    })
}

fn check_key_source(s: Option<&str>) -> Result<(), ApiError> {
    match s {
        None | Some("HEADER" | "AUTHORIZER") => Ok(()),
        Some(o) => Err(ApiError::bad_request(format!(
            "Invalid API key source specified: {o}. Valid options are HEADER, AUTHORIZER"
        ))),
    }
}

fn check_compression(n: Option<i64>) -> Result<(), ApiError> {
    match n {
        Some(n) if !(0..=10_485_760).contains(&n) => Err(ApiError::bad_request(
            "Invalid minimum compression size, must be between 0 and 10485760",
        )),
        _ => Ok(()),
    }
}

const REST_API_RULES: &[Rule<RestApi>] = &[
    Rule {
        path: "/name",
        ops: &[Op::Replace],
        apply: |a, c| {
            if c.value().trim().is_empty() {
                return Err(c.invalid("name must not be empty"));
            }
            a.name = c.value().to_string();
            Ok(())
        },
    },
    Rule {
        path: "/description",
        ops: &[Op::Replace, Op::Remove],
        apply: |a, c| {
            a.description = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/version",
        ops: &[Op::Replace, Op::Remove],
        apply: |a, c| {
            a.version = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/policy",
        ops: &[Op::Replace, Op::Remove],
        apply: |a, c| {
            a.policy = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/apiKeySource",
        ops: &[Op::Replace],
        apply: |a, c| {
            check_key_source(Some(c.value())).map_err(|e| c.invalid(e.parts().2))?;
            a.api_key_source = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/minimumCompressionSize",
        ops: &[Op::Replace, Op::Remove],
        apply: |a, c| {
            a.minimum_compression_size = match c.op {
                Op::Remove => None,
                _ if c.value().is_empty() => None,
                _ => Some(c.int(0..=10_485_760)?),
            };
            Ok(())
        },
    },
    Rule {
        path: "/disableExecuteApiEndpoint",
        ops: &[Op::Replace],
        apply: |a, c| {
            a.disable_execute_api_endpoint = c.bool()?;
            Ok(())
        },
    },
    Rule {
        // `/binaryMediaTypes/image~1png`: the media type is the escaped last segment.
        path: "/binaryMediaTypes/{mediaType}",
        ops: &[Op::Add, Op::Remove, Op::Replace],
        apply: |a, c| {
            let t = c.capture(0).to_string();
            a.binary_media_types.retain(|m| m != &t);
            match c.op {
                Op::Add => a.binary_media_types.push(t),
                Op::Replace => a.binary_media_types.push(c.value().to_string()),
                _ => {}
            }
            Ok(())
        },
    },
];

/// UpdateRestApi over a stored API.
pub fn update_rest_api(api: &RestApi, ops: &[PatchOperation]) -> Result<RestApi, ApiError> {
    Ok(patch::apply(api, ops, REST_API_RULES)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_update() {
        let input: CreateRestApiIn =
            serde_json::from_str(r#"{"name":"pets","binaryMediaTypes":["image/png"]}"#).unwrap();
        let api = new_rest_api(input, 5).unwrap();
        assert_eq!(api.resources.len(), 1);
        assert_eq!(api.resources[0].id, api.root_resource_id);
        assert_eq!(api.created_date, 5);
        let ops = patch::parse(
            br#"{"patchOperations":[{"op":"replace","path":"/name","value":"cats"},
            {"op":"remove","path":"/binaryMediaTypes/image~1png"},
            {"op":"add","path":"/binaryMediaTypes/image~1gif"},
            {"op":"replace","path":"/minimumCompressionSize","value":"100"}]}"#,
        )
        .unwrap();
        let up = update_rest_api(&api, &ops).unwrap();
        assert_eq!(up.name, "cats");
        assert_eq!(up.binary_media_types, ["image/gif"]);
        assert_eq!(up.minimum_compression_size, Some(100));
        let bad =
            patch::parse(br#"{"patchOperations":[{"op":"replace","path":"/id","value":"x"}]}"#)
                .unwrap();
        assert_eq!(update_rest_api(&api, &bad).unwrap_err().parts().0, 400);
        let empty: CreateRestApiIn = serde_json::from_str("{}").unwrap();
        assert!(new_rest_api(empty, 0).is_err());
    }
}
