//! The integration request target: the compiled integration URI's path and query, rendered with
//! the request's values, each encoded for the place it lands in (`http::uri`).
//!
//! This is the one place a client-influenced value becomes part of a backend's request line, so
//! every integration type that builds a target (HTTP and HTTP_PROXY now; Lambda and AWS service
//! integrations later) renders it here and inherits the guarantees, which the `target_render`
//! fuzz target checks for any value:
//! - the target is one request-target token: no byte a request line may not carry;
//! - a path value is one segment (`{name}`) or a run of segments (`{name+}`), and a query value is
//!   one component, whatever delimiters it holds;
//! - `?` starts the query exactly once and `&` separates what was written, whichever values are
//!   absent;
//! - the rendered path has no dot-segment in any spelling, so it never leaves the template's
//!   literal prefix once a backend normalises it. A request whose values would put one there is
//!   refused with 400 rather than resolved: a client that sends `..` inside a parameter is not
//!   describing a resource under the API (browsers and HTTP clients resolve dot-segments before
//!   sending), and a silently rewritten path would reach a different resource than the one the
//!   method was authorised for.

use super::params;
use crate::deploy::snapshot::{IntegrationRuntime, ParamSource, UriPart};
use crate::http::uri::{self, Form};

/// Where a mapped value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// One path segment (`{name}` in the integration URI).
    Segment,
    /// A run of segments, `/` kept (`{name}` filled from a greedy `{name+}` capture).
    Segments,
    /// A query name or value.
    Query,
    /// A header field value.
    Header,
}

/// A value that cannot be written where it is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueError {
    /// A header value holding a control character (CR, LF, NUL...) once decoded.
    NotFieldValue,
}

/// Appends one piece of a value: decoded per where it came from (`form`), encoded for `place`.
/// A header value that is not a valid field value once decoded is refused (and not written).
pub fn put(out: &mut Vec<u8>, piece: &[u8], form: Form, place: Place) -> Result<(), ValueError> {
    match place {
        Place::Segment => uri::push_segment(out, piece, form),
        Place::Segments => uri::push_segments(out, piece, form),
        Place::Query => uri::push_query_component(out, piece, form),
        Place::Header => {
            let mark = out.len();
            out.extend(uri::decoded(piece, form));
            // Surrounding whitespace is not part of a field value (RFC 9110 §5.5): dropped, not
            // refused, since `?q=a+` is an ordinary request.
            if !params::field_value_tail(out, mark) {
                return Err(ValueError::NotFieldValue);
            }
        }
    }
    Ok(())
}

/// Where the renderer gets the request's values from (an exchange, or the fuzz target's bytes).
pub trait Values {
    /// Appends the value `src` yields, encoded for `place`; `Ok(false)` when the request has none
    /// (the mapping is then left out, as API Gateway does).
    fn put(&self, src: &ParamSource, place: Place, out: &mut Vec<u8>) -> Result<bool, ValueError>;
    /// Calls `f` with every value of query parameter `name`, as the client wrote it.
    fn each_query(&self, name: &[u8], f: &mut dyn FnMut(&[u8]));
    /// The client's raw query string (HTTP_PROXY passes it on).
    fn client_query(&self) -> &[u8];
    /// A request template's `$context.requestOverride.path.NAME`, which replaces the mapped value.
    fn path_override(&self, _name: &str) -> Option<&[u8]> {
        None
    }
}

/// Values from raw client bytes without a request around them: one path capture (path text),
/// a query string and one header value, for every capture, query and header source. The fuzz
/// target and the benchmark render through it.
pub struct RawValues<'a> {
    pub capture: &'a [u8],
    pub query: &'a [u8],
    pub header: &'a [u8],
}

impl Values for RawValues<'_> {
    fn put(&self, src: &ParamSource, place: Place, out: &mut Vec<u8>) -> Result<bool, ValueError> {
        let (value, form) = match src {
            ParamSource::PathCapture(_) => (self.capture, Form::Path),
            ParamSource::Query(n) => match params::query_first(self.query, n.as_bytes()) {
                Some(v) => (v, Form::Query),
                None => return Ok(false),
            },
            ParamSource::Header(_) => (self.header, Form::Plain),
            ParamSource::Literal(v) => (v.as_bytes(), Form::Plain),
            _ => return Ok(false),
        };
        put(out, value, form, place)?;
        Ok(true)
    }

    fn each_query(&self, name: &[u8], f: &mut dyn FnMut(&[u8])) {
        for (n, v) in params::query_pairs(self.query) {
            if n == name {
                f(v);
            }
        }
    }

    fn client_query(&self) -> &[u8] {
        self.query
    }
}

/// The parts of a compiled integration URI the target is rendered from.
pub struct Template<'a> {
    pub path: &'a [UriPart],
    /// A literal query from the integration URI (without `?`).
    pub fixed_query: Option<&'a str>,
    /// `integration.request.querystring.NAME` mappings (names as written in the API).
    pub query_params: &'a [(Box<str>, ParamSource)],
    /// Whether the client's own query string goes first (HTTP_PROXY).
    pub pass_client_query: bool,
}

impl<'a> Template<'a> {
    pub fn of(integ: &'a IntegrationRuntime, pass_client_query: bool) -> Self {
        Template {
            path: &integ.path,
            fixed_query: integ.fixed_query.as_deref(),
            query_params: &integ.query_params,
            pass_client_query,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetError {
    /// The values put a `.` or `..` segment into the path.
    DotSegment,
}

/// Appends the request target (path and query) to `out`. On error `out` is left as it was.
pub fn render(t: &Template<'_>, v: &impl Values, out: &mut Vec<u8>) -> Result<(), TargetError> {
    let start = out.len();
    let mut has_values = false;
    for part in t.path {
        match part {
            UriPart::Literal(s) => out.extend_from_slice(s.as_bytes()),
            UriPart::Param {
                name,
                source,
                greedy,
            } => {
                has_values = true;
                let place = if *greedy {
                    Place::Segments
                } else {
                    Place::Segment
                };
                // Path places never fail; an absent value leaves its segment empty, as on AWS.
                match v.path_override(name) {
                    Some(value) => {
                        let _ = put(out, value, Form::Plain, place);
                    }
                    None => {
                        let _ = v.put(source, place, out);
                    }
                }
            }
        }
    }
    if out.len() == start {
        out.push(b'/');
    }
    // Literal parts were checked when compiled; only values can bring a dot-segment in.
    if has_values && uri::has_dot_segment(&out[start..]) {
        out.truncate(start);
        return Err(TargetError::DotSegment);
    }
    let mut query = Query { first: true };
    if t.pass_client_query && !v.client_query().is_empty() {
        query.sep(out);
        uri::push_target_text(out, v.client_query());
    }
    if let Some(q) = t.fixed_query {
        query.sep(out);
        out.extend_from_slice(q.as_bytes());
    }
    for (name, src) in t.query_params {
        if let ParamSource::MultiQuery(from) = src {
            v.each_query(from.as_bytes(), &mut |value| {
                query.sep(out);
                query.pair(out, name, |out| {
                    uri::push_query_component(out, value, Form::Query)
                });
            });
            continue;
        }
        let (mark, was_first) = (out.len(), query.first);
        query.sep(out);
        let mut present = false;
        query.pair(out, name, |out| {
            present = matches!(v.put(src, Place::Query, out), Ok(true));
        });
        if !present {
            out.truncate(mark);
            query.first = was_first;
        }
    }
    Ok(())
}

/// `?` before the first query item, `&` before the others.
struct Query {
    first: bool,
}

impl Query {
    fn sep(&mut self, out: &mut Vec<u8>) {
        out.push(if self.first { b'?' } else { b'&' });
        self.first = false;
    }

    fn pair(&self, out: &mut Vec<u8>, name: &str, value: impl FnOnce(&mut Vec<u8>)) {
        uri::push_query_component(out, name.as_bytes(), Form::Plain);
        out.push(b'=');
        value(out);
    }
}

#[cfg(test)]
mod tests;
