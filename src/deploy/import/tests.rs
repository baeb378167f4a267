//! Whole-document import tests over `tests/fixtures/`: the four PetStore forms import to the
//! same model, compile into the expected routes, and an invalid document reports every problem
//! with its pointer.

use super::*;
use crate::deploy::compile::{compile_stage, compile_stage_for_test_invoke, UpstreamInterner};
use crate::deploy::model::Stage;
use crate::deploy::policy::{ApiKeySource, AuthorizationPlan, ParamLocation};
use crate::deploy::router::Captures;
use crate::deploy::snapshot::{IntegrationKind, StageRuntime};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn import(name: &str) -> RestApi {
    import_document(&fixture(name), &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

const PETSTORE: [&str; 4] = [
    "petstore-openapi3.json",
    "petstore-openapi3.yaml",
    "petstore-swagger2.json",
    "petstore-swagger2.yaml",
];

/// The model without what legitimately differs: random ids and the dialect's own top-level keys.
fn normalized(mut api: RestApi) -> RestApi {
    let ids: std::collections::HashMap<String, String> = api
        .resources
        .iter()
        .map(|r| (r.id.clone(), r.path.clone()))
        .chain(
            api.authorizers
                .iter()
                .map(|a| (a.id.clone(), format!("authorizer:{}", a.name))),
        )
        .chain(
            api.request_validators
                .iter()
                .map(|v| (v.id.clone(), format!("validator:{}", v.name))),
        )
        .collect();
    let fix = |id: &mut String| *id = ids[id.as_str()].clone();
    fix(&mut api.root_resource_id);
    for r in &mut api.resources {
        fix(&mut r.id);
        if let Some(p) = r.parent_id.as_mut() {
            fix(p);
        }
        for m in r.resource_methods.values_mut() {
            if let Some(a) = m.authorizer_id.as_mut() {
                fix(a);
            }
            if let Some(v) = m.request_validator_id.as_mut() {
                fix(v);
            }
        }
    }
    for a in &mut api.authorizers {
        fix(&mut a.id);
    }
    for v in &mut api.request_validators {
        fix(&mut v.id);
    }
    for m in &mut api.models {
        m.id.clear();
        m.schema = m
            .schema
            .as_ref()
            .map(|s| s.replace("#/definitions/", "#/components/schemas/"));
    }
    api.extra.clear();
    api
}

#[test]
fn all_petstore_forms_import_to_the_same_model() {
    let reference = normalized(import(PETSTORE[0]));
    for name in &PETSTORE[1..] {
        assert_eq!(normalized(import(name)), reference, "{name}");
    }
}

#[test]
fn petstore_model_has_the_aws_shape() {
    let api = import("petstore-openapi3.json");
    assert!(api.id.is_empty() && api.created_date == 0);
    assert_eq!(api.name, "PetStore");
    assert_eq!(api.version.as_deref(), Some("2024-01-01"));
    assert_eq!(api.binary_media_types, ["image/png"]);
    assert_eq!(api.api_key_source.as_deref(), Some("HEADER"));
    assert_eq!(
        api.endpoint_configuration.as_ref().unwrap().types,
        ["REGIONAL"]
    );
    assert!(api
        .policy
        .as_deref()
        .unwrap()
        .contains("execute-api:Invoke"));
    assert_eq!(api.gateway_responses.len(), 2);
    assert_eq!(api.gateway_responses[1].status_code.as_deref(), Some("404"));
    assert_eq!(api.warnings, Vec::<String>::new());
    assert!(api.extra.contains_key("servers") && api.extra.contains_key("components"));
    assert!(api.extra["components"].get("schemas").is_none());

    let paths: Vec<&str> = api.resources.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/",
            "/pets",
            "/pets/search",
            "/pets/{petId}",
            "/health",
            "/{proxy+}"
        ]
    );
    assert_eq!(api.root_resource_id.len(), 10);
    assert_eq!(api.resources[0].id, api.root_resource_id);
    assert!(api.resources[1..].iter().all(|r| r.id.len() == 6));
    assert_eq!(
        api.resources[3].parent_id.as_ref(),
        Some(&api.resources[1].id)
    );
    assert_eq!(api.resources[3].path_part.as_deref(), Some("{petId}"));

    let models: Vec<&str> = api.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(models, ["Pet", "Pets", "NewPet"]);
    let validator = |name: &str| {
        api.request_validators
            .iter()
            .find(|v| v.name == name)
            .unwrap()
            .id
            .clone()
    };
    let authorizer = |name: &str| api.authorizers.iter().find(|a| a.name == name).unwrap();
    let token = authorizer("petstore_auth");
    assert_eq!(token.extra["type"], "TOKEN");
    assert_eq!(
        token.extra["identitySource"],
        "method.request.header.Authorization"
    );
    assert_eq!(token.extra["authorizerResultTtlInSeconds"], 300);
    assert_eq!(authorizer("cognito").extra["type"], "COGNITO_USER_POOLS");

    let method = |path: &str, m: &str| {
        &api.resources
            .iter()
            .find(|r| r.path == path)
            .unwrap()
            .resource_methods[m]
    };
    let list = method("/pets", "GET");
    assert_eq!(list.operation_name.as_deref(), Some("listPets"));
    assert_eq!(list.extra["summary"], "List pets");
    assert_eq!(list.request_validator_id, Some(validator("params-only")));
    assert_eq!(
        list.method_responses["200"].response_models["application/json"],
        "Pets"
    );
    let create = method("/pets", "POST");
    assert!(create.api_key_required);
    assert_eq!(create.request_validator_id, Some(validator("all")));
    assert_eq!(create.request_models["application/json"], "NewPet");
    assert_eq!(method("/pets/search", "GET").authorization_type, "AWS_IAM");
    let get = method("/pets/{petId}", "GET");
    assert_eq!(get.authorization_type, "CUSTOM");
    assert_eq!(
        get.authorizer_id.as_ref(),
        Some(&authorizer("petstore_auth").id)
    );
    assert_eq!(
        get.request_parameters
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        [
            ("method.request.header.x-trace", false),
            ("method.request.path.petId", true),
            ("method.request.querystring.q", false),
        ]
    );
    assert!(!get.method_responses["200"].response_parameters["method.response.header.X-Upstream"]);
    let integ = get.method_integration.as_ref().unwrap();
    assert_eq!(integ.kind, "HTTP");
    assert_eq!(
        integ.passthrough_behavior.as_deref(),
        Some("WHEN_NO_TEMPLATES")
    );
    assert_eq!(
        integ.integration_responses["404"]
            .selection_pattern
            .as_deref(),
        Some(r"4\d{2}")
    );
    assert_eq!(integ.integration_responses["200"].selection_pattern, None);
    assert_eq!(integ.cache_key_parameters, ["method.request.path.petId"]);
    assert_eq!(
        integ.extra["x-tollgate-note"],
        "unknown integration keys are kept"
    );
    let delete = method("/pets/{petId}", "DELETE");
    assert_eq!(delete.authorization_type, "COGNITO_USER_POOLS");
    assert_eq!(delete.authorization_scopes, ["pets/write"]);
    assert_eq!(method("/health", "GET").authorization_type, "NONE");
    let any = method("/{proxy+}", "ANY");
    assert_eq!(any.method_integration.as_ref().unwrap().kind, "HTTP_PROXY");
    assert_eq!(
        any.method_integration
            .as_ref()
            .unwrap()
            .http_method
            .as_deref(),
        Some("ANY")
    );
}

fn stage() -> Stage {
    Stage {
        stage_name: "prod".into(),
        deployment_id: "dep1".into(),
        variables: [("backend".to_string(), "127.0.0.1:9999".to_string())].into(),
        ..Stage::default()
    }
}

fn route<'s>(
    st: &'s StageRuntime,
    method: &str,
    path: &str,
) -> Option<(&'s str, &'s str, Vec<String>)> {
    let mut caps = Captures::default();
    let idx = st
        .router
        .lookup(method.as_bytes(), path.as_bytes(), &mut caps)?;
    let m = &st.methods[idx.0 as usize];
    let caps = caps
        .as_slice()
        .iter()
        .map(|s| String::from_utf8(s.get(path.as_bytes()).to_vec()).unwrap())
        .collect();
    Some((&*m.resource_path, &*m.http_method, caps))
}

#[test]
fn petstore_compiles_and_routes() {
    for name in PETSTORE {
        let api = import(name);
        let mut upstreams = UpstreamInterner::default();
        // Every protection the PetStore declares (a Lambda authorizer, a user pool, IAM, a
        // resource policy) is enforced: it deploys.
        compile_stage(&api, &stage(), &mut upstreams).unwrap_or_else(|e| panic!("{name}: {e}"));
        let st = compile_stage_for_test_invoke(&api, &stage(), &mut upstreams)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(st.methods.len(), 7, "{name}");
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        type Case<'a> = (&'a str, &'a str, Option<(&'a str, &'a str, Vec<String>)>);
        let cases: &[Case] = &[
            ("GET", "/pets", Some(("/pets", "GET", vec![]))),
            ("POST", "/pets/", Some(("/pets", "POST", vec![]))),
            ("PUT", "/pets", Some(("/{proxy+}", "ANY", s(&["pets"])))),
            ("GET", "/pets/search", Some(("/pets/search", "GET", vec![]))),
            (
                "GET",
                "/pets/42",
                Some(("/pets/{petId}", "GET", s(&["42"]))),
            ),
            (
                "DELETE",
                "/pets/42",
                Some(("/pets/{petId}", "DELETE", s(&["42"]))),
            ),
            (
                "POST",
                "/pets/search",
                Some(("/{proxy+}", "ANY", s(&["pets/search"]))),
            ),
            ("GET", "/health", Some(("/health", "GET", vec![]))),
            ("GET", "/a/b/c", Some(("/{proxy+}", "ANY", s(&["a/b/c"])))),
            ("GET", "/", None),
        ];
        for (method, path, want) in cases {
            let got = route(&st, method, path).map(|(a, b, c)| (a.to_string(), b.to_string(), c));
            let want = want
                .as_ref()
                .map(|(a, b, c)| (a.to_string(), b.to_string(), c.clone()));
            assert_eq!(got, want, "{name}: {method} {path}");
        }
        // The backend, and the Lambda endpoint its authorizer is invoked on.
        let ups = upstreams.upstreams();
        assert_eq!(ups.len(), 2, "{name}");
        assert_eq!(&*ups[0].authority, "127.0.0.1:9999");
        assert!(ups[1].authority.contains("lambda"), "{}", ups[1].authority);
        let health = &st
            .methods
            .iter()
            .find(|m| &*m.resource_path == "/health")
            .unwrap()
            .integration;
        assert_eq!(health.kind, IntegrationKind::Mock);
        assert_eq!(health.mock_status, vec![Some(200)]);
        let get = &st
            .methods
            .iter()
            .find(|m| &*m.resource_path == "/pets/{petId}" && &*m.http_method == "GET")
            .unwrap()
            .integration;
        assert_eq!(get.header_params.len(), 3);
        assert_eq!(get.responses.len(), 2);
        assert_eq!(get.default_response, Some(1));
        policy_compiled(&api, &st, name);
    }
}

/// The PetStore's authorization, keys and validators as the snapshot carries them.
fn policy_compiled(api: &RestApi, st: &StageRuntime, name: &str) {
    let m = |path: &str, verb: &str| {
        st.methods
            .iter()
            .find(|m| &*m.resource_path == path && &*m.http_method == verb)
            .unwrap()
    };
    let authorizer = |n: &str| {
        let i = api.authorizers.iter().position(|a| a.name == n).unwrap();
        crate::deploy::authorizers::AuthorizerIdx(i as u32)
    };
    assert_eq!(m("/health", "GET").authorization, AuthorizationPlan::None);
    assert_eq!(
        m("/pets/search", "GET").authorization,
        AuthorizationPlan::Iam
    );
    assert_eq!(
        m("/pets/{petId}", "GET").authorization,
        AuthorizationPlan::Custom {
            authorizer: authorizer("petstore_auth")
        },
        "{name}"
    );
    let delete = &m("/pets/{petId}", "DELETE").authorization;
    let AuthorizationPlan::CognitoUserPools { scopes, .. } = delete else {
        panic!("{name}: {delete:?}");
    };
    assert_eq!(&**scopes, [Box::from("pets/write")]);
    let post = m("/pets", "POST");
    assert!(post.api_key.required);
    assert_eq!(post.api_key.source, ApiKeySource::Header);
    assert!(!m("/health", "GET").api_key.required);
    let v = &st.validators[post.validation.validator.unwrap().0 as usize];
    assert_eq!(
        (&*v.name, v.validate_body, v.validate_parameters),
        ("all", true, true)
    );
    let get = &m("/pets/{petId}", "GET").validation;
    let required: Vec<_> = get
        .required
        .iter()
        .map(|p| (p.location, &*p.name))
        .collect();
    assert_eq!(required, [(ParamLocation::Path, "petId")], "{name}");
}

#[test]
fn base_path_modes() {
    let mut doc: Value = serde_json::from_slice(&fixture("petstore-swagger2.json")).unwrap();
    doc["basePath"] = "/v1/petstore".into();
    let bytes = serde_json::to_vec(&doc).unwrap();
    let cases = [
        (BasePathMode::Ignore, "/pets"),
        (BasePathMode::Prepend, "/v1/petstore/pets"),
        (BasePathMode::Split, "/petstore/pets"),
    ];
    for (mode, want) in cases {
        let opts = ImportOptions {
            basepath: mode,
            ..ImportOptions::default()
        };
        let api = import_document(&bytes, &opts).unwrap();
        assert!(api.resources.iter().any(|r| r.path == want), "{mode:?}");
        let unprefixed = api.resources.iter().any(|r| r.path == "/pets");
        assert_eq!(unprefixed, mode == BasePathMode::Ignore, "{mode:?}");
    }
    // OpenAPI 3: servers[0].url with the {basePath} variable default (/v1).
    let opts = ImportOptions {
        basepath: BasePathMode::Prepend,
        ..ImportOptions::default()
    };
    let api = import_document(&fixture("petstore-openapi3.yaml"), &opts).unwrap();
    assert!(api.resources.iter().any(|r| r.path == "/v1/pets/{petId}"));
    let opts = ImportOptions {
        basepath: BasePathMode::Split,
        ..ImportOptions::default()
    };
    let api = import_document(&fixture("petstore-openapi3.yaml"), &opts).unwrap();
    assert!(api.resources.iter().any(|r| r.path == "/pets/{petId}"));
}

#[test]
fn invalid_document_lists_every_problem() {
    let err =
        import_document(&fixture("invalid-openapi3.json"), &ImportOptions::default()).unwrap_err();
    let mut got: Vec<&str> = err.0.iter().map(|p| p.pointer.as_str()).collect();
    got.sort_unstable();
    let g = "/paths/~1g/get/x-amazon-apigateway-integration";
    let mut want = vec![
        "/info/title".to_string(),
        "/paths/~1a~1{x".to_string(),
        "/paths/~1b~1{y}".to_string(),
        "/paths/~1c~1{p+}~1d".to_string(),
        "/paths/~1j~1{id}~1k~1{id}".to_string(),
        // aws_proxy whose URI names no Lambda function.
        "/paths/~1e/get/x-amazon-apigateway-integration/uri".to_string(),
        "/paths/~1f/get/x-amazon-apigateway-integration".to_string(),
        "/paths/~1g/get/responses/20x".to_string(),
        format!("{g}/timeoutInMillis"),
        format!("{g}/passthroughBehavior"),
        format!("{g}/requestTemplates/application~1json"),
        format!("{g}/requestParameters/integration.request.header.X-Body"),
        format!("{g}/responses/("),
        "/paths/~1h/get".to_string(),
        "/paths/~1i/get/x-amazon-apigateway-integration/httpMethod".to_string(),
        "/paths/~1i/get/x-amazon-apigateway-integration/uri".to_string(),
    ];
    want.sort_unstable();
    assert_eq!(got, want, "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("Errors found during import:\n\t"),
        "{text}"
    );
    assert!(
        text.contains("Lambda integration URI must be arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function ARN}/invocations"),
        "{text}"
    );
    assert!(text.contains("A sibling ({x}) of this resource already has a variable path part -- only one is allowed"), "{text}");
    assert!(text.contains(
        "Unable to put integration on 'GET' for resource at path '/i': Invalid HTTP endpoint specified for URI (/paths/~1i/get/x-amazon-apigateway-integration/uri)"
    ), "{text}");
}

#[test]
fn refuses_what_is_not_an_api_document() {
    let cases: &[(&[u8], &str, &str)] = &[
        (
            b"\x00\x01 not yaml: [",
            "",
            "neither valid JSON nor valid YAML",
        ),
        (b"[1, 2]", "", "must be an object"),
        (
            b"{\"openapi\": \"3.1.0\", \"info\": {\"title\": \"t\"}, \"paths\": {}}",
            "/openapi",
            "'3.1.0' is not supported",
        ),
        (b"swagger: '1.2'\n", "/swagger", "'1.2' is not supported"),
        (
            b"info: {title: t}\npaths: {}\n",
            "",
            "neither an 'openapi' nor a 'swagger'",
        ),
        (
            b"openapi: 3.0.0\ninfo: {version: '1'}\npaths: {}\n",
            "/info/title",
            "info.title",
        ),
    ];
    for (doc, pointer, needle) in cases {
        let err = import_document(doc, &ImportOptions::default()).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert_eq!(err.0[0].pointer, *pointer, "{err}");
        assert!(err.0[0].message.contains(needle), "{err}");
    }
}

#[test]
fn warnings_fail_only_when_asked() {
    let doc = br#"{"openapi": "3.0.0", "info": {"title": "t"}, "paths": {"/x": {"get": {
        "parameters": [{"name": "sid", "in": "cookie"}],
        "x-amazon-apigateway-integration": {"type": "mock"}}}}}"#;
    let api = import_document(doc, &ImportOptions::default()).unwrap();
    assert_eq!(api.warnings.len(), 1);
    assert!(
        api.warnings[0].contains("/paths/~1x/get/parameters/0/in"),
        "{:?}",
        api.warnings
    );
    let opts = ImportOptions {
        fail_on_warnings: true,
        ..ImportOptions::default()
    };
    let err = import_document(doc, &opts).unwrap_err();
    assert_eq!(err.0[0].pointer, "/paths/~1x/get/parameters/0/in");
}

#[test]
fn yaml_alias_bomb_fails_fast() {
    let mut bomb = String::from("openapi: 3.0.0\ninfo: {title: t}\nx-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let refs: Vec<String> = (0..9).map(|_| format!("*a{}", i - 1)).collect();
        bomb.push_str(&format!("x-a{i}: &a{i} [{}]\n", refs.join(", ")));
    }
    bomb.push_str("paths: {}\n");
    // Expanded, this is 9^12 scalars: without the parser's alias budget the import would not
    // return at all, so getting the error back is the proof that the work is bounded (no timing
    // assertion, which would flake on a loaded machine).
    let err = import_document(bomb.as_bytes(), &ImportOptions::default()).unwrap_err();
    assert_eq!(err.0[0].pointer, "");
}
