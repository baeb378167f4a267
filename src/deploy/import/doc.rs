//! The document walker's shared state: the parsed document, the problems and warnings found so
//! far, typed field access that reports a wrong type instead of failing, and local `$ref`
//! resolution.
//!
//! Invariant: every accessor that finds something wrong records a problem with the pointer of
//! the offending value and returns `None`, so the walk carries on and reports everything.

use crate::deploy::problem::{join, Problems};
use serde_json::{Map, Value};

/// Which specification the document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    OpenApi3,
    Swagger2,
}

pub struct Ctx<'a> {
    pub root: &'a Value,
    pub dialect: Dialect,
    pub problems: Problems,
    pub warnings: Problems,
}

/// Longest `$ref` chain followed before giving up (cycles, abuse).
const MAX_REF_HOPS: usize = 8;

impl<'a> Ctx<'a> {
    pub fn new(root: &'a Value, dialect: Dialect) -> Ctx<'a> {
        Ctx {
            root,
            dialect,
            problems: Problems::default(),
            warnings: Problems::default(),
        }
    }

    pub fn error(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.problems.push(pointer, message);
    }

    pub fn warn(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(pointer, message);
    }

    fn wrong_type(&mut self, at: &str, want: &str) {
        self.error(at, format!("Invalid value: expected {want}"));
    }

    /// `obj[key]` as an object, if present.
    pub fn object<'v>(&mut self, v: &'v Value, at: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                self.wrong_type(at, "an object");
                None
            }
        }
    }

    pub fn field_object<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Option<&'v Map<String, Value>> {
        let v = obj.get(key)?;
        self.object(v, &join(at, key))
    }

    pub fn field_str<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Option<&'v str> {
        match obj.get(key)? {
            Value::String(s) => Some(s),
            _ => {
                self.wrong_type(&join(at, key), "a string");
                None
            }
        }
    }

    /// A string, or a number written where AWS accepts either (status codes).
    pub fn field_str_or_number(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Option<String> {
        match obj.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.wrong_type(&join(at, key), "a string");
                None
            }
        }
    }

    pub fn field_bool(&mut self, obj: &Map<String, Value>, key: &str, at: &str) -> Option<bool> {
        match obj.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(&join(at, key), "a boolean");
                None
            }
        }
    }

    pub fn field_i64(&mut self, obj: &Map<String, Value>, key: &str, at: &str) -> Option<i64> {
        match obj.get(key)? {
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            _ => {
                self.wrong_type(&join(at, key), "an integer");
                None
            }
        }
    }

    pub fn field_strings(&mut self, obj: &Map<String, Value>, key: &str, at: &str) -> Vec<String> {
        let Some(v) = obj.get(key) else {
            return Vec::new();
        };
        let at = join(at, key);
        let Value::Array(items) = v else {
            self.wrong_type(&at, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) => out.push(s.clone()),
                _ => self.wrong_type(&format!("{at}/{i}"), "a string"),
            }
        }
        out
    }

    /// An object whose values must all be strings (`requestParameters`, `requestTemplates`...).
    pub fn field_string_map(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        at: &str,
    ) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        let at = join(at, key);
        let Some(map) = obj.get(key).and_then(|v| self.object(v, &at)) else {
            return out;
        };
        for (k, v) in map {
            match v {
                Value::String(s) => {
                    out.insert(k.clone(), s.clone());
                }
                _ => self.wrong_type(&join(&at, k), "a string"),
            }
        }
        out
    }

    /// Follows local `$ref`s (`#/components/...`). Returns the target and its pointer.
    pub fn deref<'v>(&mut self, v: &'v Value, at: &str) -> Option<(&'v Value, String)>
    where
        'a: 'v,
    {
        let mut cur = v;
        let mut ptr = at.to_string();
        for _ in 0..MAX_REF_HOPS {
            let Some(r) = cur.get("$ref") else {
                return Some((cur, ptr));
            };
            let target = r
                .as_str()
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| self.root.pointer(p).map(|t| (t, p)));
            match target {
                Some((t, p)) => {
                    cur = t;
                    ptr = p.to_string();
                }
                None => {
                    self.error(
                        join(&ptr, "$ref"),
                        format!("Unable to resolve reference {r}: only references inside the document are supported"),
                    );
                    return None;
                }
            }
        }
        self.error(join(&ptr, "$ref"), "Too many nested references (cycle?)");
        None
    }

    /// The model name a schema refers to (`#/components/schemas/Pet` -> `Pet`).
    pub fn schema_ref_name(&self, schema: &Value) -> Option<String> {
        let r = schema.get("$ref")?.as_str()?;
        let prefix = match self.dialect {
            Dialect::OpenApi3 => "#/components/schemas/",
            Dialect::Swagger2 => "#/definitions/",
        };
        r.strip_prefix(prefix)
            .map(|n| n.replace("~1", "/").replace("~0", "~"))
    }
}

/// Every key of `obj` not in `known`, for the `extra` maps.
pub fn extras(obj: &Map<String, Value>, known: &[&str]) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
