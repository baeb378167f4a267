//! `paths` of an export: one path item per resource that has methods, one operation per method
//! (parameters, request body / body parameter, responses, security, request validator and the
//! `x-amazon-apigateway-integration`), and the security schemes the operations name.

use super::purity::{is_foreign, Level};
use super::{ExportOptions, Spec};
use crate::deploy::model::{Integration, Method, RestApi};
use serde_json::{json, Map, Value};

const API_KEY_SCHEME: &str = "api_key";
const SIGV4_SCHEME: &str = "sigv4";

pub fn paths(api: &RestApi, spec: Spec, opts: &ExportOptions) -> Map<String, Value> {
    let mut resources: Vec<_> = api
        .resources
        .iter()
        .filter(|r| !r.resource_methods.is_empty() || !r.extra.is_empty())
        .collect();
    resources.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out = Map::new();
    for r in resources {
        let mut item = Map::new();
        for (name, m) in &r.resource_methods {
            let key = match name.as_str() {
                "ANY" => "x-amazon-apigateway-any-method".to_string(),
                other => other.to_ascii_lowercase(),
            };
            item.insert(key, operation(api, m, spec, opts));
        }
        for (k, v) in &r.extra {
            if !is_foreign(spec, Level::PathItem, k) {
                item.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        out.insert(r.path.clone(), Value::Object(item));
    }
    out
}

fn schema_ref(spec: Spec, model: &str) -> Value {
    let escaped = model.replace('~', "~0").replace('/', "~1");
    match spec {
        Spec::OpenApi3 => json!({"$ref": format!("#/components/schemas/{escaped}")}),
        Spec::Swagger2 => json!({"$ref": format!("#/definitions/{escaped}")}),
    }
}

fn operation(api: &RestApi, m: &Method, spec: Spec, opts: &ExportOptions) -> Value {
    let mut op = Map::new();
    if let Some(id) = &m.operation_name {
        op.insert("operationId".into(), json!(id));
    }
    let mut params = Vec::new();
    for (key, required) in &m.request_parameters {
        let Some((location, name)) = key
            .strip_prefix("method.request.")
            .and_then(|k| k.split_once('.'))
        else {
            continue;
        };
        let location = match location {
            "path" => "path",
            "querystring" => "query",
            "header" => "header",
            _ => continue,
        };
        let mut p = Map::new();
        p.insert("name".into(), json!(name));
        p.insert("in".into(), json!(location));
        p.insert("required".into(), json!(location == "path" || *required));
        match spec {
            Spec::OpenApi3 => p.insert("schema".into(), json!({"type": "string"})),
            Spec::Swagger2 => p.insert("type".into(), json!("string")),
        };
        params.push(Value::Object(p));
    }
    let mut produces: Vec<&str> = Vec::new();
    match spec {
        Spec::OpenApi3 => {
            if !m.request_models.is_empty() {
                let content: Map<String, Value> = m
                    .request_models
                    .iter()
                    .map(|(ct, model)| (ct.clone(), json!({"schema": schema_ref(spec, model)})))
                    .collect();
                op.insert(
                    "requestBody".into(),
                    json!({"content": content, "required": true}),
                );
            }
        }
        Spec::Swagger2 => {
            if let Some(model) = m.request_models.values().next() {
                let consumes: Vec<&String> = m
                    .request_models
                    .iter()
                    .filter(|(_, v)| *v == model)
                    .map(|(k, _)| k)
                    .collect();
                if needs_media_types(api, m, "consumes", &consumes) {
                    op.insert("consumes".into(), json!(consumes));
                }
                params.push(json!({"in": "body", "name": model, "required": true,
                                   "schema": schema_ref(spec, model)}));
            }
            for r in m.method_responses.values() {
                for ct in r.response_models.keys() {
                    if !produces.contains(&ct.as_str()) {
                        produces.push(ct);
                    }
                }
            }
            if !produces.is_empty() && needs_media_types(api, m, "produces", &produces) {
                op.insert("produces".into(), json!(produces));
            }
        }
    }
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    let mut responses = Map::new();
    for (status, r) in &m.method_responses {
        let mut o = Map::new();
        for (k, v) in &r.extra {
            if !is_foreign(spec, Level::Response, k) {
                o.insert(k.clone(), v.clone());
            }
        }
        o.entry("description")
            .or_insert_with(|| json!(format!("{status} response")));
        let headers: Map<String, Value> = r
            .response_parameters
            .keys()
            .filter_map(|k| k.strip_prefix("method.response.header."))
            .map(|h| {
                let schema = match spec {
                    Spec::OpenApi3 => json!({"schema": {"type": "string"}}),
                    Spec::Swagger2 => json!({"type": "string"}),
                };
                (h.to_string(), schema)
            })
            .collect();
        if !headers.is_empty() {
            o.insert("headers".into(), Value::Object(headers));
        }
        match spec {
            Spec::OpenApi3 => {
                if !r.response_models.is_empty() {
                    let content: Map<String, Value> = r
                        .response_models
                        .iter()
                        .map(|(ct, model)| (ct.clone(), json!({"schema": schema_ref(spec, model)})))
                        .collect();
                    o.insert("content".into(), Value::Object(content));
                }
            }
            Spec::Swagger2 => {
                if let Some(model) = r.response_models.values().next() {
                    o.insert("schema".into(), schema_ref(spec, model));
                }
            }
        }
        responses.insert(status.clone(), Value::Object(o));
    }
    op.insert("responses".into(), Value::Object(responses));
    if let Some(sec) = security(api, m) {
        op.insert("security".into(), json!([sec]));
    }
    if opts.validators() {
        if let Some(v) = m
            .request_validator_id
            .as_ref()
            .and_then(|id| api.request_validators.iter().find(|v| &v.id == id))
        {
            op.insert(
                "x-amazon-apigateway-request-validator".into(),
                json!(v.name),
            );
        }
    }
    if opts.integrations() {
        if let Some(i) = &m.method_integration {
            op.insert("x-amazon-apigateway-integration".into(), integration(i));
        }
    }
    for (k, v) in &m.extra {
        if !is_foreign(spec, Level::Operation, k) {
            op.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Value::Object(op)
}

/// Swagger `consumes`/`produces` on the operation only when the import would not otherwise
/// arrive at `types`: the method kept its own list in `extra`, or the document's list (default
/// `application/json`) differs.
fn needs_media_types<T: AsRef<str>>(api: &RestApi, m: &Method, key: &str, types: &[T]) -> bool {
    if m.extra.contains_key(key) {
        return false;
    }
    let doc: Vec<&str> = api
        .extra
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .filter(|a: &Vec<&str>| !a.is_empty())
        .unwrap_or_else(|| vec!["application/json"]);
    !types.iter().all(|t| doc.contains(&t.as_ref()))
}

fn security(api: &RestApi, m: &Method) -> Option<Value> {
    let mut req = Map::new();
    if m.api_key_required {
        req.insert(API_KEY_SCHEME.into(), json!([]));
    }
    match m.authorization_type.as_str() {
        "AWS_IAM" => {
            req.insert(SIGV4_SCHEME.into(), json!([]));
        }
        // Named whatever the extensions: without `authorizers` the scheme is exported with no
        // authorizer extension (see `security_schemes`), so the document never names a scheme
        // it does not define.
        "CUSTOM" | "COGNITO_USER_POOLS" => {
            if let Some(a) = m
                .authorizer_id
                .as_ref()
                .and_then(|id| api.authorizers.iter().find(|a| &a.id == id))
            {
                req.insert(a.name.clone(), json!(m.authorization_scopes));
            }
        }
        _ => {}
    }
    (!req.is_empty()).then_some(Value::Object(req))
}

/// The schemes the operations' security requirements name.
pub fn security_schemes(api: &RestApi, opts: &ExportOptions) -> Map<String, Value> {
    let methods = || {
        api.resources
            .iter()
            .flat_map(|r| r.resource_methods.values())
    };
    let mut out = Map::new();
    if methods().any(|m| m.api_key_required) {
        out.insert(
            API_KEY_SCHEME.into(),
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
        );
    }
    if methods().any(|m| m.authorization_type == "AWS_IAM") {
        out.insert(
            SIGV4_SCHEME.into(),
            json!({"type": "apiKey", "name": "Authorization", "in": "header",
                   "x-amazon-apigateway-authtype": "awsSigv4"}),
        );
    }
    for a in &api.authorizers {
        let mut ext = a.extra.clone();
        let auth_type = ext.remove("authType");
        let header = ext
            .get("identitySource")
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("method.request.header."))
            .filter(|h| !h.contains(','))
            .unwrap_or("Authorization")
            .to_string();
        let mut s = Map::new();
        s.insert("type".into(), json!("apiKey"));
        s.insert("name".into(), json!(header));
        s.insert("in".into(), json!("header"));
        // The authtype goes only with the authorizer: AWS refuses an authtype whose
        // authorizer extension is missing.
        if opts.authorizers() {
            if let Some(t) = auth_type {
                s.insert("x-amazon-apigateway-authtype".into(), t);
            }
            s.insert("x-amazon-apigateway-authorizer".into(), Value::Object(ext));
        }
        out.insert(a.name.clone(), Value::Object(s));
    }
    out
}

fn integration(i: &Integration) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), json!(i.kind.to_ascii_lowercase()));
    let mut opt = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            o.insert(k.into(), json!(v));
        }
    };
    opt("httpMethod", &i.http_method);
    opt("uri", &i.uri);
    opt("connectionType", &i.connection_type);
    opt("connectionId", &i.connection_id);
    opt("credentials", &i.credentials);
    opt("passthroughBehavior", &i.passthrough_behavior);
    opt("contentHandling", &i.content_handling);
    opt("cacheNamespace", &i.cache_namespace);
    if let Some(t) = i.timeout_in_millis {
        o.insert("timeoutInMillis".into(), json!(t));
    }
    if !i.request_parameters.is_empty() {
        o.insert("requestParameters".into(), json!(i.request_parameters));
    }
    if !i.request_templates.is_empty() {
        o.insert("requestTemplates".into(), json!(i.request_templates));
    }
    if !i.cache_key_parameters.is_empty() {
        o.insert("cacheKeyParameters".into(), json!(i.cache_key_parameters));
    }
    if let Some(t) = &i.tls_config {
        o.insert("tlsConfig".into(), t.clone());
    }
    let mut responses = Map::new();
    for (status, r) in &i.integration_responses {
        let mut ro = Map::new();
        ro.insert("statusCode".into(), json!(status));
        if !r.response_parameters.is_empty() {
            ro.insert("responseParameters".into(), json!(r.response_parameters));
        }
        if !r.response_templates.is_empty() {
            ro.insert("responseTemplates".into(), json!(r.response_templates));
        }
        if let Some(c) = &r.content_handling {
            ro.insert("contentHandling".into(), json!(c));
        }
        for (k, v) in &r.extra {
            ro.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let key = r
            .selection_pattern
            .clone()
            .unwrap_or_else(|| "default".into());
        responses.insert(key, Value::Object(ro));
    }
    if !responses.is_empty() {
        o.insert("responses".into(), Value::Object(responses));
    }
    for (k, v) in &i.extra {
        o.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(o)
}
