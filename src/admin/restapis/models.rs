//! Models of a REST API (Create/Get/Update/Delete, GetModels, GetModelTemplate), as
//! pure edits of a `RestApi` that `definition_ops` runs inside `ControlPlane::edit_rest_api`.
//!
//! A model's schema is stored as the JSON string AWS takes. It must parse as a JSON object, and
//! every `$ref` must name a model of the same API the way AWS writes it,
//! `https://apigateway.amazonaws.com/restapis/{api}/models/{name}`, so an export's
//! `#/definitions/{name}` references always resolve. A model that a method request/response or
//! another model references cannot be deleted (409, as AWS).

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Op, PatchOperation, Rule};
use crate::deploy::ids::new_id;
use crate::deploy::model::{Model, RestApi};
use serde::Deserialize;
use serde_json::{Map, Value};

pub const MODEL_NOT_FOUND: ApiError = ApiError::NotFound("Invalid Model identifier specified");

/// AWS's limit on model and validator names.
const MAX_NAME: usize = 128;
/// AWS's 64 KB limit on a model schema.
const MAX_SCHEMA: usize = 64 * 1024;
const REF_PREFIX: &str = "https://apigateway.amazonaws.com/restapis/";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateModelIn {
    pub name: Option<String>,
    pub description: Option<String>,
    pub schema: Option<String>,
    pub content_type: Option<String>,
}

pub fn model<'a>(api: &'a RestApi, name: &str) -> Result<&'a Model, ApiError> {
    api.models
        .iter()
        .find(|m| m.name == name)
        .ok_or(MODEL_NOT_FOUND)
}

fn check_model_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::bad_request(
            "Invalid model name specified: must be alphanumeric",
        ));
    }
    if name.len() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "Invalid model name specified: must be at most {MAX_NAME} characters"
        )));
    }
    Ok(())
}

fn invalid_schema(reason: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!(
        "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified. {reason}]"
    ))
}

/// Checks `schema` as AWS does on Create/UpdateModel: a JSON object, within the size limit,
/// every `$ref` naming an existing model of `api` (or `self_name`, the model being written).
pub fn check_schema(api: &RestApi, self_name: &str, schema: &str) -> Result<(), ApiError> {
    if schema.len() > MAX_SCHEMA {
        return Err(invalid_schema(format!(
            "Schema is larger than {MAX_SCHEMA} bytes"
        )));
    }
    let v: Value = serde_json::from_str(schema).map_err(invalid_schema)?;
    if !v.is_object() {
        return Err(invalid_schema("The schema must be a JSON object"));
    }
    for r in refs(&v) {
        let name = ref_model_name(&api.id, r).ok_or_else(|| {
            invalid_schema(format!(
                "Model reference must be in the form {REF_PREFIX}{}/models/{{name}}: {r}",
                api.id
            ))
        })?;
        if name != self_name && !api.models.iter().any(|m| m.name == name) {
            return Err(invalid_schema(format!(
                "Model reference must be a valid model name: {name}"
            )));
        }
    }
    Ok(())
}

/// Every `$ref` string in `v`.
fn refs(v: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    match (k.as_str(), x) {
                        ("$ref", Value::String(s)) => out.push(s.as_str()),
                        _ => stack.push(x),
                    }
                }
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    out
}

/// The model a `$ref` names: AWS's absolute URL for this API, or a local `#/definitions/X`.
fn ref_model_name<'a>(api_id: &str, r: &'a str) -> Option<&'a str> {
    let name = match r.strip_prefix(REF_PREFIX) {
        Some(rest) => rest.strip_prefix(api_id)?.strip_prefix("/models/")?,
        None => r
            .strip_prefix("#/definitions/")
            .or_else(|| r.strip_prefix("#/components/schemas/"))?,
    };
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

pub fn create_model(api: &mut RestApi, input: CreateModelIn) -> Result<Model, ApiError> {
    let name = input
        .name
        .ok_or_else(|| ApiError::bad_request("Model name must be specified"))?;
    check_model_name(&name)?;
    let content_type = input
        .content_type
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("Content type must be specified"))?;
    if api.models.iter().any(|m| m.name == name) {
        return Err(ApiError::Conflict(
            "Model name already exists for this REST API".into(),
        ));
    }
    if let Some(s) = &input.schema {
        check_schema(api, &name, s)?;
    }
    let m = Model {
        id: new_id(6),
        name,
        description: input.description,
        schema: input.schema,
        content_type: Some(content_type),
    };
    api.models.push(m.clone());
    Ok(m)
}

const MODEL_RULES: &[Rule<Model>] = &[
    Rule {
        path: "/schema",
        ops: &[Op::Replace],
        apply: |m, c| {
            m.schema = Some(c.value().to_string());
            Ok(())
        },
    },
    Rule {
        path: "/description",
        ops: &[Op::Replace],
        apply: |m, c| {
            m.description = Some(c.value().to_string());
            Ok(())
        },
    },
];

pub fn update_model(
    api: &mut RestApi,
    name: &str,
    ops: &[PatchOperation],
) -> Result<Model, ApiError> {
    let i = api
        .models
        .iter()
        .position(|m| m.name == name)
        .ok_or(MODEL_NOT_FOUND)?;
    let updated = patch::apply(&api.models[i], ops, MODEL_RULES)?;
    if let Some(s) = &updated.schema {
        check_schema(api, name, s)?;
    }
    api.models[i] = updated.clone();
    Ok(updated)
}

pub fn delete_model(api: &mut RestApi, name: &str) -> Result<(), ApiError> {
    model(api, name)?;
    for r in &api.resources {
        for (verb, m) in &r.resource_methods {
            if m.request_models.values().any(|n| n == name) {
                return Err(in_use(
                    name,
                    "method request",
                    &format!("{}/{verb}", r.path),
                ));
            }
            if let Some((code, _)) = m
                .method_responses
                .iter()
                .find(|(_, mr)| mr.response_models.values().any(|n| n == name))
            {
                return Err(in_use(
                    name,
                    "method response",
                    &format!("{}/{verb}/{code}", r.path),
                ));
            }
        }
    }
    for other in api.models.iter().filter(|m| m.name != name) {
        let schema = other.schema.as_deref().unwrap_or("{}");
        let v: Value = serde_json::from_str(schema).unwrap_or(Value::Null);
        if refs(&v)
            .iter()
            .any(|r| ref_model_name(&api.id, r) == Some(name))
        {
            return Err(in_use(name, "model", &other.name));
        }
    }
    api.models.retain(|m| m.name != name);
    Ok(())
}

fn in_use(name: &str, what: &str, by: &str) -> ApiError {
    ApiError::Conflict(format!(
        "Cannot delete model '{name}', is referenced in {what}: {by}"
    ))
}

/// GetModel with `flatten=true`: every `$ref` to another model of the API replaced by that
/// model's schema, recursively (a cycle keeps its `$ref`).
pub fn flattened_schema(api: &RestApi, m: &Model) -> Option<String> {
    let schema: Value = serde_json::from_str(m.schema.as_deref()?).ok()?;
    let mut seen = vec![m.name.clone()];
    Some(inline(api, schema, &mut seen).to_string())
}

fn inline(api: &RestApi, v: Value, seen: &mut Vec<String>) -> Value {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                if let Some(name) = ref_model_name(&api.id, r) {
                    let target = api.models.iter().find(|m| m.name == name);
                    let schema = target
                        .and_then(|m| m.schema.as_deref())
                        .and_then(|s| serde_json::from_str::<Value>(s).ok());
                    if let (Some(schema), false) = (schema, seen.iter().any(|s| s == name)) {
                        seen.push(name.to_string());
                        let mut out = inline(api, schema, seen);
                        seen.pop();
                        if let Value::Object(o) = &mut out {
                            o.remove("$schema");
                        }
                        return out;
                    }
                }
            }
            Value::Object(
                o.into_iter()
                    .map(|(k, x)| (k, inline(api, x, seen)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|x| inline(api, x, seen)).collect()),
        other => other,
    }
}

/// GetModelTemplate: a mapping template that copies the model's shape from `$input`, as the AWS
/// console generates it.
pub fn model_template(api: &RestApi, m: &Model) -> String {
    let schema: Value = flattened_schema(api, m)
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    let mut out = String::from("#set($inputRoot = $input.path('$'))\n");
    template_value(&schema, "$inputRoot", 0, &mut out);
    out.push('\n');
    out
}

fn template_value(schema: &Value, expr: &str, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object");
    let props = schema.get("properties").and_then(Value::as_object);
    match (ty, props) {
        ("object", Some(props)) if depth < 8 => {
            out.push_str("{\n");
            let n = props.len();
            for (i, (name, sub)) in props.iter().enumerate() {
                out.push_str(&format!("{pad}  \"{name}\" : "));
                template_value(sub, &format!("{expr}.{name}"), depth + 1, out);
                out.push_str(if i + 1 < n { ",\n" } else { "\n" });
            }
            out.push_str(&format!("{pad}}}"));
        }
        ("array", _) if depth < 8 => {
            let var = format!("$elem{depth}");
            out.push_str(&format!("[\n{pad}#foreach({var} in {expr})\n{pad}  "));
            let items = schema.get("items").cloned().unwrap_or(Value::Null);
            template_value(&items, &var, depth + 1, out);
            out.push_str(&format!("#if($foreach.hasNext),#end\n{pad}#end\n{pad}]"));
        }
        ("string", _) => out.push_str(&format!("\"{expr}\"")),
        ("object", None) => out.push_str(&format!("$input.json('{}')", json_path(expr))),
        _ => out.push_str(expr),
    }
}

/// `$inputRoot.a.b` -> `$.a.b` for `$input.json`.
fn json_path(expr: &str) -> String {
    match expr.strip_prefix("$inputRoot") {
        Some(rest) => format!("${rest}"),
        None => "$".to_string(),
    }
}

/// The `Model` output shape (`schema` flattened when asked).
pub fn model_out(m: &Model, schema: Option<String>) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), m.id.clone().into());
    o.insert("name".into(), m.name.clone().into());
    if let Some(d) = &m.description {
        o.insert("description".into(), d.clone().into());
    }
    if let Some(s) = schema.or_else(|| m.schema.clone()) {
        o.insert("schema".into(), s.into());
    }
    if let Some(c) = &m.content_type {
        o.insert("contentType".into(), c.clone().into());
    }
    Value::Object(o)
}

#[cfg(test)]
#[path = "models_tests.rs"]
mod tests;
