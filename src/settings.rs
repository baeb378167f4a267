//! Boot settings: the TOML file's serde structs, validated into `Settings` (what the runtime and
//! control plane read). CLI flags override the file.

mod access_logs;
mod iam;
mod vpc_links;

pub use access_logs::{AccessLogSettings, LogTarget};
pub use iam::{IamPrincipal, IamSettings};
pub use vpc_links::{parse_target, HealthCheck, LinkTarget, VpcLinkConfig};

use crate::http::Limits;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriverChoice {
    Auto,
    Uring,
    Epoll,
}

/// An API definition file to import and deploy at boot and on SIGHUP.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootApi {
    /// OpenAPI 3.0 / Swagger 2.0 document, JSON or YAML; relative to the config file.
    pub file: PathBuf,
    /// The REST API id to serve it under; default derived from the document's title, so restarts
    /// keep the same id.
    #[serde(default)]
    pub id: Option<String>,
    /// Stages to deploy it to.
    #[serde(default)]
    pub stages: Vec<BootStage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootStage {
    pub name: String,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// An admin credential (SigV4 access key pair).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminCredential {
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub read_only: bool,
}

/// AWS API Gateway's default account quotas, enforced on the admin API's creates
/// (`LimitExceededException`, 429). Defaults are AWS's documented ones ("Amazon API Gateway
/// quotas": REST APIs per Region (regional/private) 600, resources per API 300, stages per API
/// 10, API keys per Region 10,000, usage plans per Region 300, usage plans per API key 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminQuotas {
    pub rest_apis: usize,
    pub resources_per_api: usize,
    pub stages_per_api: usize,
    pub api_keys: usize,
    pub usage_plans: usize,
    pub usage_plans_per_api_key: usize,
}

impl Default for AdminQuotas {
    fn default() -> AdminQuotas {
        AdminQuotas {
            rest_apis: 600,
            resources_per_api: 300,
            stages_per_api: 10,
            api_keys: 10_000,
            usage_plans: 300,
            usage_plans_per_api_key: 10,
        }
    }
}

/// The admin API's per-access-key token bucket (`TooManyRequestsException`, 429). AWS's
/// control-plane default is 10 requests/s sustained with a burst of 40. `per_second == 0` = off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdminRateLimit {
    pub per_second: f64,
    pub burst: u32,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub admin: SocketAddr,
    /// Optional second admin listener limited to `/ping` and `/metrics`.
    pub health_listen: Option<SocketAddr>,
    pub data_dir: PathBuf,
    /// 0 = one per core.
    pub workers: usize,
    pub driver: DriverChoice,
    pub limits: Limits,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
    pub drain_timeout: Duration,
    /// Idle upstream connections kept per upstream per worker.
    pub pool_idle_per_upstream: usize,
    pub admin_max_body: usize,
    pub admin_credentials: Vec<AdminCredential>,
    pub admin_quotas: AdminQuotas,
    pub admin_rate_limit: AdminRateLimit,
    pub apis: Vec<BootApi>,
    /// `[aws]`: the gateway's account, region, credentials and endpoints for its own AWS calls.
    pub aws: crate::aws::AwsSection,
    /// `[[vpc_links]]`: the targets of VPC_LINK integrations; index = `LinkId`.
    pub vpc_links: Vec<VpcLinkConfig>,
    /// `[throttling]`: the account-level limit (AWS's default 10,000 rps, burst 5,000).
    pub account_throttle: crate::core::throttle::gcra::Limits,
    /// `[iam]`: the principals `AWS_IAM` methods accept (with their identity policies).
    pub iam: IamSettings,
    /// `[access_logs]`: where stages' access log groups are written on this host.
    pub access_logs: AccessLogSettings,
    /// Where the config file was read from; API file paths are relative to its folder.
    pub config_path: Option<PathBuf>,
}

/// The config used when `run` is given no `--config`: serves the sample API, offline.
pub const EMBEDDED_CONFIG: &str = include_str!("../config/tollgate.toml");
/// The sample API that `EMBEDDED_CONFIG` names as `embedded:sample-api.yaml`.
pub const EMBEDDED_SAMPLE_API: &str = include_str!("../config/sample-api.yaml");
/// Prefix of an API `file` that is read from the binary instead of the file system.
pub const EMBEDDED_PREFIX: &str = "embedded:";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The OS error is part of this message and deliberately not a `source`: `anyhow`'s `{:#}`
    /// prints the source chain too, which repeated it ("…(os error 2): …(os error 2)").
    #[error("cannot read config file {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("invalid config {origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("invalid config {origin}: {field}: {message}")]
    Invalid {
        origin: String,
        field: &'static str,
        message: String,
    },
}

/// The TOML file, as written. Every section and field is optional; defaults fill the rest.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    admin: AdminSection,
    #[serde(default)]
    limits: LimitsSection,
    #[serde(default)]
    timeouts: TimeoutsSection,
    #[serde(default)]
    upstream: UpstreamSection,
    #[serde(default)]
    storage: StorageSection,
    #[serde(default)]
    apis: Vec<BootApi>,
    #[serde(default)]
    aws: crate::aws::AwsSection,
    #[serde(default)]
    vpc_links: Vec<vpc_links::VpcLinkFile>,
    #[serde(default)]
    throttling: ThrottlingSection,
    #[serde(default)]
    iam: iam::IamFile,
    #[serde(default)]
    access_logs: access_logs::AccessLogsFile,
}

/// `[throttling]`: the account-level limit every request counts against, across all APIs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThrottlingSection {
    account_rate_limit: Option<f64>,
    account_burst_limit: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    listen: Option<String>,
    workers: Option<usize>,
    driver: Option<DriverChoice>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminSection {
    listen: Option<String>,
    /// An extra listener serving only `/ping` and `/metrics` (unauthenticated), e.g. on an
    /// address the monitoring system reaches but the management API must not.
    health_listen: Option<String>,
    max_body_bytes: Option<usize>,
    #[serde(default)]
    credentials: Vec<AdminCredential>,
    /// Requests per second per access key; 0 = no limit.
    rate_limit_per_second: Option<f64>,
    rate_limit_burst: Option<u32>,
    #[serde(default)]
    limits: AdminQuotas,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSection {
    max_url_bytes: Option<usize>,
    max_header_bytes: Option<usize>,
    max_headers: Option<usize>,
    max_body_bytes: Option<usize>,
    max_integration_head_bytes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeoutsSection {
    header_ms: Option<u64>,
    idle_ms: Option<u64>,
    connect_ms: Option<u64>,
    drain_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamSection {
    pool_idle_per_upstream: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageSection {
    data_dir: Option<PathBuf>,
}

/// Command-line values that override the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub admin: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub workers: Option<usize>,
    pub driver: Option<DriverChoice>,
}

impl Settings {
    /// Reads `path`, or the embedded default config when `None`, and applies `over`.
    pub fn load(
        path: Option<&std::path::Path>,
        over: &Overrides,
    ) -> Result<Settings, SettingsError> {
        let (text, origin) = match path {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|error| SettingsError::Read {
                    path: p.to_path_buf(),
                    error,
                })?,
                p.display().to_string(),
            ),
            None => (
                EMBEDDED_CONFIG.to_string(),
                "(embedded default)".to_string(),
            ),
        };
        let base = path.and_then(|p| p.parent());
        let mut s = Settings::parse_in(&text, &origin, base)?;
        s.config_path = path.map(|p| p.to_path_buf());
        s.apply(over);
        Ok(s)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Settings, SettingsError> {
        Settings::parse_in(text, origin, None)
    }

    /// `parse`, with files the config names (IAM policy files) relative to `base`.
    pub fn parse_in(
        text: &str,
        origin: &str,
        base: Option<&std::path::Path>,
    ) -> Result<Settings, SettingsError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| SettingsError::Parse {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let invalid = |field: &'static str, message: String| SettingsError::Invalid {
            origin: origin.to_string(),
            field,
            message,
        };
        let addr = |field: &'static str, v: Option<String>, default: &str| {
            v.as_deref()
                .unwrap_or(default)
                .parse::<SocketAddr>()
                .map_err(|e| invalid(field, e.to_string()))
        };
        let limits_default = Limits::default();
        let limits = Limits {
            max_url: file.limits.max_url_bytes.unwrap_or(limits_default.max_url),
            max_head: file
                .limits
                .max_header_bytes
                .unwrap_or(limits_default.max_head),
            max_headers: file
                .limits
                .max_headers
                .unwrap_or(limits_default.max_headers),
            max_body: file
                .limits
                .max_body_bytes
                .unwrap_or(limits_default.max_body),
            max_integration_head: file
                .limits
                .max_integration_head_bytes
                .unwrap_or(limits_default.max_integration_head),
        };
        if limits.max_headers == 0 || limits.max_headers > crate::http::MAX_HEADERS {
            return Err(invalid(
                "limits.max_headers",
                format!("must be 1..={}", crate::http::MAX_HEADERS),
            ));
        }
        if limits.max_head < 64 || limits.max_url < 16 || limits.max_url > limits.max_head {
            return Err(invalid(
                "limits",
                "max_header_bytes must be >= 64 and >= max_url_bytes (>= 16)".into(),
            ));
        }
        if limits.max_integration_head < 64 {
            return Err(invalid(
                "limits.max_integration_head_bytes",
                "must be >= 64".into(),
            ));
        }
        if limits.max_body > u32::MAX as usize {
            return Err(invalid(
                "limits.max_body_bytes",
                "must be below 4 GiB".into(),
            ));
        }
        let account = crate::deploy::compile::buckets::ACCOUNT_DEFAULT;
        let account_throttle = crate::core::throttle::gcra::Limits {
            rate: file.throttling.account_rate_limit.unwrap_or(account.rate),
            burst: file.throttling.account_burst_limit.unwrap_or(account.burst),
        };
        if !(account_throttle.rate.is_finite() && account_throttle.rate >= 0.0) {
            return Err(invalid(
                "throttling.account_rate_limit",
                "must be a number >= 0".into(),
            ));
        }
        let ms = |v: Option<u64>, d: u64| Duration::from_millis(v.unwrap_or(d));
        let timeouts = &file.timeouts;
        for (field, v) in [
            ("timeouts.header_ms", timeouts.header_ms),
            ("timeouts.idle_ms", timeouts.idle_ms),
            ("timeouts.connect_ms", timeouts.connect_ms),
        ] {
            if v == Some(0) {
                return Err(invalid(field, "must be > 0".into()));
            }
        }
        Ok(Settings {
            listen: addr("server.listen", file.server.listen, "127.0.0.1:8080")?,
            admin: addr("admin.listen", file.admin.listen, "127.0.0.1:9901")?,
            health_listen: match file.admin.health_listen {
                Some(v) => Some(
                    v.parse::<SocketAddr>()
                        .map_err(|e| invalid("admin.health_listen", e.to_string()))?,
                ),
                None => None,
            },
            data_dir: file
                .storage
                .data_dir
                .unwrap_or_else(|| PathBuf::from("./tollgate-data")),
            workers: file.server.workers.unwrap_or(0),
            driver: file.server.driver.unwrap_or(DriverChoice::Auto),
            limits,
            header_timeout: ms(timeouts.header_ms, 10_000),
            idle_timeout: ms(timeouts.idle_ms, 60_000),
            connect_timeout: ms(timeouts.connect_ms, 5_000),
            drain_timeout: ms(timeouts.drain_ms, 10_000),
            pool_idle_per_upstream: file.upstream.pool_idle_per_upstream.unwrap_or(64),
            admin_max_body: file.admin.max_body_bytes.unwrap_or(10 * 1024 * 1024),
            admin_credentials: file.admin.credentials,
            admin_quotas: file.admin.limits,
            admin_rate_limit: rate_limit(
                file.admin.rate_limit_per_second,
                file.admin.rate_limit_burst,
            )
            .map_err(|m| invalid("admin.rate_limit_per_second", m))?,
            apis: file.apis,
            aws: file.aws,
            vpc_links: vpc_links::validate(file.vpc_links).map_err(|m| invalid("vpc_links", m))?,
            account_throttle,
            iam: iam::validate(file.iam, base).map_err(|m| invalid("iam", m))?,
            access_logs: access_logs::validate(file.access_logs)
                .map_err(|m| invalid("access_logs", m))?,
            config_path: None,
        })
    }

    pub fn apply(&mut self, over: &Overrides) {
        if let Some(v) = over.listen {
            self.listen = v;
        }
        if let Some(v) = over.admin {
            self.admin = v;
        }
        if let Some(v) = &over.data_dir {
            self.data_dir = v.clone();
        }
        if let Some(v) = over.workers {
            self.workers = v;
        }
        if let Some(v) = over.driver {
            self.driver = v;
        }
        // The environment may carry one admin credential (systemd credentials, containers).
        if let (Ok(id), Ok(secret)) = (
            std::env::var("TOLLGATE_ADMIN_ACCESS_KEY_ID"),
            std::env::var("TOLLGATE_ADMIN_SECRET_ACCESS_KEY"),
        ) {
            if !self.admin_credentials.iter().any(|c| c.access_key_id == id) {
                self.admin_credentials.push(AdminCredential {
                    access_key_id: id,
                    secret_access_key: secret,
                    read_only: false,
                });
            }
        }
    }

    /// Where a boot API file lives: relative paths are relative to the config file's folder.
    pub fn resolve_api_path(&self, file: &std::path::Path) -> PathBuf {
        if file.is_absolute() {
            return file.to_path_buf();
        }
        match self.config_path.as_ref().and_then(|p| p.parent()) {
            Some(dir) => dir.join(file),
            None => file.to_path_buf(),
        }
    }

    /// Number of workers to start: the configured count, or one per core.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            return self.workers;
        }
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// `admin.rate_limit_per_second` / `admin.rate_limit_burst`: AWS's 10/s, burst 40 by default;
/// a rate of 0 turns the limit off; a burst below 1 (with a rate) would refuse everything.
fn rate_limit(per_second: Option<f64>, burst: Option<u32>) -> Result<AdminRateLimit, String> {
    let per_second = per_second.unwrap_or(10.0);
    if !per_second.is_finite() || per_second < 0.0 {
        return Err("must be a number >= 0".into());
    }
    let burst = burst.unwrap_or(40);
    if per_second > 0.0 && burst == 0 {
        return Err("admin.rate_limit_burst must be >= 1 when a rate is set".into());
    }
    Ok(AdminRateLimit { per_second, burst })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_parses() {
        let s = Settings::parse(EMBEDDED_CONFIG, "embedded").unwrap();
        assert_eq!(s.limits, Limits::default());
        assert!(!s.apis.is_empty());
    }

    #[test]
    fn empty_file_gets_aws_like_defaults() {
        let s = Settings::parse("", "t").unwrap();
        assert_eq!(s.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(s.admin, "127.0.0.1:9901".parse().unwrap());
        assert_eq!(s.limits.max_body, 10 * 1024 * 1024);
        assert_eq!(s.header_timeout, Duration::from_secs(10));
    }

    #[test]
    fn rejects_unknown_fields_and_bad_values() {
        for bad in [
            "[server]\nlisten = \"nope\"",
            "[server]\nbogus = 1",
            "[limits]\nmax_headers = 0",
            "[limits]\nmax_headers = 1000",
            "[timeouts]\nheader_ms = 0",
            "[[apis]]\nfile = \"a\"\nwat = 1",
        ] {
            assert!(Settings::parse(bad, "t").is_err(), "{bad}");
        }
    }

    #[test]
    fn admin_limits_default_to_aws_and_can_be_set() {
        let s = Settings::parse("", "t").unwrap();
        assert_eq!(s.admin_quotas, AdminQuotas::default());
        assert_eq!(s.admin_rate_limit.per_second, 10.0);
        assert_eq!(s.admin_rate_limit.burst, 40);
        let s = Settings::parse(
            "[admin]\nrate_limit_per_second = 0\n[admin.limits]\nstages_per_api = 2",
            "t",
        )
        .unwrap();
        assert_eq!(s.admin_rate_limit.per_second, 0.0);
        assert_eq!(s.admin_quotas.stages_per_api, 2);
        assert_eq!(s.admin_quotas.resources_per_api, 300);
        for bad in [
            "[admin]\nrate_limit_per_second = -1",
            "[admin]\nrate_limit_burst = 0",
            "[admin.limits]\nwat = 1",
        ] {
            assert!(Settings::parse(bad, "t").is_err(), "{bad}");
        }
    }

    #[test]
    fn access_log_groups_map_to_files_stdout_and_syslog() {
        let s = Settings::parse(
            "[access_logs]\nbuffer_bytes = 4096\nkeep = 2\n[access_logs.groups]\n\"a\" = \"stdout\"\n\"b\" = \"syslog\"\n\"c\" = \"syslog:/run/x.sock\"\n\"d\" = \"/var/log/d.log\"\n",
            "t",
        )
        .unwrap();
        let g = &s.access_logs.groups;
        assert_eq!(g["a"], LogTarget::Stdout);
        assert_eq!(g["b"], LogTarget::Syslog("/dev/log".into()));
        assert_eq!(g["c"], LogTarget::Syslog("/run/x.sock".into()));
        assert_eq!(g["d"], LogTarget::File("/var/log/d.log".into()));
        assert_eq!((s.access_logs.buffer_bytes, s.access_logs.keep), (4096, 2));
        for bad in [
            "[access_logs.groups]\n\"a\" = \"relative.log\"",
            "[access_logs]\nbuffer_bytes = 10",
            "[access_logs]\nkeep = 0",
            "[access_logs]\nwat = 1",
        ] {
            assert!(Settings::parse(bad, "t").is_err(), "{bad}");
        }
    }

    #[test]
    fn overrides_win() {
        let mut s = Settings::parse("[server]\nworkers = 3", "t").unwrap();
        s.apply(&Overrides {
            workers: Some(1),
            driver: Some(DriverChoice::Epoll),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..Default::default()
        });
        assert_eq!(s.workers, 1);
        assert_eq!(s.driver, DriverChoice::Epoll);
        assert_eq!(s.listen.port(), 0);
    }
}
