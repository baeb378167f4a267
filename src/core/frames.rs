//! A per-core pool of heap frames for the one large future a busy connection runs (its request
//! loop with the pipeline inside), so an idle connection's task does not carry that space.
//!
//! monoio boxes each spawned task at the size of its largest state. A connection task that
//! awaited the request loop directly would be ~3–4 KB for its whole life, idle or not (every
//! `monoio::time::Sleep` alone is 640 bytes). Instead the task awaits `FramePool::frame_with(|| fut)`,
//! which moves `fut` into a pooled block and holds only a pointer: the task stays small, and the
//! block goes back to the pool when the future is dropped (the connection went idle).
//!
//! Blocks are sized by the first future framed (`Layout::new::<F>()`); a future of another layout
//! gets a block of its own that is freed, not pooled. The pool keeps at most `max_spare` blocks.
//! Steady state allocates nothing: a block is taken and given back per busy period.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

pub struct FramePool {
    /// The layout of the pooled blocks, fixed by the first `frame_with` call.
    layout: Cell<Option<Layout>>,
    spare: RefCell<Vec<NonNull<u8>>>,
    max_spare: usize,
}

impl FramePool {
    pub fn new(max_spare: usize) -> FramePool {
        FramePool {
            layout: Cell::new(None),
            spare: RefCell::new(Vec::with_capacity(max_spare)),
            max_spare,
        }
    }

    /// Builds the future `make` returns straight into a pooled block; the returned future polls
    /// it there. Returning a large value into a pointer lets the compiler construct it in place,
    /// where taking the future by value would first build it elsewhere and copy the whole state
    /// machine (kilobytes, once per busy period).
    #[inline(always)]
    pub fn frame_with<F: Future>(&self, make: impl FnOnce() -> F) -> Framed<'_, F> {
        let ptr = self.take(Layout::new::<F>()).cast::<F>();
        // SAFETY: `ptr` is valid for writes of one `F` (a block of `F`'s own layout, or dangling
        // and well aligned when `F` is zero-sized) and holds no value yet. Should `make` panic,
        // nothing was written and the block is merely not returned to the pool (a leak, no UB).
        unsafe { ptr.as_ptr().write(make()) };
        Framed {
            pool: self,
            ptr,
            _owns: PhantomData,
        }
    }

    /// Spare blocks held right now.
    pub fn spare(&self) -> usize {
        self.spare.borrow().len()
    }

    fn take(&self, layout: Layout) -> NonNull<u8> {
        if layout.size() == 0 {
            return dangling(layout);
        }
        if self.layout.get().is_none() {
            self.layout.set(Some(layout));
        }
        if self.layout.get() == Some(layout) {
            if let Some(block) = self.spare.borrow_mut().pop() {
                return block;
            }
        }
        // SAFETY: `layout` has a non-zero size (checked above).
        let block = unsafe { alloc(layout) };
        NonNull::new(block).unwrap_or_else(|| handle_alloc_error(layout))
    }

    /// Takes back a block of `layout` whose value was dropped.
    fn give(&self, block: NonNull<u8>, layout: Layout) {
        if layout.size() == 0 {
            return;
        }
        let mut spare = self.spare.borrow_mut();
        if self.layout.get() == Some(layout) && spare.len() < self.max_spare {
            spare.push(block);
        } else {
            // SAFETY: `block` came from `alloc(layout)` in `take` and is given back once.
            unsafe { dealloc(block.as_ptr(), layout) };
        }
    }
}

impl Drop for FramePool {
    fn drop(&mut self) {
        if let Some(layout) = self.layout.get() {
            for block in self.spare.get_mut().drain(..) {
                // SAFETY: every spare block was allocated with the pool's `layout` and holds no
                // value; the pool is going away, so nothing hands it out again.
                unsafe { dealloc(block.as_ptr(), layout) };
            }
        }
    }
}

fn dangling(layout: Layout) -> NonNull<u8> {
    // A zero-sized value needs no storage, only an aligned non-null address.
    NonNull::new(layout.align() as *mut u8).expect("alignment is non-zero")
}

/// A future living in a pooled block. Dropping it drops the future and returns the block.
pub struct Framed<'p, F: Future> {
    pool: &'p FramePool,
    ptr: NonNull<F>,
    /// For drop check: this owns an `F` (and whatever it borrows must outlive it).
    _owns: PhantomData<F>,
}

impl<F: Future> Future for Framed<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `ptr` points to the initialized `F` written in `frame_with`, owned by this `Framed`
        // and never moved out of its block (which is neither reused nor freed before `drop`
        // below has dropped the value), so it is pinned; `&mut self` gives exclusive access.
        unsafe { Pin::new_unchecked(&mut *self.ptr.as_ptr()).poll(cx) }
    }
}

impl<F: Future> Drop for Framed<'_, F> {
    fn drop(&mut self) {
        // SAFETY: the value was written in `frame_with` and is dropped exactly once, here, in place
        // (pinned values are dropped where they live); the block is returned only afterwards.
        unsafe { std::ptr::drop_in_place(self.ptr.as_ptr()) };
        self.pool.give(self.ptr.cast(), Layout::new::<F>());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn block_on<F: Future>(f: F) -> F::Output {
        monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .enable_timer()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_framed_future_runs_and_its_block_is_reused() {
        let pool = FramePool::new(4);
        let big = [7u8; 3000];
        let run = |n: u32| {
            let f = pool.frame_with(|| async move {
                monoio::time::sleep(std::time::Duration::from_millis(1)).await;
                big.iter().map(|&b| b as u32).sum::<u32>() + n
            });
            assert!(std::mem::size_of_val(&f) <= 2 * std::mem::size_of::<usize>());
            block_on(f)
        };
        assert_eq!(run(1), 21001);
        assert_eq!(pool.spare(), 1);
        let first = pool.spare.borrow()[0];
        assert_eq!(run(2), 21002);
        assert_eq!(pool.spare(), 1);
        assert_eq!(
            pool.spare.borrow()[0],
            first,
            "the same block was used again"
        );
    }

    #[test]
    fn a_dropped_unfinished_future_drops_what_it_owns() {
        let pool = FramePool::new(4);
        let owned = Rc::new(());
        let held = owned.clone();
        let f = pool.frame_with(|| async move {
            let _keep = held;
            std::future::pending::<()>().await;
        });
        assert_eq!(Rc::strong_count(&owned), 2);
        drop(f);
        assert_eq!(Rc::strong_count(&owned), 1, "the framed future was dropped");
        assert_eq!(pool.spare(), 1);
    }

    #[test]
    fn the_pool_keeps_at_most_max_spare_blocks_of_its_layout() {
        let pool = FramePool::new(2);
        let frames: Vec<_> = (0..5u64)
            .map(|i| pool.frame_with(|| async move { i }))
            .collect();
        drop(frames);
        assert_eq!(pool.spare(), 2);
        // Another layout is served, and freed instead of pooled.
        assert_eq!(
            block_on(pool.frame_with(|| async { [1u8; 100].len() })),
            100
        );
        assert_eq!(pool.spare(), 2);
        // Zero-sized futures need no block.
        block_on(pool.frame_with(|| std::future::ready(())));
    }
}
