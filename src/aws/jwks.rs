//! Cognito user pool signing keys (JWKS), fetched and refreshed off the request path for the
//! `COGNITO_USER_POOLS` authorizers (`jwt` checks tokens against them).
//!
//! - **Where from.** `{cognito-idp endpoint}/{poolId}/.well-known/jwks.json`, the endpoint
//!   resolved like every AWS endpoint (`[aws.endpoints] cognito-idp`,
//!   `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`, `AWS_ENDPOINT_URL`, else
//!   `https://cognito-idp.{region}.amazonaws.com`). The issuer a token must carry stays the AWS
//!   one whatever endpoint served the keys.
//! - **When.** A deployment that names a pool registers it (`pool`, control plane); one refresher
//!   thread fetches its keys at once, then every `REFRESH_EVERY`, and soon after a worker meets a
//!   token whose `kid` is unknown (`Pool::refresh_for_kid`), at most once per `KID_REFRESH_EVERY`
//!   per pool, so a flood of made-up kids costs one fetch per interval. Workers read the keys
//!   with one `ArcSwap` load: no lock, no allocation.
//! - **First requests** after a deploy may find the keys not fetched yet: they wait for them,
//!   without blocking the core, up to `FIRST_WAIT` (`Pool::ready`).
//! - **Failures fail closed.** Keys that were never fetched verify nothing (the phase answers 500
//!   AUTHORIZER_FAILURE: the gateway, not the token, is at fault). A failed refresh keeps the
//!   keys already fetched for `STALE_LIMIT` (they are the pool's genuine keys; Cognito rotates
//!   rarely) and is retried with backoff; past that the keys are dropped.
//! - **Lifetime.** The registry holds pools weakly: one no published snapshot names is dropped
//!   at the refresher's next pass.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arc_swap::ArcSwap;

use super::jwt::{parse_jwks, RsaKey};
use super::roles::unix_now;

/// Keys are fetched again this often while the pool is named (seconds).
pub const REFRESH_EVERY: u64 = 3600;
/// An unknown `kid` asks for a refresh at most this often per pool (seconds).
pub const KID_REFRESH_EVERY: u64 = 30;
/// Fetched keys outlive failed refreshes this long (seconds).
pub const STALE_LIMIT: u64 = 24 * 3600;
/// A failed fetch is retried after `RETRY_MIN * 2^(failures-1)`, at most `RETRY_MAX` (seconds).
pub const RETRY_MIN: u64 = 2;
pub const RETRY_MAX: u64 = 120;
/// How long a request waits for a pool's first keys.
pub const FIRST_WAIT: Duration = Duration::from_secs(5);
/// How long a request with an unknown kid waits for the refresh it asked for.
pub const KID_WAIT: Duration = Duration::from_secs(2);
/// The most a JWKS document may weigh.
const MAX_BODY: u64 = 256 * 1024;

/// What is known of a pool's keys.
#[derive(Debug, Clone, Default)]
pub struct KeyState {
    /// Empty until the first successful fetch (and after `STALE_LIMIT` of failures).
    pub keys: Vec<RsaKey>,
    /// Unix seconds of the last successful fetch; 0 = never.
    pub fetched: u64,
    /// Unix seconds of the last attempt; 0 = never.
    pub attempted: u64,
    /// Consecutive failed attempts.
    pub failures: u32,
    /// Why the last attempt failed.
    pub error: Option<Box<str>>,
    /// Bumped by every finished attempt (waiters watch it).
    pub generation: u64,
}

impl AsRef<[RsaKey]> for KeyState {
    fn as_ref(&self) -> &[RsaKey] {
        &self.keys
    }
}

/// The current keys as a worker holds them for one verification.
pub struct Keys(arc_swap::Guard<Arc<KeyState>>);

impl AsRef<[RsaKey]> for Keys {
    fn as_ref(&self) -> &[RsaKey] {
        &self.0.keys
    }
}

/// One user pool's keys, shared by every authorizer (and snapshot) naming the pool.
pub struct Pool {
    /// `https://cognito-idp.{region}.amazonaws.com/{poolId}`.
    issuer: Box<str>,
    /// Where the JWKS is fetched from.
    url: Box<str>,
    state: ArcSwap<KeyState>,
    /// Unix seconds of the last refresh asked for by an unknown kid.
    kid_asked: AtomicU64,
    /// A refresh was asked for and has not run yet.
    wanted: AtomicBool,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pool({})", self.issuer)
    }
}

impl PartialEq for Pool {
    fn eq(&self, other: &Pool) -> bool {
        self.issuer == other.issuer && self.url == other.url
    }
}
impl Eq for Pool {}

/// The issuer Cognito writes into a pool's tokens.
pub fn issuer(region: &str, pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
}

/// Where a pool's JWKS is fetched from, given the cognito-idp endpoint.
pub fn jwks_url(endpoint: &str, pool_id: &str) -> String {
    format!(
        "{}/{pool_id}/.well-known/jwks.json",
        endpoint.trim_end_matches('/')
    )
}

/// What the refresher should do for a pool in `state` at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Fetch,
    /// Nothing until this time (Unix seconds).
    Wait(u64),
}

pub fn due(state: &KeyState, wanted: bool, now: u64) -> Due {
    let at = if state.attempted == 0 {
        0
    } else if state.failures > 0 {
        let backoff = RETRY_MIN
            .saturating_mul(1u64 << (state.failures - 1).min(16))
            .min(RETRY_MAX);
        state.attempted + backoff
    } else if wanted {
        0
    } else {
        state.fetched + REFRESH_EVERY
    };
    if at <= now {
        Due::Fetch
    } else {
        Due::Wait(at)
    }
}

/// The state after a fetch at `now` that returned `result`.
pub fn after(previous: &KeyState, result: Result<Vec<RsaKey>, String>, now: u64) -> KeyState {
    match result {
        Ok(keys) => KeyState {
            keys,
            fetched: now,
            attempted: now,
            failures: 0,
            error: None,
            generation: previous.generation + 1,
        },
        Err(e) => KeyState {
            keys: if previous.fetched + STALE_LIMIT > now {
                previous.keys.clone()
            } else {
                Vec::new()
            },
            fetched: previous.fetched,
            attempted: now,
            failures: previous.failures.saturating_add(1),
            error: Some(e.into()),
            generation: previous.generation + 1,
        },
    }
}

impl Pool {
    pub fn new(issuer: &str, url: &str) -> Pool {
        Pool {
            issuer: issuer.into(),
            url: url.into(),
            state: ArcSwap::from_pointee(KeyState::default()),
            kid_asked: AtomicU64::new(0),
            wanted: AtomicBool::new(false),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The current keys (one atomic load).
    pub fn keys(&self) -> Keys {
        Keys(self.state.load())
    }

    pub fn state(&self) -> arc_swap::Guard<Arc<KeyState>> {
        self.state.load()
    }

    /// Sets the state (the refresher; tests).
    pub fn set(&self, state: KeyState) {
        self.state.store(Arc::new(state));
    }

    /// Whether no fetch has finished yet.
    pub fn pending(&self) -> bool {
        self.state.load().attempted == 0
    }

    /// A token named a kid these keys lack: asks the refresher for fresh keys unless it was asked
    /// less than `KID_REFRESH_EVERY` ago. `true` when a refresh is coming (asked now, or asked
    /// before and not run yet), so the caller may wait for it (`wait_past`).
    pub fn refresh_for_kid(&self, now: u64) -> bool {
        if self.wanted.load(Ordering::Acquire) {
            return true;
        }
        let last = self.kid_asked.load(Ordering::Acquire);
        if last != 0 && now < last + KID_REFRESH_EVERY {
            return false;
        }
        if self
            .kid_asked
            .compare_exchange(last, now.max(1), Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // Another core asked at this moment.
            return self.wanted.load(Ordering::Acquire);
        }
        self.wanted.store(true, Ordering::Release);
        wake_refresher();
        true
    }

    /// Waits (without blocking the core) until an attempt newer than `generation` finished, up
    /// to `limit`.
    pub async fn wait_past(&self, generation: u64, limit: Duration) {
        let until = std::time::Instant::now() + limit;
        let mut pause = Duration::from_millis(1);
        while self.state.load().generation <= generation {
            let now = std::time::Instant::now();
            if now >= until {
                return;
            }
            monoio::time::sleep(pause.min(until - now)).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Waits for the first fetch to finish (successfully or not), up to `limit`.
    pub async fn ready(&self, limit: Duration) {
        if self.pending() {
            wake_refresher();
            self.wait_past(0, limit).await;
        }
    }
}

/// Fetches a URL's body (`http_get` for real; a fake in tests).
pub type Fetch = Arc<dyn Fn(&str) -> Result<Vec<u8>, String> + Send + Sync>;

/// GET `url` with the gateway's HTTP client (system trust store, 10 s timeout): 200 only.
pub fn http_get(url: &str) -> Result<Vec<u8>, String> {
    let mut response = super::sts::agent()
        .get(url)
        .call()
        .map_err(|e| format!("{url} did not answer: {e}"))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(format!("{url} answered {status}"));
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| format!("reading {url}: {e}"))
}

/// Fetches and reads one pool's keys.
pub fn fetch_keys(fetch: &Fetch, url: &str) -> Result<Vec<RsaKey>, String> {
    let body = fetch(url)?;
    parse_jwks(&body).map_err(|e| format!("{url}: {e}"))
}

/// Every user pool a compiled snapshot names, refreshed by one control-plane thread.
static REGISTRY: super::refresh::Registry<Pool> = super::refresh::Registry::new();

/// The pool `pool_id` in `region`, its keys fetched from the resolved cognito-idp endpoint;
/// shared with every authorizer already naming it (control plane only: takes the registry lock).
pub fn pool(region: &str, pool_id: &str) -> Arc<Pool> {
    let endpoint = super::env().endpoints.resolve("cognito-idp", region);
    pool_at(&issuer(region, pool_id), &jwks_url(&endpoint, pool_id))
}

/// The pool with this issuer whose keys come from `url`.
pub fn pool_at(issuer: &str, url: &str) -> Arc<Pool> {
    REGISTRY.intern(
        |p| &*p.issuer == issuer && &*p.url == url,
        || Pool::new(issuer, url),
    )
}

fn wake_refresher() {
    REGISTRY.wake();
}

/// Starts the refresher thread (once per process; later calls do nothing).
pub fn start_refresher(fetch: Fetch) {
    static STARTED: OnceLock<()> = OnceLock::new();
    if STARTED.set(()).is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("tollgate-jwks".into())
        .spawn(move || refresher(fetch));
    if let Err(e) = spawned {
        eprintln!("cognito: cannot start the JWKS refresher: {e}; Cognito authorizers will fail");
    }
}

/// One pass over `pools` at the time `now()` gives; returns when the next one is due.
pub fn refresh_pass(pools: &[Arc<Pool>], fetch: &Fetch, now: impl Fn() -> u64) -> u64 {
    let mut next = now() + 60;
    for p in pools {
        let current = p.state();
        let wanted = p.wanted.load(Ordering::Acquire);
        match due(&current, wanted, now()) {
            Due::Wait(at) => next = next.min(at),
            Due::Fetch => {
                p.wanted.store(false, Ordering::Release);
                let result = fetch_keys(fetch, &p.url);
                match &result {
                    Err(e) => eprintln!("cognito: JWKS for {} failed: {e}", p.issuer),
                    Ok(keys) if current.fetched == 0 || current.failures > 0 => eprintln!(
                        "cognito: {} key(s) for {} from {}",
                        keys.len(),
                        p.issuer,
                        p.url
                    ),
                    Ok(_) => {}
                }
                let t = now();
                let state = after(&current, result, t);
                if let Due::Wait(at) = due(&state, false, t) {
                    next = next.min(at);
                }
                p.set(state);
            }
        }
    }
    next
}

fn refresher(fetch: Fetch) {
    loop {
        let live = REGISTRY.live();
        let next = refresh_pass(&live, &fetch, unix_now);
        drop(live);
        REGISTRY.sleep_until(next, unix_now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    const JWKS: &[u8] = include_bytes!("testdata/jwks.json");

    fn counting(answer: Result<&'static [u8], &'static str>) -> (Fetch, Arc<AtomicUsize>) {
        let n = Arc::new(AtomicUsize::new(0));
        let c = n.clone();
        let f: Fetch = Arc::new(move |_url: &str| {
            c.fetch_add(1, Ordering::SeqCst);
            answer.map(<[u8]>::to_vec).map_err(String::from)
        });
        (f, n)
    }

    #[test]
    fn urls_and_issuers() {
        assert_eq!(
            issuer("eu-west-1", "eu-west-1_abc"),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
        );
        assert_eq!(
            jwks_url("http://127.0.0.1:5000/", "us-east-1_x"),
            "http://127.0.0.1:5000/us-east-1_x/.well-known/jwks.json"
        );
        // Unit tests run with no endpoint override: the real AWS endpoint.
        let p = pool("us-west-2", "us-west-2_unit");
        assert_eq!(
            p.url(),
            "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_unit/.well-known/jwks.json"
        );
        assert!(Arc::ptr_eq(&p, &pool("us-west-2", "us-west-2_unit")));
    }

    #[test]
    fn keys_are_fetched_at_once_then_hourly() {
        let p = Arc::new(Pool::new("iss", "http://x/jwks"));
        let (fetch, n) = counting(Ok(JWKS));
        let next = refresh_pass(std::slice::from_ref(&p), &fetch, || 1000);
        assert_eq!(n.load(Ordering::SeqCst), 1);
        assert_eq!(p.keys().as_ref().len(), 1);
        assert_eq!(next, 1000 + 60);
        assert!(!p.pending());
        refresh_pass(std::slice::from_ref(&p), &fetch, || {
            1000 + REFRESH_EVERY - 1
        });
        assert_eq!(n.load(Ordering::SeqCst), 1);
        refresh_pass(std::slice::from_ref(&p), &fetch, || 1000 + REFRESH_EVERY);
        assert_eq!(n.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn unknown_kids_refresh_at_most_once_per_interval() {
        let p = Arc::new(Pool::new("iss", "http://x/jwks"));
        let (fetch, n) = counting(Ok(JWKS));
        refresh_pass(std::slice::from_ref(&p), &fetch, || 1000);
        assert!(p.refresh_for_kid(1001));
        // Still pending: later callers may wait for the same refresh.
        assert!(p.refresh_for_kid(1001));
        refresh_pass(std::slice::from_ref(&p), &fetch, || 1001);
        assert_eq!(n.load(Ordering::SeqCst), 2);
        // A flood of bogus kids within the interval asks for nothing more.
        for t in 1002..1001 + KID_REFRESH_EVERY {
            assert!(!p.refresh_for_kid(t));
            refresh_pass(std::slice::from_ref(&p), &fetch, || t);
        }
        assert_eq!(n.load(Ordering::SeqCst), 2);
        assert!(p.refresh_for_kid(1001 + KID_REFRESH_EVERY));
        refresh_pass(std::slice::from_ref(&p), &fetch, || {
            1001 + KID_REFRESH_EVERY
        });
        assert_eq!(n.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn failures_keep_fetched_keys_for_a_while_and_back_off() {
        let ok = after(&KeyState::default(), Ok(parse_jwks(JWKS).unwrap()), 1000);
        let failed = after(&ok, Err("down".into()), 2000);
        assert_eq!(failed.keys.len(), 1);
        assert_eq!(failed.failures, 1);
        assert_eq!(due(&failed, false, 2000), Due::Wait(2000 + RETRY_MIN));
        let failed2 = after(&failed, Err("down".into()), 2002);
        assert_eq!(due(&failed2, true, 2002), Due::Wait(2002 + 2 * RETRY_MIN));
        let gone = after(&failed2, Err("down".into()), 1000 + STALE_LIMIT);
        assert!(gone.keys.is_empty());
        assert_eq!(&*gone.error.unwrap(), "down");
        let mut many = failed2.clone();
        many.failures = 40;
        assert_eq!(
            due(&many, false, many.attempted + 1),
            Due::Wait(many.attempted + RETRY_MAX)
        );
    }

    #[test]
    fn a_pool_that_never_answers_has_no_keys() {
        let p = Arc::new(Pool::new("iss", "http://x/jwks"));
        let (fetch, n) = counting(Err("connection refused"));
        refresh_pass(std::slice::from_ref(&p), &fetch, || 1000);
        assert_eq!(n.load(Ordering::SeqCst), 1);
        assert!(!p.pending());
        assert!(p.keys().as_ref().is_empty());
        let (garbage, _) = counting(Ok(b"<html>"));
        refresh_pass(std::slice::from_ref(&p), &garbage, || 1000 + RETRY_MIN);
        assert!(p.keys().as_ref().is_empty());
        assert!(p.state().error.as_deref().unwrap().contains("not JSON"));
    }
}
