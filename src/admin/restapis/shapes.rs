//! Output shapes of the REST API and resource-tree operations: `RestApi`, `Resource`, `Method`,
//! `MethodResponse`, `Integration` and `IntegrationResponse` as botocore's model names them.
//!
//! The stored model already uses AWS's member names; these views drop what is not an AWS member
//! (`extra`, kept for exports) and fill the defaults AWS reports for members never set
//! (`timeoutInMillis` 29000, `passthroughBehavior` WHEN_NO_MATCH, `connectionType` INTERNET,
//! `cacheNamespace` the resource id, `cacheKeyParameters` []).

use crate::deploy::model::{
    EndpointConfiguration, Integration, IntegrationResponse, Method, MethodResponse, Resource,
    RestApi,
};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub fn method_response_out(r: &MethodResponse) -> Value {
    let mut r = r.clone();
    r.extra.clear();
    serde_json::to_value(r).unwrap_or(Value::Null)
}

pub fn integration_response_out(r: &IntegrationResponse) -> Value {
    let mut r = r.clone();
    r.extra.clear();
    serde_json::to_value(r).unwrap_or(Value::Null)
}

pub fn integration_out(i: &Integration, resource_id: &str) -> Value {
    let mut i = i.clone();
    i.extra.clear();
    i.timeout_in_millis.get_or_insert(29_000);
    i.passthrough_behavior
        .get_or_insert_with(|| "WHEN_NO_MATCH".into());
    i.cache_namespace.get_or_insert_with(|| resource_id.into());
    if i.kind != "MOCK" {
        i.connection_type.get_or_insert_with(|| "INTERNET".into());
    }
    for r in i.integration_responses.values_mut() {
        r.extra.clear();
    }
    let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.entry("cacheKeyParameters").or_insert(json!([]));
    }
    v
}

pub fn method_out(m: &Method, resource_id: &str) -> Value {
    let mut out = m.clone();
    out.extra.clear();
    out.method_integration = None;
    for r in out.method_responses.values_mut() {
        r.extra.clear();
    }
    let mut v = serde_json::to_value(out).unwrap_or(Value::Null);
    if let (Some(o), Some(i)) = (v.as_object_mut(), &m.method_integration) {
        o.insert("methodIntegration".into(), integration_out(i, resource_id));
    }
    v
}

/// `embed` = the `embed=methods` query: whole methods; otherwise `{"GET": {}}` as AWS lists them.
pub fn resource_out(r: &Resource, embed: bool) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(r.id));
    if let Some(p) = &r.parent_id {
        o.insert("parentId".into(), json!(p));
    }
    if let Some(p) = &r.path_part {
        o.insert("pathPart".into(), json!(p));
    }
    o.insert("path".into(), json!(r.path));
    if !r.resource_methods.is_empty() {
        let methods: Map<String, Value> = r
            .resource_methods
            .iter()
            .map(|(k, m)| {
                let v = if embed {
                    method_out(m, &r.id)
                } else {
                    json!({})
                };
                (k.clone(), v)
            })
            .collect();
        o.insert("resourceMethods".into(), Value::Object(methods));
    }
    Value::Object(o)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestApiOut<'a> {
    pub id: &'a str,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub created_date: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub warnings: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub binary_media_types: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_compression_size: Option<i64>,
    pub api_key_source: &'a str,
    pub endpoint_configuration: EndpointConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: &'a BTreeMap<String, String>,
    pub disable_execute_api_endpoint: bool,
    pub root_resource_id: &'a str,
}

impl<'a> From<&'a RestApi> for RestApiOut<'a> {
    fn from(a: &'a RestApi) -> Self {
        RestApiOut {
            id: &a.id,
            name: &a.name,
            description: a.description.as_deref(),
            created_date: a.created_date,
            version: a.version.as_deref(),
            warnings: &a.warnings,
            binary_media_types: &a.binary_media_types,
            minimum_compression_size: a.minimum_compression_size,
            // AWS reports HEADER and an EDGE endpoint when the API does not say otherwise.
            api_key_source: a.api_key_source.as_deref().unwrap_or("HEADER"),
            endpoint_configuration: a.endpoint_configuration.clone().unwrap_or_else(|| {
                EndpointConfiguration {
                    types: vec!["EDGE".into()],
                    ..Default::default()
                }
            }),
            policy: a.policy.as_deref(),
            tags: &a.tags,
            disable_execute_api_endpoint: a.disable_execute_api_endpoint,
            root_resource_id: &a.root_resource_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn method_embeds_integration_with_aws_defaults_and_no_extras() {
        let mut m = Method {
            http_method: "GET".into(),
            authorization_type: "NONE".into(),
            method_integration: Some(Integration {
                kind: "HTTP".into(),
                http_method: Some("GET".into()),
                uri: Some("http://x".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        m.extra.insert("summary".into(), json!("s"));
        m.method_responses.insert(
            "200".into(),
            MethodResponse {
                status_code: "200".into(),
                ..Default::default()
            },
        );
        let v = method_out(&m, "r1");
        assert_eq!(
            v,
            json!({"httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": false,
                   "methodResponses": {"200": {"statusCode": "200"}},
                   "methodIntegration": {"type": "HTTP", "httpMethod": "GET", "uri": "http://x",
                       "connectionType": "INTERNET", "passthroughBehavior": "WHEN_NO_MATCH",
                       "timeoutInMillis": 29000, "cacheNamespace": "r1", "cacheKeyParameters": []}})
        );
        let r = Resource {
            id: "r1".into(),
            parent_id: Some("p".into()),
            path_part: Some("x".into()),
            path: "/x".into(),
            resource_methods: BTreeMap::from([("GET".into(), m)]),
            ..Default::default()
        };
        assert_eq!(
            resource_out(&r, false),
            json!({"id": "r1", "parentId": "p", "pathPart": "x", "path": "/x",
                   "resourceMethods": {"GET": {}}})
        );
        assert_eq!(resource_out(&r, true)["resourceMethods"]["GET"], v);
    }

    #[test]
    fn rest_api_out_has_only_aws_members_with_defaults() {
        let mut api = RestApi {
            id: "a1".into(),
            name: "pets".into(),
            created_date: 1700000000,
            root_resource_id: "r".into(),
            ..Default::default()
        };
        api.resources.push(Default::default());
        api.extra.insert("x-amazon-apigateway-foo".into(), json!(1));
        let v = serde_json::to_value(RestApiOut::from(&api)).unwrap();
        assert_eq!(
            v,
            json!({"id": "a1", "name": "pets", "createdDate": 1700000000, "apiKeySource": "HEADER",
                   "endpointConfiguration": {"types": ["EDGE"]}, "disableExecuteApiEndpoint": false,
                   "rootResourceId": "r"})
        );
    }
}
