//! THE CONTROL PLANE's front door: the admin port, on its own threads off the worker cores.
//!
//! It speaks the AWS API Gateway management API (service `apigateway`, 2015-07-09, restJson), so
//! `aws apigateway ... --endpoint-url` and boto3 work against it, plus `/ping` and `/metrics`.
//! `control::ControlPlane` owns the store and publishes compiled snapshots; `server` frames HTTP
//! and dispatches to `ops` via `routes`; `error` is the one place errors become responses;
//! `auth` checks every management request's SigV4 signature (`sigv4`) against the `Keyring`.

mod account_ops;
pub mod auth;
mod authorizers;
pub mod backup;
mod boot;
mod client_certificates;
pub mod control;
mod def_ops;
mod domains;
mod edit;
pub mod error;
mod gateway_responses;
pub mod http;
mod integrations;
mod keys;
pub mod limits;
mod merge;
mod methods;
mod models;
mod ops;
mod ops_usage;
pub mod patch;
mod plans;
mod request_validators;
mod restapi;
pub mod routes;
mod server;
pub mod shapes;
pub mod sigv4;
mod stage;
mod stage_patch;
pub mod tags;
mod test_invoke;
mod tree;
mod tree_ops;
mod tree_shapes;
mod usage_shapes;
mod vpc_links;

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
