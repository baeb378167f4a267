//! Compiles a deployment's `gatewayResponses` into `GatewayResponses`: type names to
//! `ResponseType`, status overrides to numbers, `gatewayresponse.header.*` mappings to
//! `ValueSource`s and templates to precompiled `Piece`s.
//!
//! Templates are the seam for the VTL engine: the references API Gateway's own default body and
//! typical CORS/error bodies use (`$context.error.messageString`, `$context.error.message`,
//! `$context.error.responseType`, `$context.error.validationErrorString`, `$context.requestId`, `$stageVariables.NAME`, ...) are
//! substituted by the renderer; any other Velocity is refused here, like mapping templates.

use super::locate::Locate;
use super::params::{parse_source, ParamError, Source};
use super::template::compile_template;

const NEEDS_ENGINE: &str = "mapping templates with Velocity expressions need the template engine, which this Tollgate version does not have yet";
use super::uri::Vars;
use crate::deploy::gateway_responses::{
    CustomResponse, GatewayResponses, Piece, ResponseType, ValueSource,
};
use crate::deploy::model::{GatewayResponse, RestApi};
use crate::deploy::problem::{join, Problems};
use crate::deploy::snapshot::ContextVar;
use crate::http::response::{is_valid_field_name, is_valid_field_value};

/// The deployment's names that gateway responses may read as literals.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub vars: Vars<'a>,
    pub api_id: &'a str,
    pub stage: &'a str,
}

impl Scope<'_> {
    fn stage_var(&self, name: &str) -> Box<str> {
        match self.vars {
            Vars::Check => "".into(),
            // As for integration mappings: an undefined stage variable is an empty value.
            Vars::Stage(map) => map.get(name).map_or("", String::as_str).into(),
        }
    }

    fn context(&self, var: ContextVar) -> ValueSource {
        match var {
            ContextVar::ApiId => ValueSource::Literal(self.api_id.into()),
            ContextVar::Stage => ValueSource::Literal(self.stage.into()),
            other => ValueSource::Context(other),
        }
    }
}

/// Headers a customisation may not set: the gateway owns the response's framing.
const FRAMING: [&str; 4] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "x-amzn-requestid",
];

pub fn compile_gateway_responses(
    api: &RestApi,
    scope: Scope<'_>,
    loc: &dyn Locate,
    problems: &mut Problems,
) -> GatewayResponses {
    let mut entries = Vec::new();
    for (i, g) in api.gateway_responses.iter().enumerate() {
        let at = loc.gateway_response(i, &g.response_type);
        let Some(t) = ResponseType::from_name(&g.response_type) else {
            problems.push(
                &at,
                format!("Invalid response type specified: {}", g.response_type),
            );
            continue;
        };
        if let Some(c) = compile_one(g, scope, &at, problems) {
            entries.push((t, c));
        }
    }
    GatewayResponses::from_entries(entries)
}

fn compile_one(
    g: &GatewayResponse,
    scope: Scope<'_>,
    at: &str,
    problems: &mut Problems,
) -> Option<CustomResponse> {
    let before = problems.0.len();
    let status = match g.status_code.as_deref() {
        None | Some("") => None,
        Some(s) => match s.parse::<u16>() {
            Ok(n) if (100..=599).contains(&n) && s.len() == 3 => Some(n),
            _ => {
                problems.push(
                    join(at, "statusCode"),
                    format!("Invalid status code specified: {s}"),
                );
                None
            }
        },
    };
    let mut out = CustomResponse {
        status,
        ..CustomResponse::default()
    };
    let params_at = join(at, "responseParameters");
    for (key, value) in &g.response_parameters {
        let here = join(&params_at, key);
        match compile_parameter(key, value, scope) {
            Ok(Some((name, src))) => {
                // Only a literal is sure to be there; a request value may be missing.
                out.sets_content_type |= name.eq_ignore_ascii_case("content-type")
                    && matches!(src, ValueSource::Literal(_));
                out.headers.push((name.into(), src));
            }
            Ok(None) => {}
            Err(msg) => problems.push(here, msg),
        }
    }
    let templates_at = join(at, "responseTemplates");
    for (content_type, src) in &g.response_templates {
        if !is_valid_field_value(content_type.as_bytes()) || content_type.is_empty() {
            problems.push(
                join(&templates_at, content_type),
                format!("Invalid content type specified: {content_type}"),
            );
            continue;
        }
        let pieces = compile_gateway_template(src, scope);
        out.templates.push((content_type.as_str().into(), pieces));
    }
    (problems.0.len() == before).then_some(out)
}

/// One `gatewayresponse.header.NAME` -> source mapping. `Ok(None)`: a key AWS accepts that
/// puts nothing on an HTTP response (`gatewayresponse.querystring|path.*`).
fn compile_parameter(
    key: &str,
    value: &str,
    scope: Scope<'_>,
) -> Result<Option<(String, ValueSource)>, String> {
    let invalid_key = || {
        format!("Invalid mapping expression specified: {key}. It must be gatewayresponse.{{header|querystring|path}}.NAME")
    };
    let rest = key
        .strip_prefix("gatewayresponse.")
        .ok_or_else(invalid_key)?;
    let (kind, name) = rest.split_once('.').ok_or_else(invalid_key)?;
    match kind {
        "header" if is_valid_field_name(name.as_bytes()) => {}
        "querystring" | "path" if !name.is_empty() => return Ok(None),
        _ => return Err(invalid_key()),
    }
    if FRAMING.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "Invalid mapping expression specified: {key}: the gateway sets the {name} header itself"
        ));
    }
    let src = compile_source(value, scope)?;
    if let ValueSource::Literal(v) = &src {
        if !is_valid_field_value(v.as_bytes()) {
            return Err(super::method::not_field_value(key, value));
        }
    }
    Ok(Some((name.to_string(), src)))
}

fn compile_source(value: &str, scope: Scope<'_>) -> Result<ValueSource, String> {
    Ok(match parse_source(value) {
        Ok(Source::Literal(l)) => ValueSource::Literal(l.into()),
        Ok(Source::StageVar(n)) => ValueSource::Literal(scope.stage_var(n)),
        Ok(Source::Header(n)) => ValueSource::Header(n.to_ascii_lowercase().into()),
        Ok(Source::MultiHeader(n)) => ValueSource::MultiHeader(n.to_ascii_lowercase().into()),
        Ok(Source::Query(n)) => ValueSource::Query(n.into()),
        Ok(Source::MultiQuery(n)) => ValueSource::MultiQuery(n.into()),
        Ok(Source::Path(n)) => ValueSource::Path(n.into()),
        Ok(Source::Context(c)) => scope.context(c),
        // A gateway response may come before the body is read: not a source here (yet).
        Ok(Source::Body(_)) | Err(ParamError::NotSupportedYet) => {
            return Err(format!(
                "Mapping expression {value} is not supported by this Tollgate version yet"
            ))
        }
        Err(ParamError::Invalid) => {
            return Err(format!("Invalid mapping expression specified: {value}"))
        }
    })
}

/// A gateway response template. AWS documents these as simple variable substitution, not
/// Velocity: text and the references `compile_body` knows are rendered that way, without the
/// engine and without allocating. A template that uses more (directives, other variables) and is
/// valid Velocity runs on the engine, as the templates issue asks. One that is not valid Velocity
/// is substituted as AWS does, its directive-like text printed as written: a definition AWS
/// accepts is never refused here.
pub fn compile_gateway_template(src: &str, scope: Scope<'_>) -> Vec<Piece> {
    if let Ok(pieces) = compile_body(src, scope) {
        return pieces;
    }
    match compile_template(src) {
        Ok(crate::deploy::snapshot::Template::Vtl(v)) => vec![Piece::Vtl(v)],
        _ => substitute(src, scope),
    }
}

/// AWS's simple substitution: the references this renderer knows are replaced, everything else
/// (unknown references, directive-like text) is kept as written.
fn substitute(src: &str, scope: Scope<'_>) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    let b = src.as_bytes();
    while i < b.len() {
        let found = (b[i] == b'$').then(|| reference_at(&src[i..])).flatten();
        let Some((Ok(Some(piece)), len)) = found.map(|(name, len)| (reference(name, scope), len))
        else {
            i += 1;
            continue;
        };
        if text_start < i {
            pieces.push(Piece::Text(src[text_start..i].into()));
        }
        pieces.push(piece);
        i += len;
        text_start = i;
    }
    if text_start < src.len() {
        pieces.push(Piece::Text(src[text_start..].into()));
    }
    pieces
}

/// Splits a template into text and the references the renderer substitutes; refuses the rest.
pub fn compile_body(src: &str, scope: Scope<'_>) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    let b = src.as_bytes();
    while i < b.len() {
        let Some((name, len)) = (b[i] == b'$').then(|| reference_at(&src[i..])).flatten() else {
            i += 1;
            continue;
        };
        let Some(piece) = reference(name, scope)? else {
            i += 1;
            continue;
        };
        push_text(&mut pieces, &src[text_start..i])?;
        pieces.push(piece);
        i += len;
        text_start = i;
    }
    push_text(&mut pieces, &src[text_start..])?;
    Ok(pieces)
}

fn push_text(pieces: &mut Vec<Piece>, text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Ok(());
    }
    match compile_template(text) {
        Ok(crate::deploy::snapshot::Template::Static(_)) => {
            pieces.push(Piece::Text(text.into()));
            Ok(())
        }
        _ => Err(format!("gateway response {NEEDS_ENGINE}")),
    }
}

/// A `$a.b.c` or `${a.b.c}` reference at the start of `s`: (name, bytes it spans).
fn reference_at(s: &str) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let braced = b.get(1) == Some(&b'{');
    let start = if braced { 2 } else { 1 };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut end = start;
    loop {
        let seg = b[end..].iter().take_while(|&&c| ident(c)).count();
        if seg == 0 || !b[end].is_ascii_alphabetic() {
            break;
        }
        end += seg;
        // A dot continues the name only when an identifier follows it (`$x.` ends at the dot).
        if b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(|c| c.is_ascii_alphabetic()) {
            end += 1;
        } else {
            break;
        }
    }
    if end == start {
        return None;
    }
    if braced {
        (b.get(end) == Some(&b'}')).then(|| (&s[start..end], end + 1))
    } else {
        Some((&s[start..end], end))
    }
}

/// The piece a reference compiles to; `Ok(None)` when it is not ours (left in the text, where
/// the Velocity check judges it); `Err` for a context or stage variable we cannot render.
fn reference(name: &str, scope: Scope<'_>) -> Result<Option<Piece>, String> {
    if let Some(var) = name.strip_prefix("stageVariables.") {
        return Ok(Some(Piece::Value(ValueSource::Literal(
            scope.stage_var(var),
        ))));
    }
    let Some(ctx) = name.strip_prefix("context.") else {
        return Ok(None);
    };
    let piece = match ctx {
        "error.message" => Piece::Message,
        "error.messageString" => Piece::MessageString,
        "error.responseType" => Piece::ResponseType,
        "error.validationErrorString" => Piece::ValidationErrorString,
        "extendedRequestId" => Piece::Value(ValueSource::Context(ContextVar::RequestId)),
        _ => match parse_source(&format!("context.{ctx}")) {
            Ok(Source::Context(c)) => Piece::Value(scope.context(c)),
            _ => {
                return Err(format!(
                    "$context.{ctx} in a gateway response template is not supported by this Tollgate version yet"
                ))
            }
        },
    };
    Ok(Some(piece))
}

#[cfg(test)]
mod tests;
