//! VPC links as the compiler sees them: which target group (`LinkId`) an integration's
//! `connectionId` names.
//!
//! A `connectionId` is either the `id` of a `[[vpc_links]]` entry of the gateway's config, or the
//! id of a VpcLink created through the admin API, whose one target ARN must equal an entry's
//! `target_arn`. Anything else is refused at deployment (fail closed): on AWS such a deployment
//! cannot be made either, and silently sending to the URI's host would reach a different backend.
//! The table is plain data, filled by the control plane before each compile.

use crate::deploy::snapshot::LinkId;
use crate::settings::VpcLinkConfig;
use ahash::AHashMap;

/// What names one `[[vpc_links]]` entry.
#[derive(Debug, Clone)]
struct ConfigLink {
    id: Option<Box<str>>,
    target_arn: Option<Box<str>>,
}

#[derive(Debug, Default, Clone)]
pub struct VpcLinks {
    /// Index = `LinkId.0`.
    config: Vec<ConfigLink>,
    /// Admin-created VpcLink id -> its target ARN.
    admin: AHashMap<String, String>,
}

impl VpcLinks {
    pub fn from_config(links: &[VpcLinkConfig]) -> VpcLinks {
        VpcLinks {
            config: links
                .iter()
                .map(|l| ConfigLink {
                    id: l.id.as_deref().map(Into::into),
                    target_arn: l.target_arn.as_deref().map(Into::into),
                })
                .collect(),
            admin: AHashMap::new(),
        }
    }

    /// Replaces the admin-created links: `(id, targetArns[0])`.
    pub fn set_admin(&mut self, links: impl IntoIterator<Item = (String, String)>) {
        self.admin = links.into_iter().collect();
    }

    /// The target group `connection_id` names, or why there is none.
    pub fn resolve(&self, connection_id: &str) -> Result<LinkId, String> {
        let by = |pick: fn(&ConfigLink) -> Option<&str>, v: &str| {
            (self.config.iter().position(|e| pick(e) == Some(v))).map(|i| LinkId(i as u32))
        };
        if let Some(id) = by(|e| e.id.as_deref(), connection_id) {
            return Ok(id);
        }
        match self.admin.get(connection_id) {
            Some(arn) => by(|e| e.target_arn.as_deref(), arn).ok_or_else(|| {
                format!(
                    "VPC link '{connection_id}' targets {arn}, which no [[vpc_links]] entry of the gateway's config names as its target_arn, so it has no targets"
                )
            }),
            None => Err(format!(
                "Invalid VPC link identifier specified: '{connection_id}' is neither a VpcLink of this account nor the id of a [[vpc_links]] entry of the gateway's config"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_config_ids_and_admin_links_by_arn() {
        let text = "[[vpc_links]]\nid = \"direct\"\ntargets = [\"127.0.0.1:1\"]\n\
                    [[vpc_links]]\ntarget_arn = \"arn:aws:elasticloadbalancing:r:1:loadbalancer/net/a/b\"\ntargets = [\"127.0.0.1:2\"]";
        let s = crate::settings::Settings::parse(text, "t").unwrap();
        let mut links = VpcLinks::from_config(&s.vpc_links);
        links.set_admin([
            (
                "abc123".to_string(),
                "arn:aws:elasticloadbalancing:r:1:loadbalancer/net/a/b".to_string(),
            ),
            (
                "orphan".to_string(),
                "arn:aws:elasticloadbalancing:r:1:loadbalancer/net/other".to_string(),
            ),
        ]);
        assert_eq!(links.resolve("direct"), Ok(LinkId(0)));
        assert_eq!(links.resolve("abc123"), Ok(LinkId(1)));
        let orphan = links.resolve("orphan").unwrap_err();
        assert!(
            orphan.contains("net/other") && orphan.contains("target_arn"),
            "{orphan}"
        );
        let unknown = links.resolve("nope").unwrap_err();
        assert!(unknown.contains("'nope'"), "{unknown}");
    }
}
