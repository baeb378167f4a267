//! What the authorize and integrate phases record for the logs (`$context.authorizer.*`,
//! `$context.authenticate.*`, `$context.authorize.*`, `$context.integration.error` and
//! `.requestId`): plain integers and fixed buffers carried in the exchange, so recording costs
//! a clock read and no allocation. Only a failure's message is allocated, on its (cold) path.

use super::respond::Reject;
use std::time::Instant;

/// One step of the authorize phase, as the access log reports it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// 200 when the step let the request through, else the refusal's status; 0: not run.
    pub status: u16,
    pub latency_us: u64,
}

impl Step {
    /// The step that started at `started` and ended now with `result`.
    pub fn of<T>(started: Instant, result: &Result<T, Reject>) -> Step {
        Step {
            status: match result {
                Ok(_) => 200,
                Err(r) => r.gateway_error().status,
            },
            latency_us: started.elapsed().as_micros() as u64,
        }
    }

    pub fn ran(&self) -> bool {
        self.status != 0
    }

    pub fn failed(&self) -> bool {
        self.ran() && self.status != 200
    }

    /// This step followed by `next` as one: both latencies, `next`'s verdict.
    pub fn then(self, next: Step) -> Step {
        Step {
            status: next.status,
            latency_us: self.latency_us + next.latency_us,
        }
    }
}

/// An AWS request id as a response header gave it (`x-amzn-RequestId`): AWS's are 36-byte UUIDs,
/// longer ones are cut rather than allocated for. `N` bytes at most (`x-amz-id-2`, S3's extended
/// id, is about 76).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AwsRequestId<const N: usize = 64> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> AwsRequestId<N> {
    pub fn new(value: &[u8]) -> AwsRequestId<N> {
        let mut id = AwsRequestId {
            len: 0,
            bytes: [0; N],
        };
        let n = value.len().min(N).min(u8::MAX as usize);
        id.bytes[..n].copy_from_slice(&value[..n]);
        id.len = n as u8;
        id
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl<const N: usize> std::fmt::Debug for AwsRequestId<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// A Lambda authorizer's Invoke call (made on a cache miss only).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Invoke {
    /// The Invoke response's HTTP status; 0 when no response came.
    pub status: u16,
    pub latency_us: u64,
    pub request_id: Option<AwsRequestId>,
}

/// What the authorize phase did, step by step. Which steps a mechanism has:
/// - `CUSTOM`: `authorizer` (identity, cache or Invoke, and its policy), `authorize` (its
///   policy and the resource policy), `invoke` when the function was called;
/// - `COGNITO_USER_POOLS`: `authenticate` (the token verified), `authorize` (its scopes and
///   the resource policy), `authorizer` (both: a user pool is an authorizer);
/// - `AWS_IAM`: `authenticate` (the SigV4 signature), `authorize` (the identity policy and the
///   resource policy);
/// - `NONE`: `authorize` when the API has a resource policy.
#[derive(Debug, Default)]
pub struct AuthTrace {
    pub authenticate: Step,
    pub authorize: Step,
    pub authorizer: Step,
    pub invoke: Option<Invoke>,
    /// Why the failed step failed, when the client's message does not say (an authorizer's
    /// function error, an Invoke that never answered).
    pub error: Option<Box<str>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::authorize::AuthReject;

    #[test]
    fn a_step_is_its_verdict_and_how_long_it_took() {
        let t = Instant::now();
        let ok: Result<(), Reject> = Ok(());
        let s = Step::of(t, &ok);
        assert_eq!(s.status, 200);
        assert!(s.ran() && !s.failed());
        for (reject, status) in [
            (AuthReject::Unauthorized, 401),
            (AuthReject::ExplicitDeny, 403),
            (AuthReject::AuthorizerConfiguration, 500),
        ] {
            let s = Step::of::<()>(t, &Err(reject.into()));
            assert_eq!(s.status, status);
            assert!(s.failed());
        }
        assert!(!Step::default().ran() && !Step::default().failed());
        let a = Step {
            status: 200,
            latency_us: 1500,
        };
        let b = Step {
            status: 403,
            latency_us: 700,
        };
        assert_eq!(
            a.then(b),
            Step {
                status: 403,
                latency_us: 2200
            }
        );
    }

    #[test]
    fn request_ids_are_kept_whole_or_cut() {
        let uuid = b"c6af9ac6-7b61-11e6-9a41-93e8deadbeef";
        assert_eq!(AwsRequestId::<64>::new(uuid).as_bytes(), uuid);
        assert_eq!(
            AwsRequestId::<64>::new(&[b'x'; 100]).as_bytes(),
            &[b'x'; 64]
        );
        assert_eq!(
            AwsRequestId::<128>::new(&[b'x'; 100]).as_bytes(),
            &[b'x'; 100]
        );
        assert_eq!(AwsRequestId::<64>::new(b"").as_bytes(), b"");
    }
}
