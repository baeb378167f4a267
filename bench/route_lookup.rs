//! Router lookup cost on a 200-resource API: a literal path, a 3-parameter path, a greedy path
//! and a miss. Run with `cargo bench --bench route_lookup`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tollgate::deploy::router::{Captures, Route, Router};
use tollgate::deploy::snapshot::MethodIdx;

fn router() -> Router {
    let mut paths = Vec::new();
    for i in 0..49 {
        paths.push(format!("/s{i}"));
        paths.push(format!("/s{i}/items"));
        paths.push(format!("/s{i}/items/{{id}}"));
        paths.push(format!("/s{i}/items/{{id}}/parts/{{partId}}/v/{{ver}}"));
    }
    paths.push("/files".to_string());
    paths.push("/files/{path+}".to_string());
    paths.push("/health".to_string());
    paths.push("/pets".to_string());
    assert_eq!(paths.len(), 200);
    let routes: Vec<Route<'_>> = paths
        .iter()
        .enumerate()
        .map(|(i, path)| Route {
            path,
            method: if i % 3 == 0 { "ANY" } else { "GET" },
            idx: MethodIdx(i as u32),
        })
        .collect();
    Router::build(routes).expect("valid routes")
}

fn bench(c: &mut Criterion) {
    let r = router();
    let cases: [(&str, &[u8], bool); 4] = [
        ("literal", b"/s37/items", true),
        ("three_params", b"/s37/items/12345/parts/9/v/2", true),
        ("greedy", b"/files/a/b/c/report.txt", true),
        ("miss", b"/s37/nothing/here", false),
    ];
    let mut group = c.benchmark_group("route_lookup");
    for (name, path, hit) in cases {
        let mut caps = Captures::default();
        assert_eq!(r.lookup(b"GET", path, &mut caps).is_some(), hit, "{name}");
        group.bench_function(name, |b| {
            let mut caps = Captures::default();
            b.iter(|| r.lookup(black_box(b"GET"), black_box(path), &mut caps))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
