//! AWS `patchOperations`: the body of every `Update*` operation of the management API.
//!
//! `parse` turns the request body into typed [`PatchOperation`]s (op checked against AWS's `Op`
//! enum, path and `from` as RFC 6901 JSON pointers with `~1`/`~0` unescaped, values kept as the
//! strings AWS sends). `apply` runs them against a *copy* of the target, dispatching each
//! (op, path) to the first matching [`Rule`] of a table the resource type declares, so a failing
//! operation anywhere in the list changes nothing. A path no rule accepts for that op is AWS's
//! "Invalid patch path '…' specified for op '…'. Must be one of: […]", listing the rules' paths.
//!
//! Rule paths are pointer templates: literal segments match themselves; a `{name}` segment
//! captures one non-empty unescaped segment (`/variables/{name}`, `/requestParameters/{key}`,
//! `/{resourcePath}/{httpMethod}/throttling/rateLimit` for `/~1pets/GET/...`).

use super::error::ApiError;
use serde::Deserialize;
use std::fmt;

/// The AWS `Op` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

impl Op {
    pub const ALL: [Op; 6] = [
        Op::Add,
        Op::Remove,
        Op::Replace,
        Op::Move,
        Op::Copy,
        Op::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Remove => "remove",
            Op::Replace => "replace",
            Op::Move => "move",
            Op::Copy => "copy",
            Op::Test => "test",
        }
    }

    fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == s)
    }

    /// `add`, `replace` and `test` carry a `value`; `move` and `copy` a `from`.
    fn needs_value(self) -> bool {
        matches!(self, Op::Add | Op::Replace | Op::Test)
    }

    fn needs_from(self) -> bool {
        matches!(self, Op::Move | Op::Copy)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A JSON pointer as AWS sends it: the raw text (for messages) and its unescaped segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    pub raw: String,
    pub segments: Vec<String>,
}

impl Pointer {
    /// RFC 6901: must start with `/`; `~1` is `/`, `~0` is `~`, any other `~` is invalid.
    pub fn parse(raw: &str) -> Result<Pointer, PatchError> {
        let invalid = || PatchError::InvalidPath(raw.to_string());
        let rest = raw.strip_prefix('/').ok_or_else(invalid)?;
        let mut segments = Vec::new();
        for part in rest.split('/') {
            let mut seg = String::with_capacity(part.len());
            let mut chars = part.chars();
            while let Some(c) = chars.next() {
                match c {
                    '~' => match chars.next() {
                        Some('0') => seg.push('~'),
                        Some('1') => seg.push('/'),
                        _ => return Err(invalid()),
                    },
                    c => seg.push(c),
                }
            }
            segments.push(seg);
        }
        Ok(Pointer {
            raw: raw.to_string(),
            segments,
        })
    }
}

/// One validated operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchOperation {
    pub op: Op,
    pub path: Pointer,
    /// Always a string on the wire, whatever the target member's type.
    pub value: Option<String>,
    pub from: Option<Pointer>,
}

/// Why a patch was refused; every variant is a 400 `BadRequestException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchError {
    /// The body is not `{"patchOperations": [...]}` with string members.
    Body(String),
    UnknownOp(String),
    /// No `op` member.
    MissingOp,
    /// Empty, not starting with `/`, or a bad `~` escape.
    InvalidPath(String),
    MissingValue {
        op: Op,
        path: String,
    },
    MissingFrom {
        op: Op,
        path: String,
    },
    /// No rule takes this op at this path; `allowed` lists the paths that take the op.
    NotAllowed {
        op: Op,
        path: String,
        allowed: Vec<String>,
    },
    /// The value does not fit the member (not a boolean, out of range, ...).
    InvalidValue {
        path: String,
        reason: String,
    },
    /// A `test` op whose value differs.
    TestFailed {
        path: String,
    },
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchError::Body(m) => write!(f, "Invalid patch request body: {m}"),
            PatchError::UnknownOp(op) => write!(
                f,
                "Invalid patch operation specified: '{op}'. Must be one of: [add, remove, replace, move, copy, test]"
            ),
            PatchError::MissingOp => f.write_str("Invalid patch operation: op is required"),
            PatchError::InvalidPath(p) => write!(f, "Invalid patch path {p}"),
            PatchError::MissingValue { op, path } => write!(
                f,
                "Invalid patch operation: value is required for op '{op}' at path '{path}'"
            ),
            PatchError::MissingFrom { op, path } => write!(
                f,
                "Invalid patch operation: from is required for op '{op}' at path '{path}'"
            ),
            PatchError::NotAllowed { op, path, allowed } => write!(
                f,
                "Invalid patch path '{path}' specified for op '{op}'. Must be one of: [{}]",
                allowed.join(", ")
            ),
            PatchError::InvalidValue { path, reason } => {
                write!(f, "Invalid value for patch path '{path}': {reason}")
            }
            PatchError::TestFailed { path } => {
                write!(f, "Patch test operation failed at path '{path}'")
            }
        }
    }
}

impl std::error::Error for PatchError {}

impl From<PatchError> for ApiError {
    fn from(e: PatchError) -> ApiError {
        ApiError::BadRequest(e.to_string())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Body {
    #[serde(default)]
    patch_operations: Vec<RawOperation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOperation {
    op: Option<String>,
    path: Option<String>,
    value: Option<String>,
    from: Option<String>,
}

/// Parses an `Update*` request body. An empty body is no operations (botocore sends none).
pub fn parse(body: &[u8]) -> Result<Vec<PatchOperation>, PatchError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    // serde would also read a struct from a JSON array; AWS wants an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(PatchError::Body("expected a JSON object".into()));
    }
    let body: Body = serde_json::from_slice(body).map_err(|e| PatchError::Body(e.to_string()))?;
    body.patch_operations.into_iter().map(validate).collect()
}

fn validate(raw: RawOperation) -> Result<PatchOperation, PatchError> {
    let op_text = raw.op.ok_or(PatchError::MissingOp)?;
    let op = Op::parse(&op_text).ok_or(PatchError::UnknownOp(op_text))?;
    let path = Pointer::parse(raw.path.as_deref().unwrap_or(""))?;
    if op.needs_value() && raw.value.is_none() {
        return Err(PatchError::MissingValue { op, path: path.raw });
    }
    let from = match raw.from {
        Some(f) => Some(Pointer::parse(&f)?),
        None if op.needs_from() => return Err(PatchError::MissingFrom { op, path: path.raw }),
        None => None,
    };
    Ok(PatchOperation {
        op,
        path,
        value: raw.value,
        from,
    })
}

/// One allowed path of a resource type, the ops it takes, and what it does to the target.
pub struct Rule<T> {
    /// A pointer template: `/name`, `/variables/{name}`.
    pub path: &'static str,
    pub ops: &'static [Op],
    pub apply: fn(&mut T, &Change<'_>) -> Result<(), PatchError>,
}

/// What a rule's `apply` sees: the operation and the segments its `{…}` placeholders captured.
pub struct Change<'a> {
    pub op: Op,
    /// The raw path, for messages.
    pub path: &'a str,
    pub captures: Vec<&'a str>,
    pub value: Option<&'a str>,
    pub from: Option<&'a Pointer>,
}

impl Change<'_> {
    /// The `value` (present for add/replace/test, checked by `parse`; empty for the others).
    pub fn value(&self) -> &str {
        self.value.unwrap_or("")
    }

    /// The `i`th capture (rules only ask for captures their template has).
    pub fn capture(&self, i: usize) -> &str {
        self.captures.get(i).copied().unwrap_or("")
    }

    /// `remove` → `None`, otherwise `Some(value)`: for optional string members.
    pub fn optional(&self) -> Option<String> {
        (self.op != Op::Remove).then(|| self.value().to_string())
    }

    /// `true`/`false` as AWS spells them.
    pub fn bool(&self) -> Result<bool, PatchError> {
        match self.value() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(self.invalid(format!("'{other}' is not a boolean"))),
        }
    }

    /// An integer within `range`.
    pub fn int(&self, range: std::ops::RangeInclusive<i64>) -> Result<i64, PatchError> {
        match self.value().parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(self.invalid(format!(
                "'{}' is not an integer between {} and {}",
                self.value(),
                range.start(),
                range.end()
            ))),
        }
    }

    /// An `InvalidValue` error for this path.
    pub fn invalid(&self, reason: impl Into<String>) -> PatchError {
        PatchError::InvalidValue {
            path: self.path.to_string(),
            reason: reason.into(),
        }
    }

    /// A `test` against the current value of the member.
    pub fn test(&self, current: Option<&str>) -> Result<(), PatchError> {
        if current == self.value {
            Ok(())
        } else {
            Err(PatchError::TestFailed {
                path: self.path.to_string(),
            })
        }
    }
}

/// Applies `ops` in order to a copy of `target`; on any error nothing is returned (and so
/// nothing changed).
pub fn apply<T: Clone>(
    target: &T,
    ops: &[PatchOperation],
    rules: &[Rule<T>],
) -> Result<T, PatchError> {
    let mut out = target.clone();
    for op in ops {
        let Some((rule, captures)) = rules
            .iter()
            .filter(|r| r.ops.contains(&op.op))
            .find_map(|r| matches(r.path, &op.path.segments).map(|c| (r, c)))
        else {
            return Err(PatchError::NotAllowed {
                op: op.op,
                path: op.path.raw.clone(),
                allowed: allowed_paths(rules, op.op),
            });
        };
        let change = Change {
            op: op.op,
            path: &op.path.raw,
            captures,
            value: op.value.as_deref(),
            from: op.from.as_ref(),
        };
        (rule.apply)(&mut out, &change)?;
    }
    Ok(out)
}

/// The rule paths that take `op`, in table order, without duplicates.
pub fn allowed_paths<T>(rules: &[Rule<T>], op: Op) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rules.iter().filter(|r| r.ops.contains(&op)) {
        if !out.iter().any(|p| p == r.path) {
            out.push(r.path.to_string());
        }
    }
    out
}

/// Matches unescaped `segments` against a template; returns the captured segments.
fn matches<'a>(template: &str, segments: &'a [String]) -> Option<Vec<&'a str>> {
    let parts: Vec<&str> = template
        .strip_prefix('/')
        .unwrap_or(template)
        .split('/')
        .collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut captures = Vec::new();
    for (part, seg) in parts.iter().zip(segments) {
        if part.starts_with('{') && part.ends_with('}') {
            if seg.is_empty() {
                return None;
            }
            captures.push(seg.as_str());
        } else if part != seg {
            return None;
        }
    }
    Some(captures)
}

#[cfg(test)]
mod tests;
