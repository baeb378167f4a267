//! The request-authentication seam, run on every management request before dispatch (never on
//! `/ping` or `/metrics`).
//!
//! A request must carry an AWS Signature Version 4 for service `apigateway` (`wafv2` for the WAF
//! operations named by `X-Amz-Target`; any region) made with one of the configured admin
//! credentials ([`Keyring`]); a read-only credential may only `GET` and `HEAD` (and wafv2's
//! `Get*` / `List*`). The server calls [`authenticate`] exactly once per management request. The key ring
//! is fixed at start: credentials come from the config file, the environment pair, or (when
//! neither names any) the generated file that [`bootstrap`] manages.

pub mod bootstrap;

use crate::admin::error::{ApiError, DEFAULT_ACCOUNT_ID};
use crate::admin::http::Request;
use crate::admin::sigv4::{self, RequestView, SigV4Error};
use crate::settings::AdminCredential;
use std::time::{SystemTime, UNIX_EPOCH};

/// The SigV4 service name the aws CLI and boto3 sign API Gateway management calls with.
pub const SERVICE: &str = "apigateway";

/// Who made a management request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The access key id the request was signed with; `None` only in unit tests that run with
    /// [`Keyring::unchecked`].
    pub access_key_id: Option<String>,
    pub read_only: bool,
}

/// Why a management request was refused before dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    Signature(SigV4Error),
    /// A read-only credential asked for something other than GET/HEAD.
    ReadOnly {
        access_key_id: String,
        method: String,
        region: String,
        path: String,
    },
}

impl AuthError {
    /// AWS's IAM wording: `User: ARN is not authorized to perform: apigateway:VERB on resource: ARN`.
    pub fn denied_message(&self) -> Option<String> {
        match self {
            AuthError::ReadOnly {
                access_key_id,
                method,
                region,
                path,
            } => Some(format!(
                "User: arn:aws:iam::{DEFAULT_ACCOUNT_ID}:user/{access_key_id} is not authorized \
                 to perform: apigateway:{method} on resource: arn:aws:apigateway:{region}::{path}"
            )),
            AuthError::Signature(_) => None,
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        ApiError::Auth(e)
    }
}

/// The admin credentials requests are checked against.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    credentials: Vec<AdminCredential>,
    /// Accept unsigned requests as full access: only constructible in unit tests.
    unchecked: bool,
}

impl Keyring {
    pub fn new(credentials: Vec<AdminCredential>) -> Keyring {
        Keyring {
            credentials,
            unchecked: false,
        }
    }

    /// A key ring that lets every request through, for unit tests of the operations themselves.
    #[cfg(test)]
    pub fn unchecked() -> Keyring {
        Keyring {
            credentials: Vec::new(),
            unchecked: true,
        }
    }

    pub fn len(&self) -> usize {
        self.credentials.len()
    }

    pub fn is_empty(&self) -> bool {
        self.credentials.is_empty()
    }

    fn find(&self, access_key_id: &str) -> Option<&AdminCredential> {
        self.credentials
            .iter()
            .find(|c| c.access_key_id == access_key_id)
    }
}

/// Authenticates `req` against `keys` at the current time.
pub fn authenticate(keys: &Keyring, req: &Request) -> Result<Principal, ApiError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    authenticate_at(keys, req, now).map_err(ApiError::from)
}

/// [`authenticate`] with the clock passed in (Unix seconds), so tests can drive time.
pub fn authenticate_at(keys: &Keyring, req: &Request, now: u64) -> Result<Principal, AuthError> {
    if keys.unchecked {
        return Ok(Principal {
            access_key_id: None,
            read_only: false,
        });
    }
    let view = RequestView {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body: &req.body,
    };
    // wafv2 operations are signed for their own service (AWS JSON 1.1, named by X-Amz-Target).
    let wafv2 = crate::admin::wafv2::target(req);
    let service = if wafv2.is_some() {
        crate::admin::wafv2::SERVICE
    } else {
        SERVICE
    };
    let verified = sigv4::verify(&view, service, now, |id| {
        keys.find(id).map(|c| c.secret_access_key.as_str())
    })
    .map_err(AuthError::Signature)?;
    let read_only = keys
        .find(&verified.access_key_id)
        .is_some_and(|c| c.read_only);
    let reads = match wafv2 {
        Some(op) => crate::admin::wafv2::is_read(op),
        None => matches!(req.method.as_str(), "GET" | "HEAD"),
    };
    if read_only && !reads {
        return Err(AuthError::ReadOnly {
            access_key_id: verified.access_key_id,
            method: req.method.clone(),
            region: verified.region,
            path: req.path.clone(),
        });
    }
    Ok(Principal {
        access_key_id: Some(verified.access_key_id),
        read_only,
    })
}

#[cfg(test)]
mod tests;
