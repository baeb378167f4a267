//! The compiler and evaluator together: web ACL JSON in, decisions for made-up requests out.

use super::*;
use serde_json::json;
use std::net::IpAddr;

pub struct Fake<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
    pub peer: &'a str,
    pub now: u64,
}

impl Default for Fake<'_> {
    fn default() -> Self {
        Fake {
            method: "GET",
            path: "/prod/items",
            query: "",
            headers: &[],
            body: b"",
            peer: "192.0.2.10",
            now: 1_000_000,
        }
    }
}

impl Source for Fake<'_> {
    fn method(&self) -> &[u8] {
        self.method.as_bytes()
    }
    fn path(&self) -> &[u8] {
        self.path.as_bytes()
    }
    fn query(&self) -> &[u8] {
        self.query.as_bytes()
    }
    fn header(&self, name: &[u8]) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes())
    }
    fn body(&self) -> &[u8] {
        self.body
    }
    fn peer(&self) -> IpAddr {
        self.peer.parse().unwrap()
    }
    fn now_secs(&self) -> u64 {
        self.now
    }
}

const IPV4: &str = "arn:aws:wafv2:us-east-1:000000000000:regional/ipset/v4/id4";
const IPV6: &str = "arn:aws:wafv2:us-east-1:000000000000:regional/ipset/v6/id6";
const PATTERNS: &str = "arn:aws:wafv2:us-east-1:000000000000:regional/regexpatternset/p/idp";

fn catalog() -> Catalog {
    let mut c = Catalog::default();
    let v4 = Catalog::parse_addresses("IPV4", &["203.0.113.0/24".into()]).unwrap();
    c.add_ip_set(IPV4, v4);
    let v6 = Catalog::parse_addresses("IPV6", &["2001:db8::/32".into()]).unwrap();
    c.add_ip_set(IPV6, v6);
    let p = Catalog::compile_patterns(&["^/prod/admin".into(), "(?i)wp-login".into()]).unwrap();
    c.add_regex_set(PATTERNS, p);
    c
}

fn tx(names: &[&str]) -> serde_json::Value {
    json!(names
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"Priority": i, "Type": n}))
        .collect::<Vec<_>>())
}

fn rule(
    name: &str,
    priority: i64,
    action: serde_json::Value,
    s: serde_json::Value,
) -> serde_json::Value {
    json!({"Name": name, "Priority": priority, "Action": action, "Statement": s,
           "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": name}})
}

fn acl(rules: Vec<serde_json::Value>) -> serde_json::Value {
    json!({"Id": "acl1", "ARN": "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/t/acl1",
           "DefaultAction": {"Allow": {}}, "Rules": rules,
           "CustomResponseBodies": {"denied": {"ContentType": "APPLICATION_JSON", "Content": "{\"denied\":true}"}}})
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn program() -> Program {
    let block = json!({"Block": {}});
    let rules = vec![
        rule(
            "v4",
            0,
            block.clone(),
            json!({"IPSetReferenceStatement": {"ARN": IPV4}}),
        ),
        rule(
            "v6",
            1,
            block.clone(),
            json!({"IPSetReferenceStatement": {"ARN": IPV6}}),
        ),
        rule(
            "xff",
            2,
            block.clone(),
            json!({"IPSetReferenceStatement": {"ARN": IPV4,
            "IPSetForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH", "Position": "FIRST"}}}),
        ),
        rule(
            "sqli",
            3,
            block.clone(),
            json!({"SqliMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}},
            "TextTransformations": tx(&["URL_DECODE"])}}),
        ),
        rule(
            "xss-body",
            4,
            json!({"Block": {"CustomResponse": {"ResponseCode": 406, "CustomResponseBodyKey": "denied",
            "ResponseHeaders": [{"Name": "reason", "Value": "xss"}]}}}),
            json!({"XssMatchStatement": {"FieldToMatch": {"Body": {}}, "TextTransformations": tx(&["NONE"])}}),
        ),
        rule(
            "agent",
            5,
            block.clone(),
            json!({"ByteMatchStatement": {"SearchString": b64("badbot"),
            "FieldToMatch": {"SingleHeader": {"Name": "User-Agent"}}, "TextTransformations": tx(&["LOWERCASE"]),
            "PositionalConstraint": "CONTAINS_WORD"}}),
        ),
        rule(
            "admin",
            6,
            block.clone(),
            json!({"RegexPatternSetReferenceStatement": {"ARN": PATTERNS,
            "FieldToMatch": {"UriPath": {}}, "TextTransformations": tx(&["NONE"])}}),
        ),
        rule(
            "big",
            7,
            block.clone(),
            json!({"SizeConstraintStatement": {"FieldToMatch": {"SingleQueryArgument": {"Name": "q"}},
            "ComparisonOperator": "GT", "Size": 20, "TextTransformations": tx(&["NONE"])}}),
        ),
        rule(
            "count-posts",
            8,
            json!({"Count": {}}),
            json!({"ByteMatchStatement": {"SearchString": b64("POST"),
            "FieldToMatch": {"Method": {}}, "TextTransformations": tx(&["NONE"]), "PositionalConstraint": "EXACTLY"}}),
        ),
        rule(
            "not-json",
            9,
            block.clone(),
            json!({"AndStatement": {"Statements": [
            {"ByteMatchStatement": {"SearchString": b64("PUT"), "FieldToMatch": {"Method": {}},
                "TextTransformations": tx(&["NONE"]), "PositionalConstraint": "EXACTLY"}},
            {"NotStatement": {"Statement": {"RegexMatchStatement": {"RegexString": "^application/json",
                "FieldToMatch": {"SingleHeader": {"Name": "content-type"}}, "TextTransformations": tx(&["LOWERCASE"])}}}}]}}),
        ),
    ];
    compile(&acl(rules), &catalog()).unwrap()
}

#[test]
fn requests_against_a_multi_rule_acl() {
    let p = program();
    let mut s = Scratch::default();
    let blocked_by = |f: Fake| {
        let o = evaluate(&p, &f, &mut Scratch::default());
        o.blocked
            .then(|| &*p.rules[o.rule.unwrap() as usize].name)
            .map(str::to_string)
    };
    let by = |r: &str| Some(r.to_string());
    let cases: Vec<(Fake, Option<String>)> = vec![
        (Fake::default(), None),
        (
            Fake {
                peer: "203.0.113.7",
                ..Default::default()
            },
            by("v4"),
        ),
        (
            Fake {
                peer: "2001:db8::5",
                ..Default::default()
            },
            by("v6"),
        ),
        (
            Fake {
                peer: "::ffff:203.0.113.9",
                ..Default::default()
            },
            by("v4"),
        ),
        (
            Fake {
                headers: &[("x-forwarded-for", "203.0.113.1, 10.0.0.1")],
                ..Default::default()
            },
            by("xff"),
        ),
        (
            Fake {
                headers: &[("x-forwarded-for", "10.0.0.1, 203.0.113.1")],
                ..Default::default()
            },
            None,
        ),
        (
            Fake {
                query: "id=1%27%20OR%20%271%27%3D%271",
                ..Default::default()
            },
            by("sqli"),
        ),
        (
            Fake {
                query: "id=42&name=alice",
                ..Default::default()
            },
            None,
        ),
        (
            Fake {
                method: "POST",
                body: b"<script>alert(1)</script>",
                ..Default::default()
            },
            by("xss-body"),
        ),
        (
            Fake {
                method: "POST",
                body: b"{\"name\":\"alice\"}",
                ..Default::default()
            },
            None,
        ),
        (
            Fake {
                headers: &[("user-agent", "Mozilla BadBot/1.0")],
                ..Default::default()
            },
            by("agent"),
        ),
        (
            Fake {
                headers: &[("user-agent", "notabadbotreally")],
                ..Default::default()
            },
            None,
        ),
        (
            Fake {
                path: "/prod/admin/users",
                ..Default::default()
            },
            by("admin"),
        ),
        (
            Fake {
                path: "/prod/WP-LOGIN.php",
                ..Default::default()
            },
            by("admin"),
        ),
        (
            Fake {
                query: "q=aaaaaaaaaaaaaaaaaaaaaaaaa",
                ..Default::default()
            },
            by("big"),
        ),
        (
            Fake {
                query: "Q=short",
                ..Default::default()
            },
            None,
        ),
        (
            Fake {
                method: "PUT",
                headers: &[("content-type", "text/plain")],
                ..Default::default()
            },
            by("not-json"),
        ),
        (
            Fake {
                method: "PUT",
                headers: &[("content-type", "Application/JSON")],
                ..Default::default()
            },
            None,
        ),
    ];
    for (i, (f, want)) in cases.into_iter().enumerate() {
        assert_eq!(blocked_by(f), want, "case {i}");
    }
    // The custom response carries the body and the prefixed header.
    let o = evaluate(
        &p,
        &Fake {
            body: b"<img src=x onerror=alert(1)>",
            ..Default::default()
        },
        &mut s,
    );
    let r = &p.responses[o.response.unwrap() as usize];
    assert_eq!(r.status, 406);
    assert_eq!(&*r.body, b"{\"denied\":true}");
    assert_eq!(&*r.headers[0].0, "x-amzn-waf-reason");
    // Count does not terminate.
    let o = evaluate(
        &p,
        &Fake {
            method: "POST",
            ..Default::default()
        },
        &mut s,
    );
    assert_eq!((o.blocked, o.counted), (false, 1));
}

#[test]
fn lower_priority_number_wins() {
    let byte = |s: &str| {
        json!({"ByteMatchStatement": {"SearchString": b64(s), "FieldToMatch": {"UriPath": {}},
        "TextTransformations": tx(&["NONE"]), "PositionalConstraint": "CONTAINS"}})
    };
    // Listed in the other order: the priority decides.
    let a = acl(vec![
        rule("block", 20, json!({"Block": {}}), byte("x")),
        rule("allow", 10, json!({"Allow": {}}), byte("x")),
    ]);
    let p = compile(&a, &catalog()).unwrap();
    let o = evaluate(
        &p,
        &Fake {
            path: "/x",
            ..Default::default()
        },
        &mut Scratch::default(),
    );
    assert!(!o.blocked);
    assert_eq!(&*p.rules[o.rule.unwrap() as usize].name, "allow");
}

#[test]
fn default_block_and_body_oversize() {
    let mut a = acl(vec![rule(
        "ok",
        0,
        json!({"Allow": {}}),
        json!({"SizeConstraintStatement": {
        "FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}}, "ComparisonOperator": "LT", "Size": 0,
        "TextTransformations": tx(&["NONE"])}}),
    )]);
    a["DefaultAction"] = json!({"Block": {}});
    let p = compile(&a, &catalog()).unwrap();
    let big = vec![b'a'; BODY_LIMIT + 1];
    let mut s = Scratch::default();
    assert!(
        !evaluate(
            &p,
            &Fake {
                body: &big,
                ..Default::default()
            },
            &mut s
        )
        .blocked
    );
    assert!(
        evaluate(
            &p,
            &Fake {
                body: b"small",
                ..Default::default()
            },
            &mut s
        )
        .blocked
    );
}

#[test]
fn rate_based_blocks_over_the_limit_and_recovers_next_window() {
    let a = json!({"Id": "rate-acl", "DefaultAction": {"Allow": {}}, "Rules": [rule("rate", 0, json!({"Block": {}}),
        json!({"RateBasedStatement": {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP",
            "ScopeDownStatement": {"ByteMatchStatement": {"SearchString": b64("/limited"), "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tx(&["NONE"]), "PositionalConstraint": "STARTS_WITH"}}}}))]});
    let p = compile(&a, &catalog()).unwrap();
    let mut s = Scratch::default();
    let at = |now, peer, path| Fake {
        now,
        peer,
        path,
        ..Default::default()
    };
    for i in 0..10 {
        assert!(
            !evaluate(&p, &at(600, "192.0.2.1", "/limited"), &mut s).blocked,
            "{i}"
        );
    }
    assert!(evaluate(&p, &at(601, "192.0.2.1", "/limited"), &mut s).blocked);
    // Another client, and requests out of scope, are not limited.
    assert!(!evaluate(&p, &at(601, "192.0.2.2", "/limited"), &mut s).blocked);
    assert!(!evaluate(&p, &at(601, "192.0.2.1", "/other"), &mut s).blocked);
    assert!(!evaluate(&p, &at(660, "192.0.2.1", "/limited"), &mut s).blocked);
}

#[test]
fn what_cannot_be_enforced_is_refused_by_name() {
    let cat = catalog();
    let with =
        |s: serde_json::Value| compile(&acl(vec![rule("r", 0, json!({"Block": {}}), s)]), &cat);
    let field = json!({"UriPath": {}});
    let cases = [
        (
            json!({"GeoMatchStatement": {"CountryCodes": ["US"]}}),
            "GeoMatchStatement",
        ),
        (json!({"BogusStatement": {}}), "BogusStatement"),
        (
            json!({"RegexMatchStatement": {"RegexString": "(", "FieldToMatch": field, "TextTransformations": tx(&["NONE"])}}),
            "REGEX_PATTERN",
        ),
        (
            json!({"RegexMatchStatement": {"RegexString": "(?=x)", "FieldToMatch": field, "TextTransformations": tx(&["NONE"])}}),
            "REGEX_PATTERN",
        ),
        (
            json!({"SqliMatchStatement": {"FieldToMatch": field, "TextTransformations": tx(&["MD5"])}}),
            "MD5",
        ),
        (
            json!({"SqliMatchStatement": {"FieldToMatch": {"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL"}}, "TextTransformations": tx(&["NONE"])}}),
            "JsonBody",
        ),
        (
            json!({"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:000000000000:regional/ipset/x/none"}}),
            "IP_SET_REFERENCE",
        ),
        (
            json!({"RateBasedStatement": {"Limit": 5, "AggregateKeyType": "IP"}}),
            "Limit",
        ),
        (
            json!({"RateBasedStatement": {"Limit": 100, "EvaluationWindowSec": 30, "AggregateKeyType": "IP"}}),
            "EvaluationWindowSec",
        ),
        (
            json!({"NotStatement": {"Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}}}),
            "nested",
        ),
        (
            json!({"SqliMatchStatement": {"FieldToMatch": field, "TextTransformations": tx(&["NONE"]),
                "SensitivityLevel": "HIGH"}}),
            "HIGH",
        ),
        (
            json!({"XssMatchStatement": {"FieldToMatch": field, "TextTransformations": tx(&["NONE"]),
                "PreParseTextTransformations": [{"Priority": 0, "Type": "NONE"}]}}),
            "PreParseTextTransformations",
        ),
        (
            json!({"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "CUSTOM_KEYS"}}),
            "CUSTOM_KEYS",
        ),
    ];
    for (s, needle) in cases {
        let e = with(s.clone()).unwrap_err();
        assert!(e.contains(needle), "{s}: {e}");
    }
    assert!(Catalog::parse_addresses("IPV4", &["2001:db8::/32".into()]).is_err());
    assert!(Catalog::parse_addresses("IPV6", &["2001:db8::/129".into()]).is_err());
}
