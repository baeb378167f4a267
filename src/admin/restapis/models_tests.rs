use super::*;
use crate::deploy::model::{Method, MethodResponse, Resource};

fn api() -> RestApi {
    RestApi {
        id: "a1".into(),
        root_resource_id: "r".into(),
        resources: vec![Resource {
            id: "r".into(),
            path: "/".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn input(name: &str, schema: Option<&str>) -> CreateModelIn {
    CreateModelIn {
        name: Some(name.into()),
        content_type: Some("application/json".into()),
        schema: schema.map(String::from),
        ..Default::default()
    }
}

const PET_REF: &str = "https://apigateway.amazonaws.com/restapis/a1/models/Pet";

#[test]
fn create_checks_name_content_type_duplicates_and_schema() {
    let mut a = api();
    create_model(&mut a, input("Pet", Some(r#"{"type":"object"}"#))).unwrap();
    let long = "x".repeat(129);
    let cases: Vec<(CreateModelIn, u16)> = vec![
        (input("Pet", None), 409),
        (input("bad-name", None), 400),
        (input(&long, None), 400),
        (
            CreateModelIn {
                content_type: None,
                ..input("Ok", None)
            },
            400,
        ),
        (
            CreateModelIn {
                name: None,
                ..input("Ok", None)
            },
            400,
        ),
        (input("NotJson", Some("{")), 400),
        (input("Array", Some("[1]")), 400),
        (
            input(
                "Dangling",
                Some(&format!(
                    r#"{{"$ref":"{}"}}"#,
                    PET_REF.replace("Pet", "Cat")
                )),
            ),
            400,
        ),
        (
            input(
                "OtherApi",
                Some(r#"{"$ref":"https://apigateway.amazonaws.com/restapis/zz/models/Pet"}"#),
            ),
            400,
        ),
    ];
    for (i, (inp, status)) in cases.into_iter().enumerate() {
        let err = create_model(&mut a, inp).unwrap_err();
        assert_eq!(err.parts().0, status, "case {i}: {err:?}");
    }
    assert_eq!(a.models.len(), 1);
    let list = format!(r#"{{"type":"array","items":{{"$ref":"{PET_REF}"}}}}"#);
    create_model(&mut a, input("Pets", Some(&list))).unwrap();
    // A model may refer to itself (recursive structures).
    let tree = r#"{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Tree"}}}}"#;
    create_model(&mut a, input("Tree", Some(tree))).unwrap();
}

#[test]
fn delete_is_refused_while_referenced() {
    let mut a = api();
    create_model(&mut a, input("Pet", Some(r#"{"type":"object"}"#))).unwrap();
    let list = format!(r#"{{"type":"array","items":{{"$ref":"{PET_REF}"}}}}"#);
    create_model(&mut a, input("Pets", Some(&list))).unwrap();
    let err = delete_model(&mut a, "Pet").unwrap_err();
    assert_eq!(err.parts().0, 409, "{err:?}");
    assert!(err.parts().2.contains("model: Pets"), "{err:?}");
    let mut m = Method {
        http_method: "POST".into(),
        ..Default::default()
    };
    m.request_models
        .insert("application/json".into(), "Pets".into());
    a.resources[0]
        .resource_methods
        .insert("POST".into(), m.clone());
    let err = delete_model(&mut a, "Pets").unwrap_err();
    assert_eq!(
        err.parts(),
        (
            409,
            "ConflictException",
            "Cannot delete model 'Pets', is referenced in method request: //POST".into()
        )
    );
    m.request_models.clear();
    m.method_responses.insert(
        "200".into(),
        MethodResponse {
            status_code: "200".into(),
            response_models: [("application/json".to_string(), "Pets".to_string())].into(),
            ..Default::default()
        },
    );
    a.resources[0].resource_methods.insert("POST".into(), m);
    assert_eq!(delete_model(&mut a, "Pets").unwrap_err().parts().0, 409);
    a.resources[0].resource_methods.clear();
    delete_model(&mut a, "Pets").unwrap();
    delete_model(&mut a, "Pet").unwrap();
    assert_eq!(delete_model(&mut a, "Pet"), Err(MODEL_NOT_FOUND));
}

#[test]
fn update_patches_schema_and_description_and_rechecks() {
    let mut a = api();
    create_model(&mut a, input("Pet", Some("{}"))).unwrap();
    let ops = patch::parse(br#"{"patchOperations":[{"op":"replace","path":"/description","value":"a pet"},{"op":"replace","path":"/schema","value":"{\"type\":\"string\"}"}]}"#).unwrap();
    let m = update_model(&mut a, "Pet", &ops).unwrap();
    assert_eq!(m.description.as_deref(), Some("a pet"));
    assert_eq!(a.models[0].schema.as_deref(), Some(r#"{"type":"string"}"#));
    let bad =
        patch::parse(br#"{"patchOperations":[{"op":"replace","path":"/schema","value":"nope"}]}"#)
            .unwrap();
    assert_eq!(
        update_model(&mut a, "Pet", &bad).unwrap_err().parts().0,
        400
    );
    let bad = patch::parse(br#"{"patchOperations":[{"op":"replace","path":"/name","value":"X"}]}"#)
        .unwrap();
    assert_eq!(
        update_model(&mut a, "Pet", &bad).unwrap_err().parts().0,
        400
    );
    assert_eq!(a.models[0].schema.as_deref(), Some(r#"{"type":"string"}"#));
    assert_eq!(update_model(&mut a, "Nope", &ops), Err(MODEL_NOT_FOUND));
}

#[test]
fn flatten_inlines_references_and_stops_at_cycles() {
    let mut a = api();
    create_model(&mut a, input("Pet", Some(r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","properties":{"name":{"type":"string"}}}"#))).unwrap();
    let list = format!(r#"{{"type":"array","items":{{"$ref":"{PET_REF}"}}}}"#);
    create_model(&mut a, input("Pets", Some(&list))).unwrap();
    let flat: Value = serde_json::from_str(&flattened_schema(&a, &a.models[1]).unwrap()).unwrap();
    assert_eq!(
        flat,
        serde_json::json!({"type":"array","items":{"type":"object","properties":{"name":{"type":"string"}}}})
    );
    let tree = r#"{"type":"object","properties":{"kid":{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Tree"}}}"#;
    let t = create_model(&mut a, input("Tree", Some(tree))).unwrap();
    let flat = flattened_schema(&a, &t).unwrap();
    assert!(flat.contains("models/Tree"), "{flat}");
}

#[test]
fn template_follows_the_schema() {
    let mut a = api();
    let m = create_model(&mut a, input("Pet", Some(r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}}}"#))).unwrap();
    let t = model_template(&a, &m);
    assert!(
        t.starts_with("#set($inputRoot = $input.path('$'))\n{"),
        "{t}"
    );
    assert!(t.contains("\"name\" : \"$inputRoot.name\""), "{t}");
    assert!(t.contains("\"age\" : $inputRoot.age"), "{t}");
    assert!(t.contains("#foreach($elem1 in $inputRoot.tags)"), "{t}");
}
