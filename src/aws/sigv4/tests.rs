//! Fixed vectors (AWS's SigV4 test suite and one produced by botocore 1.x's `SigV4Auth` for this
//! service) and every refusal path, table-driven.

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 20150830T123600Z, the instant every vector was signed at.
const T0: u64 = 1_440_938_160;

struct Req {
    method: &'static str,
    path: &'static str,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn new(method: &'static str, path: &'static str, headers: &[(&str, &str)]) -> Req {
        Req {
            method,
            path,
            query: Vec::new(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }
    fn query(mut self, pairs: &[(&str, &str)]) -> Req {
        self.query = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self
    }
    fn body(mut self, b: &[u8]) -> Req {
        self.body = b.to_vec();
        self
    }
    fn view(&self) -> RequestView<'_> {
        RequestView {
            method: self.method,
            path: self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
    fn verify(&self, service: &str, now: u64) -> Result<Verified, SigV4Error> {
        verify(&self.view(), service, now, |id| {
            (id == "AKIDEXAMPLE" || id == "AKIAIOSFODNN7EXAMPLE").then_some(SECRET)
        })
    }
    /// Adds an Authorization header signed with this module's own pieces.
    fn signed(mut self, key: &str, secret: &str, region: &str, service: &str) -> Req {
        let date = self.view().header("x-amz-date").unwrap().to_string();
        let mut names: Vec<String> = self
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        let signed: Vec<&str> = names.iter().map(String::as_str).collect();
        let hash = hex(&Sha256::digest(&self.body));
        let scope = format!("{}/{region}/{service}/aws4_request", &date[..8]);
        let sts = string_to_sign(
            &date,
            &scope,
            &canonical_request(&self.view(), &signed, &hash),
        );
        let sig = signature(secret, &date[..8], region, service, &sts);
        self.headers.push((
            "Authorization".into(),
            format!(
                "{ALGORITHM} Credential={key}/{scope}, SignedHeaders={}, Signature={sig}",
                signed.join(";")
            ),
        ));
        self
    }
}

fn auth_header(scope: &str, signed: &str, sig: &str) -> (&'static str, String) {
    (
        "Authorization",
        format!("{ALGORITHM} Credential={scope}, SignedHeaders={signed}, Signature={sig}"),
    )
}

fn with_auth(mut r: Req, scope: &str, signed: &str, sig: &str) -> Req {
    let (n, v) = auth_header(scope, signed, sig);
    r.headers.push((n.into(), v));
    r
}

const SUITE_SCOPE: &str = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

#[test]
fn aws_suite_get_vanilla() {
    let r = with_auth(
        Req::new(
            "GET",
            "/",
            &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
        ),
        SUITE_SCOPE,
        "host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
    let v = r.verify("service", T0).unwrap();
    assert_eq!(v.access_key_id, "AKIDEXAMPLE");
    assert_eq!(v.region, "us-east-1");
}

#[test]
fn aws_suite_get_vanilla_query_order_key_case() {
    let r = with_auth(
        Req::new(
            "GET",
            "/",
            &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
        )
        .query(&[("Param2", "value2"), ("Param1", "value1")]),
        SUITE_SCOPE,
        "host;x-amz-date",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    );
    assert!(r.verify("service", T0).is_ok());
}

#[test]
fn aws_suite_post_x_www_form_urlencoded() {
    let r = with_auth(
        Req::new(
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
        )
        .body(b"Param1=value1"),
        SUITE_SCOPE,
        "content-type;host;x-amz-date",
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    );
    assert!(r.verify("service", T0).is_ok());
}

/// Produced by botocore's `SigV4Auth(creds, "apigateway", "eu-west-1").add_auth` on
/// `PATCH http://127.0.0.1:9901/restapis/a1b2c3/resources/r%2Fx%20y/methods/GET?name=a%20b&mode=merge&x=%2F~`
/// with the clock fixed at 2015-08-30 12:36:00: an encoded path (double-encoded in the canonical
/// URI), encoded query values, a JSON body and a port in Host.
fn botocore_patch() -> Req {
    with_auth(
        Req::new(
            "PATCH",
            "/restapis/a1b2c3/resources/r%2Fx%20y/methods/GET",
            &[
                ("Host", "127.0.0.1:9901"),
                ("Content-Type", "application/json"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
        )
        .query(&[("name", "a b"), ("mode", "merge"), ("x", "/~")])
        .body(br#"{"patchOperations":[]}"#),
        "AKIAIOSFODNN7EXAMPLE/20150830/eu-west-1/apigateway/aws4_request",
        "content-type;host;x-amz-date",
        "e51fa07098f83126e034847df44eea0fa76a36515dd6a9c02e10b4c71da3e0e6",
    )
}

#[test]
fn botocore_vector_for_apigateway() {
    let v = botocore_patch().verify("apigateway", T0).unwrap();
    assert_eq!(v.region, "eu-west-1");
}

#[test]
fn header_order_and_name_case_do_not_matter() {
    let mut r = botocore_patch();
    r.headers.reverse();
    for (n, _) in &mut r.headers {
        *n = n.to_ascii_uppercase();
    }
    // Extra whitespace around and inside a signed value is canonicalised away.
    r.headers
        .iter_mut()
        .find(|(n, _)| n == "CONTENT-TYPE")
        .unwrap()
        .1 = "  application/json ".into();
    assert!(r.verify("apigateway", T0).is_ok());
    // Unsigned extra headers are ignored.
    r.headers.push(("User-Agent".into(), "anything".into()));
    assert!(r.verify("apigateway", T0).is_ok());
}

#[test]
fn any_change_to_a_signed_part_is_a_mismatch() {
    let tamper: [fn(&mut Req); 6] = [
        |r| r.method = "PUT",
        |r| r.path = "/restapis/a1b2c3/resources/r%2Fx%20z/methods/GET",
        |r| r.query[0].1 = "a  b".into(),
        |r| r.body.push(b' '),
        |r| r.headers[0].1 = "127.0.0.1:9902".into(),
        |r| r.headers.push(("content-type".into(), "text/plain".into())),
    ];
    for (i, t) in tamper.iter().enumerate() {
        let mut r = botocore_patch();
        t(&mut r);
        assert_eq!(
            r.verify("apigateway", T0),
            Err(SigV4Error::Mismatch),
            "case {i}"
        );
    }
}

#[test]
fn signing_with_our_pieces_round_trips_encoded_queries() {
    let r = Req::new(
        "GET",
        "/restapis/x%2Fy/%7Euser",
        &[("host", "h:1"), ("x-amz-date", "20150830T123600Z")],
    )
    .query(&[("nameQuery", "a+b c/d?é"), ("limit", "5"), ("limit", "10")])
    .signed("AKIDEXAMPLE", SECRET, "ap-south-1", "apigateway");
    assert!(r.verify("apigateway", T0).is_ok());
}

#[test]
fn clock_skew_beyond_five_minutes_is_refused_both_ways() {
    let r = botocore_patch();
    assert!(r.verify("apigateway", T0 + 300).is_ok());
    assert!(r.verify("apigateway", T0 - 300).is_ok());
    let late = r.verify("apigateway", T0 + 301).unwrap_err();
    assert_eq!(
        late.message(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z \
         (20150830T124101Z - 5 min.)"
    );
    let early = r.verify("apigateway", T0 - 301).unwrap_err();
    assert_eq!(
        early.message(),
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z \
         (20150830T123059Z + 5 min.)"
    );
}

#[test]
fn unknown_key_and_wrong_secret() {
    let r = Req::new(
        "GET",
        "/restapis",
        &[("host", "h"), ("x-amz-date", "20150830T123600Z")],
    );
    let unknown = clone(&r).signed("AKIANOBODY", SECRET, "us-east-1", "apigateway");
    assert_eq!(
        unknown.verify("apigateway", T0),
        Err(SigV4Error::UnknownAccessKey)
    );
    let wrong = clone(&r).signed("AKIDEXAMPLE", "not-the-secret", "us-east-1", "apigateway");
    assert_eq!(wrong.verify("apigateway", T0), Err(SigV4Error::Mismatch));
}

fn clone(r: &Req) -> Req {
    Req {
        method: r.method,
        path: r.path,
        query: r.query.clone(),
        headers: r.headers.clone(),
        body: r.body.clone(),
    }
}

#[test]
fn scope_must_name_the_service_date_and_terminator() {
    let base = || {
        Req::new(
            "GET",
            "/",
            &[("host", "h"), ("x-amz-date", "20150830T123600Z")],
        )
    };
    let sig = "0".repeat(64);
    for (scope, want) in [
        (
            "AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request",
            "Credential should be scoped to correct service: 'apigateway'. ",
        ),
        (
            "AKIDEXAMPLE/20150830/us-east-1/apigateway/aws5_request",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
        ),
        (
            "AKIDEXAMPLE/20150831/us-east-1/apigateway/aws4_request",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '20150831' != '20150830', from 'X-Amz-Date'.",
        ),
        (
            "AKIDEXAMPLE/20150830//apigateway/aws4_request",
            "Credential should be scoped to a valid region. ",
        ),
    ] {
        let r = with_auth(base(), scope, "host;x-amz-date", &sig);
        assert_eq!(
            r.verify("apigateway", T0),
            Err(SigV4Error::Scope(want.into())),
            "{scope}"
        );
    }
}

#[test]
fn missing_or_malformed_date_and_header() {
    let r = Req::new("GET", "/", &[("host", "h")]);
    assert_eq!(r.verify("apigateway", T0), Err(SigV4Error::Missing));
    let no_date = with_auth(
        Req::new("GET", "/", &[("host", "h")]),
        SUITE_SCOPE,
        "host",
        "00",
    );
    assert!(matches!(
        no_date.verify("service", T0),
        Err(SigV4Error::Incomplete(m)) if m.contains("'X-Amz-Date' or a 'Date' header")
    ));
    let bad_date = with_auth(
        Req::new("GET", "/", &[("host", "h"), ("x-amz-date", "2015-08-30")]),
        SUITE_SCOPE,
        "host",
        "00",
    );
    assert_eq!(
        bad_date.verify("service", T0),
        Err(SigV4Error::Incomplete(
            "Date must be in ISO-8601 'basic format'. Got '2015-08-30'. \
             See http://en.wikipedia.org/wiki/ISO_8601"
                .into()
        ))
    );
}

#[test]
fn content_sha256_header_must_match_the_body() {
    let body_hash = hex(&Sha256::digest(br#"{"patchOperations":[]}"#));
    let mut r = botocore_patch();
    r.headers.push((
        "X-Amz-Content-Sha256".into(),
        body_hash.to_ascii_uppercase(),
    ));
    // Present, equal and unsigned: accepted (the body hash is what was signed).
    assert!(r.verify("apigateway", T0).is_ok());
    let mut r = botocore_patch();
    r.headers
        .push(("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
    assert_eq!(
        r.verify("apigateway", T0),
        Err(SigV4Error::PayloadHashMismatch)
    );
}

#[test]
fn constant_time_eq_is_plain_equality() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
    assert!(constant_time_eq(b"", b""));
}
