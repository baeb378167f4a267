//! Methods and MethodResponses of a resource (Put/Get/Update/Delete), as pure edits of a
//! `RestApi`. Request bodies are AWS's `PutMethodRequest` / `PutMethodResponseRequest` members;
//! updates are patch operations over the paths AWS documents for `UpdateMethod` and
//! `UpdateMethodResponse`.

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Change, Op, PatchError, PatchOperation, Rule};
use crate::admin::restapis::resources::resource_mut;
use crate::deploy::model::{Method, MethodResponse, RestApi};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const METHOD_NOT_FOUND: ApiError = ApiError::NotFound("Invalid Method identifier specified");
pub const RESPONSE_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid Response status code specified");

const HTTP_METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
];
const AUTHORIZATION_TYPES: [&str; 4] = ["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"];

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutMethodIn {
    pub authorization_type: Option<String>,
    pub authorizer_id: Option<String>,
    #[serde(default)]
    pub api_key_required: bool,
    pub operation_name: Option<String>,
    #[serde(default)]
    pub request_parameters: BTreeMap<String, bool>,
    #[serde(default)]
    pub request_models: BTreeMap<String, String>,
    pub request_validator_id: Option<String>,
    #[serde(default)]
    pub authorization_scopes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutMethodResponseIn {
    #[serde(default)]
    pub response_parameters: BTreeMap<String, bool>,
    #[serde(default)]
    pub response_models: BTreeMap<String, String>,
}

pub fn method_mut<'a>(
    api: &'a mut RestApi,
    resource_id: &str,
    http_method: &str,
) -> Result<&'a mut Method, ApiError> {
    resource_mut(api, resource_id)?
        .resource_methods
        .get_mut(http_method)
        .ok_or(METHOD_NOT_FOUND)
}

/// PutMethod: creates the method (409 if it exists, as on AWS).
pub fn put_method(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
    input: PutMethodIn,
) -> Result<Method, ApiError> {
    if !HTTP_METHODS.contains(&http_method) {
        return Err(ApiError::bad_request(format!(
            "Invalid HttpMethod specified. Valid options are {}",
            HTTP_METHODS.join(",")
        )));
    }
    let authorization_type = input
        .authorization_type
        .ok_or_else(|| ApiError::bad_request("Authorization type must be specified"))?;
    check_authorization_type(&authorization_type)?;
    let r = resource_mut(api, resource_id)?;
    if r.resource_methods.contains_key(http_method) {
        return Err(ApiError::Conflict(
            "Method already exists for this resource".into(),
        ));
    }
    let m = Method {
        http_method: http_method.to_string(),
        authorization_type,
        authorizer_id: input.authorizer_id,
        api_key_required: input.api_key_required,
        request_validator_id: input.request_validator_id,
        operation_name: input.operation_name,
        request_parameters: input.request_parameters,
        request_models: input.request_models,
        authorization_scopes: input.authorization_scopes,
        ..Method::default()
    };
    r.resource_methods
        .insert(http_method.to_string(), m.clone());
    Ok(m)
}

fn check_authorization_type(t: &str) -> Result<(), ApiError> {
    if AUTHORIZATION_TYPES.contains(&t) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid authorization type specified. Valid options are {}",
            AUTHORIZATION_TYPES.join(",")
        )))
    }
}

fn map_edit<V>(
    map: &mut BTreeMap<String, V>,
    c: &Change<'_>,
    v: impl FnOnce() -> Result<V, PatchError>,
) -> Result<(), PatchError> {
    if c.op == Op::Remove {
        map.remove(c.capture(0));
    } else {
        map.insert(c.capture(0).to_string(), v()?);
    }
    Ok(())
}

const METHOD_RULES: &[Rule<Method>] = &[
    Rule {
        path: "/authorizationType",
        ops: &[Op::Replace],
        apply: |m, c| {
            check_authorization_type(c.value())
                .map_err(|_| c.invalid("not an authorization type"))?;
            m.authorization_type = c.value().to_string();
            Ok(())
        },
    },
    Rule {
        path: "/authorizerId",
        ops: &[Op::Replace, Op::Remove],
        apply: |m, c| {
            m.authorizer_id = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/apiKeyRequired",
        ops: &[Op::Replace],
        apply: |m, c| {
            m.api_key_required = c.bool()?;
            Ok(())
        },
    },
    Rule {
        path: "/operationName",
        ops: &[Op::Replace, Op::Remove],
        apply: |m, c| {
            m.operation_name = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/requestValidatorId",
        ops: &[Op::Replace, Op::Remove],
        apply: |m, c| {
            m.request_validator_id = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/requestParameters/{name}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |m, c| map_edit(&mut m.request_parameters, c, || c.bool()),
    },
    Rule {
        path: "/requestModels/{contentType}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |m, c| map_edit(&mut m.request_models, c, || Ok(c.value().to_string())),
    },
    Rule {
        path: "/authorizationScopes",
        ops: &[Op::Add, Op::Remove],
        apply: |m, c| {
            m.authorization_scopes.retain(|s| s != c.value());
            if c.op == Op::Add {
                m.authorization_scopes.push(c.value().to_string());
            }
            Ok(())
        },
    },
];

pub fn update_method(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
    ops: &[PatchOperation],
) -> Result<Method, ApiError> {
    let m = method_mut(api, resource_id, http_method)?;
    *m = patch::apply(m, ops, METHOD_RULES)?;
    Ok(m.clone())
}

pub fn delete_method(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
) -> Result<(), ApiError> {
    resource_mut(api, resource_id)?
        .resource_methods
        .remove(http_method)
        .map(|_| ())
        .ok_or(METHOD_NOT_FOUND)
}

fn check_status(status: &str) -> Result<(), ApiError> {
    if crate::deploy::import::is_status_code(status) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid status code specified: {status}"
        )))
    }
}

/// PutMethodResponse: creates or replaces the method response for `status`.
pub fn put_method_response(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
    status: &str,
    input: PutMethodResponseIn,
) -> Result<MethodResponse, ApiError> {
    check_status(status)?;
    let m = method_mut(api, resource_id, http_method)?;
    let mr = MethodResponse {
        status_code: status.to_string(),
        response_parameters: input.response_parameters,
        response_models: input.response_models,
        ..MethodResponse::default()
    };
    m.method_responses.insert(status.to_string(), mr.clone());
    Ok(mr)
}

pub fn method_response_mut<'a>(
    api: &'a mut RestApi,
    resource_id: &str,
    http_method: &str,
    status: &str,
) -> Result<&'a mut MethodResponse, ApiError> {
    method_mut(api, resource_id, http_method)?
        .method_responses
        .get_mut(status)
        .ok_or(RESPONSE_NOT_FOUND)
}

const METHOD_RESPONSE_RULES: &[Rule<MethodResponse>] = &[
    Rule {
        path: "/responseParameters/{name}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |r, c| map_edit(&mut r.response_parameters, c, || c.bool()),
    },
    Rule {
        path: "/responseModels/{contentType}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |r, c| map_edit(&mut r.response_models, c, || Ok(c.value().to_string())),
    },
];

pub fn update_method_response(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
    status: &str,
    ops: &[PatchOperation],
) -> Result<MethodResponse, ApiError> {
    let r = method_response_mut(api, resource_id, http_method, status)?;
    *r = patch::apply(r, ops, METHOD_RESPONSE_RULES)?;
    Ok(r.clone())
}

pub fn delete_method_response(
    api: &mut RestApi,
    resource_id: &str,
    http_method: &str,
    status: &str,
) -> Result<(), ApiError> {
    method_mut(api, resource_id, http_method)?
        .method_responses
        .remove(status)
        .map(|_| ())
        .ok_or(RESPONSE_NOT_FOUND)
}

/// Shared by the integration edits: insert or remove a map entry keyed by the first capture.
pub(super) fn edit_map<V>(
    map: &mut BTreeMap<String, V>,
    c: &Change<'_>,
    v: impl FnOnce() -> Result<V, PatchError>,
) -> Result<(), PatchError> {
    map_edit(map, c, v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::model::Resource;

    fn api() -> RestApi {
        RestApi {
            resources: vec![Resource {
                id: "r".into(),
                path: "/".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn put(a: &mut RestApi, m: &str, auth: Option<&str>) -> Result<Method, ApiError> {
        let input = PutMethodIn {
            authorization_type: auth.map(str::to_string),
            ..Default::default()
        };
        put_method(a, "r", m, input)
    }

    #[test]
    fn put_get_update_delete_method() {
        let mut a = api();
        put(&mut a, "GET", Some("NONE")).unwrap();
        let cases: &[(&str, Option<&str>, u16)] = &[
            ("GET", Some("NONE"), 409),
            ("FETCH", Some("NONE"), 400),
            ("POST", None, 400),
            ("POST", Some("MAGIC"), 400),
        ];
        for (m, auth, status) in cases {
            assert_eq!(put(&mut a, m, *auth).unwrap_err().parts().0, *status, "{m}");
        }
        let ops = patch::parse(
            br#"{"patchOperations":[{"op":"replace","path":"/apiKeyRequired","value":"true"},
            {"op":"add","path":"/requestParameters/method.request.header.X-A","value":"true"},
            {"op":"add","path":"/requestModels/application~1json","value":"Empty"}]}"#,
        )
        .unwrap();
        let m = update_method(&mut a, "r", "GET", &ops).unwrap();
        assert!(m.api_key_required);
        assert!(m.request_parameters["method.request.header.X-A"]);
        assert_eq!(m.request_models["application/json"], "Empty");
        assert_eq!(
            update_method(&mut a, "r", "PUT", &ops),
            Err(METHOD_NOT_FOUND)
        );
        delete_method(&mut a, "r", "GET").unwrap();
        assert_eq!(delete_method(&mut a, "r", "GET"), Err(METHOD_NOT_FOUND));
    }

    #[test]
    fn method_responses() {
        let mut a = api();
        put(&mut a, "GET", Some("NONE")).unwrap();
        let input = || PutMethodResponseIn {
            response_parameters: BTreeMap::from([("method.response.header.X".into(), false)]),
            ..Default::default()
        };
        put_method_response(&mut a, "r", "GET", "200", input()).unwrap();
        assert_eq!(
            put_method_response(&mut a, "r", "GET", "20", input())
                .unwrap_err()
                .parts()
                .0,
            400
        );
        let ops = patch::parse(
            br#"{"patchOperations":[{"op":"remove","path":"/responseParameters/method.response.header.X"}]}"#,
        )
        .unwrap();
        let r = update_method_response(&mut a, "r", "GET", "200", &ops).unwrap();
        assert!(r.response_parameters.is_empty());
        delete_method_response(&mut a, "r", "GET", "200").unwrap();
        assert_eq!(
            delete_method_response(&mut a, "r", "GET", "200"),
            Err(RESPONSE_NOT_FOUND)
        );
    }
}
