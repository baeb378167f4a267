//! VTL templates: any text compiles or is refused, and any compiled template renders within its
//! limits — output bytes, evaluation steps, macro depth — without panicking, whatever `$input`
//! holds. The input is `template \0 body`; the body is what `$input.body` returns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::json::Parsed;
use tollgate::vtl::{compile, render, Env, Limits, Value};

struct FuzzEnv<'a> {
    body: &'a [u8],
    /// A parsed document, so borrowed values (`Value::Json`, `Text`, `JsonText`) meet every
    /// directive and method as well as owned ones.
    parsed: Parsed,
}

const DOC: &[u8] = br#"{"name":"Rex","n":3,"f":-2.5,"tags":["a",null,true],"pet":{"id":9223372036854775807}}"#;

fn doc() -> Value<'static> {
    Value::Map(vec![
        ("name".into(), Value::str("Rex")),
        ("n".into(), Value::Int(3)),
        ("f".into(), Value::Float(-2.5)),
        (
            "tags".into(),
            Value::List(vec![Value::str("a"), Value::Null, Value::Bool(true)]),
        ),
        (
            "pet".into(),
            Value::Map(vec![("id".into(), Value::Int(i64::MAX))]),
        ),
    ])
}

impl Env for FuzzEnv<'_> {
    fn body(&self) -> &[u8] {
        self.body
    }
    fn json(&self, path: &str) -> Value<'_> {
        match path {
            "$" => Value::str(&String::from_utf8_lossy(self.body)),
            "$.tags" => Value::JsonText(self.parsed.root().field("tags").unwrap()),
            _ => Value::JsonText(self.parsed.root()),
        }
    }
    fn path(&self, path: &str) -> Value<'_> {
        match path {
            "$" => Value::from_node(self.parsed.root()),
            "$.owned" => doc(),
            p if p.len() % 2 == 0 => Value::List(vec![doc(), Value::str(p), Value::from_node(self.parsed.root())]),
            _ => Value::Null,
        }
    }
    fn params(&self, name: Option<&str>) -> Value<'_> {
        match name {
            Some(n) => Value::str(n),
            None => Value::Map(vec![(
                "path".into(),
                Value::Map(vec![("id".into(), Value::str("42"))]),
            )]),
        }
    }
    fn root(&self, name: &str) -> Option<Value<'_>> {
        match name {
            "context" => Some(Value::Map(vec![("stage".into(), Value::str("prod"))])),
            "stageVariables" => Some(doc()),
            _ => None,
        }
    }
}

const LIMITS: Limits = Limits {
    max_output: 1 << 16,
    max_steps: 50_000,
    max_iterations: 1000,
    max_depth: 20,
};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let Ok(src) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let Ok(program) = compile(src) else {
        return;
    };
    for p in program.literal_paths() {
        assert!(src.contains(p), "literal path {p:?} is not in the source");
    }
    let env = FuzzEnv {
        body: data.get(split + 1..).unwrap_or(&[]),
        parsed: Parsed::parse(DOC).expect("a JSON document"),
    };
    let mut out = Vec::new();
    let _ = render(&program, &env, LIMITS, &mut out);
    assert!(out.len() <= LIMITS.max_output);
});
