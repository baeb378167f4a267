//! SigV4's ISO-8601 basic timestamps (`20150830T123600Z`) to and from Unix seconds. The shape is
//! checked by hand (exactly 16 ASCII characters); the calendar is the `time` crate's.
//!
//! Invariant: `format(parse(s)?) == s` for every valid `s` (years 1970..=9999).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// 9999-12-31T23:59:59Z: the last second a four-digit year can show.
const MAX_SECS: u64 = 253_402_300_799;

/// Seconds since the Unix epoch of `YYYYMMDDTHHMMSSZ`; `None` unless it is exactly that shape
/// and a real UTC date and time.
pub fn parse(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let digits = &b[r];
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0')),
        )
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if year < 1970 {
        return None;
    }
    // Every value has at most four digits, so the narrowing casts are exact.
    let month = Month::try_from(month as u8).ok()?;
    let date = Date::from_calendar_date(year as i32, month, day as u8).ok()?;
    let time = Time::from_hms(hour as u8, minute as u8, second as u8).ok()?;
    let secs = PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp();
    u64::try_from(secs).ok()
}

/// `format` into a stack buffer (the signer's per-request form).
pub fn format_into(secs: u64) -> [u8; 16] {
    use std::io::Write as _;
    let t = OffsetDateTime::from_unix_timestamp(secs.min(MAX_SECS) as i64)
        .expect("0..=MAX_SECS is within the time crate's range");
    let mut out = [b'0'; 16];
    let _ = write!(
        &mut out[..],
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    out
}

/// `YYYYMMDDTHHMMSSZ` for Unix seconds (past year 9999: its last second).
pub fn format(secs: u64) -> String {
    // ASCII digits, `T` and `Z` only.
    String::from_utf8_lossy(&format_into(secs)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(parse("19700101T000000Z"), Some(0));
        assert_eq!(parse("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse("20000229T235959Z"), Some(951_868_799));
        assert_eq!(format(1_440_938_160), "20150830T123600Z");
        assert_eq!(format(951_868_799), "20000229T235959Z");
    }

    #[test]
    fn rejects_malformed_and_impossible() {
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015083OT123600Z",
            "20150830T123600z",
            "20150230T000000Z",
            "20190229T000000Z",
            "20151301T000000Z",
            "20150830T246000Z",
            "19691231T235959Z",
            "+0150830T123600Z",
            "２0150830T12360Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_across_years() {
        let mut secs = 0u64;
        while secs < 253_402_300_799 {
            assert_eq!(parse(&format(secs)), Some(secs), "{secs}");
            secs += 86_400 * 37 + 3_671;
        }
    }
}
