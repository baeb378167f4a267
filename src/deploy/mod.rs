//! THE COMPILER: the AWS model (`model`) imported from OpenAPI/Swagger (`import`) and compiled
//! (`compile`) into the immutable `Snapshot` that workers serve from.

pub mod model;
pub mod publish;
pub mod router;
pub mod snapshot;

pub use snapshot::Snapshot;
