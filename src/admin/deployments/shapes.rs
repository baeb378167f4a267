//! JSON shapes of the deployment and stage operations, as botocore's `apigateway` 2015-07-09 model
//! names them. Request bodies use `deny_unknown_fields`, as AWS rejects members it does not know.

use crate::deploy::model::{Deployment, Stage};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate_id: Option<&'a str>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_settings: Option<&'a Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: &'a BTreeMap<String, String>,
    /// The associated AWS WAF web ACL (set by wafv2 AssociateWebACL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_acl_arn: Option<&'a Value>,
    pub created_date: i64,
    pub last_updated_date: i64,
}

impl<'a> From<&'a Stage> for StageOut<'a> {
    fn from(s: &'a Stage) -> Self {
        StageOut {
            deployment_id: &s.deployment_id,
            stage_name: &s.stage_name,
            description: s.description.as_deref(),
            client_certificate_id: s.client_certificate_id.as_deref(),
            cache_cluster_enabled: s.cache_cluster_enabled,
            cache_cluster_size: s.cache_cluster_size.as_deref(),
            cache_cluster_status: "NOT_AVAILABLE",
            method_settings: &s.method_settings,
            variables: &s.variables,
            tracing_enabled: s.tracing_enabled,
            canary_settings: s.extra.get("canarySettings"),
            documentation_version: s.extra.get("documentationVersion"),
            access_log_settings: s.extra.get(crate::deploy::compile::access_log::SETTINGS),
            tags: &s.tags,
            web_acl_arn: s.extra.get("webAclArn"),
            created_date: s.created_date,
            last_updated_date: s.last_updated_date,
        }
    }
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
    /// The deployment goes to the stage's canary (AWS's `DeploymentCanarySettings`).
    pub canary_settings: Option<DeploymentCanarySettingsIn>,
    pub tracing_enabled: Option<bool>,
}

/// CreateDeployment's `canarySettings`: the new deployment is the canary's, so no id.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentCanarySettingsIn {
    pub percent_traffic: Option<f64>,
    pub stage_variable_overrides: Option<BTreeMap<String, String>>,
    pub use_stage_cache: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateStageIn {
    pub stage_name: Option<String>,
    pub deployment_id: Option<String>,
    pub description: Option<String>,
    pub cache_cluster_enabled: Option<bool>,
    pub cache_cluster_size: Option<String>,
    pub variables: Option<BTreeMap<String, String>>,
    pub documentation_version: Option<String>,
    pub canary_settings: Option<CanarySettingsIn>,
    pub tracing_enabled: Option<bool>,
    pub tags: Option<BTreeMap<String, String>>,
}

/// AWS's `CanarySettings`; serialised back as given into the stage.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CanarySettingsIn {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_traffic: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_variable_overrides: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_stage_cache: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::error::ApiError;
    use crate::admin::shapes::parse_body;
    use crate::deploy::model::RestApi;
    use serde_json::json;

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
    fn create_stage_body_rejects_unknown_canary_members() {
        assert!(
            parse_body::<CreateStageIn>(br#"{"stageName":"s","canarySettings":{"pct":1}}"#)
                .is_err()
        );
    }
}
