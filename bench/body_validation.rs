//! Body validation cost: one typical 1 KB JSON body against a PetStore-like model (nested
//! object by `$ref`, enums, bounds, a pattern, an array of tags), compiled as a deployment
//! compiles it, over the gateway's parse of the body (the pooled simd-json tape): validation
//! alone (the body parsed once outside the loop, as `Exchange::body_json` shares it), and parse
//! plus validation, what a request pays. Also
//! the failure path (the error string the BAD_REQUEST_BODY response carries) and a model's
//! compile time. Run with `cargo bench --bench body_validation`.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::hint::black_box;
use tollgate::deploy::compile::models::compile_models;
use tollgate::deploy::model::{Model, RestApi};
use tollgate::deploy::policy::ModelIdx;
use tollgate::deploy::problem::Problems;
use tollgate::json::parse_body;

fn model(name: &str, schema: Value) -> Model {
    Model {
        id: name.to_lowercase(),
        name: name.into(),
        schema: Some(schema.to_string()),
        content_type: Some("application/json".into()),
        ..Model::default()
    }
}

fn api() -> RestApi {
    let pet = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "Pet",
        "type": "object",
        "required": ["id", "name", "status"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "status": {"type": "string", "enum": ["available", "pending", "sold"]},
            "price": {"type": "number", "minimum": 0, "maximum": 100000},
            "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
            "category": {"$ref": "#/definitions/Category"},
            "owner": {
                "type": "object",
                "required": ["email"],
                "properties": {
                    "email": {"type": "string", "maxLength": 254},
                    "phone": {"type": "string"},
                    "address": {"type": "object", "properties": {
                        "street": {"type": "string"}, "city": {"type": "string"},
                        "zip": {"type": "string", "pattern": "^[0-9]{5}$"}
                    }}
                }
            },
            "tags": {"type": "array", "maxItems": 20, "items": {
                "type": "object", "required": ["name"],
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}
            }},
            "photoUrls": {"type": "array", "items": {"type": "string"}}
        }
    });
    let category = json!({
        "type": "object",
        "required": ["name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}
    });
    RestApi {
        id: "bench01".into(),
        models: vec![model("Pet", pet), model("Category", category)],
        ..RestApi::default()
    }
}

fn body() -> Value {
    let tags: Vec<Value> = (0..16)
        .map(|i| json!({"id": i, "name": format!("tag-number-{i}")}))
        .collect();
    json!({
        "id": 12345,
        "name": "Rex the very good dog",
        "status": "available",
        "price": 249.99,
        "sku": "DOG-0042",
        "category": {"id": 1, "name": "Dogs"},
        "owner": {
            "email": "owner@example.com",
            "phone": "+1-555-0100",
            "address": {"street": "1 Main Street", "city": "Springfield", "zip": "12345"}
        },
        "tags": tags,
        "photoUrls": [
            "https://img.example.com/pets/12345/1.jpg",
            "https://img.example.com/pets/12345/2.jpg",
            "https://img.example.com/pets/12345/3.jpg",
            "https://img.example.com/pets/12345/4.jpg"
        ]
    })
}

fn bench(c: &mut Criterion) {
    let api = api();
    let used: BTreeSet<ModelIdx> = [ModelIdx(0)].into();
    let mut problems = Problems::default();
    let models = compile_models(&api, &used, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let validator = &models[0].as_ref().unwrap().validator;
    let good_text = body().to_string();
    let len = good_text.len();
    assert!((900..1300).contains(&len), "body is {len} bytes");
    let good = parse_body(good_text.as_bytes()).unwrap();
    assert!(validator.is_valid(good.root().into()));
    c.bench_function("body_validation_1k_valid", |b| {
        b.iter(|| validator.is_valid(black_box(good.root()).into()))
    });
    c.bench_function("body_parse_and_validation_1k_valid", |b| {
        b.iter(|| {
            let doc = parse_body(black_box(good_text.as_bytes())).unwrap();
            validator.is_valid(doc.root().into())
        })
    });
    let mut bad = body();
    bad["status"] = json!("lost");
    bad.as_object_mut().unwrap().remove("name");
    let bad = parse_body(bad.to_string().as_bytes()).unwrap();
    c.bench_function("body_validation_1k_invalid_error_string", |b| {
        b.iter(|| {
            tollgate::pipeline::validate::error_string(validator, black_box(bad.root()).into())
        })
    });
    c.bench_function("model_compile_petstore", |b| {
        b.iter(|| {
            let mut p = Problems::default();
            compile_models(black_box(&api), &used, &mut p)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
