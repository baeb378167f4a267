//! JSONPath: any path text compiles or is refused, and any compiled path evaluates over any JSON
//! document without panicking and within its node-visit budget; the serialisations never fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::json::{compile, parse_body, write_json, write_text};

fuzz_target!(|data: &[u8]| {
    // The first line is the path, the rest the body.
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(path) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let Ok(path) = compile(path) else {
        return;
    };
    let Ok(doc) = parse_body(data.get(split + 1..).unwrap_or(&[])) else {
        return;
    };
    let found = path.eval(doc.root());
    if path.is_definite() {
        assert_eq!(found, tollgate::json::Found::One(path.eval_definite(doc.root())));
    }
    let mut out = Vec::new();
    write_json(&found, &mut out);
    assert!(parse_body(&out).is_ok(), "write_json wrote invalid JSON");
    write_text(&found, &mut out);
});
