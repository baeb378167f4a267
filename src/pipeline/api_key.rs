//! Phase "API key": a method with `apiKeyRequired` is served only to a request carrying a key
//! that exists, is enabled, and belongs to a usage plan including this API stage
//! (`deploy::keys::KeyTable::check`). The key comes from the `x-api-key` header (`apiKeySource`
//! HEADER, AWS's default) or, with `AUTHORIZER`, from the Lambda authorizer's
//! `usageIdentifierKey` (`Authorized::usage_identifier_key`, which the authorizer phase sets; until
//! it exists there is none, so such requests are refused, never served without a key).
//!
//! Every refusal is AWS's 403 `{"message":"Forbidden"}` (INVALID_API_KEY). The log says which
//! check failed, never the key, at most once a second per worker (a flood of made-up keys
//! cannot flood the log; the lines held back are counted), without allocating.

use super::respond::Reject;
use super::Exchange;
use crate::deploy::keys::{KeyRefusal, KeyTable};
use crate::deploy::policy::ApiKeySource;
use std::cell::Cell;
use std::io::Write as _;
use std::time::{Duration, Instant};

/// Checks the request's key against `keys` and records it for `$context.identity.apiKey(Id)`.
pub fn check<'a>(x: &mut Exchange<'a>, keys: &'a KeyTable) -> Result<(), Reject> {
    let need = x.method().api_key;
    if !need.required {
        return Ok(());
    }
    let presented = match need.source {
        ApiKeySource::Header => x.req.header(b"x-api-key"),
        ApiKeySource::Authorizer => x
            .auth
            .as_ref()
            .and_then(|a| a.usage_identifier_key.as_deref())
            .map(str::as_bytes),
    };
    match keys.check(presented, &x.api().id, &x.stage().name) {
        Ok(entry) => {
            x.api_key = Some(entry);
            Ok(())
        }
        Err(why) => {
            log_refusal(x, why);
            Err(Reject::InvalidApiKey)
        }
    }
}

/// At most one refusal line per this long, per worker thread.
const LOG_EVERY: Duration = Duration::from_secs(1);

thread_local! {
    static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
    static HELD_BACK: Cell<u64> = const { Cell::new(0) };
}

#[cold]
fn log_refusal(x: &Exchange<'_>, why: KeyRefusal) {
    let now = Instant::now();
    if LAST.with(|l| l.get().is_some_and(|t| now.duration_since(t) < LOG_EVERY)) {
        HELD_BACK.with(|h| h.set(h.get() + 1));
        return;
    }
    LAST.with(|l| l.set(Some(now)));
    let held_back = HELD_BACK.with(|h| h.replace(0));
    let id = std::str::from_utf8(&x.req.request_id).unwrap_or("-");
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "request {id}: 403 Forbidden for {} {}: {}",
        x.api().id,
        x.method().resource_path,
        why.describe()
    );
    let _ = if held_back > 0 {
        writeln!(err, " ({held_back} more key refusals not logged)")
    } else {
        writeln!(err)
    };
}
