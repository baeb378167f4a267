//! GetExport: a deployed `RestApi` -> an OpenAPI 3.0.1 or Swagger 2.0 document with the
//! `x-amazon-apigateway-*` extensions the `extensions` parameter asks for.
//!
//! Invariants: the output is byte-stable for an unchanged input (maps come out of `BTreeMap`s
//! or the stored, ordered `extra` maps; nothing depends on time or ids the importer regenerates),
//! and `import(export(api))` with `extensions=apigateway` gives back the same API up to the ids
//! the importer mints. Fields the importer kept in `extra` are written back where they came from.

mod operation;
mod purity;
#[cfg(test)]
mod roundtrip_tests;
#[cfg(test)]
mod tests;

use crate::deploy::model::{RestApi, Stage};
use purity::Level;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    OpenApi3,
    Swagger2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

/// Which API Gateway extensions go into the document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    pub integrations: bool,
    pub authorizers: bool,
    pub validators: bool,
    /// Every `x-amazon-apigateway-*` extension.
    pub apigateway: bool,
}

impl ExportOptions {
    /// The `extensions` parameter: a comma list of `integrations`, `apigateway`, `authorizers`,
    /// `validators` (`postman` is accepted and changes nothing).
    pub fn from_extensions(list: &str) -> Result<ExportOptions, String> {
        let mut o = ExportOptions::default();
        for e in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match e {
                "integrations" => o.integrations = true,
                "authorizers" => o.authorizers = true,
                "validators" => o.validators = true,
                "apigateway" => o.apigateway = true,
                "postman" => {}
                other => {
                    return Err(format!(
                        "Invalid extensions specified: {other}. Valid options are integrations, apigateway, authorizers, validators, postman"
                    ))
                }
            }
        }
        Ok(o)
    }

    pub fn all() -> ExportOptions {
        ExportOptions {
            apigateway: true,
            ..ExportOptions::default()
        }
    }

    fn integrations(&self) -> bool {
        self.integrations || self.apigateway
    }
    fn authorizers(&self) -> bool {
        self.authorizers || self.apigateway
    }
    fn validators(&self) -> bool {
        self.validators || self.apigateway
    }
}

/// The serialized document.
pub fn render(
    api: &RestApi,
    stage: &Stage,
    spec: Spec,
    format: Format,
    opts: &ExportOptions,
) -> Vec<u8> {
    let doc = export(api, stage, spec, opts);
    match format {
        Format::Json => serde_json::to_vec_pretty(&doc).unwrap_or_default(),
        Format::Yaml => serde_saphyr::to_string(&doc)
            .unwrap_or_default()
            .into_bytes(),
    }
}

/// The document as JSON.
pub fn export(api: &RestApi, _stage: &Stage, spec: Spec, opts: &ExportOptions) -> Value {
    let mut top = Map::new();
    match spec {
        Spec::OpenApi3 => top.insert("openapi".into(), json!("3.0.1")),
        Spec::Swagger2 => top.insert("swagger".into(), json!("2.0")),
    };
    top.insert("info".into(), info(api));
    let paths = operation::paths(api, spec, opts);
    top.insert("paths".into(), Value::Object(paths));
    let models: Map<String, Value> = api
        .models
        .iter()
        .map(|m| {
            let schema = m
                .schema
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_else(|| json!({}));
            (m.name.clone(), schema)
        })
        .collect();
    let schemes = operation::security_schemes(api, opts);
    match spec {
        Spec::OpenApi3 => {
            let mut components = api
                .extra
                .get("components")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if !models.is_empty() {
                components.insert("schemas".into(), Value::Object(models));
            }
            if !schemes.is_empty() {
                components.insert("securitySchemes".into(), Value::Object(schemes));
            }
            if !components.is_empty() {
                top.insert("components".into(), Value::Object(components));
            }
        }
        Spec::Swagger2 => {
            if !models.is_empty() {
                top.insert("definitions".into(), Value::Object(models));
            }
            if !schemes.is_empty() {
                top.insert("securityDefinitions".into(), Value::Object(schemes));
            }
        }
    }
    if opts.apigateway {
        api_extensions(api, &mut top);
    }
    if opts.validators() && !api.request_validators.is_empty() {
        let v: Map<String, Value> = api
            .request_validators
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    json!({"validateRequestBody": v.validate_request_body,
                           "validateRequestParameters": v.validate_request_parameters}),
                )
            })
            .collect();
        top.insert(
            "x-amazon-apigateway-request-validators".into(),
            Value::Object(v),
        );
    }
    for (k, v) in &api.extra {
        if k != "info"
            && k != "components"
            && !top.contains_key(k)
            && !purity::is_foreign(spec, Level::Top, k)
        {
            top.insert(k.clone(), v.clone());
        }
    }
    let mut doc = Value::Object(top);
    purity::rewrite_schema_refs(&mut doc, &api.id, spec);
    doc
}

fn info(api: &RestApi) -> Value {
    let mut info = Map::new();
    info.insert("title".into(), json!(api.name));
    if let Some(d) = &api.description {
        info.insert("description".into(), json!(d));
    }
    if let Some(v) = &api.version {
        info.insert("version".into(), json!(v));
    }
    if let Some(extra) = api.extra.get("info").and_then(Value::as_object) {
        for (k, v) in extra {
            info.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Value::Object(info)
}

/// The API-wide `x-amazon-apigateway-*` extensions (the `apigateway` extension set).
fn api_extensions(api: &RestApi, top: &mut Map<String, Value>) {
    if !api.binary_media_types.is_empty() {
        top.insert(
            "x-amazon-apigateway-binary-media-types".into(),
            json!(api.binary_media_types),
        );
    }
    if let Some(s) = &api.api_key_source {
        top.insert("x-amazon-apigateway-api-key-source".into(), json!(s));
    }
    if let Some(n) = api.minimum_compression_size {
        top.insert(
            "x-amazon-apigateway-minimum-compression-size".into(),
            json!(n),
        );
    }
    if let Some(ep) = &api.endpoint_configuration {
        let mut o = Map::new();
        o.insert("types".into(), json!(ep.types));
        if !ep.vpc_endpoint_ids.is_empty() {
            o.insert("vpcEndpointIds".into(), json!(ep.vpc_endpoint_ids));
        }
        if api.disable_execute_api_endpoint {
            o.insert("disableExecuteApiEndpoint".into(), json!(true));
        }
        top.insert(
            "x-amazon-apigateway-endpoint-configuration".into(),
            Value::Object(o),
        );
    }
    if let Some(p) = &api.policy {
        top.insert("x-amazon-apigateway-policy".into(), json!(p));
    }
    if !api.gateway_responses.is_empty() {
        let mut o = Map::new();
        for g in &api.gateway_responses {
            let mut r = Map::new();
            if let Some(s) = &g.status_code {
                r.insert("statusCode".into(), json!(s));
            }
            if !g.response_parameters.is_empty() {
                r.insert("responseParameters".into(), json!(g.response_parameters));
            }
            if !g.response_templates.is_empty() {
                r.insert("responseTemplates".into(), json!(g.response_templates));
            }
            o.insert(g.response_type.clone(), Value::Object(r));
        }
        top.insert(
            "x-amazon-apigateway-gateway-responses".into(),
            Value::Object(o),
        );
    }
}
