//! Phases "transform request" and "transform response": the integration request built from the
//! method request (target, parameter mappings, body by mapping template or passthrough), and, for
//! non-proxy integrations, the method response chosen from the integration response (read whole
//! first, since the mapping needs all of it). HTTP_PROXY passes the backend's response through
//! untouched, its body still streaming.
//!
//! Templates come compiled from `deploy` (the seam for the VTL engine): this module only picks
//! one by content type, exactly as API Gateway does, and hands what the compiler produced to
//! `respond`.
//!
//! Gateway-set headers cannot be shadowed: HTTP_PROXY forwards the client's headers, less every
//! header the gateway sets itself (`DROP_REQUEST`: hop-by-hop, framing, `Host`,
//! `X-Forwarded-*`) and every mapped integration header, and a client header is dropped too when
//! it names one of those once `_` is read as `-` (`X_Forwarded_For`, `content_length`). CGI,
//! WSGI and Rack turn both spellings into the same `HTTP_X_FORWARDED_FOR` variable, so a backend
//! of that kind could read the client's value instead of the gateway's. nginx drops every name
//! with an underscore by default (`underscores_in_headers off`); API Gateway forwards them all.
//! Tollgate drops only the twins: they are the ones that can impersonate the gateway, and any
//! other underscore name (`X_Custom`) is passed unchanged, as API Gateway does, so backends that
//! rely on such names keep working.

use super::mapping::{self, Failure, Overrides, Side};
use super::params::write_value;
use super::respond::Reject;
use super::target::{self, Place, TargetError, ValueError};
use super::{Body, Exchange, IntegrationResponse, Reply, Request};
use crate::deploy::snapshot::{
    mock_status_code, BackendMethod, IntegrationKind, IntegrationResponseRuntime,
    IntegrationRuntime, ParamSource, PassthroughBehavior, Template, Upstream, Velocity,
};
use crate::http::response;
use std::io::Write as _;

/// Request headers never forwarded: hop-by-hop (RFC 9110 §7.6.1), framing we set ourselves, and
/// ones we rewrite.
const DROP_REQUEST: &[&[u8]] = &[
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"host",
    b"content-length",
    b"expect",
    b"x-forwarded-for",
    b"x-forwarded-proto",
];

/// The request content type without parameters, lower-cased into `out` (API Gateway matches
/// templates case-insensitively on the media type alone). Empty when absent.
fn media_type<'o>(value: Option<&[u8]>, out: &'o mut [u8; 128]) -> &'o [u8] {
    let Some(v) = value.map(crate::http::media_type) else {
        return &out[..0];
    };
    let n = v.len().min(out.len());
    for (o, b) in out.iter_mut().zip(&v[..n]) {
        *o = b.to_ascii_lowercase();
    }
    &out[..n]
}

/// The integration request body per the request templates and the passthrough behaviour.
struct Selected<'a> {
    body: &'a [u8],
    content_type: Option<&'a [u8]>,
    /// Index of the chosen template in the integration's `request_templates`.
    template: Option<usize>,
}

/// API Gateway's rules: a template for the content type wins; with none for it, WHEN_NO_MATCH
/// passes through, WHEN_NO_TEMPLATES passes through only if there are no templates at all, NEVER
/// refuses with 415. A request without Content-Type is treated as `application/json`.
fn request_body<'a>(
    req: &'a Request<'a>,
    integ: &'a IntegrationRuntime,
) -> Result<Selected<'a>, Reject> {
    let mut lower = [0u8; 128];
    let ct_raw = req.header(b"content-type");
    let ct = match media_type(ct_raw, &mut lower) {
        b"" => &b"application/json"[..],
        m => m,
    };
    if let Some(i) = integ
        .request_templates
        .iter()
        .position(|(k, _)| k.as_bytes() == ct)
    {
        let (key, t) = &integ.request_templates[i];
        let body = match t {
            Template::Static(s) => s.as_bytes(),
            // A Velocity template's output replaces this once rendered.
            Template::Passthrough | Template::Vtl(_) => req.body,
        };
        return Ok(Selected {
            body,
            content_type: Some(key.as_bytes()),
            template: Some(i),
        });
    }
    let pass = match integ.passthrough {
        PassthroughBehavior::WhenNoMatch => true,
        PassthroughBehavior::WhenNoTemplates => integ.request_templates.is_empty(),
        PassthroughBehavior::Never => false,
    };
    if pass {
        Ok(Selected {
            body: req.body,
            content_type: ct_raw,
            template: None,
        })
    } else {
        Err(Reject::UnsupportedMediaType)
    }
}

/// Phase "transform request": for MOCK, the request template (it selects the mock's status);
/// for HTTP and HTTP_PROXY, the backend request written into `out`.
pub fn request(
    x: &mut Exchange<'_>,
    out: &mut Vec<u8>,
    tbuf: &mut Vec<u8>,
    max_head: usize,
) -> Result<(), Reject> {
    let integ = x.integration();
    if let Some(why) = &integ.config_error {
        log_config_error(x.req, why);
        return Err(Reject::Internal);
    }
    let none = Overrides::default();
    match integ.kind {
        IntegrationKind::Mock => {
            let sel = request_body(x.req, integ)?;
            x.request_template = sel.template;
            if let Some(t) = velocity(integ, sel.template) {
                // A MOCK's template only selects its status; overrides have nothing to act on.
                render_request(x, t, &super::content::Payload::Same(x.req.body), tbuf)?;
                x.mock_status = mock_status_code(tbuf);
            }
        }
        IntegrationKind::LambdaProxy => super::lambda::proxy_request(x, out, tbuf)?,
        IntegrationKind::Lambda => {
            let sel = request_body(x.req, integ)?;
            x.request_template = sel.template;
            match velocity(integ, sel.template) {
                Some(t) => {
                    let input = super::content::template_input(x, x.req.body)?;
                    // Overrides have nothing to act on in an Invoke request.
                    render_request(x, t, &input, tbuf)?;
                    super::lambda::invoke(x, out, tbuf)?;
                }
                None => {
                    let converted = super::content::integration_body(x, sel.body)?;
                    super::lambda::invoke(x, out, &converted)?;
                }
            }
        }
        IntegrationKind::HttpProxy => {
            let up = x.snap.upstream(integ.upstream.ok_or(Reject::Internal)?);
            let body = Payload {
                body: x.req.body,
                content_type: None,
                overrides: &none,
            };
            build_request(x, up, true, body, max_head, out)?;
        }
        IntegrationKind::Http | IntegrationKind::AwsService => {
            let up = x.snap.upstream(integ.upstream.ok_or(Reject::Internal)?);
            let sel = request_body(x.req, integ)?;
            x.request_template = sel.template;
            match velocity(integ, sel.template) {
                Some(t) => {
                    let input = super::content::template_input(x, x.req.body)?;
                    let ov = render_request(x, t, &input, tbuf)?;
                    let body = Payload {
                        body: tbuf,
                        content_type: sel.content_type,
                        overrides: &ov,
                    };
                    build_request(x, up, false, body, max_head, out)?;
                }
                None => {
                    // contentHandling converts the payload only where no template rewrote it.
                    let converted = super::content::integration_body(x, sel.body)?;
                    let body = Payload {
                        body: &converted,
                        content_type: sel.content_type,
                        overrides: &none,
                    };
                    build_request(x, up, false, body, max_head, out)?
                }
            }
            if integ.kind == IntegrationKind::AwsService {
                super::aws_service::sign(x, up, out)?;
            }
        }
    }
    Ok(())
}

/// The exchange's values with a request template's `requestOverride.path.*` in front.
struct Overridden<'a, 'x> {
    x: &'a Exchange<'x>,
    overrides: &'a Overrides,
}

impl target::Values for Overridden<'_, '_> {
    fn put(&self, src: &ParamSource, place: Place, out: &mut Vec<u8>) -> Result<bool, ValueError> {
        self.x.put(src, place, out)
    }
    fn each_query(&self, name: &[u8], f: &mut dyn FnMut(&[u8])) {
        self.x.each_query(name, f)
    }
    fn client_query(&self) -> &[u8] {
        self.x.client_query()
    }
    fn path_override(&self, name: &str) -> Option<&[u8]> {
        let found = self.overrides.path.iter().rev().find(|(n, _)| n == name);
        found.map(|(_, v)| v.as_bytes())
    }
}

/// The integration request's body, its content type, and what its template overrode.
struct Payload<'p> {
    body: &'p [u8],
    content_type: Option<&'p [u8]>,
    overrides: &'p Overrides,
}

/// The selected request template when it is a Velocity program.
fn velocity(integ: &IntegrationRuntime, template: Option<usize>) -> Option<&Velocity> {
    match &integ.request_templates.get(template?)?.1 {
        Template::Vtl(t) => Some(t),
        _ => None,
    }
}

/// Renders a request template into `tbuf`. A body the template reads as JSON but that is not
/// JSON is the client's error (400, as API Gateway answers it); a template that runs past its
/// limits is the API's (500).
fn render_request(
    x: &Exchange<'_>,
    t: &Velocity,
    input: &super::content::Payload<'_>,
    tbuf: &mut Vec<u8>,
) -> Result<Overrides, Reject> {
    // A converted (base64) payload is not the parsed body: it has no JSON to read.
    let (body, json) = match input {
        super::content::Payload::Same(b) => (*b, x.body_json()),
        converted => (&converted[..], None),
    };
    mapping::render(x, t, Side::Request, body, json, tbuf).map_err(|f| match f {
        Failure::BadJson => Reject::UnparsableBody,
        Failure::Limit(e) => {
            log_render_failure(x.req, &e);
            Reject::Internal
        }
    })
}

#[cold]
fn log_render_failure(req: &Request<'_>, e: &dyn std::fmt::Display) {
    eprintln!(
        "request {}: Execution failed due to a mapping template error: {e}",
        String::from_utf8_lossy(&req.request_id)
    );
}

#[cold]
fn log_config_error(req: &Request<'_>, why: &str) {
    eprintln!(
        "request {}: {why}",
        String::from_utf8_lossy(&req.request_id)
    );
}

/// Whether the client header `name` names a header the gateway sets on the integration request
/// (`DROP_REQUEST`, or a mapped integration header), ASCII case-insensitively and with `_` read
/// as `-`: such a header is dropped so that it can neither duplicate nor impersonate the
/// gateway's own (see the module doc).
fn shadows_gateway_header(integ: &IntegrationRuntime, name: &[u8]) -> bool {
    fn fold(b: u8) -> u8 {
        if b == b'_' {
            b'-'
        } else {
            b.to_ascii_lowercase()
        }
    }
    let twins = |set: &[u8]| {
        set.len() == name.len() && set.iter().zip(name).all(|(&a, &b)| fold(a) == fold(b))
    };
    DROP_REQUEST.iter().any(|d| twins(d))
        || integ.header_params.iter().any(|(n, _)| twins(n.as_bytes()))
}

/// Names listed in the client's `Connection` header are hop-by-hop too.
fn listed_in_connection(ex: &Request<'_>, name: &[u8]) -> bool {
    ex.head.headers(ex.buf).any(|(n, v)| {
        n.eq_ignore_ascii_case(b"connection")
            && v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(name))
    })
}

fn not_field_value(_: ValueError) -> Reject {
    Reject::BadRequestParameters {
        message:
            "Invalid request parameter: a value mapped into a header holds a control character",
    }
}

/// `Host`: the integration URI's authority, unless a mapping (`integration.request.header.Host`)
/// yields a non-empty value, which replaces it as on API Gateway.
fn write_host(
    x: &Exchange<'_>,
    integ: &IntegrationRuntime,
    up: &Upstream,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
    let mark = out.len();
    out.extend_from_slice(b"Host: ");
    let value_at = out.len();
    let mapped = integ
        .header_params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"));
    if let Some((_, src)) = mapped {
        if write_value(x, src, Place::Header, out).map_err(not_field_value)? && out.len() > value_at
        {
            out.extend_from_slice(b"\r\n");
            return Ok(());
        }
    }
    out.truncate(mark);
    response::header(out, b"Host", up.authority.as_bytes());
    Ok(())
}

/// Writes the integration request head and body into `out`.
///
/// HTTP_PROXY forwards the method, the query string and the client's headers (less hop-by-hop);
/// HTTP sends only what the mappings name. Both append the client to `X-Forwarded-For`. A head
/// over `max_head` bytes is refused before anything is sent.
fn build_request(
    x: &Exchange<'_>,
    up: &Upstream,
    proxy: bool,
    payload: Payload<'_>,
    max_head: usize,
    out: &mut Vec<u8>,
) -> Result<(), Reject> {
    let Payload {
        body,
        content_type,
        overrides,
    } = payload;
    let ex = x.req;
    let integ = x.integration();
    out.clear();
    match &integ.method {
        BackendMethod::Fixed { name, .. } => out.extend_from_slice(name.as_bytes()),
        BackendMethod::Client => out.extend_from_slice(ex.head.method_span.get(ex.buf)),
    }
    out.push(b' ');
    let target_at = out.len();
    let values = Overridden { x, overrides };
    target::render(&target::Template::of(integ, proxy), &values, out).map_err(|e| match e {
        TargetError::DotSegment => Reject::BadRequestParameters {
            message: "Invalid request parameter: a path value may not be a '.' or '..' segment",
        },
    })?;
    write_query_overrides(&overrides.query, target_at, out);
    out.extend_from_slice(b" HTTP/1.1\r\n");
    write_host(x, integ, up, out)?;
    if proxy {
        for (n, v) in ex.head.headers(ex.buf) {
            if shadows_gateway_header(integ, n)
                || listed_in_connection(ex, n)
                || super::content::drops_forwarded_header(x, n)
            {
                continue;
            }
            response::header(out, n, v);
        }
    } else {
        let _ = write!(out, "User-Agent: AmazonAPIGateway_{}\r\n", x.api().id);
        // A mapped or overridden Content-Type replaces the template's (one header, not two).
        let mapped = integ
            .header_params
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            || overrides.header("content-type").is_some();
        if let Some(ct) = content_type.filter(|_| !mapped) {
            response::header(out, b"Content-Type", ct);
        }
    }
    for (name, src) in &integ.header_params {
        if name.eq_ignore_ascii_case("host") || overrides.header(name).is_some() {
            continue;
        }
        let mark = out.len();
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        match write_value(x, src, Place::Header, out).map_err(not_field_value)? {
            true => out.extend_from_slice(b"\r\n"),
            false => out.truncate(mark),
        }
    }
    for (name, value) in &overrides.headers {
        write_override_header(name, value, out)?;
    }
    out.extend_from_slice(b"X-Forwarded-For: ");
    if let Some(prior) = ex.header(b"x-forwarded-for") {
        out.extend_from_slice(prior);
        out.extend_from_slice(b", ");
    }
    super::params::write_ip(out, ex.peer);
    out.extend_from_slice(b"\r\nX-Forwarded-Proto: http\r\n");
    let method = ex.head.method;
    use crate::http::request::Method;
    if !body.is_empty() || matches!(method, Method::Post | Method::Put | Method::Patch) {
        response::content_length(out, body.len());
    }
    out.extend_from_slice(b"\r\n");
    head_within(out.len(), max_head)?;
    out.extend_from_slice(body);
    Ok(())
}

/// `$context.requestOverride.querystring.NAME`: added to the integration request's query, each
/// encoded as one component.
fn write_query_overrides(query: &[(String, String)], target_at: usize, out: &mut Vec<u8>) {
    use crate::http::uri::{push_query_component, Form};
    for (name, value) in query {
        let sep = if out[target_at..].contains(&b'?') {
            b'&'
        } else {
            b'?'
        };
        out.push(sep);
        push_query_component(out, name.as_bytes(), Form::Plain);
        out.push(b'=');
        push_query_component(out, value.as_bytes(), Form::Plain);
    }
}

/// `$context.requestOverride.header.NAME`: a header the template sets. The name must be a
/// token and not one the gateway frames itself; the value a field value (trimmed).
fn write_override_header(name: &str, value: &str, out: &mut Vec<u8>) -> Result<(), Reject> {
    if mapping::write_override_header(name, value, DROP_REQUEST, out) {
        Ok(())
    } else {
        Err(Reject::BadRequestParameters {
            message: "Invalid request parameter: a header set by the mapping template is not a valid header",
        })
    }
}

/// Mappings may fan one client value out into many integration headers, so the rendered head is
/// bounded on its own, after the client's head limit.
#[inline]
fn head_within(head_len: usize, max_head: usize) -> Result<(), Reject> {
    if head_len > max_head {
        return Err(Reject::IntegrationRequestTooLarge);
    }
    Ok(())
}

/// The integration response whose selection pattern matches `selector` (a backend status code,
/// or a mock's statusCode), else the default one.
pub fn select_response<'i>(
    integ: &'i IntegrationRuntime,
    selector: &str,
) -> Option<&'i IntegrationResponseRuntime> {
    integ
        .responses
        .iter()
        .find(|r| r.selection.as_ref().is_some_and(|re| re.is_match(selector)))
        .or_else(|| integ.default_response.map(|i| &integ.responses[i]))
}

/// Picks the response template: the one for a media type the client accepts, else
/// `application/json`, else the first — API Gateway's order.
fn response_template<'r>(
    ex: &Request<'_>,
    resp: &'r IntegrationResponseRuntime,
) -> Option<&'r (Box<str>, Template)> {
    if let Some(accept) = ex.header(b"accept") {
        for item in accept.split(|&b| b == b',') {
            let mut lower = [0u8; 128];
            let m = media_type(Some(item), &mut lower);
            if let Some(t) = resp.templates.iter().find(|(k, _)| k.as_bytes() == m) {
                return Some(t);
            }
        }
    }
    resp.default_template.map(|i| &resp.templates[i])
}

fn status_str(status: u16, out: &mut [u8; 3]) -> &str {
    out[0] = b'0' + (status / 100 % 10) as u8;
    out[1] = b'0' + (status / 10 % 10) as u8;
    out[2] = b'0' + (status % 10) as u8;
    std::str::from_utf8(out).unwrap_or("500")
}

/// Reads the rest of a streamed integration body into `ubuf` (at most `max_body`), keeping the
/// backend connection with it so the relay pools it once the response is out.
async fn read_whole<'b>(
    x: &mut Exchange<'_>,
    integrated: &mut IntegrationResponse<'b>,
    max_body: usize,
    ubuf: &'b mut Vec<u8>,
) -> Result<(), Reject> {
    match std::mem::replace(&mut integrated.body, Body::InHand(&[], None)) {
        Body::Stream(mut stream) => {
            stream
                .collect(max_body, ubuf)
                .await
                .map_err(|e| super::integrate::failed(x, &e))?;
            integrated.body = Body::InHand(ubuf, Some(stream));
        }
        in_hand => integrated.body = in_hand,
    }
    Ok(())
}

/// Phase "transform response": HTTP_PROXY's response passes through; for MOCK and HTTP the
/// integration response is selected by status (HTTP's body read whole, at most `max_body`) and
/// its mapping chosen for `respond` to render.
pub async fn response<'b>(
    x: &mut Exchange<'b>,
    mut integrated: IntegrationResponse<'b>,
    max_body: usize,
    ubuf: &'b mut Vec<u8>,
    tbuf: &'b mut Vec<u8>,
) -> Result<Reply<'b>, Reject> {
    let integ = x.integration();
    let resp = match integ.kind {
        IntegrationKind::HttpProxy => {
            // Compression needs the whole body (see `content::compresses_proxied`), and so does
            // a cache fill (`cache::reads_whole`).
            if super::content::compresses_proxied(x, &integrated, max_body)
                || super::cache::reads_whole(x, &integrated, max_body)
            {
                read_whole(x, &mut integrated, max_body, ubuf).await?;
            }
            return Ok(Reply::Proxied(integrated));
        }
        IntegrationKind::LambdaProxy => {
            read_whole(x, &mut integrated, max_body, ubuf).await?;
            // Respond checks the Invoke status, so a failed call still hands its (fully read)
            // backend connection back to the pool.
            return Ok(Reply::Lambda(integrated));
        }
        IntegrationKind::Lambda => {
            read_whole(x, &mut integrated, max_body, ubuf).await?;
            // A result takes the default response; a function error the first whose selection
            // pattern matches its errorMessage, else the default too (as on AWS).
            let invoked = super::lambda::invoked(x, &integrated);
            if !matches!(invoked, Ok(super::lambda::Invoked::Returned)) {
                x.integration_error = super::lambda::failure(&integrated);
            }
            match invoked? {
                super::lambda::Invoked::Returned => {
                    integ.default_response.map(|i| &integ.responses[i])
                }
                super::lambda::Invoked::FunctionError(message) => {
                    super::lambda::log_function_error(x, &integrated, message);
                    select_response(integ, message)
                }
            }
        }
        IntegrationKind::Mock if integrated.status == 0 => {
            // No statusCode from the request template: the default response.
            integ.default_response.map(|i| &integ.responses[i])
        }
        _ => {
            read_whole(x, &mut integrated, max_body, ubuf).await?;
            let mut digits = [0u8; 3];
            select_response(integ, status_str(integrated.status, &mut digits))
        }
    };
    // API Gateway answers 500 when no integration response matches and there is no default.
    let resp = resp.ok_or(Reject::Internal)?;
    let mut overrides = Overrides::default();
    let (content_type, template_body): (&[u8], _) = match response_template(x.req, resp) {
        Some((k, Template::Static(s))) => (k.as_bytes(), Some(s.as_bytes())),
        Some((k, Template::Passthrough)) => (k.as_bytes(), None),
        Some((k, Template::Vtl(t))) => {
            let body = match &integrated.body {
                Body::InHand(b, _) => *b,
                Body::Stream(_) => &[],
            };
            // A backend body the template cannot read, or a runaway template: the API's
            // failure, 500 as API Gateway answers it.
            overrides = mapping::render(x, t, Side::Response, body, integrated.json(), tbuf)
                .map_err(|f| {
                    log_render_failure(x.req, &f);
                    Reject::Internal
                })?;
            let tbuf: &'b Vec<u8> = tbuf;
            (k.as_bytes(), Some(&tbuf[..]))
        }
        None => (b"application/json", None),
    };
    Ok(Reply::Mapped {
        resp,
        content_type,
        template_body,
        overrides,
        integration: integrated,
    })
}
