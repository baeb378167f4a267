use super::*;
use crate::deploy::import::{import_document, ImportOptions};
use std::collections::HashMap;

/// The API with every importer-minted id replaced by what it names, and resources in path order.
fn normalized(api: &RestApi) -> RestApi {
    let mut a = api.clone();
    let paths: HashMap<String, String> = a
        .resources
        .iter()
        .map(|r| (r.id.clone(), r.path.clone()))
        .collect();
    let validators: HashMap<String, String> = a
        .request_validators
        .iter()
        .map(|v| (v.id.clone(), v.name.clone()))
        .collect();
    let authorizers: HashMap<String, String> = a
        .authorizers
        .iter()
        .map(|v| (v.id.clone(), v.name.clone()))
        .collect();
    a.root_resource_id = "/".into();
    a.warnings.clear();
    for r in &mut a.resources {
        r.id = r.path.clone();
        r.parent_id = r.parent_id.as_ref().map(|p| paths[p].clone());
        for m in r.resource_methods.values_mut() {
            m.request_validator_id = m
                .request_validator_id
                .as_ref()
                .map(|v| validators[v].clone());
            m.authorizer_id = m.authorizer_id.as_ref().map(|v| authorizers[v].clone());
        }
    }
    a.resources.sort_by(|x, y| x.path.cmp(&y.path));
    for m in &mut a.models {
        m.id = m.name.clone();
    }
    for v in &mut a.request_validators {
        v.id = v.name.clone();
    }
    for v in &mut a.authorizers {
        v.id = v.name.clone();
    }
    a
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn import_export_import_gives_the_same_api_and_stable_bytes() {
    let stage = Stage::default();
    let cases = [
        ("petstore-openapi3.json", Spec::OpenApi3),
        ("petstore-openapi3.yaml", Spec::OpenApi3),
        ("petstore-swagger2.json", Spec::Swagger2),
        ("petstore-swagger2.yaml", Spec::Swagger2),
    ];
    for (name, spec) in cases {
        let api = import_document(&fixture(name), &ImportOptions::default()).unwrap();
        for format in [Format::Json, Format::Yaml] {
            let doc = render(&api, &stage, spec, format, &ExportOptions::all());
            let again = import_document(&doc, &ImportOptions::default()).unwrap_or_else(|e| {
                panic!("{name} {format:?}: {e}\n{}", String::from_utf8_lossy(&doc))
            });
            assert_eq!(normalized(&again), normalized(&api), "{name} {format:?}");
            // Byte-stable: the same input exports the same bytes, also after a round trip.
            assert_eq!(
                render(&api, &stage, spec, format, &ExportOptions::all()),
                doc
            );
            assert_eq!(
                render(&again, &stage, spec, format, &ExportOptions::all()),
                doc,
                "{name}"
            );
        }
    }
}

#[test]
fn extensions_select_what_is_exported() {
    let api = import_document(
        &fixture("petstore-openapi3.json"),
        &ImportOptions::default(),
    )
    .unwrap();
    let plain = export(
        &api,
        &Stage::default(),
        Spec::OpenApi3,
        &ExportOptions::default(),
    );
    let text = plain.to_string();
    assert!(!text.contains("x-amazon-apigateway-integration"), "{text}");
    assert_eq!(plain["openapi"], "3.0.1");
    let with = export(
        &api,
        &Stage::default(),
        Spec::OpenApi3,
        &ExportOptions::from_extensions("integrations").unwrap(),
    );
    assert!(with.to_string().contains("x-amazon-apigateway-integration"));
    assert!(ExportOptions::from_extensions("integrations, validators,authorizers").is_ok());
    assert!(ExportOptions::from_extensions("bogus").is_err());
    let swagger = export(
        &api,
        &Stage::default(),
        Spec::Swagger2,
        &ExportOptions::all(),
    );
    assert_eq!(swagger["swagger"], "2.0");
}

#[test]
fn model_refs_become_local_refs_in_both_specs() {
    let api = RestApi {
        id: "a1".into(),
        name: "refs".into(),
        models: vec![
            crate::deploy::model::Model {
                id: "m1".into(),
                name: "Pet".into(),
                schema: Some(r#"{"type":"object"}"#.into()),
                ..Default::default()
            },
            crate::deploy::model::Model {
                id: "m2".into(),
                name: "Pets".into(),
                schema: Some(
                    r##"{"type":"array","items":{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Pet"},"x":[{"$ref":"#/definitions/Pet"}]}"##
                        .into(),
                ),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let stage = Stage::default();
    let opts = ExportOptions::default();
    let oas = export(&api, &stage, Spec::OpenApi3, &opts);
    let pets = &oas["components"]["schemas"]["Pets"];
    assert_eq!(pets["items"]["$ref"], "#/components/schemas/Pet");
    assert_eq!(pets["x"][0]["$ref"], "#/components/schemas/Pet");
    let swagger = export(&api, &stage, Spec::Swagger2, &opts);
    assert_eq!(
        swagger["definitions"]["Pets"]["items"]["$ref"],
        "#/definitions/Pet"
    );
}

/// `extensions=integrations` keeps every operation's security requirement and exports the
/// schemes they name (without the authorizer extension); the root `security` is not copied.
#[test]
fn integrations_export_names_only_schemes_it_carries() {
    let doc = r#"{
      "openapi": "3.0.1",
      "info": {"title": "sec", "version": "1"},
      "security": [{"jwt": []}],
      "components": {"securitySchemes": {"jwt": {
        "type": "apiKey", "name": "Authorization", "in": "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {"type": "token",
          "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations"}
      }}},
      "paths": {"/open": {"get": {"security": [],
        "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}, "responses": {"default": {"statusCode": "200"}}}
      }}, "/closed": {"get": {
        "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}, "responses": {"default": {"statusCode": "200"}}}
      }}}
    }"#;
    let api = import_document(doc.as_bytes(), &ImportOptions::default()).unwrap();
    let opts = ExportOptions::from_extensions("integrations").unwrap();
    for spec in [Spec::OpenApi3, Spec::Swagger2] {
        let out = export(&api, &Stage::default(), spec, &opts);
        assert!(out.get("security").is_none(), "{out}");
        let text = out.to_string();
        assert!(!text.contains("x-amazon-apigateway-authorizer"), "{text}");
        assert!(text.contains("\"jwt\""), "{text}");
        let again = import_document(text.as_bytes(), &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{spec:?}: {e}\n{text}"));
        let method = |api: &RestApi, path: &str| {
            api.resources
                .iter()
                .find(|r| r.path == path)
                .unwrap()
                .resource_methods["GET"]
                .authorization_type
                .clone()
        };
        assert_eq!(method(&again, "/open"), "NONE");
        assert!(
            again.warnings.iter().any(|w| w.contains("jwt")),
            "{:?}",
            again.warnings
        );
        let full = export(&api, &Stage::default(), spec, &ExportOptions::all()).to_string();
        let again = import_document(full.as_bytes(), &ImportOptions::default()).unwrap();
        assert_eq!(method(&again, "/closed"), "CUSTOM");
        assert_eq!(method(&again, "/open"), "NONE");
    }
}
