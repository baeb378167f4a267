//! The compiled resource tree (filled in by the compiler work).
//!
//! Contract: `Router::lookup(&self, method: &[u8], path: &[u8], caps: &mut Captures) ->
//! Option<MethodIdx>`; `path` is the request path after the stage segment (may be empty or `/`);
//! captures are spans into `path`, in `MethodRuntime::path_params` order.

use crate::deploy::snapshot::MethodIdx;
use crate::http::Span;

pub const MAX_CAPTURES: usize = 16;

#[derive(Debug, Clone, Copy, Default)]
pub struct Captures {
    pub len: usize,
    pub spans: [Span; MAX_CAPTURES],
}

#[derive(Debug, Default)]
pub struct Router {}

impl Router {
    pub fn lookup(&self, _method: &[u8], _path: &[u8], _caps: &mut Captures) -> Option<MethodIdx> {
        None
    }
}
