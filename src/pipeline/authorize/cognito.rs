//! `COGNITO_USER_POOLS` authorization: a JWT issued by one of the authorizer's user pools
//! (`aws::jwt` checks it against the pool's keys, which `aws::jwks` keeps fresh off the request
//! path).
//!
//! - **The token** is the identity-source header (default `Authorization`) as sent, or after a
//!   `Bearer ` prefix (Cognito's guide tells apps to send it as a bearer token, and API Gateway
//!   accepts both forms). Missing or empty: 401 without looking further.
//! - **Which tokens open the method**: without `authorizationScopes`, a valid ID token; with
//!   them, a valid access token whose `scope` holds one of them (anything else, 401
//!   Unauthorized, as AWS answers a scope mismatch). An `identityValidationExpression` (AWS
//!   matches it against the token's audience) must match `aud` / `client_id`.
//! - **Per-core cache** (`core::token_cache`, one per worker thread): a verified token is kept
//!   until `min(exp, now + authorizerResultTtlInSeconds)` (TTL 0: never cached) with its
//!   `Rc<Authorized>`, so a repeat costs a hash, a compare and a reference count: no RSA, no
//!   allocation. The entry remembers its issuer, so it opens only authorizers trusting that pool;
//!   the method's scopes are checked on every hit.
//! - **Keys not there** (fail closed): a request arriving before a pool's first fetch finished
//!   waits for it up to `jwks::FIRST_WAIT`; an unknown `kid` asks for a refresh (rate-limited per
//!   pool) and waits up to `jwks::KID_WAIT` when one is coming, else 401. A pool whose keys could
//!   not be fetched at all answers 500 AUTHORIZER_FAILURE: the gateway cannot tell a good token
//!   from a bad one, and a 401 would send clients to sign in again for nothing.
//!
//! For the access log, verifying the token is the authenticate step, the method's scope and
//! audience checks the authorize step, and both together the authorizer step (a user pool is
//! the method's authorizer).

use std::rc::Rc;
use std::time::Instant;

use super::{AuthReject, Authorized, Decision};
use crate::aws::jwks;
use crate::aws::jwt::{self, JwtError, TokenUse};
use crate::core::token_cache::TokenCache;
use crate::core::Core;
use crate::deploy::authorizers::{AuthorizerIdx, AuthorizerKind, IdentitySource};
use crate::deploy::cognito::CognitoPools;
use crate::pipeline::respond::Reject;
use crate::pipeline::trace::Step;
use crate::pipeline::Exchange;

/// A verified token as the cache keeps it: what every later check needs, and the caller.
#[derive(Debug)]
pub struct Entry {
    pub issuer: Box<str>,
    pub token_use: TokenUse,
    /// `aud` (ID token) or `client_id` (access token).
    pub client: Box<str>,
    /// An access token's `scope`.
    pub scope: Box<str>,
    pub auth: Rc<Authorized>,
}

thread_local! {
    /// This core's verified tokens (a worker thread is a core).
    static CACHE: TokenCache<Rc<Entry>> = TokenCache::new();
    /// `response_cache::TOKENS_FLUSHED` as this core last cleared `CACHE` for it.
    static FLUSHED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Clears this core's token cache after a FlushStageAuthorizersCache (one atomic load otherwise).
fn follow_flushes() {
    let now =
        crate::core::response_cache::TOKENS_FLUSHED.load(std::sync::atomic::Ordering::Acquire);
    if FLUSHED.with(|f| f.replace(now)) != now {
        CACHE.with(|c| c.clear());
    }
}

/// The token in an identity header's value: as is, or after `Bearer `.
pub fn token_of(value: &[u8]) -> &[u8] {
    match value.get(..7) {
        Some(p) if p.eq_ignore_ascii_case(b"bearer ") => &value[7..],
        _ => value,
    }
}

pub async fn authorize(
    x: &mut Exchange<'_>,
    core: &Core,
    authorizer: AuthorizerIdx,
    scopes: &[Box<str>],
) -> Result<Decision, Reject> {
    let _ = core;
    let started = Instant::now();
    let verified = authenticate(x, authorizer).await;
    let t = &mut x.auth_trace;
    t.authenticate = Step::of(started, &verified);
    t.authorizer = t.authenticate;
    let (entry, validation) = verified?;
    let admitting = Instant::now();
    let admitted = admit(x, &entry, validation, scopes);
    let t = &mut x.auth_trace;
    t.authorize = Step::of(admitting, &admitted);
    t.authorizer = Step::of(started, &admitted);
    admitted
}

/// The token verified (from this core's cache, or by its signature), with the authorizer's
/// audience check for `admit`.
async fn authenticate<'a>(
    x: &Exchange<'a>,
    authorizer: AuthorizerIdx,
) -> Result<(Rc<Entry>, Option<&'a regex::Regex>), Reject> {
    let stage = x.stage();
    let Some(a) = stage.authorizer(authorizer) else {
        return Err(AuthReject::AuthorizerConfiguration.into());
    };
    let (AuthorizerKind::Cognito(pools), [IdentitySource::Header(header)]) = (&a.kind, &*a.sources)
    else {
        return Err(AuthReject::AuthorizerConfiguration.into());
    };
    let req = x.req;
    let token = token_of(req.header(header.as_bytes()).unwrap_or_default());
    if token.is_empty() {
        return Err(AuthReject::Unauthorized.into());
    }
    let now = req.epoch_ms / 1000;
    follow_flushes();
    if let Some(hit) = CACHE.with(|c| c.get(token, now)) {
        if pools.issuers.iter().any(|i| *i == hit.issuer) {
            return Ok((hit, a.validation.as_ref()));
        }
    }
    let Ok(text) = std::str::from_utf8(token) else {
        return Err(AuthReject::Unauthorized.into());
    };
    let verified = match check(text, pools, now) {
        Err(JwtError::UnknownKid { pool }) => {
            wait_for_keys(&pools.pools[pool], now).await?;
            check(text, pools, now)
        }
        other => other,
    };
    let v = match verified {
        Ok(v) => v,
        Err(JwtError::UnknownKid { pool }) if pools.pools[pool].keys().as_ref().is_empty() => {
            return Err(AuthReject::AuthorizerFailure.into())
        }
        Err(_) => return Err(AuthReject::Unauthorized.into()),
    };
    let entry = Rc::new(Entry {
        issuer: pools.issuers[v.pool].clone(),
        token_use: v.token_use,
        client: v.client,
        scope: v.scope,
        auth: Rc::new(Authorized {
            claims: v.claims,
            ..Authorized::default()
        }),
    });
    if a.ttl_secs > 0 {
        let expires = v.exp.min(now + u64::from(a.ttl_secs));
        CACHE.with(|c| c.insert(token, entry.clone(), expires, now));
    }
    Ok((entry, a.validation.as_ref()))
}

fn check(token: &str, pools: &CognitoPools, now: u64) -> Result<jwt::Verified, JwtError> {
    jwt::verify(token, &pools.issuers, |i| pools.pools[i].keys(), now)
}

/// Waits for keys that may verify a token whose kid is unknown: the pool's first fetch, or a
/// refresh this token asked for. `Err` when the pool has no keys at all (its fetches failed:
/// the refresher keeps retrying on its own schedule, nobody waits for it).
async fn wait_for_keys(pool: &jwks::Pool, now: u64) -> Result<(), Reject> {
    if pool.pending() {
        pool.ready(jwks::FIRST_WAIT).await;
        return Ok(());
    }
    let state = pool.state();
    if state.keys.is_empty() {
        return Err(AuthReject::AuthorizerFailure.into());
    }
    if pool.refresh_for_kid(now) {
        pool.wait_past(state.generation, jwks::KID_WAIT).await;
    }
    Ok(())
}

/// The method's own checks on a verified token; on success the caller joins the exchange.
fn admit(
    x: &mut Exchange<'_>,
    e: &Rc<Entry>,
    validation: Option<&regex::Regex>,
    scopes: &[Box<str>],
) -> Result<Decision, Reject> {
    if validation.is_some_and(|r| !r.is_match(&e.client))
        || !jwt::admits(e.token_use, &e.scope, scopes)
    {
        return Err(AuthReject::Unauthorized.into());
    }
    x.auth = Some(e.auth.clone());
    Ok(Decision::Allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_the_header_with_or_without_bearer() {
        assert_eq!(token_of(b"eyJ.a.b"), b"eyJ.a.b");
        assert_eq!(token_of(b"Bearer eyJ.a.b"), b"eyJ.a.b");
        assert_eq!(token_of(b"bearer eyJ.a.b"), b"eyJ.a.b");
        assert_eq!(token_of(b"Bearer "), b"");
        assert_eq!(token_of(b"Bearer"), b"Bearer");
        assert_eq!(token_of(b""), b"");
    }
}
