//! Runtime values with Java semantics: Integer/Long/Double arithmetic, Java-style `toString`,
//! ordered maps (insertion order, as AWS's LinkedHashMap-backed JSON maps print).
//!
//! Zero-copy: a value read from the request is borrowed, not copied. `Text` is a string in the
//! body (or the exchange), `Json` an object or array of the body's one parse read in place, and
//! `JsonText` what `$input.json` selected, whose JSON text is written straight into the output
//! when printed. Only a template that changes a borrowed container (`put`, `add`, `#set($m.k …)`)
//! makes an owned copy of it (`owned`); one that only rearranges fields allocates nothing.

use std::borrow::Cow;
use std::io::Write as _;
use std::sync::Arc;

use crate::json::{Kind, Node};

#[derive(Debug, Clone)]
pub enum Value<'d> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string built while rendering, or a template literal.
    Str(Arc<str>),
    /// A string borrowed from the request, its JSON or the exchange.
    Text(&'d str),
    /// An object or array of the parsed body (a LinkedHashMap or List to the template).
    Json(Node<'d>),
    /// A String whose text is this node's JSON (`$input.json`), not yet written out.
    JsonText(Node<'d>),
    List(Vec<Value<'d>>),
    Map(Vec<(String, Value<'d>)>),
}

impl<'d> Value<'d> {
    pub fn str(s: &str) -> Value<'d> {
        Value::Str(Arc::from(s))
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    /// A JSON value as the template sees it (what `$input.path` yields): integral numbers that
    /// fit are Integer/Long, others Double, strings and containers borrowed from the document.
    pub fn from_node(n: Node<'d>) -> Value<'d> {
        match n.kind() {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(b),
            Kind::I64(i) => Value::Int(i),
            Kind::U64(u) => i64::try_from(u).map_or(Value::Float(u as f64), Value::Int),
            Kind::F64(f) => Value::Float(f),
            Kind::Str(s) => Value::Text(s),
            Kind::Array | Kind::Object => Value::Json(n),
        }
    }
    /// The string, when this is one (a `JsonText` is one once built: see `owned`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
    pub fn is_string(&self) -> bool {
        matches!(self, Value::Str(_) | Value::Text(_) | Value::JsonText(_))
    }
    /// This value with nothing left unbuilt: a `Json` container copied into `List`/`Map` (one
    /// level deep; its children stay borrowed), `JsonText` written into a `Str`. For the rare
    /// operations that need the Java object itself (mutation, string methods on `$input.json`).
    pub fn owned(&self) -> Value<'d> {
        match self {
            Value::Json(n) if n.is_array() => {
                Value::List(n.elements().map(Value::from_node).collect())
            }
            Value::Json(n) => Value::Map(
                n.members()
                    .map(|(k, v)| (k.to_string(), Value::from_node(v)))
                    .collect(),
            ),
            Value::JsonText(n) => {
                let mut b = Vec::new();
                n.write_json(&mut b);
                Value::str(&String::from_utf8_lossy(&b))
            }
            v => v.clone(),
        }
    }
    /// Velocity truthiness: null and false are false, everything else true.
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }
    /// Java `toString` into `out`, allocating nothing.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => write_java_double(*f, out),
            Value::Str(s) => out.extend_from_slice(s.as_bytes()),
            Value::Text(s) => out.extend_from_slice(s.as_bytes()),
            Value::JsonText(n) => n.write_json(out),
            Value::Json(n) => write_java_node(*n, out),
            Value::List(l) => {
                out.push(b'[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    v.write(out);
                }
                out.push(b']');
            }
            Value::Map(m) => {
                out.push(b'{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    out.extend_from_slice(k.as_bytes());
                    out.push(b'=');
                    v.write(out);
                }
                out.push(b'}');
            }
        }
    }
    pub fn to_text(&self) -> String {
        let mut v = Vec::new();
        self.write(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }
    /// The text, borrowed when this is a string.
    pub fn text(&self) -> Cow<'_, str> {
        match self.as_str() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(self.to_text()),
        }
    }
    /// A JSON value parsed at render time (`$util.parseJson`), as an owned tree.
    pub fn from_json(j: &serde_json::Value) -> Value<'d> {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
            J::String(s) => Value::str(s),
            J::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
    /// A map's entry `k` (a parsed object's, read in place).
    pub fn map_get(&self, k: &str) -> Option<Value<'d>> {
        match self {
            Value::Map(m) => m.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone()),
            Value::Json(n) if n.is_object() => n.field(k).map(Value::from_node),
            _ => None,
        }
    }
    pub fn is_map(&self) -> bool {
        matches!(self, Value::Map(_)) || matches!(self, Value::Json(n) if n.is_object())
    }
    pub fn is_list(&self) -> bool {
        matches!(self, Value::List(_)) || matches!(self, Value::Json(n) if n.is_array())
    }
}

/// A parsed object or array in Java's `toString` form (`{a=1, b=[x, y]}`), as the template
/// sees a LinkedHashMap / List.
fn write_java_node(n: Node<'_>, out: &mut Vec<u8>) {
    if n.is_array() {
        out.push(b'[');
        for (i, e) in n.elements().enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            Value::from_node(e).write(out);
        }
        out.push(b']');
    } else {
        out.push(b'{');
        for (i, (k, v)) in n.members().enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(k.as_bytes());
            out.push(b'=');
            Value::from_node(v).write(out);
        }
        out.push(b'}');
    }
}

/// Same values are equal; used by tests and `#set`'s null check.
impl PartialEq for Value<'_> {
    fn eq(&self, o: &Self) -> bool {
        match (self, o) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Json(a), Value::Json(b)) => a.json_eq(*b),
            (a, b) if a.is_string() && b.is_string() => a.text() == b.text(),
            _ => false,
        }
    }
}

/// Java's `Double.toString` into `out`, formatted on the stack.
pub fn write_java_double(f: f64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 40];
    let mut c = std::io::Cursor::new(&mut buf[..]);
    java_double_into(f, &mut c);
    let n = c.position() as usize;
    out.extend_from_slice(&buf[..n]);
}

/// Java's `Double.toString`: always a decimal point, scientific outside [1e-3, 1e7).
pub fn java_double(f: f64) -> String {
    let mut v = Vec::new();
    write_java_double(f, &mut v);
    String::from_utf8_lossy(&v).into_owned()
}

fn java_double_into(f: f64, w: &mut impl std::io::Write) {
    // A 40-byte buffer holds every form below (at most 17 digits, sign, point, exponent).
    if f.is_nan() {
        let _ = w.write_all(b"NaN");
        return;
    }
    if f.is_infinite() {
        let _ = w.write_all(if f > 0.0 { b"Infinity" } else { b"-Infinity" });
        return;
    }
    let a = f.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        // `{}` prints the shortest repr without a point for integral values: add `.0`.
        let mut tmp = [0u8; 40];
        let mut c = std::io::Cursor::new(&mut tmp[..]);
        let _ = write!(c, "{f}");
        let n = c.position() as usize;
        let _ = w.write_all(&tmp[..n]);
        if !tmp[..n].contains(&b'.') {
            let _ = w.write_all(b".0");
        }
    } else {
        let mut tmp = [0u8; 40];
        let mut c = std::io::Cursor::new(&mut tmp[..]);
        let _ = write!(c, "{f:e}");
        let n = c.position() as usize;
        let s = &tmp[..n];
        let (m, e) = match s.iter().position(|&b| b == b'e') {
            Some(p) => (&s[..p], &s[p + 1..]),
            None => (s, &b"0"[..]),
        };
        let _ = w.write_all(m);
        if !m.contains(&b'.') {
            let _ = w.write_all(b".0");
        }
        let _ = w.write_all(b"E");
        let _ = w.write_all(e);
    }
}

/// Velocity arithmetic: integers stay integral (overflow widens to Double as Velocity's
/// MathUtils promotes), any Double makes the result a Double; division by zero yields null.
pub fn arith<'d>(op: super::ast::Op, a: &Value<'d>, b: &Value<'d>) -> Value<'d> {
    use super::ast::Op::*;
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            let r = match op {
                Add => x.checked_add(y),
                Sub => x.checked_sub(y),
                Mul => x.checked_mul(y),
                Div if y == 0 => return Value::Null,
                Div => x.checked_div(y),
                Mod if y == 0 => return Value::Null,
                Mod => x.checked_rem(y),
                _ => None,
            };
            r.map(Value::Int)
                .unwrap_or_else(|| float_op(op, x as f64, y as f64))
        }
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            float_op(op, num(a), num(b))
        }
        _ => Value::Null,
    }
}

fn float_op<'d>(op: super::ast::Op, x: f64, y: f64) -> Value<'d> {
    use super::ast::Op::*;
    match op {
        Add => Value::Float(x + y),
        Sub => Value::Float(x - y),
        Mul => Value::Float(x * y),
        Div if y == 0.0 => Value::Null,
        Div => Value::Float(x / y),
        Mod if y == 0.0 => Value::Null,
        Mod => Value::Float(x % y),
        _ => Value::Null,
    }
}

pub fn num(v: &Value<'_>) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

/// `==` as Velocity 1.7: numbers by value, same-kind values by equality, otherwise compare
/// the `toString` forms (Velocity falls back to string comparison for differing classes).
pub fn equals(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => num(a) == num(b),
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => x == y,
            _ => a.to_text() == b.to_text(),
        },
    }
}
