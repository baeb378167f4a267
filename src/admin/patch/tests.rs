use super::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
struct Thing {
    name: String,
    description: Option<String>,
    enabled: bool,
    limit: i64,
    variables: BTreeMap<String, String>,
    settings: BTreeMap<(String, String), i64>,
}

const RULES: &[Rule<Thing>] = &[
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
        path: "/description",
        ops: &[Op::Replace, Op::Remove],
        apply: |t, c| {
            t.description = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/enabled",
        ops: &[Op::Replace],
        apply: |t, c| {
            t.enabled = c.bool()?;
            Ok(())
        },
    },
    Rule {
        path: "/limit",
        ops: &[Op::Replace],
        apply: |t, c| {
            t.limit = c.int(0..=10)?;
            Ok(())
        },
    },
    Rule {
        path: "/variables/{name}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |t, c| {
            match c.op {
                Op::Remove => {
                    t.variables.remove(c.capture(0));
                }
                _ => {
                    t.variables
                        .insert(c.capture(0).to_string(), c.value().to_string());
                }
            }
            Ok(())
        },
    },
    Rule {
        path: "/{resourcePath}/{httpMethod}/throttling/rateLimit",
        ops: &[Op::Replace],
        apply: |t, c| {
            let n = c.int(0..=10_000)?;
            t.settings
                .insert((c.capture(0).to_string(), c.capture(1).to_string()), n);
            Ok(())
        },
    },
];

fn ops(json: &str) -> Vec<PatchOperation> {
    parse(json.as_bytes()).unwrap()
}

fn patch(json: &str) -> Result<Thing, PatchError> {
    let base = Thing {
        name: "old".into(),
        ..Default::default()
    };
    apply(&base, &parse(json.as_bytes())?, RULES)
}

#[test]
fn pointer_unescapes_rfc6901() {
    let cases: &[(&str, &[&str])] = &[
        ("/name", &["name"]),
        ("/a/b~1c", &["a", "b/c"]),
        ("/a~0b", &["a~b"]),
        ("/~01", &["~1"]),
        ("/~10", &["/0"]),
        ("/", &[""]),
        ("/a//b", &["a", "", "b"]),
        ("/~1pets~1{petId}/GET", &["/pets/{petId}", "GET"]),
    ];
    for (raw, want) in cases {
        let p = Pointer::parse(raw).unwrap();
        assert_eq!(p.segments, *want, "{raw}");
        assert_eq!(p.raw, *raw);
    }
    for bad in ["", "name", "/a~", "/a~2", "/~x"] {
        assert_eq!(
            Pointer::parse(bad),
            Err(PatchError::InvalidPath(bad.to_string())),
            "{bad}"
        );
    }
}

#[test]
fn parse_validates_each_operation() {
    let got = ops(r#"{"patchOperations":[
            {"op":"replace","path":"/name","value":"n"},
            {"op":"remove","path":"/description"},
            {"op":"copy","path":"/deploymentId","from":"/canarySettings/deploymentId"}]}"#);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].op, Op::Replace);
    assert_eq!(got[0].value.as_deref(), Some("n"));
    assert_eq!(got[1].value, None);
    assert_eq!(
        got[2].from.as_ref().unwrap().segments,
        ["canarySettings", "deploymentId"]
    );
    assert!(ops("").is_empty());
    assert!(ops("{}").is_empty());
    assert!(ops(r#"{"patchOperations":[]}"#).is_empty());
}

#[test]
fn parse_errors_are_aws_messages() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"patchOperations":[{"op":"frob","path":"/name","value":"x"}]}"#,
            "Invalid patch operation specified: 'frob'. Must be one of: [add, remove, replace, move, copy, test]",
        ),
        (
            r#"{"patchOperations":[{"path":"/name","value":"x"}]}"#,
            "Invalid patch operation: op is required",
        ),
        (
            r#"{"patchOperations":[{"op":"replace","path":"","value":"x"}]}"#,
            "Invalid patch path ",
        ),
        (
            r#"{"patchOperations":[{"op":"replace","value":"x"}]}"#,
            "Invalid patch path ",
        ),
        (
            r#"{"patchOperations":[{"op":"replace","path":"foo","value":"x"}]}"#,
            "Invalid patch path foo",
        ),
        (
            r#"{"patchOperations":[{"op":"replace","path":"/a~2"}]}"#,
            "Invalid patch path /a~2",
        ),
        (
            r#"{"patchOperations":[{"op":"replace","path":"/name"}]}"#,
            "Invalid patch operation: value is required for op 'replace' at path '/name'",
        ),
        (
            r#"{"patchOperations":[{"op":"move","path":"/name"}]}"#,
            "Invalid patch operation: from is required for op 'move' at path '/name'",
        ),
        (
            r#"{"patchOperations":[{"op":"copy","path":"/name","from":"x"}]}"#,
            "Invalid patch path x",
        ),
    ];
    for (body, want) in cases {
        let err = parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), *want, "{body}");
        let (status, kind, msg) = ApiError::from(err).parts();
        assert_eq!(
            (status, kind, msg.as_str()),
            (400, "BadRequestException", *want)
        );
    }
    for bad in [
        "{",
        "[]",
        r#"{"patchOps":[]}"#,
        r#"{"patchOperations":[{"op":"replace","path":"/limit","value":3}]}"#,
        r#"{"patchOperations":[{"op":"replace","path":"/name","value":"x","extra":1}]}"#,
    ] {
        assert!(
            matches!(parse(bad.as_bytes()), Err(PatchError::Body(_))),
            "{bad}"
        );
    }
}

#[test]
fn apply_dispatches_to_rules() {
    let t = patch(
        r#"{"patchOperations":[
        {"op":"replace","path":"/name","value":"new"},
        {"op":"replace","path":"/description","value":"d"},
        {"op":"replace","path":"/enabled","value":"true"},
        {"op":"replace","path":"/limit","value":"7"},
        {"op":"add","path":"/variables/url","value":"http://x"},
        {"op":"add","path":"/variables/a~1b","value":"1"},
        {"op":"remove","path":"/variables/a~1b"},
        {"op":"replace","path":"/~1pets~1{id}/GET/throttling/rateLimit","value":"50"},
        {"op":"replace","path":"/*/*/throttling/rateLimit","value":"10"},
        {"op":"test","path":"/name","value":"new"}]}"#,
    )
    .unwrap();
    assert_eq!(t.name, "new");
    assert_eq!(t.description.as_deref(), Some("d"));
    assert!(t.enabled);
    assert_eq!(t.limit, 7);
    assert_eq!(
        t.variables,
        BTreeMap::from([("url".to_string(), "http://x".to_string())])
    );
    assert_eq!(
        t.settings[&("/pets/{id}".to_string(), "GET".to_string())],
        50
    );
    assert_eq!(t.settings[&("*".to_string(), "*".to_string())], 10);
    let t = patch(r#"{"patchOperations":[{"op":"remove","path":"/description"}]}"#).unwrap();
    assert_eq!(t.description, None);
}

#[test]
fn apply_refuses_unknown_paths_listing_those_allowed_for_the_op() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"patchOperations":[{"op":"replace","path":"/foo","value":"x"}]}"#,
            "Invalid patch path '/foo' specified for op 'replace'. Must be one of: [/name, /description, /enabled, /limit, /variables/{name}, /{resourcePath}/{httpMethod}/throttling/rateLimit]",
        ),
        (
            r#"{"patchOperations":[{"op":"remove","path":"/name"}]}"#,
            "Invalid patch path '/name' specified for op 'remove'. Must be one of: [/description, /variables/{name}]",
        ),
        (
            r#"{"patchOperations":[{"op":"move","path":"/name","from":"/description"}]}"#,
            "Invalid patch path '/name' specified for op 'move'. Must be one of: []",
        ),
        (
            // A capture never matches an empty segment.
            r#"{"patchOperations":[{"op":"add","path":"/variables/","value":"x"}]}"#,
            "Invalid patch path '/variables/' specified for op 'add'. Must be one of: [/variables/{name}]",
        ),
        (
            r#"{"patchOperations":[{"op":"add","path":"/variables/a/b","value":"x"}]}"#,
            "Invalid patch path '/variables/a/b' specified for op 'add'. Must be one of: [/variables/{name}]",
        ),
        (
            r#"{"patchOperations":[{"op":"replace","path":"/enabled","value":"yes"}]}"#,
            "Invalid value for patch path '/enabled': 'yes' is not a boolean",
        ),
        (
            r#"{"patchOperations":[{"op":"replace","path":"/limit","value":"11"}]}"#,
            "Invalid value for patch path '/limit': '11' is not an integer between 0 and 10",
        ),
        (
            r#"{"patchOperations":[{"op":"test","path":"/name","value":"nope"}]}"#,
            "Patch test operation failed at path '/name'",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(patch(body).unwrap_err().to_string(), *want, "{body}");
    }
}

#[test]
fn a_failing_operation_changes_nothing() {
    let base = Thing::default();
    let list = ops(r#"{"patchOperations":[
        {"op":"replace","path":"/name","value":"new"},
        {"op":"replace","path":"/nope","value":"x"}]}"#);
    assert!(apply(&base, &list, RULES).is_err());
    assert_eq!(base, Thing::default());
}
