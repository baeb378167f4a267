//! The per-core coarse clock: read once per connection wake-up (`tick`), then read by every
//! request handled before the next wake-up. It carries the monotonic `Instant`, the wall clock in
//! epoch milliseconds (`$context.requestTimeEpoch`) and the formatted `Date` header, so the data
//! path never calls `SystemTime::now()` per request. Tests drive time with `set`.

use crate::http::date::{DateCache, IMF_FIXDATE_LEN};
use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub struct Clock {
    now: Cell<Instant>,
    epoch_ms: Cell<u64>,
    formatter: RefCell<DateCache>,
    /// The second `date` shows (`u64::MAX` before the first reading): the date is refreshed only
    /// when a tick crosses into the next second, so most ticks cost two clock reads and no more.
    date_secs: Cell<u64>,
    date: Cell<[u8; IMF_FIXDATE_LEN]>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    pub fn new() -> Clock {
        let clock = Clock {
            now: Cell::new(Instant::now()),
            epoch_ms: Cell::new(0),
            formatter: RefCell::new(DateCache::new()),
            date_secs: Cell::new(u64::MAX),
            date: Cell::new([b' '; IMF_FIXDATE_LEN]),
        };
        clock.tick();
        clock
    }

    /// Reads the system clocks. Called when a connection wakes up with work, not per request.
    pub fn tick(&self) {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        self.set(Instant::now(), wall.as_millis() as u64);
    }

    /// Sets the time (`tick` uses it; tests call it to drive time).
    pub fn set(&self, now: Instant, epoch_ms: u64) {
        self.now.set(now);
        self.epoch_ms.set(epoch_ms);
        let secs = epoch_ms / 1000;
        if secs != self.date_secs.get() {
            self.date_secs.set(secs);
            let wall = UNIX_EPOCH + Duration::from_secs(secs);
            self.date.set(*self.formatter.borrow_mut().get(wall));
        }
    }

    #[inline]
    pub fn now(&self) -> Instant {
        self.now.get()
    }

    #[inline]
    pub fn epoch_ms(&self) -> u64 {
        self.epoch_ms.get()
    }

    /// The `Date` header value as of the last tick.
    #[inline]
    pub fn date(&self) -> [u8; IMF_FIXDATE_LEN] {
        self.date.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_drives_every_reading() {
        let c = Clock::new();
        let at = Instant::now();
        c.set(at, 784_111_777_000);
        assert_eq!(c.now(), at);
        assert_eq!(c.epoch_ms(), 784_111_777_000);
        assert_eq!(&c.date(), b"Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn date_follows_the_second_both_ways() {
        let c = Clock::new();
        let at = Instant::now();
        c.set(at, 784_111_777_999);
        assert_eq!(&c.date(), b"Sun, 06 Nov 1994 08:49:37 GMT");
        c.set(at, 784_111_778_000);
        assert_eq!(&c.date(), b"Sun, 06 Nov 1994 08:49:38 GMT");
        // A clock set back (tests, a wall clock step) shows the earlier second again.
        c.set(at, 784_111_777_000);
        assert_eq!(&c.date(), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(c.epoch_ms(), 784_111_777_000);
    }
}
