//! Model compilation: any bytes as a model's schema (with a second model it may `$ref`) either
//! compile into a draft-04 validator or are refused with a problem, never a panic or a hang;
//! a compiled model then validates any JSON body and words its errors without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use tollgate::deploy::compile::models::compile_models;
use tollgate::deploy::model::{Model, RestApi};
use tollgate::deploy::policy::ModelIdx;
use tollgate::deploy::problem::Problems;

fn model(name: &str, schema: &[u8]) -> Model {
    Model {
        id: name.to_lowercase(),
        name: name.into(),
        schema: Some(String::from_utf8_lossy(schema).into_owned()),
        content_type: Some("application/json".into()),
        ..Model::default()
    }
}

fuzz_target!(|data: &[u8]| {
    // Up to three parts split by NUL: the model, a model it may refer to as `Other`, a body.
    let mut parts = data.splitn(3, |&b| b == 0);
    let main = parts.next().unwrap_or_default();
    let other = parts.next().unwrap_or(b"{}");
    let body = parts.next().unwrap_or(b"{}");
    let api = RestApi {
        id: "fuzz01".into(),
        models: vec![model("Main", main), model("Other", other)],
        ..RestApi::default()
    };
    let mut problems = Problems::default();
    let used: BTreeSet<ModelIdx> = [ModelIdx(0)].into();
    let compiled = compile_models(&api, &used, &mut problems);
    match &compiled[0] {
        Some(m) => {
            assert!(problems.is_empty(), "compiled and refused: {problems:?}");
            if let Ok(v) = tollgate::json::parse_body(body) {
                let valid = m.validator.is_valid(v.root().into());
                let text = tollgate::pipeline::validate::error_string(&m.validator, v.root().into());
                assert_eq!(valid, text == "[]", "{text}");
            }
        }
        None => assert!(!problems.is_empty(), "refused without a problem"),
    }
});
