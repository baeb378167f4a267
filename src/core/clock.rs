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
        let wall = UNIX_EPOCH + Duration::from_millis(epoch_ms);
        self.date.set(*self.formatter.borrow_mut().get(wall));
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
}
