//! The per-core pool of connection working sets: the buffers and parsed heads a connection needs
//! only while it has a request in hand.
//!
//! A connection takes a set when request bytes arrive and gives it back when it goes idle, so an
//! idle keep-alive connection holds no buffers (it waits on a small read of its own) and the
//! heap that thousands of idle connections cost stays small. Taking and giving are a `Vec`
//! pop/push: no allocation in steady state. The pool keeps at most `max_spare` sets; the rest
//! are freed when given back, so a connection spike does not pin its peak memory for ever.
//!
//! Invariant: a set handed out is always clean (empty buffers of their initial or kept capacity);
//! `give` restores that, shrinking any buffer one large request grew past `KEEP_CAPACITY`.

use crate::http::request::RequestHead;
use crate::http::upstream::ResponseHead;
use monoio::time::Sleep;
use std::cell::{Cell, RefCell};
use std::pin::Pin;

/// Initial size of each buffer of a set. A buffer grows for a larger request and keeps its size
/// up to `KEEP_CAPACITY`.
pub const INITIAL: usize = 4 * 1024;
/// Buffers that grew past this for one large request are shrunk back when the set is given back.
pub const KEEP_CAPACITY: usize = 64 * 1024;

/// What one connection uses while it has a request in hand.
pub struct WorkSet {
    /// Client bytes: the request heads and bodies being served.
    pub rbuf: Vec<u8>,
    /// Responses waiting to be written to the client.
    pub wbuf: Vec<u8>,
    /// The request being sent to the backend.
    pub ubuf: Vec<u8>,
    /// A de-chunked request body.
    pub body: Vec<u8>,
    /// A mapping template's output (empty until a templated method is served).
    pub tbuf: Vec<u8>,
    pub head: RequestHead,
    pub uhead: ResponseHead,
    /// The one timer that bounds the connection's reads and flushes, re-armed per wait
    /// (`net::stream::timed`), so no future carries a timer of its own. Made on first use, inside
    /// the worker's runtime (a timer belongs to the runtime that made it), then pooled with the set.
    pub timer: Option<Pin<Box<Sleep>>>,
}

impl WorkSet {
    fn new() -> Box<WorkSet> {
        Box::new(WorkSet {
            rbuf: Vec::with_capacity(INITIAL),
            wbuf: Vec::with_capacity(INITIAL),
            ubuf: Vec::with_capacity(INITIAL),
            body: Vec::new(),
            tbuf: Vec::new(),
            head: RequestHead::new(),
            uhead: ResponseHead::new(),
            timer: None,
        })
    }

    /// Empties every buffer, shrinking one that grew past `KEEP_CAPACITY`.
    fn reset(&mut self) {
        for (buf, initial) in [
            (&mut self.rbuf, INITIAL),
            (&mut self.wbuf, INITIAL),
            (&mut self.ubuf, INITIAL),
            (&mut self.body, 0),
            (&mut self.tbuf, 0),
        ] {
            buf.clear();
            if buf.capacity() > KEEP_CAPACITY {
                *buf = Vec::with_capacity(initial);
            }
        }
    }
}

pub struct BufferPool {
    // Boxed on purpose: a connection holds its set by pointer (its task stays small), and the
    // pool hands out the same boxes again, so taking a set never allocates.
    #[allow(clippy::vec_box)]
    spare: RefCell<Vec<Box<WorkSet>>>,
    max_spare: usize,
    /// Sets freed because the pool was full (a total; the runtime trims the heap after many).
    freed: Cell<usize>,
}

impl BufferPool {
    pub fn new(max_spare: usize) -> BufferPool {
        BufferPool {
            spare: RefCell::new(Vec::with_capacity(max_spare)),
            max_spare,
            freed: Cell::new(0),
        }
    }

    /// A clean set: a spare one when there is one, otherwise a new one (the only allocation).
    pub fn take(&self) -> Box<WorkSet> {
        self.spare.borrow_mut().pop().unwrap_or_else(WorkSet::new)
    }

    /// Returns `set` to the pool, or frees it when the pool already keeps `max_spare` or one of
    /// its buffers went with an operation that timed out (monoio keeps the buffer of an
    /// abandoned operation until the kernel is done with it).
    pub fn give(&self, mut set: Box<WorkSet>) {
        let mut spare = self.spare.borrow_mut();
        let whole = [&set.rbuf, &set.wbuf, &set.ubuf]
            .iter()
            .all(|b| b.capacity() > 0);
        if whole && spare.len() < self.max_spare {
            set.reset();
            spare.push(set);
        } else {
            self.freed.set(self.freed.get() + 1);
        }
    }

    /// Sets freed so far because the pool already kept `max_spare`.
    pub fn freed(&self) -> usize {
        self.freed.get()
    }

    /// Spare sets held right now.
    pub fn spare(&self) -> usize {
        self.spare.borrow().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_set_is_handed_out_again_clean() {
        let pool = BufferPool::new(4);
        let mut set = pool.take();
        set.rbuf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        set.wbuf.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
        set.body.extend_from_slice(b"chunk");
        let addr = set.rbuf.as_ptr();
        pool.give(set);
        assert_eq!(pool.spare(), 1);
        let again = pool.take();
        assert_eq!(again.rbuf.as_ptr(), addr, "the same buffer, not a new one");
        assert!(again.rbuf.is_empty() && again.wbuf.is_empty() && again.body.is_empty());
        assert_eq!(again.rbuf.capacity(), INITIAL);
        assert_eq!(pool.spare(), 0);
    }

    #[test]
    fn a_set_that_lost_a_buffer_is_not_kept() {
        let pool = BufferPool::new(4);
        let mut set = pool.take();
        drop(std::mem::take(&mut set.wbuf));
        pool.give(set);
        assert_eq!(pool.spare(), 0);
    }

    #[test]
    fn the_pool_keeps_at_most_max_spare_sets() {
        let pool = BufferPool::new(2);
        let sets: Vec<_> = (0..5).map(|_| pool.take()).collect();
        for s in sets {
            pool.give(s);
        }
        assert_eq!(pool.spare(), 2);
        assert_eq!(pool.freed(), 3);
    }

    #[test]
    fn a_buffer_grown_past_the_keep_capacity_is_shrunk() {
        let pool = BufferPool::new(1);
        let mut set = pool.take();
        set.rbuf.reserve(KEEP_CAPACITY * 2);
        set.body.reserve(KEEP_CAPACITY * 2);
        set.wbuf.reserve(KEEP_CAPACITY / 2);
        let kept = set.wbuf.capacity();
        pool.give(set);
        let set = pool.take();
        assert_eq!(set.rbuf.capacity(), INITIAL);
        assert_eq!(set.body.capacity(), 0);
        assert_eq!(set.wbuf.capacity(), kept, "within the keep capacity: kept");
    }
}
