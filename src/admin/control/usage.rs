//! API keys, usage plans, their keys, quota counters and tags: control-plane operations that
//! change no served route (the data plane's key and quota checks read them in a later issue).
//! Each write is one store transaction; checks run before it, so a refusal changes nothing.

use super::{now, ControlPlane};
use crate::admin::account::tags::{validate_tags, Tagged};
use crate::admin::error::ApiError;
use crate::admin::keys::api_keys::{
    self, generate_value, parse_stage_key, validate_key, validate_value,
};
use crate::admin::keys::usage_plans::{
    self, format_day, parse_day, period_start, today, validate_plan,
};
use crate::admin::limits::check_quota;
use crate::admin::patch::{self, PatchOperation};
use crate::deploy::ids::new_id;
use crate::store::{ApiKey, UsagePlan, Write};
use std::collections::BTreeMap;

/// CreateApiKey's input, already parsed.
#[derive(Debug, Clone, Default)]
pub struct NewApiKey {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub value: Option<String>,
    /// `{restApiId}/{stageName}`.
    pub stage_keys: Vec<String>,
    pub customer_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// GetUsage's answer: per key, `[used, remaining]` for each day asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub start: String,
    pub end: String,
    pub items: BTreeMap<String, Vec<[i64; 2]>>,
    pub position: Option<String>,
}

/// Longest GetUsage range, in days: bounds the work of one request.
pub const MAX_USAGE_DAYS: i64 = 366;

impl ControlPlane {
    pub fn create_api_key(&mut self, new: NewApiKey) -> Result<ApiKey, ApiError> {
        let value = match new.value {
            Some(v) => {
                validate_value(&v)?;
                v
            }
            None => generate_value()?,
        };
        let now = now();
        let mut key = ApiKey {
            id: new_id(10),
            value,
            name: new.name,
            customer_id: new.customer_id,
            description: new.description,
            enabled: new.enabled,
            created_date: now,
            last_updated_date: now,
            stage_keys: new.stage_keys,
            tags: new.tags,
        };
        key.stage_keys.sort();
        key.stage_keys.dedup();
        validate_key(&key)?;
        validate_tags(&key.tags)?;
        self.check_stage_keys(&key.stage_keys)?;
        if self.store.api_key_by_value(&key.value)?.is_some() {
            return Err(ApiError::Conflict("API Key already exists".into()));
        }
        self.check_api_key_quota(1)?;
        self.store.apply(&[Write::PutApiKey(key.clone())])?;
        Ok(key)
    }

    pub fn get_api_key(&self, id: &str) -> Result<ApiKey, ApiError> {
        self.store.get_api_key(id)?.ok_or(ApiError::ApiKeyNotFound)
    }

    /// Every key, ordered by id.
    pub fn list_api_keys(&self) -> Result<Vec<ApiKey>, ApiError> {
        Ok(self.store.list_api_keys()?)
    }

    pub fn update_api_key(&mut self, id: &str, ops: &[PatchOperation]) -> Result<ApiKey, ApiError> {
        let old = self.get_api_key(id)?;
        let mut key = patch::apply(&old, ops, api_keys::RULES)?;
        if key == old {
            return Ok(old);
        }
        validate_key(&key)?;
        let added: Vec<String> = key
            .stage_keys
            .iter()
            .filter(|s| !old.stage_keys.contains(s))
            .cloned()
            .collect();
        self.check_stage_keys(&added)?;
        key.last_updated_date = now();
        self.store.apply(&[Write::PutApiKey(key.clone())])?;
        Ok(key)
    }

    pub fn delete_api_key(&mut self, id: &str) -> Result<(), ApiError> {
        self.get_api_key(id)?;
        self.store.apply(&[Write::DeleteApiKey(id.into())])?;
        Ok(())
    }

    /// ImportApiKeys (CSV): all accepted rows in one transaction. With `fail_on_warnings`, any
    /// warning refuses the whole file.
    pub fn import_api_keys(
        &mut self,
        body: &[u8],
        fail_on_warnings: bool,
    ) -> Result<(Vec<String>, Vec<String>), ApiError> {
        let (rows, mut warnings) = api_keys::parse_csv(body)?;
        let mut writes = Vec::new();
        let mut ids = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let now = now();
        for row in rows {
            let problem = if let Err(e) = validate_value(&row.value) {
                Some(e.parts().2)
            } else if !seen.insert(row.value.clone())
                || self.store.api_key_by_value(&row.value)?.is_some()
            {
                Some("API Key already exists".to_string())
            } else {
                let mut missing = None;
                for plan in &row.usage_plan_ids {
                    if self.store.get_usage_plan(plan)?.is_none() {
                        missing = Some(format!("Invalid Usage Plan ID specified: {plan}"));
                    }
                }
                missing
            };
            if let Some(p) = problem {
                warnings.push(format!("Line {}: {p}", row.line));
                continue;
            }
            let key = ApiKey {
                id: new_id(10),
                value: row.value,
                name: row.name,
                description: row.description,
                enabled: row.enabled,
                created_date: now,
                last_updated_date: now,
                ..Default::default()
            };
            if let Err(e) = validate_key(&key) {
                warnings.push(format!("Line {}: {}", row.line, e.parts().2));
                continue;
            }
            for plan in row.usage_plan_ids {
                writes.push(Write::PutUsagePlanKey {
                    plan_id: plan,
                    key_id: key.id.clone(),
                });
            }
            ids.push(key.id.clone());
            writes.insert(0, Write::PutApiKey(key));
        }
        if fail_on_warnings && !warnings.is_empty() {
            return Err(ApiError::bad_request(format!(
                "Warnings found during import: {}",
                warnings.join("; ")
            )));
        }
        if !writes.is_empty() {
            self.check_api_key_quota(ids.len())?;
            self.store.apply(&writes)?;
        }
        Ok((ids, warnings))
    }

    pub fn create_usage_plan(&mut self, mut plan: UsagePlan) -> Result<UsagePlan, ApiError> {
        plan.id = new_id(6);
        validate_plan(&plan)?;
        validate_tags(&plan.tags)?;
        self.check_api_stages(&plan)?;
        let have = self.store.list_usage_plans()?.len();
        check_quota("usage plans", have, 1, self.quotas().usage_plans)?;
        self.store.apply(&[Write::PutUsagePlan(plan.clone())])?;
        Ok(plan)
    }

    fn check_api_key_quota(&self, adding: usize) -> Result<(), ApiError> {
        let have = self.store.list_api_keys()?.len();
        check_quota("API keys", have, adding, self.quotas().api_keys)
    }

    pub fn get_usage_plan(&self, id: &str) -> Result<UsagePlan, ApiError> {
        self.store
            .get_usage_plan(id)?
            .ok_or(ApiError::UsagePlanNotFound)
    }

    /// Every plan (those holding `key_id` if given), ordered by id.
    pub fn list_usage_plans(&self, key_id: Option<&str>) -> Result<Vec<UsagePlan>, ApiError> {
        let mut plans = self.store.list_usage_plans()?;
        if let Some(key) = key_id {
            let mut keep = Vec::new();
            for p in plans {
                if self
                    .store
                    .usage_plan_key_ids(&p.id)?
                    .iter()
                    .any(|k| k == key)
                {
                    keep.push(p);
                }
            }
            plans = keep;
        }
        Ok(plans)
    }

    pub fn update_usage_plan(
        &mut self,
        id: &str,
        ops: &[PatchOperation],
    ) -> Result<UsagePlan, ApiError> {
        let old = self.get_usage_plan(id)?;
        let plan = patch::apply(&old, ops, usage_plans::RULES)?;
        if plan == old {
            return Ok(old);
        }
        validate_plan(&plan)?;
        self.check_api_stages(&plan)?;
        self.store.apply(&[Write::PutUsagePlan(plan.clone())])?;
        Ok(plan)
    }

    pub fn delete_usage_plan(&mut self, id: &str) -> Result<(), ApiError> {
        self.get_usage_plan(id)?;
        self.store.apply(&[Write::DeleteUsagePlan(id.into())])?;
        Ok(())
    }

    /// CreateUsagePlanKey: AWS refuses a key already in the plan, or in another plan that covers
    /// one of the same API stages.
    pub fn create_usage_plan_key(
        &mut self,
        plan_id: &str,
        key_id: &str,
        key_type: &str,
    ) -> Result<ApiKey, ApiError> {
        let plan = self.get_usage_plan(plan_id)?;
        if key_type != "API_KEY" {
            return Err(ApiError::bad_request(format!(
                "Invalid key type {key_type}: only API_KEY is supported"
            )));
        }
        let key = self.get_api_key(key_id)?;
        if self.plan_key_ids(plan_id)?.iter().any(|k| k == key_id) {
            return Err(ApiError::Conflict("Usage Plan Key already exists".into()));
        }
        let key_plans = self.list_usage_plans(Some(key_id))?;
        for other in &key_plans {
            let shared = other.api_stages.iter().find(|s| {
                plan.api_stages
                    .iter()
                    .any(|p| p.api_id == s.api_id && p.stage == s.stage)
            });
            if let Some(s) = shared {
                return Err(ApiError::Conflict(format!(
                    "API Key {key_id} is already in usage plan {} for API stage {}:{}",
                    other.id, s.api_id, s.stage
                )));
            }
        }
        let quota = self.quotas().usage_plans_per_api_key;
        check_quota("usage plans per API key", key_plans.len(), 1, quota)?;
        self.store.apply(&[Write::PutUsagePlanKey {
            plan_id: plan_id.into(),
            key_id: key_id.into(),
        }])?;
        Ok(key)
    }

    /// The keys of a plan, ordered by key id.
    pub fn list_usage_plan_keys(&self, plan_id: &str) -> Result<Vec<ApiKey>, ApiError> {
        self.get_usage_plan(plan_id)?;
        let mut out = Vec::new();
        for id in self.store.usage_plan_key_ids(plan_id)? {
            if let Some(k) = self.store.get_api_key(&id)? {
                out.push(k);
            }
        }
        Ok(out)
    }

    pub fn get_usage_plan_key(&self, plan_id: &str, key_id: &str) -> Result<ApiKey, ApiError> {
        self.get_usage_plan(plan_id)?;
        if !self.plan_key_ids(plan_id)?.iter().any(|k| k == key_id) {
            return Err(ApiError::UsagePlanKeyNotFound);
        }
        self.get_api_key(key_id)
    }

    pub fn delete_usage_plan_key(&mut self, plan_id: &str, key_id: &str) -> Result<(), ApiError> {
        self.get_usage_plan_key(plan_id, key_id)?;
        self.store.apply(&[Write::DeleteUsagePlanKey {
            plan_id: plan_id.into(),
            key_id: key_id.into(),
        }])?;
        Ok(())
    }

    /// GetUsage: for each key of the plan (or just `key_id`) from `position` on, at most
    /// `limit`, `[used, remaining]` per day from `start` to `end` (`YYYY-MM-DD`, inclusive).
    pub fn get_usage(
        &self,
        plan_id: &str,
        key_id: Option<&str>,
        start: &str,
        end: &str,
        position: Option<&str>,
        limit: usize,
    ) -> Result<Usage, ApiError> {
        let plan = self.get_usage_plan(plan_id)?;
        let bad_date = |d: &str| {
            ApiError::bad_request(format!(
                "Invalid date {d}: dates are in the form YYYY-MM-DD"
            ))
        };
        let from = parse_day(start).ok_or_else(|| bad_date(start))?;
        let to = parse_day(end).ok_or_else(|| bad_date(end))?;
        if to < from {
            return Err(ApiError::bad_request(
                "The end date must not be before the start date",
            ));
        }
        if to - from >= MAX_USAGE_DAYS {
            return Err(ApiError::bad_request(format!(
                "The date range must not exceed {MAX_USAGE_DAYS} days"
            )));
        }
        let mut ids = self.plan_key_ids(plan_id)?;
        if let Some(k) = key_id {
            ids.retain(|id| id == k);
        }
        let (page, next) = crate::admin::shapes::paginate(&ids, |s| s, position, limit);
        let mut items = BTreeMap::new();
        for id in page {
            items.insert(id.clone(), self.key_usage(&plan, id, from, to)?);
        }
        Ok(Usage {
            start: start.into(),
            end: end.into(),
            items,
            position: next,
        })
    }

    /// UpdateUsage: `replace /remaining` sets what the key has left in the current period.
    pub fn update_usage(
        &mut self,
        plan_id: &str,
        key_id: &str,
        ops: &[PatchOperation],
    ) -> Result<Usage, ApiError> {
        let plan = self.get_usage_plan(plan_id)?;
        self.get_usage_plan_key(plan_id, key_id)?;
        let quota = plan.quota.clone().ok_or_else(|| {
            ApiError::bad_request("The usage plan has no quota: there is nothing remaining to set")
        })?;
        let day = today();
        let start = period_start(&quota, day);
        let mut remaining = None;
        for op in ops {
            match (op.op, op.path.raw.as_str()) {
                (patch::Op::Replace, "/remaining") => {
                    let v = op.value.as_deref().unwrap_or("");
                    remaining =
                        Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                            ApiError::bad_request(format!(
                                "Invalid value for /remaining: {v} is not a non-negative integer"
                            ))
                        })?);
                }
                _ => {
                    return Err(patch::PatchError::NotAllowed {
                        op: op.op,
                        path: op.path.raw.clone(),
                        allowed: vec!["/remaining".into()],
                    }
                    .into())
                }
            }
        }
        if let Some(want) = remaining {
            let used = self.used_in_period(plan_id, key_id, start, day)?;
            // remaining = limit + granted - used  =>  granted = remaining + used - limit
            let granted = want + used - quota.limit.unwrap_or(0);
            self.store.apply(&[Write::SetQuotaGrant {
                plan_id: plan_id.into(),
                key_id: key_id.into(),
                period_start: format_day(start),
                granted,
            }])?;
        }
        let today = format_day(day);
        self.get_usage(plan_id, Some(key_id), &today, &today, None, 1)
    }

    /// GetTags.
    pub fn get_tags(&self, target: &Tagged) -> Result<BTreeMap<String, String>, ApiError> {
        Ok(match target {
            Tagged::RestApi(id) => self.get_rest_api(id)?.tags,
            Tagged::Stage { api, stage } => self.get_stage(api, stage)?.tags,
            Tagged::ApiKey(id) => self.get_api_key(id)?.tags,
            Tagged::UsagePlan(id) => self.get_usage_plan(id)?.tags,
        })
    }

    /// TagResource (`add`) and UntagResource (`remove`): one write of the tagged resource.
    pub fn change_tags(
        &mut self,
        target: &Tagged,
        add: &BTreeMap<String, String>,
        remove: &[String],
    ) -> Result<(), ApiError> {
        let edit = |tags: &mut BTreeMap<String, String>| -> Result<(), ApiError> {
            tags.extend(add.iter().map(|(k, v)| (k.clone(), v.clone())));
            for k in remove {
                tags.remove(k);
            }
            validate_tags(tags)
        };
        let write = match target {
            Tagged::RestApi(id) => {
                let mut api = self.get_rest_api(id)?;
                edit(&mut api.tags)?;
                Write::PutRestApi(api)
            }
            Tagged::Stage { api, stage } => {
                let mut s = self.get_stage(api, stage)?;
                edit(&mut s.tags)?;
                // A stage's tags can change how it serves (`tollgate:rateLimitHeaders`): the
                // stage is recompiled and published with them.
                return self.change_stage(api, &s);
            }
            Tagged::ApiKey(id) => {
                let mut k = self.get_api_key(id)?;
                edit(&mut k.tags)?;
                Write::PutApiKey(k)
            }
            Tagged::UsagePlan(id) => {
                let mut p = self.get_usage_plan(id)?;
                edit(&mut p.tags)?;
                Write::PutUsagePlan(p)
            }
        };
        self.store.apply(&[write])?;
        Ok(())
    }

    fn plan_key_ids(&self, plan_id: &str) -> Result<Vec<String>, ApiError> {
        Ok(self.store.usage_plan_key_ids(plan_id)?)
    }

    fn used_in_period(
        &self,
        plan_id: &str,
        key_id: &str,
        start: i64,
        day: i64,
    ) -> Result<i64, ApiError> {
        let days = self
            .store
            .usage_days(plan_id, key_id, &format_day(start), &format_day(day))?;
        Ok(days.values().map(|n| *n as i64).sum())
    }

    fn key_usage(
        &self,
        plan: &UsagePlan,
        key_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<[i64; 2]>, ApiError> {
        // Counters from the earliest period start the range touches, so `remaining` is right
        // on the first day.
        let first = plan.quota.as_ref().map_or(from, |q| period_start(q, from));
        let days = self
            .store
            .usage_days(&plan.id, key_id, &format_day(first), &format_day(to))?;
        let used_on = |d: i64| days.get(&format_day(d)).map_or(0, |n| *n as i64);
        let mut out = Vec::new();
        for d in from..=to {
            let remaining = match &plan.quota {
                Some(q) => {
                    let start = period_start(q, d);
                    let used: i64 = (start..=d).map(used_on).sum();
                    let granted = self
                        .store
                        .quota_grant(&plan.id, key_id, &format_day(start))?;
                    (q.limit.unwrap_or(0) + granted - used).max(0)
                }
                None => 0,
            };
            out.push([used_on(d), remaining]);
        }
        Ok(out)
    }

    /// Stage keys name existing APIs and stages.
    fn check_stage_keys(&self, stage_keys: &[String]) -> Result<(), ApiError> {
        for sk in stage_keys {
            let (api, stage) = parse_stage_key(sk).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid stage key {sk}: use {{restApiId}}/{{stageName}}"
                ))
            })?;
            self.get_stage(api, stage)?;
        }
        Ok(())
    }

    /// A plan's API stages name existing APIs and stages, and per-method throttles existing
    /// methods of the stage's deployment.
    fn check_api_stages(&self, plan: &UsagePlan) -> Result<(), ApiError> {
        for s in &plan.api_stages {
            let stage = self.get_stage(&s.api_id, &s.stage).map_err(|_| {
                ApiError::bad_request(format!(
                    "Invalid API Stage {{api: {}, stage: {}}} specified for usageplan {}",
                    s.api_id, s.stage, plan.id
                ))
            })?;
            if s.throttle.is_empty() {
                continue;
            }
            let deployment = self.get_deployment(&s.api_id, &stage.deployment_id)?;
            for key in s.throttle.keys() {
                let (path, method) = usage_plans::parse_method_key(key).unwrap_or(("", ""));
                let exists = deployment.api.resources.iter().any(|r| {
                    r.path == path
                        && (r.resource_methods.contains_key(method)
                            || r.resource_methods.contains_key("ANY"))
                });
                if !exists {
                    return Err(ApiError::bad_request(format!(
                        "Invalid method {key} specified for API stage {}:{}",
                        s.api_id, s.stage
                    )));
                }
            }
        }
        Ok(())
    }
}
