//! Table tests: Jayway's README "store/book" examples with their documented results, plus the
//! API Gateway serialisations.

use serde_json::{json, Value};

use super::*;

const STORE: &str = r#"{
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10
}"#;

fn store() -> Parsed {
    parse_body(STORE.as_bytes()).unwrap()
}

/// A `json!` value as the gateway parses it.
fn parsed(v: Value) -> Parsed {
    parse_body(v.to_string().as_bytes()).unwrap()
}

fn json_of(path: &str, doc: &Parsed) -> String {
    let p = compile(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::new();
    write_json(&p.eval(doc.root()), &mut out);
    String::from_utf8(out).unwrap()
}

fn titles(books: &[usize]) -> Value {
    let doc: Value = serde_json::from_str(STORE).unwrap();
    Value::Array(
        books
            .iter()
            .map(|&i| doc["store"]["book"][i].clone())
            .collect(),
    )
}

#[test]
fn jayway_readme_examples() {
    let doc = store();
    let tree: Value = serde_json::from_str(STORE).unwrap();
    let authors = json!([
        "Nigel Rees",
        "Evelyn Waugh",
        "Herman Melville",
        "J. R. R. Tolkien"
    ]);
    let cases: Vec<(&str, Value)> = vec![
        ("$.store.book[*].author", authors.clone()),
        ("$..author", authors),
        (
            "$.store.*",
            json!([tree["store"]["book"], tree["store"]["bicycle"]]),
        ),
        ("$.store..price", json!([8.95, 12.99, 8.99, 22.99, 19.95])),
        ("$..book[2]", titles(&[2])),
        ("$..book[-2]", titles(&[2])),
        ("$..book[0,1]", titles(&[0, 1])),
        ("$..book[:2]", titles(&[0, 1])),
        ("$..book[1:2]", titles(&[1])),
        ("$..book[-2:]", titles(&[2, 3])),
        ("$..book[2:]", titles(&[2, 3])),
        ("$..book[?(@.isbn)]", titles(&[2, 3])),
        ("$.store.book[?(@.price < 10)]", titles(&[0, 2])),
        ("$..book[?(@.price <= $['expensive'])]", titles(&[0, 2])),
        ("$..book[?(@.author =~ /.*REES/i)]", titles(&[0])),
    ];
    for (path, want) in cases {
        let got: Value = serde_json::from_str(&json_of(path, &doc)).unwrap();
        assert_eq!(got, want, "{path}");
    }
    // `$..*` yields every node below the root: 2 + 2 (store) + 4 books + 18 book members + 2.
    let Found::Many(all) = compile("$..*").unwrap().eval(doc.root()) else {
        panic!("indefinite")
    };
    assert_eq!(all.len(), 28);
}

#[test]
fn definite_paths_return_the_value_itself() {
    let doc = store();
    assert_eq!(json_of("$.store.bicycle.color", &doc), r#""red""#);
    assert_eq!(json_of("$['store']['bicycle'][\"price\"]", &doc), "19.95");
    assert_eq!(
        json_of("$.store.book[-1].title", &doc),
        r#""The Lord of the Rings""#
    );
    assert_eq!(json_of("$.expensive", &doc), "10");
    assert_eq!(
        json_of("$.store.bicycle", &doc),
        r#"{"color":"red","price":19.95}"#
    );
    let p = compile("$.store.book[0].author").unwrap();
    assert!(p.is_definite());
    let found = p.eval_definite(doc.root()).map(|n| n.to_serde());
    assert_eq!(found, Some(json!("Nigel Rees")));
    for indefinite in ["$..a", "$.a[*]", "$.a.*", "$[0,1]", "$[1:]", "$[?(@.a)]"] {
        assert!(!compile(indefinite).unwrap().is_definite(), "{indefinite}");
    }
}

#[test]
fn missing_values() {
    let doc = store();
    // A definite miss: `$input.json` writes an empty JSON string, the text form sets nothing.
    assert_eq!(json_of("$.missing", &doc), r#""""#);
    assert_eq!(json_of("$.store.book[9]", &doc), r#""""#);
    assert_eq!(json_of("$.expensive.deeper", &doc), r#""""#);
    let p = compile("$.missing").unwrap();
    assert!(!write_text(&p.eval(doc.root()), &mut Vec::new()));
    // An indefinite miss is an empty list.
    assert_eq!(json_of("$..nothing", &doc), "[]");
    assert_eq!(json_of("$.store.book[?(@.price > 100)]", &doc), "[]");
}

#[test]
fn filter_operators() {
    let doc = parsed(json!({"a": [
        {"n": 1, "s": "x", "b": true, "z": null},
        {"n": 2, "s": "y", "b": false},
        {"n": 3, "s": "x"}
    ]}));
    let cases = [
        ("$.a[?(@.n == 1)].n", "[1]"),
        ("$.a[?(@.n != 1)].n", "[2,3]"),
        ("$.a[?(@.n > 1)].n", "[2,3]"),
        ("$.a[?(@.n >= 2)].n", "[2,3]"),
        ("$.a[?(@.n < 2)].n", "[1]"),
        ("$.a[?(@.n <= 2)].n", "[1,2]"),
        ("$.a[?(@.s == 'x')].n", "[1,3]"),
        ("$.a[?(@.s == \"y\")].n", "[2]"),
        ("$.a[?(@.b == true)].n", "[1]"),
        ("$.a[?(@.b == false)].n", "[2]"),
        ("$.a[?(@.z == null)].n", "[1]"),
        ("$.a[?(@.s == 'x' && @.n > 1)].n", "[3]"),
        ("$.a[?(@.n == 1 || @.n == 3)].n", "[1,3]"),
        ("$.a[?(!(@.n == 1))].n", "[2,3]"),
        ("$.a[?(@.s =~ /^[xy]$/)].n", "[1,2,3]"),
        ("$.a[?(@.b)].n", "[1,2]"),
        // A missing property makes `!=` false too.
        ("$.a[?(@.b != true)].n", "[2]"),
        // Mixed types never compare equal.
        ("$.a[?(@.n == '1')].n", "[]"),
        ("$.a[*].n", "[1,2,3]"),
        ("$.a[::2].n", "[1,3]"),
        ("$.a[-1:].n", "[3]"),
    ];
    for (path, want) in cases {
        assert_eq!(json_of(path, &doc), want, "{path}");
    }
}

#[test]
fn text_form_for_mapping_expressions() {
    let doc = parsed(json!({"a": {"b": "plain", "n": 1.5, "o": {"k": [1, "two"]}}}));
    let text = |expr: &str| {
        let p = compile_body_expression(expr).unwrap();
        let mut out = Vec::new();
        write_text(&p.eval(doc.root()), &mut out).then(|| String::from_utf8(out).unwrap())
    };
    assert_eq!(text("a.b").as_deref(), Some("plain"));
    assert_eq!(text("a.n").as_deref(), Some("1.5"));
    assert_eq!(text("a.o").as_deref(), Some(r#"{"k":[1,"two"]}"#));
    assert_eq!(
        text("").as_deref(),
        Some(r#"{"a":{"b":"plain","n":1.5,"o":{"k":[1,"two"]}}}"#)
    );
    assert_eq!(text("a.zz"), None);
}

#[test]
fn key_order_and_escapes_survive() {
    let doc = parse_body(br#"{"z": 1, "a": {"y": "q\"uote\u00e9", "b": 2}}"#).unwrap();
    assert_eq!(json_of("$.a", &doc), r#"{"y":"q\"uoteé","b":2}"#);
    assert_eq!(json_of("$", &doc), r#"{"z":1,"a":{"y":"q\"uoteé","b":2}}"#);
    assert_eq!(json_of("$['a']['y']", &doc), r#""q\"uoteé""#);
    assert_eq!(json_of(r#"$['it\'s']"#, &parsed(json!({"it's": 7}))), "7");
}

#[test]
fn bad_paths_are_refused_and_bad_bodies_are_errors() {
    for bad in [
        "",
        "a.b",
        "$.",
        "$[",
        "$['a'",
        "$[?(@.a == )]",
        "$[?(@.a =~ /(/)]",
        "$..",
        "$.a b",
    ] {
        assert!(compile(bad).is_err(), "{bad:?}");
    }
    assert!(compile(&format!("$[?({}@.a{})]", "(".repeat(100), ")".repeat(100))).is_err());
    assert!(parse_body(b"{not json").is_err());
    assert_eq!(parse_body(b"  ").unwrap().root().to_serde(), json!({}));
}

#[test]
fn never_panics_on_odd_input() {
    let doc = store();
    for p in [
        "$[?(@.price > 'a')]",
        "$..[?(@.isbn)]",
        "$..*..*",
        "$[-99999999999:99999999999:3]",
        "$.é.ü",
        "$[?(@ == 1)]",
    ] {
        if let Ok(path) = compile(p) {
            let _ = path.eval(doc.root());
        }
    }
}

#[test]
fn runaway_paths_stop_at_the_budget() {
    // 2,000 nested-ish nodes; `$..*..*..*` would visit billions of (node, node, node) triples.
    let doc = parsed(Value::Array(
        (0..200)
            .map(|i| json!({"a": [i, {"b": [1, 2, 3]}], "c": {"d": i}}))
            .collect(),
    ));
    let start = std::time::Instant::now();
    let Found::Many(found) = compile("$..*..*..*..*").unwrap().eval(doc.root()) else {
        panic!("indefinite")
    };
    assert!(!found.is_empty());
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}
