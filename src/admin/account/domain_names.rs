//! DomainNames and BasePathMappings: stored shapes, validation and patch rules, pure over values
//! so `account::ops` can load, edit and write them in one store transaction.
//!
//! Tollgate serves no CloudFront distribution or regional endpoint; the names AWS would assign
//! (`d-xxxxxxxxxx.execute-api.{region}.amazonaws.com`, `dxxxxxxxxxxxxx.cloudfront.net`) are derived
//! from the domain name by a fixed hash, so they are stable across restarts and exports. A
//! certificate's private key is kept but never returned.

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Op, PatchOperation, Rule};
use crate::deploy::model::EndpointConfiguration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DOMAIN_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid domain name identifier specified");
pub const MAPPING_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid base path mapping identifier specified");

pub const REGION: &str = "us-east-1";
const REGIONAL_ZONE: &str = "Z1UJRXOUMOOFQ8";
const CLOUDFRONT_ZONE: &str = "Z2FDTNDATAQYW2";
/// The base path AWS reports for a mapping of the whole domain.
pub const NONE_BASE_PATH: &str = "(none)";

const SECURITY_POLICIES: [&str; 2] = ["TLS_1_0", "TLS_1_2"];

/// CreateDomainName's body and the stored DomainName (output members filled in by `derive`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DomainName {
    #[serde(default)]
    pub domain_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_private_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_chain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional_certificate_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional_certificate_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_configuration: Option<EndpointConfiguration>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutual_tls_authentication: Option<MutualTls>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ownership_verification_certificate_arn: Option<String>,
    // -- output members, set by `derive` --
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_upload_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional_domain_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional_hosted_zone_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution_domain_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution_hosted_zone_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_name_status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MutualTls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truststore_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truststore_version: Option<String>,
}

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::bad_request(m)
}

/// A DNS name (optionally a `*.` wildcard): lowercase labels of letters, digits and hyphens.
fn check_domain_name(name: &str) -> Result<(), ApiError> {
    let invalid = || bad(format!("Invalid domain name specified: {name}"));
    let body = name.strip_prefix("*.").unwrap_or(name);
    if name.len() > 253 || !body.contains('.') {
        return Err(invalid());
    }
    for label in body.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(invalid());
        }
    }
    Ok(())
}

fn endpoint_type(d: &DomainName) -> &str {
    d.endpoint_configuration
        .as_ref()
        .and_then(|e| e.types.first())
        .map_or("EDGE", String::as_str)
}

/// Checks the whole domain (after create or update) and fills in the members AWS derives.
pub fn validate(d: &mut DomainName, now: i64) -> Result<(), ApiError> {
    check_domain_name(&d.domain_name)?;
    let types = d
        .endpoint_configuration
        .as_ref()
        .map(|e| e.types.clone())
        .unwrap_or_default();
    if types.len() > 1 {
        return Err(bad("Only one endpoint type may be specified"));
    }
    let kind = endpoint_type(d).to_string();
    let arn_ok = |a: &Option<String>| a.as_deref().is_none_or(|a| a.starts_with("arn:aws:acm:"));
    if !arn_ok(&d.certificate_arn) || !arn_ok(&d.regional_certificate_arn) {
        return Err(bad("Invalid certificate ARN specified"));
    }
    match kind.as_str() {
        "EDGE" => {
            let uploaded = d.certificate_body.is_some() && d.certificate_private_key.is_some();
            if d.certificate_arn.is_none() && !uploaded {
                return Err(bad("A certificate was not provided for the domain name"));
            }
            if d.regional_certificate_arn.is_some() {
                return Err(bad(
                    "Regional certificate is not supported for an EDGE domain name",
                ));
            }
        }
        "REGIONAL" => {
            if d.regional_certificate_arn.is_none() {
                return Err(bad(
                    "A regional certificate was not provided for the domain name",
                ));
            }
            if d.certificate_arn.is_some() || d.certificate_body.is_some() {
                return Err(bad(
                    "Edge certificate is not supported for a REGIONAL domain name",
                ));
            }
        }
        other => {
            return Err(bad(format!(
                "Invalid endpoint type specified: {other}. Valid options are EDGE, REGIONAL"
            )))
        }
    }
    let policy = d.security_policy.get_or_insert_with(|| "TLS_1_2".into());
    if !SECURITY_POLICIES.contains(&policy.as_str()) {
        return Err(bad(format!(
            "Invalid security policy specified: {policy}. Valid options are {}",
            SECURITY_POLICIES.join(",")
        )));
    }
    if let Some(m) = &d.mutual_tls_authentication {
        if m.truststore_uri
            .as_deref()
            .is_some_and(|u| !u.starts_with("s3://"))
        {
            return Err(bad("Truststore URI must be an s3:// URI"));
        }
    }
    d.endpoint_configuration = Some(EndpointConfiguration {
        types: vec![kind.clone()],
        vpc_endpoint_ids: Vec::new(),
    });
    d.certificate_upload_date.get_or_insert(now);
    d.domain_name_status = Some("AVAILABLE".into());
    let h = fnv(&d.domain_name);
    if kind == "EDGE" {
        d.distribution_domain_name = Some(format!("d{}.cloudfront.net", base36(h, 13)));
        d.distribution_hosted_zone_id = Some(CLOUDFRONT_ZONE.into());
        d.regional_domain_name = None;
        d.regional_hosted_zone_id = None;
    } else {
        d.regional_domain_name = Some(format!(
            "d-{}.execute-api.{REGION}.amazonaws.com",
            base36(h, 10)
        ));
        d.regional_hosted_zone_id = Some(REGIONAL_ZONE.into());
        d.distribution_domain_name = None;
        d.distribution_hosted_zone_id = None;
    }
    Ok(())
}

/// The DomainName output shape: the stored value without the uploaded certificate material.
pub fn domain_out(d: &DomainName) -> serde_json::Value {
    let mut d = d.clone();
    d.certificate_body = None;
    d.certificate_private_key = None;
    d.certificate_chain = None;
    serde_json::to_value(d).unwrap_or_default()
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn base36(mut h: u64, len: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..len)
        .map(|i| {
            if i == 12 {
                h = fnv(&h.to_string());
            }
            let c = DIGITS[(h % 36) as usize] as char;
            h /= 36;
            c
        })
        .collect()
}

const DOMAIN_RULES: &[Rule<DomainName>] = &[
    Rule {
        path: "/certificateName",
        ops: &[Op::Replace],
        apply: |d, c| {
            d.certificate_name = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/certificateArn",
        ops: &[Op::Replace],
        apply: |d, c| {
            d.certificate_arn = c.optional().filter(|v| !v.is_empty());
            Ok(())
        },
    },
    Rule {
        path: "/regionalCertificateName",
        ops: &[Op::Replace],
        apply: |d, c| {
            d.regional_certificate_name = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/regionalCertificateArn",
        ops: &[Op::Replace],
        apply: |d, c| {
            d.regional_certificate_arn = c.optional().filter(|v| !v.is_empty());
            Ok(())
        },
    },
    Rule {
        path: "/endpointConfiguration/types/0",
        ops: &[Op::Replace],
        apply: |d, c| {
            d.endpoint_configuration = Some(EndpointConfiguration {
                types: vec![c.value().to_string()],
                vpc_endpoint_ids: Vec::new(),
            });
            Ok(())
        },
    },
    Rule {
        path: "/securityPolicy",
        ops: &[Op::Replace],
        apply: |d, c| {
            d.security_policy = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/mutualTlsAuthentication/truststoreUri",
        ops: &[Op::Replace],
        apply: |d, c| {
            d.mutual_tls_authentication
                .get_or_insert_with(Default::default)
                .truststore_uri = c.optional().filter(|v| !v.is_empty());
            Ok(())
        },
    },
    Rule {
        path: "/mutualTlsAuthentication/truststoreVersion",
        ops: &[Op::Replace],
        apply: |d, c| {
            d.mutual_tls_authentication
                .get_or_insert_with(Default::default)
                .truststore_version = c.optional().filter(|v| !v.is_empty());
            Ok(())
        },
    },
];

pub fn update_domain(
    d: &DomainName,
    ops: &[PatchOperation],
    now: i64,
) -> Result<DomainName, ApiError> {
    let mut out = patch::apply(d, ops, DOMAIN_RULES)?;
    if out.certificate_arn != d.certificate_arn
        || out.regional_certificate_arn != d.regional_certificate_arn
    {
        out.certificate_upload_date = Some(now);
    }
    validate(&mut out, now)?;
    Ok(out)
}

// -- BasePathMappings ---------------------------------------------------------------------------

/// CreateBasePathMapping's body and the stored BasePathMapping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasePathMapping {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rest_api_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

/// Normalises and checks a base path: empty means `(none)`; otherwise one or more segments of
/// AWS's allowed characters separated by `/`.
pub fn normalise_base_path(p: Option<&str>) -> Result<String, ApiError> {
    let p = p.unwrap_or("");
    if p.is_empty() || p == NONE_BASE_PATH {
        return Ok(NONE_BASE_PATH.to_string());
    }
    let ok_char = |b: u8| b.is_ascii_alphanumeric() || b"$-_.+!*'()".contains(&b);
    let ok = p.len() <= 255
        && p.split('/')
            .all(|s| !s.is_empty() && s.bytes().all(ok_char));
    if !ok {
        return Err(bad(format!("Invalid base path specified: {p}")));
    }
    Ok(p.to_string())
}

/// The store key of a mapping.
pub fn mapping_key(domain: &str, base_path: &str) -> String {
    format!("{domain}/{base_path}")
}

/// AWS allows `(none)` only as a domain's single mapping.
pub fn check_none_exclusive(existing: &[String], base_path: &str) -> Result<(), ApiError> {
    if existing.iter().any(|b| b == base_path) {
        return Err(ApiError::Conflict(
            "Base path already exists for this domain name".into(),
        ));
    }
    if !existing.is_empty()
        && (base_path == NONE_BASE_PATH || existing.iter().any(|b| b == NONE_BASE_PATH))
    {
        return Err(bad(
            "Only one base path mapping is allowed if the base path is empty.",
        ));
    }
    Ok(())
}

const MAPPING_RULES: &[Rule<BasePathMapping>] = &[
    Rule {
        path: "/basePath",
        ops: &[Op::Replace],
        apply: |m, c| {
            m.base_path = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/restapiId",
        ops: &[Op::Replace],
        apply: |m, c| {
            m.rest_api_id = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/stage",
        ops: &[Op::Replace],
        apply: |m, c| {
            m.stage = c.optional().filter(|v| !v.is_empty());
            Ok(())
        },
    },
];

pub fn update_mapping(
    m: &BasePathMapping,
    ops: &[PatchOperation],
) -> Result<BasePathMapping, ApiError> {
    let mut out = patch::apply(m, ops, MAPPING_RULES)?;
    out.base_path = Some(normalise_base_path(out.base_path.as_deref())?);
    Ok(out)
}

#[cfg(test)]
#[path = "domain_names_tests.rs"]
mod tests;
