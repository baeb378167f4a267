//! The SIGTERM drain signal: a flag every request reads, plus wakers so each worker's accept loop
//! stops at once instead of polling.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub struct Drain {
    flag: Arc<AtomicBool>,
    wakers: Mutex<Vec<Waker>>,
    idle: AtomicUsize,
}

impl Drain {
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.flag.clone()
    }

    pub fn start(&self) {
        self.flag.store(true, Ordering::SeqCst);
        for w in self.wakers.lock().expect("drain lock").drain(..) {
            w.wake();
        }
    }

    pub fn worker_idle(&self) {
        self.idle.fetch_add(1, Ordering::SeqCst);
    }

    pub fn idle_workers(&self) -> usize {
        self.idle.load(Ordering::SeqCst)
    }

    /// Completes once `start` was called.
    pub fn wait(&self) -> impl Future<Output = ()> + '_ {
        Wait { drain: self }
    }
}

struct Wait<'a> {
    drain: &'a Drain,
}

impl Future for Wait<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.drain.flag.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        let mut wakers = self.drain.wakers.lock().expect("drain lock");
        // Checked again under the lock: `start` sets the flag before taking it.
        if self.drain.flag.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
