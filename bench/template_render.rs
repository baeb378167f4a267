//! Mapping-template render cost: a typical request template (PetStore-style body rearrangement
//! with `$input.path`, `$input.json`, `$input.params`, `$context`) and a typical response
//! template (`#foreach` over a 10-item list), over an `Env` backed by serde_json. Prints the heap
//! allocations of one render (a counting global allocator) before timing.
//! Run with `cargo bench --bench template_render`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
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

/// `$input` over a parsed serde_json body; JSONPaths `$`, `$.a.b`, `$.a[0]` via JSON pointers.
struct JsonEnv {
    body: Vec<u8>,
    doc: serde_json::Value,
    context: Value,
}

impl JsonEnv {
    fn new(body: &str) -> Self {
        JsonEnv {
            body: body.as_bytes().to_vec(),
            doc: serde_json::from_str(body).unwrap(),
            context: Value::Map(vec![
                ("stage".into(), Value::str("prod")),
                (
                    "requestId".into(),
                    Value::str("c6af9ac6-7b61-11e6-9a41-93e8deadbeef"),
                ),
                (
                    "identity".into(),
                    Value::Map(vec![("sourceIp".into(), Value::str("192.0.2.1"))]),
                ),
            ]),
        }
    }
    fn sel(&self, path: &str) -> Option<&serde_json::Value> {
        let rest = path.strip_prefix('$')?;
        let ptr = rest.replace(['.', '['], "/").replace(']', "");
        self.doc.pointer(&ptr)
    }
}

impl Env for JsonEnv {
    fn body(&self) -> &[u8] {
        &self.body
    }
    fn json(&self, path: &str) -> Value {
        Value::str(&self.sel(path).map(|j| j.to_string()).unwrap_or_default())
    }
    fn path(&self, path: &str) -> Value {
        self.sel(path).map(Value::from_json).unwrap_or(Value::Null)
    }
    fn params(&self, name: Option<&str>) -> Value {
        match name {
            Some("petId") => Value::str("7"),
            Some(_) => Value::str(""),
            None => Value::Map(vec![]),
        }
    }
    fn root(&self, name: &str) -> Option<Value> {
        (name == "context").then(|| self.context.clone())
    }
    fn root_prop(&self, name: &str, prop: &str) -> Option<Value> {
        (name == "context")
            .then(|| self.context.map_get(prop).cloned())
            .flatten()
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
  "source": "$context.identity.sourceIp"
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

fn allocs_per_render(p: &Program, env: &JsonEnv, out: &mut Vec<u8>) -> u64 {
    out.clear();
    render(p, env, Limits::default(), out).unwrap();
    out.clear();
    let before = ALLOCS.load(Ordering::Relaxed);
    render(p, env, Limits::default(), out).unwrap();
    ALLOCS.load(Ordering::Relaxed) - before
}

fn bench(c: &mut Criterion) {
    let req_env = JsonEnv::new(
        r#"{"type":"dog","price":249.99,"owner":{"name":"Ada","id":"u-1"},"tags":["a","b","c"]}"#,
    );
    let resp_env = JsonEnv::new(&pets(10));
    let req = compile(REQUEST).unwrap();
    let resp = compile(RESPONSE).unwrap();
    let mut out = Vec::with_capacity(64 * 1024);
    println!(
        "allocations per render: request template {}, response template (10 items) {}",
        allocs_per_render(&req, &req_env, &mut out),
        allocs_per_render(&resp, &resp_env, &mut out)
    );
    c.bench_function("vtl_request_template", |b| {
        b.iter(|| {
            out.clear();
            render(black_box(&req), &req_env, Limits::default(), &mut out).unwrap();
        })
    });
    c.bench_function("vtl_response_template_10", |b| {
        b.iter(|| {
            out.clear();
            render(black_box(&resp), &resp_env, Limits::default(), &mut out).unwrap();
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
