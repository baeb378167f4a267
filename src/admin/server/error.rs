//! Every failure the admin port reports, and the one table that turns it into an AWS restJson
//! error: status, `x-amzn-ErrorType` (botocore reads the error code from this header, up to any
//! `:`) and a `{"message": ...}` body. No other admin code writes an error response.

use crate::admin::auth::AuthError;
use crate::admin::http::Response;
use crate::admin::sigv4::SigV4Error;

/// Account id used in AWS-style messages when none is configured.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No REST API with this id (the message names `{account}:{id}`, as AWS does).
    ApiNotFound {
        account: String,
        id: String,
    },
    StageNotFound,
    DeploymentNotFound,
    /// A missing sub-resource of an API; the message is AWS's ("Invalid Resource identifier
    /// specified", "Invalid Method identifier specified", ...).
    NotFound(&'static str),
    ApiKeyNotFound,
    UsagePlanNotFound,
    /// The key exists but is not in the usage plan.
    UsagePlanKeyNotFound,
    /// No admin operation at this method and path.
    UnknownOperation {
        method: String,
        path: String,
    },
    /// A request AWS would reject as invalid: bad query value, malformed JSON, unknown field,
    /// import or compile problems. The message says which.
    BadRequest(String),
    /// CreateDeployment on an API without a single method.
    NoMethods,
    Conflict(String),
    /// A create past one of AWS's account quotas (`AdminQuotas`); the message names it.
    LimitExceeded(String),
    /// The caller's access key is over `admin.rate_limit_per_second`; AWS's throttling error,
    /// with `Retry-After` in whole seconds.
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// Request body over `AdminState::max_body`.
    BodyTooLarge,
    /// Request head over the 64 KiB limit or with too many headers.
    HeadTooLarge,
    /// A body framing the server does not accept (a `Transfer-Encoding` other than chunked).
    LengthRequired,
    Unauthorized(String),
    /// The request's SigV4 signature or the credential's rights (see `auth`).
    Auth(AuthError),
    /// Over the connection cap, or the control plane is not ready.
    Unavailable(String),
    /// A store or other internal failure; the message is logged-quality, not a secret.
    Internal(String),
}

impl ApiError {
    /// The whole error→HTTP table: status, AWS error type, message.
    pub fn parts(&self) -> (u16, &'static str, String) {
        use ApiError::*;
        match self {
            ApiNotFound { account, id } => (
                404,
                "NotFoundException",
                format!("Invalid API identifier specified {account}:{id}"),
            ),
            StageNotFound => (
                404,
                "NotFoundException",
                "Invalid Stage identifier specified".into(),
            ),
            DeploymentNotFound => (
                404,
                "NotFoundException",
                "Invalid Deployment identifier specified".into(),
            ),
            NotFound(m) => (404, "NotFoundException", (*m).into()),
            ApiKeyNotFound => (
                404,
                "NotFoundException",
                "Invalid API Key identifier specified".into(),
            ),
            UsagePlanNotFound => (
                404,
                "NotFoundException",
                "Invalid Usage Plan ID specified".into(),
            ),
            UsagePlanKeyNotFound => (
                404,
                "NotFoundException",
                "Invalid Usage Plan Key identifier specified".into(),
            ),
            UnknownOperation { method, path } => (
                404,
                "NotFoundException",
                format!("No operation {method} {path} on the Tollgate management API"),
            ),
            BadRequest(m) => (400, "BadRequestException", m.clone()),
            NoMethods => (
                400,
                "BadRequestException",
                "The REST API doesn't contain any methods".into(),
            ),
            Conflict(m) => (409, "ConflictException", m.clone()),
            LimitExceeded(m) => (429, "LimitExceededException", m.clone()),
            TooManyRequests { .. } => (429, "TooManyRequestsException", "Too Many Requests".into()),
            BodyTooLarge => (
                413,
                "RequestEntityTooLargeException",
                "Request Too Long".into(),
            ),
            HeadTooLarge => (
                431,
                "RequestHeaderFieldsTooLargeException",
                "Request Header Fields Too Large".into(),
            ),
            LengthRequired => (411, "LengthRequiredException", "Length Required".into()),
            Unauthorized(m) => (401, "UnauthorizedException", m.clone()),
            Auth(AuthError::Signature(e)) => {
                let kind = match e {
                    SigV4Error::Missing => "MissingAuthenticationTokenException",
                    SigV4Error::Incomplete(_) => "IncompleteSignatureException",
                    SigV4Error::UnknownAccessKey => "UnrecognizedClientException",
                    SigV4Error::Scope(_)
                    | SigV4Error::Expired { .. }
                    | SigV4Error::PresignExpired { .. }
                    | SigV4Error::NotYetCurrent { .. }
                    | SigV4Error::PayloadHashMismatch
                    | SigV4Error::Mismatch => "InvalidSignatureException",
                };
                let status = if matches!(e, SigV4Error::Incomplete(_)) {
                    400
                } else {
                    403
                };
                (status, kind, e.message())
            }
            Auth(e @ AuthError::ReadOnly { .. }) => (
                403,
                "AccessDeniedException",
                e.denied_message().unwrap_or_default(),
            ),
            Unavailable(m) => (503, "ServiceUnavailableException", m.clone()),
            Internal(m) => (500, "InternalFailure", m.clone()),
        }
    }

    pub fn to_response(&self) -> Response {
        let (status, kind, message) = self.parts();
        let body = serde_json::json!({ "message": message });
        let mut resp = Response::json(status, &body);
        resp.headers.push(("x-amzn-ErrorType", kind.to_string()));
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            resp.headers
                .push(("Retry-After", retry_after_secs.max(&1).to_string()));
        }
        resp
    }

    pub fn bad_request(m: impl Into<String>) -> ApiError {
        ApiError::BadRequest(m.into())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        ApiError::Internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn table_gives_aws_status_type_and_message() {
        let cases: &[(ApiError, u16, &str, &str)] = &[
            (
                ApiError::ApiNotFound {
                    account: "000000000000".into(),
                    id: "abc".into(),
                },
                404,
                "NotFoundException",
                "Invalid API identifier specified 000000000000:abc",
            ),
            (
                ApiError::StageNotFound,
                404,
                "NotFoundException",
                "Invalid Stage identifier specified",
            ),
            (
                ApiError::NoMethods,
                400,
                "BadRequestException",
                "The REST API doesn't contain any methods",
            ),
            (ApiError::bad_request("x"), 400, "BadRequestException", "x"),
            (
                ApiError::BodyTooLarge,
                413,
                "RequestEntityTooLargeException",
                "Request Too Long",
            ),
            (
                ApiError::HeadTooLarge,
                431,
                "RequestHeaderFieldsTooLargeException",
                "Request Header Fields Too Large",
            ),
            (
                ApiError::LengthRequired,
                411,
                "LengthRequiredException",
                "Length Required",
            ),
        ];
        for (err, status, kind, message) in cases {
            let (s, k, m) = err.parts();
            assert_eq!((s, k, m.as_str()), (*status, *kind, *message), "{err:?}");
        }
    }

    #[test]
    fn response_carries_error_type_header_and_message_body() {
        let r = ApiError::StageNotFound.to_response();
        assert_eq!(r.status, 404);
        assert_eq!(header(&r, "x-amzn-ErrorType"), Some("NotFoundException"));
        assert_eq!(header(&r, "content-type"), Some("application/json"));
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"message": "Invalid Stage identifier specified"})
        );
    }
}
