//! Cost of rendering an integration target with mapped values (decode once, encode for the
//! place, dot-segment check) against copying the same client bytes raw, which is what Tollgate did
//! before values were encoded. Run with `cargo bench --bench target_render`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tollgate::deploy::snapshot::{ParamSource, UriPart};
use tollgate::pipeline::params::query_first;
use tollgate::pipeline::target::{render, RawValues, Template};

fn bench(c: &mut Criterion) {
    let path = [
        UriPart::Literal("/static/".into()),
        UriPart::Param {
            name: "proxy".into(),
            source: ParamSource::PathCapture(0),
            greedy: true,
        },
    ];
    let params: Vec<(Box<str>, ParamSource)> = vec![
        ("q".into(), ParamSource::Query("q".into())),
        ("h".into(), ParamSource::Header("h".into())),
    ];
    let t = Template {
        path: &path,
        fixed_query: None,
        query_params: &params,
        pass_client_query: false,
    };
    let v = RawValues {
        capture: b"reports/2026/q3%20summary.pdf",
        query: b"q=annual+report&x=1",
        header: b"tenant-42",
    };
    let mut out = Vec::with_capacity(512);
    let mut g = c.benchmark_group("target");
    g.bench_function("render_encoded", |b| {
        b.iter(|| {
            out.clear();
            render(black_box(&t), black_box(&v), &mut out).unwrap();
            black_box(out.len())
        })
    });
    // The old behaviour: the same values copied raw, with the same separators.
    g.bench_function("copy_raw", |b| {
        b.iter(|| {
            out.clear();
            let v = black_box(&v);
            out.extend_from_slice(b"/static/");
            out.extend_from_slice(v.capture);
            out.extend_from_slice(b"?q=");
            out.extend_from_slice(query_first(v.query, b"q").unwrap());
            out.extend_from_slice(b"&h=");
            out.extend_from_slice(v.header);
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
