//! Authorizers of a REST API (Create/Get/Update/Delete) as pure edits of a `RestApi`.
//!
//! The model keeps an authorizer as `id`, `name` and `extra`; `extra` holds the rest of AWS's
//! `Authorizer` shape under AWS's member names (as OpenAPI import stores it), so export writes it
//! out as `x-amazon-apigateway-authorizer` unchanged. Here it is read into [`Spec`], a typed view
//! that create and every update validate as a whole: TOKEN and REQUEST need a Lambda
//! `authorizerUri`; TOKEN and COGNITO_USER_POOLS read one `method.request.header.X`;
//! COGNITO_USER_POOLS needs `providerARNs`; the TTL is 0..=3600 (default 300). TestInvokeAuthorizer
//! is not implemented (the authorizer runtime lands in a later issue).

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Op, PatchOperation, Rule};
use crate::deploy::ids::new_id;
use crate::deploy::model::{Authorizer, RestApi};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const AUTHORIZER_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid Authorizer identifier specified");

const MAX_NAME: usize = 128;
const TYPES: [&str; 3] = ["TOKEN", "REQUEST", "COGNITO_USER_POOLS"];
const DEFAULT_TTL: i64 = 300;

/// Every member of AWS's `Authorizer` but `id` and `name`; also CreateAuthorizer's body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    #[serde(default, skip_serializing)]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(
        rename = "providerARNs",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub provider_arns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_credentials: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_validation_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_result_ttl_in_seconds: Option<i64>,
}

impl Spec {
    /// The typed view of a stored authorizer (members Tollgate does not know are dropped from
    /// the view only; `write` keeps them).
    fn read(a: &Authorizer) -> Spec {
        let known: Map<String, Value> = a
            .extra
            .iter()
            .filter(|(k, _)| KNOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        serde_json::from_value(Value::Object(known)).unwrap_or_default()
    }

    /// Writes the view back into `a.extra`, keeping members it does not know.
    fn write(&self, a: &mut Authorizer) {
        a.extra.retain(|k, _| !KNOWN.contains(&k.as_str()));
        if let Ok(Value::Object(o)) = serde_json::to_value(self) {
            a.extra.extend(o);
        }
    }
}

const KNOWN: [&str; 8] = [
    "type",
    "providerARNs",
    "authType",
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
];

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::bad_request(m)
}

/// A single `method.request.header.NAME`.
fn is_header_source(s: &str) -> bool {
    s.strip_prefix("method.request.header.")
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic() && b != b','))
}

/// One REQUEST identity source: a header, query string, stage variable or context value.
fn is_request_source(s: &str) -> bool {
    const PREFIXES: [&str; 5] = [
        "method.request.header.",
        "method.request.querystring.",
        "method.request.multivalueheader.",
        "method.request.multivaluequerystring.",
        "stageVariables.",
    ];
    let rest = PREFIXES
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .or_else(|| s.strip_prefix("context."));
    rest.is_some_and(|r| !r.is_empty())
}

/// The whole-authorizer check, run after create and after every update.
fn validate(name: &str, s: &mut Spec) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(bad("Authorizer name must be specified"));
    }
    if name.len() > MAX_NAME {
        return Err(bad(format!(
            "Authorizer name must be at most {MAX_NAME} characters"
        )));
    }
    let kind = s.kind.as_deref().unwrap_or("");
    if !TYPES.contains(&kind) {
        return Err(bad(format!(
            "Invalid authorizer type specified: {kind}. Valid options are {}",
            TYPES.join(",")
        )));
    }
    let ttl = *s
        .authorizer_result_ttl_in_seconds
        .get_or_insert(DEFAULT_TTL);
    if !(0..=3600).contains(&ttl) {
        return Err(bad(
            "Invalid authorizerResultTtlInSeconds: must be between 0 and 3600",
        ));
    }
    let source = s.identity_source.as_deref().unwrap_or("");
    match kind {
        "TOKEN" | "REQUEST" => {
            let uri = s.authorizer_uri.as_deref().unwrap_or("");
            if uri.is_empty() {
                return Err(bad(format!(
                    "Authorizer URI must be specified for type {kind}"
                )));
            }
            if !uri.starts_with("arn:") {
                return Err(bad(format!("Invalid Authorizer URI specified: {uri}")));
            }
            if !s.provider_arns.is_empty() {
                return Err(bad(format!(
                    "providerARNs are not supported for authorizer type {kind}"
                )));
            }
        }
        _ => {
            if s.provider_arns.is_empty() {
                return Err(bad(
                    "providerARNs must be specified for type COGNITO_USER_POOLS",
                ));
            }
            if let Some(a) = s.provider_arns.iter().find(|a| !a.starts_with("arn:")) {
                return Err(bad(format!("Invalid provider ARN specified: {a}")));
            }
        }
    }
    match kind {
        "REQUEST" => {
            let parts: Vec<&str> = source.split(',').map(str::trim).collect();
            if source.is_empty() {
                if ttl > 0 {
                    return Err(bad(
                        "Identity source must be specified when caching is enabled",
                    ));
                }
            } else if let Some(p) = parts.iter().find(|p| !is_request_source(p)) {
                return Err(bad(format!("Invalid identity source specified: {p}")));
            }
        }
        _ => {
            if source.is_empty() {
                return Err(bad(format!(
                    "Identity source must be specified for type {kind}"
                )));
            }
            if !is_header_source(source) {
                return Err(bad(format!(
                    "Invalid identity source specified: {source}. It must be method.request.header.NAME"
                )));
            }
        }
    }
    if let Some(re) = &s.identity_validation_expression {
        // COGNITO_USER_POOLS matches it against the token's `aud` (CreateAuthorizer's docs).
        if !matches!(kind, "TOKEN" | "COGNITO_USER_POOLS") {
            return Err(bad(
                "identityValidationExpression is only supported for TOKEN and COGNITO_USER_POOLS authorizers",
            ));
        }
        regex::Regex::new(re)
            .map_err(|_| bad(format!("Invalid identity validation expression: {re}")))?;
    }
    Ok(())
}

pub fn authorizer<'a>(api: &'a RestApi, id: &str) -> Result<&'a Authorizer, ApiError> {
    api.authorizers
        .iter()
        .find(|a| a.id == id)
        .ok_or(AUTHORIZER_NOT_FOUND)
}

fn check_unique(api: &RestApi, id: &str, name: &str) -> Result<(), ApiError> {
    if api.authorizers.iter().any(|a| a.name == name && a.id != id) {
        return Err(ApiError::Conflict(format!(
            "Authorizer name '{name}' already exists for this REST API"
        )));
    }
    Ok(())
}

pub fn create_authorizer(api: &mut RestApi, mut spec: Spec) -> Result<Authorizer, ApiError> {
    let name = spec.name.take().unwrap_or_default();
    validate(&name, &mut spec)?;
    check_unique(api, "", &name)?;
    let mut a = Authorizer {
        id: new_id(6),
        name,
        extra: Map::new(),
    };
    spec.write(&mut a);
    api.authorizers.push(a.clone());
    Ok(a)
}

/// What UpdateAuthorizer's rules edit: the name and the typed view.
#[derive(Clone)]
struct Edit {
    name: String,
    spec: Spec,
}

const AUTHORIZER_RULES: &[Rule<Edit>] = &[
    Rule {
        path: "/name",
        ops: &[Op::Replace],
        apply: |e, c| {
            e.name = c.value().to_string();
            Ok(())
        },
    },
    Rule {
        path: "/type",
        ops: &[Op::Replace],
        apply: |e, c| {
            e.spec.kind = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/authType",
        ops: &[Op::Replace],
        apply: |e, c| {
            e.spec.auth_type = c.optional().filter(|v| !v.is_empty());
            Ok(())
        },
    },
    Rule {
        path: "/authorizerUri",
        ops: &[Op::Replace],
        apply: |e, c| {
            e.spec.authorizer_uri = c.optional().filter(|v| !v.is_empty());
            Ok(())
        },
    },
    Rule {
        path: "/authorizerCredentials",
        ops: &[Op::Replace],
        apply: |e, c| {
            e.spec.authorizer_credentials = c.optional().filter(|v| !v.is_empty());
            Ok(())
        },
    },
    Rule {
        path: "/identitySource",
        ops: &[Op::Replace],
        apply: |e, c| {
            e.spec.identity_source = c.optional().filter(|v| !v.is_empty());
            Ok(())
        },
    },
    Rule {
        path: "/identityValidationExpression",
        ops: &[Op::Replace],
        apply: |e, c| {
            e.spec.identity_validation_expression = c.optional().filter(|v| !v.is_empty());
            Ok(())
        },
    },
    Rule {
        path: "/authorizerResultTtlInSeconds",
        ops: &[Op::Replace],
        apply: |e, c| {
            e.spec.authorizer_result_ttl_in_seconds = Some(c.int(0..=3600)?);
            Ok(())
        },
    },
    Rule {
        path: "/providerARNs/{arn}",
        ops: &[Op::Add, Op::Remove],
        apply: |e, c| {
            let arn = c.capture(0).to_string();
            e.spec.provider_arns.retain(|a| *a != arn);
            if c.op == Op::Add {
                e.spec.provider_arns.push(arn);
            }
            Ok(())
        },
    },
];

pub fn update_authorizer(
    api: &mut RestApi,
    id: &str,
    ops: &[PatchOperation],
) -> Result<Authorizer, ApiError> {
    let i = api
        .authorizers
        .iter()
        .position(|a| a.id == id)
        .ok_or(AUTHORIZER_NOT_FOUND)?;
    let current = Edit {
        name: api.authorizers[i].name.clone(),
        spec: Spec::read(&api.authorizers[i]),
    };
    let mut e = patch::apply(&current, ops, AUTHORIZER_RULES)?;
    validate(&e.name, &mut e.spec)?;
    check_unique(api, id, &e.name)?;
    let a = &mut api.authorizers[i];
    a.name = e.name;
    e.spec.write(a);
    Ok(a.clone())
}

pub fn delete_authorizer(api: &mut RestApi, id: &str) -> Result<(), ApiError> {
    authorizer(api, id)?;
    let used = api.resources.iter().find_map(|r| {
        r.resource_methods
            .iter()
            .find(|(_, m)| m.authorizer_id.as_deref() == Some(id))
            .map(|(verb, _)| format!("{}/{verb}", r.path))
    });
    if let Some(by) = used {
        return Err(ApiError::Conflict(format!(
            "Cannot delete authorizer '{id}', is referenced in method: {by}"
        )));
    }
    api.authorizers.retain(|a| a.id != id);
    Ok(())
}

/// The `Authorizer` output shape: id, name and the AWS members of `extra`.
pub fn authorizer_out(a: &Authorizer) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), a.id.clone().into());
    o.insert("name".into(), a.name.clone().into());
    if let Ok(Value::Object(spec)) = serde_json::to_value(Spec::read(a)) {
        o.extend(spec);
    }
    Value::Object(o)
}

#[cfg(test)]
#[path = "authorizers_tests.rs"]
mod tests;
