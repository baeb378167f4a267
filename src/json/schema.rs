//! The tape as a JSON Schema instance: jsonschema's representation traits over `Node`, so a
//! request validator reads the same parse as the mapping templates, without building a
//! serde_json tree per request.
//!
//! Numbers keep the form simd-json read them in: an integer literal is an `I64`/`U64`, anything
//! written with a fraction or exponent an `F64`. Draft 4 decides `type: integer` by that written
//! form (`1.0` is not an integer there), which is what `is_written_as_integer` answers.

use std::borrow::Cow;

use jsonschema::json::{Array, Json, JsonNumber, Node as JNode, NodeIdentity, Object};
use jsonschema::JsonType;

use super::tape::{Elements, Kind, Members, Node};

/// The tape representation (`jsonschema::Validator<Tape>`).
pub struct Tape;

/// An instance node: a value of the document, or a property name (`propertyNames` validates
/// names as string nodes).
#[derive(Clone, Copy)]
pub enum Instance<'a> {
    Doc(Node<'a>),
    Name(&'a str),
}

impl<'a> From<Node<'a>> for Instance<'a> {
    fn from(n: Node<'a>) -> Self {
        Instance::Doc(n)
    }
}

impl Json for Tape {
    type Node<'a> = Instance<'a>;
    type PreparedKey = String;
    type StringBuffer = ();
    // Lookups scan the object's members, so a members pass never costs more than lookups: a
    // bound no object reaches, yet small enough that jsonschema's `KEYS_PER_LOOKUP * count`
    // cannot overflow (usize::MAX did, in `required`).
    const KEYS_PER_LOOKUP: usize = 1 << 20;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(Instance<'_>) -> T) -> T {
        f(Instance::Name(string))
    }
}

/// A number as read.
#[derive(Clone, Copy)]
pub enum Number {
    I64(i64),
    U64(u64),
    F64(f64),
}

impl JsonNumber for Number {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            Number::U64(u) => Some(u),
            Number::I64(i) => u64::try_from(i).ok(),
            Number::F64(_) => None,
        }
    }
    fn as_i64(&self) -> Option<i64> {
        match *self {
            Number::I64(i) => Some(i),
            Number::U64(u) => i64::try_from(u).ok(),
            Number::F64(_) => None,
        }
    }
    fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Number::I64(i) => i as f64,
            Number::U64(u) => u as f64,
            Number::F64(f) => f,
        })
    }
    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_number().to_string())
    }
    fn to_number(&self) -> Cow<'_, serde_json::Number> {
        Cow::Owned(match *self {
            Number::I64(i) => i.into(),
            Number::U64(u) => u.into(),
            // simd-json refuses NaN and infinities, so this is always a JSON number.
            Number::F64(f) => serde_json::Number::from_f64(f).unwrap_or_else(|| 0.into()),
        })
    }
    fn is_integer(&self) -> bool {
        match *self {
            Number::F64(f) => f.fract() == 0.0,
            _ => true,
        }
    }
    fn is_written_as_integer(&self) -> bool {
        !matches!(self, Number::F64(_))
    }
}

impl<'a> JNode<'a, Tape> for Instance<'a> {
    type Object = Members<'a>;
    type Array = Elements<'a>;
    type Number = Number;

    fn as_object(&self) -> Option<Members<'a>> {
        match self {
            Instance::Doc(n) if n.is_object() => Some(n.members()),
            _ => None,
        }
    }
    fn as_array(&self) -> Option<Elements<'a>> {
        match self {
            Instance::Doc(n) if n.is_array() => Some(n.elements()),
            _ => None,
        }
    }
    fn as_string(&self) -> Option<Cow<'a, str>> {
        match *self {
            Instance::Doc(n) => n.text(),
            Instance::Name(s) => Some(Cow::Borrowed(s)),
        }
    }
    fn as_number(&self) -> Option<Number> {
        match self {
            Instance::Doc(n) => match n.kind() {
                Kind::I64(i) => Some(Number::I64(i)),
                Kind::U64(u) => Some(Number::U64(u)),
                Kind::F64(f) => Some(Number::F64(f)),
                _ => None,
            },
            Instance::Name(_) => None,
        }
    }
    fn as_boolean(&self) -> Option<bool> {
        match self {
            Instance::Doc(n) => match n.kind() {
                Kind::Bool(b) => Some(b),
                _ => None,
            },
            Instance::Name(_) => None,
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, Instance::Doc(n) if n.kind() == Kind::Null)
    }
    fn json_type(&self) -> JsonType {
        match self {
            Instance::Name(_) => JsonType::String,
            Instance::Doc(n) => match n.kind() {
                Kind::Null => JsonType::Null,
                Kind::Bool(_) => JsonType::Boolean,
                Kind::I64(_) | Kind::U64(_) | Kind::F64(_) => JsonType::Number,
                Kind::Str(_) => JsonType::String,
                Kind::Array => JsonType::Array,
                Kind::Object => JsonType::Object,
            },
        }
    }
    fn to_value(&self) -> Cow<'a, serde_json::Value> {
        Cow::Owned(match *self {
            Instance::Doc(n) => n.to_serde(),
            Instance::Name(s) => serde_json::Value::String(s.to_owned()),
        })
    }
    fn identity(&self) -> Option<NodeIdentity> {
        match *self {
            Instance::Doc(n) => {
                let (store, ix) = n.id();
                Some(NodeIdentity::tagged(store, ix))
            }
            Instance::Name(_) => None,
        }
    }
}

impl<'a> Object<'a, Tape> for Members<'a> {
    type Node = Instance<'a>;
    type MemberName = &'a str;
    type MembersIter =
        std::iter::Map<Members<'a>, fn((&'a str, Node<'a>)) -> (&'a str, Instance<'a>)>;

    fn len(&self) -> usize {
        Members::len(self)
    }
    fn get(&self, key: &String) -> Option<Instance<'a>> {
        // The last of a repeated name, as Jackson (and serde_json before the tape) keep it.
        self.object().field(key).map(Instance::Doc)
    }
    fn members(&self) -> Self::MembersIter {
        (*self).map(|(k, v)| (k, Instance::Doc(v)))
    }
}

impl<'a> Array<'a, Tape> for Elements<'a> {
    type Node = Instance<'a>;
    type ElementsIter = std::iter::Map<Elements<'a>, fn(Node<'a>) -> Instance<'a>>;

    fn len(&self) -> usize {
        Elements::len(self)
    }
    fn elements(&self) -> Self::ElementsIter {
        (*self).map(Instance::Doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Parsed;
    use serde_json::json;

    fn valid(schema: serde_json::Value, body: &str) -> bool {
        let v = jsonschema::options_for::<Tape>()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&schema)
            .unwrap();
        let p = Parsed::parse(body.as_bytes()).unwrap();
        v.is_valid(p.root().into())
    }

    #[test]
    fn validates_the_tape_as_draft4_does() {
        let pet = json!({"type": "object", "required": ["type", "price"],
            "properties": {"type": {"enum": ["dog", "cat"]}, "price": {"type": "number", "minimum": 0},
              "n": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
              "name": {"type": "string", "maxLength": 3}}});
        assert!(valid(
            pet.clone(),
            r#"{"type":"dog","price":1.5,"n":3,"tags":["a","b"],"name":"Rëx"}"#
        ));
        assert!(!valid(pet.clone(), r#"{"type":"cow","price":1}"#));
        assert!(!valid(pet.clone(), r#"{"type":"dog"}"#));
        assert!(!valid(pet.clone(), r#"{"type":"dog","price":-1}"#));
        assert!(
            !valid(pet.clone(), r#"{"type":"dog","price":1,"n":1.0}"#),
            "1.0 is not a draft-4 integer"
        );
        assert!(!valid(
            pet.clone(),
            r#"{"type":"dog","price":1,"tags":["a","a"]}"#
        ));
        assert!(!valid(pet, r#"{"type":"dog","price":1,"name":"Rexy"}"#));
    }

    /// `required` with 1 to 4 names takes jsonschema's specialised validators, which weigh a
    /// members pass against lookups with `KEYS_PER_LOOKUP` (an overflow there once panicked).
    #[test]
    fn required_names_in_every_count() {
        for n in 1..=5 {
            let names: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
            let schema = json!({"type": "object", "required": names});
            let all: serde_json::Map<String, serde_json::Value> =
                names.iter().map(|k| (k.clone(), json!(1))).collect();
            let mut more = all.clone();
            more.insert("extra".into(), json!(true));
            assert!(valid(
                schema.clone(),
                &serde_json::Value::Object(more).to_string()
            ));
            let mut fewer = all;
            fewer.remove("k0");
            assert!(!valid(
                schema,
                &serde_json::Value::Object(fewer).to_string()
            ));
        }
    }
}
