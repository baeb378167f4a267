//! `paths` -> the flattened resource tree. AWS creates one resource per path prefix, so
//! `/pets/{petId}` also creates `/pets` (without methods unless the document has them); the
//! root `/` always exists.
//!
//! Also builds the `DocLocator`, which lets the compile checks point into the document.

use super::doc::Ctx;
use super::operation::{import_operation, OpEnv};
use crate::deploy::compile::Locate;
use crate::deploy::ids::new_id;
use crate::deploy::model::{Resource, RestApi};
use crate::deploy::path::parse_path;
use crate::deploy::problem::join;
use serde_json::{Map, Value};
use std::collections::HashMap;

const METHOD_KEYS: [(&str, &str); 8] = [
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

/// Pointers into the imported document for each resource, method and integration response.
#[derive(Debug, Default)]
pub struct DocLocator {
    /// Per resource index: the path item that created it.
    resources: Vec<String>,
    /// (resource, method) -> operation pointer.
    methods: HashMap<(usize, String), String>,
    /// (resource, method, status code) -> the `responses` key (selection pattern) it came from.
    responses: HashMap<(usize, String, String), String>,
}

impl Locate for DocLocator {
    fn gateway_response(&self, _i: usize, response_type: &str) -> String {
        join("/x-amazon-apigateway-gateway-responses", response_type)
    }
    fn resource(&self, res: usize) -> String {
        self.resources
            .get(res)
            .cloned()
            .unwrap_or_else(|| "/paths".to_string())
    }
    fn method(&self, res: usize, method: &str) -> String {
        self.methods
            .get(&(res, method.to_string()))
            .cloned()
            .unwrap_or_else(|| self.resource(res))
    }
    fn integration(&self, res: usize, method: &str) -> String {
        self.method(res, method) + "/x-amazon-apigateway-integration"
    }
    fn integration_response(&self, res: usize, method: &str, status: &str) -> String {
        let key = (res, method.to_string(), status.to_string());
        let token = self.responses.get(&key).map_or(status, String::as_str);
        join(&(self.integration(res, method) + "/responses"), token)
    }
    fn selection_pattern(&self, res: usize, method: &str, status: &str) -> String {
        // In the document the selection pattern is the response's key.
        self.integration_response(res, method, status)
    }
}

/// Builds `api.resources` (root first) from `paths`, each path prefixed with `base`.
pub fn import_paths<'a>(
    cx: &mut Ctx<'a>,
    env: &OpEnv<'_>,
    top: &'a Map<String, Value>,
    base: &str,
    api: &mut RestApi,
) -> DocLocator {
    let mut loc = DocLocator::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    api.root_resource_id = new_id(10);
    api.resources.push(Resource {
        id: api.root_resource_id.clone(),
        path: "/".to_string(),
        ..Resource::default()
    });
    loc.resources.push("/paths".to_string());
    index.insert("/".to_string(), 0);

    let paths = match top.get("paths") {
        Some(p) => cx.object(p, "/paths"),
        None => {
            cx.error(
                "/paths",
                "Invalid OpenAPI input: the paths object is required",
            );
            None
        }
    };
    let Some(paths) = paths else { return loc };
    for (key, item) in paths {
        let at = join("/paths", key);
        let full = if key == "/" && !base.is_empty() {
            base.to_string()
        } else {
            format!("{base}{key}")
        };
        let segments = match parse_path(&full) {
            Ok(s) => s,
            Err(e) => {
                cx.error(
                    &at,
                    format!("Unable to create resource at path '{full}': {e}"),
                );
                continue;
            }
        };
        let mut res = 0;
        let mut path = String::new();
        for seg in full.split('/').skip(1).take(segments.len()) {
            path.push('/');
            path.push_str(seg);
            res = match index.get(&path) {
                Some(&i) => i,
                None => {
                    let parent = &api.resources[res];
                    let r = Resource {
                        id: new_id(6),
                        parent_id: Some(parent.id.clone()),
                        path_part: Some(seg.to_string()),
                        path: path.clone(),
                        ..Resource::default()
                    };
                    api.resources.push(r);
                    loc.resources.push(at.clone());
                    index.insert(path.clone(), api.resources.len() - 1);
                    api.resources.len() - 1
                }
            };
        }
        import_path_item(cx, env, item, &at, res, api, &mut loc);
    }
    loc
}

fn import_path_item<'a>(
    cx: &mut Ctx<'a>,
    env: &OpEnv<'_>,
    item: &'a Value,
    at: &str,
    res: usize,
    api: &mut RestApi,
    loc: &mut DocLocator,
) {
    let Some(item) = cx.object(item, at) else {
        return;
    };
    let mut shared = Vec::new();
    if let Some(list) = item.get("parameters") {
        match list.as_array() {
            Some(items) => {
                let p_at = join(at, "parameters");
                shared.extend(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (v, format!("{p_at}/{i}"))),
                );
            }
            None => cx.error(join(at, "parameters"), "Invalid value: expected an array"),
        }
    }
    for (key, value) in item {
        let Some(&(_, method)) = METHOD_KEYS.iter().find(|(k, _)| k == key) else {
            match key.as_str() {
                "parameters" => {}
                "trace" => cx.warn(
                    join(at, key),
                    "The TRACE method is not supported by API Gateway and was ignored",
                ),
                "$ref" => cx.error(
                    join(at, key),
                    "Path item references ($ref) are not supported",
                ),
                _ => {
                    api.resources[res].extra.insert(key.clone(), value.clone());
                }
            }
            continue;
        };
        let op_at = join(at, key);
        let Some(op) = cx.object(value, &op_at) else {
            continue;
        };
        let (m, origin) = import_operation(cx, env, op, &op_at, method, &shared);
        let methods = &mut api.resources[res].resource_methods;
        if methods.contains_key(method) {
            cx.error(&op_at, format!("Unable to put method '{method}' on resource at path '{}': Method already exists for this resource", api.resources[res].path));
            continue;
        }
        methods.insert(method.to_string(), m);
        loc.methods.insert((res, method.to_string()), op_at);
        for (status, pattern) in origin {
            loc.responses
                .insert((res, method.to_string(), status), pattern);
        }
    }
}
