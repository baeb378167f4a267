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
    assert!(valid(v, json!({"name": "rex"})));
    assert!(!valid(v, json!({})));
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
        assert!(valid(v, json!({"tag": "abc"})), "{r}");
        assert!(!valid(v, json!({"tag": "abcd"})), "{r}");
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
    assert!(!valid(v, json!({"id": "x"})));
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

/// A whole stage: `POST /pets` with `requestModels` and a validator checking bodies or not.
fn stage_api(validate_body: bool, models: &[(&str, &str)]) -> RestApi {
    use crate::deploy::model::{Integration, Method, RequestValidator, Resource};
    let mut a = api(&[
        ("Pet", json!({"type": "object", "required": ["name"]})),
        ("Note", json!({"type": "string"})),
        ("Unused", json!({"type": 5})),
    ]);
    a.request_validators.push(RequestValidator {
        id: "v1".into(),
        name: "body".into(),
        validate_request_body: validate_body,
        validate_request_parameters: false,
    });
    let m = Method {
        http_method: "POST".into(),
        authorization_type: "NONE".into(),
        request_validator_id: Some("v1".into()),
        request_models: models
            .iter()
            .map(|(t, n)| (t.to_string(), n.to_string()))
            .collect(),
        method_integration: Some(Integration {
            kind: "MOCK".into(),
            ..Integration::default()
        }),
        ..Method::default()
    };
    a.resources = vec![
        Resource {
            id: "r0".into(),
            path: "/".into(),
            ..Resource::default()
        },
        Resource {
            id: "r1".into(),
            parent_id: Some("r0".into()),
            path_part: Some("pets".into()),
            path: "/pets".into(),
            resource_methods: [("POST".to_string(), m)].into(),
            ..Resource::default()
        },
    ];
    a
}

fn deploy(a: &RestApi) -> Result<crate::deploy::snapshot::StageRuntime, Problems> {
    let stage = crate::deploy::model::Stage {
        stage_name: "prod".into(),
        deployment_id: "d1".into(),
        ..Default::default()
    };
    crate::deploy::compile::compile_stage(a, &stage, &mut Default::default())
}

#[test]
fn a_stage_compiles_the_models_its_body_validators_select() {
    let a = stage_api(
        true,
        &[
            ("Application/JSON; charset=utf-8", "Pet"),
            ("$default", "Note"),
        ],
    );
    let s = deploy(&a).expect("deploys");
    let body = &s.methods[0].validation.body;
    assert_eq!(
        &*body.by_type,
        &[("application/json".into(), ModelIdx(0))][..]
    );
    assert_eq!(body.default, Some(ModelIdx(1)));
    assert!(s.models[0].is_some() && s.models[1].is_some());
    // A broken model no method validates against does not block the deployment.
    assert!(s.models[2].is_none());
    assert_eq!(body.select(None), Some(ModelIdx(0)));
    assert_eq!(
        body.select(Some(b"APPLICATION/json ;x=1")),
        Some(ModelIdx(0))
    );
    assert_eq!(body.select(Some(b"text/plain")), Some(ModelIdx(1)));
}

#[test]
fn models_are_only_judged_for_validators_that_check_bodies() {
    // Without validateRequestBody the models are documentation: a broken or missing one is fine.
    let s = deploy(&stage_api(false, &[("application/json", "Unused")])).expect("deploys");
    assert!(s.models.iter().all(Option::is_none));
    deploy(&stage_api(false, &[("application/json", "Missing")])).expect("deploys");
    // With it, both refuse the deployment, each at its place.
    let p = deploy(&stage_api(true, &[("application/json", "Unused")])).unwrap_err();
    assert_eq!(p.0[0].pointer, "/models/2/schema", "{p:?}");
    let p = deploy(&stage_api(true, &[("application/json", "Missing")])).unwrap_err();
    assert_eq!(
        p.0[0].pointer, "/resources/1/resourceMethods/POST/requestModels/application~1json",
        "{p:?}"
    );
    assert!(
        p.0[0]
            .message
            .ends_with("Invalid model identifier specified: Missing"),
        "{p:?}"
    );
}

/// Whether `v` accepts `j`, parsed as the gateway parses a body.
fn valid(v: &jsonschema::Validator<crate::json::schema::Tape>, j: serde_json::Value) -> bool {
    let p = crate::json::Parsed::parse(j.to_string().as_bytes()).unwrap();
    v.is_valid(p.root().into())
}

#[test]
fn dashes_beside_class_escapes_are_literal_as_in_ecma_regexps() {
    use super::escape_class_dashes as e;
    assert_eq!(e(r"[\w-_]").as_deref(), Some(r"[\w\-_]"));
    assert_eq!(e(r"[a-\d]").as_deref(), Some(r"[a\-\d]"));
    assert_eq!(
        e(r"^[\+~%\/.\w-_]*$").as_deref(),
        Some(r"^[\+~%\/.\w\-_]*$")
    );
    // Ordinary ranges, trailing dashes and dashes outside classes stay.
    assert_eq!(e(r"[a-z0-9-]"), None);
    assert_eq!(e(r"\w-\d"), None);
    assert_eq!(e(r"[\w-]"), None);
    assert_eq!(e(r"[\[-\]]"), None);
    for p in [r"[\w\-_]", r"[a\-\d]"] {
        assert!(regex::Regex::new(p).is_ok(), "{p}");
    }
}
