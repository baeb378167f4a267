//! Document-level parts of an import: `info`, the API-wide `x-amazon-apigateway-*` extensions,
//! models (schemas), request validators, gateway responses and security schemes (authorizers).

use super::doc::{Ctx, Dialect};
use crate::deploy::gateway_responses::ResponseType;
use crate::deploy::ids::new_id;
use crate::deploy::model::{
    Authorizer, EndpointConfiguration, GatewayResponse, Model, RequestValidator, RestApi,
};
use crate::deploy::problem::join;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Top-level keys the importer turns into model fields (everything else goes to `extra`).
pub const CONSUMED_TOP_LEVEL: [&str; 10] = [
    "paths",
    "info",
    "x-amazon-apigateway-binary-media-types",
    "x-amazon-apigateway-api-key-source",
    "x-amazon-apigateway-endpoint-configuration",
    "x-amazon-apigateway-policy",
    "x-amazon-apigateway-gateway-responses",
    "x-amazon-apigateway-request-validators",
    "x-amazon-apigateway-request-validator",
    "x-amazon-apigateway-minimum-compression-size",
];

/// `info` and the API-wide extensions into `api`.
pub fn import_api_fields(cx: &mut Ctx<'_>, top: &Map<String, Value>, api: &mut RestApi) {
    match cx.field_object(top, "info", "") {
        Some(info) => {
            match cx.field_str(info, "title", "/info") {
                Some(t) if !t.trim().is_empty() => api.name = t.to_string(),
                _ => cx.error(
                    "/info/title",
                    "Invalid OpenAPI input: the API name (info.title) is required",
                ),
            }
            api.description = cx
                .field_str(info, "description", "/info")
                .map(str::to_string);
            // AWS accepts a number here (`version: 1.0` in YAML, `"version": 1` in JSON) and
            // keeps it as the API's version string, written back as a string by GetExport.
            api.version = cx.field_str_or_number(info, "version", "/info");
            let rest = super::doc::extras(info, &["title", "description", "version"]);
            if !rest.is_empty() {
                api.extra.insert("info".to_string(), Value::Object(rest));
            }
        }
        None => cx.error(
            "/info",
            "Invalid OpenAPI input: the info object with the API name (info.title) is required",
        ),
    }
    api.binary_media_types = cx.field_strings(top, "x-amazon-apigateway-binary-media-types", "");
    if let Some(src) = cx.field_str(top, "x-amazon-apigateway-api-key-source", "") {
        if matches!(src, "HEADER" | "AUTHORIZER") {
            api.api_key_source = Some(src.to_string());
        } else {
            cx.error(
                "/x-amazon-apigateway-api-key-source",
                format!(
                    "Invalid API key source specified: {src}. Valid options are HEADER, AUTHORIZER"
                ),
            );
        }
    }
    api.minimum_compression_size =
        cx.field_i64(top, "x-amazon-apigateway-minimum-compression-size", "");
    if let Some(ep) = cx.field_object(top, "x-amazon-apigateway-endpoint-configuration", "") {
        let at = "/x-amazon-apigateway-endpoint-configuration";
        let types = cx.field_strings(ep, "types", at);
        for (i, t) in types.iter().enumerate() {
            if !matches!(t.as_str(), "EDGE" | "REGIONAL" | "PRIVATE") {
                cx.error(format!("{at}/types/{i}"), format!("Invalid endpoint type specified: {t}. Valid options are EDGE, REGIONAL, PRIVATE"));
            }
        }
        api.endpoint_configuration = Some(EndpointConfiguration {
            types,
            vpc_endpoint_ids: cx.field_strings(ep, "vpcEndpointIds", at),
        });
        if let Some(d) = cx.field_bool(ep, "disableExecuteApiEndpoint", at) {
            api.disable_execute_api_endpoint = d;
        }
    }
    if let Some(policy) = top.get("x-amazon-apigateway-policy") {
        api.policy = Some(match policy {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    }
    import_gateway_responses(cx, top, api);
}

fn import_gateway_responses(cx: &mut Ctx<'_>, top: &Map<String, Value>, api: &mut RestApi) {
    let key = "x-amazon-apigateway-gateway-responses";
    let Some(map) = cx.field_object(top, key, "") else {
        return;
    };
    let base = join("", key);
    for (kind, v) in map {
        let at = join(&base, kind);
        let Some(obj) = cx.object(v, &at) else {
            continue;
        };
        if ResponseType::from_name(kind).is_none() {
            cx.error(
                &at,
                format!("Invalid gateway response type specified: {kind}"),
            );
            continue;
        }
        let status_code = cx.field_str_or_number(obj, "statusCode", &at);
        if let Some(s) = &status_code {
            if !super::is_status_code(s) {
                cx.error(
                    join(&at, "statusCode"),
                    format!("Invalid status code specified: {s}"),
                );
            }
        }
        api.gateway_responses.push(GatewayResponse {
            response_type: kind.clone(),
            status_code,
            response_parameters: cx.field_string_map(obj, "responseParameters", &at),
            response_templates: cx.field_string_map(obj, "responseTemplates", &at),
            default_response: false,
        });
    }
}

/// `x-amazon-apigateway-request-validators` -> validators, keyed by name to their new ids.
pub fn import_validators(
    cx: &mut Ctx<'_>,
    top: &Map<String, Value>,
    api: &mut RestApi,
) -> HashMap<String, String> {
    let key = "x-amazon-apigateway-request-validators";
    let mut ids = HashMap::new();
    let Some(map) = cx.field_object(top, key, "") else {
        return ids;
    };
    for (name, v) in map {
        let at = join(&join("", key), name);
        let Some(obj) = cx.object(v, &at) else {
            continue;
        };
        let id = new_id(6);
        api.request_validators.push(RequestValidator {
            id: id.clone(),
            name: name.clone(),
            validate_request_body: cx
                .field_bool(obj, "validateRequestBody", &at)
                .unwrap_or(false),
            validate_request_parameters: cx
                .field_bool(obj, "validateRequestParameters", &at)
                .unwrap_or(false),
        });
        ids.insert(name.clone(), id);
    }
    ids
}

/// `components.schemas` / `definitions` -> models (schema kept as JSON text).
pub fn import_models(cx: &mut Ctx<'_>, api: &mut RestApi) {
    let at = match cx.dialect {
        Dialect::OpenApi3 => "/components/schemas",
        Dialect::Swagger2 => "/definitions",
    };
    let Some(schemas) = cx.root.pointer(at) else {
        return;
    };
    let Some(map) = cx.object(schemas, at) else {
        return;
    };
    for (name, schema) in map {
        api.models.push(Model {
            id: new_id(6),
            name: name.clone(),
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            schema: Some(schema.to_string()),
            content_type: Some("application/json".to_string()),
        });
    }
}

/// How a security scheme applies to a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeKind {
    ApiKey,
    Iam,
    /// A Lambda (`CUSTOM`) or Cognito (`COGNITO_USER_POOLS`) authorizer.
    Authorizer {
        id: String,
        authorization_type: &'static str,
    },
    /// No `x-amazon-apigateway-*` marker: API Gateway does not enforce it.
    Unenforced,
}

/// Security schemes -> authorizers, and what each scheme name means for a method.
///
/// An OpenAPI 3 document may still carry a Swagger 2.0 `securityDefinitions` block (documents
/// converted by hand, Terraform `body`s built from old samples). AWS imports those; we read its
/// schemes as if they were under `components/securitySchemes` (that block wins on a name in
/// both) rather than ignoring them: a method naming such a scheme then gets the authorizer its
/// author wrote instead of being refused or, worse, served open. A warning says so.
pub fn import_security_schemes(cx: &mut Ctx<'_>, api: &mut RestApi) -> HashMap<String, SchemeKind> {
    let mut kinds = HashMap::new();
    match cx.dialect {
        Dialect::OpenApi3 => {
            scheme_block(cx, "/components/securitySchemes", api, &mut kinds);
            if cx.root.get("securityDefinitions").is_some() {
                cx.warn(
                    "/securityDefinitions",
                    "securityDefinitions is Swagger 2.0 syntax; its schemes were read as components/securitySchemes",
                );
                scheme_block(cx, "/securityDefinitions", api, &mut kinds);
            }
        }
        Dialect::Swagger2 => scheme_block(cx, "/securityDefinitions", api, &mut kinds),
    }
    kinds
}

/// One block of schemes at `at`; a name already in `kinds` is skipped.
fn scheme_block(
    cx: &mut Ctx<'_>,
    at: &str,
    api: &mut RestApi,
    kinds: &mut HashMap<String, SchemeKind>,
) {
    let Some(schemes) = cx.root.pointer(at) else {
        return;
    };
    let Some(map) = cx.object(schemes, at) else {
        return;
    };
    for (name, v) in map {
        if kinds.contains_key(name) {
            continue;
        }
        let s_at = join(at, name);
        let Some(scheme) = cx.object(v, &s_at) else {
            continue;
        };
        let auth_type = cx.field_str(scheme, "x-amazon-apigateway-authtype", &s_at);
        let kind = if let Some(authorizer) =
            cx.field_object(scheme, "x-amazon-apigateway-authorizer", &s_at)
        {
            let a_at = join(&s_at, "x-amazon-apigateway-authorizer");
            match authorizer_from(cx, name, scheme, authorizer, auth_type, &a_at) {
                Some((a, authorization_type)) => {
                    let id = a.id.clone();
                    api.authorizers.push(a);
                    SchemeKind::Authorizer {
                        id,
                        authorization_type,
                    }
                }
                None => continue,
            }
        } else if auth_type.is_some_and(|t| t.eq_ignore_ascii_case("awsSigv4")) {
            SchemeKind::Iam
        } else if scheme.get("type").and_then(Value::as_str) == Some("apiKey")
            && scheme.get("in").and_then(Value::as_str) == Some("header")
            && scheme
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case("x-api-key"))
        {
            SchemeKind::ApiKey
        } else {
            SchemeKind::Unenforced
        };
        kinds.insert(name.clone(), kind);
    }
}

fn authorizer_from(
    cx: &mut Ctx<'_>,
    name: &str,
    scheme: &Map<String, Value>,
    ext: &Map<String, Value>,
    auth_type: Option<&str>,
    at: &str,
) -> Option<(Authorizer, &'static str)> {
    let kind = cx.field_str(ext, "type", at).map(str::to_ascii_uppercase);
    let authorization_type = match kind.as_deref() {
        Some("TOKEN" | "REQUEST") => "CUSTOM",
        Some("COGNITO_USER_POOLS") => "COGNITO_USER_POOLS",
        other => {
            cx.error(
                join(at, "type"),
                format!(
                    "Unable to create authorizer '{name}': Invalid authorizer type specified: {}. Valid options are token, request, cognito_user_pools",
                    other.unwrap_or("(none)")
                ),
            );
            return None;
        }
    };
    let mut extra = ext.clone();
    extra.insert(
        "type".to_string(),
        Value::String(kind.clone().unwrap_or_default()),
    );
    if let Some(t) = auth_type {
        extra.insert("authType".to_string(), Value::String(t.to_string()));
    }
    // A TOKEN or user-pool authorizer without identitySource reads the header the scheme names,
    // as AWS does (LocalStack's cognito-auth sample relies on it for a custom header).
    if matches!(kind.as_deref(), Some("TOKEN" | "COGNITO_USER_POOLS"))
        && !extra.contains_key("identitySource")
    {
        if let Some(header) = scheme.get("name").and_then(Value::as_str) {
            extra.insert(
                "identitySource".to_string(),
                Value::String(format!("method.request.header.{header}")),
            );
        }
    }
    Some((
        Authorizer {
            id: new_id(6),
            name: name.to_string(),
            extra,
        },
        authorization_type,
    ))
}
