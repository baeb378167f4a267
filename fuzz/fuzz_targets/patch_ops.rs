//! Fuzzes the patch-operation parser and engine: arbitrary bytes -> `patch::parse` -> `apply`
//! over a small rule table with literal, captured and multi-capture paths. The invariant is no
//! panic and bounded work (one pass over the operations, each matched against a fixed table);
//! every parsed path starts with `/` and re-escapes to its raw text's segments.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use tollgate::admin::patch::{self, Op, Rule};

#[derive(Clone, Default)]
struct Target {
    name: String,
    flag: bool,
    vars: BTreeMap<String, String>,
}

const RULES: &[Rule<Target>] = &[
    Rule {
        path: "/name",
        ops: &[Op::Replace, Op::Test],
        apply: |t, c| {
            if c.op == Op::Test {
                return c.test(Some(&t.name));
            }
            t.name = c.value().to_string();
            Ok(())
        },
    },
    Rule {
        path: "/flag",
        ops: &[Op::Replace],
        apply: |t, c| {
            t.flag = c.bool()?;
            Ok(())
        },
    },
    Rule {
        path: "/vars/{name}",
        ops: &[Op::Add, Op::Replace, Op::Remove, Op::Copy, Op::Move],
        apply: |t, c| {
            if c.op == Op::Remove {
                t.vars.remove(c.capture(0));
            } else {
                t.vars.insert(c.capture(0).to_string(), c.value().to_string());
            }
            Ok(())
        },
    },
    Rule {
        path: "/{a}/{b}/throttling/rateLimit",
        ops: &[Op::Replace],
        apply: |_, c| c.int(0..=1_000_000).map(|_| ()),
    },
];

fuzz_target!(|data: &[u8]| {
    let Ok(ops) = patch::parse(data) else {
        return;
    };
    for op in &ops {
        assert!(op.path.raw.starts_with('/'));
        let escaped: Vec<String> = op
            .path
            .segments
            .iter()
            .map(|s| s.replace('~', "~0").replace('/', "~1"))
            .collect();
        assert_eq!(format!("/{}", escaped.join("/")), op.path.raw);
    }
    let _ = patch::apply(&Target::default(), &ops, RULES);
});
