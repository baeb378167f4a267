//! One OpenAPI operation -> `model::Method`: request parameters, request models, method
//! responses, authorization (security requirements), request validator and the integration.

use super::doc::{extras, Ctx, Dialect};
use super::integration::import_integration;
use super::toplevel::SchemeKind;
use super::{openapi3, swagger2};
use crate::deploy::model::{Method, MethodResponse};
use crate::deploy::problem::join;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// API-wide settings every operation consults.
pub struct OpEnv<'a> {
    pub schemes: &'a HashMap<String, SchemeKind>,
    /// Validator name -> id.
    pub validators: &'a HashMap<String, String>,
    /// Top-level `x-amazon-apigateway-request-validator`.
    pub default_validator: Option<&'a str>,
}

/// Operation keys with a model field; the rest (`summary`, `tags`, ...) go to `Method.extra`.
const KNOWN: [&str; 7] = [
    "operationId",
    "parameters",
    "requestBody",
    "responses",
    "security",
    "x-amazon-apigateway-integration",
    "x-amazon-apigateway-request-validator",
];

/// The method and, per integration response status code, the `responses` key it came from.
pub fn import_operation<'a>(
    cx: &mut Ctx<'a>,
    env: &OpEnv<'_>,
    op: &'a Map<String, Value>,
    at: &str,
    http_method: &str,
    shared_params: &[(&'a Value, String)],
) -> (Method, HashMap<String, String>) {
    let mut m = Method {
        http_method: http_method.to_string(),
        authorization_type: "NONE".to_string(),
        operation_name: cx.field_str(op, "operationId", at).map(str::to_string),
        extra: extras(op, &KNOWN),
        ..Method::default()
    };
    import_parameters(cx, op, at, shared_params, &mut m);
    if cx.dialect == Dialect::OpenApi3 {
        m.request_models
            .extend(openapi3::request_models(cx, op, at));
    }
    import_responses(cx, op, at, &mut m);
    import_security(cx, env, op, at, &mut m);
    let validator = match cx.field_str(op, "x-amazon-apigateway-request-validator", at) {
        Some(v) => Some((v, join(at, "x-amazon-apigateway-request-validator"))),
        None => env
            .default_validator
            .map(|v| (v, "/x-amazon-apigateway-request-validator".to_string())),
    };
    if let Some((name, v_at)) = validator {
        match env.validators.get(name) {
            Some(id) => m.request_validator_id = Some(id.clone()),
            None => cx.error(v_at, format!("Invalid request validator specified: '{name}' is not defined in x-amazon-apigateway-request-validators")),
        }
    }
    let mut origin = HashMap::new();
    if let Some(integ) = cx.field_object(op, "x-amazon-apigateway-integration", at) {
        let (integration, o) =
            import_integration(cx, integ, &join(at, "x-amazon-apigateway-integration"));
        m.method_integration = Some(integration);
        origin = o;
    }
    (m, origin)
}

fn import_parameters<'a>(
    cx: &mut Ctx<'a>,
    op: &'a Map<String, Value>,
    at: &str,
    shared: &[(&'a Value, String)],
    m: &mut Method,
) {
    let mut params: Vec<(&'a Value, String)> = shared.to_vec();
    if let Some(list) = op.get("parameters") {
        let p_at = join(at, "parameters");
        match list.as_array() {
            Some(items) => params.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v, format!("{p_at}/{i}"))),
            ),
            None => cx.error(p_at, "Invalid value: expected an array"),
        }
    }
    for (raw, p_at) in params {
        let Some((param, p_at)) = cx.deref(raw, &p_at) else {
            continue;
        };
        let Some(obj) = cx.object(param, &p_at) else {
            continue;
        };
        let name = cx.field_str(obj, "name", &p_at);
        let location = cx.field_str(obj, "in", &p_at);
        let required = cx.field_bool(obj, "required", &p_at).unwrap_or(false);
        let (Some(name), Some(location)) = (name, location) else {
            cx.error(&p_at, "Invalid parameter: name and in are required");
            continue;
        };
        // Later declarations (operation level) override earlier ones (path-item level).
        let key = match location {
            "path" => {
                m.request_parameters
                    .insert(format!("method.request.path.{name}"), true);
                continue;
            }
            "query" => format!("method.request.querystring.{name}"),
            "header" => format!("method.request.header.{name}"),
            "body" if cx.dialect == Dialect::Swagger2 => {
                let models = swagger2::body_models(cx, op, param, &p_at);
                m.request_models.extend(models);
                continue;
            }
            other => {
                cx.warn(
                    join(&p_at, "in"),
                    format!("Parameter '{name}' in '{other}' is not supported by API Gateway and was ignored"),
                );
                continue;
            }
        };
        m.request_parameters.insert(key, required);
    }
}

fn import_responses<'a>(cx: &mut Ctx<'a>, op: &'a Map<String, Value>, at: &str, m: &mut Method) {
    let r_base = join(at, "responses");
    let Some(responses) = cx.field_object(op, "responses", at) else {
        return;
    };
    for (status, raw) in responses {
        let r_at = join(&r_base, status);
        if status == "default" {
            cx.warn(&r_at, "The 'default' response is not supported by API Gateway method responses and was ignored");
            continue;
        }
        if !super::is_status_code(status) {
            cx.error(&r_at, format!("Unable to put method response on '{}': Invalid status code specified: {status}", m.http_method));
            continue;
        }
        let Some((resp, r_at)) = cx.deref(raw, &r_at) else {
            continue;
        };
        let Some(obj) = cx.object(resp, &r_at) else {
            continue;
        };
        let mut mr = MethodResponse {
            status_code: status.clone(),
            extra: extras(obj, &["headers", "content", "schema"]),
            ..MethodResponse::default()
        };
        if let Some(headers) = cx.field_object(obj, "headers", &r_at) {
            for name in headers.keys() {
                mr.response_parameters
                    .insert(format!("method.response.header.{name}"), false);
            }
        }
        mr.response_models = match cx.dialect {
            Dialect::OpenApi3 => openapi3::response_models(cx, resp, &r_at),
            Dialect::Swagger2 => swagger2::response_models(cx, op, resp, &r_at),
        };
        m.method_responses.insert(status.clone(), mr);
    }
}

fn import_security<'a>(
    cx: &mut Ctx<'a>,
    env: &OpEnv<'_>,
    op: &'a Map<String, Value>,
    at: &str,
    m: &mut Method,
) {
    let (requirements, s_at) = match op.get("security") {
        Some(s) => (s, join(at, "security")),
        None => match cx.root.get("security") {
            Some(s) => (s, "/security".to_string()),
            None => return,
        },
    };
    let Some(list) = requirements.as_array() else {
        cx.error(s_at, "Invalid value: expected an array");
        return;
    };
    if list.len() > 1 {
        cx.warn(
            &s_at,
            "API Gateway applies one security requirement per method; only the first was imported",
        );
    }
    let Some(first) = list.first() else { return };
    let req_at = format!("{s_at}/0");
    let Some(req) = cx.object(first, &req_at) else {
        return;
    };
    for (name, scopes) in req {
        let at = join(&req_at, name);
        match env.schemes.get(name) {
            None => cx.error(at, format!("Invalid security requirement: the security scheme '{name}' is not defined")),
            Some(SchemeKind::ApiKey) => m.api_key_required = true,
            Some(SchemeKind::Iam) => m.authorization_type = "AWS_IAM".to_string(),
            Some(SchemeKind::Authorizer { id, authorization_type }) => {
                m.authorization_type = authorization_type.to_string();
                m.authorizer_id = Some(id.clone());
                if *authorization_type == "COGNITO_USER_POOLS" {
                    m.authorization_scopes = scopes
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                        .unwrap_or_default();
                }
            }
            Some(SchemeKind::Unenforced) => cx.warn(
                at,
                format!("Security scheme '{name}' has no x-amazon-apigateway-authorizer or x-amazon-apigateway-authtype; API Gateway does not enforce it"),
            ),
        }
    }
}
