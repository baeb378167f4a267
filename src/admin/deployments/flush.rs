//! FlushStageCache and FlushStageAuthorizersCache: reach every worker's per-core caches without
//! touching them. Each bumps a counter in the stage's `core::response_cache::StageCacheControl`
//! (shared by `Arc` with the compiled stage), which each core compares at its next lookup; see
//! that module for the design. Both answer 202 with no body, as AWS does.
//!
//! Beyond AWS, `DELETE .../cache/data?pathPrefix=/pets` flushes only the entries whose request
//! path (after the stage) or resource path starts with `/pets`.

use crate::admin::error::ApiError;
use crate::admin::http::Response;
use crate::core::response_cache;

pub fn stage_cache(api: &str, stage: &str, prefix: Option<&str>) -> Result<Response, ApiError> {
    if let Some(p) = prefix {
        if !p.starts_with('/') {
            return Err(ApiError::bad_request("pathPrefix must start with /"));
        }
    }
    // A stage never served with a cache has nothing to flush.
    if let Some(c) = response_cache::existing(api, stage) {
        c.purge(prefix);
    }
    Ok(Response::empty(202))
}

pub fn authorizers_cache(api: &str, stage: &str) -> Result<Response, ApiError> {
    if let Some(c) = response_cache::existing(api, stage) {
        c.flush_authorizers();
    }
    Ok(Response::empty(202))
}
