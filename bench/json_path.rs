//! JSON body cost: parsing a 1 KB and a 16 KB body (serde_json::Value today; the per-core
//! simd-json document will replace it), and evaluating typical mapping-template paths over the
//! 16 KB one. Run with `cargo bench --bench json_path`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tollgate::json::{compile, parse_body, write_json};

/// A body of `items` order lines, about 70 bytes each (13 give 1 KB, 225 give 16 KB).
fn body(items: usize) -> Vec<u8> {
    let mut s = String::from(r#"{"customer":{"id":"c-123","name":"Ada","tier":"gold"},"items":["#);
    for i in 0..items {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"sku":"SKU-{i:05}","qty":{},"price":{}.99,"tags":["a","b"],"gift":{}}}"#,
            i % 7 + 1,
            i % 50,
            i % 2 == 0
        ));
    }
    s.push_str("]}");
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let small = body(13);
    let large = body(225);
    assert!((800..1400).contains(&small.len()), "{}", small.len());
    assert!((14_000..20_000).contains(&large.len()), "{}", large.len());
    c.bench_function("json_parse_1k", |b| {
        b.iter(|| parse_body(black_box(&small)).unwrap())
    });
    c.bench_function("json_parse_16k", |b| {
        b.iter(|| parse_body(black_box(&large)).unwrap())
    });

    let doc = parse_body(&large).unwrap();
    let mut out = Vec::with_capacity(64 * 1024);
    for (name, path) in [
        ("definite", "$.customer.name"),
        ("index", "$.items[-1].sku"),
        ("wildcard", "$.items[*].sku"),
        ("filter", "$.items[?(@.qty > 3 && @.gift == true)].price"),
        ("deep_scan", "$..sku"),
    ] {
        let p = compile(path).unwrap();
        c.bench_function(&format!("json_path_{name}"), |b| {
            b.iter(|| {
                out.clear();
                write_json(&p.eval(black_box(doc.root())), &mut out);
                out.len()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
