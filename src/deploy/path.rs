//! Resource path templates (`/pets/{petId}/{proxy+}`): parsing and the rules AWS applies to them.
//!
//! Used by the importer (to build the resource tree and report bad paths) and by the router
//! builder. A parsed path is a list of segments; the root `/` is the empty list.

use std::fmt;

/// Most path parameters one resource path may declare (the router's capture array size).
pub const MAX_PATH_PARAMS: usize = crate::deploy::router::MAX_CAPTURES;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    Literal(&'a str),
    /// `{name}`: exactly one segment.
    Param(&'a str),
    /// `{name+}`: one or more trailing segments.
    Greedy(&'a str),
}

impl<'a> Segment<'a> {
    pub fn param_name(&self) -> Option<&'a str> {
        match *self {
            Segment::Literal(_) => None,
            Segment::Param(n) | Segment::Greedy(n) => Some(n),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    NoLeadingSlash,
    EmptySegment,
    /// A part with characters AWS does not allow, or braces not wrapping the whole part.
    BadPart(String),
    GreedyNotLast(String),
    DuplicateParam(String),
    TooManyParams,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::NoLeadingSlash => f.write_str("Resource path must begin with '/'"),
            PathError::EmptySegment => f.write_str("Resource path contains an empty path part"),
            PathError::BadPart(part) => write!(
                f,
                "Invalid path part '{part}': Resource's path part only allow a-zA-Z0-9._-: and curly braces at the beginning and the end and an optional plus sign before the closing brace."
            ),
            PathError::GreedyNotLast(part) => write!(
                f,
                "A greedy path variable ({part}) must be the last path part of the resource path"
            ),
            PathError::DuplicateParam(name) => {
                write!(f, "Resource path contains the path variable '{name}' more than once")
            }
            PathError::TooManyParams => write!(
                f,
                "Resource path declares more than {MAX_PATH_PARAMS} path variables, the most this Tollgate version supports"
            ),
        }
    }
}

fn is_part_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':')
}

/// One path part: `pets`, `{petId}` or `{proxy+}`.
pub fn parse_part(part: &str) -> Result<Segment<'_>, PathError> {
    let bad = || PathError::BadPart(part.to_string());
    if part.is_empty() {
        return Err(PathError::EmptySegment);
    }
    if let Some(inner) = part.strip_prefix('{') {
        let inner = inner.strip_suffix('}').ok_or_else(bad)?;
        let (name, greedy) = match inner.strip_suffix('+') {
            Some(n) => (n, true),
            None => (inner, false),
        };
        if name.is_empty() || !name.bytes().all(is_part_char) {
            return Err(bad());
        }
        Ok(if greedy {
            Segment::Greedy(name)
        } else {
            Segment::Param(name)
        })
    } else if part.bytes().all(is_part_char) {
        Ok(Segment::Literal(part))
    } else {
        Err(bad())
    }
}

/// Parses a whole resource path. `/` is the root (no segments).
pub fn parse_path(path: &str) -> Result<Vec<Segment<'_>>, PathError> {
    let rest = path.strip_prefix('/').ok_or(PathError::NoLeadingSlash)?;
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let mut segments: Vec<Segment<'_>> = Vec::new();
    for part in rest.split('/') {
        if let Some(Segment::Greedy(_)) = segments.last() {
            let prev = rest.split('/').nth(segments.len() - 1).unwrap_or_default();
            return Err(PathError::GreedyNotLast(prev.to_string()));
        }
        let seg = parse_part(part)?;
        if let Some(name) = seg.param_name() {
            if segments.iter().any(|s| s.param_name() == Some(name)) {
                return Err(PathError::DuplicateParam(name.to_string()));
            }
        }
        segments.push(seg);
    }
    if segments.iter().filter(|s| s.param_name().is_some()).count() > MAX_PATH_PARAMS {
        return Err(PathError::TooManyParams);
    }
    Ok(segments)
}

/// The path parameter names of a parsed path, in order (the router's capture order).
pub fn param_names<'a>(segments: &[Segment<'a>]) -> Vec<&'a str> {
    segments.iter().filter_map(|s| s.param_name()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Segment::*;

    #[test]
    fn parses_valid_paths() {
        let cases: &[(&str, &[Segment])] = &[
            ("/", &[]),
            ("/pets", &[Literal("pets")]),
            ("/pets/{petId}", &[Literal("pets"), Param("petId")]),
            ("/{proxy+}", &[Greedy("proxy")]),
            (
                "/a.b/c_d-e:f/{x}/{y+}",
                &[Literal("a.b"), Literal("c_d-e:f"), Param("x"), Greedy("y")],
            ),
        ];
        for (path, want) in cases {
            assert_eq!(parse_path(path).as_deref(), Ok(*want), "{path}");
        }
    }

    #[test]
    fn rejects_invalid_paths() {
        let cases: &[(&str, PathError)] = &[
            ("pets", PathError::NoLeadingSlash),
            ("/a//b", PathError::EmptySegment),
            ("/pets/", PathError::EmptySegment),
            ("/a/{id", PathError::BadPart("{id".into())),
            ("/a/id}", PathError::BadPart("id}".into())),
            ("/a/x{id}", PathError::BadPart("x{id}".into())),
            ("/a/{}", PathError::BadPart("{}".into())),
            ("/a/{+}", PathError::BadPart("{+}".into())),
            ("/a b", PathError::BadPart("a b".into())),
            ("/{proxy+}/x", PathError::GreedyNotLast("{proxy+}".into())),
            ("/{id}/{id}", PathError::DuplicateParam("id".into())),
            ("/{id}/{id+}", PathError::DuplicateParam("id".into())),
        ];
        for (path, want) in cases {
            assert_eq!(parse_path(path).as_ref(), Err(want), "{path}");
        }
        let many: String = (0..17).map(|i| format!("/{{p{i}}}")).collect();
        assert_eq!(parse_path(&many), Err(PathError::TooManyParams));
    }
}
