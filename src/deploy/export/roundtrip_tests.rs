//! Every fixture API (tests/fixtures, tests/fixtures/blackbox, tests/fixtures/real) exported in each format
//! (`oas30`, `swagger`), in JSON and YAML, with each extension set GetExport accepts
//! (botocore: `integrations`, `apigateway`, `authorizers`, `postman`, none), imported again:
//!
//! - `apigateway` gives back the identical API (resources, methods, integrations, models,
//!   validators, authorizers, gateway responses, policy, ...), across formats too;
//! - `integrations` (with or without `authorizers`) gives back the same API less what that
//!   set leaves out;
//! - none / `postman` carry no integration, which a Tollgate import refuses by name (a method
//!   without an integration can never be deployed; AWS stores it and refuses the deployment).

use super::*;
use crate::deploy::import::{import_document, ImportOptions};
use crate::deploy::model::{Method, Stage};
use std::collections::HashMap;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let root = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        root.clone(),
        format!("{root}/blackbox"),
        format!("{root}/real"),
    ] {
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                p.is_file()
                    && (name.ends_with(".json") || name.ends_with(".yaml"))
                    && !name.starts_with("invalid")
            })
            .collect();
        names.sort();
        for p in names {
            let filled = fill_placeholders(&std::fs::read_to_string(&p).unwrap());
            out.push((p.display().to_string(), filled.into_bytes()));
        }
    }
    assert!(out.len() >= 9, "fixtures not found: {out:?}");
    out
}

/// The black-box fixtures name their upstreams and versions `@NAME@`, which the harness fills
/// in; any loopback address (and `1`) will do here.
fn fill_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('@') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('@') {
            Some(end)
                if end > 0
                    && after[..end]
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'_') =>
            {
                out.push_str(if &after[..end] == "VERSION" {
                    "1"
                } else {
                    "127.0.0.1:9"
                });
                rest = &after[end + 1..];
            }
            _ => {
                out.push('@');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The API with minted ids replaced by what they name, the importer's warnings dropped, model
/// refs in one spelling, and the keys of `extra` maps that belong to one format only dropped
/// (they cannot cross formats; what both formats share must survive).
fn normalized(api: &RestApi) -> RestApi {
    let mut a = api.clone();
    let names: HashMap<String, String> = a
        .resources
        .iter()
        .map(|r| (r.id.clone(), r.path.clone()))
        .chain(
            a.request_validators
                .iter()
                .map(|v| (v.id.clone(), v.name.clone())),
        )
        .chain(a.authorizers.iter().map(|v| (v.id.clone(), v.name.clone())))
        .collect();
    let name = |id: &String| names[id].clone();
    a.root_resource_id = name(&a.root_resource_id);
    a.warnings.clear();
    let both = |extra: &mut crate::deploy::model::Extra, level| {
        extra.retain(|k, _| {
            !purity::is_foreign(Spec::OpenApi3, level, k)
                && !purity::is_foreign(Spec::Swagger2, level, k)
        })
    };
    both(&mut a.extra, purity::Level::Top);
    for r in &mut a.resources {
        r.id = name(&r.id);
        r.parent_id = r.parent_id.as_ref().map(name);
        both(&mut r.extra, purity::Level::PathItem);
        for m in r.resource_methods.values_mut() {
            m.request_validator_id = m.request_validator_id.as_ref().map(name);
            m.authorizer_id = m.authorizer_id.as_ref().map(name);
            both(&mut m.extra, purity::Level::Operation);
            for resp in m.method_responses.values_mut() {
                both(&mut resp.extra, purity::Level::Response);
            }
        }
    }
    a.resources.sort_by(|x, y| x.path.cmp(&y.path));
    for m in &mut a.models {
        m.id = m.name.clone();
        m.schema = m.schema.as_ref().map(|s| {
            let mut v: Value = serde_json::from_str(s).unwrap();
            purity::rewrite_schema_refs(&mut v, &api.id, Spec::OpenApi3);
            v.to_string()
        });
    }
    a.models.sort_by(|x, y| x.name.cmp(&y.name));
    for v in &mut a.request_validators {
        v.id = v.name.clone();
    }
    for v in &mut a.authorizers {
        v.id = v.name.clone();
    }
    a
}

/// `api` less what an export with `opts` leaves out (its import cannot bring it back).
fn exported_part(api: &RestApi, opts: &ExportOptions) -> RestApi {
    let mut a = api.clone();
    if !opts.authorizers() {
        a.authorizers.clear();
    }
    if !opts.validators() {
        a.request_validators.clear();
    }
    if !opts.apigateway {
        a.gateway_responses.clear();
        a.policy = None;
        a.binary_media_types.clear();
        a.api_key_source = None;
        a.endpoint_configuration = None;
        a.minimum_compression_size = None;
        a.disable_execute_api_endpoint = false;
        a.extra
            .retain(|k, _| !k.starts_with("x-amazon-apigateway-"));
    }
    let methods = a
        .resources
        .iter_mut()
        .flat_map(|r| r.resource_methods.values_mut());
    for m in methods {
        let m: &mut Method = m;
        if !opts.authorizers() && m.authorizer_id.is_some() {
            // The requirement is exported naming a scheme with no authorizer, which API Gateway
            // does not enforce (the import warns).
            m.authorizer_id = None;
            m.authorization_type = "NONE".into();
            m.authorization_scopes.clear();
        }
        if !opts.validators() {
            m.request_validator_id = None;
        }
        if !opts.integrations() {
            m.method_integration = None;
        }
    }
    normalized(&a)
}

#[test]
fn every_fixture_round_trips_through_every_export() {
    let stage = Stage::default();
    let sets = [
        "apigateway",
        "integrations",
        "integrations,authorizers",
        "",
        "postman",
    ];
    for (name, bytes) in fixtures() {
        let api = import_document(&bytes, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for spec in [Spec::OpenApi3, Spec::Swagger2] {
            for set in sets {
                let opts = ExportOptions::from_extensions(set).unwrap();
                for format in [Format::Json, Format::Yaml] {
                    let doc = render(&api, &stage, spec, format, &opts);
                    let what = format!("{name} {spec:?} {format:?} extensions={set:?}");
                    let again = import_document(&doc, &ImportOptions::default());
                    if !opts.integrations() {
                        let err = again.expect_err(&what).to_string();
                        assert!(
                            err.contains("No integration defined for method"),
                            "{what}: {err}"
                        );
                        continue;
                    }
                    let again = again.unwrap_or_else(|e| {
                        panic!("{what}: {e}\n{}", String::from_utf8_lossy(&doc))
                    });
                    assert_eq!(normalized(&again), exported_part(&api, &opts), "{what}");
                    if set == "apigateway" {
                        assert_eq!(normalized(&again), normalized(&api), "{what}");
                    }
                }
            }
        }
    }
}

/// Each export is pure in its format: no key or model `$ref` of the other one.
#[test]
fn cross_format_exports_are_pure() {
    for (name, bytes) in fixtures() {
        let api = import_document(&bytes, &ImportOptions::default()).unwrap();
        let stage = Stage::default();
        let oas = export(&api, &stage, Spec::OpenApi3, &ExportOptions::all());
        let swagger = export(&api, &stage, Spec::Swagger2, &ExportOptions::all());
        for key in [
            "swagger",
            "definitions",
            "securityDefinitions",
            "basePath",
            "host",
        ] {
            assert!(oas.get(key).is_none(), "{name}: oas30 export has {key}");
        }
        for key in ["openapi", "components", "servers"] {
            assert!(
                swagger.get(key).is_none(),
                "{name}: swagger export has {key}"
            );
        }
        assert!(!oas.to_string().contains("#/definitions/"), "{name}");
        assert!(!swagger.to_string().contains("#/components/"), "{name}");
    }
}
