//! JSON bodies and JSONPath as API Gateway (Jayway JsonPath) evaluates them.
//!
//! Role: `compile` turns a path into a `Path` at deploy time; `Path::eval` runs it over a parsed
//! body without re-parsing the path. Invariant: evaluation never panics on any document and any
//! compiled path; a definite path (no wildcard, deep scan, filter, union or slice) yields the value
//! itself, an indefinite one a list, as Jayway does.
//!
//! The document is a tape (`tape.rs`): simd-json's parse, in buffers each core reuses; object
//! key order is the body's order, which `$input.json` keeps.

mod eval;
mod path;
pub mod schema;
mod tape;

pub use eval::Found;
pub use path::{compile, Path, PathError};
pub use tape::{Doc, Elements, Kind, Members, Node, NotJson, Parsed, MAX_DEPTH};

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

fn write_value(v: &Node<'_>, out: &mut Vec<u8>) {
    v.write_json(out)
}

/// A `method.request.body.a.b` / `integration.response.body.a.b` mapping value and
/// `$input.path(...)` rendered as text: strings unquoted, anything else as JSON text, a list as a
/// JSON array. `None` when a definite path finds nothing (the mapping then sets no value).
pub fn write_text(found: &Found<'_>, out: &mut Vec<u8>) -> bool {
    match found {
        Found::One(None) => false,
        Found::One(Some(v)) if v.as_str().is_some() => {
            out.extend_from_slice(v.as_str().unwrap_or_default().as_bytes());
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

/// Parses a body for path evaluation (blank is an empty object). Invalid JSON is an error;
/// API Gateway's `$input.json` / `$input.path` then fail the template (the caller answers 500).
pub fn parse_body(body: &[u8]) -> Result<Parsed, NotJson> {
    Parsed::parse(body)
}

#[cfg(test)]
mod tests;
