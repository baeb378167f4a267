//! API keys, usage plans, the keys attached to each plan and their quota counters.
//!
//! The record types are the AWS management shapes (`ApiKey`, `UsagePlan`, `ApiStage`,
//! `ThrottleSettings`, `QuotaSettings`) with AWS's JSON member names, so the store, the admin API
//! and later the data-plane compiler share one form. Invariants kept by `apply_one`: an API key's
//! value is in `API_KEY_VALUES` exactly while the key exists (values are unique); deleting a key or
//! a plan removes its plan links, day counters and grants in the same transaction.

use super::schema::{API_KEYS, API_KEY_VALUES, QUOTA_GRANTS, USAGE, USAGE_PLANS, USAGE_PLAN_KEYS};
use super::{db_err, decode, encode, Store, StoreError, Write};
use redb::{ReadableDatabase, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub created_date: i64,
    #[serde(default)]
    pub last_updated_date: i64,
    /// `{restApiId}/{stageName}`, as AWS lists them.
    #[serde(default)]
    pub stage_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThrottleSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuotaSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// `DAY`, `WEEK` or `MONTH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiStage {
    #[serde(default)]
    pub api_id: String,
    #[serde(default)]
    pub stage: String,
    /// Per-method throttles keyed `{resourcePath}/{httpMethod}` (`/pets/GET`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub throttle: BTreeMap<String, ThrottleSettings>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePlan {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub api_stages: Vec<ApiStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<ThrottleSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_code: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl Store {
    pub fn get_api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(API_KEYS).map_err(db_err)?;
        let found = t.get(id).map_err(db_err)?;
        found.map(|v| decode("API key", id, v.value())).transpose()
    }

    /// The id of the key with `value`, if any.
    pub fn api_key_by_value(&self, value: &str) -> Result<Option<String>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(API_KEY_VALUES).map_err(db_err)?;
        let found = t.get(value).map_err(db_err)?;
        Ok(found.map(|v| v.value().to_string()))
    }

    /// Every API key, ordered by id.
    pub fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(API_KEYS).map_err(db_err)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            out.push(decode("API key", k.value(), v.value())?);
        }
        Ok(out)
    }

    pub fn get_usage_plan(&self, id: &str) -> Result<Option<UsagePlan>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(USAGE_PLANS).map_err(db_err)?;
        let found = t.get(id).map_err(db_err)?;
        found
            .map(|v| decode("usage plan", id, v.value()))
            .transpose()
    }

    /// Every usage plan, ordered by id.
    pub fn list_usage_plans(&self) -> Result<Vec<UsagePlan>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(USAGE_PLANS).map_err(db_err)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            out.push(decode("usage plan", k.value(), v.value())?);
        }
        Ok(out)
    }

    /// The ids of the keys attached to `plan_id`, ordered.
    pub fn usage_plan_key_ids(&self, plan_id: &str) -> Result<Vec<String>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(USAGE_PLAN_KEYS).map_err(db_err)?;
        let mut out = Vec::new();
        for row in t.range((plan_id, "")..).map_err(db_err)? {
            let (k, _) = row.map_err(db_err)?;
            let (plan, key) = k.value();
            if plan != plan_id {
                break;
            }
            out.push(key.to_string());
        }
        Ok(out)
    }

    /// Requests counted for (`plan_id`, `key_id`) per day, for days `from..=to` (`YYYY-MM-DD`).
    pub fn usage_days(
        &self,
        plan_id: &str,
        key_id: &str,
        from: &str,
        to: &str,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(USAGE).map_err(db_err)?;
        let mut out = BTreeMap::new();
        for row in t
            .range((plan_id, key_id, from)..=(plan_id, key_id, to))
            .map_err(db_err)?
        {
            let (k, v) = row.map_err(db_err)?;
            out.insert(k.value().2.to_string(), v.value());
        }
        Ok(out)
    }

    /// Requests granted by UpdateUsage on top of the limit in the period starting `period_start`.
    pub fn quota_grant(
        &self,
        plan_id: &str,
        key_id: &str,
        period_start: &str,
    ) -> Result<i64, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(QUOTA_GRANTS).map_err(db_err)?;
        let found = t.get((plan_id, key_id, period_start)).map_err(db_err)?;
        Ok(found.map(|v| v.value()).unwrap_or(0))
    }
}

/// Applies one of this module's `Write`s inside `txn`; other writes are not handled here.
pub(super) fn apply_one(txn: &WriteTransaction, w: &Write) -> Result<(), StoreError> {
    match w {
        Write::PutApiKey(key) => {
            let mut keys = txn.open_table(API_KEYS).map_err(db_err)?;
            let old: Option<ApiKey> = match keys.get(key.id.as_str()).map_err(db_err)? {
                Some(v) => Some(decode("API key", &key.id, v.value())?),
                None => None,
            };
            keys.insert(key.id.as_str(), encode(key).as_slice())
                .map_err(db_err)?;
            let mut values = txn.open_table(API_KEY_VALUES).map_err(db_err)?;
            if let Some(old) = old {
                values.remove(old.value.as_str()).map_err(db_err)?;
            }
            values
                .insert(key.value.as_str(), key.id.as_str())
                .map_err(db_err)?;
        }
        Write::DeleteApiKey(id) => {
            let mut keys = txn.open_table(API_KEYS).map_err(db_err)?;
            let old: Option<ApiKey> = match keys.remove(id.as_str()).map_err(db_err)? {
                Some(v) => Some(decode("API key", id, v.value())?),
                None => None,
            };
            if let Some(old) = old {
                txn.open_table(API_KEY_VALUES)
                    .map_err(db_err)?
                    .remove(old.value.as_str())
                    .map_err(db_err)?;
            }
            let id = id.as_str();
            txn.open_table(USAGE_PLAN_KEYS)
                .map_err(db_err)?
                .retain(|(_, key), _| key != id)
                .map_err(db_err)?;
            txn.open_table(USAGE)
                .map_err(db_err)?
                .retain(|(_, key, _), _| key != id)
                .map_err(db_err)?;
            txn.open_table(QUOTA_GRANTS)
                .map_err(db_err)?
                .retain(|(_, key, _), _| key != id)
                .map_err(db_err)?;
        }
        Write::PutUsagePlan(plan) => {
            let mut t = txn.open_table(USAGE_PLANS).map_err(db_err)?;
            t.insert(plan.id.as_str(), encode(plan).as_slice())
                .map_err(db_err)?;
        }
        Write::DeleteUsagePlan(id) => {
            let id = id.as_str();
            txn.open_table(USAGE_PLANS)
                .map_err(db_err)?
                .remove(id)
                .map_err(db_err)?;
            txn.open_table(USAGE_PLAN_KEYS)
                .map_err(db_err)?
                .retain_in((id, "").., |(plan, _), _| plan != id)
                .map_err(db_err)?;
            txn.open_table(USAGE)
                .map_err(db_err)?
                .retain_in((id, "", "").., |(plan, _, _), _| plan != id)
                .map_err(db_err)?;
            txn.open_table(QUOTA_GRANTS)
                .map_err(db_err)?
                .retain_in((id, "", "").., |(plan, _, _), _| plan != id)
                .map_err(db_err)?;
        }
        Write::PutUsagePlanKey { plan_id, key_id } => {
            txn.open_table(USAGE_PLAN_KEYS)
                .map_err(db_err)?
                .insert((plan_id.as_str(), key_id.as_str()), ())
                .map_err(db_err)?;
        }
        Write::DeleteUsagePlanKey { plan_id, key_id } => {
            let (plan, key) = (plan_id.as_str(), key_id.as_str());
            txn.open_table(USAGE_PLAN_KEYS)
                .map_err(db_err)?
                .remove((plan, key))
                .map_err(db_err)?;
            txn.open_table(USAGE)
                .map_err(db_err)?
                .retain_in((plan, key, "").., |(p, k, _), _| p != plan || k != key)
                .map_err(db_err)?;
            txn.open_table(QUOTA_GRANTS)
                .map_err(db_err)?
                .retain_in((plan, key, "").., |(p, k, _), _| p != plan || k != key)
                .map_err(db_err)?;
        }
        Write::AddUsage {
            plan_id,
            key_id,
            day,
            count,
        } => {
            let mut t = txn.open_table(USAGE).map_err(db_err)?;
            let k = (plan_id.as_str(), key_id.as_str(), day.as_str());
            let now = t.get(k).map_err(db_err)?.map(|v| v.value()).unwrap_or(0);
            t.insert(k, now.saturating_add(*count)).map_err(db_err)?;
        }
        Write::SetQuotaGrant {
            plan_id,
            key_id,
            period_start,
            granted,
        } => {
            let mut t = txn.open_table(QUOTA_GRANTS).map_err(db_err)?;
            let k = (plan_id.as_str(), key_id.as_str(), period_start.as_str());
            t.insert(k, *granted).map_err(db_err)?;
        }
        _ => {}
    }
    Ok(())
}
