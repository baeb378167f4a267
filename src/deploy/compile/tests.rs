//! Compiler tests over hand-built models (the fixture tests in `import` cover whole documents).

use super::*;
use crate::deploy::model::{Integration, IntegrationResponse, Method, MethodResponse, Resource};
use crate::deploy::router::Captures;
use crate::deploy::snapshot::{
    BackendMethod, IntegrationKind, LinkId, ParamSource, ResponseParamSource, Scheme, Template,
    UriPart,
};
use std::collections::BTreeMap;

fn resource(path: &str, methods: Vec<(&str, Method)>) -> Resource {
    Resource {
        id: path.to_string(),
        path: path.to_string(),
        resource_methods: methods
            .into_iter()
            .map(|(k, m)| {
                (
                    k.to_string(),
                    Method {
                        http_method: k.to_string(),
                        ..m
                    },
                )
            })
            .collect(),
        ..Resource::default()
    }
}

fn http(kind: &str, uri: &str, params: &[(&str, &str)]) -> Integration {
    Integration {
        kind: kind.to_string(),
        http_method: Some("GET".to_string()),
        uri: Some(uri.to_string()),
        request_parameters: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Integration::default()
    }
}

fn method(integration: Integration, declared: &[&str]) -> Method {
    Method {
        authorization_type: "NONE".to_string(),
        request_parameters: declared.iter().map(|k| (k.to_string(), false)).collect(),
        method_integration: Some(integration),
        ..Method::default()
    }
}

fn stage(vars: &[(&str, &str)]) -> Stage {
    Stage {
        stage_name: "prod".to_string(),
        deployment_id: "d1".to_string(),
        variables: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Stage::default()
    }
}

fn api(resources: Vec<Resource>) -> RestApi {
    RestApi {
        id: "abc".to_string(),
        name: "t".to_string(),
        resources,
        ..RestApi::default()
    }
}

fn messages(p: &Problems) -> Vec<(String, String)> {
    p.0.iter()
        .map(|p| (p.pointer.clone(), p.message.clone()))
        .collect()
}

#[test]
fn compiles_http_method_with_mappings() {
    let integ = http(
        "HTTP",
        "http://${stageVariables.backend}/pets/{id}?fixed=1",
        &[
            ("integration.request.path.id", "method.request.path.petId"),
            (
                "integration.request.querystring.query",
                "method.request.querystring.q",
            ),
            (
                "integration.request.header.X-Trace",
                "method.request.header.X-Trace",
            ),
            ("integration.request.header.X-Via", "'tollgate'"),
            ("integration.request.header.X-Req", "context.requestId"),
            (
                "integration.request.header.X-Stage",
                "stageVariables.backend",
            ),
        ],
    );
    let a = api(vec![
        resource("/", vec![]),
        resource(
            "/pets/{petId}",
            vec![(
                "GET",
                method(
                    integ,
                    &[
                        "method.request.querystring.q",
                        "method.request.header.x-trace",
                    ],
                ),
            )],
        ),
    ]);
    check_api(&a).unwrap();
    let mut interner = UpstreamInterner::default();
    let st = compile_stage(&a, &stage(&[("backend", "127.0.0.1:9999")]), &mut interner).unwrap();
    let m = &st.methods[0];
    assert_eq!(&*m.path_params, &["petId".into()] as &[Box<str>]);
    let i = &m.integration;
    assert_eq!(i.kind, IntegrationKind::Http);
    assert!(
        matches!(&i.method, BackendMethod::Fixed { name, idempotent: true, head: false } if &**name == "GET")
    );
    assert_eq!(i.path.len(), 2);
    assert!(matches!(&i.path[0], UriPart::Literal(l) if &**l == "/pets/"));
    assert!(matches!(
        &i.path[1],
        UriPart::Param {
            source: ParamSource::PathCapture(0),
            greedy: false,
            ..
        }
    ));
    assert_eq!(i.fixed_query.as_deref(), Some("fixed=1"));
    assert_eq!(
        i.query_params,
        vec![("query".into(), ParamSource::Query("q".into()))]
    );
    assert_eq!(
        i.header_params,
        vec![
            (
                "X-Req".into(),
                ParamSource::Context(crate::deploy::snapshot::ContextVar::RequestId)
            ),
            (
                "X-Stage".into(),
                ParamSource::Literal("127.0.0.1:9999".into())
            ),
            ("X-Trace".into(), ParamSource::Header("x-trace".into())),
            ("X-Via".into(), ParamSource::Literal("tollgate".into())),
        ]
    );
    assert_eq!(i.timeout, std::time::Duration::from_secs(29));
    let ups = interner.upstreams();
    assert_eq!(ups.len(), 1);
    assert_eq!(
        (
            ups[0].scheme.clone(),
            &*ups[0].host,
            ups[0].port,
            &*ups[0].authority
        ),
        (Scheme::Http, "127.0.0.1", 9999, "127.0.0.1:9999")
    );
    let mut caps = Captures::default();
    assert_eq!(
        st.router.lookup(b"GET", b"/pets/7", &mut caps),
        Some(MethodIdx(0))
    );
}

#[test]
fn upstream_ids_are_stable() {
    let mut interner = UpstreamInterner::default();
    let up = |host: &str| Upstream {
        scheme: Scheme::Https,
        host: host.into(),
        port: 443,
        authority: host.into(),
        tls_skip_verify: false,
        client_cert: None,
        link: None,
    };
    let a = interner.intern(up("a"));
    let b = interner.intern(up("b"));
    assert_eq!(interner.intern(up("a")), a);
    assert_ne!(a, b);
    assert_eq!(interner.upstreams().len(), 2);
}

#[test]
fn integration_responses_and_mock_status() {
    let mut integ = Integration {
        kind: "MOCK".to_string(),
        request_templates: [(
            "application/json".to_string(),
            r#"{"statusCode": 404}"#.to_string(),
        )]
        .into(),
        ..Integration::default()
    };
    integ.integration_responses = BTreeMap::from([
        (
            "200".to_string(),
            IntegrationResponse {
                status_code: "200".into(),
                ..Default::default()
            },
        ),
        (
            "404".to_string(),
            IntegrationResponse {
                status_code: "404".into(),
                selection_pattern: Some(r"4\d{2}".into()),
                response_parameters: [(
                    "method.response.header.X-Kind".to_string(),
                    "'missing'".to_string(),
                )]
                .into(),
                response_templates: [(
                    "application/json".to_string(),
                    r#"{"message":"nope"}"#.to_string(),
                )]
                .into(),
                ..Default::default()
            },
        ),
    ]);
    let mut m = method(integ, &[]);
    m.method_responses = BTreeMap::from([
        (
            "200".to_string(),
            MethodResponse {
                status_code: "200".into(),
                ..Default::default()
            },
        ),
        (
            "404".to_string(),
            MethodResponse {
                status_code: "404".into(),
                response_parameters: [("method.response.header.X-Kind".to_string(), false)].into(),
                ..Default::default()
            },
        ),
    ]);
    let a = api(vec![resource("/health", vec![("GET", m)])]);
    let st = compile_stage(&a, &stage(&[]), &mut UpstreamInterner::default()).unwrap();
    let i = &st.methods[0].integration;
    assert_eq!(i.mock_status, vec![Some(404)]);
    assert_eq!(i.responses.len(), 2);
    assert_eq!(i.default_response, Some(1));
    let sel = i.responses[0].selection.as_ref().unwrap();
    assert!(sel.is_match("404") && !sel.is_match("4040") && !sel.is_match("x404"));
    assert_eq!(
        i.responses[0].header_params,
        vec![(
            "X-Kind".into(),
            ResponseParamSource::Literal("missing".into())
        )]
    );
    assert_eq!(
        i.responses[0].templates,
        vec![(
            "application/json".into(),
            Template::Static(r#"{"message":"nope"}"#.into())
        )]
    );
    assert_eq!(i.upstream, None);
}

#[test]
fn reports_every_problem_with_model_pointers() {
    let mut bad = http(
        "HTTP",
        "http://{host}/x",
        &[
            ("integration.request.header.A", "method.request.body.a..[0"),
            (
                "integration.request.header.B",
                "method.request.querystring.undeclared",
            ),
            ("integration.request.bogus.C", "'x'"),
        ],
    );
    bad.timeout_in_millis = Some(30_000);
    bad.passthrough_behavior = Some("SOMETIMES".into());
    bad.request_templates = [(
        "application/json".to_string(),
        "#if($x)never closed".to_string(),
    )]
    .into();
    bad.integration_responses = [(
        "2000".to_string(),
        IntegrationResponse {
            status_code: "2000".into(),
            selection_pattern: Some("(".into()),
            ..Default::default()
        },
    )]
    .into();
    let a = api(vec![
        resource("/a", vec![("GET", method(bad, &[]))]),
        resource(
            "/b",
            vec![("GET", method(http("AWS_PROXY", "arn:x", &[]), &[]))],
        ),
        resource(
            "/c",
            vec![(
                "GET",
                Method {
                    method_integration: None,
                    ..method(http("HTTP", "", &[]), &[])
                },
            )],
        ),
        resource(
            "/d",
            vec![("GET", method(http("HTTP", "http://h/{nope}", &[]), &[]))],
        ),
        resource("/e/{x}", vec![]),
        resource("/e/{y}", vec![]),
    ]);
    let got = messages(&check_api(&a).unwrap_err());
    let pointers: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    let m = "/resources/0/resourceMethods/GET/methodIntegration";
    let want = [
        "/resources/5/path".to_string(),
        format!("{m}/timeoutInMillis"),
        format!("{m}/passthroughBehavior"),
        format!("{m}/requestParameters/integration.request.bogus.C"),
        format!("{m}/requestParameters/integration.request.header.A"),
        format!("{m}/requestParameters/integration.request.header.B"),
        format!("{m}/uri"),
        format!("{m}/requestTemplates/application~1json"),
        format!("{m}/integrationResponses/2000"),
        format!("{m}/integrationResponses/2000/selectionPattern"),
        // AWS_PROXY to an ARN that names nothing.
        "/resources/1/resourceMethods/GET/methodIntegration/uri".to_string(),
        "/resources/2/resourceMethods/GET".to_string(),
        "/resources/3/resourceMethods/GET/methodIntegration/uri".to_string(),
    ];
    assert_eq!(
        pointers,
        want.iter().map(String::as_str).collect::<Vec<_>>(),
        "{got:#?}"
    );
    assert!(
        got[10]
            .1
            .contains("Invalid ARN specified in the request: arn:x"),
        "{}",
        got[10].1
    );
    assert!(got[0]
        .1
        .contains("A sibling ({x}) of this resource already has a variable path part"));
    assert!(got[6].1.contains("not supported"));
}

#[test]
fn undefined_stage_variables_fail_the_method_at_run_time_not_the_deploy() {
    let a = api(vec![resource(
        "/{proxy+}",
        vec![(
            "ANY",
            method(
                http(
                    "HTTP_PROXY",
                    "http://${stageVariables.backend}/{proxy}",
                    &[],
                ),
                &[],
            ),
        )],
    )]);
    check_api(&a).unwrap();
    let st = compile_stage(&a, &stage(&[]), &mut UpstreamInterner::default()).unwrap();
    let integ = &st.methods[0].integration;
    assert!(integ.upstream.is_none());
    let why = integ.config_error.as_deref().unwrap();
    assert!(why.contains("backend"), "{why}");
    let st = compile_stage(
        &a,
        &stage(&[("backend", "example.com")]),
        &mut UpstreamInterner::default(),
    )
    .unwrap();
    assert!(st.methods[0].integration.config_error.is_none());
    let mut caps = Captures::default();
    assert_eq!(
        st.router.lookup(b"DELETE", b"/a/b", &mut caps),
        Some(MethodIdx(0))
    );
    assert!(matches!(
        st.methods[0].integration.path[1],
        UriPart::Param {
            source: ParamSource::PathCapture(0),
            greedy: true,
            ..
        }
    ));
}

#[test]
fn builds_snapshot_index() {
    let snap = build_snapshot(
        vec![ApiRuntime {
            endpoint_type: "EDGE",
            id: "a1".into(),
            name: "n".into(),
            stages: vec![],
        }],
        &UpstreamInterner::default(),
    );
    assert_eq!(snap.api_by_id.get("a1"), Some(&ApiIdx(0)));
}

/// Every protection deploys now that each is enforced; a method naming an authorizer that does
/// not exist is still refused at deployment with AWS's message.
#[test]
fn protected_methods_deploy_and_a_missing_authorizer_is_refused() {
    let mock = Integration {
        kind: "MOCK".to_string(),
        ..Integration::default()
    };
    let mut pooled = method(mock.clone(), &[]);
    pooled.authorization_type = "COGNITO_USER_POOLS".to_string();
    pooled.authorizer_id = Some("au1".to_string());
    let mut keyed = method(mock.clone(), &[]);
    keyed.api_key_required = true;
    let mut a = api(vec![
        resource("/", vec![("GET", method(mock, &[]))]),
        resource("/pets", vec![("GET", pooled), ("POST", keyed)]),
    ]);
    a.authorizers.push(crate::deploy::model::Authorizer {
        id: "au1".to_string(),
        name: "pool".to_string(),
        extra: serde_json::json!({"type": "COGNITO_USER_POOLS", "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"]})
            .as_object()
            .cloned()
            .unwrap(),
    });
    check_api(&a).unwrap();
    assert!(refuse_unenforced(&a).is_ok());
    let mut interner = UpstreamInterner::default();
    let st = compile_stage(&a, &stage(&[]), &mut interner).unwrap();
    assert_eq!(st.methods.len(), 3);

    a.resources[1]
        .resource_methods
        .get_mut("GET")
        .unwrap()
        .authorizer_id = Some("gone".to_string());
    let err = compile_stage(&a, &stage(&[]), &mut interner).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert!(err.0[0]
        .message
        .contains("Invalid authorizer ID specified: gone"));
}

#[test]
fn custom_without_an_authorizer_is_invalid() {
    let mut m = method(
        Integration {
            kind: "MOCK".to_string(),
            ..Integration::default()
        },
        &[],
    );
    m.authorization_type = "COGNITO_USER_POOLS".to_string();
    let a = api(vec![resource("/", vec![("GET", m)])]);
    let err = check_api(&a).unwrap_err();
    assert!(
        err.0[0].message.ends_with("Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."),
        "{err}"
    );
}

#[test]
fn stage_settings_reach_every_method() {
    let mock = || {
        method(
            Integration {
                kind: "MOCK".to_string(),
                ..Integration::default()
            },
            &[],
        )
    };
    let a = api(vec![
        resource("/", vec![("GET", mock())]),
        resource("/pets", vec![("GET", mock())]),
    ]);
    let mut st = stage(&[]);
    st.cache_cluster_enabled = true;
    st.method_settings = serde_json::json!({
        "*/*": {"throttlingRateLimit": 10.0},
        "~1pets/GET": {"throttlingRateLimit": 1.0},
    })
    .as_object()
    .unwrap()
    .clone();
    let mut interner = UpstreamInterner::default();
    let rt = compile_stage(&a, &st, &mut interner).unwrap();
    let rate = |path: &str| {
        rt.methods
            .iter()
            .find(|m| &*m.resource_path == path)
            .unwrap()
            .settings
            .throttling
            .rate_limit
    };
    assert_eq!((rate("/"), rate("/pets")), (10.0, 1.0));
    assert!(rt.settings.cache_cluster_enabled);
}

#[test]
fn integration_uri_paths_are_checked_and_escaped_when_compiled() {
    for uri in [
        "http://h/a/../b/{x}",
        "http://h/a/%2e%2E/{x}",
        "http://h/a%2F..%2Fb/{x}",
        "http://h/a/.\\{x}",
    ] {
        let a = api(vec![resource(
            "/{x}",
            vec![("GET", method(http("HTTP_PROXY", uri, &[]), &[]))],
        )]);
        let err = check_api(&a).expect_err(uri);
        let got = messages(&err);
        assert!(
            got.iter()
                .any(|(p, m)| p.ends_with("/uri") && m.contains("'.' or '..' segment")),
            "{uri}: {got:?}"
        );
    }
    // Bytes a request target may not hold are escaped once, at compile time.
    let a = api(vec![resource(
        "/{x}",
        vec![(
            "GET",
            method(
                http("HTTP_PROXY", "http://h/a\"b|%zz/{x}?k=\"v\"", &[]),
                &[],
            ),
        )],
    )]);
    let st = compile_stage(&a, &stage(&[]), &mut UpstreamInterner::default()).unwrap();
    let i = &st.methods[0].integration;
    assert!(matches!(&i.path[0], UriPart::Literal(l) if &**l == "/a%22b%7C%25zz/"));
    assert_eq!(i.fixed_query.as_deref(), Some("k=%22v%22"));
}

#[test]
fn values_that_end_in_a_header_line_are_field_values() {
    let mut integ = http(
        "HTTP",
        "http://h/x/{p}",
        &[
            ("integration.request.header.A", "'a\r\nX-Injected: 1'"),
            ("integration.request.header.B", "'b\n'"),
            ("integration.request.header.C", "'\0'"),
            ("integration.request.header.D", "'\x1b[0m'"),
            // Surrounding whitespace is trimmed, not refused.
            ("integration.request.header.E", "' trailing '"),
            ("integration.request.header.Content-Length", "'0'"),
            ("integration.request.header.Ok", "'tab\there, caf\u{e9}'"),
            ("integration.request.path.p", "'a\rb'"),
            ("integration.request.querystring.q", "'a\nb'"),
            ("integration.request.querystring.r", "'a b&c'"),
        ],
    );
    integ.request_templates = [("text/plain\r\nX: 1".to_string(), "x".to_string())].into();
    integ.integration_responses = [(
        "200".to_string(),
        IntegrationResponse {
            status_code: "200".into(),
            response_parameters: [
                (
                    "method.response.header.Set-Cookie".to_string(),
                    "'a=1\r\nSet-Cookie: admin=1'".to_string(),
                ),
                ("method.response.header.X-Ok".to_string(), "'*'".to_string()),
            ]
            .into(),
            response_templates: [("a/b\n".to_string(), "{}".to_string())].into(),
            ..Default::default()
        },
    )]
    .into();
    let mut m = method(integ, &[]);
    m.method_responses = [(
        "200".to_string(),
        MethodResponse {
            status_code: "200".into(),
            response_parameters: [
                ("method.response.header.Set-Cookie".to_string(), false),
                ("method.response.header.X-Ok".to_string(), false),
            ]
            .into(),
            ..Default::default()
        },
    )]
    .into();
    let got = messages(&check_api(&api(vec![resource("/x/{p}", vec![("GET", m)])])).unwrap_err());
    let at = "/resources/0/resourceMethods/GET/methodIntegration";
    let want = [
        format!("{at}/requestParameters/integration.request.header.A"),
        format!("{at}/requestParameters/integration.request.header.B"),
        format!("{at}/requestParameters/integration.request.header.C"),
        format!("{at}/requestParameters/integration.request.header.Content-Length"),
        format!("{at}/requestParameters/integration.request.header.D"),
        format!("{at}/requestParameters/integration.request.path.p"),
        format!("{at}/requestParameters/integration.request.querystring.q"),
        format!("{at}/requestTemplates/text~1plain\r\nX: 1"),
        format!(
            "{at}/integrationResponses/200/responseParameters/method.response.header.Set-Cookie"
        ),
        format!("{at}/integrationResponses/200/responseTemplates/a~1b\n"),
    ];
    let pointers: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        want.iter().map(String::as_str).collect::<Vec<_>>(),
        "{got:#?}"
    );
    assert!(
        got[0].1.contains("may not contain control characters"),
        "{}",
        got[0].1
    );
    assert!(got[0].1.contains(r"'a\r\nX-Injected: 1'"), "{}", got[0].1);
    assert!(got[3]
        .1
        .contains("the gateway sets the Content-Length header itself"));
    assert!(got[5]
        .1
        .contains("a path or query string value may not contain"));
}

#[test]
fn binary_media_types_compression_and_content_handling_reach_the_integration() {
    use crate::pipeline::content::{ContentHandling, ContentPlan, MediaTypes};
    let mut integ = http("HTTP", "http://example.com/x", &[]);
    integ.content_handling = Some("CONVERT_TO_TEXT".into());
    integ.integration_responses = BTreeMap::from([(
        "200".to_string(),
        IntegrationResponse {
            status_code: "200".into(),
            content_handling: Some("CONVERT_TO_BINARY".into()),
            ..Default::default()
        },
    )]);
    let mut m = method(integ, &[]);
    m.method_responses = BTreeMap::from([(
        "200".to_string(),
        MethodResponse {
            status_code: "200".into(),
            ..Default::default()
        },
    )]);
    let mut a = api(vec![resource("/img", vec![("GET", m)])]);
    a.binary_media_types = vec!["image/*".into()];
    a.minimum_compression_size = Some(1024);
    let st = compile_stage(&a, &stage(&[]), &mut UpstreamInterner::default()).unwrap();
    let i = &st.methods[0].integration;
    assert_eq!(
        i.content,
        ContentPlan {
            binary: MediaTypes::compile(&["image/*"]),
            min_compression: Some(1024),
            handling: ContentHandling::ConvertToText,
        }
    );
    assert!(i.content.binary.matches(Some(b"image/png")));
    assert_eq!(
        i.responses[0].content_handling,
        ContentHandling::ConvertToBinary
    );
}

fn vpc_link_api(connection_id: &str) -> RestApi {
    let mut integ = http("HTTP_PROXY", "http://backend.internal:8080/items", &[]);
    integ.connection_type = Some("VPC_LINK".to_string());
    integ.connection_id = Some(connection_id.to_string());
    api(vec![resource("/items", vec![("GET", method(integ, &[]))])])
}

fn link_interner() -> UpstreamInterner {
    let s = crate::settings::Settings::parse(
        "[[vpc_links]]\nid = \"cfg1\"\ntargets = [\"127.0.0.1:1\"]\n\
         [[vpc_links]]\ntarget_arn = \"arn:aws:elasticloadbalancing:r:1:loadbalancer/net/n/1\"\n\
         targets = [\"127.0.0.1:2\"]",
        "t",
    )
    .unwrap();
    let mut interner = UpstreamInterner::with_links(links::VpcLinks::from_config(&s.vpc_links));
    interner.links.set_admin([(
        "adm1".to_string(),
        "arn:aws:elasticloadbalancing:r:1:loadbalancer/net/n/1".to_string(),
    )]);
    interner
}

/// A VPC_LINK integration connects to its link's targets; the URI still gives Host and path,
/// and the link is part of the upstream's identity (pooled apart from the URI's host).
#[test]
fn vpc_link_integrations_name_their_link() {
    let mut interner = link_interner();
    for (connection_id, vars, want) in [
        ("cfg1", vec![], LinkId(0)),
        ("adm1", vec![], LinkId(1)),
        ("${stageVariables.link}", vec![("link", "adm1")], LinkId(1)),
    ] {
        let a = vpc_link_api(connection_id);
        check_api(&a).unwrap();
        let st = compile_stage(&a, &stage(&vars), &mut interner).unwrap();
        let integ = &st.methods[0].integration;
        let up = &interner.upstreams()[integ.upstream.unwrap().0 as usize];
        assert_eq!(up.link, Some(want), "{connection_id}");
        assert_eq!(&*up.authority, "backend.internal:8080");
    }
    let mut direct = http("HTTP_PROXY", "http://backend.internal:8080/items", &[]);
    direct.connection_type = Some("INTERNET".to_string());
    let a = api(vec![resource("/items", vec![("GET", method(direct, &[]))])]);
    let st = compile_stage(&a, &stage(&[]), &mut interner).unwrap();
    let id = st.methods[0].integration.upstream.unwrap();
    assert_eq!(interner.upstreams()[id.0 as usize].link, None);
}

/// Fail closed: a link the gateway has no targets for refuses the deployment, naming the link;
/// a stage variable the stage lacks fails each call instead (as in the URI).
#[test]
fn unknown_vpc_links_refuse_the_deployment() {
    let mut interner = link_interner();
    let err = compile_stage(&vpc_link_api("nope"), &stage(&[]), &mut interner)
        .unwrap_err()
        .to_string();
    assert!(err.contains("'nope'") && err.contains("VPC link"), "{err}");
    let err = compile_stage(
        &vpc_link_api("${stageVariables.link}"),
        &stage(&[("link", "gone")]),
        &mut interner,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("'gone'"), "{err}");
    let st = compile_stage(
        &vpc_link_api("${stageVariables.link}"),
        &stage(&[]),
        &mut interner,
    )
    .unwrap();
    let why = st.methods[0].integration.config_error.as_deref().unwrap();
    assert!(why.contains("connectionId"), "{why}");
    let mut no_id = vpc_link_api("x");
    no_id.resources[0]
        .resource_methods
        .get_mut("GET")
        .unwrap()
        .method_integration
        .as_mut()
        .unwrap()
        .connection_id = None;
    let err = check_api(&no_id).unwrap_err().to_string();
    assert!(err.contains("connectionId"), "{err}");
}
