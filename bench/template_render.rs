//! Mapping-template render cost: a typical request template (PetStore-style body rearrangement
//! with `$input.path`, `$input.json`, `$input.params`, `$context`, `$util`) and a typical
//! response template (`#foreach` over a 10-item list), each timed with the body's parse (the
//! gateway's pooled simd-json tape), as a request runs them. Prints the heap allocations of one
//! parse + render (a counting global allocator) before timing.
//! Run with `cargo bench --bench template_render`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use tollgate::json::{compile as compile_path, parse_body, Found, Parsed, Path};
use tollgate::vtl::{compile, render, Env, Limits, Program, Value};

/// Counts allocations; everything else is the system allocator's.
struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract `System` meets is met here; the counter is a relaxed atomic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded as received (see the impl's comment).
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` came from `System.alloc`/`realloc` through this allocator.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded as received (see the impl's comment).
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// `$input` over the gateway's own parse of the body (the pooled simd-json tape) and JSONPaths
/// compiled before rendering, as a deployment compiles a template's literal paths.
struct JsonEnv<'b> {
    body: &'b [u8],
    doc: Parsed,
    paths: &'b [(&'static str, Path)],
}

impl<'b> JsonEnv<'b> {
    fn new(body: &'b [u8], paths: &'b [(&'static str, Path)]) -> Self {
        JsonEnv {
            body,
            doc: parse_body(body).unwrap(),
            paths,
        }
    }
    fn sel(&self, path: &str) -> Found<'_> {
        let p = &self.paths.iter().find(|(s, _)| *s == path).unwrap().1;
        p.eval(self.doc.root())
    }
}

impl Env for JsonEnv<'_> {
    fn body(&self) -> &[u8] {
        self.body
    }
    fn json(&self, path: &str) -> Value<'_> {
        match self.sel(path) {
            Found::One(Some(n)) => Value::JsonText(n),
            _ => Value::Text("\"\""),
        }
    }
    fn path(&self, path: &str) -> Value<'_> {
        match self.sel(path) {
            Found::One(Some(n)) => Value::from_node(n),
            _ => Value::Null,
        }
    }
    fn params(&self, name: Option<&str>) -> Value<'_> {
        match name {
            Some("petId") => Value::Text("7"),
            Some(_) => Value::Text(""),
            None => Value::Map(vec![]),
        }
    }
    fn root(&self, _name: &str) -> Option<Value<'_>> {
        None
    }
    fn root_prop(&self, name: &str, prop: &str) -> Option<Value<'_>> {
        match (name, prop) {
            ("context", "stage") => Some(Value::Text("prod")),
            ("context", "requestId") => Some(Value::Text("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")),
            _ => None,
        }
    }
}

const REQUEST: &str = r#"#set($inputRoot = $input.path('$'))
{
  "petId": "$input.params('petId')",
  "stage": "$context.stage",
  "requestId": "$context.requestId",
  "type": "$inputRoot.type",
  "price": $inputRoot.price,
  "owner": $input.json('$.owner'),
  "tags": $input.json('$.tags'),
  "name": "$util.escapeJavaScript($inputRoot.name)"
}"#;

const RESPONSE: &str = r#"#set($inputRoot = $input.path('$'))
[
#foreach($elem in $inputRoot)
  {
    "number": $elem.id,
    "class": "$elem.type",
    "salesPrice": $elem.price
  }#if($foreach.hasNext),#end

#end
]"#;

fn pets(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":{i},"type":"{}","price":{}.99}}"#,
                ["dog", "cat", "fish"][i % 3],
                10 + i
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// Parses `body` and renders `p` over it, as a request does.
fn parse_and_render(p: &Program, body: &[u8], paths: &[(&'static str, Path)], out: &mut Vec<u8>) {
    out.clear();
    let env = JsonEnv::new(body, paths);
    render(p, &env, Limits::default(), out).unwrap();
}

fn allocs_per_render(
    p: &Program,
    body: &[u8],
    paths: &[(&'static str, Path)],
    out: &mut Vec<u8>,
) -> u64 {
    parse_and_render(p, body, paths, out);
    let before = ALLOCS.load(Ordering::Relaxed);
    parse_and_render(p, body, paths, out);
    ALLOCS.load(Ordering::Relaxed) - before
}

fn compiled(paths: &[&'static str]) -> Vec<(&'static str, Path)> {
    paths
        .iter()
        .map(|p| (*p, compile_path(p).unwrap()))
        .collect()
}

fn bench(c: &mut Criterion) {
    let req_body =
        br#"{"type":"dog","price":249.99,"name":"Rex","owner":{"name":"Ada","id":"u-1"},"tags":["a","b","c"]}"#;
    let resp_body = pets(10);
    let paths = compiled(&["$", "$.owner", "$.tags"]);
    let req = compile(REQUEST).unwrap();
    let resp = compile(RESPONSE).unwrap();
    let mut out = Vec::with_capacity(64 * 1024);
    println!(
        "allocations per parse + render: request template {}, response template (10 items) {}",
        allocs_per_render(&req, req_body, &paths, &mut out),
        allocs_per_render(&resp, resp_body.as_bytes(), &paths, &mut out)
    );
    c.bench_function("vtl_request_template", |b| {
        b.iter(|| parse_and_render(black_box(&req), req_body, &paths, &mut out))
    });
    c.bench_function("vtl_response_template_10", |b| {
        b.iter(|| parse_and_render(black_box(&resp), resp_body.as_bytes(), &paths, &mut out))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
