//! Why a client's request head was refused, and what to answer.
//!
//! Every `HeadError` ends the connection: once framing is in doubt, nothing after the bad head
//! can be trusted to start a new request. The AWS-shaped body text lives here so that the
//! connection loop can answer before any route (and its gateway responses) is known.

/// A request head the gateway will not process. `status()` and `message()` give the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// Malformed syntax or an ambiguous message (smuggling attempt); the reason is for logs only.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The request target is longer than `Limits::max_url`.
    #[error("request target too long")]
    UriTooLong,
    /// The head is longer than `Limits::max_head`.
    #[error("request head too large")]
    HeadersTooLarge,
    /// More header lines than `Limits::max_headers`.
    #[error("too many header fields")]
    TooManyHeaders,
    /// Content-Length over `Limits::max_body`.
    #[error("request body too large")]
    BodyTooLarge,
    /// A transfer coding we do not implement (RFC 9112 §6.1: 501), e.g. `gzip, chunked`.
    #[error("not implemented: {0}")]
    NotImplemented(&'static str),
    /// A well-formed `HTTP/x.y` version other than 1.0 and 1.1.
    #[error("HTTP version not supported")]
    VersionNotSupported,
    /// An `Expect` value other than `100-continue` (RFC 9110 §10.1.1).
    #[error("expectation failed")]
    ExpectationFailed,
}

impl HeadError {
    pub fn status(&self) -> u16 {
        match self {
            HeadError::BadRequest(_) => 400,
            HeadError::UriTooLong => 414,
            HeadError::HeadersTooLarge | HeadError::TooManyHeaders => 431,
            HeadError::BodyTooLarge => 413,
            HeadError::NotImplemented(_) => 501,
            HeadError::VersionNotSupported => 505,
            HeadError::ExpectationFailed => 417,
        }
    }

    /// The text for the `{"message": "..."}` body.
    pub fn message(&self) -> &'static str {
        match self {
            HeadError::BadRequest(_) => "Bad Request",
            HeadError::UriTooLong => "Request-URI Too Long",
            HeadError::HeadersTooLarge | HeadError::TooManyHeaders => {
                "Request Header Fields Too Large"
            }
            HeadError::BodyTooLarge => "Request Too Long",
            HeadError::NotImplemented(_) => "Not Implemented",
            HeadError::VersionNotSupported => "HTTP Version Not Supported",
            HeadError::ExpectationFailed => "Expectation Failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HeadError::*;

    #[test]
    fn status_and_message() {
        let cases = [
            (BadRequest("x"), 400, "Bad Request"),
            (UriTooLong, 414, "Request-URI Too Long"),
            (HeadersTooLarge, 431, "Request Header Fields Too Large"),
            (TooManyHeaders, 431, "Request Header Fields Too Large"),
            (BodyTooLarge, 413, "Request Too Long"),
            (NotImplemented("gzip"), 501, "Not Implemented"),
            (VersionNotSupported, 505, "HTTP Version Not Supported"),
            (ExpectationFailed, 417, "Expectation Failed"),
        ];
        for (e, status, msg) in cases {
            assert_eq!((e.status(), e.message()), (status, msg), "{e:?}");
        }
    }
}
