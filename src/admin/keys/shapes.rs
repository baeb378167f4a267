//! JSON shapes of the API key, usage plan and usage operations, as botocore's
//! `apigateway` 2015-07-09 model names them. Request bodies use `deny_unknown_fields`, as AWS
//! rejects members it does not know; outputs are views that choose which members go out (an API
//! key's value only when asked for).

use crate::store::{ApiKey, ApiStage, QuotaSettings, ThrottleSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageKeyIn {
    pub rest_api_id: Option<String>,
    pub stage_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateApiKeyIn {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    /// Accepted and ignored: AWS documents it as having no effect.
    #[allow(dead_code)]
    pub generate_distinct_id: Option<bool>,
    pub value: Option<String>,
    pub stage_keys: Option<Vec<StageKeyIn>>,
    pub customer_id: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUsagePlanIn {
    pub name: Option<String>,
    pub description: Option<String>,
    pub api_stages: Option<Vec<ApiStage>>,
    pub throttle: Option<ThrottleSettings>,
    pub quota: Option<QuotaSettings>,
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUsagePlanKeyIn {
    pub key_id: Option<String>,
    pub key_type: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyOut<'a> {
    pub id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub enabled: bool,
    pub created_date: i64,
    pub last_updated_date: i64,
    pub stage_keys: &'a [String],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: &'a BTreeMap<String, String>,
}

impl<'a> ApiKeyOut<'a> {
    pub fn new(k: &'a ApiKey, include_value: bool) -> Self {
        ApiKeyOut {
            id: &k.id,
            value: include_value.then_some(k.value.as_str()),
            name: k.name.as_deref(),
            customer_id: k.customer_id.as_deref(),
            description: k.description.as_deref(),
            enabled: k.enabled,
            created_date: k.created_date,
            last_updated_date: k.last_updated_date,
            stage_keys: &k.stage_keys,
            tags: &k.tags,
        }
    }
}

/// `UsagePlanKey`: an API key as a member of a plan.
#[derive(Debug, Serialize)]
pub struct UsagePlanKeyOut<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
}

impl<'a> From<&'a ApiKey> for UsagePlanKeyOut<'a> {
    fn from(k: &'a ApiKey) -> Self {
        UsagePlanKeyOut {
            id: &k.id,
            kind: "API_KEY",
            value: &k.value,
            name: k.name.as_deref(),
        }
    }
}

/// `Usage`: the model's `items` member travels as `values`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageOut<'a> {
    pub usage_plan_id: &'a str,
    pub start_date: &'a str,
    pub end_date: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<&'a str>,
    pub values: &'a BTreeMap<String, Vec<[i64; 2]>>,
}

#[derive(Debug, Serialize)]
pub struct ApiKeyIdsOut<'a> {
    pub ids: &'a [String],
    pub warnings: &'a [String],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::shapes::parse_body;
    use serde_json::json;

    #[test]
    fn api_key_value_only_when_asked() {
        let k = ApiKey {
            id: "k1".into(),
            value: "v".repeat(20),
            name: Some("n".into()),
            enabled: true,
            created_date: 1,
            last_updated_date: 2,
            stage_keys: vec!["a/prod".into()],
            ..Default::default()
        };
        let v = serde_json::to_value(ApiKeyOut::new(&k, false)).unwrap();
        assert_eq!(
            v,
            json!({"id": "k1", "name": "n", "enabled": true, "createdDate": 1,
                   "lastUpdatedDate": 2, "stageKeys": ["a/prod"]})
        );
        let v = serde_json::to_value(ApiKeyOut::new(&k, true)).unwrap();
        assert_eq!(v["value"], json!("v".repeat(20)));
        let v = serde_json::to_value(UsagePlanKeyOut::from(&k)).unwrap();
        assert_eq!(
            v,
            json!({"id": "k1", "type": "API_KEY", "value": "v".repeat(20), "name": "n"})
        );
    }

    #[test]
    fn inputs_reject_unknown_members() {
        let ok: CreateUsagePlanIn = parse_body(
            br#"{"name":"p","apiStages":[{"apiId":"a","stage":"s",
                "throttle":{"/pets/GET":{"burstLimit":1,"rateLimit":2}}}],
                "quota":{"limit":5,"period":"DAY"}}"#,
        )
        .unwrap();
        assert_eq!(
            ok.api_stages.unwrap()[0].throttle["/pets/GET"].burst_limit,
            Some(1)
        );
        assert!(parse_body::<CreateUsagePlanIn>(br#"{"nam":"p"}"#).is_err());
        assert!(parse_body::<CreateUsagePlanIn>(br#"{"quota":{"limits":5}}"#).is_err());
        assert!(
            parse_body::<CreateApiKeyIn>(br#"{"stageKeys":[{"restApiId":"a","x":1}]}"#).is_err()
        );
    }
}
