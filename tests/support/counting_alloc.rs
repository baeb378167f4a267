//! The counting global allocator the allocation tests share (each test binary that includes this
//! file installs it): it counts every allocation (`allocations`) and the bytes live right now
//! (`live_bytes`), and with `trace(n)` prints a backtrace for each of the next `n` allocations
//! (a debugging aid for when a zero-allocation test fails; `TOLLGATE_ALLOC_TRACE=1` turns it on
//! in `tests/alloc_free.rs`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

pub struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicI64 = AtomicI64::new(0);
static TRACE: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static IN_TRACE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

// Each test binary uses the counter it asserts on; the other is unused there.
/// Allocations (including reallocations) made so far, process-wide.
#[allow(dead_code)]
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::SeqCst)
}

/// Heap bytes allocated and not yet freed, process-wide.
#[allow(dead_code)]
pub fn live_bytes() -> i64 {
    LIVE.load(Ordering::SeqCst)
}

/// Prints where each of the next `n` allocations comes from.
#[allow(dead_code)]
pub fn trace(n: u64) {
    TRACE.store(n, Ordering::SeqCst);
}

fn counted(bytes: i64) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    LIVE.fetch_add(bytes, Ordering::Relaxed);
    if TRACE.load(Ordering::Relaxed) == 0 {
        return;
    }
    IN_TRACE.with(|t| {
        // The backtrace allocates too: do not trace the tracer.
        if t.get() {
            return;
        }
        t.set(true);
        if TRACE.fetch_sub(1, Ordering::Relaxed) > 0 {
            eprintln!(
                "ALLOCATION:\n{}",
                std::backtrace::Backtrace::force_capture()
            );
        }
        t.set(false);
    });
}

// SAFETY: every call is delegated unchanged to the system allocator; the only additions are
// relaxed counter updates (and, when tracing, a backtrace print guarded against re-entry), which
// cannot affect the memory returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            counted(layout.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            counted(layout.size() as i64);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            counted(new_size as i64 - layout.size() as i64);
        }
        p
    }
}
