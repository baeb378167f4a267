//! THE CONTROL PLANE's front door: the admin port, on its own threads off the worker cores.
//!
//! It speaks the AWS API Gateway management API (service `apigateway`, 2015-07-09, restJson), so
//! `aws apigateway ... --endpoint-url` and boto3 work against it, plus `/ping` and `/metrics`.
//! `control::ControlPlane` owns the store and publishes compiled snapshots; `server` frames HTTP
//! and dispatches to `ops` via `routes`; `error` is the one place errors become responses;
//! `auth` checks every management request's SigV4 signature (`sigv4`) against the `Keyring`.

pub mod auth;
mod boot;
pub mod control;
pub mod error;
pub mod http;
mod merge;
mod ops;
pub mod routes;
mod server;
pub mod shapes;
pub mod sigv4;
mod stage;

pub use auth::Keyring;
pub use boot::check_boot_apis;
pub use control::ControlPlane;
pub use error::ApiError;
pub use server::{handle, serve, MAX_CONNECTIONS};

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
}

#[cfg(test)]
mod tests;
