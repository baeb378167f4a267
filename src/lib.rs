//! Tollgate: a thread-per-core API gateway that runs the AWS API Gateway model.
//!
//! The folders follow a request's path: `net` accepts it, `http` frames it, `pipeline` runs the
//! phases over the compiled `deploy::Snapshot`, `core` holds each worker's private state, and
//! `admin` + `store` are the control plane that produces snapshots.

pub mod admin;
pub mod aws;
pub mod core;
pub mod deploy;
pub mod http;
pub mod json;
pub mod net;
pub mod pipeline;
pub mod runtime;
pub mod settings;
pub mod store;
pub mod vtl;
