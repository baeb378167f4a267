//! Velocity (VTL) template engine, Velocity 1.7 semantics as API Gateway runs them.
//!
//! A template is parsed once at deploy time into an immutable `Program` (`parser.rs` -> `ast.rs`)
//! and rendered per request by `render.rs` into a caller-provided buffer. The caller supplies
//! `$input`, `$context`, `$stageVariables` through the `Env` trait. Rendering is bounded by
//! `Limits` (output bytes, steps, depth): exceeding one stops with a typed `RenderError`, never a
//! panic or a hang. `$util` is evaluated here (`util.rs`); `expr.rs` holds the expression grammar and
//! `paths.rs` the deploy-time introspection (`Program::literal_paths`).

pub mod ast;
mod expr;
pub mod methods;
pub mod parser;
mod paths;
pub mod render;
pub mod util;
pub mod value;

#[cfg(test)]
mod tests;

pub use parser::{compile, CompileError, Program};
pub use render::{render, Env, Limits, RenderError};
pub use value::Value;

/// AWS refuses mapping templates larger than this (bytes).
pub const MAX_SOURCE: usize = 300 * 1024;
