//! Deployments and Stages: CreateDeployment, Get/Update/DeleteDeployment, Create/Get/Update/
//! DeleteStage, and UpdateStage's patch rules (method settings, canary settings).
//!
//! A deployment is an immutable copy of a REST API's definition; a stage names one deployment and
//! is what the data plane serves. The control plane (`control::stages`) stores them and
//! republishes the snapshot; `ops` decodes the requests.

pub mod access_log_settings;
pub mod flush;
pub mod ops;
pub mod shapes;
pub mod stage_patch;
pub mod stages;
