use super::*;
use crate::deploy::compile::{build_snapshot, compile_stage, UpstreamInterner};
use crate::deploy::gateway_responses::CustomResponse;
use crate::deploy::model::{GatewayResponse, RestApi, Stage};
use crate::deploy::snapshot::ApiRuntime;
use crate::http::{request, Limits};
use std::collections::BTreeMap;

const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";
const ID: &[u8] = b"11111111-2222-3333-4444-555555555555";

struct Req {
    buf: Vec<u8>,
    head: RequestHead,
}

fn req(text: &str) -> Req {
    let buf = text.as_bytes().to_vec();
    let mut head = RequestHead::new();
    request::parse(&buf, &Limits::default(), &mut head)
        .unwrap()
        .expect("a complete head");
    Req { buf, head }
}

fn site(r: &Req) -> ErrorSite<'_> {
    ErrorSite {
        buf: &r.buf,
        head: Some(&r.head),
        routed: None,
        peer: "10.0.0.7".parse().unwrap(),
        request_id: ID,
        date: DATE,
        epoch_ms: 1234,
    }
}

/// (status, headers, body) of one rendered response.
fn parse_response(out: &[u8]) -> (u16, Vec<(String, String)>, String) {
    let text = String::from_utf8(out.to_vec()).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(": ").unwrap();
            (n.to_string(), v.to_string())
        })
        .collect::<Vec<_>>();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "Content-Length")
        .unwrap()
        .1
        .parse()
        .unwrap();
    assert!(body.is_empty() || body.len() == len, "{text}");
    (status, headers, body.to_string())
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn rendered(
    table: &GatewayResponses,
    err: GatewayError,
    r: &Req,
) -> (u16, Vec<(String, String)>, String) {
    let mut out = b"PREVIOUS".to_vec();
    render(table, &err, &site(r), false, false, &mut out);
    assert!(out.starts_with(b"PREVIOUS"), "appends, never clears");
    parse_response(&out[8..])
}

/// (type, statusCode, responseParameters, responseTemplates).
type Spec<'a> = (
    &'a str,
    Option<&'a str>,
    &'a [(&'a str, &'a str)],
    &'a [(&'a str, &'a str)],
);

fn compiled(list: &[Spec<'_>]) -> GatewayResponses {
    let api = RestApi {
        id: "a1".into(),
        gateway_responses: list
            .iter()
            .map(|(t, s, p, tpl)| GatewayResponse {
                response_type: t.to_string(),
                status_code: s.map(str::to_string),
                response_parameters: p
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                response_templates: tpl
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                default_response: false,
            })
            .collect(),
        ..RestApi::default()
    };
    let stage = Stage {
        stage_name: "prod".into(),
        ..Stage::default()
    };
    compile_stage(&api, &stage, &mut UpstreamInterner::default())
        .unwrap()
        .gateway_responses
}

#[test]
fn every_type_renders_its_aws_default() {
    let r = req("GET /prod/x HTTP/1.1\r\nHost: h\r\n\r\n");
    for t in ResponseType::ALL {
        let mut err = GatewayError::of(t);
        if t.defaults().status.is_none() {
            err.status = if t == ResponseType::Default5xx {
                500
            } else {
                400
            };
            err.message = Some("Bad Request");
        }
        let (status, headers, body) = rendered(&AWS_DEFAULTS, err, &r);
        assert_eq!(status, t.defaults().status.unwrap_or(err.status), "{t:?}");
        assert_eq!(
            header(&headers, "x-amzn-ErrorType"),
            t.defaults().error_type,
            "{t:?}"
        );
        assert_eq!(header(&headers, "Content-Type"), Some("application/json"));
        assert_eq!(header(&headers, "x-amzn-RequestId").unwrap().as_bytes(), ID);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let want = err.message.map_or(serde_json::Value::Null, |m| m.into());
        assert_eq!(json, serde_json::json!({ "message": want }), "{t:?}");
    }
}

#[test]
fn customisations_apply_by_type_then_family() {
    let cors: &[(&str, &str)] = &[("gatewayresponse.header.Access-Control-Allow-Origin", "'*'")];
    let table = compiled(&[
        ("DEFAULT_4XX", None, cors, &[]),
        (
            "THROTTLED",
            Some("503"),
            &[("gatewayresponse.header.X-Own", "'yes'")],
            &[],
        ),
        ("UNSUPPORTED_MEDIA_TYPE", Some("400"), &[], &[]),
    ]);
    let r = req("GET /prod/x HTTP/1.1\r\nHost: h\r\n\r\n");
    let too_large = GatewayError {
        status: 413,
        message: Some("Request Too Long"),
        ..GatewayError::of(ResponseType::RequestTooLarge)
    };
    let framing = GatewayError {
        response_type: ResponseType::Default4xx,
        status: 431,
        message: Some("Request Header Fields Too Large"),
        error_type: None,
        missing_params: 0,
        body_model: None,
    };
    // (error, status, Access-Control-Allow-Origin, X-Own)
    let cases = [
        (
            GatewayError::of(ResponseType::MissingAuthenticationToken),
            403,
            Some("*"),
            None,
        ),
        (too_large, 413, Some("*"), None),
        (framing, 431, Some("*"), None),
        (
            GatewayError::of(ResponseType::Throttled),
            503,
            None,
            Some("yes"),
        ),
        (
            GatewayError::of(ResponseType::UnsupportedMediaType),
            400,
            None,
            None,
        ),
        (
            GatewayError::of(ResponseType::IntegrationTimeout),
            504,
            None,
            None,
        ),
    ];
    for (err, status, cors, own) in cases {
        let (got, headers, body) = rendered(&table, err, &r);
        let t = err.response_type;
        assert_eq!(got, status, "{t:?}");
        assert_eq!(
            header(&headers, "Access-Control-Allow-Origin"),
            cors,
            "{t:?}"
        );
        assert_eq!(header(&headers, "X-Own"), own, "{t:?}");
        assert_eq!(
            header(&headers, "x-amzn-ErrorType"),
            err.error_type,
            "{t:?}"
        );
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["message"], err.message.unwrap(), "{t:?}");
    }
}

#[test]
fn headers_from_the_request_and_templates() {
    let table = compiled(&[(
        "MISSING_AUTHENTICATION_TOKEN",
        Some("404"),
        &[
            (
                "gatewayresponse.header.X-Echo",
                "method.request.header.X-Trace",
            ),
            (
                "gatewayresponse.header.X-Missing",
                "method.request.header.X-None",
            ),
            ("gatewayresponse.header.X-Q", "method.request.querystring.q"),
            ("gatewayresponse.header.X-Ip", "context.identity.sourceIp"),
            ("gatewayresponse.header.X-Stage", "context.stage"),
        ],
        &[
            (
                "application/json",
                r#"{"error":$context.error.messageString,"type":"$context.error.responseType","id":"$context.requestId"}"#,
            ),
            (
                "text/plain",
                "no route: $context.error.message ($context.httpMethod $context.path)",
            ),
        ],
    )]);
    let mat = GatewayError::of(ResponseType::MissingAuthenticationToken);
    let r = req("GET /prod/x?q=1&q=2 HTTP/1.1\r\nHost: h\r\nX-Trace: abc\r\n\r\n");
    let (status, headers, body) = rendered(&table, mat, &r);
    assert_eq!(status, 404);
    assert_eq!(header(&headers, "X-Echo"), Some("abc"));
    assert_eq!(header(&headers, "X-Missing"), None);
    assert_eq!(header(&headers, "X-Q"), Some("1"));
    assert_eq!(header(&headers, "X-Ip"), Some("10.0.0.7"));
    assert_eq!(header(&headers, "X-Stage"), Some("prod"));
    assert_eq!(
        body,
        format!(
            r#"{{"error":"Missing Authentication Token","type":"MISSING_AUTHENTICATION_TOKEN","id":"{}"}}"#,
            std::str::from_utf8(ID).unwrap()
        )
    );
    // The client's Accept picks a template.
    let r = req("POST /prod/y HTTP/1.1\r\nHost: h\r\nAccept: text/plain\r\n\r\n");
    let (_, headers, body) = rendered(&table, mat, &r);
    assert_eq!(header(&headers, "Content-Type"), Some("text/plain"));
    assert_eq!(
        body,
        "no route: Missing Authentication Token (POST /prod/y)"
    );
}

#[test]
fn head_requests_and_close() {
    let r = req("HEAD /prod/x HTTP/1.1\r\nHost: h\r\n\r\n");
    let mut out = Vec::new();
    let err = GatewayError::of(ResponseType::MissingAuthenticationToken);
    assert_eq!(
        render(&AWS_DEFAULTS, &err, &site(&r), true, true, &mut out),
        403
    );
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with("Connection: close\r\n\r\n"), "{text}");
    assert!(text.contains("Content-Length: 42\r\n"), "{text}");
}

#[test]
fn renders_without_allocating_once_the_buffer_has_room() {
    let table = compiled(&[(
        "DEFAULT_4XX",
        None,
        &[(
            "gatewayresponse.header.X-Echo",
            "method.request.header.X-Trace",
        )],
        &[(
            "application/json",
            r#"{"m":$context.error.messageString,"t":$context.requestTimeEpoch}"#,
        )],
    )]);
    let r = req("GET /prod/x HTTP/1.1\r\nHost: h\r\nX-Trace: abc\r\n\r\n");
    let mut out = Vec::with_capacity(4096);
    let cap = out.capacity();
    let ptr = out.as_ptr();
    for _ in 0..10 {
        out.clear();
        let err = GatewayError::of(ResponseType::MissingAuthenticationToken);
        render(&table, &err, &site(&r), false, false, &mut out);
    }
    assert_eq!((out.capacity(), out.as_ptr()), (cap, ptr));
}

#[test]
fn the_table_follows_host_and_stage() {
    let mut api = RestApi {
        id: "abc123".into(),
        ..RestApi::default()
    };
    api.gateway_responses.push(GatewayResponse {
        response_type: "DEFAULT_4XX".into(),
        status_code: Some("418".into()),
        response_parameters: BTreeMap::new(),
        response_templates: BTreeMap::new(),
        default_response: false,
    });
    let stage = Stage {
        stage_name: "prod".into(),
        ..Stage::default()
    };
    let mut ups = UpstreamInterner::default();
    let rt = compile_stage(&api, &stage, &mut ups).unwrap();
    let snap = build_snapshot(
        vec![ApiRuntime {
            endpoint_type: "EDGE",
            id: "abc123".into(),
            name: "n".into(),
            stages: vec![rt],
        }],
        &ups,
    );
    let custom = |t: &GatewayResponses| t.get(ResponseType::Default4xx).cloned();
    let want = Some(CustomResponse {
        status: Some(418),
        ..CustomResponse::default()
    });
    for (text, customised) in [
        ("GET /prod/x HTTP/1.1\r\nHost: h\r\n\r\n", true),
        (
            "GET /prod HTTP/1.1\r\nHost: abc123.execute-api.local\r\n\r\n",
            true,
        ),
        ("GET /dev/x HTTP/1.1\r\nHost: h\r\n\r\n", false),
        (
            "GET /prod/x HTTP/1.1\r\nHost: zzz.execute-api.local\r\n\r\n",
            false,
        ),
    ] {
        let r = req(text);
        let got = custom(table_for(&snap, &r.buf, Some(&r.head)));
        assert_eq!(got == want, customised, "{text:?}");
    }
    assert!(std::ptr::eq(table_for(&snap, b"", None), &AWS_DEFAULTS));
}
