//! JSON allocation counts on the request path: once a core's parse store has grown to the size of
//! the bodies it sees, parsing a body (simd-json into the pooled tape), evaluating definite
//! JSONPaths (`Path::eval_definite`, and `eval`, which takes the same road) and writing the
//! result into a buffer that already has room allocate nothing. This is the
//! `$input.json('$.a.b')` / `method.request.body.a.b` steady state.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

use tollgate::json::{compile, parse_body, write_json, write_text, Found};

const BODY: &[u8] =
    br#"{"user": {"name": "Bob \"B\" \u00e9", "tags": ["a", "b"], "age": 42, "score": 1.5}}"#;

#[test]
fn parsing_definite_paths_and_serialisation_do_not_allocate() {
    let paths: Vec<_> = [
        "$.user.name",
        "$.user.tags[-1]",
        "$['user']['age']",
        "$.user.score",
        "$.user",
        "$.user.missing",
    ]
    .iter()
    .map(|p| compile(p).unwrap())
    .collect();
    let mut out = Vec::with_capacity(4096);
    // Warm-up: the thread's pool gets a store sized for this body.
    drop(parse_body(BODY).unwrap());
    let before = counting_alloc::allocations();
    for _ in 0..100 {
        let doc = parse_body(BODY).unwrap();
        for p in &paths {
            out.clear();
            let found = p.eval(doc.root());
            assert!(matches!(found, Found::One(_)));
            write_json(&found, &mut out);
            out.clear();
            write_text(&found, &mut out);
        }
    }
    assert_eq!(counting_alloc::allocations() - before, 0);
}
