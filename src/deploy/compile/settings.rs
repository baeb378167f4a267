//! A stage's `methodSettings` resolved per method, and its stage-wide serving settings.
//!
//! `methodSettings` is stored as AWS returns it (see `admin::stage_patch`): keyed
//! `{resourcePath with / as ~1}/{METHOD}` (`~1pets/GET`) or `*/*` for the whole stage, each entry
//! an AWS `MethodSetting`. A method gets each member from its own entry, else from `*/*`, else
//! AWS's default. (The management API fills every member when it creates an entry, so in practice
//! a method's own entry wins whole, as on AWS.) A stored member of the wrong type is a problem,
//! not a silent default: the store is the only writer, so it means a damaged store.

use crate::deploy::model::Stage;
use crate::deploy::policy::{LogLevel, MethodSettings, StageSettings, UnauthorizedCacheControl};
use crate::deploy::problem::{escape_token, join, Problems};
use serde_json::{Map, Value};
use std::time::Duration;

/// The `methodSettings` key of a method (`/pets`, `GET` -> `~1pets/GET`).
pub fn method_key(resource_path: &str, http_method: &str) -> String {
    format!("{}/{http_method}", escape_token(resource_path))
}

pub const STAGE_KEY: &str = "*/*";

/// Whether the stage's `methodSettings` have an entry for this method or for `*/*` (only then
/// does the method get a stage throttle of its own; without, the account level alone applies).
pub fn names_method(stage: &Stage, resource_path: &str, http_method: &str) -> bool {
    stage.method_settings.contains_key(STAGE_KEY)
        || stage
            .method_settings
            .contains_key(&method_key(resource_path, http_method))
}

/// The settings of the method at `resource_path` / `http_method` on `stage`.
pub fn resolve_method_settings(
    stage: &Stage,
    resource_path: &str,
    http_method: &str,
    problems: &mut Problems,
) -> MethodSettings {
    let key = method_key(resource_path, http_method);
    let entries = [
        entry(stage, &key, problems),
        entry(stage, STAGE_KEY, problems),
    ];
    let mut s = MethodSettings::default();
    let mut member = |name: &str, set: &mut dyn FnMut(&Value) -> bool| {
        for (at, e) in entries.iter().flatten() {
            if let Some(v) = e.get(name) {
                if !set(v) {
                    problems.push(
                        join(at, name),
                        format!("Invalid method setting {name}: {v}"),
                    );
                }
                return;
            }
        }
    };
    member("throttlingRateLimit", &mut |v| {
        v.as_f64()
            .filter(|r| r.is_finite() && *r >= 0.0)
            .map(|r| s.throttling.rate_limit = r)
            .is_some()
    });
    member("throttlingBurstLimit", &mut |v| {
        u32_of(v).map(|b| s.throttling.burst_limit = b).is_some()
    });
    member("cachingEnabled", &mut |v| {
        v.as_bool().map(|b| s.caching.enabled = b).is_some()
    });
    member("cacheTtlInSeconds", &mut |v| {
        u32_of(v)
            .map(|t| s.caching.ttl = Duration::from_secs(u64::from(t)))
            .is_some()
    });
    member("cacheDataEncrypted", &mut |v| {
        v.as_bool().map(|b| s.caching.data_encrypted = b).is_some()
    });
    member("requireAuthorizationForCacheControl", &mut |v| {
        v.as_bool()
            .map(|b| s.caching.require_authorization_for_cache_control = b)
            .is_some()
    });
    member("unauthorizedCacheControlHeaderStrategy", &mut |v| {
        let strategy = match v.as_str() {
            Some("FAIL_WITH_403") => UnauthorizedCacheControl::FailWith403,
            Some("SUCCEED_WITH_RESPONSE_HEADER") => {
                UnauthorizedCacheControl::SucceedWithResponseHeader
            }
            Some("SUCCEED_WITHOUT_RESPONSE_HEADER") => {
                UnauthorizedCacheControl::SucceedWithoutResponseHeader
            }
            _ => return false,
        };
        s.caching.unauthorized_cache_control = strategy;
        true
    });
    member("loggingLevel", &mut |v| {
        let level = match v.as_str() {
            Some("OFF") => LogLevel::Off,
            Some("ERROR") => LogLevel::Error,
            Some("INFO") => LogLevel::Info,
            _ => return false,
        };
        s.logging.level = level;
        true
    });
    member("dataTraceEnabled", &mut |v| {
        v.as_bool().map(|b| s.logging.data_trace = b).is_some()
    });
    member("metricsEnabled", &mut |v| {
        v.as_bool().map(|b| s.logging.metrics_enabled = b).is_some()
    });
    s
}

/// The stage-wide settings that change how the stage is served.
pub fn stage_settings(stage: &Stage, problems: &mut Problems) -> StageSettings {
    let cache_cluster_mib = stage.cache_cluster_size.as_deref().and_then(|size| {
        let mib = size
            .parse::<f64>()
            .ok()
            .filter(|gb| gb.is_finite() && *gb > 0.0 && *gb <= 1024.0)
            .map(|gb| (gb * 1024.0).round() as u32);
        if mib.is_none() {
            problems.push(
                "/cacheClusterSize",
                format!("Invalid cache cluster size {size}"),
            );
        }
        mib
    });
    StageSettings {
        cache_cluster_enabled: stage.cache_cluster_enabled,
        cache_cluster_mib,
        tracing_enabled: stage.tracing_enabled,
        rate_limit_headers: stage
            .tags
            .get(RATE_LIMIT_HEADERS_TAG)
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
    }
}

/// The stage tag that turns on `RateLimit-*` and `Retry-After` headers (not an AWS feature).
pub const RATE_LIMIT_HEADERS_TAG: &str = "tollgate:rateLimitHeaders";

/// The entry under `key` with its pointer, if the stage has one.
fn entry<'s>(
    stage: &'s Stage,
    key: &str,
    problems: &mut Problems,
) -> Option<(String, &'s Map<String, Value>)> {
    let at = join("/methodSettings", key);
    match stage.method_settings.get(key)? {
        Value::Object(m) => Some((at, m)),
        other => {
            problems.push(at, format!("Invalid method setting entry {key}: {other}"));
            None
        }
    }
}

fn u32_of(v: &Value) -> Option<u32> {
    // AWS's JSON may carry integers as `5000.0`.
    match v.as_u64() {
        Some(n) => u32::try_from(n).ok(),
        None => v
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
            .map(|f| f as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::policy::Throttling;
    use serde_json::json;

    fn stage(settings: Value) -> Stage {
        Stage {
            method_settings: match settings {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            ..Stage::default()
        }
    }

    fn resolve(stage: &Stage, path: &str, method: &str) -> MethodSettings {
        let mut problems = Problems::default();
        let s = resolve_method_settings(stage, path, method, &mut problems);
        assert!(problems.is_empty(), "{problems}");
        s
    }

    #[test]
    fn keys_escape_the_resource_path() {
        assert_eq!(method_key("/pets", "GET"), "~1pets/GET");
        assert_eq!(method_key("/", "ANY"), "~1/ANY");
        assert_eq!(method_key("/a/{b+}", "POST"), "~1a~1{b+}/POST");
    }

    #[test]
    fn without_settings_every_method_has_aws_defaults() {
        let s = resolve(&stage(json!({})), "/pets", "GET");
        assert_eq!(s, MethodSettings::default());
        assert_eq!(
            s.throttling,
            Throttling {
                rate_limit: 10_000.0,
                burst_limit: 5_000
            }
        );
        assert_eq!(s.caching.ttl, Duration::from_secs(300));
        assert_eq!(s.logging.level, LogLevel::Off);
    }

    #[test]
    fn stage_default_applies_and_a_method_entry_overrides_it() {
        let st = stage(json!({
            "*/*": {"throttlingRateLimit": 100.0, "throttlingBurstLimit": 50,
                    "loggingLevel": "ERROR", "metricsEnabled": true,
                    "cachingEnabled": true, "cacheTtlInSeconds": 60},
            "~1pets/GET": {"throttlingRateLimit": 5.5, "cachingEnabled": false,
                           "unauthorizedCacheControlHeaderStrategy": "FAIL_WITH_403",
                           "loggingLevel": "INFO", "dataTraceEnabled": true},
        }));
        // Overridden member by member; the rest from `*/*`.
        let get = resolve(&st, "/pets", "GET");
        assert_eq!(get.throttling.rate_limit, 5.5);
        assert_eq!(get.throttling.burst_limit, 50);
        assert!(!get.caching.enabled);
        assert_eq!(get.caching.ttl, Duration::from_secs(60));
        assert_eq!(
            get.caching.unauthorized_cache_control,
            UnauthorizedCacheControl::FailWith403
        );
        assert_eq!(get.logging.level, LogLevel::Info);
        assert!(get.logging.data_trace);
        assert!(get.logging.metrics_enabled);
        // A method without its own entry (same path, other verb; other path) gets the stage's.
        for (path, verb) in [("/pets", "POST"), ("/", "GET"), ("/pets/{id}", "GET")] {
            let s = resolve(&st, path, verb);
            assert_eq!(s.throttling.rate_limit, 100.0, "{verb} {path}");
            assert_eq!(s.throttling.burst_limit, 50);
            assert!(s.caching.enabled);
            assert_eq!(s.logging.level, LogLevel::Error);
            assert!(!s.logging.data_trace);
            assert!(s.caching.require_authorization_for_cache_control);
        }
    }

    #[test]
    fn a_method_entry_without_a_stage_default_falls_back_to_aws_defaults() {
        let st = stage(json!({"~1pets/GET": {"throttlingBurstLimit": 7.0}}));
        let get = resolve(&st, "/pets", "GET");
        assert_eq!(get.throttling.burst_limit, 7);
        assert_eq!(get.throttling.rate_limit, 10_000.0);
        assert_eq!(resolve(&st, "/pets", "PUT"), MethodSettings::default());
    }

    #[test]
    fn damaged_members_are_problems() {
        let st = stage(
            json!({"*/*": {"loggingLevel": "LOUD", "cacheTtlInSeconds": -1},
                              "~1x/GET": 3}),
        );
        let mut problems = Problems::default();
        resolve_method_settings(&st, "/x", "GET", &mut problems);
        let pointers: Vec<&str> = problems.0.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/methodSettings/~01x~1GET",
                "/methodSettings/*~1*/cacheTtlInSeconds",
                "/methodSettings/*~1*/loggingLevel"
            ]
        );
    }

    #[test]
    fn stage_settings_are_typed() {
        let mut problems = Problems::default();
        let st = Stage {
            cache_cluster_enabled: true,
            cache_cluster_size: Some("0.5".into()),
            tracing_enabled: true,
            ..Stage::default()
        };
        assert_eq!(
            stage_settings(&st, &mut problems),
            StageSettings {
                cache_cluster_enabled: true,
                cache_cluster_mib: Some(512),
                tracing_enabled: true,
                rate_limit_headers: false,
            }
        );
        let tagged = Stage {
            tags: [(RATE_LIMIT_HEADERS_TAG.to_string(), "true".to_string())].into(),
            ..Stage::default()
        };
        assert!(stage_settings(&tagged, &mut problems).rate_limit_headers);
        let bad = Stage {
            cache_cluster_size: Some("big".into()),
            ..Stage::default()
        };
        stage_settings(&bad, &mut problems);
        assert_eq!(problems.0.len(), 1);
    }
}
