//! The admin API's two 429s. Quotas: AWS's default account limits, checked by the control plane
//! before a create would go past them (`LimitExceededException`). Throttling: one token bucket per
//! access key, checked by the server right after authentication (`TooManyRequestsException` with
//! `Retry-After`). Time is passed in, so the bucket math is tested without sleeping.

use crate::admin::error::ApiError;
use crate::settings::AdminRateLimit;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `LimitExceededException` when `have` more would reach past `quota`. AWS's wording names the
/// quota and the count; Tollgate's quotas are configurable, so the message says where.
pub fn check_quota(what: &str, have: usize, adding: usize, quota: usize) -> Result<(), ApiError> {
    if have.saturating_add(adding) > quota {
        return Err(ApiError::LimitExceeded(format!(
            "Cannot exceed the limit of {quota} {what} (admin.limits)"
        )));
    }
    Ok(())
}

/// A token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Per-access-key token buckets for the management API. Buckets are few (one per configured
/// credential), so the map never needs evicting.
#[derive(Debug)]
pub struct RateLimiter {
    limit: AdminRateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(limit: AdminRateLimit) -> RateLimiter {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// No limit (unit tests, `rate_limit_per_second = 0`).
    pub fn off() -> RateLimiter {
        RateLimiter::new(AdminRateLimit {
            per_second: 0.0,
            burst: 0,
        })
    }

    /// Takes one token for `key` at `now`, or says how long until one is there.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let AdminRateLimit { per_second, burst } = self.limit;
        if per_second <= 0.0 {
            return Ok(());
        }
        let burst = f64::from(burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_second).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_second))
        }
    }

    /// `take` as the server uses it: the refusal is AWS's throttling error.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), ApiError> {
        self.take(key, now)
            .map_err(|wait| ApiError::TooManyRequests {
                // Whole seconds, rounded up, as `Retry-After` carries them.
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_second: f64, burst: u32) -> RateLimiter {
        RateLimiter::new(AdminRateLimit { per_second, burst })
    }

    #[test]
    fn bucket_allows_burst_then_refills_at_rate() {
        let l = limiter(10.0, 40);
        let t0 = Instant::now();
        for _ in 0..40 {
            assert!(l.take("a", t0).is_ok());
        }
        let wait = l.take("a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        // Keys have buckets of their own.
        assert!(l.take("b", t0).is_ok());
        // 250 ms later: two tokens back, not three.
        let t1 = t0 + Duration::from_millis(250);
        assert!(l.take("a", t1).is_ok());
        assert!(l.take("a", t1).is_ok());
        assert!(l.take("a", t1).is_err());
        // Never more than the burst, however long idle.
        let t2 = t1 + Duration::from_secs(3600);
        for _ in 0..40 {
            assert!(l.take("a", t2).is_ok());
        }
        assert!(l.take("a", t2).is_err());
    }

    #[test]
    fn zero_rate_is_off_and_refusal_is_aws_throttling() {
        let off = RateLimiter::off();
        let now = Instant::now();
        for _ in 0..1000 {
            assert!(off.take("a", now).is_ok());
        }
        let l = limiter(0.5, 1);
        assert!(l.check("a", now).is_ok());
        let e = l.check("a", now).unwrap_err();
        assert_eq!(
            e,
            ApiError::TooManyRequests {
                retry_after_secs: 2
            }
        );
        let r = e.to_response();
        assert_eq!(r.status, 429);
        let has = |n: &str, v: &str| {
            r.headers
                .iter()
                .any(|(k, x)| k.eq_ignore_ascii_case(n) && x == v)
        };
        assert!(has("x-amzn-ErrorType", "TooManyRequestsException"));
        assert!(has("Retry-After", "2"));
    }

    #[test]
    fn quota_allows_up_to_the_limit() {
        assert!(check_quota("stages per API", 9, 1, 10).is_ok());
        let e = check_quota("stages per API", 10, 1, 10).unwrap_err();
        assert_eq!(e.parts().0, 429);
        assert_eq!(e.parts().1, "LimitExceededException");
    }
}
