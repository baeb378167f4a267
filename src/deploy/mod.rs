//! THE COMPILER: the AWS model (`model`) imported from OpenAPI/Swagger (`import`) and compiled
//! (`compile`) into the immutable `Snapshot` that workers serve from.
//!
//! Flow: `import::import_document` (bytes -> `RestApi`, every problem with a JSON pointer) ->
//! stored by the control plane -> `compile::compile_stage` per stage (stage variables
//! substituted, URIs, mappings, templates and the `router` compiled) -> `compile::build_snapshot`
//! -> `publish`.

pub mod announce;
pub mod authorizers;
pub mod cognito;
pub mod compile;
pub mod export;
pub mod gateway_responses;
pub mod iam_policy;
pub mod ids;
pub mod import;
pub mod keys;
pub mod model;
pub mod path;
pub mod policy;
pub mod problem;
pub mod publish;
pub mod router;
pub mod snapshot;
pub mod waf;

pub use problem::{Problem, Problems};
pub use snapshot::Snapshot;
