//! WAF evaluation cost per request through the benchmark's ten-rule web ACL (the shape
//! `bench/wrk/waf_setup.py` creates): a plain GET every rule inspects and lets through, a POST
//! with a 1 KB JSON body, and a GET the SQL injection rule blocks. Run with
//! `cargo bench --bench waf_eval`.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use std::hint::black_box;
use std::net::IpAddr;
use tollgate::deploy::waf::{compile, evaluate, Catalog, Program, Scratch, Source};

struct Req<'a> {
    method: &'a [u8],
    path: &'a [u8],
    query: &'a [u8],
    body: &'a [u8],
}

impl Source for Req<'_> {
    fn method(&self) -> &[u8] {
        self.method
    }
    fn path(&self) -> &[u8] {
        self.path
    }
    fn query(&self) -> &[u8] {
        self.query
    }
    fn header(&self, name: &[u8]) -> Option<&[u8]> {
        (name == b"user-agent").then_some(&b"wrk/4.2 (benchmark)"[..])
    }
    fn body(&self) -> &[u8] {
        self.body
    }
    fn peer(&self) -> IpAddr {
        IpAddr::from([127, 0, 0, 1])
    }
    fn now_secs(&self) -> u64 {
        1_700_000_000
    }
}

fn tx(names: &[&str]) -> Value {
    json!(names
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"Priority": i, "Type": n}))
        .collect::<Vec<_>>())
}

fn program() -> Program {
    let ip = "arn:aws:wafv2:us-east-1:000000000000:regional/ipset/b/ip";
    let re = "arn:aws:wafv2:us-east-1:000000000000:regional/regexpatternset/b/re";
    let mut catalog = Catalog::default();
    catalog.add_ip_set(
        ip,
        Catalog::parse_addresses("IPV4", &["203.0.113.0/24".into(), "198.51.100.0/24".into()])
            .unwrap(),
    );
    catalog.add_regex_set(
        re,
        Catalog::compile_patterns(&["^/[^/]+/admin".into(), "(?i)wp-(login|admin)".into()])
            .unwrap(),
    );
    let byte = |s: &str, f: Value, p: &str| {
        use base64::Engine as _;
        json!({"ByteMatchStatement": {"SearchString": base64::engine::general_purpose::STANDARD.encode(s),
            "FieldToMatch": f, "TextTransformations": tx(&["NONE"]), "PositionalConstraint": p}})
    };
    let statements = [
        json!({"IPSetReferenceStatement": {"ARN": ip}}),
        json!({"ByteMatchStatement": {"SearchString": "YmFkYm90", "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
            "TextTransformations": tx(&["LOWERCASE"]), "PositionalConstraint": "CONTAINS"}}),
        json!({"RegexMatchStatement": {"RegexString": "\\.(php|asp|jsp)$", "FieldToMatch": {"UriPath": {}}, "TextTransformations": tx(&["NONE"])}}),
        json!({"RegexPatternSetReferenceStatement": {"ARN": re, "FieldToMatch": {"UriPath": {}}, "TextTransformations": tx(&["NONE"])}}),
        json!({"SizeConstraintStatement": {"FieldToMatch": {"QueryString": {}}, "ComparisonOperator": "GT", "Size": 2048, "TextTransformations": tx(&["NONE"])}}),
        json!({"SqliMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}}, "TextTransformations": tx(&["URL_DECODE"])}}),
        json!({"XssMatchStatement": {"FieldToMatch": {"QueryString": {}}, "TextTransformations": tx(&["URL_DECODE", "HTML_ENTITY_DECODE"])}}),
        json!({"SqliMatchStatement": {"FieldToMatch": {"Body": {}}, "TextTransformations": tx(&["NONE"])}}),
        json!({"RateBasedStatement": {"Limit": 2_000_000_000u64, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}}),
        json!({"OrStatement": {"Statements": [
            {"AndStatement": {"Statements": [byte("DELETE", json!({"Method": {}}), "EXACTLY"),
                {"NotStatement": {"Statement": byte("/prod/", json!({"UriPath": {}}), "STARTS_WITH")}}]}},
            byte("1", json!({"SingleQueryArgument": {"Name": "debug"}}), "EXACTLY")]}}),
    ];
    let vis = json!({"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "b"});
    let rules: Vec<Value> = statements
        .into_iter()
        .enumerate()
        .map(|(i, s)| json!({"Name": format!("r{i}"), "Priority": i, "Action": {"Block": {}}, "Statement": s, "VisibilityConfig": vis}))
        .collect();
    let acl = json!({"Id": "bench", "DefaultAction": {"Allow": {}}, "Rules": rules});
    compile(&acl, &catalog).unwrap()
}

fn bench(c: &mut Criterion) {
    let p = program();
    let mut scratch = Scratch::with_capacity(16 * 1024);
    let body = format!(
        "{{\"items\":[{}]}}",
        (0..40)
            .map(|i| format!("{{\"id\":{i},\"name\":\"item {i}\"}}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let cases: [(&str, Req, bool); 3] = [
        (
            "get_allowed",
            Req {
                method: b"GET",
                path: b"/prod/items/42",
                query: b"page=2&sort=name",
                body: b"",
            },
            false,
        ),
        (
            "post_1k_json_allowed",
            Req {
                method: b"POST",
                path: b"/prod/items",
                query: b"",
                body: body.as_bytes(),
            },
            false,
        ),
        (
            "get_sqli_blocked",
            Req {
                method: b"GET",
                path: b"/prod/items",
                query: b"id=1%27%20OR%20%271%27%3D%271",
                body: b"",
            },
            true,
        ),
    ];
    for (name, req, blocked) in cases {
        assert_eq!(evaluate(&p, &req, &mut scratch).blocked, blocked, "{name}");
        c.bench_function(&format!("waf_ten_rules/{name}"), |b| {
            b.iter(|| black_box(evaluate(&p, black_box(&req), &mut scratch)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
