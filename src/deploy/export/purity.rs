//! Keeps an export pure in its format: the keys only the other format has, which an import kept
//! in the `extra` maps, are left out, and every schema `$ref` is rewritten to the exported
//! format's own place for models.
//!
//! Invariant: an OpenAPI 3 export carries no Swagger 2.0-only key and no `#/definitions/` ref,
//! and a Swagger 2.0 export no OpenAPI 3-only key and no `#/components/schemas/` ref, whichever
//! format was imported, so Tollgate (and AWS) can import its own export again.

use super::Spec;
use serde_json::Value;

/// Where in the document a kept key sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Top,
    PathItem,
    Operation,
    Response,
}

/// Keys that exist only in the other format at `level`, to be left out of a `spec` export.
/// The root `security` is left out in both: every operation's own requirement is exported
/// explicitly, and a root requirement would name schemes this export may not carry.
pub fn is_foreign(spec: Spec, level: Level, key: &str) -> bool {
    let only_swagger: &[&str] = match level {
        Level::Top => &[
            "swagger",
            "host",
            "basePath",
            "schemes",
            "consumes",
            "produces",
            "definitions",
            "parameters",
            "responses",
            "securityDefinitions",
        ],
        Level::PathItem => &[],
        Level::Operation => &["consumes", "produces", "schemes"],
        Level::Response => &["examples", "schema"],
    };
    let only_openapi3: &[&str] = match level {
        Level::Top => &["openapi", "servers", "components"],
        Level::PathItem => &["summary", "description", "servers"],
        Level::Operation => &["requestBody", "callbacks", "servers"],
        Level::Response => &["content", "links"],
    };
    if level == Level::Top && key == "security" {
        return true;
    }
    match spec {
        Spec::OpenApi3 => only_swagger.contains(&key),
        Spec::Swagger2 => only_openapi3.contains(&key),
    }
}

/// Rewrites every schema `$ref` in `doc` — AWS's model URLs
/// (`https://apigateway.amazonaws.com/restapis/{id}/models/{name}`) and either format's local
/// form — into `#/components/schemas/{name}` or `#/definitions/{name}`.
pub fn rewrite_schema_refs(doc: &mut Value, api_id: &str, spec: Spec) {
    let aws = format!("https://apigateway.amazonaws.com/restapis/{api_id}/models/");
    let from = [aws.as_str(), "#/components/schemas/", "#/definitions/"];
    let to = match spec {
        Spec::OpenApi3 => "#/components/schemas/",
        Spec::Swagger2 => "#/definitions/",
    };
    walk(doc, &from, to);
}

fn walk(v: &mut Value, from: &[&str], to: &str) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                match x {
                    Value::String(r) if k == "$ref" => {
                        if let Some(name) = from.iter().find_map(|p| r.strip_prefix(p)) {
                            *r = format!("{to}{name}");
                        }
                    }
                    _ => walk(x, from, to),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| walk(x, from, to)),
        _ => {}
    }
}
