//! `[[vpc_links]]`: what a VPC link's targets are on a self-hosted gateway. On AWS a VPC link
//! points at a Network Load Balancer; here a link is a group of `host:port` targets that the
//! gateway balances itself, with active health checks and passive ejection.
//!
//! An integration with `connectionType: VPC_LINK` names its link by `connectionId`: either the
//! `id` of an entry here, or the id of a VpcLink created through the admin API whose one target
//! ARN equals an entry's `target_arn`. The file structs are validated into `VpcLinkConfig`, the
//! only form the compiler and the runtime read. Links are read at start; a change needs a restart.

use serde::Deserialize;
use std::time::Duration;

/// One `[[vpc_links]]` table, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VpcLinkFile {
    id: Option<String>,
    target_arn: Option<String>,
    #[serde(default)]
    targets: Vec<String>,
    health_check: Option<HealthCheckFile>,
    eject_after_failures: Option<u32>,
    eject_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthCheckFile {
    path: Option<String>,
    interval_ms: Option<u64>,
    timeout_ms: Option<u64>,
    healthy_threshold: Option<u32>,
    unhealthy_threshold: Option<u32>,
}

/// A validated VPC link: index in `Settings::vpc_links` is its `LinkId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcLinkConfig {
    pub id: Option<String>,
    pub target_arn: Option<String>,
    pub targets: Vec<LinkTarget>,
    pub health: HealthCheck,
    /// Connect failures in a row, on one worker, that take a target out of that worker's rotation.
    pub eject_after_failures: u32,
    /// How long an ejected target stays out of that worker's rotation.
    pub eject: Duration,
}

impl VpcLinkConfig {
    /// How logs and messages name the link.
    pub fn label(&self) -> String {
        match (&self.id, &self.target_arn) {
            (Some(id), _) => format!("'{id}'"),
            (None, Some(arn)) => format!("'{arn}'"),
            (None, None) => "(unnamed)".into(),
        }
    }
}

/// `host:port`; `host` is an IP literal (IPv6 in brackets) or a name the health checker resolves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for LinkTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Active health checks, run off the workers (`runtime::health`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// `GET path` expecting 2xx/3xx; `None` checks that a TCP connection opens.
    pub path: Option<String>,
    pub interval: Duration,
    pub timeout: Duration,
    /// Checks passed in a row that make an unhealthy target healthy again.
    pub healthy_threshold: u32,
    /// Checks failed in a row that make a healthy target unhealthy.
    pub unhealthy_threshold: u32,
}

impl Default for HealthCheck {
    fn default() -> HealthCheck {
        HealthCheck {
            path: None,
            interval: Duration::from_millis(5000),
            timeout: Duration::from_millis(2000),
            healthy_threshold: 2,
            unhealthy_threshold: 2,
        }
    }
}

const DEFAULT_EJECT_AFTER: u32 = 1;
const DEFAULT_EJECT_MS: u64 = 10_000;

/// Validates every entry; the error names the entry (`vpc_links[i]`) and what is wrong.
pub(super) fn validate(files: Vec<VpcLinkFile>) -> Result<Vec<VpcLinkConfig>, String> {
    let mut out: Vec<VpcLinkConfig> = Vec::with_capacity(files.len());
    for (i, f) in files.into_iter().enumerate() {
        let at = match (&f.id, &f.target_arn) {
            (Some(id), _) => format!("vpc_links[{i}] (id '{id}')"),
            (None, Some(arn)) => format!("vpc_links[{i}] (target_arn '{arn}')"),
            (None, None) => format!("vpc_links[{i}]"),
        };
        let bad = |msg: String| format!("{at}: {msg}");
        if f.id.is_none() && f.target_arn.is_none() {
            return Err(bad(
                "needs an `id` (an integration's connectionId) or a `target_arn` (a VpcLink's targetArns entry)".into(),
            ));
        }
        if f.id.as_deref() == Some("") || f.target_arn.as_deref() == Some("") {
            return Err(bad("`id` and `target_arn` may not be empty".into()));
        }
        if let Some(arn) = &f.target_arn {
            if !arn.starts_with("arn:aws:elasticloadbalancing:") {
                return Err(bad(format!(
                    "target_arn '{arn}' is not a Network Load Balancer ARN (arn:aws:elasticloadbalancing:...)"
                )));
            }
        }
        for other in &out {
            if f.id.is_some() && other.id == f.id {
                return Err(bad("another link has the same id".into()));
            }
            if f.target_arn.is_some() && other.target_arn == f.target_arn {
                return Err(bad("another link has the same target_arn".into()));
            }
        }
        if f.targets.is_empty() {
            return Err(bad("`targets` must list at least one host:port".into()));
        }
        if f.targets.len() > crate::core::links::MAX_TARGETS {
            return Err(bad(format!(
                "at most {} targets per link",
                crate::core::links::MAX_TARGETS
            )));
        }
        let targets = f
            .targets
            .iter()
            .map(|t| parse_target(t).map_err(|m| bad(format!("target '{t}': {m}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let h = f.health_check.unwrap_or_default();
        let d = HealthCheck::default();
        let health = HealthCheck {
            path: h.path,
            interval: h.interval_ms.map_or(d.interval, Duration::from_millis),
            timeout: h.timeout_ms.map_or(d.timeout, Duration::from_millis),
            healthy_threshold: h.healthy_threshold.unwrap_or(d.healthy_threshold),
            unhealthy_threshold: h.unhealthy_threshold.unwrap_or(d.unhealthy_threshold),
        };
        if let Some(p) = &health.path {
            if !p.starts_with('/') || p.bytes().any(|b| b <= b' ' || b == 0x7f) {
                return Err(bad(format!(
                    "health_check.path '{p}' must start with '/' and hold no spaces or control characters"
                )));
            }
        }
        if health.interval.is_zero() || health.timeout.is_zero() {
            return Err(bad(
                "health_check.interval_ms and timeout_ms must be > 0".into()
            ));
        }
        if health.healthy_threshold == 0 || health.unhealthy_threshold == 0 {
            return Err(bad("health_check thresholds must be >= 1".into()));
        }
        let eject_after_failures = f.eject_after_failures.unwrap_or(DEFAULT_EJECT_AFTER);
        if eject_after_failures == 0 {
            return Err(bad("eject_after_failures must be >= 1".into()));
        }
        out.push(VpcLinkConfig {
            id: f.id,
            target_arn: f.target_arn,
            targets,
            health,
            eject_after_failures,
            eject: Duration::from_millis(f.eject_ms.unwrap_or(DEFAULT_EJECT_MS)),
        });
    }
    Ok(out)
}

/// `host:port`, with `[v6]:port` for IPv6.
pub fn parse_target(text: &str) -> Result<LinkTarget, &'static str> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (v6, port) = rest.split_once("]:").ok_or("not [ipv6]:port")?;
        v6.parse::<std::net::Ipv6Addr>()
            .map_err(|_| "not an IPv6 address in brackets")?;
        (format!("[{v6}]"), port)
    } else {
        let (host, port) = text.rsplit_once(':').ok_or("not host:port")?;
        let name_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        if !name_ok {
            return Err("the host is not a host name or IPv4 address");
        }
        (host.to_ascii_lowercase(), port)
    };
    let port: u16 = match port.parse() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => p,
        _ => return Err("the port is not a number 1..=65535"),
    };
    Ok(LinkTarget { host, port })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    #[test]
    fn parses_targets() {
        for (text, host, port) in [
            ("127.0.0.1:8081", "127.0.0.1", 8081),
            ("Backend.internal:80", "backend.internal", 80),
            ("[::1]:9000", "[::1]", 9000),
        ] {
            assert_eq!(
                parse_target(text),
                Ok(LinkTarget {
                    host: host.into(),
                    port
                }),
                "{text}"
            );
        }
        for bad in [
            "127.0.0.1",
            ":80",
            "h:0",
            "h:70000",
            "h:+80",
            "h:x",
            "[::1]",
            "[zz]:80",
            "a b:80",
            "h/x:80",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_and_full_form() {
        let s = Settings::parse(
            "[[vpc_links]]\nid = \"l1\"\ntargets = [\"127.0.0.1:1\", \"b.test:2\"]\n\n\
             [[vpc_links]]\ntarget_arn = \"arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/x/y\"\n\
             targets = [\"127.0.0.1:3\"]\neject_after_failures = 3\neject_ms = 500\n\
             health_check = { path = \"/health\", interval_ms = 100, timeout_ms = 50, healthy_threshold = 1, unhealthy_threshold = 4 }\n",
            "t",
        )
        .unwrap();
        let [a, b] = s.vpc_links.as_slice() else {
            panic!("{:?}", s.vpc_links)
        };
        assert_eq!(a.id.as_deref(), Some("l1"));
        assert_eq!(a.targets.len(), 2);
        assert_eq!(a.health, HealthCheck::default());
        assert_eq!(a.eject_after_failures, 1);
        assert_eq!(a.eject, Duration::from_secs(10));
        assert_eq!(b.health.path.as_deref(), Some("/health"));
        assert_eq!(b.health.interval, Duration::from_millis(100));
        assert_eq!(b.health.unhealthy_threshold, 4);
        assert_eq!(
            (b.eject_after_failures, b.eject),
            (3, Duration::from_millis(500))
        );
    }

    #[test]
    fn errors_name_the_entry() {
        for (text, want) in [
            ("[[vpc_links]]\ntargets = [\"h:1\"]", "vpc_links[0]: needs an `id`"),
            ("[[vpc_links]]\nid = \"a\"", "vpc_links[0] (id 'a'): `targets`"),
            (
                "[[vpc_links]]\nid = \"a\"\ntargets = [\"h:1\", \"nope\"]",
                "vpc_links[0] (id 'a'): target 'nope': not host:port",
            ),
            (
                "[[vpc_links]]\nid = \"a\"\ntargets = [\"h:1\"]\n[[vpc_links]]\nid = \"a\"\ntargets = [\"h:2\"]",
                "vpc_links[1] (id 'a'): another link has the same id",
            ),
            (
                "[[vpc_links]]\ntarget_arn = \"arn:x\"\ntargets = [\"h:1\"]",
                "is not a Network Load Balancer ARN",
            ),
            (
                "[[vpc_links]]\nid = \"a\"\ntargets = [\"h:1\"]\nhealth_check = { path = \"health\" }",
                "health_check.path",
            ),
            (
                "[[vpc_links]]\nid = \"a\"\ntargets = [\"h:1\"]\neject_after_failures = 0",
                "eject_after_failures",
            ),
            ("[[vpc_links]]\nid = \"a\"\ntargets = [\"h:1\"]\nwat = 1", "wat"),
        ] {
            let err = Settings::parse(text, "t").unwrap_err().to_string();
            assert!(err.contains(want), "{text}\n got: {err}");
        }
    }
}
