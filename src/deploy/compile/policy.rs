//! Compiles a method's access policy into the snapshot: its `AuthorizationPlan`, its
//! `KeyRequirement` and its `RequestValidation`, plus the API's validator table they index.
//!
//! Only consistency is checked here (a valid authorization type, an authorizer and a validator
//! that exist). Whether this version can *serve* a plan is `unenforced`'s question, asked only
//! at deployment, so imports and the management API keep storing every plan.

use super::method::Site;
use crate::deploy::authorizers::AuthorizerIdx;
use crate::deploy::model::{Method, RestApi};
use crate::deploy::policy::{
    ApiKeySource, AuthorizationPlan, BodyModels, KeyRequirement, ModelIdx, ParamLocation,
    RequestValidation, RequiredParam, ValidatorIdx, ValidatorRuntime,
};
use crate::deploy::problem::Problems;

/// What `compile_method` puts in the `MethodRuntime` besides the integration.
pub struct MethodPolicy {
    pub authorization: AuthorizationPlan,
    pub api_key: KeyRequirement,
    pub validation: RequestValidation,
}

pub fn compile_method_policy(
    api: &RestApi,
    site: &Site<'_>,
    m: &Method,
    problems: &mut Problems,
) -> Option<MethodPolicy> {
    let authorization = authorization_plan(api, site, m, problems);
    let validation = request_validation(api, site, m, problems);
    Some(MethodPolicy {
        authorization: authorization?,
        api_key: KeyRequirement {
            required: m.api_key_required,
            source: api_key_source(api),
        },
        validation: validation?,
    })
}

/// The API's `apiKeySource`; import and the management API accept only these two.
pub fn api_key_source(api: &RestApi) -> ApiKeySource {
    match api.api_key_source.as_deref() {
        Some("AUTHORIZER") => ApiKeySource::Authorizer,
        _ => ApiKeySource::Header,
    }
}

/// Every `RequestValidator` of the API; `ValidatorIdx(i)` is `api.request_validators[i]`.
pub fn validator_table(api: &RestApi) -> Vec<ValidatorRuntime> {
    api.request_validators
        .iter()
        .map(|v| ValidatorRuntime {
            id: v.id.as_str().into(),
            name: v.name.as_str().into(),
            validate_body: v.validate_request_body,
            validate_parameters: v.validate_request_parameters,
        })
        .collect()
}

fn method_msg(site: &Site<'_>, what: impl std::fmt::Display) -> String {
    format!(
        "Unable to put method '{}' on resource at path '{}': {what}",
        site.method, site.path
    )
}

fn authorization_plan(
    api: &RestApi,
    site: &Site<'_>,
    m: &Method,
    problems: &mut Problems,
) -> Option<AuthorizationPlan> {
    let at = site.loc.method(site.res, site.method);
    let before = problems.0.len();
    let kind = m.authorization_type.as_str();
    if !matches!(kind, "NONE" | "AWS_IAM" | "CUSTOM" | "COGNITO_USER_POOLS") {
        problems.push(
            at.clone(),
            method_msg(site, format_args!(
                "Invalid authorization type specified: {kind}. Valid options are NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS"
            )),
        );
    }
    let authorizer = match &m.authorizer_id {
        // `NONE` and `AWS_IAM` ignore an `authorizerId` left beside them, as AWS does.
        Some(_) if !matches!(kind, "CUSTOM" | "COGNITO_USER_POOLS") => None,
        Some(id) => match api.authorizers.iter().position(|a| &a.id == id) {
            None => {
                problems.push(
                    at.clone(),
                    method_msg(site, format_args!("Invalid authorizer ID specified: {id}")),
                );
                None
            }
            Some(i) => {
                let cognito = api.authorizers[i]
                    .extra
                    .get("type")
                    .and_then(|t| t.as_str())
                    == Some("COGNITO_USER_POOLS");
                if cognito != (kind == "COGNITO_USER_POOLS") {
                    problems.push(
                        at.clone(),
                        method_msg(
                            site,
                            format_args!(
                                "Invalid authorizer ID specified: {id}: authorization type {kind} needs {} authorizer",
                                if cognito { "a TOKEN or REQUEST" } else { "a COGNITO_USER_POOLS" }
                            ),
                        ),
                    );
                }
                Some(AuthorizerIdx(i as u32))
            }
        },
        None if matches!(kind, "CUSTOM" | "COGNITO_USER_POOLS") => {
            problems.push(
                at,
                method_msg(site, "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."),
            );
            None
        }
        None => None,
    };
    if problems.0.len() != before {
        return None;
    }
    Some(match (kind, authorizer) {
        ("CUSTOM", Some(authorizer)) => AuthorizationPlan::Custom { authorizer },
        ("COGNITO_USER_POOLS", Some(authorizer)) => AuthorizationPlan::CognitoUserPools {
            authorizer,
            scopes: m
                .authorization_scopes
                .iter()
                .map(|s| s.as_str().into())
                .collect(),
        },
        ("AWS_IAM", _) => AuthorizationPlan::Iam,
        // `NONE` (an `authorizerId` left beside it is ignored, as on AWS).
        _ => AuthorizationPlan::None,
    })
}

fn request_validation(
    api: &RestApi,
    site: &Site<'_>,
    m: &Method,
    problems: &mut Problems,
) -> Option<RequestValidation> {
    let validator = match &m.request_validator_id {
        None => None,
        Some(id) => match api.request_validators.iter().position(|v| &v.id == id) {
            Some(i) => Some(ValidatorIdx(i as u32)),
            None => {
                problems.push(
                    site.loc.method(site.res, site.method),
                    method_msg(
                        site,
                        format_args!("Invalid Request Validator identifier specified: {id}"),
                    ),
                );
                return None;
            }
        },
    };
    let required = m
        .request_parameters
        .iter()
        .filter(|(_, &required)| required)
        .filter_map(|(key, _)| required_param(key))
        .collect();
    let validates_body =
        validator.is_some_and(|v| api.request_validators[v.0 as usize].validate_request_body);
    let body = body_models(api, site, m, validates_body, problems)?;
    Some(RequestValidation {
        validator,
        required,
        body,
    })
}

/// Resolves `requestModels` by name. A missing model only matters (and is refused) when the
/// method's validator checks bodies: otherwise the models are documentation.
fn body_models(
    api: &RestApi,
    site: &Site<'_>,
    m: &Method,
    validates_body: bool,
    problems: &mut Problems,
) -> Option<BodyModels> {
    let mut by_type = Vec::new();
    let mut default = None;
    let mut ok = true;
    for (content_type, name) in &m.request_models {
        let Some(i) = api.models.iter().position(|x| &x.name == name) else {
            if validates_body {
                problems.push(
                    crate::deploy::problem::join(
                        &(site.loc.method(site.res, site.method) + "/requestModels"),
                        content_type,
                    ),
                    method_msg(
                        site,
                        format_args!("Invalid model identifier specified: {name}"),
                    ),
                );
                ok = false;
            }
            continue;
        };
        let idx = ModelIdx(i as u32);
        if content_type == "$default" {
            default = Some(idx);
        } else {
            let media = String::from_utf8_lossy(crate::http::media_type(content_type.as_bytes()));
            by_type.push((media.to_ascii_lowercase().into_boxed_str(), idx));
        }
    }
    ok.then(|| BodyModels {
        by_type: by_type.into(),
        default,
    })
}

/// `method.request.header.X-Id` -> (Header, `x-id`); `None` for keys that name no request part
/// (the importer and the management API refuse those before they are stored).
fn required_param(key: &str) -> Option<RequiredParam> {
    let rest = key.strip_prefix("method.request.")?;
    let (kind, name) = rest.split_once('.')?;
    let (location, name) = match kind {
        "path" => (ParamLocation::Path, name.into()),
        "querystring" | "multivaluequerystring" => (ParamLocation::Query, name.into()),
        "header" | "multivalueheader" => (
            ParamLocation::Header,
            name.to_ascii_lowercase().into_boxed_str(),
        ),
        _ => return None,
    };
    (!name.is_empty()).then_some(RequiredParam { location, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_params_name_their_location() {
        let cases = [
            (
                "method.request.header.X-Id",
                Some((ParamLocation::Header, "x-id")),
            ),
            (
                "method.request.querystring.page",
                Some((ParamLocation::Query, "page")),
            ),
            (
                "method.request.multivaluequerystring.tag",
                Some((ParamLocation::Query, "tag")),
            ),
            (
                "method.request.path.petId",
                Some((ParamLocation::Path, "petId")),
            ),
            ("method.request.body", None),
            ("method.request.header.", None),
            ("integration.request.header.x", None),
        ];
        for (key, want) in cases {
            let got = required_param(key);
            assert_eq!(got.as_ref().map(|p| (p.location, &*p.name)), want, "{key}");
        }
    }
}
