//! What only Swagger 2.0 documents have: `basePath`, `in: body` parameters and response
//! `schema`s, whose content types come from `consumes` / `produces`.

use super::doc::Ctx;
use crate::deploy::problem::join;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub fn base_path(top: &Map<String, Value>) -> Option<String> {
    top.get("basePath")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// `consumes` / `produces` of the operation, else of the document, else `application/json`.
pub fn media_types(cx: &Ctx<'_>, op: &Map<String, Value>, key: &str) -> Vec<String> {
    let list = op
        .get(key)
        .or_else(|| cx.root.get(key))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if list.is_empty() {
        vec!["application/json".to_string()]
    } else {
        list
    }
}

/// An `in: body` parameter -> content type -> model name.
pub fn body_models(
    cx: &mut Ctx<'_>,
    op: &Map<String, Value>,
    param: &Value,
    at: &str,
) -> BTreeMap<String, String> {
    schema_models(cx, op, param, at, "consumes")
}

/// A response's `schema` -> content type -> model name.
pub fn response_models(
    cx: &mut Ctx<'_>,
    op: &Map<String, Value>,
    response: &Value,
    at: &str,
) -> BTreeMap<String, String> {
    schema_models(cx, op, response, at, "produces")
}

fn schema_models(
    cx: &mut Ctx<'_>,
    op: &Map<String, Value>,
    holder: &Value,
    at: &str,
    key: &str,
) -> BTreeMap<String, String> {
    let Some(schema) = holder.get("schema") else {
        return BTreeMap::new();
    };
    match cx.schema_ref_name(schema) {
        Some(name) => media_types(cx, op, key)
            .into_iter()
            .map(|ct| (ct, name.clone()))
            .collect(),
        None => {
            cx.warn(
                join(at, "schema"),
                "Inline schemas are not imported as models; refer to a schema in definitions to attach a model",
            );
            BTreeMap::new()
        }
    }
}
