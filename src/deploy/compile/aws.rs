//! `AWS_PROXY` and `AWS` integrations to Lambda: the URI's ARN (stage variables substituted) gives the
//! region and the function; the Lambda endpoint for that region (`crate::aws::endpoint`) is
//! interned as the upstream, and the Invoke path is built once here.
//!
//! `credentials`: an IAM role ARN (stage variables substituted) is registered with
//! `crate::aws::roles`, which assumes it through STS off the request path. The caller's own
//! identity (`arn:aws:iam::*:user/*`) signs with the AWS_IAM caller's configured credentials, so
//! it is accepted only on an AWS_IAM method (elsewhere there is no caller identity to sign with,
//! and the gateway's own credentials must never stand in for it).

use super::method::Site;
use super::uri::{self, UriError};
use super::UpstreamInterner;
use crate::aws::arn::{self, AwsUri};
use crate::aws::roles::Role;
use crate::deploy::model::Integration;
use crate::deploy::problem::Problems;
use crate::deploy::snapshot::{AwsCall, UpstreamId};
use std::sync::Arc;

pub(super) fn compile_lambda(
    site: &Site<'_>,
    integ: &Integration,
    upstreams: &mut UpstreamInterner,
    problems: &mut Problems,
    config_error: &mut Option<Box<str>>,
    iam_method: bool,
) -> Option<(UpstreamId, AwsCall)> {
    let at = site.integ("uri");
    let (role, caller) = role(site, integ, iam_method, problems).ok()?;
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
    match lambda_invoke(&region, &function, role, upstreams) {
        Ok((id, call)) => Some((id, AwsCall { caller, ..call })),
        Err(message) => {
            // The endpoint is the operator's config, not the API's: the API stays deployable and
            // each call says what is wrong.
            *config_error = Some(message);
            None
        }
    }
}

/// How to invoke `function` in `region`: the region's Lambda endpoint (`crate::aws::endpoint`)
/// interned as the upstream, and the Invoke call signed with `role` (else the gateway's own
/// credentials). Shared by Lambda integrations and Lambda authorizers. `Err`: the endpoint URL
/// is unusable, with the message each call logs.
pub(super) fn lambda_invoke(
    region: &str,
    function: &arn::Function,
    role: Option<Arc<Role>>,
    upstreams: &mut UpstreamInterner,
) -> Result<(UpstreamId, AwsCall), Box<str>> {
    let env = crate::aws::env();
    let endpoint = env.endpoints.resolve("lambda", region);
    let parsed = match uri::parse_uri(&endpoint) {
        Ok(p) if p.path.trim_end_matches('/').is_empty() => p,
        Ok(_) | Err(UriError::Invalid | UriError::ParamInHost) => {
            return Err(format!("Execution failed due to configuration error: invalid Lambda endpoint URL '{endpoint}'").into());
        }
    };
    let id = parsed.intern_origin(upstreams, false, None, None);
    Ok((
        id,
        AwsCall {
            service: "lambda".into(),
            region: region.into(),
            path: function.invoke_path(&env.region, &env.account_id).into(),
            role,
            caller: false,
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

/// The services whose APIs speak AWS's JSON protocol: (`X-Amz-Target` prefix, content type) for an
/// `action/{Action}` integration URI. Others (SQS, SNS, STS...) take `?Action=` in the query.
fn json_protocol(service: &str) -> Option<(&'static str, &'static str)> {
    Some(match service {
        "dynamodb" => ("DynamoDB_20120810", "application/x-amz-json-1.0"),
        "kinesis" => ("Kinesis_20131202", "application/x-amz-json-1.1"),
        "firehose" => ("Firehose_20150804", "application/x-amz-json-1.1"),
        "states" => ("AWSStepFunctions", "application/x-amz-json-1.0"),
        "events" => ("AWSEvents", "application/x-amz-json-1.1"),
        "logs" => ("Logs_20140328", "application/x-amz-json-1.1"),
        "ssm" => ("AmazonSSM", "application/x-amz-json-1.1"),
        "secretsmanager" => ("secretsmanager", "application/x-amz-json-1.1"),
        "kms" => ("TrentService", "application/x-amz-json-1.1"),
        _ => return None,
    })
}

/// `integ` with the headers API Gateway adds for an `action/{Action}` call to a JSON-protocol
/// service (`X-Amz-Target: {prefix}.{Action}` and the protocol's `Content-Type`), each unless the
/// API maps that header itself; `None` when nothing is added.
pub(super) fn with_protocol_headers(integ: &Integration) -> Option<Integration> {
    let raw = integ.uri.as_deref()?;
    let text = uri::substitute(raw, uri::Vars::Check, &mut Vec::new());
    let Ok(AwsUri::Service {
        service,
        action_or_path,
        ..
    }) = arn::parse(&text)
    else {
        return None;
    };
    let action = action_or_path.strip_prefix("action/")?;
    let (prefix, content_type) = json_protocol(&service)?;
    let mut out = integ.clone();
    for (header, value) in [
        ("X-Amz-Target", format!("{prefix}.{action}")),
        ("Content-Type", content_type.to_string()),
    ] {
        let mapped = out.request_parameters.keys().any(|k| {
            k.strip_prefix("integration.request.header.")
                .is_some_and(|h| h.eq_ignore_ascii_case(header))
        });
        if !mapped {
            out.request_parameters.insert(
                format!("integration.request.header.{header}"),
                format!("'{value}'"),
            );
        }
    }
    Some(out)
}

/// An `AWS` service integration as the HTTP integration it becomes: the service's endpoint for
/// the ARN's region (`crate::aws::endpoint`) with the ARN's path, or `/?Action=NAME` for an
/// action; the signing name and region go in the `AwsCall`.
pub(super) fn service_uri(
    site: &Site<'_>,
    integ: &Integration,
    problems: &mut Problems,
    iam_method: bool,
) -> Option<(AwsCall, Integration)> {
    let (role, caller) = role(site, integ, iam_method, problems).ok()?;
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
        Some(("action", action)) => match json_protocol(&service) {
            Some(_) => format!("{base}/"),
            None => format!("{base}/?Action={action}"),
        },
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
            role,
            caller,
        },
        synthetic,
    ))
}

/// The integration's role, if it names one: registered for assuming when a stage is compiled
/// (a check with no stage only checks the ARN's shape), and whether the caller's own credentials
/// sign instead. `Err`: refused, with the problem pushed.
fn role(
    site: &Site<'_>,
    integ: &Integration,
    iam_method: bool,
    problems: &mut Problems,
) -> Result<(Option<Arc<Role>>, bool), ()> {
    let Some(raw) = integ.credentials.as_deref().filter(|c| !c.is_empty()) else {
        return Ok((None, false));
    };
    let at = site.integ("credentials");
    if raw == CALLER_IDENTITY {
        if iam_method {
            return Ok((None, true));
        }
        problems.push(
            at,
            site.integ_msg(format_args!(
                "Integration credentials '{raw}' (call with the caller's own identity) need the \
                 method's authorizationType to be AWS_IAM: name a role to assume, or remove them \
                 to call with the gateway's own AWS credentials"
            )),
        );
        return Err(());
    }
    checked_role(raw, site.vars)
        .map(|role| (role, false))
        .map_err(|message| problems.push(at, site.integ_msg(message)))
}

/// A `credentials` / `authorizerCredentials` role ARN (stage variables substituted), registered
/// with `crate::aws::roles` for assuming when a stage is compiled (a check with no stage only
/// checks the ARN's shape). `Err`: what is wrong with it.
pub(super) fn checked_role(raw: &str, vars: uri::Vars<'_>) -> Result<Option<Arc<Role>>, String> {
    let mut missing = Vec::new();
    let arn = uri::substitute(raw, vars, &mut missing);
    if !missing.is_empty() {
        return Err(format!(
            "Integration credentials name stage variables the stage lacks: {}",
            missing.join(", ")
        ));
    }
    let templated = matches!(vars, uri::Vars::Check) && raw.contains("${stageVariables.");
    if !templated && !is_role_arn(&arn) {
        return Err(format!(
            "Invalid credentials ARN specified: '{arn}'. It must be an IAM role ARN \
             (arn:aws:iam::ACCOUNT_ID:role/NAME)"
        ));
    }
    Ok(match vars {
        uri::Vars::Stage(_) => Some(crate::aws::roles::role(&arn)),
        uri::Vars::Check => None,
    })
}

/// `credentials` that mean "sign with the caller's own IAM identity".
const CALLER_IDENTITY: &str = "arn:aws:iam::*:user/*";

/// `arn:{partition}:iam::{12 digits}:role/{path/}{name}` (checked per stage when stage variables
/// make it up).
fn is_role_arn(arn: &str) -> bool {
    let Some([_, partition, "iam", "", account, resource]) = crate::aws::arn::parts(arn) else {
        return false;
    };
    partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource
            .strip_prefix("role/")
            .is_some_and(|name| !name.is_empty() && !name.ends_with('/'))
}

#[cfg(test)]
mod tests {
    use super::is_role_arn;

    #[test]
    fn role_arns() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/apigw-sqs"));
        assert!(is_role_arn("arn:aws:iam::123456789012:role/service-role/x"));
        assert!(is_role_arn("arn:aws-cn:iam::123456789012:role/x"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/x"));
        assert!(!is_role_arn("arn:aws:iam::12345:role/x"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:role/"));
        assert!(!is_role_arn("arn:aws:sts::123456789012:role/x"));
        assert!(!is_role_arn("role/x"));
    }
}
