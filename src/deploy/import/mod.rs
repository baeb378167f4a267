//! ImportRestApi / PutRestApi: an OpenAPI 3.0 or Swagger 2.0 document with
//! `x-amazon-apigateway-*` extensions (JSON or YAML) -> `model::RestApi`.
//!
//! The walk never stops at the first problem: every problem is collected with a JSON pointer
//! into the document, and the finished model then goes through the same checks a deployment
//! makes (`compile::check_api_at`), pointed back into the document. Warnings (things AWS accepts
//! but ignores) land in `RestApi.warnings`, or fail the import under `fail_on_warnings`.
//!
//! `id` and `created_date` are left for the caller. Keys with no model field are kept in the
//! `extra` maps at every level (document, path item, operation, integration, integration
//! response) so an export can return them; the schemas and security schemes that became models
//! and authorizers are not duplicated into `extra`.

mod doc;
mod integration;
mod openapi3;
mod operation;
mod parse;
mod paths;
mod swagger2;
mod toplevel;

pub use parse::MAX_DOCUMENT_BYTES;

use crate::deploy::compile::check_api_at;
use crate::deploy::model::RestApi;
use crate::deploy::problem::Problems;
use doc::{Ctx, Dialect};
use serde_json::Value;

/// AWS's `basepath` import parameter: what to do with the document's base path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BasePathMode {
    /// Resources are created from `paths` alone.
    #[default]
    Ignore,
    /// The whole base path is prepended to every path.
    Prepend,
    /// The first part of the base path is taken as the stage and dropped; the rest is prepended.
    Split,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    pub basepath: BasePathMode,
    /// AWS's `failonwarnings`: refuse the import when there are warnings.
    pub fail_on_warnings: bool,
}

pub(crate) fn is_status_code(s: &str) -> bool {
    s.len() == 3 && s.parse::<u16>().is_ok_and(|c| (100..=599).contains(&c))
}

pub fn import_document(doc: &[u8], opts: &ImportOptions) -> Result<RestApi, Problems> {
    let root = parse::parse_document(doc).map_err(|p| Problems(vec![p]))?;
    let Some(top) = root.as_object() else {
        return Err(Problems(vec![crate::deploy::Problem::new(
            "",
            "Invalid OpenAPI input: the document must be an object",
        )]));
    };
    let dialect = detect(top)?;
    let mut cx = Ctx::new(&root, dialect);
    let mut api = RestApi::default();
    toplevel::import_api_fields(&mut cx, top, &mut api);
    toplevel::import_models(&mut cx, &mut api);
    let validators = toplevel::import_validators(&mut cx, top, &mut api);
    let schemes = toplevel::import_security_schemes(&mut cx, &mut api);
    let default_validator = cx.field_str(top, "x-amazon-apigateway-request-validator", "");
    let env = operation::OpEnv {
        schemes: &schemes,
        validators: &validators,
        default_validator,
    };
    let declared_base = match dialect {
        Dialect::OpenApi3 => openapi3::base_path(&mut cx, top),
        Dialect::Swagger2 => swagger2::base_path(top),
    };
    let base = apply_base_path(declared_base.as_deref().unwrap_or(""), opts.basepath);
    let loc = paths::import_paths(&mut cx, &env, top, &base, &mut api);
    keep_extras(top, dialect, &mut api);

    let Ctx {
        mut problems,
        warnings,
        ..
    } = cx;
    if let Err(more) = check_api_at(&api, &loc) {
        problems.0.extend(more.0);
    }
    if opts.fail_on_warnings {
        problems.0.extend(warnings.0.iter().cloned());
    }
    problems.into_result()?;
    api.warnings = warnings
        .0
        .into_iter()
        .map(|w| format!("{} ({})", w.message, w.pointer))
        .collect();
    Ok(api)
}

fn detect(top: &serde_json::Map<String, Value>) -> Result<Dialect, Problems> {
    // `swagger: 2.0` unquoted in YAML is a number; AWS's parser reads the field as text and
    // accepts it, so a number is taken as written (`2.0`, `3.0`).
    let texts: Vec<(&str, String)> = ["openapi", "swagger"]
        .into_iter()
        .filter_map(|k| {
            let text = match top.get(k)? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            Some((k, text))
        })
        .collect();
    let version = |k: &str| {
        texts
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, t)| t.as_str())
    };
    let fail =
        |pointer: &str, msg: String| Err(Problems(vec![crate::deploy::Problem::new(pointer, msg)]));
    match (version("openapi"), version("swagger")) {
        (Some(v), _) if v.starts_with("3.0.") || v == "3.0" => Ok(Dialect::OpenApi3),
        (Some(v), _) => fail(
            "/openapi",
            format!("Invalid OpenAPI input: OpenAPI version '{v}' is not supported. Supported versions are OpenAPI 3.0.x and Swagger 2.0"),
        ),
        (None, Some("2.0")) => Ok(Dialect::Swagger2),
        (None, Some(v)) => fail(
            "/swagger",
            format!("Invalid OpenAPI input: Swagger version '{v}' is not supported. Supported versions are OpenAPI 3.0.x and Swagger 2.0"),
        ),
        (None, None) => fail(
            "",
            "Invalid OpenAPI input: the document has neither an 'openapi' nor a 'swagger' version field".to_string(),
        ),
    }
}

/// The prefix the `basepath` mode puts before every path: `""` or `/a/b` (no trailing slash).
fn apply_base_path(declared: &str, mode: BasePathMode) -> String {
    let parts: Vec<&str> = declared.split('/').filter(|p| !p.is_empty()).collect();
    let kept = match mode {
        BasePathMode::Ignore => &[][..],
        BasePathMode::Prepend => &parts[..],
        BasePathMode::Split => parts.get(1..).unwrap_or(&[]),
    };
    kept.iter().map(|p| format!("/{p}")).collect()
}

/// Top-level keys with no model field, minus the parts turned into models and authorizers.
fn keep_extras(top: &serde_json::Map<String, Value>, dialect: Dialect, api: &mut RestApi) {
    for (k, v) in top {
        if toplevel::CONSUMED_TOP_LEVEL.contains(&k.as_str()) {
            continue;
        }
        let v = match (dialect, k.as_str()) {
            (_, "securityDefinitions") => continue,
            (Dialect::Swagger2, "definitions") => continue,
            (Dialect::OpenApi3, "components") => {
                let mut c = v.as_object().cloned().unwrap_or_default();
                c.remove("schemas");
                c.remove("securitySchemes");
                if c.is_empty() {
                    continue;
                }
                Value::Object(c)
            }
            _ => v.clone(),
        };
        api.extra.insert(k.clone(), v);
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_real;
