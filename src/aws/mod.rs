//! The gateway as an AWS client: SigV4 (`sigv4`: the admin port's verifier and the outbound
//! signer, one set of canonical rules), credentials (`credentials`: the SDKs' chain), endpoints
//! (`endpoint`: per service and region, overridable the SDKs' way) and integration ARNs
//! (`arn`: what an `AWS` / `AWS_PROXY` integration URI names), and integration roles (`roles`:
//! assumed through STS `AssumeRole`, `sts`, and renewed off the request path).

pub mod arn;
pub mod credentials;
pub mod endpoint;
pub mod jwks;
pub mod jwt;
pub mod refresh;
pub mod roles;
pub mod sigv4;
pub mod sts;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use credentials::{Credentials, Explicit, Source};
use endpoint::Endpoints;

/// `[aws]` in `tollgate.toml`, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSection {
    /// The gateway's own account (`$context.accountId`'s peer for Lambda function names): a
    /// function in this account and region is invoked by name. Default `000000000000`.
    pub account_id: Option<String>,
    /// The gateway's own region. Default: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else
    /// `us-east-1`.
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// Endpoint URL per service name (`lambda`, `sqs`, ...).
    #[serde(default)]
    pub endpoints: BTreeMap<String, String>,
}

/// What the gateway knows of AWS for its own calls: found once at start, the same for every
/// core (the SDKs' default chain is process-wide too).
#[derive(Debug, Clone)]
pub struct AwsEnv {
    pub account_id: String,
    pub region: String,
    pub credentials: Option<Credentials>,
    pub source: Option<Source>,
    pub endpoints: Endpoints,
}

impl AwsEnv {
    pub fn from_section(s: &AwsSection, lookup: &credentials::Lookup<'_>) -> AwsEnv {
        let explicit = Explicit {
            access_key_id: s.access_key_id.clone(),
            secret_access_key: s.secret_access_key.clone(),
            session_token: s.session_token.clone(),
        };
        let found = credentials::resolve(&explicit, lookup);
        let region = s
            .region
            .clone()
            .or_else(|| (lookup.env)("AWS_REGION").filter(|r| !r.is_empty()))
            .or_else(|| (lookup.env)("AWS_DEFAULT_REGION").filter(|r| !r.is_empty()))
            .unwrap_or_else(|| "us-east-1".into());
        AwsEnv {
            account_id: s
                .account_id
                .clone()
                .unwrap_or_else(|| crate::pipeline::params::ACCOUNT_ID.into()),
            region,
            source: found.as_ref().map(|(_, s)| s.clone()),
            credentials: found.map(|(c, _)| c),
            endpoints: Endpoints::from_lookup(s.endpoints.clone(), lookup),
        }
    }
}

static ENV: OnceLock<AwsEnv> = OnceLock::new();

/// Sets the process's AWS environment (at start, from the config); `false` if already set.
pub fn install(env: AwsEnv) -> bool {
    ENV.set(env).is_ok()
}

/// The process's AWS environment: the installed one, else the defaults with the process's own
/// environment (tools and tests that never load a config).
pub fn env() -> &'static AwsEnv {
    ENV.get_or_init(|| {
        #[cfg(test)]
        {
            // Unit tests share one process: fixed example credentials and account, never the
            // developer's own.
            let section = AwsSection {
                account_id: Some("123456789012".into()),
                region: Some("us-east-1".into()),
                access_key_id: Some("AKIDEXAMPLE".into()),
                secret_access_key: Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
                ..AwsSection::default()
            };
            let none = credentials::Lookup {
                env: &|_| None,
                home: None,
            };
            AwsEnv::from_section(&section, &none)
        }
        #[cfg(not(test))]
        AwsEnv::from_section(&AwsSection::default(), &credentials::process_lookup())
    })
}
