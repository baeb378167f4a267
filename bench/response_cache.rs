//! The stage cache's hit path, per-core (`core::response_cache`, quick_cache's unsync cache
//! behind a `RefCell`) against one map shared by all cores (`papaya`, lock-free): the
//! composition and lookup of a 40-byte key, the flush check, and copying the stored 1 KiB response into a reused
//! write buffer (what `pipeline::cache::serve` does). `*_contended` runs the same lookups while a
//! second thread hits the same key: on the shared map both cores touch the same entry and the
//! map's epoch counters; per core, the other thread has its own cache (as the workers do).
//! Run with `cargo bench --bench response_cache`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tollgate::core::response_cache::{self, Found, ResponseCache, StageRef, Stored};

const KEY: &[u8] = b"\x00\x00\x00\x00GET\x00/pets/{petId}\x00\x0142\x00r1abc";

fn stored() -> Stored {
    Stored {
        status: 200,
        head: b"Content-Type: application/json\r\nX-Backend: yes\r\n"[..].into(),
        body: vec![b'x'; 1024].into(),
    }
}

fn per_core() -> (ResponseCache, Arc<response_cache::StageCacheControl>) {
    let cache = ResponseCache::default();
    let control = response_cache::control("bench", "prod");
    let at = StageRef {
        control: &control,
        scope: 1,
        generation: 1,
        budget: 64 << 20,
    };
    let fill = cache.with_key(
        |k| k.extend_from_slice(KEY),
        |c, h, key| match c.begin(h, key) {
            Found::Fetch(f) => f,
            Found::Wait(_) => unreachable!(),
        },
    );
    cache.complete(
        at,
        fill,
        stored(),
        u64::MAX,
        control.seq(),
        b"/pets/42",
        b"/pets/{petId}",
    );
    (cache, control)
}

fn per_core_hit(
    cache: &ResponseCache,
    control: &response_cache::StageCacheControl,
    w: &mut Vec<u8>,
) {
    let at = StageRef {
        control,
        scope: 1,
        generation: 1,
        budget: 64 << 20,
    };
    let hit = cache.with_key(
        |k| k.extend_from_slice(black_box(KEY)),
        |c, h, key| c.get(at, h, key, 1),
    );
    let s = hit.expect("hit");
    w.clear();
    w.extend_from_slice(&s.head);
    w.extend_from_slice(&s.body);
}

type Shared = papaya::HashMap<Box<[u8]>, Arc<Stored>, ahash::RandomState>;

fn shared() -> Arc<Shared> {
    let m = Shared::with_hasher(ahash::RandomState::new());
    m.pin().insert(KEY.into(), Arc::new(stored()));
    Arc::new(m)
}

fn shared_hit(m: &Shared, w: &mut Vec<u8>) {
    // The key is composed per request on either design (here into the write buffer's tail).
    thread_local!(static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(256)));
    let g = m.pin();
    let s = SCRATCH.with(|k| {
        let mut k = k.borrow_mut();
        k.clear();
        k.extend_from_slice(black_box(KEY));
        g.get(&k[..]).expect("hit").clone()
    });
    w.clear();
    w.extend_from_slice(&s.head);
    w.extend_from_slice(&s.body);
}

/// Runs `f` while another thread runs `other` in a loop.
fn contended(other: impl Fn() + Send + 'static, f: impl FnOnce()) {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let t = std::thread::spawn(move || {
        while !s.load(Ordering::Relaxed) {
            other();
        }
    });
    f();
    stop.store(true, Ordering::Relaxed);
    t.join().unwrap();
}

fn bench(c: &mut Criterion) {
    let mut w = Vec::with_capacity(4096);
    let (cache, control) = per_core();
    c.bench_function("per_core_hit", |b| {
        b.iter(|| per_core_hit(&cache, &control, &mut w))
    });
    let map = shared();
    c.bench_function("papaya_hit", |b| b.iter(|| shared_hit(&map, &mut w)));

    // The other core hits its own per-core cache (nothing shared).
    contended(
        || {
            thread_local!(static MINE: (ResponseCache, Arc<response_cache::StageCacheControl>) = per_core());
            MINE.with(|(c, ctl)| {
                let mut w = Vec::with_capacity(4096);
                for _ in 0..1000 {
                    per_core_hit(c, ctl, &mut w);
                }
            });
        },
        || {
            c.bench_function("per_core_hit_contended", |b| {
                b.iter(|| per_core_hit(&cache, &control, &mut w))
            });
        },
    );
    let other = map.clone();
    contended(
        move || {
            let mut w = Vec::with_capacity(4096);
            for _ in 0..1000 {
                shared_hit(&other, &mut w);
            }
        },
        || {
            c.bench_function("papaya_hit_contended", |b| {
                b.iter(|| shared_hit(&map, &mut w))
            });
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
