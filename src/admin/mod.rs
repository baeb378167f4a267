//! THE CONTROL PLANE's front door: the admin port, on its own threads off the worker cores.
//!
//! It speaks the AWS API Gateway management API (service `apigateway`, 2015-07-09, restJson), so
//! `aws apigateway ... --endpoint-url` and boto3 work against it, plus `/ping` and `/metrics`.
//! `control::ControlPlane` owns the store and publishes compiled snapshots; `server` frames HTTP,
//! authenticates, routes and hands each operation to `dispatch`, which runs it in its resource
//! family's folder. Find an operation by its AWS name:
//!
//! - `restapis/`: RestApi (import, export, put), Resources, Methods, Integrations, Models,
//!   RequestValidators, Authorizers, GatewayResponses
//! - `deployments/`: Deployments, Stages (and UpdateStage's patch paths)
//! - `keys/`: ApiKeys, UsagePlans, UsagePlanKeys, Usage
//! - `account/`: DomainNames, BasePathMappings, VpcLinks, ClientCertificates, Tags
//! - `server/`: the listener, HTTP framing, routing, SigV4 auth, admin limits, the error table
//! - `tools/`: TestInvokeMethod, the `tollgate backup` client
//! - `wafv2/`: AWS WAF's IPSets, RegexPatternSets, WebACLs and their association with stages
//!   (service `wafv2`, JSON 1.1 named by `X-Amz-Target`)
//!
//! Shared by all: `control` (the only writer of state), `patch` (every `Update*`'s
//! `patchOperations`), `shapes` (JSON helpers and pagination).

mod account;
mod boot;
pub mod control;
mod deployments;
mod dispatch;
mod keys;
pub mod patch;
mod restapis;
mod server;
pub mod shapes;
mod tools;
pub mod wafv2;

// The server's parts every family uses, and the paths `main`, the store and the fuzz targets name.
pub use server::{auth, error, http, limits, routes, sigv4};
pub use tools::backup;

pub use auth::Keyring;
pub use boot::check_boot_apis;
pub use control::ControlPlane;
pub use error::ApiError;
pub use server::{handle, serve, serve_scoped, Scope, MAX_CONNECTIONS};

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Default for `AdminState::max_body`: AWS's 6 MB import limit.
pub const DEFAULT_MAX_BODY: usize = 6 * 1024 * 1024;

/// What the admin server shares between its connection threads.
pub struct AdminState {
    /// Also locked by the SIGHUP handler to `reload`.
    pub control: Arc<Mutex<ControlPlane>>,
    /// Renders the Prometheus text exposition for `/metrics`.
    pub metrics: Arc<dyn Fn() -> String + Send + Sync>,
    /// Set once workers are serving; `/ping` is 503 until then.
    pub ready: Arc<AtomicBool>,
    /// Largest request body accepted (413 beyond).
    pub max_body: usize,
    /// The admin credentials every management request must be signed with.
    pub keys: Arc<Keyring>,
    /// Per-access-key throttling of management requests.
    pub rate: Arc<limits::RateLimiter>,
}

#[cfg(test)]
mod tests;
