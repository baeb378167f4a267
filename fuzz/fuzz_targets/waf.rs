//! WAF rule evaluation: a web ACL whose rules (statement, field, positional constraint, text
//! transformations, nesting) are picked by the input, compiled and run against a request whose
//! parts (method, path, query, a header, body, client address) are the rest of the input. No
//! panic; every transformation's output is no longer than its input (the reused buffers stay
//! bounded by the inspected value); a regex pattern taken from the input either compiles or is
//! refused with an error.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use std::net::IpAddr;
use tollgate::deploy::waf::transform::{apply, Transform};
use tollgate::deploy::waf::{compile, evaluate, Catalog, Scratch, Source};

const TRANSFORMS: &[&str] = &[
    "NONE",
    "URL_DECODE",
    "URL_DECODE_UNI",
    "LOWERCASE",
    "UPPERCASE",
    "HTML_ENTITY_DECODE",
    "COMPRESS_WHITE_SPACE",
    "REMOVE_WHITESPACE",
    "CMD_LINE",
    "BASE64_DECODE",
    "BASE64_DECODE_EXT",
    "HEX_DECODE",
    "REMOVE_NULLS",
    "REPLACE_NULLS",
    "TRIM",
    "TRIM_LEFT",
    "TRIM_RIGHT",
    "NORMALIZE_PATH",
    "NORMALIZE_PATH_WIN",
    "REPLACE_COMMENTS",
    "REMOVE_COMMENTS_CHAR",
    "MD5",
];
const IP_ARN: &str = "arn:aws:wafv2:us-east-1:000000000000:regional/ipset/f/ip";
const RE_ARN: &str = "arn:aws:wafv2:us-east-1:000000000000:regional/regexpatternset/f/re";

struct Fake<'a> {
    parts: [&'a [u8]; 6],
    peer: IpAddr,
    now: u64,
}

impl Source for Fake<'_> {
    fn method(&self) -> &[u8] {
        self.parts[0]
    }
    fn path(&self) -> &[u8] {
        self.parts[1]
    }
    fn query(&self) -> &[u8] {
        self.parts[2]
    }
    fn header(&self, name: &[u8]) -> Option<&[u8]> {
        (name == b"x-forwarded-for" || name == b"user-agent").then_some(self.parts[3])
    }
    fn body(&self) -> &[u8] {
        self.parts[4]
    }
    fn peer(&self) -> IpAddr {
        self.peer
    }
    fn now_secs(&self) -> u64 {
        self.now
    }
}

/// Reads choices off the front of the input.
struct Picks<'a>(&'a [u8]);

impl Picks<'_> {
    fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[self.byte() as usize % from.len()]
    }
}

fn transforms(p: &mut Picks) -> Value {
    let n = 1 + p.byte() as usize % 3;
    json!((0..n)
        .map(|i| json!({"Priority": i, "Type": p.pick(TRANSFORMS)}))
        .collect::<Vec<_>>())
}

fn field(p: &mut Picks) -> Value {
    match p.byte() % 8 {
        0 => json!({"UriPath": {}}),
        1 => json!({"QueryString": {}}),
        2 => json!({"AllQueryArguments": {}}),
        3 => json!({"SingleQueryArgument": {"Name": "q"}}),
        4 => json!({"SingleHeader": {"Name": "User-Agent"}}),
        5 => json!({"Method": {}}),
        6 => json!({"Body": {"OversizeHandling": p.pick(&["CONTINUE", "MATCH", "NO_MATCH"])}}),
        _ => json!({"JsonBody": {}}),
    }
}

fn statement(p: &mut Picks, pattern: &str, depth: u8) -> Value {
    let kind = p.byte() % if depth > 2 { 8 } else { 12 };
    match kind {
        0 => json!({"IPSetReferenceStatement": {"ARN": IP_ARN}}),
        1 => json!({"IPSetReferenceStatement": {"ARN": IP_ARN, "IPSetForwardedIPConfig": {
            "HeaderName": "X-Forwarded-For", "FallbackBehavior": p.pick(&["MATCH", "NO_MATCH"]),
            "Position": p.pick(&["FIRST", "LAST", "ANY"])}}}),
        2 => {
            let search = base64::engine::general_purpose::STANDARD
                .encode(&pattern.as_bytes()[..pattern.len().min(8)]);
            json!({"ByteMatchStatement": {"SearchString": search, "FieldToMatch": field(p),
                "TextTransformations": transforms(p), "PositionalConstraint":
                p.pick(&["EXACTLY", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "CONTAINS_WORD"])}})
        }
        3 => json!({"RegexMatchStatement": {"RegexString": pattern, "FieldToMatch": field(p),
            "TextTransformations": transforms(p)}}),
        4 => json!({"RegexPatternSetReferenceStatement": {"ARN": RE_ARN, "FieldToMatch": field(p),
            "TextTransformations": transforms(p)}}),
        5 => json!({"SizeConstraintStatement": {"FieldToMatch": field(p), "ComparisonOperator":
            p.pick(&["EQ", "NE", "LE", "LT", "GE", "GT"]), "Size": p.byte(),
            "TextTransformations": transforms(p)}}),
        6 => {
            json!({"SqliMatchStatement": {"FieldToMatch": field(p), "TextTransformations": transforms(p)}})
        }
        7 => {
            json!({"XssMatchStatement": {"FieldToMatch": field(p), "TextTransformations": transforms(p)}})
        }
        8 => json!({"RateBasedStatement": {"Limit": 10 + p.byte() as u64, "AggregateKeyType":
            p.pick(&["IP", "CONSTANT", "FORWARDED_IP"]), "EvaluationWindowSec": 60,
            "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}}}),
        9 => json!({"NotStatement": {"Statement": statement(p, pattern, depth + 1)}}),
        10 => {
            json!({"AndStatement": {"Statements": [statement(p, pattern, depth + 1), statement(p, pattern, depth + 1)]}})
        }
        _ => {
            json!({"OrStatement": {"Statements": [statement(p, pattern, depth + 1), statement(p, pattern, depth + 1)]}})
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // [picks (32)] [pattern, method, path, query, header, body separated by 0xff]
    let (head, tail) = data.split_at(data.len().min(32));
    let mut parts = tail.split(|&b| b == 0xff);
    let pattern = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let mut req: [&[u8]; 6] = [b""; 6];
    for slot in req.iter_mut() {
        *slot = parts.next().unwrap_or_default();
    }
    let mut p = Picks(head);

    // Each transformation alone keeps the value's length bounded.
    let mut scratch = Scratch::default();
    for name in TRANSFORMS {
        if let Some(t) = Transform::parse(name) {
            let out = apply(&[t], req[1], &mut scratch.bufs);
            assert!(
                out.len() <= req[1].len(),
                "{name} grew {} -> {}",
                req[1].len(),
                out.len()
            );
        }
    }

    let mut catalog = Catalog::default();
    catalog.add_ip_set(
        IP_ARN,
        Catalog::parse_addresses("IPV4", &["10.0.0.0/8".into()]).unwrap(),
    );
    if let Ok(set) = Catalog::compile_patterns(&[pattern.clone()]) {
        catalog.add_regex_set(RE_ARN, set);
    }
    let rules: Vec<Value> = (0..1 + p.byte() % 4)
        .map(|i| {
            let action = p.pick(&["Allow", "Block", "Count"]);
            json!({"Name": format!("r{i}"), "Priority": p.byte(), "Action": {action: {}},
                   "Statement": statement(&mut p, &pattern, 0),
                   "VisibilityConfig": {"SampledRequestsEnabled": false,
                       "CloudWatchMetricsEnabled": false, "MetricName": "m"}})
        })
        .collect();
    let acl =
        json!({"Id": "fuzz", "DefaultAction": {p.pick(&["Allow", "Block"]): {}}, "Rules": rules});
    let Ok(program) = compile(&acl, &catalog) else {
        return;
    };
    let octet = p.byte();
    let fake = Fake {
        parts: req,
        peer: IpAddr::from([10, 0, 0, octet]),
        now: u64::from(p.byte()) * 7,
    };
    let out = evaluate(&program, &fake, &mut scratch);
    if let Some(r) = out.rule {
        assert!((r as usize) < program.rules.len());
    }
    if let Some(r) = out.response {
        assert!((r as usize) < program.responses.len());
    }
});
