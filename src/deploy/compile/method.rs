//! Compiles one method of one resource into its `MethodRuntime`: the integration's kind, target
//! origin and path template, parameter mappings, templates and integration responses.
//!
//! Every problem is pushed with its pointer; the method is dropped (`None`) if it had any.
//!
//! Values that end in a header line are field values: a literal (or a stage
//! variable resolved into one) mapped to an integration request header or a method response
//! header, and the content types that key request and response templates (they become
//! `Content-Type`), must pass `http::response::is_valid_field_value` (RFC 9110 §5.5: no CR, LF,
//! NUL, DEL or other control character but HTAB; surrounding whitespace is trimmed), so a mapping
//! can never add a header line. A literal for the path or query string may hold no control
//! character at all; how the rest is encoded there is the URI renderer's. Integration request
//! headers the gateway frames itself (`Content-Length`, `Transfer-Encoding`, hop-by-hop)
//! cannot be mapped: a second `Content-Length` would desynchronise the backend connection.

use super::locate::Locate;
use super::params::{self, ParamError, Source, Target};
use super::policy::compile_method_policy;
use super::template::compile_template;
use super::uri::{self, PathPiece, UriError, Vars};
use super::UpstreamInterner;
use crate::deploy::model::{Integration, IntegrationResponse, Method, RestApi};
use crate::deploy::policy::MethodSettings;
use crate::deploy::problem::{join, Problems};
use crate::deploy::snapshot::{
    BackendMethod, IntegrationKind, IntegrationResponseRuntime, IntegrationRuntime, LinkId,
    MethodRuntime, ParamSource, PassthroughBehavior, ResponseParamSource, Template, UriPart,
};
use crate::http::response::is_valid_field_value;
use crate::pipeline::content::{ContentHandling, ContentPlan};
use std::time::Duration;

/// The method being compiled and how to point at it.
pub struct Site<'a> {
    pub res: usize,
    pub path: &'a str,
    pub method: &'a str,
    /// The resource path's parameter names, in capture order.
    pub params: &'a [&'a str],
    pub loc: &'a dyn Locate,
    pub vars: Vars<'a>,
}

impl Site<'_> {
    pub(super) fn integ(&self, field: &str) -> String {
        let base = self.loc.integration(self.res, self.method);
        if field.is_empty() {
            base
        } else {
            join(&base, field)
        }
    }
    pub(super) fn integ_msg(&self, msg: impl std::fmt::Display) -> String {
        format!(
            "Unable to put integration on '{}' for resource at path '{}': {msg}",
            self.method, self.path
        )
    }
    fn resp_msg(&self, msg: impl std::fmt::Display) -> String {
        format!(
            "Unable to put integration response on '{}' for resource at path '{}': {msg}",
            self.method, self.path
        )
    }
}

pub const DEFAULT_TIMEOUT_MS: u32 = 29_000;
const HTTP_METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY",
];

/// Integration request headers a mapping may not set: framing and hop-by-hop ones, which the
/// gateway writes (or leaves out) itself. `Host` may be mapped: it replaces the integration URI's
/// authority, as on API Gateway (documents map it to reach name-based virtual hosts).
const GATEWAY_FRAMED: [&str; 9] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// `text` without the spaces and tabs around it, which are not part of a field value.
fn trim_ows(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// `text` with its control characters written as escapes, so a message shows where they are.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub(super) fn not_field_value(key: &str, expr: &str) -> String {
    format!(
        "Invalid mapping expression specified for {key}: {}: a value that ends in a header line may not contain control characters (CR, LF, NUL...)",
        visible(expr)
    )
}

fn not_uri_value(key: &str, expr: &str) -> String {
    format!(
        "Invalid mapping expression specified for {key}: {}: a path or query string value may not contain control characters (CR, LF, NUL...)",
        visible(expr)
    )
}

/// A template's content type becomes a `Content-Type` header line.
fn content_type_problem(ct: &str) -> Option<String> {
    (ct.is_empty() || !is_valid_field_value(ct.as_bytes()))
        .then(|| format!("Invalid content type specified: {}", visible(ct)))
}

fn not_supported_yet(expr: &str) -> String {
    format!("Mapping expression {expr} is not supported by this Tollgate version yet")
}

pub fn compile_method(
    api: &RestApi,
    site: &Site<'_>,
    m: &Method,
    upstreams: &mut UpstreamInterner,
    problems: &mut Problems,
) -> Option<MethodRuntime> {
    let before = problems.0.len();
    let policy = compile_method_policy(api, site, m, problems);
    let Some(integ) = &m.method_integration else {
        problems.push(
            site.loc.method(site.res, site.method),
            format!(
                "Unable to put method '{}' on resource at path '{}': No integration defined for method",
                site.method, site.path
            ),
        );
        return None;
    };
    let integration = compile_integration(site, m, integ, upstreams, problems).map(|mut i| {
        i.content = ContentPlan::compile(
            &api.binary_media_types,
            api.minimum_compression_size,
            integ.content_handling.as_deref(),
        );
        i
    });
    if problems.0.len() != before {
        return None;
    }
    let policy = policy?;
    Some(MethodRuntime {
        http_method: site.method.into(),
        resource_path: site.path.into(),
        resource_id: api
            .resources
            .get(site.res)
            .map(|r| r.id.as_str())
            .unwrap_or_default()
            .into(),
        path_params: site.params.iter().map(|&p| p.into()).collect(),
        authorization: policy.authorization,
        api_key: policy.api_key,
        validation: policy.validation,
        // Resolved against the stage by `compile_stage`, once every method is compiled.
        settings: MethodSettings::default(),
        throttle: None,
        integration: integration?,
    })
}

fn compile_integration(
    site: &Site<'_>,
    m: &Method,
    integ: &Integration,
    upstreams: &mut UpstreamInterner,
    problems: &mut Problems,
) -> Option<IntegrationRuntime> {
    // A type we cannot serve is reported, and the rest of the integration is still checked
    // (all but what depends on the type: httpMethod and uri), so one import lists every
    // problem of the integration.
    let kind = match integ.kind.as_str() {
        "HTTP" => Some(IntegrationKind::Http),
        "HTTP_PROXY" => Some(IntegrationKind::HttpProxy),
        "MOCK" => Some(IntegrationKind::Mock),
        "AWS_PROXY" => Some(IntegrationKind::LambdaProxy),
        "AWS" if super::aws::names_service(integ) => Some(IntegrationKind::AwsService),
        "AWS" => Some(IntegrationKind::Lambda),
        other => {
            problems.push(
                site.integ("type"),
                site.integ_msg(format_args!(
                    "Invalid integration type specified: '{other}'. Valid options are HTTP, HTTP_PROXY, MOCK, AWS, AWS_PROXY"
                )),
            );
            None
        }
    };
    let is_http = kind.is_some_and(|k| k != IntegrationKind::Mock);

    let method: Option<Box<str>> = match (&integ.http_method, is_http) {
        (_, false) => None,
        (None, true) => {
            problems.push(
                site.integ(""),
                site.integ_msg(format_args!(
                    "An integration HTTP method is required for integration type '{}'",
                    integ.kind
                )),
            );
            None
        }
        (Some(hm), true) if !HTTP_METHODS.contains(&hm.as_str()) => {
            problems.push(
                site.integ("httpMethod"),
                site.integ_msg(format_args!(
                    "Invalid HttpMethod specified: '{hm}'. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
                )),
            );
            None
        }
        (Some(hm), true) => (hm != "ANY").then(|| hm.as_str().into()),
    };

    let timeout_ms = integ.timeout_in_millis.unwrap_or(DEFAULT_TIMEOUT_MS);
    if !(50..=DEFAULT_TIMEOUT_MS).contains(&timeout_ms) {
        problems.push(
            site.integ("timeoutInMillis"),
            site.integ_msg("Timeout should be between 50 ms and 29000 ms"),
        );
    }
    let passthrough = match integ.passthrough_behavior.as_deref() {
        None | Some("WHEN_NO_MATCH") => PassthroughBehavior::WhenNoMatch,
        Some("WHEN_NO_TEMPLATES") => PassthroughBehavior::WhenNoTemplates,
        Some("NEVER") => PassthroughBehavior::Never,
        Some(other) => {
            problems.push(
                site.integ("passthroughBehavior"),
                site.integ_msg(format_args!(
                    "Invalid passthrough behavior specified: {other}. Valid options are WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER"
                )),
            );
            PassthroughBehavior::WhenNoMatch
        }
    };
    check_content_handling(
        integ.content_handling.as_deref(),
        site.integ("contentHandling"),
        |m| site.integ_msg(m),
        problems,
    );
    let mut config_error = None;
    let link = compile_link(site, integ, kind, upstreams, problems, &mut config_error);

    // A JSON-protocol service's action travels as headers API Gateway adds (`X-Amz-Target`).
    let with_protocol = (kind == Some(IntegrationKind::AwsService))
        .then(|| super::aws::with_protocol_headers(integ))
        .flatten();
    let mappings =
        compile_request_params(site, m, with_protocol.as_ref().unwrap_or(integ), problems);
    let mut aws = None;
    let lambda = matches!(
        kind,
        Some(IntegrationKind::LambdaProxy | IntegrationKind::Lambda)
    );
    let (upstream, path, fixed_query) = if kind == Some(IntegrationKind::AwsService) {
        match super::aws::service_uri(site, integ, problems, m.authorization_type == "AWS_IAM") {
            Some((call, synthetic)) => {
                aws = Some(call);
                compile_uri(
                    site,
                    &synthetic,
                    &mappings.path,
                    upstreams,
                    problems,
                    &mut config_error,
                    None,
                )
            }
            None => (None, Vec::new(), None),
        }
    } else if lambda {
        let iam_method = m.authorization_type == "AWS_IAM";
        let up = super::aws::compile_lambda(
            site,
            integ,
            upstreams,
            problems,
            &mut config_error,
            iam_method,
        )
        .map(|(up, call)| {
            aws = Some(call);
            up
        });
        (up, Vec::new(), None)
    } else if is_http {
        compile_uri(
            site,
            integ,
            &mappings.path,
            upstreams,
            problems,
            &mut config_error,
            link,
        )
    } else {
        (None, Vec::new(), None)
    };

    let mut request_templates = Vec::new();
    for (ct, src) in &integ.request_templates {
        if let Some(msg) = content_type_problem(ct) {
            problems.push(
                join(&site.integ("requestTemplates"), ct),
                site.integ_msg(msg),
            );
            continue;
        }
        match compile_template(src) {
            Ok(t) => request_templates.push((ct.to_ascii_lowercase().into_boxed_str(), t)),
            Err(e) => problems.push(join(&site.integ("requestTemplates"), ct), site.integ_msg(e)),
        }
    }
    let mock_status = if kind == Some(IntegrationKind::Mock) {
        request_templates
            .iter()
            .map(|(_, t)| match t {
                Template::Static(text) => {
                    crate::deploy::snapshot::mock_status_code(text.as_bytes())
                }
                // Rendered per request; transform reads the statusCode from the output.
                Template::Passthrough | Template::Vtl(_) => None,
            })
            .collect()
    } else {
        Vec::new()
    };

    let (responses, default_response) = compile_responses(site, m, integ, problems);
    Some(IntegrationRuntime {
        kind: kind?,
        upstream,
        method: BackendMethod::from_declared(method.as_deref()),
        path,
        fixed_query,
        query_params: mappings.query,
        header_params: mappings.header,
        timeout: Duration::from_millis(u64::from(timeout_ms)),
        passthrough,
        request_templates,
        responses,
        default_response,
        mock_status,
        config_error,
        // Filled in by `compile_method`, which has the API.
        content: ContentPlan::default(),
        aws,
    })
}

fn check_content_handling(
    value: Option<&str>,
    at: String,
    msg: impl Fn(String) -> String,
    problems: &mut Problems,
) {
    if let Some(ch) = value {
        if !matches!(ch, "CONVERT_TO_BINARY" | "CONVERT_TO_TEXT") {
            problems.push(
                at,
                msg(format!(
                    "Invalid content handling specified: {ch}. Valid options are CONVERT_TO_BINARY, CONVERT_TO_TEXT"
                )),
            );
        }
    }
}

#[derive(Default)]
struct RequestMappings {
    path: Vec<(String, ParamSource)>,
    query: Vec<(Box<str>, ParamSource)>,
    header: Vec<(Box<str>, ParamSource)>,
}

fn compile_request_params(
    site: &Site<'_>,
    m: &Method,
    integ: &Integration,
    problems: &mut Problems,
) -> RequestMappings {
    let mut out = RequestMappings::default();
    let base = site.integ("requestParameters");
    for (key, value) in &integ.request_parameters {
        let at = join(&base, key);
        let target = match params::parse_target(key) {
            Ok(t) => t,
            Err(_) => {
                problems.push(
                    at,
                    site.integ_msg(format_args!("Invalid mapping expression specified: {key}")),
                );
                continue;
            }
        };
        if let Target::Header(n) = target {
            if GATEWAY_FRAMED.iter().any(|f| n.eq_ignore_ascii_case(f)) {
                problems.push(
                    at,
                    site.integ_msg(format_args!(
                        "Invalid mapping expression specified: {key}: the gateway sets the {n} header itself"
                    )),
                );
                continue;
            }
        }
        let Some(source) = resolve_source(site, m, value, &at, problems) else {
            continue;
        };
        let mut source = source;
        if let (Target::Header(_), ParamSource::Literal(l)) = (&target, &source) {
            // A recipient strips a field value's surrounding whitespace anyway (RFC 9110 §5.5).
            source = ParamSource::Literal(trim_ows(l).into());
        }
        if let ParamSource::Literal(l) = &source {
            let problem = match target {
                Target::Header(_) => {
                    (!is_valid_field_value(l.as_bytes())).then(|| not_field_value(key, value))
                }
                Target::Path(_) | Target::Query(_) => l
                    .bytes()
                    .any(|b| b < 0x20 || b == 0x7f)
                    .then(|| not_uri_value(key, value)),
            };
            if let Some(msg) = problem {
                problems.push(at, site.integ_msg(msg));
                continue;
            }
        }
        match target {
            Target::Path(n) => out.path.push((n.to_string(), source)),
            Target::Query(n) => out.query.push((n.into(), source)),
            Target::Header(n) => out.header.push((n.into(), source)),
        }
    }
    out
}

/// Resolves a request mapping source against the method and the stage.
fn resolve_source(
    site: &Site<'_>,
    m: &Method,
    value: &str,
    at: &str,
    problems: &mut Problems,
) -> Option<ParamSource> {
    let invalid = |problems: &mut Problems| {
        problems.push(
            at,
            site.integ_msg(format_args!(
                "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: {value}]"
            )),
        );
    };
    let source = match params::parse_source(value) {
        Ok(s) => s,
        Err(ParamError::NotSupportedYet) => {
            problems.push(at, site.integ_msg(not_supported_yet(value)));
            return None;
        }
        Err(ParamError::Invalid) => {
            invalid(problems);
            return None;
        }
    };
    let declared = |kind: &str, name: &str| {
        m.request_parameters.keys().any(|k| {
            k.strip_prefix("method.request.")
                .and_then(|r| r.strip_prefix(kind))
                .and_then(|r| r.strip_prefix('.'))
                .is_some_and(|n| {
                    if kind == "header" {
                        n.eq_ignore_ascii_case(name)
                    } else {
                        n == name
                    }
                })
        })
    };
    Some(match source {
        Source::Path(n) => match site.params.iter().position(|&p| p == n) {
            Some(i) => ParamSource::PathCapture(i as u8),
            None => {
                invalid(problems);
                return None;
            }
        },
        Source::Query(n) | Source::MultiQuery(n) if !declared("querystring", n) => {
            invalid(problems);
            return None;
        }
        Source::Header(n) | Source::MultiHeader(n) if !declared("header", n) => {
            invalid(problems);
            return None;
        }
        Source::Query(n) => ParamSource::Query(n.into()),
        Source::MultiQuery(n) => ParamSource::MultiQuery(n.into()),
        Source::Header(n) => ParamSource::Header(n.to_ascii_lowercase().into()),
        Source::MultiHeader(n) => ParamSource::MultiHeader(n.to_ascii_lowercase().into()),
        Source::StageVar(n) => match site.vars {
            Vars::Check => ParamSource::Literal("".into()),
            // As on AWS, an undefined stage variable maps to an empty value, not a failed deploy.
            Vars::Stage(vars) => {
                ParamSource::Literal(vars.get(n).map_or("", String::as_str).into())
            }
        },
        Source::Context(c) => ParamSource::Context(c),
        Source::Literal(l) => ParamSource::Literal(l.into()),
        // Compiled here so an expression the JSONPath compiler refuses fails the deploy.
        Source::Body(expr) => match params::body_path(expr) {
            Ok(p) => ParamSource::Body(p),
            Err(_) => {
                invalid(problems);
                return None;
            }
        },
    })
}

type CompiledUri = (
    Option<crate::deploy::snapshot::UpstreamId>,
    Vec<UriPart>,
    Option<Box<str>>,
);

/// The integration URI with the stage's variables substituted. `None` when there is none (a
/// problem) or the stage lacks a variable it names: AWS deploys such a stage and fails each call
/// of the method at run time (500, "Execution failed due to configuration error"), so a stage
/// that lacks one variable still serves its other methods (`config_error`).
pub(super) fn substituted_uri(
    site: &Site<'_>,
    integ: &Integration,
    problems: &mut Problems,
    config_error: &mut Option<Box<str>>,
) -> Option<String> {
    let Some(raw) = integ.uri.as_deref() else {
        problems.push(
            site.integ(""),
            site.integ_msg(format_args!(
                "An integration URI is required for integration type '{}'",
                integ.kind
            )),
        );
        return None;
    };
    let mut missing = Vec::new();
    let text = uri::substitute(raw, site.vars, &mut missing);
    if !missing.is_empty() {
        *config_error = Some(
            site.integ_msg(format_args!(
                "Execution failed due to configuration error: stage variable(s) {} used in the integration URI are not defined on this stage",
                missing.join(", ")
            ))
            .into(),
        );
        return None;
    }
    Some(text)
}

pub(super) fn compile_uri(
    site: &Site<'_>,
    integ: &Integration,
    path_mappings: &[(String, ParamSource)],
    upstreams: &mut UpstreamInterner,
    problems: &mut Problems,
    config_error: &mut Option<Box<str>>,
    link: Option<LinkId>,
) -> CompiledUri {
    let none = (None, Vec::new(), None);
    let at = site.integ("uri");
    let Some(text) = substituted_uri(site, integ, problems, config_error) else {
        return none;
    };
    let parsed = match uri::parse_uri(&text) {
        Ok(p) => p,
        Err(UriError::Invalid) => {
            problems.push(
                at,
                site.integ_msg("Invalid HTTP endpoint specified for URI"),
            );
            return none;
        }
        Err(UriError::ParamInHost) => {
            problems.push(
                at,
                site.integ_msg("Path parameters in the host of the integration URI are not supported by this Tollgate version"),
            );
            return none;
        }
    };
    if parsed
        .query
        .as_deref()
        .is_some_and(|q| q.contains(['{', '}']))
    {
        problems.push(
            at.clone(),
            site.integ_msg("Path parameters in the query string of the integration URI are not supported by this Tollgate version yet"),
        );
    }
    let Some(pieces) = uri::split_placeholders(&parsed.path) else {
        problems.push(
            at,
            site.integ_msg("Invalid integration URI specified: unbalanced braces in the path"),
        );
        return none;
    };
    if has_dot_segment_any_spelling(&parsed.path) {
        problems.push(
            at,
            site.integ_msg(
                "Invalid HTTP endpoint specified for URI: its path has a '.' or '..' segment",
            ),
        );
        return none;
    }
    // A `{name+}` resource parameter is always the last one; mapped into the URI it keeps its `/`.
    let greedy_capture = site
        .path
        .ends_with("+}")
        .then(|| site.params.len().wrapping_sub(1) as u8);
    let mut path = Vec::with_capacity(pieces.len());
    for piece in pieces {
        match piece {
            PathPiece::Literal(l) => {
                let mut text = Vec::with_capacity(l.len());
                crate::http::uri::push_target_text(&mut text, l.as_bytes());
                path.push(UriPart::Literal(String::from_utf8_lossy(&text).into()));
            }
            PathPiece::Param(name) => {
                // AWS's console maps `{x}` from the method's `{x}` when nothing else is mapped.
                let source = path_mappings
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, s)| s.clone())
                    .or_else(|| {
                        site.params
                            .iter()
                            .position(|&p| p == name)
                            .map(|i| ParamSource::PathCapture(i as u8))
                    });
                match source {
                    Some(source) => path.push(UriPart::Param {
                        name: (*name).into(),
                        greedy: matches!(source, ParamSource::PathCapture(i) if Some(i) == greedy_capture),
                        source,
                    }),
                    None => problems.push(
                        at.clone(),
                        site.integ_msg(format_args!(
                            "Invalid mapping expression specified: the integration URI uses {{{name}}}, which is not mapped (integration.request.path.{name}) and is not a path parameter of the resource"
                        )),
                    ),
                }
            }
        }
    }
    // As on AWS, the stage's client certificate goes to HTTP backends, not to AWS services.
    let cert = ["HTTP", "HTTP_PROXY"]
        .iter()
        .any(|k| integ.kind.eq_ignore_ascii_case(k))
        .then(|| upstreams.stage_cert())
        .flatten();
    let id = parsed.intern_origin(upstreams, skip_verify(integ), cert, link);
    let query = parsed.query.map(|q| {
        let mut text = Vec::with_capacity(q.len());
        crate::http::uri::push_target_text(&mut text, q.as_bytes());
        String::from_utf8_lossy(&text).into()
    });
    (Some(id), path, query)
}

/// `connectionType` and, for `VPC_LINK`, the link `connectionId` names (stage variables
/// substituted): the target group the integration's connections go to. The URI still gives the
/// scheme, `Host` and path. A link the gateway has no targets for refuses the deployment (fail
/// closed); a stage variable the stage lacks fails each call instead, as in the URI.
fn compile_link(
    site: &Site<'_>,
    integ: &Integration,
    kind: Option<IntegrationKind>,
    upstreams: &UpstreamInterner,
    problems: &mut Problems,
    config_error: &mut Option<Box<str>>,
) -> Option<LinkId> {
    match integ.connection_type.as_deref() {
        None | Some("INTERNET") => return None,
        Some("VPC_LINK") => {}
        Some(ct) => {
            problems.push(
                site.integ("connectionType"),
                site.integ_msg(format_args!(
                    "Invalid connection type specified: {ct}. Valid options are INTERNET, VPC_LINK"
                )),
            );
            return None;
        }
    }
    if kind.is_some_and(|k| !matches!(k, IntegrationKind::Http | IntegrationKind::HttpProxy)) {
        problems.push(
            site.integ("connectionType"),
            site.integ_msg(
                "Connection type VPC_LINK is supported for HTTP and HTTP_PROXY integrations only",
            ),
        );
        return None;
    }
    let Some(raw) = integ.connection_id.as_deref().filter(|c| !c.is_empty()) else {
        problems.push(
            site.integ("connectionId"),
            site.integ_msg(
                "A connectionId (the VPC link's id) is required for connection type VPC_LINK",
            ),
        );
        return None;
    };
    if matches!(site.vars, Vars::Check) {
        // No stage yet: the link is looked up when a stage is deployed.
        return None;
    }
    let mut missing = Vec::new();
    let id = uri::substitute(raw, site.vars, &mut missing);
    if !missing.is_empty() {
        *config_error = Some(
            site.integ_msg(format_args!(
                "Execution failed due to configuration error: stage variable(s) {} used in the connectionId are not defined on this stage",
                missing.join(", ")
            ))
            .into(),
        );
        return None;
    }
    match upstreams.links.resolve(&id) {
        Ok(link) => Some(link),
        Err(why) => {
            problems.push(site.integ("connectionId"), site.integ_msg(why));
            None
        }
    }
}

/// `tlsConfig.insecureSkipVerification` (HTTP and HTTP_PROXY integrations).
fn skip_verify(integ: &Integration) -> bool {
    integ
        .tls_config
        .as_ref()
        .and_then(|t| t.get("insecureSkipVerification"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Whether `path` has a `.` or `..` segment once its escapes are decoded: written into a target
/// it would let a backend's normalisation climb out of it.
fn has_dot_segment_any_spelling(path: &str) -> bool {
    let decoded: Vec<u8> = crate::http::uri::decoded(path.as_bytes(), crate::http::uri::Form::Path)
        .map(|b| if b == b'\\' { b'/' } else { b })
        .collect();
    crate::http::uri::has_dot_segment(&decoded)
}

fn compile_responses(
    site: &Site<'_>,
    m: &Method,
    integ: &Integration,
    problems: &mut Problems,
) -> (Vec<IntegrationResponseRuntime>, Option<usize>) {
    let mut patterned = Vec::new();
    let mut default = None;
    for (status, ir) in &integ.integration_responses {
        let at = site.loc.integration_response(site.res, site.method, status);
        let Some(rt) = compile_response(site, m, status, ir, &at, problems) else {
            continue;
        };
        if rt.selection.is_some() {
            patterned.push(rt);
        } else if default.is_some() {
            problems.push(at, site.resp_msg("Only one integration response may have no selection pattern (the default response)"));
        } else {
            default = Some(rt);
        }
    }
    let default_idx = default.map(|d| {
        patterned.push(d);
        patterned.len() - 1
    });
    (patterned, default_idx)
}

/// Method response headers the gateway writes itself for every response (framing and `Date`). A
/// mapping to one of them (the developer guide's S3 sample maps `Content-Length` and `Date` from
/// S3's) is accepted, as AWS accepts it, but left out: sent as well, it would give the client two
/// `Content-Length`s, conflicting where the body changed (HEAD, a template), and two `Date`s.
/// The same names `$context.responseOverride.header` cannot set.
const GATEWAY_WRITTEN_RESPONSE: &[&str] =
    &["content-length", "transfer-encoding", "connection", "date"];

fn compile_response(
    site: &Site<'_>,
    m: &Method,
    status: &str,
    ir: &IntegrationResponse,
    at: &str,
    problems: &mut Problems,
) -> Option<IntegrationResponseRuntime> {
    let before = problems.0.len();
    let code = status
        .parse::<u16>()
        .ok()
        .filter(|c| status.len() == 3 && (100..=599).contains(c));
    // AWS's own exports of proxy integrations carry integration responses without a matching
    // method response, so only mapped headers require one (checked below).
    let method_response = m.method_responses.get(status);
    if code.is_none() {
        problems.push(at, site.resp_msg("Invalid Response status code specified"));
    }
    let selection = match ir.selection_pattern.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match regex::RegexBuilder::new(&format!("^(?:{p})$"))
            .size_limit(1 << 20)
            .build()
        {
            Ok(r) => Some(r),
            Err(_) => {
                problems.push(
                    site.loc.selection_pattern(site.res, site.method, status),
                    site.resp_msg(format_args!("Invalid selection pattern specified: {p}")),
                );
                None
            }
        },
    };
    let mut header_params = Vec::new();
    for (key, value) in &ir.response_parameters {
        let p_at = join(&join(at, "responseParameters"), key);
        let name = match params::parse_response_target(key) {
            Ok(n) if method_response.is_some_and(|r| r.response_parameters.contains_key(key)) => n,
            _ => {
                problems.push(p_at, site.resp_msg(format_args!(
                    "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: {key}]"
                )));
                continue;
            }
        };
        let source = match params::resolve_response_source(value, site.vars) {
            Ok(source) => source,
            Err(ParamError::NotSupportedYet) => {
                problems.push(p_at, site.resp_msg(not_supported_yet(value)));
                continue;
            }
            Err(ParamError::Invalid) => {
                problems.push(p_at, site.resp_msg(format_args!(
                    "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: {value}]"
                )));
                continue;
            }
        };
        if let ResponseParamSource::Literal(l) = &source {
            if !is_valid_field_value(l.as_bytes()) {
                problems.push(p_at, site.resp_msg(not_field_value(key, value)));
                continue;
            }
        }
        header_params.push((name.into(), source));
    }
    // A mapped Content-Type replaces the template's type; the last such mapping wins.
    let content_type = header_params
        .iter()
        .rposition(|(n, _): &(Box<str>, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|i| header_params.remove(i).1);
    header_params.retain(|(n, _)| {
        !n.eq_ignore_ascii_case("content-type")
            && !GATEWAY_WRITTEN_RESPONSE
                .iter()
                .any(|f| n.eq_ignore_ascii_case(f))
    });
    let mut templates = Vec::new();
    for (ct, src) in &ir.response_templates {
        if let Some(msg) = content_type_problem(ct) {
            problems.push(join(&join(at, "responseTemplates"), ct), site.resp_msg(msg));
            continue;
        }
        match compile_template(src) {
            Ok(t) => templates.push((ct.to_ascii_lowercase().into_boxed_str(), t)),
            Err(e) => problems.push(join(&join(at, "responseTemplates"), ct), site.resp_msg(e)),
        }
    }
    let default_template = templates
        .iter()
        .position(|(k, _)| &**k == "application/json")
        .or((!templates.is_empty()).then_some(0));
    check_content_handling(
        ir.content_handling.as_deref(),
        join(at, "contentHandling"),
        |m| site.resp_msg(m),
        problems,
    );
    if problems.0.len() != before {
        return None;
    }
    Some(IntegrationResponseRuntime {
        status: code?,
        selection,
        header_params,
        content_type,
        templates,
        default_template,
        has_method_response: method_response.is_some(),
        content_handling: ContentHandling::parse(ir.content_handling.as_deref()),
    })
}
