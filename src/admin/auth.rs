//! The request-authentication seam, run on every management request before dispatch.
//!
//! SigV4 verification against `Settings::admin_credentials` is a later issue; until then every
//! request is accepted as an anonymous full-access principal. The server calls `authenticate`
//! exactly once per request, so the SigV4 work replaces only this function's body.

use super::error::ApiError;
use super::http::Request;

/// Who made a management request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The access key id the request was signed with; `None` while auth is not enforced.
    pub access_key_id: Option<String>,
    pub read_only: bool,
}

/// Authenticates `req`. Currently accepts everything (see the module docs).
pub fn authenticate(_req: &Request) -> Result<Principal, ApiError> {
    Ok(Principal {
        access_key_id: None,
        read_only: false,
    })
}
