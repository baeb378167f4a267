//! UpdateStage's patch paths: the rule table `patch::apply` runs a stage's operations through, and
//! the stage members only the management API sets (method settings, canary settings).
//!
//! Method settings are stored as AWS returns them: keyed `{resourcePath}/{METHOD}` with the
//! resource path's slashes escaped as in the patch path (`~1pets/GET`, `*/*`), each entry with
//! every `MethodSetting` member filled (AWS's defaults for those never set). Canary settings live
//! in the stage's `extra` under `canarySettings`, in AWS's `CanarySettings` shape.

use crate::admin::deployments::stages::{validate_variables, CACHE_CLUSTER_SIZES};
use crate::admin::patch::{Change, Op, PatchError, Rule};
use crate::deploy::model::Stage;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const RAR: &[Op] = &[Op::Add, Op::Replace, Op::Remove];
const REPLACE: &[Op] = &[Op::Replace];
const REMOVE: &[Op] = &[Op::Remove];

/// The `CanarySettings` member of a stage's `extra` (one name, the compiler's).
pub use crate::deploy::compile::canary::CANARY;

/// The methods a method-settings path may name (`*` with resource path `*`: every method).
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY", "*",
];

/// Patch setting path (last two segments) -> `MethodSetting` member and its kind.
const SETTINGS: &[(&str, &str, &str, Kind)] = &[
    ("metrics", "enabled", "metricsEnabled", Kind::Bool),
    ("logging", "loglevel", "loggingLevel", Kind::LogLevel),
    ("logging", "dataTrace", "dataTraceEnabled", Kind::Bool),
    (
        "throttling",
        "burstLimit",
        "throttlingBurstLimit",
        Kind::Int,
    ),
    ("throttling", "rateLimit", "throttlingRateLimit", Kind::Rate),
    ("caching", "enabled", "cachingEnabled", Kind::Bool),
    ("caching", "ttlInSeconds", "cacheTtlInSeconds", Kind::Ttl),
    ("caching", "dataEncrypted", "cacheDataEncrypted", Kind::Bool),
    (
        "caching",
        "requireAuthorizationForCacheControl",
        "requireAuthorizationForCacheControl",
        Kind::Bool,
    ),
    (
        "caching",
        "unauthorizedCacheControlHeaderStrategy",
        "unauthorizedCacheControlHeaderStrategy",
        Kind::CacheStrategy,
    ),
];

#[derive(Debug, Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Rate,
    Ttl,
    LogLevel,
    CacheStrategy,
}

/// AWS's values for a `MethodSetting` that was never set.
fn default_method_setting() -> Map<String, Value> {
    match json!({
        "metricsEnabled": false,
        "loggingLevel": "OFF",
        "dataTraceEnabled": false,
        "throttlingBurstLimit": 5000,
        "throttlingRateLimit": 10000.0,
        "cachingEnabled": false,
        "cacheTtlInSeconds": 300,
        "cacheDataEncrypted": false,
        "requireAuthorizationForCacheControl": true,
        "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER"
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// UpdateStage's rules, in match order. `/deploymentId` also takes AWS's canary promotion
/// (`copy` from `/canarySettings/deploymentId`), `/variables` the copy of the overrides.
pub const RULES: &[Rule<Stage>] = &[
    Rule {
        path: "/description",
        ops: RAR,
        apply: |s, c| {
            s.description = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/deploymentId",
        ops: &[Op::Replace, Op::Copy],
        apply: set_deployment,
    },
    Rule {
        path: "/variables/{name}",
        ops: RAR,
        apply: set_variable,
    },
    Rule {
        path: "/variables",
        ops: &[Op::Copy],
        apply: promote_variables,
    },
    Rule {
        path: "/cacheClusterEnabled",
        ops: REPLACE,
        apply: |s, c| {
            s.cache_cluster_enabled = c.bool()?;
            Ok(())
        },
    },
    Rule {
        path: "/cacheClusterSize",
        ops: REPLACE,
        apply: |s, c| {
            if !CACHE_CLUSTER_SIZES.contains(&c.value()) {
                return Err(c.invalid(format!(
                    "cache cluster size must be one of [{}]",
                    CACHE_CLUSTER_SIZES.join(", ")
                )));
            }
            s.cache_cluster_size = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/clientCertificateId",
        ops: RAR,
        apply: |s, c| {
            s.client_certificate_id = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/tracingEnabled",
        ops: REPLACE,
        apply: |s, c| {
            s.tracing_enabled = c.bool()?;
            Ok(())
        },
    },
    Rule {
        path: "/canarySettings",
        ops: REMOVE,
        apply: |s, _| {
            s.extra.remove(CANARY);
            Ok(())
        },
    },
    Rule {
        path: "/canarySettings/percentTraffic",
        ops: REPLACE,
        apply: |s, c| {
            let pct = c
                .value()
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| c.invalid("percentTraffic must be between 0.0 and 100.0"))?;
            canary(s).insert("percentTraffic".into(), json!(pct));
            Ok(())
        },
    },
    Rule {
        path: "/canarySettings/deploymentId",
        ops: REPLACE,
        apply: |s, c| {
            canary(s).insert("deploymentId".into(), json!(c.value()));
            Ok(())
        },
    },
    Rule {
        path: "/canarySettings/useStageCache",
        ops: REPLACE,
        apply: |s, c| {
            let b = c.bool()?;
            canary(s).insert("useStageCache".into(), json!(b));
            Ok(())
        },
    },
    Rule {
        path: "/canarySettings/stageVariableOverrides/{name}",
        ops: RAR,
        apply: |s, c| {
            let name = c.capture(0).to_string();
            let overrides = canary(s)
                .entry("stageVariableOverrides")
                .or_insert_with(|| json!({}));
            if !overrides.is_object() {
                *overrides = json!({});
            }
            let Value::Object(map) = overrides else {
                return Ok(());
            };
            match c.op {
                Op::Remove => {
                    map.remove(&name);
                }
                _ => {
                    check_variable(c, &name, c.value())?;
                    map.insert(name, json!(c.value()));
                }
            }
            Ok(())
        },
    },
    Rule {
        path: "/accessLogSettings",
        ops: REMOVE,
        apply: |s, _| {
            s.extra.remove(ACCESS_LOG);
            Ok(())
        },
    },
    // Checked as a whole after every operation (`access_log_settings::check`).
    Rule {
        path: "/accessLogSettings/format",
        ops: RAR,
        apply: |s, c| set_access_log(s, "format", c.optional()),
    },
    Rule {
        path: "/accessLogSettings/destinationArn",
        ops: RAR,
        apply: |s, c| set_access_log(s, "destinationArn", c.optional()),
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}",
        ops: REMOVE,
        apply: |s, c| {
            let key = method_key(c)?;
            s.method_settings.remove(&key);
            Ok(())
        },
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/metrics/enabled",
        ops: REPLACE,
        apply: set_method_setting,
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/logging/loglevel",
        ops: REPLACE,
        apply: set_method_setting,
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/logging/dataTrace",
        ops: REPLACE,
        apply: set_method_setting,
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/throttling/burstLimit",
        ops: REPLACE,
        apply: set_method_setting,
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/throttling/rateLimit",
        ops: REPLACE,
        apply: set_method_setting,
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/caching/enabled",
        ops: REPLACE,
        apply: set_method_setting,
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/caching/ttlInSeconds",
        ops: REPLACE,
        apply: set_method_setting,
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/caching/dataEncrypted",
        ops: REPLACE,
        apply: set_method_setting,
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl",
        ops: REPLACE,
        apply: set_method_setting,
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy",
        ops: REPLACE,
        apply: set_method_setting,
    },
];

const ACCESS_LOG: &str = crate::deploy::compile::access_log::SETTINGS;

/// Sets (or with `None` removes) one `AccessLogSettings` member; an emptied object goes.
fn set_access_log(s: &mut Stage, name: &str, value: Option<String>) -> Result<(), PatchError> {
    let settings = s.extra.entry(ACCESS_LOG).or_insert_with(|| json!({}));
    if !settings.is_object() {
        *settings = json!({});
    }
    if let Value::Object(m) = settings {
        match value {
            Some(v) if !v.is_empty() => {
                m.insert(name.into(), json!(v));
            }
            _ => {
                m.remove(name);
            }
        }
        if m.is_empty() {
            s.extra.remove(ACCESS_LOG);
        }
    }
    Ok(())
}

fn set_deployment(s: &mut Stage, c: &Change<'_>) -> Result<(), PatchError> {
    let id = if c.op == Op::Copy {
        if c.from.map(|f| f.raw.as_str()) != Some("/canarySettings/deploymentId") {
            return Err(c.invalid("only /canarySettings/deploymentId can be copied here"));
        }
        s.extra
            .get(CANARY)
            .and_then(|cs| cs.get("deploymentId"))
            .and_then(Value::as_str)
            .ok_or_else(|| c.invalid("the stage has no canary deployment"))?
            .to_string()
    } else {
        c.value().to_string()
    };
    if id.is_empty() {
        return Err(c.invalid("deploymentId must not be empty"));
    }
    // Whether the deployment exists is the control plane's check, after all operations.
    s.deployment_id = id;
    Ok(())
}

fn promote_variables(s: &mut Stage, c: &Change<'_>) -> Result<(), PatchError> {
    if c.from.map(|f| f.raw.as_str()) != Some("/canarySettings/stageVariableOverrides") {
        return Err(c.invalid("only /canarySettings/stageVariableOverrides can be copied here"));
    }
    let overrides = s
        .extra
        .get(CANARY)
        .and_then(|cs| cs.get("stageVariableOverrides"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in overrides {
        if let Value::String(v) = v {
            s.variables.insert(k, v);
        }
    }
    Ok(())
}

fn check_variable(c: &Change<'_>, name: &str, value: &str) -> Result<(), PatchError> {
    validate_variables(&BTreeMap::from([(name.to_string(), value.to_string())]))
        .map_err(|e| c.invalid(e.parts().2))
}

fn set_variable(s: &mut Stage, c: &Change<'_>) -> Result<(), PatchError> {
    let name = c.capture(0);
    if c.op == Op::Remove {
        s.variables.remove(name);
        return Ok(());
    }
    check_variable(c, name, c.value())?;
    s.variables.insert(name.to_string(), c.value().to_string());
    Ok(())
}

/// The stage's canary settings object, created empty if missing.
fn canary(s: &mut Stage) -> &mut Map<String, Value> {
    let entry = s.extra.entry(CANARY).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    match entry {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

/// `methodSettings` key for the change's `{resourcePath}/{httpMethod}` captures, as AWS keys it.
fn method_key(c: &Change<'_>) -> Result<String, PatchError> {
    let (path, method) = (c.capture(0), c.capture(1));
    if !METHODS.contains(&method) {
        return Err(c.invalid(format!("'{method}' is not an HTTP method or *")));
    }
    match path {
        "*" if method == "*" => Ok("*/*".to_string()),
        p if p.starts_with('/') && method != "*" => Ok(format!(
            "{}/{method}",
            p.replace('~', "~0").replace('/', "~1")
        )),
        _ => Err(c.invalid(
            "method settings paths are /{resourcePath with / as ~1}/{METHOD}/... or /*/*/...",
        )),
    }
}

fn set_method_setting(s: &mut Stage, c: &Change<'_>) -> Result<(), PatchError> {
    let key = method_key(c)?;
    let mut tail = c.path.rsplitn(3, '/');
    let (name, group) = (tail.next().unwrap_or(""), tail.next().unwrap_or(""));
    let Some((_, _, member, kind)) = SETTINGS
        .iter()
        .find(|(g, n, _, _)| *g == group && *n == name)
    else {
        return Err(c.invalid("unknown method setting"));
    };
    let value = match kind {
        Kind::Bool => json!(c.bool()?),
        Kind::Int => json!(c.int(0..=i32::MAX as i64)?),
        Kind::Ttl => json!(c.int(0..=3600)?),
        Kind::Rate => json!(c
            .value()
            .parse::<f64>()
            .ok()
            .filter(|r| r.is_finite() && *r >= 0.0)
            .ok_or_else(|| c.invalid("rateLimit must be a non-negative number"))?),
        Kind::LogLevel => match c.value() {
            v @ ("OFF" | "ERROR" | "INFO") => json!(v),
            _ => return Err(c.invalid("loglevel must be one of [OFF, ERROR, INFO]")),
        },
        Kind::CacheStrategy => match c.value() {
            v @ ("FAIL_WITH_403" | "SUCCEED_WITH_RESPONSE_HEADER" | "SUCCEED_WITHOUT_RESPONSE_HEADER") => {
                json!(v)
            }
            _ => return Err(c.invalid(
                "must be one of [FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER, SUCCEED_WITHOUT_RESPONSE_HEADER]",
            )),
        },
    };
    let entry = s
        .method_settings
        .entry(key)
        .or_insert_with(|| Value::Object(default_method_setting()));
    if let Value::Object(m) = entry {
        m.insert((*member).to_string(), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::patch::{apply, parse};

    fn patch(stage: &Stage, ops: Value) -> Result<Stage, PatchError> {
        let body = json!({ "patchOperations": ops }).to_string();
        apply(stage, &parse(body.as_bytes())?, RULES)
    }

    fn stage() -> Stage {
        Stage {
            stage_name: "prod".into(),
            deployment_id: "d1".into(),
            variables: BTreeMap::from([("backend".into(), "a:1".into())]),
            ..Default::default()
        }
    }

    #[test]
    fn variables_description_deployment_and_flags() {
        let s = patch(
            &stage(),
            json!([
                {"op": "replace", "path": "/variables/backend", "value": "b:2"},
                {"op": "add", "path": "/variables/extra", "value": "x"},
                {"op": "replace", "path": "/description", "value": "hi"},
                {"op": "replace", "path": "/deploymentId", "value": "d2"},
                {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
                {"op": "replace", "path": "/cacheClusterSize", "value": "6.1"},
                {"op": "replace", "path": "/tracingEnabled", "value": "true"},
            ]),
        )
        .unwrap();
        assert_eq!(s.variables["backend"], "b:2");
        assert_eq!(s.variables["extra"], "x");
        assert_eq!(
            (s.description.as_deref(), s.deployment_id.as_str()),
            (Some("hi"), "d2")
        );
        assert!(s.cache_cluster_enabled && s.tracing_enabled);
        assert_eq!(s.cache_cluster_size.as_deref(), Some("6.1"));
        let s = patch(&s, json!([{"op": "remove", "path": "/variables/extra"}])).unwrap();
        assert!(!s.variables.contains_key("extra"));
    }

    #[test]
    fn method_settings_are_keyed_as_aws_returns_them() {
        let s = patch(
            &stage(),
            json!([
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
                {"op": "replace", "path": "/~1pets/GET/logging/loglevel", "value": "INFO"},
                {"op": "replace", "path": "/~1pets~1{id}/DELETE/caching/ttlInSeconds", "value": "60"},
            ]),
        )
        .unwrap();
        let all = &s.method_settings["*/*"];
        assert_eq!(all["throttlingRateLimit"], json!(100.0));
        assert_eq!(all["throttlingBurstLimit"], json!(5000));
        assert_eq!(all["loggingLevel"], json!("OFF"));
        assert_eq!(
            s.method_settings["~1pets/GET"]["loggingLevel"],
            json!("INFO")
        );
        assert_eq!(
            s.method_settings["~1pets~1{id}/DELETE"]["cacheTtlInSeconds"],
            json!(60)
        );
        let s = patch(&s, json!([{"op": "remove", "path": "/~1pets/GET"}])).unwrap();
        assert!(!s.method_settings.contains_key("~1pets/GET"));
    }

    #[test]
    fn bad_paths_and_values_change_nothing() {
        let bad = [
            json!([{"op": "replace", "path": "/variables/a-b", "value": "x"}]),
            json!([{"op": "replace", "path": "/variables/a", "value": "sp ace"}]),
            json!([{"op": "replace", "path": "/cacheClusterSize", "value": "2"}]),
            json!([{"op": "replace", "path": "/tracingEnabled", "value": "yes"}]),
            json!([{"op": "replace", "path": "/*/*/logging/loglevel", "value": "LOUD"}]),
            json!([{"op": "replace", "path": "/*/GET/metrics/enabled", "value": "true"}]),
            json!([{"op": "replace", "path": "/pets/FETCH/metrics/enabled", "value": "true"}]),
            json!([{"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "4000"}]),
            json!([{"op": "replace", "path": "/stageName", "value": "x"}]),
            json!([
                {"op": "replace", "path": "/description", "value": "ok"},
                {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "101"},
            ]),
        ];
        for ops in bad {
            assert!(patch(&stage(), ops.clone()).is_err(), "{ops}");
        }
    }

    #[test]
    fn canary_settings_and_promotion() {
        let s = patch(
            &stage(),
            json!([
                {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "10"},
                {"op": "replace", "path": "/canarySettings/deploymentId", "value": "d9"},
                {"op": "add", "path": "/canarySettings/stageVariableOverrides/backend", "value": "c:3"},
            ]),
        )
        .unwrap();
        assert_eq!(
            s.extra[CANARY],
            json!({"percentTraffic": 10.0, "deploymentId": "d9",
                   "stageVariableOverrides": {"backend": "c:3"}})
        );
        let s = patch(
            &s,
            json!([
                {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"},
                {"op": "copy", "from": "/canarySettings/stageVariableOverrides", "path": "/variables"},
                {"op": "remove", "path": "/canarySettings"},
            ]),
        )
        .unwrap();
        assert_eq!(s.deployment_id, "d9");
        assert_eq!(s.variables["backend"], "c:3");
        assert!(!s.extra.contains_key(CANARY));
    }
}
