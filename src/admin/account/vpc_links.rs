//! VpcLinks: stored shape, validation and patch rules. Tollgate has no VPC to connect, so a link
//! is AVAILABLE as soon as it is created; integrations name it by `connectionId`.

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Op, PatchOperation, Rule};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const VPC_LINK_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid VPC link identifier specified");

const MAX_NAME: usize = 128;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateVpcLinkIn {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub target_arns: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// The stored and returned VpcLink.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcLink {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub target_arns: Vec<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::bad_request("VpcLink name must be specified"));
    }
    if name.len() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "VpcLink name must be at most {MAX_NAME} characters"
        )));
    }
    Ok(())
}

pub fn new_vpc_link(id: String, input: CreateVpcLinkIn) -> Result<VpcLink, ApiError> {
    let name = input.name.unwrap_or_default();
    check_name(&name)?;
    match input.target_arns.as_slice() {
        [] => return Err(ApiError::bad_request("targetArns must be specified")),
        [arn] if arn.starts_with("arn:aws:elasticloadbalancing:") => {}
        [arn] => {
            return Err(ApiError::bad_request(format!(
                "Invalid target ARN specified: {arn}. It must be a Network Load Balancer ARN"
            )))
        }
        _ => {
            return Err(ApiError::bad_request(
                "A VPC link supports exactly one target ARN",
            ))
        }
    }
    Ok(VpcLink {
        id,
        name,
        description: input.description,
        target_arns: input.target_arns,
        status: "AVAILABLE".into(),
        status_message: Some("Your vpc link is ready for use".into()),
        tags: input.tags,
    })
}

const RULES: &[Rule<VpcLink>] = &[
    Rule {
        path: "/name",
        ops: &[Op::Replace],
        apply: |l, c| {
            l.name = c.value().to_string();
            Ok(())
        },
    },
    Rule {
        path: "/description",
        ops: &[Op::Replace],
        apply: |l, c| {
            l.description = c.optional();
            Ok(())
        },
    },
];

pub fn update_vpc_link(l: &VpcLink, ops: &[PatchOperation]) -> Result<VpcLink, ApiError> {
    let out = patch::apply(l, ops, RULES)?;
    check_name(&out.name)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NLB: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/nlb/abc";

    fn input(arns: &[&str]) -> CreateVpcLinkIn {
        CreateVpcLinkIn {
            name: Some("link".into()),
            target_arns: arns.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn create_needs_a_name_and_one_nlb() {
        let l = new_vpc_link("l1".into(), input(&[NLB])).unwrap();
        assert_eq!(l.status, "AVAILABLE");
        for bad in [
            input(&[]),
            input(&["arn:aws:s3:::b"]),
            input(&[NLB, NLB]),
            CreateVpcLinkIn {
                name: None,
                ..input(&[NLB])
            },
        ] {
            assert_eq!(new_vpc_link("l2".into(), bad).unwrap_err().parts().0, 400);
        }
    }

    #[test]
    fn update_name_and_description() {
        let l = new_vpc_link("l1".into(), input(&[NLB])).unwrap();
        let ops = patch::parse(br#"{"patchOperations":[{"op":"replace","path":"/name","value":"n2"},{"op":"replace","path":"/description","value":"d"}]}"#).unwrap();
        let u = update_vpc_link(&l, &ops).unwrap();
        assert_eq!(
            (u.name.as_str(), u.description.as_deref()),
            ("n2", Some("d"))
        );
        let bad = patch::parse(
            br#"{"patchOperations":[{"op":"replace","path":"/targetArns","value":"x"}]}"#,
        )
        .unwrap();
        assert_eq!(update_vpc_link(&l, &bad).unwrap_err().parts().0, 400);
    }
}
