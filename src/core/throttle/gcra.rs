//! One token bucket shared by every core, lock-free: the generic cell rate algorithm (GCRA) on a
//! single `AtomicU64`.
//!
//! GCRA keeps one number, the theoretical arrival time `tat` (nanoseconds on the bucket's own
//! clock): the bucket is full when `tat <= now`, and holds `(burst·T − (tat − now)) / T` tokens
//! otherwise, where `T = 1 / rate` is the time one token takes to refill. Taking `n` tokens moves
//! `tat` to `max(tat, now) + n·T`, allowed while that stays within `now + burst·T`; giving `n`
//! back moves it down by `n·T`. Each change is one compare-and-swap, so buckets are exact under
//! any concurrency, refill continuously (fractional rates are just a longer `T`), and never hold
//! more than `burst` tokens.

use std::sync::atomic::{AtomicU64, Ordering};

/// A bucket's limits: `rate` tokens a second (may be fractional), at most `burst` held.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub rate: f64,
    pub burst: u32,
}

impl Limits {
    /// AWS's rule: a zero rate or a zero burst admits nothing.
    pub fn admits_nothing(&self) -> bool {
        self.rate.is_nan() || self.rate <= 0.0 || self.burst == 0
    }
}

#[derive(Debug)]
pub struct Gcra {
    /// Nanoseconds per token (`1e9 / rate`), at least 1.
    interval: u64,
    /// `burst · interval`: how far ahead of now `tat` may run.
    window: u64,
    /// Theoretical arrival time, in nanoseconds since the caller's epoch.
    tat: AtomicU64,
    nothing: bool,
    burst: u32,
}

impl Gcra {
    /// A full bucket.
    pub fn new(limits: Limits) -> Gcra {
        let nothing = limits.admits_nothing();
        let interval = if nothing {
            u64::MAX / 4
        } else {
            ((1e9 / limits.rate).round() as u64).max(1)
        };
        Gcra {
            interval,
            window: interval.saturating_mul(u64::from(limits.burst)),
            tat: AtomicU64::new(0),
            nothing,
            burst: limits.burst,
        }
    }

    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Takes up to `want` tokens at `now` (ns); returns how many it took (0 when empty).
    pub fn take(&self, want: u32, now: u64) -> u32 {
        if self.nothing || want == 0 {
            return 0;
        }
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let base = tat.max(now);
            // Room left before `tat` would run more than `window` ahead of now.
            let ahead = base - now;
            let room = (self.window.saturating_sub(ahead)) / self.interval;
            let n = room.min(u64::from(want));
            if n == 0 {
                return 0;
            }
            let next = base + n * self.interval;
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return n as u32,
                Err(seen) => tat = seen,
            }
        }
    }

    /// Gives back `n` tokens taken earlier and not used (a request refused at a later level, a
    /// lease that expired). A bucket never ends up fuller than `burst`: `take` measures from
    /// `max(tat, now)`.
    pub fn give_back(&self, n: u32) {
        if n == 0 || self.nothing {
            return;
        }
        let d = u64::from(n) * self.interval;
        let _ = self
            .tat
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |t| {
                Some(t.saturating_sub(d))
            });
    }

    /// Tokens in the bucket at `now`.
    pub fn available(&self, now: u64) -> u32 {
        if self.nothing {
            return 0;
        }
        let tat = self.tat.load(Ordering::Relaxed).max(now);
        (self.window.saturating_sub(tat - now) / self.interval).min(u64::from(self.burst)) as u32
    }

    /// Nanoseconds until the bucket is full again at `now`.
    pub fn full_in(&self, now: u64) -> u64 {
        if self.nothing {
            return 0;
        }
        self.tat.load(Ordering::Relaxed).saturating_sub(now)
    }

    /// When (ns) the next token is available, for a caller that found the bucket empty at `now`:
    /// it may refuse locally until then without touching the shared line.
    pub fn next_token_at(&self, now: u64) -> u64 {
        if self.nothing {
            return u64::MAX;
        }
        let tat = self.tat.load(Ordering::Relaxed).max(now);
        (tat + self.interval).saturating_sub(self.window).max(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn bucket(rate: f64, burst: u32) -> Gcra {
        Gcra::new(Limits { rate, burst })
    }

    #[test]
    fn a_full_bucket_gives_burst_then_refills_at_rate() {
        let b = bucket(10.0, 5);
        let t0 = 100 * S;
        assert_eq!(b.take(100, t0), 5);
        assert_eq!(b.take(1, t0), 0);
        // 0.1 s later one token is back, 0.25 s later two (not 2.5).
        assert_eq!(b.take(1, t0 + S / 10), 1);
        assert_eq!(b.take(10, t0 + S / 10 + S / 4), 2);
        // Never more than burst, however long it rests.
        assert_eq!(b.take(100, t0 + 1000 * S), 5);
    }

    #[test]
    fn fractional_rates_refill_slowly() {
        let b = bucket(0.5, 1);
        let t0 = 10 * S;
        assert_eq!(b.take(1, t0), 1);
        assert_eq!(b.take(1, t0 + S), 0);
        assert_eq!(b.take(1, t0 + 2 * S), 1);
    }

    #[test]
    fn burst_one_admits_exactly_one_at_once() {
        let b = bucket(1000.0, 1);
        let t0 = 5 * S;
        assert_eq!(b.take(1, t0), 1);
        assert_eq!(b.take(1, t0), 0);
        assert_eq!(b.take(1, t0 + S / 1000), 1);
    }

    #[test]
    fn zero_rate_or_zero_burst_admits_nothing() {
        for (rate, burst) in [(0.0, 10), (10.0, 0), (0.0, 0), (f64::NAN, 5), (-1.0, 5)] {
            let b = bucket(rate, burst);
            assert_eq!(b.take(1, 50 * S), 0, "{rate} {burst}");
            assert_eq!(b.next_token_at(50 * S), u64::MAX);
        }
    }

    #[test]
    fn given_back_tokens_are_available_again_but_never_past_burst() {
        let b = bucket(1.0, 3);
        let t0 = 10 * S;
        assert_eq!(b.take(3, t0), 3);
        b.give_back(2);
        assert_eq!(b.take(3, t0), 2);
        b.give_back(3);
        assert_eq!(b.take(10, t0), 3);
    }

    #[test]
    fn next_token_time_is_when_take_succeeds() {
        let b = bucket(4.0, 2);
        let t0 = 10 * S;
        assert_eq!(b.take(2, t0), 2);
        let at = b.next_token_at(t0);
        assert_eq!(at, t0 + S / 4);
        assert_eq!(b.take(1, at - 1), 0);
        assert_eq!(b.take(1, at), 1);
    }

    #[test]
    fn concurrent_takers_never_exceed_the_bucket() {
        let b = std::sync::Arc::new(bucket(1.0, 1000));
        let now = 10 * S;
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let b = b.clone();
                std::thread::spawn(move || (0..1000).map(|_| b.take(1, now)).sum::<u32>())
            })
            .collect();
        let total: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, 1000);
    }
}
