//! Parameter mapping expressions: the keys and values of `requestParameters` and
//! `responseParameters` on integrations and integration responses.
//!
//! This module only parses the text; `method.rs` resolves sources against the method (path
//! capture indexes, declared parameters, stage variables).

use crate::deploy::snapshot::ContextVar;

/// Where an integration request parameter goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<'a> {
    Path(&'a str),
    Query(&'a str),
    Header(&'a str),
}

/// A request mapping source, before it is resolved against the method and the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source<'a> {
    Path(&'a str),
    Query(&'a str),
    MultiQuery(&'a str),
    Header(&'a str),
    MultiHeader(&'a str),
    StageVar(&'a str),
    Context(ContextVar),
    Literal(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    /// Not a mapping expression AWS accepts here.
    Invalid,
    /// Valid in AWS but needs the template engine (`method.request.body...`,
    /// `integration.response.body...`).
    NotSupportedYet,
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_name(name: &str) -> bool {
    !name.is_empty() && !name.bytes().any(|b| b <= b' ' || b == 0x7f)
}

/// `integration.request.{path|querystring|header}.NAME`.
pub fn parse_target(key: &str) -> Result<Target<'_>, ParamError> {
    let rest = key
        .strip_prefix("integration.request.")
        .ok_or(ParamError::Invalid)?;
    let (kind, name) = rest.split_once('.').ok_or(ParamError::Invalid)?;
    match kind {
        "path" if is_name(name) => Ok(Target::Path(name)),
        "querystring" if is_name(name) => Ok(Target::Query(name)),
        "header" if is_token(name) => Ok(Target::Header(name)),
        _ => Err(ParamError::Invalid),
    }
}

/// `'literal'`, if `value` is one.
pub fn literal(value: &str) -> Option<&str> {
    value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .filter(|_| value.len() >= 2)
}

fn context_var(name: &str) -> Option<ContextVar> {
    Some(match name {
        "requestId" => ContextVar::RequestId,
        "apiId" => ContextVar::ApiId,
        "stage" => ContextVar::Stage,
        "resourcePath" => ContextVar::ResourcePath,
        "httpMethod" => ContextVar::HttpMethod,
        "identity.sourceIp" => ContextVar::SourceIp,
        "path" => ContextVar::Path,
        "protocol" => ContextVar::Protocol,
        "requestTimeEpoch" => ContextVar::RequestTimeEpoch,
        "domainName" => ContextVar::DomainName,
        "accountId" => ContextVar::AccountId,
        _ => return None,
    })
}

/// A request mapping source.
pub fn parse_source(value: &str) -> Result<Source<'_>, ParamError> {
    if let Some(lit) = literal(value) {
        return Ok(Source::Literal(lit));
    }
    if let Some(name) = value.strip_prefix("stageVariables.") {
        return if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            Ok(Source::StageVar(name))
        } else {
            Err(ParamError::Invalid)
        };
    }
    if let Some(name) = value.strip_prefix("context.") {
        // Other context variables exist in AWS; they need the runtime's request context, which
        // only carries these so far.
        return context_var(name)
            .map(Source::Context)
            .ok_or(ParamError::NotSupportedYet);
    }
    let rest = value
        .strip_prefix("method.request.")
        .ok_or(ParamError::Invalid)?;
    if rest == "body" || rest.starts_with("body.") {
        return Err(ParamError::NotSupportedYet);
    }
    let (kind, name) = rest.split_once('.').ok_or(ParamError::Invalid)?;
    if !is_name(name) {
        return Err(ParamError::Invalid);
    }
    match kind {
        "path" => Ok(Source::Path(name)),
        "querystring" => Ok(Source::Query(name)),
        "multivaluequerystring" => Ok(Source::MultiQuery(name)),
        "header" if is_token(name) => Ok(Source::Header(name)),
        "multivalueheader" if is_token(name) => Ok(Source::MultiHeader(name)),
        _ => Err(ParamError::Invalid),
    }
}

/// A response mapping: `method.response.header.NAME` <- source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseSource<'a> {
    Header(&'a str),
    Literal(&'a str),
}

/// The header name of a `method.response.header.NAME` key.
pub fn parse_response_target(key: &str) -> Result<&str, ParamError> {
    key.strip_prefix("method.response.header.")
        .filter(|n| is_token(n))
        .ok_or(ParamError::Invalid)
}

pub fn parse_response_source(value: &str) -> Result<ResponseSource<'_>, ParamError> {
    if let Some(lit) = literal(value) {
        return Ok(ResponseSource::Literal(lit));
    }
    if let Some(name) = value.strip_prefix("integration.response.header.") {
        return if is_token(name) {
            Ok(ResponseSource::Header(name))
        } else {
            Err(ParamError::Invalid)
        };
    }
    if value == "integration.response.body"
        || value.starts_with("integration.response.body.")
        || value.starts_with("integration.response.multivalueheader.")
        || value.starts_with("stageVariables.")
        || value.starts_with("context.")
    {
        return Err(ParamError::NotSupportedYet);
    }
    Err(ParamError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let cases: &[(&str, Result<Target, ParamError>)] = &[
            ("integration.request.path.id", Ok(Target::Path("id"))),
            ("integration.request.querystring.q", Ok(Target::Query("q"))),
            (
                "integration.request.header.X-Trace",
                Ok(Target::Header("X-Trace")),
            ),
            (
                "integration.request.header.bad name",
                Err(ParamError::Invalid),
            ),
            ("integration.request.body.x", Err(ParamError::Invalid)),
            ("integration.request.path.", Err(ParamError::Invalid)),
            ("method.request.path.id", Err(ParamError::Invalid)),
        ];
        for (key, want) in cases {
            assert_eq!(&parse_target(key), want, "{key}");
        }
    }

    #[test]
    fn parses_sources() {
        let cases: &[(&str, Result<Source, ParamError>)] = &[
            ("method.request.path.petId", Ok(Source::Path("petId"))),
            ("method.request.querystring.q", Ok(Source::Query("q"))),
            (
                "method.request.multivaluequerystring.q",
                Ok(Source::MultiQuery("q")),
            ),
            (
                "method.request.header.x-trace",
                Ok(Source::Header("x-trace")),
            ),
            (
                "method.request.multivalueheader.Accept",
                Ok(Source::MultiHeader("Accept")),
            ),
            ("stageVariables.backend", Ok(Source::StageVar("backend"))),
            (
                "context.requestId",
                Ok(Source::Context(ContextVar::RequestId)),
            ),
            (
                "context.identity.sourceIp",
                Ok(Source::Context(ContextVar::SourceIp)),
            ),
            ("'tollgate'", Ok(Source::Literal("tollgate"))),
            ("''", Ok(Source::Literal(""))),
            ("'", Err(ParamError::Invalid)),
            ("method.request.body", Err(ParamError::NotSupportedYet)),
            ("method.request.body.name", Err(ParamError::NotSupportedYet)),
            (
                "context.authorizer.principalId",
                Err(ParamError::NotSupportedYet),
            ),
            ("method.request.cookie.x", Err(ParamError::Invalid)),
            ("stageVariables.a-b", Err(ParamError::Invalid)),
            ("tollgate", Err(ParamError::Invalid)),
        ];
        for (value, want) in cases {
            assert_eq!(&parse_source(value), want, "{value}");
        }
    }

    #[test]
    fn parses_response_mappings() {
        assert_eq!(
            parse_response_target("method.response.header.X-Id"),
            Ok("X-Id")
        );
        assert_eq!(
            parse_response_target("method.response.body"),
            Err(ParamError::Invalid)
        );
        let cases: &[(&str, Result<ResponseSource, ParamError>)] = &[
            (
                "integration.response.header.X-Up",
                Ok(ResponseSource::Header("X-Up")),
            ),
            ("'*'", Ok(ResponseSource::Literal("*"))),
            (
                "integration.response.body.id",
                Err(ParamError::NotSupportedYet),
            ),
            ("method.request.header.x", Err(ParamError::Invalid)),
        ];
        for (value, want) in cases {
            assert_eq!(&parse_response_source(value), want, "{value}");
        }
    }
}
