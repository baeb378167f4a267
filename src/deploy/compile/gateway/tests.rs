use super::*;
use crate::deploy::compile::ModelLocator;
use std::collections::BTreeMap;

fn scope(vars: &BTreeMap<String, String>) -> Scope<'_> {
    Scope {
        vars: Vars::Stage(vars),
        api_id: "a1b2c3",
        stage: "prod",
    }
}

fn gr(
    t: &str,
    status: Option<&str>,
    params: &[(&str, &str)],
    templates: &[(&str, &str)],
) -> GatewayResponse {
    GatewayResponse {
        response_type: t.into(),
        status_code: status.map(Into::into),
        response_parameters: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        response_templates: templates
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        default_response: false,
    }
}

fn compile(list: Vec<GatewayResponse>) -> Result<GatewayResponses, Problems> {
    let api = RestApi {
        id: "a1b2c3".into(),
        gateway_responses: list,
        ..RestApi::default()
    };
    let vars = BTreeMap::from([("origin".to_string(), "https://x.example".to_string())]);
    let mut problems = Problems::default();
    let t = compile_gateway_responses(&api, scope(&vars), &ModelLocator, &mut problems);
    problems.into_result().map(|()| t)
}

#[test]
fn compiles_status_headers_and_templates() {
    let t = compile(vec![
        gr(
            "DEFAULT_4XX",
            None,
            &[
                ("gatewayresponse.header.Access-Control-Allow-Origin", "'*'"),
                ("gatewayresponse.header.X-Origin", "stageVariables.origin"),
                (
                    "gatewayresponse.header.X-Echo",
                    "method.request.header.X-Trace",
                ),
                ("gatewayresponse.header.X-Q", "method.request.querystring.q"),
                ("gatewayresponse.header.X-P", "method.request.path.id"),
                ("gatewayresponse.header.X-Stage", "context.stage"),
                ("gatewayresponse.header.X-Id", "context.requestId"),
                ("gatewayresponse.querystring.ignored", "'x'"),
            ],
            &[],
        ),
        gr(
            "MISSING_AUTHENTICATION_TOKEN",
            Some("404"),
            &[],
            &[(
                "application/json",
                r#"{"message":$context.error.messageString,"type":"$context.error.responseType"}"#,
            )],
        ),
    ])
    .unwrap();
    let d4 = t.get(ResponseType::Default4xx).unwrap();
    assert_eq!(d4.status, None);
    assert!(d4.templates.is_empty());
    let headers: Vec<(&str, &ValueSource)> = d4.headers.iter().map(|(n, v)| (&**n, v)).collect();
    // BTreeMap order of the keys.
    assert_eq!(
        headers,
        vec![
            (
                "Access-Control-Allow-Origin",
                &ValueSource::Literal("*".into())
            ),
            ("X-Echo", &ValueSource::Header("x-trace".into())),
            ("X-Id", &ValueSource::Context(ContextVar::RequestId)),
            (
                "X-Origin",
                &ValueSource::Literal("https://x.example".into())
            ),
            ("X-P", &ValueSource::Path("id".into())),
            ("X-Q", &ValueSource::Query("q".into())),
            ("X-Stage", &ValueSource::Literal("prod".into())),
        ]
    );
    let mat = t.get(ResponseType::MissingAuthenticationToken).unwrap();
    assert_eq!(mat.status, Some(404));
    assert_eq!(
        mat.templates,
        vec![(
            "application/json".into(),
            vec![
                Piece::Text(r#"{"message":"#.into()),
                Piece::MessageString,
                Piece::Text(r#","type":""#.into()),
                Piece::ResponseType,
                Piece::Text(r#""}"#.into()),
            ]
        )]
    );
    assert_eq!(t.get(ResponseType::Throttled), None);
    assert_eq!(compile(vec![]).unwrap(), GatewayResponses::default());
}

#[test]
fn template_references() {
    let vars = BTreeMap::from([("v".to_string(), "V".to_string())]);
    let s = scope(&vars);
    let text = |t: &str| Piece::Text(t.into());
    let cases: Vec<(&str, Result<Vec<Piece>, &str>)> = vec![
        ("", Ok(vec![])),
        ("plain", Ok(vec![text("plain")])),
        ("$context.error.message", Ok(vec![Piece::Message])),
        (
            "${context.error.messageString}!",
            Ok(vec![Piece::MessageString, text("!")]),
        ),
        (
            "id=$context.requestId.",
            Ok(vec![
                text("id="),
                Piece::Value(ValueSource::Context(ContextVar::RequestId)),
                text("."),
            ]),
        ),
        (
            "$stageVariables.v/$context.apiId",
            Ok(vec![
                Piece::Value(ValueSource::Literal("V".into())),
                text("/"),
                Piece::Value(ValueSource::Literal("a1b2c3".into())),
            ]),
        ),
        ("costs $5", Ok(vec![text("costs $5")])),
        ("$input.body", Err("engine")),
        ("#set($x = 1)$x", Err("engine")),
        ("$context.error.message #if(true)x#end", Err("engine")),
        (
            "$context.authorizer.principalId",
            Ok(vec![Piece::Value(ValueSource::Context(
                ContextVar::Authorizer("principalId".into()),
            ))]),
        ),
        ("$context.nope", Err("not supported")),
        (
            "$context.error.validationErrorString",
            Ok(vec![Piece::ValidationErrorString]),
        ),
    ];
    for (src, want) in cases {
        match (compile_body(src, s), want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{src:?}"),
            (Err(got), Err(want)) => assert!(got.contains(want), "{src:?}: {got}"),
            (got, want) => panic!("{src:?}: {got:?} vs {want:?}"),
        }
    }
}

#[test]
fn refuses_what_cannot_be_served_with_pointers() {
    let err = compile(vec![
        gr("NOT_A_TYPE", None, &[], &[]),
        gr("THROTTLED", Some("99"), &[], &[]),
        gr(
            "DEFAULT_5XX",
            None,
            &[("method.response.header.X", "'v'")],
            &[],
        ),
        gr(
            "DEFAULT_4XX",
            None,
            &[("gatewayresponse.header.Content-Length", "'1'")],
            &[],
        ),
        gr(
            "ACCESS_DENIED",
            None,
            &[("gatewayresponse.header.X", "method.request.body")],
            &[],
        ),
        gr(
            "UNAUTHORIZED",
            None,
            &[("gatewayresponse.header.X", "'a\nb'")],
            &[],
        ),
    ])
    .unwrap_err();
    let pointers: Vec<&str> = err.0.iter().map(|p| p.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        vec![
            "/gatewayResponses/0",
            "/gatewayResponses/1/statusCode",
            "/gatewayResponses/2/responseParameters/method.response.header.X",
            "/gatewayResponses/3/responseParameters/gatewayresponse.header.Content-Length",
            "/gatewayResponses/4/responseParameters/gatewayresponse.header.X",
            "/gatewayResponses/5/responseParameters/gatewayresponse.header.X",
        ],
        "{err}"
    );
}

#[test]
fn a_stage_with_a_bad_gateway_response_does_not_deploy_and_import_checks_it() {
    let mut api = RestApi {
        id: "a1".into(),
        ..RestApi::default()
    };
    api.gateway_responses.push(gr(
        "DEFAULT_4XX",
        None,
        &[("gatewayresponse.header.Content-Length", "'1'")],
        &[],
    ));
    assert!(crate::deploy::compile::check_api(&api).is_err());
    let stage = crate::deploy::model::Stage::default();
    let err = crate::deploy::compile::compile_stage(
        &api,
        &stage,
        &mut crate::deploy::compile::UpstreamInterner::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("Content-Length"), "{err}");
}

#[test]
fn velocity_templates_compile_to_one_program() {
    let vars = BTreeMap::new();
    let s = scope(&vars);
    for src in [
        "#set($x = 1)$x",
        "$context.error.message #if(true)x#end",
        "#if($context.authorizer.principalId)x#end",
        "$input.params('id')",
    ] {
        let got = compile_gateway_template(src, s);
        assert!(matches!(got[..], [Piece::Vtl(_)]), "{src:?}: {got:?}");
    }
    assert_eq!(
        compile_gateway_template("$context.error.message", s),
        vec![Piece::Message]
    );
    // Not Velocity: substituted as AWS does, the rest printed as written, never refused.
    assert_eq!(
        compile_gateway_template("#if(true) $context.error.message $nope", s),
        vec![
            Piece::Text("#if(true) ".into()),
            Piece::Message,
            Piece::Text(" $nope".into())
        ]
    );
}
