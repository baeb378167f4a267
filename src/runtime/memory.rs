//! Giving a connection spike's heap back to the operating system.
//!
//! glibc's malloc keeps freed memory in its arenas: after thousands of connections close, the
//! process would stay ~90 MiB larger for ever (measured with `bench/conn_memory.py`), because
//! free chunks below a live allocation are never returned by `free` itself. `malloc_trim(0)`
//! returns every free page of every arena (madvise), which brings RSS back to within a few MiB.
//! mimalloc was measured against it and kept more (see the commit that chose this).
//!
//! Each worker calls `Trim::tick` on its periodic tick. A trim runs only after a spike ended —
//! `SPIKE` connections fewer than the high-water mark since the last trim, or `SPIKE` working sets
//! freed by the buffer pool, and the count no longer falling — so steady traffic never pays for
//! it. It runs on the worker thread between requests: 1–9 ms (measured after 5,000
//! connections) once per spike, never per request.

use std::cell::Cell;

/// Connections closed (or working sets freed) since the last trim that make the next one worth it
/// (at ~4–20 KiB each, at least 4 MiB to give back).
const SPIKE: usize = 1024;

#[derive(Default)]
pub struct Trim {
    high_water: Cell<usize>,
    freed_at_last: Cell<usize>,
    /// `open` at the previous tick: while it still falls the spike is not over.
    last_open: Cell<usize>,
    last_freed: Cell<usize>,
}

impl Trim {
    /// `open`: connections open now; `freed`: working sets the pool has freed so far (a total).
    /// Returns whether it trimmed.
    pub fn tick(&self, open: usize, freed: usize) -> bool {
        self.high_water.set(self.high_water.get().max(open));
        let settled = open >= self.last_open.get() && freed == self.last_freed.get();
        self.last_open.set(open);
        self.last_freed.set(freed);
        let closed = self.high_water.get() - open;
        let freed_since = freed.saturating_sub(self.freed_at_last.get());
        if !settled || (closed < SPIKE && freed_since < SPIKE) {
            return false;
        }
        self.high_water.set(open);
        self.freed_at_last.set(freed);
        release_free_heap();
        true
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_heap() {
    // SAFETY: malloc_trim takes no pointers and is thread-safe (it locks each arena in turn);
    // it only returns free pages to the kernel, never memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators (musl's, for one) return memory on `free` or offer no such call.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_heap() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_only_after_a_spike_of_closes_or_frees() {
        let t = Trim::default();
        assert!(!t.tick(10, 0));
        assert!(
            !t.tick(5000, 0),
            "connections opening is not a spike ending"
        );
        assert!(!t.tick(4000, 0), "fewer than SPIKE closed");
        assert!(!t.tick(3000, 0), "2000 closed, but still falling");
        assert!(
            t.tick(3000, 0),
            "2000 closed since the high-water mark, settled"
        );
        assert!(!t.tick(2500, 0), "the mark restarts at the trim");
        assert!(!t.tick(2500, SPIKE - 1));
        assert!(!t.tick(2500, SPIKE + 10), "the pool is still freeing sets");
        assert!(t.tick(2500, SPIKE + 10), "many working sets freed, settled");
        assert!(!t.tick(2500, SPIKE + 10));
    }
}
