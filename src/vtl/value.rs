//! Runtime values with Java semantics: Integer/Long/Double arithmetic, Java-style `toString`,
//! ordered maps (insertion order, as AWS's LinkedHashMap-backed JSON maps print).

use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }
    /// Velocity truthiness: null and false are false, everything else true.
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }
    /// Java `toString` into `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Value::Float(f) => out.extend_from_slice(java_double(*f).as_bytes()),
            Value::Str(s) => out.extend_from_slice(s.as_bytes()),
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
    /// A JSON value as the template sees it (what `$input.path` and `$util.parseJson` yield):
    /// integral numbers that fit are Integer/Long, others Double, objects keep their key order.
    pub fn from_json(j: &serde_json::Value) -> Value {
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
    pub fn map_get(&self, k: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.iter().find(|(kk, _)| kk == k).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Java's `Double.toString`: always a decimal point, scientific outside [1e-3, 1e7).
pub fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let a = f.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{f}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') {
            m.to_string()
        } else {
            format!("{m}.0")
        };
        format!("{m}E{e}")
    }
}

/// Velocity arithmetic: integers stay integral (overflow widens to Double as Velocity's
/// MathUtils promotes), any Double makes the result a Double; division by zero yields null.
pub fn arith(op: super::ast::Op, a: &Value, b: &Value) -> Value {
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

fn float_op(op: super::ast::Op, x: f64, y: f64) -> Value {
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

pub fn num(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

/// `==` as Velocity 1.7: numbers by value, same-kind values by equality, otherwise compare
/// the `toString` forms (Velocity falls back to string comparison for differing classes).
pub fn equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => num(a) == num(b),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => a.to_text() == b.to_text(),
    }
}
