//! Usage plan quotas on the data plane: one counter per (usage plan, API key), shared by every
//! core, exact under any concurrency.
//!
//! # Counting
//! The counter is one `AtomicU64` holding the current period's first day and the requests
//! counted in it. A request takes one compare-and-swap: in a new period the count starts again
//! at 1; in the same one it goes up by one only while below the allowance (`limit` plus what
//! UpdateUsage granted for the period). So a 1,000/day plan admits exactly 1,000 per day, however
//! many cores serve the key. A request refused later (throttled) takes its count back.
//!
//! # Persistence and its bound
//! Each admitted request is also added to `unflushed`; the control plane's flusher moves those
//! into the store's per-day counters (`Write::AddUsage`) every `FLUSH_EVERY` and at shutdown,
//! and GetUsage/UpdateUsage flush first, so they see every admitted request. After a restart a
//! counter starts from the store's days of the current period. A `kill -9` loses at most the
//! requests admitted in the last `FLUSH_EVERY` before it: usage is never reset, and it can only
//! be **under**-recorded, by at most that many requests, which the key may then spend again.
//!
//! Periods are calendar periods in UTC, as AWS defines them (`period_start`): `DAY`; `WEEK`
//! starting on Sunday plus `offset` days; `MONTH` starting on the 1st plus `offset` days (months
//! of 28 to 31 days, leap years included).

use crate::store::QuotaSettings;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use time::Date;

/// How often admitted requests are written to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Julian day number of 1970-01-01: day numbers here count from the Unix epoch.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The UTC date of a day number; `None` outside the `time` crate's years (-9999..=9999).
pub fn date_of(day: i64) -> Option<Date> {
    let julian = i32::try_from(day.checked_add(UNIX_EPOCH_JULIAN_DAY)?).ok()?;
    Date::from_julian_day(julian).ok()
}

pub fn day_of(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

/// The first day of the quota period holding `day`. AWS's offset: for WEEK 0 is Sunday; for
/// MONTH the period starts `offset` days after the 1st.
pub fn period_start(quota: &QuotaSettings, day: i64) -> i64 {
    let offset = quota.offset.unwrap_or(0);
    let Some(date) = date_of(day) else {
        return day;
    };
    match quota.period.as_deref() {
        Some("WEEK") => {
            let weekday = i64::from(date.weekday().number_days_from_sunday());
            day - (weekday - offset).rem_euclid(7)
        }
        Some("MONTH") => {
            let first = date.replace_day(1).expect("every month has a 1st");
            let start = day_of(first) + offset;
            if day >= start {
                start
            } else {
                let previous = first
                    .previous_day()
                    .map_or(first, |d| d.replace_day(1).expect("every month has a 1st"));
                day_of(previous) + offset
            }
        }
        _ => day,
    }
}

/// One (usage plan, API key) quota counter.
#[derive(Debug, Default)]
pub struct Counter {
    /// `period start day << 32 | count`.
    state: AtomicU64,
    /// Admitted and not yet written to the store.
    unflushed: AtomicU64,
}

fn pack(period: u32, count: u32) -> u64 {
    (u64::from(period) << 32) | u64::from(count)
}

fn unpack(v: u64) -> (u32, u32) {
    ((v >> 32) as u32, v as u32)
}

fn period_u32(day: i64) -> u32 {
    u32::try_from(day).unwrap_or(0)
}

impl Counter {
    /// A counter that has counted `used` in the period starting `period` (from the store).
    pub fn seeded(period: i64, used: u64) -> Counter {
        let used = u32::try_from(used).unwrap_or(u32::MAX);
        Counter {
            state: AtomicU64::new(pack(period_u32(period), used)),
            unflushed: AtomicU64::new(0),
        }
    }

    /// Counts one request in the period starting `period` if fewer than `allowed` were.
    pub fn admit(&self, period: i64, allowed: u64) -> bool {
        let period = period_u32(period);
        let mut cur = self.state.load(Ordering::Relaxed);
        loop {
            let (p, n) = unpack(cur);
            let next = if p != period {
                if allowed == 0 {
                    return false;
                }
                pack(period, 1)
            } else if u64::from(n) >= allowed {
                return false;
            } else {
                pack(period, n + 1)
            };
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => {
                    self.unflushed.fetch_add(1, Ordering::Relaxed);
                    return true;
                }
                Err(seen) => cur = seen,
            }
        }
    }

    /// Takes back one request counted in `period` (refused at a later check).
    pub fn undo(&self, period: i64) {
        let period = period_u32(period);
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |v| {
                let (p, n) = unpack(v);
                (p == period && n > 0).then(|| pack(p, n - 1))
            });
        let _ = self
            .unflushed
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |u| u.checked_sub(1));
    }

    /// Requests counted in `period` so far.
    pub fn used(&self, period: i64) -> u64 {
        let (p, n) = unpack(self.state.load(Ordering::Acquire));
        if p == period_u32(period) {
            u64::from(n)
        } else {
            0
        }
    }

    /// The admitted requests not yet in the store, now handed to the flusher.
    pub fn take_unflushed(&self) -> u64 {
        self.unflushed.swap(0, Ordering::AcqRel)
    }
}

/// Today's day number (UTC) from milliseconds since the epoch.
pub fn day_of_epoch_ms(epoch_ms: u64) -> i64 {
    (epoch_ms / 86_400_000) as i64
}

/// Today's day number, UTC, from the system clock.
pub fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| day_of_epoch_ms(d.as_millis() as u64))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(period: &str, offset: i64) -> QuotaSettings {
        QuotaSettings {
            limit: Some(10),
            offset: Some(offset),
            period: Some(period.into()),
        }
    }

    fn day(s: &str) -> i64 {
        let n = |r: std::ops::Range<usize>| s[r].parse::<i32>().unwrap();
        let month = time::Month::try_from(n(5..7) as u8).unwrap();
        day_of(Date::from_calendar_date(n(0..4), month, n(8..10) as u8).unwrap())
    }

    fn text(day: i64) -> String {
        let d = date_of(day).unwrap();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    #[test]
    fn calendar_periods_with_month_ends_leap_years_and_offsets() {
        let at = |p, o, d: &str| text(period_start(&q(p, o), day(d)));
        assert_eq!(at("DAY", 0, "2024-02-29"), "2024-02-29");
        // Weeks start on Sunday (+ offset).
        assert_eq!(at("WEEK", 0, "2024-03-02"), "2024-02-25");
        assert_eq!(at("WEEK", 0, "2024-03-03"), "2024-03-03");
        assert_eq!(at("WEEK", 6, "2024-03-03"), "2024-03-02");
        // Months: 29 days in a leap February, 31 in March; the offset moves the start.
        assert_eq!(at("MONTH", 0, "2024-02-29"), "2024-02-01");
        assert_eq!(at("MONTH", 0, "2024-03-01"), "2024-03-01");
        assert_eq!(at("MONTH", 0, "2023-03-01"), "2023-03-01");
        assert_eq!(at("MONTH", 0, "2024-12-31"), "2024-12-01");
        assert_eq!(at("MONTH", 0, "2025-01-01"), "2025-01-01");
        assert_eq!(at("MONTH", 3, "2024-03-03"), "2024-02-04");
        assert_eq!(at("MONTH", 3, "2024-03-04"), "2024-03-04");
    }

    #[test]
    fn a_counter_admits_exactly_its_allowance_per_period() {
        let c = Counter::default();
        let d = 20_000;
        assert_eq!((0..5).filter(|_| c.admit(d, 3)).count(), 3);
        assert_eq!(c.used(d), 3);
        // A grant raises the allowance for the same period.
        assert!(c.admit(d, 4));
        assert!(!c.admit(d, 4));
        // The next period starts again.
        assert!(c.admit(d + 1, 3));
        assert_eq!((c.used(d + 1), c.used(d)), (1, 0));
        assert_eq!(c.take_unflushed(), 5);
        assert_eq!(c.take_unflushed(), 0);
        // Zero allowance admits nothing, even at a period start.
        assert!(!Counter::default().admit(d, 0));
    }

    #[test]
    fn undo_gives_the_count_back_and_seeding_resumes_from_the_store() {
        let c = Counter::seeded(100, 9);
        assert!(c.admit(100, 10));
        assert!(!c.admit(100, 10));
        c.undo(100);
        assert!(c.admit(100, 10));
        assert_eq!(c.take_unflushed(), 1);
        // An undo for a period already over changes nothing.
        c.undo(99);
        assert_eq!(c.used(100), 10);
    }

    #[test]
    fn concurrent_cores_admit_exactly_the_limit() {
        let c = std::sync::Arc::new(Counter::default());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || (0..1000).filter(|_| c.admit(7, 1000)).count())
            })
            .collect();
        let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, 1000);
        assert_eq!(c.take_unflushed(), 1000);
    }
}
