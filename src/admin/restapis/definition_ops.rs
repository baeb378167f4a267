//! The API-wide definition operations: Models (with GetModelTemplate), RequestValidators,
//! Authorizers and GatewayResponses. `route` maps (method, path) to a `DefOp`; `run` decodes the
//! body, runs the pure edit in `models` / `authorizers` / `gateway_responses` through
//! `ControlPlane::edit_rest_api` (one store transaction) and encodes AWS's output with the
//! model's status: 201 Create/Put, 200 Get/Update, 202 Delete.

use super::{authorizers, gateway_responses as gr, models, request_validators as rv};
use crate::admin::control::ControlPlane;
use crate::admin::error::ApiError;
use crate::admin::http::{Request, Response};
use crate::admin::patch;
use crate::admin::shapes::{page_of, parse_body};
use crate::deploy::model::RestApi;
use serde::Serialize;
use serde_json::{json, Value};

/// What kind of definition an operation addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Model,
    Validator,
    Authorizer,
    GatewayResponse,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefOp {
    /// POST (Create) or PUT (PutGatewayResponse) of one item; `key` is the gateway response type.
    Create {
        api: String,
        kind: Kind,
        key: Option<String>,
    },
    List {
        api: String,
        kind: Kind,
    },
    Get {
        api: String,
        kind: Kind,
        key: String,
    },
    Update {
        api: String,
        kind: Kind,
        key: String,
    },
    Delete {
        api: String,
        kind: Kind,
        key: String,
    },
    GetModelTemplate {
        api: String,
        model: String,
    },
}

pub fn route(method: &str, segs: &[&str]) -> Option<DefOp> {
    let kind = |s: &str| match s {
        "models" => Some(Kind::Model),
        "requestvalidators" => Some(Kind::Validator),
        "authorizers" => Some(Kind::Authorizer),
        "gatewayresponses" => Some(Kind::GatewayResponse),
        _ => None,
    };
    let s = |x: &str| x.to_string();
    match (method, segs) {
        ("GET", ["restapis", api, "models", m, "default_template"]) => {
            Some(DefOp::GetModelTemplate {
                api: s(api),
                model: s(m),
            })
        }
        (verb, ["restapis", api, coll]) => {
            let (api, kind) = (s(api), kind(coll)?);
            match verb {
                "GET" => Some(DefOp::List { api, kind }),
                "POST" if kind != Kind::GatewayResponse => Some(DefOp::Create {
                    api,
                    kind,
                    key: None,
                }),
                _ => None,
            }
        }
        (verb, ["restapis", api, coll, key]) => {
            let (api, kind, key) = (s(api), kind(coll)?, s(key));
            match verb {
                "GET" => Some(DefOp::Get { api, kind, key }),
                "PATCH" => Some(DefOp::Update { api, kind, key }),
                "DELETE" => Some(DefOp::Delete { api, kind, key }),
                "PUT" if kind == Kind::GatewayResponse => Some(DefOp::Create {
                    api,
                    kind,
                    key: Some(key),
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

fn to_value(v: impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn gateway_response_out(g: &crate::deploy::model::GatewayResponse) -> Value {
    // AWS always sends both maps, empty or not.
    let mut v = to_value(g);
    if let Value::Object(o) = &mut v {
        o.entry("responseParameters").or_insert_with(|| json!({}));
        o.entry("responseTemplates").or_insert_with(|| json!({}));
    }
    v
}

pub fn run(cp: &mut ControlPlane, op: DefOp, req: &Request) -> Result<Response, ApiError> {
    match op {
        DefOp::Create { api, kind, key } => {
            let body = &req.body;
            let v = cp.edit_rest_api(&api, |a| -> Result<Value, ApiError> {
                Ok(match kind {
                    Kind::Model => {
                        models::model_out(&models::create_model(a, parse_body(body)?)?, None)
                    }
                    Kind::Validator => to_value(rv::create_validator(a, parse_body(body)?)?),
                    Kind::Authorizer => authorizers::authorizer_out(
                        &authorizers::create_authorizer(a, parse_body(body)?)?,
                    ),
                    Kind::GatewayResponse => gateway_response_out(&gr::put(
                        a,
                        key.as_deref().unwrap_or(""),
                        parse_body(body)?,
                    )?),
                })
            })?;
            Ok(Response::json(201, &v))
        }
        DefOp::List { api, kind } => {
            let a = cp.get_rest_api(&api)?;
            let page = match kind {
                Kind::Model => page_of(
                    req,
                    &sorted(&a.models, |m| &m.id),
                    |m| &m.id,
                    |m| models::model_out(m, None),
                ),
                Kind::Validator => page_of(
                    req,
                    &sorted(&a.request_validators, |v| &v.id),
                    |v| &v.id,
                    to_value,
                ),
                Kind::Authorizer => page_of(
                    req,
                    &sorted(&a.authorizers, |x| &x.id),
                    |x| &x.id,
                    authorizers::authorizer_out,
                ),
                Kind::GatewayResponse => page_of(
                    req,
                    &gr::all(&a),
                    |g| &g.response_type,
                    gateway_response_out,
                ),
            }?;
            Ok(Response::json(200, &page))
        }
        DefOp::Get { api, kind, key } => {
            let a = cp.get_rest_api(&api)?;
            Ok(Response::json(200, &get(&a, kind, &key, req)?))
        }
        DefOp::Update { api, kind, key } => {
            let ops = patch::parse(&req.body)?;
            let v = cp.edit_rest_api(&api, |a| -> Result<Value, ApiError> {
                Ok(match kind {
                    Kind::Model => models::model_out(&models::update_model(a, &key, &ops)?, None),
                    Kind::Validator => to_value(rv::update_validator(a, &key, &ops)?),
                    Kind::Authorizer => {
                        authorizers::authorizer_out(&authorizers::update_authorizer(a, &key, &ops)?)
                    }
                    Kind::GatewayResponse => gateway_response_out(&gr::update(a, &key, &ops)?),
                })
            })?;
            Ok(Response::json(200, &v))
        }
        DefOp::Delete { api, kind, key } => {
            cp.edit_rest_api(&api, |a| match kind {
                Kind::Model => models::delete_model(a, &key),
                Kind::Validator => rv::delete_validator(a, &key),
                Kind::Authorizer => authorizers::delete_authorizer(a, &key),
                Kind::GatewayResponse => gr::delete(a, &key),
            })?;
            Ok(Response::empty(202))
        }
        DefOp::GetModelTemplate { api, model } => {
            let a = cp.get_rest_api(&api)?;
            let m = models::model(&a, &model)?;
            Ok(Response::json(
                200,
                &json!({ "value": models::model_template(&a, m) }),
            ))
        }
    }
}

fn get(a: &RestApi, kind: Kind, key: &str, req: &Request) -> Result<Value, ApiError> {
    Ok(match kind {
        Kind::Model => {
            let m = models::model(a, key)?;
            let flat = match req.query("flatten") {
                None | Some("false") => None,
                Some("true") => models::flattened_schema(a, m),
                Some(other) => {
                    return Err(ApiError::bad_request(format!(
                        "Invalid flatten value {other}"
                    )))
                }
            };
            models::model_out(m, flat)
        }
        Kind::Validator => to_value(rv::validator(a, key)?),
        Kind::Authorizer => authorizers::authorizer_out(authorizers::authorizer(a, key)?),
        Kind::GatewayResponse => gateway_response_out(&gr::get(a, key)?),
    })
}

fn sorted<T: Clone>(items: &[T], key: impl Fn(&T) -> &String) -> Vec<T> {
    let mut v = items.to_vec();
    v.sort_by(|a, b| key(a).cmp(key(b)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, path: &str) -> Option<DefOp> {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        route(method, &segs)
    }

    #[test]
    fn routing_table() {
        let a = || "a1".to_string();
        let k = |s: &str| s.to_string();
        let cases = [
            (
                "POST",
                "/restapis/a1/models",
                Some(DefOp::Create {
                    api: a(),
                    kind: Kind::Model,
                    key: None,
                }),
            ),
            (
                "GET",
                "/restapis/a1/requestvalidators",
                Some(DefOp::List {
                    api: a(),
                    kind: Kind::Validator,
                }),
            ),
            (
                "GET",
                "/restapis/a1/authorizers/x",
                Some(DefOp::Get {
                    api: a(),
                    kind: Kind::Authorizer,
                    key: k("x"),
                }),
            ),
            (
                "PATCH",
                "/restapis/a1/models/Pet",
                Some(DefOp::Update {
                    api: a(),
                    kind: Kind::Model,
                    key: k("Pet"),
                }),
            ),
            (
                "DELETE",
                "/restapis/a1/gatewayresponses/THROTTLED",
                Some(DefOp::Delete {
                    api: a(),
                    kind: Kind::GatewayResponse,
                    key: k("THROTTLED"),
                }),
            ),
            (
                "PUT",
                "/restapis/a1/gatewayresponses/THROTTLED",
                Some(DefOp::Create {
                    api: a(),
                    kind: Kind::GatewayResponse,
                    key: Some(k("THROTTLED")),
                }),
            ),
            (
                "GET",
                "/restapis/a1/models/Pet/default_template",
                Some(DefOp::GetModelTemplate {
                    api: a(),
                    model: k("Pet"),
                }),
            ),
            ("POST", "/restapis/a1/gatewayresponses", None),
            ("PUT", "/restapis/a1/models/Pet", None),
            ("POST", "/restapis/a1/authorizers/x", None),
            ("GET", "/restapis/a1/stages", None),
        ];
        for (method, path, want) in cases {
            assert_eq!(r(method, path), want, "{method} {path}");
        }
    }
}
