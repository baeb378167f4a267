//! Boot settings: the TOML file's serde structs, validated into `Settings` (what the runtime and
//! control plane read). CLI flags override the file.

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

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub admin: SocketAddr,
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
    pub apis: Vec<BootApi>,
    /// Where the config file was read from; API file paths are relative to its folder.
    pub config_path: Option<PathBuf>,
}
