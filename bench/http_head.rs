//! HTTP framing hot path: request head parse (browser-like and curl-like heads), chunked body
//! decode (16 KiB), and a JSON error response encode. Compare runs on the same machine only.
//!
//! `cargo bench --bench http_head -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tollgate::http::body::ChunkedDecoder;
use tollgate::http::request::{parse, RequestHead};
use tollgate::http::response;
use tollgate::http::Limits;

const BROWSER: &[u8] = b"GET /prod/pets/42?include=owner&limit=10 HTTP/1.1\r\n\
Host: abcdef1234.execute-api.us-east-1.amazonaws.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept: application/json, text/plain, */*\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Referer: https://app.example.com/pets\r\n\
Origin: https://app.example.com\r\n\
x-api-key: 0123456789abcdefghij0123456789ABCDEFGHIJ\r\n\
Connection: keep-alive\r\n\
Sec-Fetch-Mode: cors\r\n\r\n";

const CURL: &[u8] = b"GET /prod/pets HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

fn chunked_16k() -> Vec<u8> {
    // 16 KiB of data in 1 KiB chunks, plus one extension and a trailer, as a streaming client
    // might send it.
    let mut body = Vec::new();
    for i in 0..16 {
        if i == 3 {
            body.extend_from_slice(b"400;name=value\r\n");
        } else {
            response::chunk_header(&mut body, 1024);
        }
        body.extend(std::iter::repeat_n(b'a' + i as u8, 1024));
        response::chunk_end(&mut body);
    }
    body.extend_from_slice(b"0\r\nX-Checksum: 1\r\n\r\n");
    body
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let mut head = RequestHead::new();

    let mut g = c.benchmark_group("request_head");
    for (name, buf) in [("browser_get", BROWSER), ("curl_get", CURL)] {
        assert!(matches!(parse(buf, &limits, &mut head), Ok(Some(_))));
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| parse(black_box(buf), &limits, &mut head).unwrap())
        });
    }
    // Baseline: httparse alone on the same bytes, to show what our checks add.
    for (name, buf) in [
        ("httparse_only/browser_get", BROWSER),
        ("httparse_only/curl_get", CURL),
    ] {
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut headers = [httparse::EMPTY_HEADER; 32];
                let mut req = httparse::Request::new(&mut headers);
                req.parse(black_box(buf)).unwrap().unwrap()
            })
        });
    }
    g.finish();

    let body = chunked_16k();
    let mut out = Vec::with_capacity(32 * 1024);
    let mut g = c.benchmark_group("chunked");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("decode_16k", |b| {
        b.iter(|| {
            out.clear();
            let mut d = ChunkedDecoder::new(10 << 20);
            d.decode(black_box(&body), &mut out).unwrap()
        })
    });
    g.bench_function("scan_16k", |b| {
        b.iter(|| {
            ChunkedDecoder::new(10 << 20)
                .scan(black_box(&body))
                .unwrap()
        })
    });
    g.finish();

    let mut w = Vec::with_capacity(1024);
    c.bench_function("response/json_error", |b| {
        b.iter(|| {
            w.clear();
            response::json_error(
                &mut w,
                black_box(429),
                "Too Many Requests",
                None,
                b"6f1b5c1e-7c1d-4b8a-9a53-0a3a1f0c9d11",
                b"Sun, 06 Nov 1994 08:49:37 GMT",
                true,
                false,
            );
            w.len()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
