//! What only OpenAPI 3.0 documents have: `servers` (the base path), `requestBody` and response
//! `content` (request and response models).

use super::doc::Ctx;
use crate::deploy::problem::join;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The path of `servers[0].url`, with `{basePath}` (and any other variable) replaced by its
/// default, as AWS's exports write it (`https://{restApiId}.execute-api.../{basePath}`).
pub fn base_path(cx: &mut Ctx<'_>, top: &Map<String, Value>) -> Option<String> {
    let servers = top.get("servers")?.as_array()?;
    if servers.len() > 1 {
        cx.warn(
            "/servers",
            "Only the first server's base path is used; the other servers were ignored",
        );
    }
    let server = servers.first()?.as_object()?;
    let mut url = server.get("url")?.as_str()?.to_string();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars {
            let default = var
                .get("default")
                .and_then(Value::as_str)
                .unwrap_or_default();
            url = url.replace(&format!("{{{name}}}"), default);
        }
    }
    let path = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            rest.find('/').map_or("", |p| &rest[p..])
        }
        None => url.as_str(),
    };
    Some(path.replace("//", "/"))
}

/// `requestBody.content` -> content type -> model name, for schemas that are `$ref`s.
pub fn request_models(
    cx: &mut Ctx<'_>,
    op: &Map<String, Value>,
    at: &str,
) -> BTreeMap<String, String> {
    let Some(body) = op.get("requestBody") else {
        return BTreeMap::new();
    };
    let Some((body, b_at)) = cx.deref(body, &join(at, "requestBody")) else {
        return BTreeMap::new();
    };
    content_models(cx, body, &b_at)
}

/// A response's `content` -> content type -> model name.
pub fn response_models(cx: &mut Ctx<'_>, response: &Value, at: &str) -> BTreeMap<String, String> {
    content_models(cx, response, at)
}

fn content_models(cx: &mut Ctx<'_>, holder: &Value, at: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(content) = holder.get("content").and_then(Value::as_object) else {
        return out;
    };
    for (ct, media) in content {
        let Some(schema) = media.get("schema") else {
            continue;
        };
        match cx.schema_ref_name(schema) {
            Some(name) => {
                out.insert(ct.clone(), name);
            }
            None => cx.warn(
                join(&join(&join(at, "content"), ct), "schema"),
                "Inline schemas are not imported as models; refer to a schema in components/schemas to attach a model",
            ),
        }
    }
    out
}
