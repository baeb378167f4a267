//! The gateway's own error log, folded: a failing backend under load must not write one stderr
//! line per request (at 50k req/s a refused backend filled journald with 16 MB in 8 s, exactly
//! when operators need their logs). Repeats of one cause on one upstream are counted instead,
//! and the next line written for them says how many were folded, so nothing is lost but the
//! repetition.
//!
//! Per worker thread (no lock, no cross-core traffic): a small table of (upstream, cause) keys,
//! each writing at most one line per `EVERY`. The thread's running total of folded lines is
//! published with the worker's metrics tick (`tollgate_log_lines_folded_total`).

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

/// At most one line per key per this long, per worker.
pub const EVERY: Duration = Duration::from_secs(1);
/// Keys remembered per worker; beyond it the one quiet longest is forgotten (and its next
/// failure is written at once, which only costs a line).
const KEYS: usize = 64;

/// What a log line is about: an upstream (its interned id) and a cause (a small code per kind of
/// failure, chosen by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub upstream: u32,
    pub cause: u8,
}

/// A line to write now, and how many like it were folded since the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write {
    pub folded: u64,
    pub over: Duration,
}

impl Write {
    /// ` (N more like this folded in the last S s)`, or nothing when none were.
    pub fn suffix(&self) -> String {
        if self.folded == 0 {
            String::new()
        } else {
            format!(
                " ({} more like this folded in the last {:.1} s)",
                self.folded,
                self.over.as_secs_f64()
            )
        }
    }
}

struct Entry {
    key: Key,
    /// When the last line for this key was written.
    written: Instant,
    folded: u64,
}

thread_local! {
    static TABLE: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
    static FOLDED: Cell<u64> = const { Cell::new(0) };
}

/// Whether to write a line for `key` now (`Some`, with what was folded since the last one) or
/// fold it into the next (`None`).
pub fn admit(key: Key, now: Instant) -> Option<Write> {
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(e) = t.iter_mut().find(|e| e.key == key) {
            let over = now.saturating_duration_since(e.written);
            if over < EVERY {
                e.folded += 1;
                FOLDED.with(|f| f.set(f.get() + 1));
                return None;
            }
            let folded = std::mem::take(&mut e.folded);
            e.written = now;
            return Some(Write { folded, over });
        }
        if t.len() >= KEYS {
            if let Some(oldest) = (0..t.len()).min_by_key(|&i| t[i].written) {
                t.swap_remove(oldest);
            }
        }
        t.push(Entry {
            key,
            written: now,
            folded: 0,
        });
        Some(Write {
            folded: 0,
            over: Duration::ZERO,
        })
    })
}

/// Lines this worker thread has folded since it started.
pub fn folded_total() -> u64 {
    FOLDED.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_within_the_interval_are_counted_and_reported_with_the_next_line() {
        let t0 = Instant::now();
        let k = Key {
            upstream: 7,
            cause: 1,
        };
        let before = folded_total();
        assert_eq!(admit(k, t0).map(|w| w.folded), Some(0));
        for i in 1..=99 {
            assert_eq!(admit(k, t0 + Duration::from_millis(i * 5)), None);
        }
        // Another cause on the same upstream, and another upstream, are lines of their own.
        assert!(admit(Key { cause: 2, ..k }, t0).is_some());
        assert!(admit(Key { upstream: 8, ..k }, t0).is_some());
        let w = admit(k, t0 + EVERY).unwrap();
        assert_eq!(w.folded, 99);
        assert_eq!(w.over, EVERY);
        assert_eq!(w.suffix(), " (99 more like this folded in the last 1.0 s)");
        assert_eq!(folded_total() - before, 99);
        // The count starts over after a line.
        assert_eq!(admit(k, t0 + EVERY + Duration::from_millis(1)), None);
        assert_eq!(admit(k, t0 + EVERY * 2).map(|w| w.folded), Some(1));
    }

    #[test]
    fn the_table_is_bounded() {
        let t0 = Instant::now();
        for u in 0..(KEYS as u32 * 3) {
            assert!(admit(
                Key {
                    upstream: 1000 + u,
                    cause: 0
                },
                t0
            )
            .is_some());
        }
        TABLE.with(|t| assert!(t.borrow().len() <= KEYS));
    }
}
