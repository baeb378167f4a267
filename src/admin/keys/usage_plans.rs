//! Usage plan rules: validation of throttles and quotas, UpdateUsagePlan's patch paths, and the
//! calendar arithmetic of quota periods (UTC days, AWS's `offset` per period) used by GetUsage,
//! UpdateUsage and, later, the data plane's quota enforcement.

use crate::admin::error::ApiError;
use crate::admin::keys::api_keys::{validate_text, MAX_DESCRIPTION_LEN, MAX_NAME_LEN};
use crate::admin::patch::{Change, Op, PatchError, Rule};
use crate::store::{ApiStage, QuotaSettings, ThrottleSettings, UsagePlan};
use time::{Date, Month};

use crate::core::quota::{date_of, day_of};
pub use crate::core::quota::{period_start, today};

/// Checks what AWS checks of a plan as created or patched.
pub fn validate_plan(plan: &UsagePlan) -> Result<(), ApiError> {
    if plan.name.trim().is_empty() {
        return Err(ApiError::bad_request("Usage plan name must not be empty"));
    }
    validate_text("Usage plan name", Some(&plan.name), MAX_NAME_LEN)?;
    validate_text(
        "Usage plan description",
        plan.description.as_deref(),
        MAX_DESCRIPTION_LEN,
    )?;
    if let Some(t) = &plan.throttle {
        validate_throttle(t)?;
    }
    if let Some(q) = &plan.quota {
        validate_quota(q)?;
    }
    for (i, s) in plan.api_stages.iter().enumerate() {
        if plan.api_stages[..i]
            .iter()
            .any(|o| o.api_id == s.api_id && o.stage == s.stage)
        {
            return Err(ApiError::bad_request(format!(
                "Duplicate API stage {}:{} in usage plan",
                s.api_id, s.stage
            )));
        }
        for (method, t) in &s.throttle {
            parse_method_key(method).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid method throttle key {method}: use {{resourcePath}}/{{httpMethod}}"
                ))
            })?;
            validate_throttle(t)?;
        }
    }
    Ok(())
}

fn validate_throttle(t: &ThrottleSettings) -> Result<(), ApiError> {
    if t.burst_limit
        .is_some_and(|b| !(0..=i32::MAX as i64).contains(&b))
    {
        return Err(ApiError::bad_request(
            "Throttle burstLimit must be a non-negative integer",
        ));
    }
    if t.rate_limit.is_some_and(|r| !r.is_finite() || r < 0.0) {
        return Err(ApiError::bad_request(
            "Throttle rateLimit must be a non-negative number",
        ));
    }
    Ok(())
}

fn validate_quota(q: &QuotaSettings) -> Result<(), ApiError> {
    let period = q.period.as_deref().ok_or_else(|| {
        ApiError::bad_request("Quota period must be specified: one of [DAY, WEEK, MONTH]")
    })?;
    let max_offset = match period {
        "DAY" => 0,
        "WEEK" => 6,
        "MONTH" => 27,
        other => {
            return Err(ApiError::bad_request(format!(
                "Invalid quota period {other}: one of [DAY, WEEK, MONTH]"
            )))
        }
    };
    match q.limit {
        Some(l) if (0..=i32::MAX as i64).contains(&l) => {}
        _ => {
            return Err(ApiError::bad_request(
                "Quota limit must be a non-negative integer",
            ))
        }
    }
    if !(0..=max_offset).contains(&q.offset.unwrap_or(0)) {
        return Err(ApiError::bad_request(format!(
            "Quota offset for period {period} must be between 0 and {max_offset}"
        )));
    }
    Ok(())
}

/// `/pets/GET` -> (`/pets`, `GET`).
pub fn parse_method_key(key: &str) -> Option<(&str, &str)> {
    let (path, method) = key.rsplit_once('/')?;
    let path = if path.is_empty() { "/" } else { path };
    (path.starts_with('/') && !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase()))
        .then_some((path, method))
}

/// `{apiId}:{stage}` -> (`apiId`, `stage`).
pub fn parse_api_stage(s: &str) -> Option<(&str, &str)> {
    let (api, stage) = s.split_once(':')?;
    (!api.is_empty() && !stage.is_empty()).then_some((api, stage))
}

const RAR: &[Op] = &[Op::Add, Op::Replace, Op::Remove];

/// UpdateUsagePlan's rules; `validate_plan` and the control plane's API-stage check run after.
pub const RULES: &[Rule<UsagePlan>] = &[
    Rule {
        path: "/name",
        ops: &[Op::Replace],
        apply: |p, c| {
            p.name = c.value().to_string();
            Ok(())
        },
    },
    Rule {
        path: "/description",
        ops: RAR,
        apply: |p, c| {
            p.description = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/productCode",
        ops: RAR,
        apply: |p, c| {
            p.product_code = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/apiStages",
        ops: &[Op::Add, Op::Remove],
        apply: |p, c| {
            let v = c.value.unwrap_or("");
            let (api, stage) =
                parse_api_stage(v).ok_or_else(|| c.invalid("API stages are {apiId}:{stage}"))?;
            let at = p
                .api_stages
                .iter()
                .position(|s| s.api_id == api && s.stage == stage);
            match (c.op, at) {
                (Op::Add, None) => p.api_stages.push(ApiStage {
                    api_id: api.into(),
                    stage: stage.into(),
                    ..Default::default()
                }),
                (Op::Remove, Some(i)) => {
                    p.api_stages.remove(i);
                }
                (Op::Remove, None) => {
                    return Err(c.invalid(format!("{v} is not in the usage plan")))
                }
                _ => {}
            }
            Ok(())
        },
    },
    Rule {
        path: "/apiStages/{apiStage}/throttle",
        ops: &[Op::Remove],
        apply: |p, c| {
            api_stage(p, c)?.throttle.clear();
            Ok(())
        },
    },
    Rule {
        path: "/apiStages/{apiStage}/throttle/{resourcePath}/{httpMethod}",
        ops: &[Op::Remove],
        apply: |p, c| {
            let key = method_throttle_key(c)?;
            api_stage(p, c)?.throttle.remove(&key);
            Ok(())
        },
    },
    Rule {
        path: "/apiStages/{apiStage}/throttle/{resourcePath}/{httpMethod}/rateLimit",
        ops: RAR,
        apply: |p, c| {
            let key = method_throttle_key(c)?;
            let rate = rate(c)?;
            let stage = api_stage(p, c)?;
            let t = stage.throttle.entry(key.clone()).or_default();
            t.rate_limit = rate;
            if t == &ThrottleSettings::default() {
                stage.throttle.remove(&key);
            }
            Ok(())
        },
    },
    Rule {
        path: "/apiStages/{apiStage}/throttle/{resourcePath}/{httpMethod}/burstLimit",
        ops: RAR,
        apply: |p, c| {
            let key = method_throttle_key(c)?;
            let burst = burst(c)?;
            let stage = api_stage(p, c)?;
            let t = stage.throttle.entry(key.clone()).or_default();
            t.burst_limit = burst;
            if t == &ThrottleSettings::default() {
                stage.throttle.remove(&key);
            }
            Ok(())
        },
    },
    Rule {
        path: "/throttle",
        ops: &[Op::Remove],
        apply: |p, _| {
            p.throttle = None;
            Ok(())
        },
    },
    Rule {
        path: "/throttle/rateLimit",
        ops: RAR,
        apply: |p, c| {
            p.throttle.get_or_insert_with(Default::default).rate_limit = rate(c)?;
            if p.throttle.as_ref() == Some(&ThrottleSettings::default()) {
                p.throttle = None;
            }
            Ok(())
        },
    },
    Rule {
        path: "/throttle/burstLimit",
        ops: RAR,
        apply: |p, c| {
            p.throttle.get_or_insert_with(Default::default).burst_limit = burst(c)?;
            if p.throttle.as_ref() == Some(&ThrottleSettings::default()) {
                p.throttle = None;
            }
            Ok(())
        },
    },
    Rule {
        path: "/quota",
        ops: &[Op::Remove],
        apply: |p, _| {
            p.quota = None;
            Ok(())
        },
    },
    Rule {
        path: "/quota/limit",
        ops: &[Op::Add, Op::Replace],
        apply: |p, c| {
            p.quota.get_or_insert_with(Default::default).limit = Some(c.int(0..=i32::MAX as i64)?);
            Ok(())
        },
    },
    Rule {
        path: "/quota/offset",
        ops: &[Op::Add, Op::Replace],
        apply: |p, c| {
            p.quota.get_or_insert_with(Default::default).offset = Some(c.int(0..=27)?);
            Ok(())
        },
    },
    Rule {
        path: "/quota/period",
        ops: &[Op::Add, Op::Replace],
        apply: |p, c| {
            p.quota.get_or_insert_with(Default::default).period = Some(c.value().to_string());
            Ok(())
        },
    },
];

fn api_stage<'p>(p: &'p mut UsagePlan, c: &Change<'_>) -> Result<&'p mut ApiStage, PatchError> {
    let (api, stage) =
        parse_api_stage(c.capture(0)).ok_or_else(|| c.invalid("API stages are {apiId}:{stage}"))?;
    p.api_stages
        .iter_mut()
        .find(|s| s.api_id == api && s.stage == stage)
        .ok_or_else(|| c.invalid(format!("{api}:{stage} is not in the usage plan")))
}

fn method_throttle_key(c: &Change<'_>) -> Result<String, PatchError> {
    let key = format!("{}/{}", c.capture(1), c.capture(2));
    if parse_method_key(&key).is_none() {
        return Err(c.invalid("method throttles are /{resourcePath}/{httpMethod}"));
    }
    Ok(key)
}

fn rate(c: &Change<'_>) -> Result<Option<f64>, PatchError> {
    if c.op == Op::Remove {
        return Ok(None);
    }
    c.value()
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r >= 0.0)
        .map(Some)
        .ok_or_else(|| c.invalid("rateLimit must be a non-negative number"))
}

fn burst(c: &Change<'_>) -> Result<Option<i64>, PatchError> {
    if c.op == Op::Remove {
        return Ok(None);
    }
    c.int(0..=i32::MAX as i64).map(Some)
}

/// `YYYY-MM-DD` -> day number; `None` if not a real date.
pub fn parse_day(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s[0..4].parse().ok()?;
    let m: u8 = s[5..7].parse().ok()?;
    let d: u8 = s[8..10].parse().ok()?;
    let date = Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()?;
    Some(day_of(date))
}

/// `YYYY-MM-DD` of a day number (clamped to the `time` crate's range, which every day this
/// module derives from a parsed date or today stays inside).
pub fn format_day(day: i64) -> String {
    let date = date_of(day).unwrap_or(if day < 0 { Date::MIN } else { Date::MAX });
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::patch::{apply, parse};
    use serde_json::json;

    #[test]
    fn calendar_round_trips_and_periods() {
        for s in ["1970-01-01", "2000-02-29", "2024-12-31", "2025-03-01"] {
            assert_eq!(format_day(parse_day(s).unwrap()), s);
        }
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "x", "2024-00-10"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        let q = |period: &str, offset| QuotaSettings {
            limit: Some(10),
            offset: Some(offset),
            period: Some(period.into()),
        };
        let d = parse_day("2024-05-15").unwrap(); // a Wednesday
        assert_eq!(format_day(period_start(&q("DAY", 0), d)), "2024-05-15");
        assert_eq!(format_day(period_start(&q("WEEK", 0), d)), "2024-05-12");
        assert_eq!(format_day(period_start(&q("WEEK", 1), d)), "2024-05-13");
        assert_eq!(format_day(period_start(&q("WEEK", 4), d)), "2024-05-09");
        assert_eq!(format_day(period_start(&q("MONTH", 0), d)), "2024-05-01");
        assert_eq!(format_day(period_start(&q("MONTH", 20), d)), "2024-04-21");
        let jan = parse_day("2024-01-03").unwrap();
        assert_eq!(format_day(period_start(&q("MONTH", 5), jan)), "2023-12-06");
    }

    fn plan() -> UsagePlan {
        UsagePlan {
            id: "p".into(),
            name: "gold".into(),
            ..Default::default()
        }
    }

    fn patch(p: &UsagePlan, ops: serde_json::Value) -> Result<UsagePlan, PatchError> {
        let body = json!({ "patchOperations": ops }).to_string();
        apply(p, &parse(body.as_bytes())?, RULES)
    }

    #[test]
    fn patch_api_stages_throttles_and_quota() {
        let p = patch(
            &plan(),
            json!([
                {"op": "add", "path": "/apiStages", "value": "a1:prod"},
                {"op": "replace", "path": "/apiStages/a1:prod/throttle/~1pets/GET/rateLimit", "value": "5"},
                {"op": "replace", "path": "/apiStages/a1:prod/throttle/~1pets/GET/burstLimit", "value": "9"},
                {"op": "replace", "path": "/throttle/rateLimit", "value": "100.5"},
                {"op": "replace", "path": "/quota/limit", "value": "1000"},
                {"op": "replace", "path": "/quota/period", "value": "MONTH"},
                {"op": "replace", "path": "/name", "value": "platinum"},
            ]),
        )
        .unwrap();
        assert_eq!(p.name, "platinum");
        assert_eq!(
            serde_json::to_value(&p.api_stages).unwrap(),
            json!([{"apiId": "a1", "stage": "prod",
                    "throttle": {"/pets/GET": {"burstLimit": 9, "rateLimit": 5.0}}}])
        );
        assert_eq!(p.throttle.as_ref().unwrap().rate_limit, Some(100.5));
        validate_plan(&p).unwrap();
        let p = patch(
            &p,
            json!([
                {"op": "remove", "path": "/apiStages/a1:prod/throttle/~1pets/GET/rateLimit"},
                {"op": "remove", "path": "/apiStages/a1:prod/throttle/~1pets/GET/burstLimit"},
                {"op": "remove", "path": "/throttle/rateLimit"},
                {"op": "remove", "path": "/quota"},
            ]),
        )
        .unwrap();
        assert!(p.api_stages[0].throttle.is_empty());
        assert_eq!((p.throttle.clone(), p.quota.clone()), (None, None));
        let p = patch(
            &p,
            json!([{"op": "remove", "path": "/apiStages", "value": "a1:prod"}]),
        )
        .unwrap();
        assert!(p.api_stages.is_empty());
    }

    #[test]
    fn bad_patches_and_plans_are_refused() {
        for ops in [
            json!([{"op": "add", "path": "/apiStages", "value": "noColon"}]),
            json!([{"op": "remove", "path": "/apiStages", "value": "a1:prod"}]),
            json!([{"op": "replace", "path": "/apiStages/a1:prod/throttle/~1p/GET/rateLimit", "value": "1"}]),
            json!([{"op": "replace", "path": "/throttle/rateLimit", "value": "-1"}]),
            json!([{"op": "replace", "path": "/quota/limit", "value": "lots"}]),
            json!([{"op": "replace", "path": "/id", "value": "x"}]),
        ] {
            assert!(patch(&plan(), ops.clone()).is_err(), "{ops}");
        }
        let with = |q: QuotaSettings| UsagePlan {
            quota: Some(q),
            ..plan()
        };
        for bad in [
            with(QuotaSettings {
                limit: Some(1),
                offset: None,
                period: Some("YEAR".into()),
            }),
            with(QuotaSettings {
                limit: Some(1),
                offset: Some(1),
                period: Some("DAY".into()),
            }),
            with(QuotaSettings {
                limit: None,
                offset: None,
                period: Some("DAY".into()),
            }),
            UsagePlan {
                name: "x".repeat(1025),
                ..plan()
            },
            UsagePlan {
                name: " ".into(),
                ..plan()
            },
        ] {
            assert!(validate_plan(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_method_key("/pets/GET"), Some(("/pets", "GET")));
        assert_eq!(parse_method_key("//GET"), Some(("/", "GET")));
        assert_eq!(parse_method_key("pets/GET"), None);
    }
}
