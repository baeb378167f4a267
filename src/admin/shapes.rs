//! The management API's JSON shapes, as botocore's `apigateway` 2015-07-09 model names them.
//!
//! Output shapes are views built from `deploy::model` so only AWS's members go out (never our
//! resource tree or `extra`); timestamps are epoch seconds as JSON numbers, lists go under `item`.
//! Request bodies use `deny_unknown_fields`, as AWS rejects members it does not know.

use super::error::ApiError;
use super::http::Request;
use crate::deploy::model::{Deployment, EndpointConfiguration, RestApi, Stage};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

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

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentOut<'a> {
    pub id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub created_date: i64,
}

impl<'a> From<&'a Deployment> for DeploymentOut<'a> {
    fn from(d: &'a Deployment) -> Self {
        DeploymentOut {
            id: &d.id,
            description: d.description.as_deref(),
            created_date: d.created_date,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageOut<'a> {
    pub deployment_id: &'a str,
    pub stage_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub cache_cluster_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_cluster_size: Option<&'a str>,
    pub cache_cluster_status: &'static str,
    pub method_settings: &'a Map<String, Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: &'a BTreeMap<String, String>,
    pub tracing_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_settings: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation_version: Option<&'a Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: &'a BTreeMap<String, String>,
    pub created_date: i64,
    pub last_updated_date: i64,
}

impl<'a> From<&'a Stage> for StageOut<'a> {
    fn from(s: &'a Stage) -> Self {
        StageOut {
            deployment_id: &s.deployment_id,
            stage_name: &s.stage_name,
            description: s.description.as_deref(),
            cache_cluster_enabled: s.cache_cluster_enabled,
            cache_cluster_size: s.cache_cluster_size.as_deref(),
            cache_cluster_status: "NOT_AVAILABLE",
            method_settings: &s.method_settings,
            variables: &s.variables,
            tracing_enabled: s.tracing_enabled,
            canary_settings: s.extra.get("canarySettings"),
            documentation_version: s.extra.get("documentationVersion"),
            tags: &s.tags,
            created_date: s.created_date,
            last_updated_date: s.last_updated_date,
        }
    }
}

/// A paginated collection (`RestApis`, `Deployments`): `{"item": [...], "position": ...}`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    pub item: Vec<T>,
}

/// `Stages`: not paginated.
#[derive(Debug, Serialize)]
pub struct Items<T> {
    pub item: Vec<T>,
}

/// CreateDeployment's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateDeploymentIn {
    pub stage_name: Option<String>,
    pub stage_description: Option<String>,
    pub description: Option<String>,
    pub cache_cluster_enabled: Option<bool>,
    pub cache_cluster_size: Option<String>,
    /// `Some` replaces the stage's variables.
    pub variables: Option<BTreeMap<String, String>>,
    /// Accepted so the error can say canaries are not supported, rather than "unknown field".
    pub canary_settings: Option<Value>,
    pub tracing_enabled: Option<bool>,
}

/// Parses a JSON request body; an empty body is `{}` (botocore sends none when no member is set).
pub fn parse_body<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))
}

pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 500;

/// Reads the `limit` query value: default 25, 1..=500.
pub fn parse_limit(limit: Option<&str>) -> Result<usize, ApiError> {
    let Some(raw) = limit else {
        return Ok(DEFAULT_LIMIT);
    };
    match raw.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "Invalid limit {raw}: the limit must be between 1 and {MAX_LIMIT}"
        ))),
    }
}

/// One page of `items` (sorted by `key`): those from `position` (the key of the first item to
/// return, as handed out by the previous page) on, at most `limit`, and the next page's position.
pub fn paginate<'a, T>(
    items: &'a [T],
    key: impl Fn(&T) -> &str,
    position: Option<&str>,
    limit: usize,
) -> (&'a [T], Option<String>) {
    let start = match position {
        Some(p) => items.partition_point(|t| key(t) < p),
        None => 0,
    };
    let end = (start + limit).min(items.len());
    let next = items.get(end).map(|t| key(t).to_string());
    (&items[start..end], next)
}

/// One page of a listing, as every AWS `Get*s` collection answers: `position` and `limit` from the
/// request's query, `items` sorted by `key`, each item on the page encoded by `out`.
pub fn page_of<'a, T, O>(
    req: &Request,
    items: &'a [T],
    key: impl Fn(&T) -> &str,
    out: impl FnMut(&'a T) -> O,
) -> Result<Page<O>, ApiError> {
    let limit = parse_limit(req.query("limit"))?;
    let (page, position) = paginate(items, key, req.query("position"), limit);
    Ok(Page {
        position,
        item: page.iter().map(out).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn stage_and_deployment_out_shapes() {
        let stage = Stage {
            stage_name: "prod".into(),
            deployment_id: "d1".into(),
            variables: BTreeMap::from([("a".into(), "b".into())]),
            created_date: 1,
            last_updated_date: 2,
            ..Default::default()
        };
        let v = serde_json::to_value(StageOut::from(&stage)).unwrap();
        assert_eq!(
            v,
            json!({"deploymentId": "d1", "stageName": "prod", "cacheClusterEnabled": false,
                   "cacheClusterStatus": "NOT_AVAILABLE", "methodSettings": {}, "variables": {"a": "b"},
                   "tracingEnabled": false, "createdDate": 1, "lastUpdatedDate": 2})
        );
        let d = Deployment {
            id: "d1".into(),
            description: Some("x".into()),
            created_date: 3,
            api: RestApi::default(),
        };
        assert_eq!(
            serde_json::to_value(DeploymentOut::from(&d)).unwrap(),
            json!({"id": "d1", "description": "x", "createdDate": 3})
        );
    }

    #[test]
    fn create_deployment_body_rejects_unknown_members() {
        let ok: CreateDeploymentIn =
            parse_body(br#"{"stageName":"prod","variables":{"a":"b"}}"#).unwrap();
        assert_eq!(ok.stage_name.as_deref(), Some("prod"));
        assert!(parse_body::<CreateDeploymentIn>(b"").is_ok());
        for bad in [&br#"{"stageNam":"prod"}"#[..], b"{", b"[1]"] {
            assert!(matches!(
                parse_body::<CreateDeploymentIn>(bad),
                Err(ApiError::BadRequest(_))
            ));
        }
    }

    #[test]
    fn pagination_walks_every_item_once() {
        let items: Vec<String> = (0..7).map(|i| format!("id{i}")).collect();
        let mut seen = Vec::new();
        let mut position: Option<String> = None;
        loop {
            let (page, next) = paginate(&items, |s| s, position.as_deref(), 3);
            seen.extend(page.iter().cloned());
            match next {
                Some(n) => position = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, items);
        // A position past everything (the item was deleted meanwhile) gives an empty last page.
        assert_eq!(paginate(&items, |s| s, Some("zzz"), 3), (&items[7..], None));
        // A deleted position resumes at the next key.
        assert_eq!(paginate(&items, |s| s, Some("id2a"), 2).0, &items[3..5]);
    }

    #[test]
    fn limit_defaults_and_bounds() {
        assert_eq!(parse_limit(None).unwrap(), 25);
        assert_eq!(parse_limit(Some("500")).unwrap(), 500);
        for bad in ["0", "501", "x", "-1"] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
