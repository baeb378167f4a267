//! Gateway responses, compiled: the one table every error the gateway itself makes is rendered
//! through (`pipeline::respond`).
//!
//! `ResponseType` is AWS's `GatewayResponseType` enum with each type's defaults (status, message,
//! `x-amzn-ErrorType`). `GatewayResponses` holds one deployment's customisations, compiled by
//! `deploy::compile::gateway`; a type that was not customised is absent and falls back to its
//! family (`DEFAULT_4XX` / `DEFAULT_5XX`) and then to AWS's default. Everything is resolved at
//! deploy: rendering walks these vectors and writes, it never parses or allocates.

use crate::deploy::snapshot::ContextVar;

/// AWS's gateway response types, in the order of the management API's enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseType {
    Default4xx,
    Default5xx,
    ResourceNotFound,
    Unauthorized,
    InvalidApiKey,
    AccessDenied,
    AuthorizerFailure,
    AuthorizerConfigurationError,
    InvalidSignature,
    ExpiredToken,
    MissingAuthenticationToken,
    IntegrationFailure,
    IntegrationTimeout,
    ApiConfigurationError,
    UnsupportedMediaType,
    BadRequestParameters,
    BadRequestBody,
    RequestTooLarge,
    Throttled,
    QuotaExceeded,
    WafFiltered,
}

/// What API Gateway answers for a type nobody customised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    pub name: &'static str,
    /// `None` for the two DEFAULT_* types: they take the status of the error they stand in for.
    pub status: Option<u16>,
    /// The `$context.error.message`; `None` renders as JSON `null` in the default body.
    pub message: Option<&'static str>,
    /// The `x-amzn-ErrorType` header.
    pub error_type: Option<&'static str>,
}

const fn d(
    name: &'static str,
    status: Option<u16>,
    message: Option<&'static str>,
    error_type: Option<&'static str>,
) -> Defaults {
    Defaults {
        name,
        status,
        message,
        error_type,
    }
}

const INTERNAL: Option<&str> = Some("Internal server error");
const INTERNAL_TYPE: Option<&str> = Some("InternalServerErrorException");

/// Index = `ResponseType as usize`. Statuses are the developer guide's "Gateway response types"
/// table; messages and error types are what API Gateway sends for each.
const DEFAULTS: [Defaults; ResponseType::COUNT] = [
    d("DEFAULT_4XX", None, None, None),
    d("DEFAULT_5XX", None, None, None),
    d(
        "RESOURCE_NOT_FOUND",
        Some(404),
        Some("Not Found"),
        Some("NotFoundException"),
    ),
    d(
        "UNAUTHORIZED",
        Some(401),
        Some("Unauthorized"),
        Some("UnauthorizedException"),
    ),
    d(
        "INVALID_API_KEY",
        Some(403),
        Some("Forbidden"),
        Some("ForbiddenException"),
    ),
    d(
        "ACCESS_DENIED",
        Some(403),
        Some("User is not authorized to access this resource"),
        Some("AccessDeniedException"),
    ),
    d(
        "AUTHORIZER_FAILURE",
        Some(500),
        None,
        Some("AuthorizerFailureException"),
    ),
    d(
        "AUTHORIZER_CONFIGURATION_ERROR",
        Some(500),
        None,
        Some("AuthorizerConfigurationException"),
    ),
    d(
        "INVALID_SIGNATURE",
        Some(403),
        Some("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."),
        Some("InvalidSignatureException"),
    ),
    d(
        "EXPIRED_TOKEN",
        Some(403),
        Some("The security token included in the request is expired"),
        Some("ExpiredTokenException"),
    ),
    d(
        "MISSING_AUTHENTICATION_TOKEN",
        Some(403),
        Some("Missing Authentication Token"),
        Some("MissingAuthenticationTokenException"),
    ),
    d("INTEGRATION_FAILURE", Some(504), INTERNAL, INTERNAL_TYPE),
    d(
        "INTEGRATION_TIMEOUT",
        Some(504),
        Some("Endpoint request timed out"),
        None,
    ),
    d("API_CONFIGURATION_ERROR", Some(500), INTERNAL, INTERNAL_TYPE),
    d(
        "UNSUPPORTED_MEDIA_TYPE",
        Some(415),
        Some("Unsupported Media Type"),
        Some("UnsupportedMediaTypeException"),
    ),
    d(
        "BAD_REQUEST_PARAMETERS",
        Some(400),
        Some("Bad Request"),
        Some("BadRequestException"),
    ),
    d(
        "BAD_REQUEST_BODY",
        Some(400),
        Some("Invalid request body"),
        Some("BadRequestException"),
    ),
    d("REQUEST_TOO_LARGE", Some(413), Some("Request Too Long"), None),
    d(
        "THROTTLED",
        Some(429),
        Some("Too Many Requests"),
        Some("TooManyRequestsException"),
    ),
    d(
        "QUOTA_EXCEEDED",
        Some(429),
        Some("Limit Exceeded"),
        Some("LimitExceededException"),
    ),
    d(
        "WAF_FILTERED",
        Some(403),
        Some("Forbidden"),
        Some("ForbiddenException"),
    ),
];

impl ResponseType {
    pub const COUNT: usize = 21;
    pub const ALL: [ResponseType; Self::COUNT] = [
        ResponseType::Default4xx,
        ResponseType::Default5xx,
        ResponseType::ResourceNotFound,
        ResponseType::Unauthorized,
        ResponseType::InvalidApiKey,
        ResponseType::AccessDenied,
        ResponseType::AuthorizerFailure,
        ResponseType::AuthorizerConfigurationError,
        ResponseType::InvalidSignature,
        ResponseType::ExpiredToken,
        ResponseType::MissingAuthenticationToken,
        ResponseType::IntegrationFailure,
        ResponseType::IntegrationTimeout,
        ResponseType::ApiConfigurationError,
        ResponseType::UnsupportedMediaType,
        ResponseType::BadRequestParameters,
        ResponseType::BadRequestBody,
        ResponseType::RequestTooLarge,
        ResponseType::Throttled,
        ResponseType::QuotaExceeded,
        ResponseType::WafFiltered,
    ];

    pub fn defaults(self) -> &'static Defaults {
        &DEFAULTS[self as usize]
    }

    /// AWS's name (`MISSING_AUTHENTICATION_TOKEN`), also `$context.error.responseType`.
    pub fn name(self) -> &'static str {
        self.defaults().name
    }

    pub fn from_name(name: &str) -> Option<ResponseType> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The DEFAULT_* type an error of this type falls back to. A DEFAULT_* type's own family is
    /// chosen by the status of the error it stands in for, so it takes that status.
    pub fn family(self, status: u16) -> ResponseType {
        if self.defaults().status.unwrap_or(status) >= 500 {
            ResponseType::Default5xx
        } else {
            ResponseType::Default4xx
        }
    }
}

/// One deployment's gateway responses: only the customised types, indexed by `ResponseType`.
/// Empty means "every type as AWS answers it" (`AWS_DEFAULTS`, used before an API is known).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GatewayResponses {
    custom: Vec<Option<CustomResponse>>,
}

/// AWS's defaults for every type: for errors before an API (and deployment) is known.
pub static AWS_DEFAULTS: GatewayResponses = GatewayResponses { custom: Vec::new() };

/// What one error renders as, once the table is consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved<'a> {
    pub status: u16,
    /// The customisation whose headers and templates apply: the type's own, else its family's;
    /// `None` renders AWS's default body and no extra headers.
    pub custom: Option<&'a CustomResponse>,
}

impl GatewayResponses {
    pub fn from_entries(entries: Vec<(ResponseType, CustomResponse)>) -> GatewayResponses {
        if entries.is_empty() {
            return GatewayResponses::default();
        }
        let mut custom: Vec<Option<CustomResponse>> =
            (0..ResponseType::COUNT).map(|_| None).collect();
        for (t, c) in entries {
            custom[t as usize] = Some(c);
        }
        GatewayResponses { custom }
    }

    pub fn get(&self, t: ResponseType) -> Option<&CustomResponse> {
        self.custom.get(t as usize).and_then(Option::as_ref)
    }

    /// The status and customisation for an error of type `t` that would naturally answer
    /// `status`. Precedence, as AWS documents it: the type's own `statusCode`, else its family's
    /// (changing DEFAULT_4XX's status changes every 4XX type that has none of its own), else the
    /// error's own status. Headers and templates come whole from the type's customisation if it
    /// has one (an explicit type beats DEFAULT_4XX), else from the family's.
    pub fn resolve(&self, t: ResponseType, status: u16) -> Resolved<'_> {
        let own = self.get(t);
        let family = self.get(t.family(status));
        let status = own
            .and_then(|c| c.status)
            .or_else(|| family.and_then(|c| c.status))
            .unwrap_or(status);
        Resolved {
            status,
            custom: own.or(family),
        }
    }
}

/// One customised type, compiled.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CustomResponse {
    pub status: Option<u16>,
    /// `gatewayresponse.header.NAME` mappings, names as declared, values checked at compile.
    pub headers: Vec<(Box<str>, ValueSource)>,
    /// Content type -> body, in declaration order. Empty: AWS's default JSON body.
    pub templates: Vec<(Box<str>, Vec<Piece>)>,
    /// One of `headers` is a literal `Content-Type`: it replaces the template's content type.
    pub sets_content_type: bool,
}

/// Where a gateway response header (or a template reference) takes its value. Stage variables,
/// `context.apiId` and `context.stage` are literals by now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueSource {
    Literal(Box<str>),
    /// `method.request.header.NAME` (lower-cased; last value).
    Header(Box<str>),
    /// `method.request.multivalueheader.NAME` (lower-cased; all values, comma-joined).
    MultiHeader(Box<str>),
    /// `method.request.querystring.NAME` (first value).
    Query(Box<str>),
    MultiQuery(Box<str>),
    /// `method.request.path.NAME`: only once the request was routed to a method.
    Path(Box<str>),
    Context(ContextVar),
}

/// A precompiled piece of a gateway response template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(Box<str>),
    Value(ValueSource),
    /// `$context.error.message`.
    Message,
    /// `$context.error.messageString`: the message as a quoted JSON string.
    MessageString,
    /// `$context.error.responseType`.
    ResponseType,
    /// A template that needs the Velocity engine: the whole template, rendered per error.
    Vtl(std::sync::Arc<crate::deploy::snapshot::Velocity>),
    /// `$context.error.validationErrorString` (request body validation's messages).
    ValidationErrorString,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_statuses_follow_the_developer_guide() {
        for (i, t) in ResponseType::ALL.into_iter().enumerate() {
            assert_eq!(t as usize, i);
            assert_eq!(ResponseType::from_name(t.name()), Some(t));
        }
        assert_eq!(ResponseType::from_name("NOPE"), None);
        let statuses: Vec<(&str, Option<u16>)> = ResponseType::ALL
            .iter()
            .map(|t| (t.name(), t.defaults().status))
            .collect();
        // AWS's developer guide, "Gateway response types" (the management API reads this table too).
        let want = [
            ("DEFAULT_4XX", None),
            ("DEFAULT_5XX", None),
            ("RESOURCE_NOT_FOUND", Some(404)),
            ("UNAUTHORIZED", Some(401)),
            ("INVALID_API_KEY", Some(403)),
            ("ACCESS_DENIED", Some(403)),
            ("AUTHORIZER_FAILURE", Some(500)),
            ("AUTHORIZER_CONFIGURATION_ERROR", Some(500)),
            ("INVALID_SIGNATURE", Some(403)),
            ("EXPIRED_TOKEN", Some(403)),
            ("MISSING_AUTHENTICATION_TOKEN", Some(403)),
            ("INTEGRATION_FAILURE", Some(504)),
            ("INTEGRATION_TIMEOUT", Some(504)),
            ("API_CONFIGURATION_ERROR", Some(500)),
            ("UNSUPPORTED_MEDIA_TYPE", Some(415)),
            ("BAD_REQUEST_PARAMETERS", Some(400)),
            ("BAD_REQUEST_BODY", Some(400)),
            ("REQUEST_TOO_LARGE", Some(413)),
            ("THROTTLED", Some(429)),
            ("QUOTA_EXCEEDED", Some(429)),
            ("WAF_FILTERED", Some(403)),
        ];
        assert_eq!(statuses, want);
    }

    #[test]
    fn families() {
        use ResponseType::*;
        let cases = [
            (MissingAuthenticationToken, 403, Default4xx),
            (Throttled, 429, Default4xx),
            (IntegrationTimeout, 504, Default5xx),
            (IntegrationFailure, 502, Default5xx),
            (AuthorizerFailure, 500, Default5xx),
            (Default4xx, 431, Default4xx),
            (Default5xx, 505, Default5xx),
            (Default4xx, 501, Default5xx),
        ];
        for (t, status, want) in cases {
            assert_eq!(t.family(status), want, "{t:?}");
        }
    }

    fn custom(status: Option<u16>) -> CustomResponse {
        CustomResponse {
            status,
            ..CustomResponse::default()
        }
    }

    #[test]
    fn resolve_precedence() {
        use ResponseType::*;
        let none = GatewayResponses::default();
        assert_eq!(
            none.resolve(MissingAuthenticationToken, 403),
            Resolved {
                status: 403,
                custom: None
            }
        );
        let t = GatewayResponses::from_entries(vec![
            (Default4xx, custom(None)),
            (Default5xx, custom(Some(599))),
            (Throttled, custom(Some(503))),
            (UnsupportedMediaType, custom(None)),
        ]);
        let cases = [
            // (type, natural status, want status, want the custom of)
            (MissingAuthenticationToken, 403, 403, Some(Default4xx)),
            (Throttled, 429, 503, Some(Throttled)),
            (UnsupportedMediaType, 415, 415, Some(UnsupportedMediaType)),
            (IntegrationFailure, 502, 599, Some(Default5xx)),
            (Default4xx, 431, 431, Some(Default4xx)),
        ];
        for (ty, natural, status, from) in cases {
            let r = t.resolve(ty, natural);
            assert_eq!(r.status, status, "{ty:?}");
            assert_eq!(
                r.custom.map(|c| c as *const _),
                from.map(|f| t.get(f).unwrap() as *const _)
            );
        }
        // DEFAULT_4XX's status reaches every 4XX type without its own.
        let t = GatewayResponses::from_entries(vec![(Default4xx, custom(Some(418)))]);
        assert_eq!(t.resolve(MissingAuthenticationToken, 403).status, 418);
        assert_eq!(t.resolve(IntegrationTimeout, 504).status, 504);
    }
}
