use super::*;
use crate::deploy::model::Model;
use serde_json::json;

fn api(models: &[(&str, Value)]) -> RestApi {
    RestApi {
        id: "a1b2c3".into(),
        models: models
            .iter()
            .map(|(name, schema)| Model {
                id: format!("m-{name}"),
                name: name.to_string(),
                schema: Some(schema.to_string()),
                content_type: Some("application/json".into()),
                ..Model::default()
            })
            .collect(),
        ..RestApi::default()
    }
}

fn compile(api: &RestApi, used: &[u32]) -> (Box<[Option<CompiledModel>]>, Problems) {
    let mut problems = Problems::default();
    let used = used.iter().map(|&i| ModelIdx(i)).collect();
    (compile_models(api, &used, &mut problems), problems)
}

#[test]
fn compiles_only_used_models_once() {
    let a = api(&[
        ("Pet", json!({"type": "object", "required": ["name"]})),
        ("Broken", json!({"type": 5})),
    ]);
    let (models, problems) = compile(&a, &[0]);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(models[0].is_some() && models[1].is_none());
    let v = &models[0].as_ref().unwrap().validator;
    assert!(v.is_valid(&json!({"name": "rex"})));
    assert!(!v.is_valid(&json!({})));
}

#[test]
fn refs_between_models_in_every_spelling() {
    for r in [
        "https://apigateway.amazonaws.com/restapis/a1b2c3/models/Tag".to_string(),
        "#/definitions/Tag".to_string(),
        "#/components/schemas/Tag".to_string(),
    ] {
        let a = api(&[
            (
                "Pet",
                json!({"type": "object", "properties": {"tag": {"$ref": r}}}),
            ),
            ("Tag", json!({"type": "string", "maxLength": 3})),
        ]);
        let (models, problems) = compile(&a, &[0]);
        assert!(problems.is_empty(), "{r}: {problems:?}");
        let v = &models[0].as_ref().unwrap().validator;
        assert!(v.is_valid(&json!({"tag": "abc"})), "{r}");
        assert!(!v.is_valid(&json!({"tag": "abcd"})), "{r}");
    }
}

#[test]
fn a_model_s_own_definitions_stay_local() {
    let a = api(&[(
        "Pet",
        json!({"definitions": {"Id": {"type": "integer"}}, "properties": {"id": {"$ref": "#/definitions/Id"}}}),
    )]);
    let (models, problems) = compile(&a, &[0]);
    assert!(problems.is_empty(), "{problems:?}");
    let v = &models[0].as_ref().unwrap().validator;
    assert!(!v.is_valid(&json!({"id": "x"})));
}

#[test]
fn invalid_models_are_refused_with_their_location() {
    let cases = [
        (
            json!({"type": 5}),
            "Invalid model schema specified for model 'M'",
        ),
        (
            json!({"properties": {"x": {"$ref": "#/definitions/Nope"}}}),
            "does not exist",
        ),
        (
            json!({"$ref": "https://example.com/schema.json"}),
            "unresolvable $ref 'https://example.com/schema.json'",
        ),
        (
            json!({"pattern": "(unclosed"}),
            "Invalid model schema specified",
        ),
        (
            json!({"pattern": "(?=lookahead)"}),
            "Invalid model schema specified",
        ),
    ];
    for (schema, want) in cases {
        let a = api(&[("M", schema.clone())]);
        let (models, problems) = compile(&a, &[0]);
        assert!(models[0].is_none(), "{schema}");
        assert_eq!(problems.0.len(), 1, "{schema}: {problems:?}");
        assert_eq!(problems.0[0].pointer, "/models/0/schema");
        assert!(
            problems.0[0].message.contains(want),
            "{schema}: {problems:?}"
        );
    }
    let mut a = api(&[("M", json!({}))]);
    a.models[0].schema = Some("{not json".into());
    let (_, problems) = compile(&a, &[0]);
    assert_eq!(problems.0[0].pointer, "/models/0/schema");
}
