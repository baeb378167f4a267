//! JSON bodies and JSONPath as API Gateway (Jayway JsonPath) evaluates them.
//!
//! Role: `compile` turns a path into a `Path` at deploy time; `Path::eval` runs it over a parsed
//! body without re-parsing the path. Invariant: evaluation never panics on any document and any
//! compiled path; a definite path (no wildcard, deep scan, filter, union or slice) yields the value
//! itself, an indefinite one a list, as Jayway does.
//!
//! The document is a `serde_json::Value` for now (built with `preserve_order`, so object key
//! order is the body's order, which `$input.json` keeps).

mod eval;
mod path;

pub use eval::Found;
pub use path::{compile, Path, PathError};

use serde_json::Value;

/// `$input.json(path)`: JSON text of the result, compact, keys in document order, numbers as
/// serde_json prints them. A definite path that finds nothing writes `""`: API Gateway's
/// `$input.json('$.missing')` renders an empty JSON string (chosen from observed behaviour, not
/// from the developer guide, which does not say).
pub fn write_json(found: &Found<'_>, out: &mut Vec<u8>) {
    match found {
        Found::One(Some(v)) => write_value(v, out),
        Found::One(None) => out.extend_from_slice(b"\"\""),
        Found::Many(list) => {
            out.push(b'[');
            for (i, v) in list.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(v, out);
            }
            out.push(b']');
        }
    }
}

fn write_value(v: &Value, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail and a Value always serialises.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// A `method.request.body.a.b` / `integration.response.body.a.b` mapping value and
/// `$input.path(...)` rendered as text: strings unquoted, anything else as JSON text, a list as a
/// JSON array. `None` when a definite path finds nothing (the mapping then sets no value).
pub fn write_text(found: &Found<'_>, out: &mut Vec<u8>) -> bool {
    match found {
        Found::One(None) => false,
        Found::One(Some(Value::String(s))) => {
            out.extend_from_slice(s.as_bytes());
            true
        }
        other => {
            write_json(other, out);
            true
        }
    }
}

/// Turns a mapping expression's body part (`a.b` of `method.request.body.a.b`, or empty for the
/// whole body) into the JSONPath API Gateway evaluates: `$.a.b`, or `$`.
pub fn compile_body_expression(rest: &str) -> Result<Path, PathError> {
    if rest.is_empty() {
        compile("$")
    } else {
        let mut p = String::with_capacity(rest.len() + 2);
        p.push_str("$.");
        p.push_str(rest);
        compile(&p)
    }
}

/// Parses a body for path evaluation. Invalid JSON is an error; API Gateway's `$input.json` /
/// `$input.path` then fail the template (the caller answers 500 InternalServerError, not done here).
pub fn parse_body(body: &[u8]) -> Result<Value, serde_json::Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        // An empty body behaves as an empty object in API Gateway templates.
        return Ok(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_slice(body)
}

/// A body parsed on first use, at most once: every reader of one request's (or one integration
/// response's) JSON shares the one parse. Not JSON (or empty-but-not-blank garbage) is `None`.
#[derive(Debug, Default)]
pub struct Doc {
    // Boxed: one pointer in every exchange and integration response, which move between phases
    // by value; a parse allocates anyway.
    cell: std::cell::OnceCell<Option<Box<Value>>>,
}

impl Doc {
    pub fn get(&self, body: &[u8]) -> Option<&Value> {
        self.cell
            .get_or_init(|| parse_body(body).ok().map(Box::new))
            .as_deref()
    }
}

#[cfg(test)]
mod tests;
