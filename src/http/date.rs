//! The `Date` header value (IMF-fixdate, RFC 9110 §5.6.7), cached per core.
//!
//! Every response carries a Date; formatting one costs more than the rest of a small response
//! head, and it changes once a second. Each worker owns a `DateCache` (no sharing, so no race,
//! unlike the global caches of some frameworks) and passes it the core's coarse clock reading.

use std::time::{SystemTime, UNIX_EPOCH};

/// Length of `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const IMF_FIXDATE_LEN: usize = 29;

/// 9999-12-31T23:59:59Z: the last second a four-digit year can show.
const MAX_SECS: u64 = 253_402_300_799;

#[derive(Debug, Clone)]
pub struct DateCache {
    secs: u64,
    value: [u8; IMF_FIXDATE_LEN],
}

impl Default for DateCache {
    fn default() -> Self {
        Self::new()
    }
}

impl DateCache {
    pub fn new() -> Self {
        let mut value = [0; IMF_FIXDATE_LEN];
        format_imf_fixdate(0, &mut value);
        DateCache { secs: 0, value }
    }

    /// The Date value for `now`, reformatted only when the second has changed. Times before
    /// 1970 show the epoch; times past year 9999 show its last second.
    #[inline]
    pub fn get(&mut self, now: SystemTime) -> &[u8; IMF_FIXDATE_LEN] {
        let secs = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .min(MAX_SECS);
        if secs != self.secs {
            self.secs = secs;
            format_imf_fixdate(secs, &mut self.value);
        }
        &self.value
    }
}

/// Writes `secs` since the Unix epoch (at most `MAX_SECS`) as IMF-fixdate. The calendar is the
/// `time` crate's; the bytes are written by hand so nothing is allocated.
pub fn format_imf_fixdate(secs: u64, out: &mut [u8; IMF_FIXDATE_LEN]) {
    const WEEKDAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let t = time::OffsetDateTime::from_unix_timestamp(secs.min(MAX_SECS) as i64)
        .expect("0..=MAX_SECS is within the time crate's range");
    let year = t.year() as u16; // 1970..=9999
    let two = |n: u8| [b'0' + n / 10, b'0' + n % 10];

    out[0..3].copy_from_slice(WEEKDAYS[usize::from(t.weekday().number_days_from_monday())]);
    out[3..5].copy_from_slice(b", ");
    out[5..7].copy_from_slice(&two(t.day()));
    out[7] = b' ';
    out[8..11].copy_from_slice(MONTHS[usize::from(u8::from(t.month()) - 1)]);
    out[11] = b' ';
    out[12..14].copy_from_slice(&two((year / 100) as u8));
    out[14..16].copy_from_slice(&two((year % 100) as u8));
    out[16] = b' ';
    out[17..19].copy_from_slice(&two(t.hour()));
    out[19] = b':';
    out[20..22].copy_from_slice(&two(t.minute()));
    out[22] = b':';
    out[23..25].copy_from_slice(&two(t.second()));
    out[25..29].copy_from_slice(b" GMT");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn fmt(secs: u64) -> String {
        let mut out = [0; IMF_FIXDATE_LEN];
        format_imf_fixdate(secs, &mut out);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn known_dates() {
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            // Leap days, including the 400-year rule (2000 is leap) and a 100-year non-leap.
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (951_868_800, "Wed, 01 Mar 2000 00:00:00 GMT"),
            (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
            (1_709_251_200, "Fri, 01 Mar 2024 00:00:00 GMT"),
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
            (4_107_456_000, "Sun, 28 Feb 2100 00:00:00 GMT"),
            (1_735_689_599, "Tue, 31 Dec 2024 23:59:59 GMT"),
            (1_735_689_600, "Wed, 01 Jan 2025 00:00:00 GMT"),
            (MAX_SECS, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (u64::MAX, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ];
        for (secs, want) in cases {
            assert_eq!(fmt(secs), want, "{secs}");
        }
    }

    #[test]
    fn every_day_matches_a_naive_calendar() {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let (mut y, mut m, mut d) = (1970u64, 1u64, 1u64);
        for days in 0..(200 * 366) {
            let want = format!("{d:02} {} {y:04} 00:00:00 GMT", MONTHS[m as usize - 1]);
            assert_eq!(&fmt(days * 86_400)[5..], want, "day {days}");
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let len = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ][m as usize - 1];
            d += 1;
            if d > len {
                (d, m) = (1, m + 1);
                if m > 12 {
                    (m, y) = (1, y + 1);
                }
            }
        }
    }

    #[test]
    fn cache_reformats_only_on_a_new_second() {
        let mut c = DateCache::new();
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(c.get(t), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            c.get(t + Duration::from_millis(999)),
            b"Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            c.get(t + Duration::from_secs(1)),
            b"Sun, 06 Nov 1994 08:49:38 GMT"
        );
        assert_eq!(
            c.get(UNIX_EPOCH - Duration::from_secs(5)),
            b"Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }
}
