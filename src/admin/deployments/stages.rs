//! Stage rules shared by CreateDeployment and boot deployments: AWS's validation of stage names
//! and variables, and how an update is applied to an existing (or new) stage.

use crate::admin::error::ApiError;
use crate::deploy::model::Stage;
use std::collections::BTreeMap;

/// The stage a new deployment is pointed at; created if missing.
#[derive(Debug, Clone, Default)]
pub struct StageUpdate {
    pub name: String,
    pub description: Option<String>,
    /// `Some` replaces the stage's variables; `None` keeps them.
    pub variables: Option<BTreeMap<String, String>>,
    pub cache_cluster_enabled: Option<bool>,
    pub cache_cluster_size: Option<String>,
    pub tracing_enabled: Option<bool>,
}

/// `current` (or a new stage) pointed at `deployment_id`, with `update` applied.
pub fn updated_stage(
    current: Option<Stage>,
    update: &StageUpdate,
    deployment_id: &str,
    now: i64,
) -> Stage {
    let mut stage = current.unwrap_or_else(|| Stage {
        stage_name: update.name.clone(),
        created_date: now,
        ..Default::default()
    });
    stage.deployment_id = deployment_id.to_string();
    stage.last_updated_date = now;
    if let Some(d) = &update.description {
        stage.description = Some(d.clone());
    }
    if let Some(v) = &update.variables {
        stage.variables = v.clone();
    }
    if let Some(c) = update.cache_cluster_enabled {
        stage.cache_cluster_enabled = c;
    }
    if let Some(s) = &update.cache_cluster_size {
        stage.cache_cluster_size = Some(s.clone());
    }
    if let Some(t) = update.tracing_enabled {
        stage.tracing_enabled = t;
    }
    stage
}

/// AWS's `CacheClusterSize` values (GB).
pub const CACHE_CLUSTER_SIZES: &[&str] =
    &["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"];

/// AWS: stage names are alphanumerics, hyphens and underscores, at most 128 characters.
pub fn validate_stage_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request("Stage name only allows a-zA-Z0-9_-"))
    }
}

/// AWS: variable names are alphanumerics and underscores (at most 64 characters); values match
/// `[A-Za-z0-9-._~:/?#&=,]+` (at most 512). Stage variables are resolved into integration URIs
/// and header values at deploy time, so this rule is also what keeps CR, LF, NUL and spaces out
/// of those. The messages are AWS's wording; the value message lists the
/// documented pattern's symbols (AWS's own lists `' '` and leaves out `~` and `#`).
pub fn validate_variables(vars: &BTreeMap<String, String>) -> Result<(), ApiError> {
    for (name, value) in vars {
        if name.is_empty()
            || name.len() > 64
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(ApiError::bad_request(format!(
                "Invalid stage variable name: {name}.  Please use names with only word characters."
            )));
        }
        if value.is_empty()
            || value.len() > 512
            || !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#&=,".contains(&b))
        {
            return Err(ApiError::bad_request(format!(
                "Invalid stage variable value: {}.  Please use values with alphanumeric characters and the symbols '-', '.', '_', '~', ':', '/', '?', '#', '&', '=', and ','.",
                value.escape_debug()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_variables_follow_aws_rules() {
        for ok in ["prod", "v1_beta-2", &"a".repeat(128)] {
            assert!(validate_stage_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a/b", &"a".repeat(129)] {
            assert!(validate_stage_name(bad).is_err(), "{bad}");
        }
        let vars = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert!(validate_variables(&vars("url_1", "https://h.example:8443/p?q=1&r=2#f,~")).is_ok());
        for (k, v) in [
            ("a-b", "v"),
            ("", "v"),
            ("a", ""),
            ("a", "sp ace"),
            ("a", "quo\"te"),
            ("a", "x\r\nX-Injected: 1"),
            ("a", "nul\0"),
            ("a", "tab\t"),
            (&"k".repeat(65), "v"),
            ("a", &"v".repeat(513)),
        ] {
            assert!(validate_variables(&vars(k, v)).is_err(), "{k}={v}");
        }
        assert!(validate_variables(&vars(&"k".repeat(64), &"v".repeat(512))).is_ok());
        let e = validate_variables(&vars("a", "b\nc")).unwrap_err();
        assert!(
            format!("{e:?}").contains("Invalid stage variable value: b\\\\nc.  Please use values"),
            "{e:?}"
        );
    }

    #[test]
    fn update_keeps_what_it_does_not_set() {
        let current = Stage {
            stage_name: "prod".into(),
            deployment_id: "d0".into(),
            description: Some("kept".into()),
            variables: BTreeMap::from([("a".into(), "1".into())]),
            created_date: 5,
            ..Default::default()
        };
        let update = StageUpdate {
            name: "prod".into(),
            ..Default::default()
        };
        let s = updated_stage(Some(current.clone()), &update, "d1", 9);
        assert_eq!(
            (
                s.deployment_id.as_str(),
                s.created_date,
                s.last_updated_date
            ),
            ("d1", 5, 9)
        );
        assert_eq!(
            (s.description, s.variables),
            (current.description, current.variables)
        );
        let fresh = updated_stage(None, &update, "d1", 9);
        assert_eq!((fresh.stage_name.as_str(), fresh.created_date), ("prod", 9));
    }
}
