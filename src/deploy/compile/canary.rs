//! A stage's canary release (`canarySettings`), compiled: the canary's deployment becomes a second
//! `StageRuntime` of the same API, and the base stage points at it with the share of traffic it
//! takes (`CanaryRuntime`).
//!
//! As on API Gateway, the canary is part of its stage: it keeps the stage's name (ARNs,
//! `$context.stage`, the Lambda event's `requestContext.stage`), its settings (`methodSettings`,
//! throttling and the throttle buckets themselves, cache settings, client certificate) and its API
//! keys and usage plans. Only two things differ: the deployment it serves, and its variables (the
//! stage's with `stageVariableOverrides` laid over them). Canary variants are appended after every
//! base stage of the API, so base stage indices (and `stage_by_name`) never move.

use super::{compile_stage, UpstreamInterner};
use crate::deploy::model::{RestApi, Stage};
use crate::deploy::problem::Problems;
use crate::deploy::snapshot::{CanaryRuntime, StageIdx, StageRuntime};
use serde_json::Value;
use std::collections::BTreeMap;

/// The stage member that holds AWS's `CanarySettings`.
pub const CANARY: &str = "canarySettings";

/// AWS's `CanarySettings`, read from a stored stage (the management API has checked it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CanarySettings {
    /// The canary's deployment; `None` stands for the stage's own (AWS fills it in that way).
    pub deployment_id: Option<String>,
    /// 0.0 ..= 100.0, fractional.
    pub percent_traffic: f64,
    pub stage_variable_overrides: BTreeMap<String, String>,
    pub use_stage_cache: bool,
}

impl CanarySettings {
    /// The stage's canary, if it has one.
    pub fn of(stage: &Stage) -> Option<CanarySettings> {
        let c = stage.extra.get(CANARY)?.as_object()?;
        Some(CanarySettings {
            deployment_id: c
                .get("deploymentId")
                .and_then(Value::as_str)
                .map(str::to_string),
            percent_traffic: c
                .get("percentTraffic")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
            stage_variable_overrides: c
                .get("stageVariableOverrides")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            use_stage_cache: c
                .get("useStageCache")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// The deployment the canary serves.
    pub fn deployment<'a>(&'a self, stage: &'a Stage) -> &'a str {
        self.deployment_id
            .as_deref()
            .unwrap_or(&stage.deployment_id)
    }

    /// The stage as the canary sees it: the canary's deployment, the overrides laid over the
    /// stage's variables, every other setting the stage's.
    pub fn canary_stage(&self, stage: &Stage) -> Stage {
        let mut canary = stage.clone();
        canary.deployment_id = self.deployment(stage).to_string();
        for (k, v) in &self.stage_variable_overrides {
            canary.variables.insert(k.clone(), v.clone());
        }
        canary.extra.remove(CANARY);
        canary
    }
}

/// `percent` (0–100) as a `u32` threshold: the share of the `u32` range below it.
pub fn threshold(percent: f64) -> u32 {
    if percent.is_nan() || percent <= 0.0 {
        return 0;
    }
    if percent >= 100.0 {
        return u32::MAX;
    }
    let t = (percent / 100.0 * 4_294_967_296.0).round();
    // Just under 100% must not read as "every request".
    (t as u32).min(u32::MAX - 1)
}

/// The canary variant of `stage`, serving `deployed` (the canary deployment's definition).
pub fn compile_canary(
    deployed: &RestApi,
    stage: &Stage,
    settings: &CanarySettings,
    upstreams: &mut UpstreamInterner,
) -> Result<StageRuntime, Problems> {
    compile_stage(deployed, &settings.canary_stage(stage), upstreams)
}

/// Appends each compiled canary after the base stages and points its base stage at it.
/// `canaries`: (index of the base stage in `stages`, its canary variant, its settings).
pub fn attach(
    stages: &mut Vec<StageRuntime>,
    canaries: Vec<(usize, StageRuntime, CanarySettings)>,
) {
    for (base, mut variant, settings) in canaries {
        let idx = StageIdx(stages.len() as u32);
        variant.cache = super::cache::canary_plan(
            stages[base].cache.as_ref(),
            variant.cache.take(),
            settings.use_stage_cache,
        );
        // The web ACL is the stage's (`webAclArn`), whichever deployment answers.
        variant.waf = stages[base].waf.clone();
        stages.push(variant);
        stages[base].canary = Some(CanaryRuntime {
            stage: idx,
            threshold: threshold(settings.percent_traffic),
            use_stage_cache: settings.use_stage_cache,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thresholds_cover_the_range_exactly_at_the_ends() {
        assert_eq!(threshold(0.0), 0);
        assert_eq!(threshold(-1.0), 0);
        assert_eq!(threshold(f64::NAN), 0);
        assert_eq!(threshold(100.0), u32::MAX);
        assert_eq!(threshold(50.0), 1 << 31);
        assert_eq!(threshold(99.999_999_999), u32::MAX - 1);
        let r = CanaryRuntime {
            stage: StageIdx(1),
            threshold: threshold(100.0),
            use_stage_cache: false,
        };
        assert!(r.picks(u32::MAX) && r.picks(0));
        let none = CanaryRuntime { threshold: 0, ..r };
        assert!(!none.picks(0) && !none.picks(u32::MAX));
        // 0.5%: about 21.5 million values of the 4.3 billion.
        let half = threshold(0.5);
        assert!((21_474_836..=21_474_837).contains(&half), "{half}");
    }

    #[test]
    fn canary_stage_overlays_variables_and_keeps_settings() {
        let mut stage = Stage {
            stage_name: "prod".into(),
            deployment_id: "d1".into(),
            variables: BTreeMap::from([("a".into(), "base".into()), ("b".into(), "base".into())]),
            ..Default::default()
        };
        stage.method_settings.insert("*/*".into(), json!({}));
        stage.extra.insert(
            CANARY.into(),
            json!({"deploymentId": "d2", "percentTraffic": 12.5,
                   "stageVariableOverrides": {"b": "canary", "c": "new"}, "useStageCache": true}),
        );
        let s = CanarySettings::of(&stage).unwrap();
        assert_eq!(s.percent_traffic, 12.5);
        assert!(s.use_stage_cache);
        let c = s.canary_stage(&stage);
        assert_eq!(c.deployment_id, "d2");
        assert_eq!(c.stage_name, "prod");
        assert_eq!(c.variables["a"], "base");
        assert_eq!(c.variables["b"], "canary");
        assert_eq!(c.variables["c"], "new");
        assert_eq!(c.method_settings, stage.method_settings);
        assert!(!c.extra.contains_key(CANARY));
        // Without a deploymentId the canary serves the stage's deployment.
        stage
            .extra
            .insert(CANARY.into(), json!({"percentTraffic": 1}));
        let s = CanarySettings::of(&stage).unwrap();
        assert_eq!(s.deployment(&stage), "d1");
        assert!(!s.use_stage_cache);
    }
}
