//! `AWS_PROXY` and `AWS` integrations to Lambda: the URI's ARN (stage variables substituted) gives the
//! region and the function; the Lambda endpoint for that region (`crate::aws::endpoint`) is
//! interned as the upstream, and the Invoke path is built once here.
//!
//! Fail closed: an integration that names `credentials` (a role to assume, or the caller's own
//! identity) is refused until STS AssumeRole exists, rather than called with the gateway's own
//! credentials in its place.

use super::method::Site;
use super::uri::{self, UriError};
use super::UpstreamInterner;
use crate::aws::arn::{self, AwsUri};
use crate::deploy::model::Integration;
use crate::deploy::problem::Problems;
use crate::deploy::snapshot::{AwsCall, UpstreamId};

pub(super) fn compile_lambda(
    site: &Site<'_>,
    integ: &Integration,
    upstreams: &mut UpstreamInterner,
    problems: &mut Problems,
    config_error: &mut Option<Box<str>>,
) -> Option<(UpstreamId, AwsCall)> {
    let at = site.integ("uri");
    if refuse_credentials(site, integ, problems) {
        return None;
    }
    let text = super::method::substituted_uri(site, integ, problems, config_error)?;
    let (region, function) = match arn::parse(&text) {
        Ok(AwsUri::Lambda { region, function }) => (region, function),
        Ok(AwsUri::Service { service, .. }) => {
            let msg = if integ.kind == "AWS_PROXY" {
                format!("AWS_PROXY integrations support Lambda only, not '{service}'")
            } else {
                format!("AWS service integrations ('{service}') are not supported by this Tollgate version yet (supported: Lambda)")
            };
            problems.push(at, site.integ_msg(msg));
            return None;
        }
        Err(message) => {
            problems.push(at, site.integ_msg(message));
            return None;
        }
    };
    let env = crate::aws::env();
    let endpoint = env.endpoints.resolve("lambda", &region);
    let parsed = match uri::parse_uri(&endpoint) {
        Ok(p) if p.path.trim_end_matches('/').is_empty() => p,
        Ok(_) | Err(UriError::Invalid | UriError::ParamInHost) => {
            // The endpoint is the operator's config, not the API's: the API stays deployable and
            // each call says what is wrong.
            *config_error = Some(
                format!("Execution failed due to configuration error: invalid Lambda endpoint URL '{endpoint}'").into(),
            );
            return None;
        }
    };
    let id = parsed.intern_origin(upstreams, false, None);
    Some((
        id,
        AwsCall {
            service: "lambda".into(),
            region: region.as_str().into(),
            path: function.invoke_path(&env.region, &env.account_id).into(),
        },
    ))
}

/// Whether an `AWS` integration's URI names a service other than Lambda (checked with stage
/// variables standing in; a URI that does not parse is reported by the Lambda path).
pub(super) fn names_service(integ: &Integration) -> bool {
    let Some(raw) = integ.uri.as_deref() else {
        return false;
    };
    let text = uri::substitute(raw, uri::Vars::Check, &mut Vec::new());
    matches!(arn::parse(&text), Ok(AwsUri::Service { .. }))
}

/// An `AWS` service integration as the HTTP integration it becomes: the service's endpoint for
/// the ARN's region (`crate::aws::endpoint`) with the ARN's path, or `/?Action=NAME` for an
/// action; the signing name and region go in the `AwsCall`.
pub(super) fn service_uri(
    site: &Site<'_>,
    integ: &Integration,
    problems: &mut Problems,
) -> Option<(AwsCall, Integration)> {
    if refuse_credentials(site, integ, problems) {
        return None;
    }
    let raw = integ.uri.as_deref()?;
    let text = uri::substitute(raw, site.vars, &mut Vec::new());
    let Ok(AwsUri::Service {
        region,
        service,
        action_or_path,
    }) = arn::parse(&text)
    else {
        return None;
    };
    let endpoint = crate::aws::env().endpoints.resolve(&service, &region);
    let base = endpoint.trim_end_matches('/');
    let target = match action_or_path.split_once('/') {
        Some(("action", action)) => format!("{base}/?Action={action}"),
        Some((_, path)) => format!("{base}/{path}"),
        None => format!("{base}/"),
    };
    let mut synthetic = integ.clone();
    // The stage variables were substituted above; the endpoint URL is the operator's.
    synthetic.uri = Some(target);
    Some((
        AwsCall {
            service: service.as_str().into(),
            region: region.as_str().into(),
            path: "".into(),
        },
        synthetic,
    ))
}

/// Fail closed: an integration that names `credentials` (a role to assume, or the caller's own
/// identity) is refused until STS AssumeRole exists, rather than called with the gateway's own
/// credentials in its place.
fn refuse_credentials(site: &Site<'_>, integ: &Integration, problems: &mut Problems) -> bool {
    let Some(role) = integ.credentials.as_deref().filter(|c| !c.is_empty()) else {
        return false;
    };
    problems.push(
        site.integ("credentials"),
        site.integ_msg(format_args!(
            "Integration credentials ('{role}') are not supported by this Tollgate version yet: \
             remove them to call with the gateway's own AWS credentials"
        )),
    );
    true
}
