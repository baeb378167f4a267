//! JSONPath evaluation allocation counts: a definite path (`Path::eval_definite`, and `eval`,
//! which takes the same road) allocates nothing, and `write_json` into a buffer that already has
//! room allocates nothing, so the `$input.json('$.a.b')` steady state is allocation-free once
//! the body is parsed. (Parsing into serde_json::Value still allocates; the per-core simd-json
//! document that removes it is not built yet.)

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

use tollgate::json::{compile, parse_body, write_json, write_text, Found};

#[test]
fn definite_paths_and_serialisation_do_not_allocate() {
    let doc = parse_body(br#"{"user": {"name": "Bob", "tags": ["a", "b"], "age": 42}}"#).unwrap();
    let paths: Vec<_> = [
        "$.user.name",
        "$.user.tags[-1]",
        "$['user']['age']",
        "$.user.missing",
    ]
    .iter()
    .map(|p| compile(p).unwrap())
    .collect();
    let mut out = Vec::with_capacity(4096);
    let before = counting_alloc::allocations();
    for _ in 0..100 {
        for p in &paths {
            out.clear();
            let found = p.eval(&doc);
            assert!(matches!(found, Found::One(_)));
            write_json(&found, &mut out);
            out.clear();
            write_text(&found, &mut out);
        }
    }
    assert_eq!(counting_alloc::allocations() - before, 0);
}
