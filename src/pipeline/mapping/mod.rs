//! Mapping templates at request time: renders a compiled `Velocity` template against an exchange
//! and reads back what the template asked for besides its output (`$context.requestOverride.*`,
//! `$context.responseOverride.*`, a MOCK's `statusCode`).
//!
//! Output goes into the connection's reused template buffer. A render that runs past its limits
//! (steps, output bytes, macro depth) fails with `Failure::Limit`, answered 500 as API Gateway
//! answers a template it cannot evaluate; a template that reads JSON from a body that is not
//! JSON fails with `Failure::BadJson` (400 for a request body, 500 for a backend's).

pub mod context;
pub mod env;
pub mod gateway;

use crate::deploy::snapshot::Velocity;
use crate::pipeline::Exchange;
use crate::vtl::{self, Limits, RenderError};
use env::TemplateEnv;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Limit(RenderError),
    #[error("the template reads JSON from a body that is not JSON")]
    BadJson,
}

/// What a template set on `$context.requestOverride` / `$context.responseOverride`.
#[derive(Debug, Default)]
pub struct Overrides {
    /// `header.NAME` values, in the order set (a later one for the same name wins).
    pub headers: Vec<(String, String)>,
    /// `querystring.NAME` values (request templates).
    pub query: Vec<(String, String)>,
    /// `path.NAME` values (request templates): replace the integration URI's `{NAME}`.
    pub path: Vec<(String, String)>,
    /// `status` (response templates).
    pub status: Option<u16>,
}

impl Overrides {
    fn from_output(out: vtl::render::Output, prefix: &str) -> Overrides {
        let mut o = Overrides::default();
        for (path, value) in out.overrides {
            let Some(rest) = path.strip_prefix(prefix) else {
                continue;
            };
            if let Some(name) = rest.strip_prefix("header.") {
                o.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                o.headers.push((name.to_string(), value));
            } else if let Some(name) = rest.strip_prefix("querystring.") {
                o.query.retain(|(n, _)| n != name);
                o.query.push((name.to_string(), value));
            } else if let Some(name) = rest.strip_prefix("path.") {
                o.path.retain(|(n, _)| n != name);
                o.path.push((name.to_string(), value));
            } else if rest == "status" {
                // A status that is not a final HTTP status is ignored: a 1xx cannot end a response.
                o.status = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|s| (200..=599).contains(s));
            }
        }
        o
    }

    /// The override for header `name`, if the template set one.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Writes a header a template set (`requestOverride` / `responseOverride`), its value trimmed,
/// unless the name is one of `framing` (headers the gateway sets itself) or the name or value
/// cannot be a header; `false` then, with nothing written.
pub fn write_override_header(
    name: &str,
    value: &str,
    framing: &[&[u8]],
    out: &mut Vec<u8>,
) -> bool {
    use crate::http::response;
    let value = value.trim_matches([' ', '\t']);
    let ok = !framing
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name.as_bytes()))
        && response::is_valid_field_name(name.as_bytes())
        && response::is_valid_field_value(value.as_bytes());
    if ok {
        response::header(out, name.as_bytes(), value.as_bytes());
    }
    ok
}

/// Which side of the integration a template maps: decides the override prefix it may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Request,
    Response,
}

/// Renders `tpl` with `body` (and its parse, `json`) as `$input`, into `out` (cleared first).
pub fn render(
    x: &Exchange<'_>,
    tpl: &Velocity,
    side: Side,
    body: &[u8],
    json: Option<crate::json::Node<'_>>,
    out: &mut Vec<u8>,
) -> Result<Overrides, Failure> {
    out.clear();
    let env = TemplateEnv::new(x, tpl, body, json);
    let rendered = vtl::render(&tpl.program, &env, Limits::default(), out);
    if env.bad_json.get() {
        return Err(Failure::BadJson);
    }
    let output = rendered.map_err(Failure::Limit)?;
    let prefix = match side {
        Side::Request => "requestOverride.",
        Side::Response => "responseOverride.",
    };
    Ok(Overrides::from_output(output, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::deploy::snapshot::mock_status_code as status_code;

    #[test]
    fn mock_status_codes() {
        assert_eq!(status_code(br#"{"statusCode": 404}"#), Some(404));
        assert_eq!(status_code(br#"{"statusCode": "201"}"#), Some(201));
        assert_eq!(status_code(br#"{"statusCode": 99}"#), None);
        assert_eq!(status_code(b"statusCode: 200"), None);
        assert_eq!(status_code(br#"{"other": 1}"#), None);
    }

    #[test]
    fn overrides_keep_their_side_and_the_last_value() {
        let out = vtl::render::Output {
            overrides: vec![
                ("requestOverride.header.X-A".into(), "1".into()),
                ("requestOverride.header.x-a".into(), "2".into()),
                ("requestOverride.querystring.q".into(), "v".into()),
                ("requestOverride.path.id".into(), "a/b".into()),
                ("responseOverride.status".into(), "418".into()),
            ],
        };
        let o = Overrides::from_output(out, "requestOverride.");
        assert_eq!(o.headers, vec![("x-a".to_string(), "2".to_string())]);
        assert_eq!(o.header("X-A"), Some("2"));
        assert_eq!(o.query, vec![("q".to_string(), "v".to_string())]);
        assert_eq!(o.path, vec![("id".to_string(), "a/b".to_string())]);
        assert_eq!(o.status, None);
        let out = vtl::render::Output {
            overrides: vec![("responseOverride.status".into(), "418".into())],
        };
        assert_eq!(
            Overrides::from_output(out, "responseOverride.").status,
            Some(418)
        );
    }
}
