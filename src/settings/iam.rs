//! `[iam]` and `[[iam.principals]]`: the IAM callers the data plane's `AWS_IAM` methods accept.
//! On AWS, IAM knows every access key; a self-hosted gateway knows the ones its config lists.
//!
//! Each principal has an access key pair (and, for temporary credentials, the session token it
//! must present), an ARN (`arn:aws:iam::{account}:user/{path/}{name}` or
//! `arn:aws:sts::{account}:assumed-role/{role}/{session}`), and optionally an identity policy
//! (`policy_file`, an IAM policy document, compiled here so `tollgate check` and start-up refuse a
//! bad one with the file's name). A principal without one may invoke every method (as if its
//! identity policy allowed `execute-api:Invoke` on `*`); resource policies still apply.
//!
//! `source_vpce_header` / `source_vpc_header` name the request headers that a trusted front
//! (a VPC endpoint, a load balancer) sets to the endpoint and VPC ids, for `aws:SourceVpce` and
//! `aws:SourceVpc` in policies; unset, those keys are absent from every request.

use crate::deploy::iam_policy::PolicyDocument;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::Path;

/// `[iam]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IamFile {
    #[serde(default)]
    principals: Vec<PrincipalFile>,
    source_vpce_header: Option<String>,
    source_vpc_header: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalFile {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    arn: String,
    /// The principal's unique id (`$context.identity.caller`, `aws:userid`); default derived
    /// from the ARN.
    user_id: Option<String>,
    policy_file: Option<String>,
}

/// The validated `[iam]` section.
#[derive(Debug, Clone, Default)]
pub struct IamSettings {
    pub principals: Vec<IamPrincipal>,
    /// Lower-case header names.
    pub source_vpce_header: Option<Box<str>>,
    pub source_vpc_header: Option<Box<str>>,
}

/// One IAM caller.
#[derive(Clone)]
pub struct IamPrincipal {
    pub access_key_id: Box<str>,
    pub secret_access_key: Box<str>,
    pub session_token: Option<Box<str>>,
    /// `$context.identity.userArn`; what `Principal` elements match.
    pub arn: Box<str>,
    pub account_id: Box<str>,
    /// `$context.identity.caller` / `.user`, `aws:userid`: `AIDA…` for a user,
    /// `AROA…:{session}` for a role session.
    pub user_id: Box<str>,
    /// `aws:username`: an IAM user's name (none for a role session, as on AWS).
    pub username: Option<Box<str>>,
    /// `aws:PrincipalArn`: the user's ARN, or for a role session the role's
    /// (`arn:aws:iam::{account}:role/{role}`).
    pub principal_arn: Box<str>,
    /// The identity policy; `None`: may invoke everything.
    pub policy: Option<PolicyDocument>,
    /// The same key pair (and token) as the signer takes them: what an integration whose
    /// `credentials` are `arn:aws:iam::*:user/*` signs its AWS call with.
    pub credentials: crate::aws::credentials::Credentials,
}

/// Never prints the secret or the token.
impl std::fmt::Debug for IamPrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamPrincipal")
            .field("access_key_id", &self.access_key_id)
            .field("arn", &self.arn)
            .field("user_id", &self.user_id)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("policy", &self.policy.is_some())
            .finish()
    }
}

/// Validates `[iam]`; policy files are read relative to `base` (the config file's folder).
pub(super) fn validate(file: IamFile, base: Option<&Path>) -> Result<IamSettings, String> {
    let mut principals: Vec<IamPrincipal> = Vec::with_capacity(file.principals.len());
    for (i, p) in file.principals.into_iter().enumerate() {
        let at = format!("iam.principals[{i}]");
        if p.access_key_id.is_empty() || p.secret_access_key.is_empty() {
            return Err(format!(
                "{at}: access_key_id and secret_access_key must not be empty"
            ));
        }
        if principals
            .iter()
            .any(|q| *q.access_key_id == *p.access_key_id)
        {
            return Err(format!(
                "{at}: access_key_id {} is listed twice",
                p.access_key_id
            ));
        }
        if p.session_token.as_deref() == Some("") {
            return Err(format!("{at}: session_token must not be empty"));
        }
        let parsed = parse_arn(&p.arn).ok_or_else(|| {
            format!(
                "{at}: arn '{}' must be arn:aws:iam::ACCOUNT:user/NAME or \
                 arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION",
                p.arn
            )
        })?;
        let user_id = match (p.user_id, &parsed.kind) {
            (Some(id), _) if !id.is_empty() => id,
            (Some(_), _) => return Err(format!("{at}: user_id must not be empty")),
            (None, Kind::User { .. }) => derived_id("AIDA", &p.arn),
            (None, Kind::Session { role, session }) => format!(
                "{}:{session}",
                derived_id("AROA", &format!("{}/{role}", parsed.account))
            ),
        };
        let policy = match p.policy_file {
            None => None,
            Some(f) => {
                let path = match base {
                    Some(dir) if !Path::new(&f).is_absolute() => dir.join(&f),
                    _ => f.clone().into(),
                };
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{at}: policy_file {}: {e}", path.display()))?;
                Some(
                    PolicyDocument::parse(&text)
                        .map_err(|e| format!("{at}: policy_file {}: {e}", path.display()))?,
                )
            }
        };
        let (username, principal_arn) = match &parsed.kind {
            Kind::User { name } => (Some((*name).into()), p.arn.as_str().into()),
            Kind::Session { role, .. } => (
                None,
                format!("arn:aws:iam::{}:role/{role}", parsed.account).into(),
            ),
        };
        let credentials = crate::aws::credentials::Credentials {
            access_key_id: p.access_key_id.clone(),
            secret_access_key: p.secret_access_key.clone(),
            session_token: p.session_token.clone(),
        };
        principals.push(IamPrincipal {
            credentials,
            access_key_id: p.access_key_id.into(),
            secret_access_key: p.secret_access_key.into(),
            session_token: p.session_token.map(Into::into),
            account_id: parsed.account.into(),
            arn: p.arn.as_str().into(),
            user_id: user_id.into(),
            username,
            principal_arn,
            policy,
        });
    }
    let header = |v: Option<String>, field: &str| -> Result<Option<Box<str>>, String> {
        match v {
            Some(h) if h.is_empty() || !h.bytes().all(|b| b.is_ascii_graphic() && b != b':') => {
                Err(format!("iam.{field}: '{h}' is not a header name"))
            }
            Some(h) => Ok(Some(h.to_ascii_lowercase().into())),
            None => Ok(None),
        }
    };
    Ok(IamSettings {
        principals,
        source_vpce_header: header(file.source_vpce_header, "source_vpce_header")?,
        source_vpc_header: header(file.source_vpc_header, "source_vpc_header")?,
    })
}

enum Kind<'a> {
    User { name: &'a str },
    Session { role: &'a str, session: &'a str },
}

struct Arn<'a> {
    account: &'a str,
    kind: Kind<'a>,
}

fn parse_arn(arn: &str) -> Option<Arn<'_>> {
    let rest = arn.strip_prefix("arn:aws:")?;
    let (service, rest) = rest.split_once("::")?;
    let (account, resource) = rest.split_once(':')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ok = |s: &str| !s.is_empty() && !s.contains(['*', '?', ':']);
    let kind = match service {
        "iam" => {
            let path = resource.strip_prefix("user/")?;
            let name = path.rsplit('/').next()?;
            Kind::User { name }
        }
        "sts" => {
            let rest = resource.strip_prefix("assumed-role/")?;
            let (role, session) = rest.split_once('/')?;
            if !ok(session) || session.contains('/') {
                return None;
            }
            Kind::Session { role, session }
        }
        _ => return None,
    };
    match &kind {
        Kind::User { name } if !ok(name) => None,
        Kind::Session { role, .. } if !ok(role) => None,
        _ => Some(Arn { account, kind }),
    }
}

/// `prefix` + 17 characters of base32 from SHA-256 of `seed`: an id in IAM's shape
/// (`AIDAJQABLZS4A3QDU576Q`), the same for the same ARN on every start.
fn derived_id(prefix: &str, seed: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let hash = Sha256::digest(seed.as_bytes());
    let mut out = String::with_capacity(21);
    out.push_str(prefix);
    out.extend(
        hash.iter()
            .take(17)
            .map(|b| char::from(ALPHABET[usize::from(b & 31)])),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> Result<IamSettings, String> {
        #[derive(Deserialize)]
        struct F {
            iam: IamFile,
        }
        let f: F = toml::from_str(toml).map_err(|e| e.to_string())?;
        validate(f.iam, None)
    }

    #[test]
    fn users_and_role_sessions_get_aws_identities() {
        let s = parse(
            r#"[iam]
            source_vpce_header = "X-Amzn-Vpce-Id"
            [[iam.principals]]
            access_key_id = "AKIAALICE"
            secret_access_key = "s1"
            arn = "arn:aws:iam::111122223333:user/team/alice"
            [[iam.principals]]
            access_key_id = "ASIABOB"
            secret_access_key = "s2"
            session_token = "tok"
            arn = "arn:aws:sts::111122223333:assumed-role/deployer/bob"
            user_id = "AROAEXAMPLE:bob""#,
        )
        .unwrap();
        assert_eq!(s.source_vpce_header.as_deref(), Some("x-amzn-vpce-id"));
        let alice = &s.principals[0];
        assert_eq!(&*alice.account_id, "111122223333");
        assert_eq!(alice.username.as_deref(), Some("alice"));
        assert_eq!(
            &*alice.principal_arn,
            "arn:aws:iam::111122223333:user/team/alice"
        );
        assert!(alice.user_id.starts_with("AIDA") && alice.user_id.len() == 21);
        // Derived ids are stable.
        assert_eq!(
            alice.user_id,
            derived_id("AIDA", "arn:aws:iam::111122223333:user/team/alice").into()
        );
        let bob = &s.principals[1];
        assert_eq!(bob.username, None);
        assert_eq!(
            &*bob.principal_arn,
            "arn:aws:iam::111122223333:role/deployer"
        );
        assert_eq!(&*bob.user_id, "AROAEXAMPLE:bob");
        assert_eq!(bob.session_token.as_deref(), Some("tok"));
        assert!(!format!("{bob:?}").contains("tok\""));
    }

    #[test]
    fn bad_principals_are_refused() {
        let one = |extra: &str| {
            parse(&format!(
                "[[iam.principals]]\naccess_key_id = \"AK\"\nsecret_access_key = \"s\"\n{extra}"
            ))
        };
        for (extra, says) in [
            ("arn = \"arn:aws:iam::1:user/a\"", "must be arn:aws:iam"),
            (
                "arn = \"arn:aws:iam::111122223333:role/a\"",
                "must be arn:aws:iam",
            ),
            (
                "arn = \"arn:aws:iam::111122223333:user/*\"",
                "must be arn:aws:iam",
            ),
            (
                "arn = \"arn:aws:sts::111122223333:assumed-role/r\"",
                "must be arn:aws:iam",
            ),
            (
                "arn = \"arn:aws:iam::111122223333:user/a\"\nwat = 1",
                "unknown field",
            ),
            (
                "arn = \"arn:aws:iam::111122223333:user/a\"\nsession_token = \"\"",
                "session_token",
            ),
            (
                "arn = \"arn:aws:iam::111122223333:user/a\"\npolicy_file = \"/nonexistent/p.json\"",
                "policy_file /nonexistent/p.json",
            ),
        ] {
            let e = one(extra).unwrap_err();
            assert!(e.contains(says), "{extra}: {e}");
        }
        let twice = "[[iam.principals]]\naccess_key_id = \"AK\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:user/a\"\n";
        let e = parse(&format!("{twice}{twice}")).unwrap_err();
        assert!(e.contains("listed twice"), "{e}");
    }

    #[test]
    fn a_policy_file_is_compiled_and_named_when_bad() {
        let dir = std::env::temp_dir().join(format!("tollgate-iam-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("good.json"),
            r#"{"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("bad.json"),
            r#"{"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*",
                "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}}"#,
        )
        .unwrap();
        let file = |name: &str| IamFile {
            principals: vec![PrincipalFile {
                access_key_id: "AK".into(),
                secret_access_key: "s".into(),
                session_token: None,
                arn: "arn:aws:iam::111122223333:user/a".into(),
                user_id: None,
                policy_file: Some(name.into()),
            }],
            ..IamFile::default()
        };
        let ok = validate(file("good.json"), Some(&dir)).unwrap();
        assert!(ok.principals[0].policy.is_some());
        let e = validate(file("bad.json"), Some(&dir)).unwrap_err();
        assert!(e.contains("bad.json") && e.contains("DateLessThan"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
