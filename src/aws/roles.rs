//! Integration roles: an `AWS` or `AWS_PROXY` integration's `credentials` names an IAM role the
//! gateway assumes through STS `AssumeRole`, signing that integration's calls with the role's
//! temporary credentials instead of its own.
//!
//! - **Off the request path.** A deployment that names a role registers it (`role`, on the
//!   control plane); one refresher thread assumes it at once, then again when the credentials
//!   have less than `REFRESH_BEFORE` left (the SDKs' margin), so a worker never waits on STS
//!   once a role is ready. Workers read the current credentials with one `ArcSwap` load: no
//!   lock, no allocation.
//! - **The first call after a deploy** may find the role still being assumed: it waits for it,
//!   without blocking its core, up to the integration's deadline (`Role::ready`).
//! - **Failures.** A role that cannot be assumed (STS denies it, STS unreachable, no gateway
//!   credentials to ask with) fails its integration's calls with 500 and a log line with STS's
//!   reason, as AWS answers "API Gateway does not have permission to assume the provided role".
//!   A failed refresh keeps the credentials still valid and is retried every `RETRY`; only when
//!   they expire do calls fail.
//! - **Lifetime.** The registry holds roles weakly: a role no published snapshot names is
//!   dropped at the refresher's next pass and no longer refreshed.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arc_swap::ArcSwap;

use super::credentials::Credentials;

/// Credentials are renewed when they have less than this left.
pub const REFRESH_BEFORE: u64 = 300;
/// How long the gateway asks for (AssumeRole's default and the least every role allows).
pub const DURATION_SECONDS: u64 = 3600;
/// How soon a failed AssumeRole is tried again.
pub const RETRY: u64 = 5;
/// The session name AWS's CloudTrail shows for the gateway's calls.
pub const SESSION_NAME: &str = "tollgate-integration";

/// Where a role stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Registered, not assumed yet.
    Pending,
    Ready {
        credentials: Credentials,
        /// Unix seconds.
        expires: u64,
        /// The last refresh failed with this (the credentials are still valid).
        last_error: Option<Box<str>>,
        /// Not renewed before this (Unix seconds): a failed renewal waits `RETRY`.
        retry_at: u64,
    },
    /// Never assumed, or expired and not renewed: why.
    Failed { reason: Box<str>, at: u64 },
}

/// One role, shared by every integration (and snapshot) that names it.
pub struct Role {
    arn: Box<str>,
    state: ArcSwap<State>,
}

impl std::fmt::Debug for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Role({})", self.arn)
    }
}

// Snapshots compare integrations (tests); a role is its ARN.
impl PartialEq for Role {
    fn eq(&self, other: &Role) -> bool {
        self.arn == other.arn
    }
}
impl Eq for Role {}

/// Credentials to sign one call with, borrowed for the time of the signing.
pub enum Signing {
    Own(&'static Credentials),
    Assumed(arc_swap::Guard<Arc<State>>),
}

impl Signing {
    pub fn credentials(&self) -> &Credentials {
        match self {
            Signing::Own(c) => c,
            Signing::Assumed(g) => match &***g {
                State::Ready { credentials, .. } => credentials,
                // `Role::signing` hands out only Ready states.
                _ => unreachable!("a Signing holds a Ready state"),
            },
        }
    }
}

/// Why a role's credentials cannot sign now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// Still being assumed after the caller's wait.
    NotYet,
    Failed(Box<str>),
}

impl Role {
    fn new(arn: &str) -> Role {
        Role {
            arn: arn.into(),
            state: ArcSwap::from_pointee(State::Pending),
        }
    }

    pub fn arn(&self) -> &str {
        &self.arn
    }

    pub fn state(&self) -> arc_swap::Guard<Arc<State>> {
        self.state.load()
    }

    /// Sets the state (the refresher; tests).
    pub fn set(&self, state: State) {
        self.state.store(Arc::new(state));
    }

    /// The credentials to sign with at `now` (Unix seconds).
    pub fn signing(&self, now: u64) -> Result<Signing, Unavailable> {
        let g = self.state.load();
        match &**g {
            State::Ready { expires, .. } if *expires > now => Ok(Signing::Assumed(g)),
            State::Ready { last_error, .. } => Err(Unavailable::Failed(
                format!(
                    "the assumed role's credentials expired and could not be renewed: {}",
                    last_error.as_deref().unwrap_or("no answer from STS")
                )
                .into(),
            )),
            State::Pending => Err(Unavailable::NotYet),
            State::Failed { reason, .. } => Err(Unavailable::Failed(reason.clone())),
        }
    }

    /// Waits (without blocking the core) while the role is still being assumed, up to `limit`.
    pub async fn ready(&self, limit: Duration) {
        if !matches!(**self.state.load(), State::Pending) {
            return;
        }
        wake_refresher();
        let until = std::time::Instant::now() + limit;
        let mut pause = Duration::from_millis(1);
        while matches!(**self.state.load(), State::Pending) {
            let now = std::time::Instant::now();
            if now >= until {
                return;
            }
            monoio::time::sleep(pause.min(until - now)).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

/// What the refresher should do for a role in `state` at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Assume,
    /// Nothing until this time (Unix seconds).
    Wait(u64),
}

pub fn due(state: &State, now: u64) -> Due {
    let at = match state {
        State::Pending => return Due::Assume,
        State::Ready {
            expires, retry_at, ..
        } => expires.saturating_sub(REFRESH_BEFORE).max(*retry_at),
        State::Failed { at, .. } => at + RETRY,
    };
    if at <= now {
        Due::Assume
    } else {
        Due::Wait(at)
    }
}

/// What one AssumeRole gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub credentials: Credentials,
    pub expires: u64,
}

/// The state after an AssumeRole at `now` that returned `result`.
pub fn after(previous: &State, result: Result<Issued, String>, now: u64) -> State {
    match (result, previous) {
        (Ok(issued), _) => State::Ready {
            credentials: issued.credentials,
            expires: issued.expires,
            last_error: None,
            retry_at: 0,
        },
        (
            Err(e),
            State::Ready {
                credentials,
                expires,
                ..
            },
        ) if *expires > now => State::Ready {
            credentials: credentials.clone(),
            expires: *expires,
            last_error: Some(e.into()),
            retry_at: now + RETRY,
        },
        (Err(e), _) => State::Failed {
            reason: e.into(),
            at: now,
        },
    }
}

/// Calls STS for a role ARN (`sts::assume_role` for real; a fake in tests).
pub type Assume = Arc<dyn Fn(&str) -> Result<Issued, String> + Send + Sync>;

/// Every role a compiled snapshot names, refreshed by one control-plane thread.
static REGISTRY: super::refresh::Registry<Role> = super::refresh::Registry::new();

/// The role for `arn`, shared with every integration already naming it (control plane only:
/// this takes the registry's lock).
pub fn role(arn: &str) -> Arc<Role> {
    REGISTRY.intern(|r| &*r.arn == arn, || Role::new(arn))
}

fn wake_refresher() {
    REGISTRY.wake();
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Starts the refresher thread (once per process; later calls do nothing).
pub fn start_refresher(assume: Assume) {
    static STARTED: OnceLock<()> = OnceLock::new();
    if STARTED.set(()).is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("tollgate-roles".into())
        .spawn(move || refresher(assume));
    if let Err(e) = spawned {
        eprintln!("aws: cannot start the role refresher: {e}; integration roles will fail");
    }
}

fn refresher(assume: Assume) {
    loop {
        let live = REGISTRY.live();
        let mut next = unix_now() + 60;
        for r in &live {
            let now = unix_now();
            let current = r.state();
            match due(&current, now) {
                Due::Wait(at) => next = next.min(at),
                Due::Assume => {
                    let result = assume(&r.arn);
                    if let Err(e) = &result {
                        eprintln!("aws: AssumeRole {} failed: {e}", r.arn);
                    }
                    let now = unix_now();
                    let state = after(&current, result, now);
                    if let Due::Wait(at) = due(&state, now) {
                        next = next.min(at);
                    }
                    r.set(state);
                }
            }
        }
        drop(live);
        REGISTRY.sleep_until(next, unix_now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(id: &str) -> Credentials {
        Credentials {
            access_key_id: id.into(),
            secret_access_key: "s".into(),
            session_token: Some("t".into()),
        }
    }

    fn ready(expires: u64, last_error: Option<(&str, u64)>) -> State {
        State::Ready {
            credentials: creds("ASIA1"),
            expires,
            last_error: last_error.map(|(e, _)| e.into()),
            retry_at: last_error.map_or(0, |(_, at)| at),
        }
    }

    #[test]
    fn a_role_is_assumed_at_once_then_renewed_before_it_expires() {
        assert_eq!(due(&State::Pending, 1000), Due::Assume);
        assert_eq!(
            due(&ready(5000, None), 1000),
            Due::Wait(5000 - REFRESH_BEFORE)
        );
        assert_eq!(due(&ready(5000, None), 4700), Due::Assume);
    }

    #[test]
    fn failures_are_retried_after_the_pause() {
        let failed = State::Failed {
            reason: "denied".into(),
            at: 1000,
        };
        assert_eq!(due(&failed, 1001), Due::Wait(1000 + RETRY));
        assert_eq!(due(&failed, 1000 + RETRY), Due::Assume);
        // A failed renewal retries soon, while the old credentials still serve.
        assert_eq!(
            due(&ready(5000, Some(("timeout", 4805))), 4800),
            Due::Wait(4805)
        );
        assert_eq!(
            due(&ready(5000, Some(("timeout", 4805))), 4805),
            Due::Assume
        );
    }

    #[test]
    fn a_failed_renewal_keeps_valid_credentials_and_fails_once_they_expire() {
        let before = ready(5000, None);
        let kept = after(&before, Err("throttled".into()), 4800);
        assert_eq!(kept, ready(5000, Some(("throttled", 4800 + RETRY))));
        let role = Role::new("arn:aws:iam::123456789012:role/r");
        role.set(kept);
        assert!(role.signing(4900).is_ok());
        match role.signing(5000) {
            Err(Unavailable::Failed(why)) => assert!(why.contains("throttled"), "{why}"),
            Ok(_) => panic!("expired credentials must not sign"),
            Err(e) => panic!("{e:?}"),
        }
        let gone = after(&ready(5000, None), Err("denied".into()), 5001);
        assert_eq!(
            gone,
            State::Failed {
                reason: "denied".into(),
                at: 5001
            }
        );
    }

    #[test]
    fn signing_uses_the_assumed_credentials_and_waits_while_pending() {
        let role = Role::new("arn:aws:iam::123456789012:role/r");
        assert_eq!(role.signing(1).err(), Some(Unavailable::NotYet));
        role.set(after(
            &State::Pending,
            Ok(Issued {
                credentials: creds("ASIA2"),
                expires: 100,
            }),
            1,
        ));
        let s = role.signing(2).ok().unwrap();
        assert_eq!(s.credentials().access_key_id, "ASIA2");
    }

    #[test]
    fn one_role_per_arn_while_it_is_named() {
        let a = role("arn:aws:iam::123456789012:role/shared-test");
        let b = role("arn:aws:iam::123456789012:role/shared-test");
        assert!(Arc::ptr_eq(&a, &b));
        let other = role("arn:aws:iam::123456789012:role/other-test");
        assert!(!Arc::ptr_eq(&a, &other));
    }
}
