//! `AWS_IAM` authorization: a SigV4 signature (service `execute-api`, the gateway's region) by a
//! principal of `[[iam.principals]]`, in the `Authorization` header or the presigned query, then
//! the principal's identity policy for `execute-api:Invoke` on the method ARN.
//!
//! The signature is checked by `aws::sigv4::verify_signed`, the same verifier as the admin
//! port's, reading the request's raw head through [`Signed`]. The caller's `Authorized` (with
//! `$context.identity`) is built once per principal per core and shared by `Rc`, so a valid
//! header-signed request allocates nothing here.
//!
//! The identity policy's word: an explicit Deny refuses at once; an Allow, or silence when the
//! API has a resource policy (which may still allow, by AWS's table in `resource_policy`), goes
//! on; silence without a resource policy refuses (`User: {arn} is not authorized to perform:
//! execute-api:Invoke on resource: {arn}`). A principal without a policy may invoke everything.
//!
//! For the access log the signature check is the authenticate step and the identity policy the
//! authorize step (the resource policy, when there is one, extends it).
//!
//! The principals are fixed at start (`install`); a request on a gateway that has none is refused
//! as an unknown key.

use super::{method_arn, AuthReject, Authorized, Decision, IamIdentity};
use crate::aws::sigv4::{
    feed_raw_canonical_query, raw_query_param, verify_signed, Secret, SigV4Error, Signed,
};
use crate::core::Core;
use crate::deploy::iam_policy::{self, PolicyDocument};
use crate::pipeline::respond::Reject;
use crate::pipeline::trace::Step;
use crate::pipeline::Exchange;
use crate::settings::{IamPrincipal, IamSettings};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Instant;

/// The SigV4 service name of API Gateway's data plane.
pub const SERVICE: &str = "execute-api";
/// The action every data-plane policy is asked about.
pub const INVOKE: &str = "execute-api:Invoke";

static SETTINGS: OnceLock<IamSettings> = OnceLock::new();

/// Sets the process's IAM principals (at start, from the config); `false` if already set.
pub fn install(settings: IamSettings) -> bool {
    SETTINGS.set(settings).is_ok()
}

/// The installed principals (none when the config lists none).
pub fn settings() -> &'static IamSettings {
    SETTINGS.get_or_init(IamSettings::default)
}

thread_local! {
    /// This core's `Authorized` per principal (index = principal index), built on first use.
    static CALLERS: RefCell<Vec<Option<Rc<Authorized>>>> = const { RefCell::new(Vec::new()) };
}

fn caller(i: usize, p: &IamPrincipal) -> Rc<Authorized> {
    CALLERS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() <= i {
            c.resize(i + 1, None);
        }
        c[i].get_or_insert_with(|| {
            Rc::new(Authorized {
                identity: Some(IamIdentity {
                    access_key: p.access_key_id.clone(),
                    account_id: p.account_id.clone(),
                    caller: p.user_id.clone(),
                    user: p.user_id.clone(),
                    user_arn: p.arn.clone(),
                }),
                ..Authorized::default()
            })
        })
        .clone()
    })
}

/// The principal behind a request `authorize` let through (found by its access key).
pub fn principal_of(x: &Exchange<'_>) -> Option<&'static IamPrincipal> {
    let id = x.auth.as_ref()?.identity.as_ref()?;
    settings()
        .principals
        .iter()
        .find(|p| p.access_key_id == id.access_key)
}

/// The data plane's request as the verifier reads it: the head as received.
struct DataRequest<'x, 'a> {
    x: &'x Exchange<'a>,
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

impl Signed for DataRequest<'_, '_> {
    fn method(&self) -> &str {
        let r = self.x.req;
        text(r.head.method_span.get(r.buf))
    }
    fn path(&self) -> &str {
        let r = self.x.req;
        text(r.head.path.get(r.buf))
    }
    fn header(&self, name: &str) -> Option<&str> {
        std::str::from_utf8(self.x.req.header(name.as_bytes())?).ok()
    }
    fn each_header(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        let r = self.x.req;
        for (n, v) in r.head.headers(r.buf) {
            if n.eq_ignore_ascii_case(name.as_bytes()) {
                f(v);
            }
        }
    }
    fn query_param(&self, name: &str) -> Option<Cow<'_, str>> {
        let r = self.x.req;
        raw_query_param(text(r.head.query.get(r.buf)), name)
    }
    fn feed_canonical_query(&self, presigned: bool, feed: &mut dyn FnMut(&[u8])) {
        let r = self.x.req;
        feed_raw_canonical_query(text(r.head.query.get(r.buf)), presigned, feed)
    }
    fn body(&self) -> &[u8] {
        self.x.req.body
    }
}

/// AWS's data-plane refusal for each signature problem.
#[cold]
fn reject(e: SigV4Error) -> Reject {
    let m: Box<str> = e.message().into();
    match e {
        SigV4Error::Missing => AuthReject::MissingToken,
        SigV4Error::UnknownAccessKey => AuthReject::InvalidToken(m),
        // "Signature expired" is an InvalidSignatureException at AWS, as is every other
        // problem with the signature itself.
        _ => AuthReject::InvalidSignature(m),
    }
    .into()
}

/// `User: {who} is not authorized to perform: execute-api:Invoke on resource: {arn}`, with
/// ` with an explicit deny` when a Deny statement matched.
#[cold]
pub fn denied(who: &str, arn: &str, explicit: bool) -> Reject {
    let tail = if explicit {
        " with an explicit deny"
    } else {
        ""
    };
    AuthReject::Denied(
        format!("User: {who} is not authorized to perform: {INVOKE} on resource: {arn}{tail}")
            .into(),
    )
    .into()
}

pub fn authorize(
    x: &mut Exchange<'_>,
    core: &Core,
    scratch: &mut Vec<u8>,
) -> Result<Decision, Reject> {
    let _ = core;
    let started = Instant::now();
    let iam = settings();
    let region = &crate::aws::env().region;
    let now = x.req.epoch_ms / 1000;
    let wrong_region = Cell::new(false);
    let found = verify_signed(&DataRequest { x }, SERVICE, now, |id, scope_region| {
        if scope_region != region.as_str() {
            wrong_region.set(true);
            return None;
        }
        let i = iam
            .principals
            .iter()
            .position(|p| &*p.access_key_id == id)?;
        let p = &iam.principals[i];
        Some((
            i,
            Secret {
                secret_access_key: &p.secret_access_key,
                session_token: p.session_token.as_deref(),
            },
        ))
    });
    let authenticated = match found {
        Ok(i) => Ok(i),
        Err(SigV4Error::UnknownAccessKey) if wrong_region.get() => Err(reject(SigV4Error::Scope(
            "Credential should be scoped to a valid region. ".into(),
        ))),
        Err(e) => Err(reject(e)),
    };
    x.auth_trace.authenticate = Step::of(started, &authenticated);
    let i = authenticated?;
    let started = Instant::now();
    let p = &iam.principals[i];
    x.auth = Some(caller(i, p));
    let decision = match &p.policy {
        None => iam_policy::Decision::Allow,
        Some(doc) => evaluate(x, doc, Some(p), scratch),
    };
    let authorized = match decision {
        iam_policy::Decision::Deny => Err(denied(&p.arn, text(scratch), true)),
        iam_policy::Decision::NotApplicable if x.stage().resource_policy.is_none() => {
            let arn = method_arn(x, scratch);
            Err(denied(&p.arn, text(arn), false))
        }
        d => Ok(Decision::Iam(d)),
    };
    x.auth_trace.authorize = Step::of(started, &authorized);
    authorized
}

/// `doc` asked about `execute-api:Invoke` on `x`'s method ARN (left in `scratch`) by `caller`.
pub fn evaluate(
    x: &Exchange<'_>,
    doc: &PolicyDocument,
    caller: Option<&IamPrincipal>,
    scratch: &mut Vec<u8>,
) -> iam_policy::Decision {
    let arn = text(method_arn(x, scratch));
    let req = iam_policy::Request {
        action: INVOKE,
        resource: arn,
        principal: caller.map(|p| &*p.arn),
    };
    doc.evaluate_with(&req, &condition_context(x, caller))
}

/// What the request brings to policy conditions.
pub fn condition_context<'x>(
    x: &'x Exchange<'_>,
    caller: Option<&'x IamPrincipal>,
) -> iam_policy::ConditionContext<'x> {
    let iam = settings();
    let header = |name: &Option<Box<str>>| {
        let h = x.req.header(name.as_deref()?.as_bytes())?;
        std::str::from_utf8(h).ok().map(str::trim)
    };
    iam_policy::ConditionContext {
        source_ip: Some(x.req.peer),
        principal_arn: caller.map(|p| &*p.principal_arn),
        userid: caller.map(|p| &*p.user_id),
        username: caller.and_then(|p| p.username.as_deref()),
        source_vpce: header(&iam.source_vpce_header),
        source_vpc: header(&iam.source_vpc_header),
    }
}
