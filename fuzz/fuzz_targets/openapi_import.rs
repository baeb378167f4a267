//! Fuzzes the whole compiler front: arbitrary bytes -> `import_document` -> `compile_stage`
//! with an empty stage. The invariant is no panic and bounded work: JSON nesting is capped by
//! serde_json (128), YAML by the importer's serde-saphyr budget (depth, nodes, alias replay),
//! and document size by `MAX_DOCUMENT_BYTES`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::deploy::compile::{check_api, compile_stage, UpstreamInterner};
use tollgate::deploy::import::{import_document, BasePathMode, ImportOptions};
use tollgate::deploy::model::Stage;

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
