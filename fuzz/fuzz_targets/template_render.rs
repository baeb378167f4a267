//! VTL templates: any text compiles or is refused, and any compiled template renders within its
//! limits — output bytes, evaluation steps, macro depth — without panicking, whatever `$input`
//! holds. The input is `template \0 body`; the body is what `$input.body` returns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::vtl::{compile, render, Env, Limits, Value};

struct FuzzEnv<'a> {
    body: &'a [u8],
}

fn doc() -> Value {
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
    fn json(&self, path: &str) -> Value {
        match path {
            "$" => Value::str(&String::from_utf8_lossy(self.body)),
            _ => Value::str("{\"a\":[1,2.5,\"x\"]}"),
        }
    }
    fn path(&self, path: &str) -> Value {
        match path {
            "$" => doc(),
            p if p.len() % 2 == 0 => Value::List(vec![doc(), Value::str(p)]),
            _ => Value::Null,
        }
    }
    fn params(&self, name: Option<&str>) -> Value {
        match name {
            Some(n) => Value::str(n),
            None => Value::Map(vec![(
                "path".into(),
                Value::Map(vec![("id".into(), Value::str("42"))]),
            )]),
        }
    }
    fn root(&self, name: &str) -> Option<Value> {
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
    };
    let mut out = Vec::new();
    let _ = render(&program, &env, LIMITS, &mut out);
    assert!(out.len() <= LIMITS.max_output);
});
