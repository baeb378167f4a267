//! Fuzzes the whole compiler front: arbitrary bytes -> `import_document` -> `compile_stage`
//! with an empty stage. The invariants are no panic and bounded work, and fail closed (a stage
//! that compiles for serving has only open methods): JSON nesting is capped by
//! serde_json (128), YAML by the importer's serde-saphyr budget (depth, nodes, alias replay),
//! and document size by `MAX_DOCUMENT_BYTES`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::deploy::compile::{
    check_api, compile_stage, compile_stage_for_test_invoke, refuse_unenforced, UpstreamInterner,
};
use tollgate::deploy::import::{import_document, BasePathMode, ImportOptions};
use tollgate::deploy::model::Stage;
use tollgate::deploy::policy::AuthorizationPlan;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the options so every mode gets exercised.
    let (opts, doc) = match data.split_first() {
        Some((&b, rest)) => (
            ImportOptions {
                basepath: match b % 3 {
                    0 => BasePathMode::Ignore,
                    1 => BasePathMode::Prepend,
                    _ => BasePathMode::Split,
                },
                fail_on_warnings: b & 0x80 != 0,
            },
            rest,
        ),
        None => (ImportOptions::default(), data),
    };
    let Ok(api) = import_document(doc, &opts) else {
        return;
    };
    // An import that succeeded passed the same checks.
    assert!(check_api(&api).is_ok());
    let stage = Stage {
        stage_name: "fuzz".to_string(),
        deployment_id: "fuzz".to_string(),
        ..Stage::default()
    };
    let mut upstreams = UpstreamInterner::default();
    if let Ok(st) = compile_stage(&api, &stage, &mut upstreams) {
        assert!(refuse_unenforced(&api).is_ok());
        for m in &st.methods {
            assert_eq!(m.authorization, AuthorizationPlan::None);
            assert!(!m.api_key.required);
        }
    }
    // Everything else the compiler does, protected methods included (never served).
    if let Ok(st) = compile_stage_for_test_invoke(&api, &stage, &mut upstreams) {
        let mut caps = tollgate::deploy::router::Captures::default();
        for m in &st.methods {
            let _ = st.router.lookup(
                m.http_method.as_bytes(),
                m.resource_path.as_bytes(),
                &mut caps,
            );
        }
    }
});
