//! Tags: AWS's rules for tag keys and values, and the resource ARNs TagResource, UntagResource and
//! GetTags address (`arn:aws:apigateway:{region}::/restapis/{id}`, `.../stages/{name}`,
//! `::/apikeys/{id}`, `::/usageplans/{id}`). The region is not checked: Tollgate answers for any.

use crate::admin::error::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// AWS: at most 50 tags per resource.
pub const MAX_TAGS: usize = 50;

/// A taggable resource, named by its ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tagged {
    RestApi(String),
    Stage { api: String, stage: String },
    ApiKey(String),
    UsagePlan(String),
}

/// Parses an API Gateway resource ARN.
pub fn parse_arn(arn: &str) -> Result<Tagged, ApiError> {
    let invalid = || ApiError::bad_request(format!("Invalid resource ARN specified: {arn}"));
    let rest = arn.strip_prefix("arn:").ok_or_else(invalid)?;
    let mut parts = rest.splitn(5, ':');
    let (partition, service, _region, account, path) = (
        parts.next().ok_or_else(invalid)?,
        parts.next().ok_or_else(invalid)?,
        parts.next().ok_or_else(invalid)?,
        parts.next().ok_or_else(invalid)?,
        parts.next().ok_or_else(invalid)?,
    );
    if !partition.starts_with("aws") || service != "apigateway" || !account.is_empty() {
        return Err(invalid());
    }
    let segs: Vec<&str> = path
        .strip_prefix('/')
        .ok_or_else(invalid)?
        .split('/')
        .collect();
    if segs.iter().any(|s| s.is_empty()) {
        return Err(invalid());
    }
    Ok(match segs.as_slice() {
        ["restapis", id] => Tagged::RestApi(id.to_string()),
        ["restapis", id, "stages", stage] => Tagged::Stage {
            api: id.to_string(),
            stage: stage.to_string(),
        },
        ["apikeys", id] => Tagged::ApiKey(id.to_string()),
        ["usageplans", id] => Tagged::UsagePlan(id.to_string()),
        _ => return Err(invalid()),
    })
}

/// AWS: keys 1–128 characters, values up to 256, no `aws:` prefix, at most 50.
pub fn validate_tags(tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::bad_request(format!(
            "Too many tags: at most {MAX_TAGS} are allowed"
        )));
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(ApiError::bad_request(format!(
                "Invalid tag key {k}: must be 1 to 128 characters"
            )));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::bad_request(
                "Tag keys must not start with the reserved prefix aws:",
            ));
        }
        if v.chars().count() > 256 {
            return Err(ApiError::bad_request(format!(
                "Invalid tag value for {k}: at most 256 characters"
            )));
        }
    }
    Ok(())
}

/// TagResource's body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagResourceIn {
    pub tags: Option<BTreeMap<String, String>>,
}

/// GetTags' output.
#[derive(Debug, Serialize)]
pub struct TagsOut<'a> {
    pub tags: &'a BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_their_resource() {
        let cases = [
            (
                "arn:aws:apigateway:us-east-1::/restapis/a1",
                Tagged::RestApi("a1".into()),
            ),
            (
                "arn:aws:apigateway:eu-west-1::/restapis/a1/stages/prod",
                Tagged::Stage {
                    api: "a1".into(),
                    stage: "prod".into(),
                },
            ),
            (
                "arn:aws:apigateway:us-east-1::/apikeys/k1",
                Tagged::ApiKey("k1".into()),
            ),
            (
                "arn:aws-cn:apigateway:cn-north-1::/usageplans/p1",
                Tagged::UsagePlan("p1".into()),
            ),
        ];
        for (arn, want) in cases {
            assert_eq!(parse_arn(arn).unwrap(), want, "{arn}");
        }
        for bad in [
            "",
            "arn:aws:s3:::bucket",
            "arn:aws:apigateway:us-east-1:123:/restapis/a1",
            "arn:aws:apigateway:us-east-1::/restapis",
            "arn:aws:apigateway:us-east-1::/restapis//stages/x",
            "arn:aws:apigateway:us-east-1::/domainnames/x",
        ] {
            assert!(parse_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tag_rules() {
        let t = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert!(validate_tags(&t("team", "core")).is_ok());
        assert!(validate_tags(&t(&"k".repeat(128), &"v".repeat(256))).is_ok());
        for bad in [
            t("", "v"),
            t(&"k".repeat(129), "v"),
            t("k", &"v".repeat(257)),
            t("aws:x", "v"),
        ] {
            assert!(validate_tags(&bad).is_err(), "{bad:?}");
        }
        let many: BTreeMap<String, String> =
            (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(validate_tags(&many).is_err());
    }
}
