//! Compiles the models that request validators check bodies against into JSON Schema
//! (draft-04) validators, once per deployment: `validateRequestBody`'s half of the compiler.
//!
//! Only models some body-validating method names in `requestModels`, and the models they reach
//! through `$ref`, are compiled; a model used by several methods is compiled once and
//! shared by index (`ModelIdx` = the model's position in `RestApi::models`). A model that is
//! documentation only is never judged here, as AWS does not judge it at deployment either.
//!
//! References: every model is registered at AWS's own URL for it,
//! `https://apigateway.amazonaws.com/restapis/{api}/models/{name}`, which is how the management
//! API stores cross-model `$ref`s. Imported documents keep the spelling of their source format
//! (`#/definitions/Pet`, `#/components/schemas/Pet`); such a reference that does not resolve in
//! the model's own document is rewritten to the named model's URL. Compilation is offline (no
//! reference is ever fetched) and patterns use the `regex` engine, so a user pattern cannot
//! backtrack for ever on a request.
//!
//! Invariant: a model that cannot be compiled (not JSON, not a valid draft-04 schema, a
//! `$ref` to nothing, a pattern the engine refuses) fails the deployment with a pointer to the
//! model and nothing is published.

use crate::deploy::model::RestApi;
use crate::deploy::policy::ModelIdx;
use crate::deploy::problem::Problems;
use jsonschema::{Draft, PatternOptions, Registry, Validator};
use serde_json::Value;
use std::collections::BTreeSet;

const AWS_MODEL_URL: &str = "https://apigateway.amazonaws.com/restapis/";

/// One compiled model; `StageRuntime::models[i]` is `RestApi::models[i]`, `None` when no
/// body-validating method needs it.
pub struct CompiledModel {
    pub name: Box<str>,
    pub validator: Validator<crate::json::schema::Tape>,
}

impl std::fmt::Debug for CompiledModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModel")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// AWS's URL for model `name` of API `api_id`.
pub fn model_url(api_id: &str, name: &str) -> String {
    format!("{AWS_MODEL_URL}{api_id}/models/{name}")
}

fn model_pointer(i: usize) -> String {
    format!("/models/{i}/schema")
}

fn invalid(name: &str, detail: impl std::fmt::Display) -> String {
    format!("Invalid model schema specified for model '{name}': {detail}")
}

/// Compiles every model in `used` and those they reference; `None` entries elsewhere.
pub fn compile_models(
    api: &RestApi,
    used: &BTreeSet<ModelIdx>,
    problems: &mut Problems,
) -> Box<[Option<CompiledModel>]> {
    let mut out: Vec<Option<CompiledModel>> = api.models.iter().map(|_| None).collect();
    if used.is_empty() {
        return out.into();
    }
    // Parse and rewrite every model once; reach the referenced ones from the used ones.
    let mut docs: Vec<Option<Value>> = api.models.iter().map(|_| None).collect();
    let mut pending: Vec<usize> = used.iter().map(|m| m.0 as usize).collect();
    let mut seen: BTreeSet<usize> = pending.iter().copied().collect();
    let before = problems.0.len();
    while let Some(i) = pending.pop() {
        let model = &api.models[i];
        let text = model.schema.as_deref().unwrap_or("{}");
        let mut doc = match serde_json::from_str::<Value>(text) {
            Ok(v) => v,
            Err(e) => {
                problems.push(model_pointer(i), invalid(&model.name, e));
                continue;
            }
        };
        let mut refs = Vec::new();
        let whole = doc.clone();
        rewrite_refs(&mut doc, &whole, api, &mut refs);
        literal_class_dashes(&mut doc);
        for r in refs {
            match referenced_model(api, &r) {
                Some(j) => {
                    if seen.insert(j) {
                        pending.push(j);
                    }
                }
                None => problems.push(
                    model_pointer(i),
                    invalid(&model.name, format_args!("unresolvable $ref '{r}'")),
                ),
            }
        }
        docs[i] = Some(doc);
    }
    if problems.0.len() != before {
        return out.into();
    }
    let resources = docs.iter().enumerate().filter_map(|(i, d)| {
        let d = d.as_ref()?;
        Some((
            model_url(&api.id, &api.models[i].name),
            Draft::Draft4.create_resource(d.clone()),
        ))
    });
    let registry = match Registry::new()
        .draft(Draft::Draft4)
        .extend(resources)
        .and_then(|b| b.prepare())
    {
        Ok(r) => r,
        Err(e) => {
            problems.push("/models", format!("Invalid model schema specified: {e}"));
            return out.into();
        }
    };
    // Every reachable model is compiled, so a broken one is named itself (besides the used
    // models that refer to it).
    for (i, doc) in docs.iter().enumerate() {
        let Some(doc) = doc else { continue };
        let name = &api.models[i].name;
        let built = jsonschema::options_for::<crate::json::schema::Tape>()
            .with_draft(Draft::Draft4)
            .with_base_uri(model_url(&api.id, name))
            .with_registry(&registry)
            .with_pattern_options(PatternOptions::regex())
            .offline()
            .build(doc);
        match built {
            Ok(validator) => {
                out[i] = Some(CompiledModel {
                    name: name.as_str().into(),
                    validator,
                })
            }
            Err(e) => problems.push(model_pointer(i), invalid(name, e)),
        }
    }
    out.into()
}

/// ECMA-262 (Annex B) reads a `-` beside a class escape inside a character class (`[\w-_]`,
/// `[a-\d]`) as a literal dash, and API Gateway's validator accepts such patterns (aws-samples'
/// URL shortener has one); Rust's regex refuses them as a bad range. Every `pattern` is given
/// those dashes escaped, which matches exactly what the ECMA reading matches.
fn literal_class_dashes(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                match child {
                    Value::String(p) if k == "pattern" => {
                        if let Some(fixed) = escape_class_dashes(p) {
                            *p = fixed;
                        }
                    }
                    _ => literal_class_dashes(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(literal_class_dashes),
        _ => {}
    }
}

/// `pattern` with each dash beside a class escape in a character class escaped; `None` when there
/// is none.
fn escape_class_dashes(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let is_class_escape = |i: usize| {
        chars.get(i) == Some(&'\\')
            && matches!(chars.get(i + 1), Some('w' | 'W' | 'd' | 'D' | 's' | 'S'))
    };
    let mut out = String::with_capacity(pattern.len() + 4);
    let (mut in_class, mut changed, mut prev_class_escape) = (false, false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            out.push(c);
            if let Some(&n) = chars.get(i + 1) {
                out.push(n);
            }
            prev_class_escape = in_class && is_class_escape(i);
            i += 2;
            continue;
        }
        if in_class && c == '-' {
            let next_is_end = chars.get(i + 1) == Some(&']');
            if !next_is_end && (prev_class_escape || is_class_escape(i + 1)) {
                out.push_str("\\-");
                changed = true;
                prev_class_escape = false;
                i += 1;
                continue;
            }
        }
        match c {
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` or `^]` right after the opening bracket is part of the class.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
        prev_class_escape = false;
        i += 1;
    }
    changed.then_some(out)
}

/// Rewrites `$ref`s to other models (in either import spelling) to their AWS URLs, and collects
/// every model URL the document refers to. A local pointer that resolves in `whole` stays.
fn rewrite_refs(v: &mut Value, whole: &Value, api: &RestApi, refs: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == "$ref" {
                    if let Value::String(r) = child {
                        if let Some(url) = model_ref(r, whole, api) {
                            *r = url;
                        }
                        if !r.starts_with('#') {
                            refs.push(r.clone());
                        }
                    }
                } else {
                    rewrite_refs(child, whole, api, refs);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rewrite_refs(c, whole, api, refs)),
        _ => {}
    }
}

/// `#/definitions/Pet[/rest]` or `#/components/schemas/Pet[/rest]` naming a model, when the
/// document itself has no such pointer: the model's URL (with `#/rest`).
fn model_ref(r: &str, whole: &Value, api: &RestApi) -> Option<String> {
    let local = r.strip_prefix('#')?;
    if whole.pointer(local).is_some() {
        return None;
    }
    let rest = local
        .strip_prefix("/definitions/")
        .or_else(|| local.strip_prefix("/components/schemas/"))?;
    let (name, tail) = rest.split_once('/').map_or((rest, ""), |(n, t)| (n, t));
    let name = name.replace("~1", "/").replace("~0", "~");
    api.models.iter().find(|m| m.name == name)?;
    let url = model_url(&api.id, &name);
    Some(if tail.is_empty() {
        url
    } else {
        format!("{url}#/{tail}")
    })
}

/// The model a non-local `$ref` names, by AWS's URL for this API.
fn referenced_model(api: &RestApi, r: &str) -> Option<usize> {
    let doc = r.split('#').next().unwrap_or(r);
    let name = doc
        .strip_prefix(AWS_MODEL_URL)?
        .strip_prefix(api.id.as_str())?
        .strip_prefix("/models/")?;
    api.models.iter().position(|m| m.name == name)
}

#[cfg(test)]
mod tests;
