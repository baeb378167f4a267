//! One REST API's definition, by AWS resource: RestApi itself (create, update, import, export),
//! Resources, Methods and MethodResponses, Integrations and IntegrationResponses, Models,
//! RequestValidators, Authorizers and GatewayResponses.
//!
//! Every edit here is a pure function over a stored `RestApi` that the control plane runs inside
//! one store transaction (`ControlPlane::edit_rest_api`), then checks with `edit::check_edited`.
//! `ops` and `definition_ops` decode the HTTP requests into those edits.

pub mod authorizers;
pub mod definition_ops;
pub mod edit;
pub mod gateway_responses;
pub mod integrations;
pub mod merge;
pub mod methods;
pub mod models;
pub mod ops;
pub mod request_validators;
pub mod resources;
pub mod restapi;
pub mod shapes;
