//! Documents in the shapes users bring from AWS samples and Terraform `body` exports: numeric
//! `info.version`, Swagger-style `securityDefinitions` left in an OpenAPI 3 document, every
//! problem of an integration listed at once.

use super::*;

fn import_str(doc: &str) -> Result<RestApi, Problems> {
    import_document(doc.as_bytes(), &ImportOptions::default())
}

const MOCK: &str = r#"{"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}, "responses": {"default": {"statusCode": "200"}}}"#;

#[test]
fn numeric_info_version_is_kept_as_a_string() {
    let yaml = "openapi: 3.0.1\ninfo:\n  title: t\n  version: 1.0\npaths: {}\n";
    assert_eq!(import_str(yaml).unwrap().version.as_deref(), Some("1.0"));
    let json = r#"{"swagger": "2.0", "info": {"title": "t", "version": 1}, "paths": {}}"#;
    let api = import_str(json).unwrap();
    assert_eq!(api.version.as_deref(), Some("1"));
    let doc = crate::deploy::export::export(
        &api,
        &crate::deploy::model::Stage::default(),
        crate::deploy::export::Spec::Swagger2,
        &crate::deploy::export::ExportOptions::default(),
    );
    assert_eq!(doc["info"]["version"], serde_json::json!("1"));
    // `swagger: 2.0` / `openapi: 3.0` unquoted are numbers in YAML.
    let unquoted = "swagger: 2.0\ninfo: {title: t, version: 1}\npaths: {}\n";
    assert_eq!(import_str(unquoted).unwrap().version.as_deref(), Some("1"));
    assert!(import_str("openapi: 3.0\ninfo: {title: t, version: 1}\npaths: {}\n").is_ok());
    assert!(import_str("openapi: 3.1\ninfo: {title: t, version: 1}\npaths: {}\n").is_err());
    let bad = r#"{"swagger": "2.0", "info": {"title": "t", "version": [1]}, "paths": {}}"#;
    assert_eq!(import_str(bad).unwrap_err().0[0].pointer, "/info/version");
}

#[test]
fn openapi3_reads_a_swagger_style_security_definitions_block() {
    let doc = r#"{
      "openapi": "3.0.1",
      "info": {"title": "cognito", "version": "2024-01-01"},
      "securityDefinitions": {
        "UserPool": {
          "type": "apiKey", "name": "Authorization", "in": "header",
          "x-amazon-apigateway-authtype": "cognito_user_pools",
          "x-amazon-apigateway-authorizer": {
            "type": "cognito_user_pools",
            "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"]
          }
        },
        "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}
      },
      "paths": {"/orders": {"get": {
        "security": [{"UserPool": ["orders/read"], "api_key": []}],
        "x-amazon-apigateway-integration": MOCK
      }}}
    }"#
    .replace("MOCK", MOCK);
    let api = import_str(&doc).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(api.authorizers.len(), 1);
    assert_eq!(api.authorizers[0].name, "UserPool");
    let m = &api
        .resources
        .iter()
        .find(|r| r.path == "/orders")
        .unwrap()
        .resource_methods["GET"];
    assert_eq!(m.authorization_type, "COGNITO_USER_POOLS");
    assert_eq!(m.authorizer_id.as_ref(), Some(&api.authorizers[0].id));
    assert_eq!(m.authorization_scopes, ["orders/read"]);
    assert!(m.api_key_required);
    assert!(!api.extra.contains_key("securityDefinitions"));
    assert!(api
        .warnings
        .iter()
        .any(|w| w.contains("securityDefinitions")));
}

/// Every problem of one integration is listed, each with its pointer, even when its type is
/// wrong (the type used to stop the check there).
#[test]
fn every_problem_of_an_integration_is_listed() {
    let doc = r#"{
      "openapi": "3.0.1",
      "info": {"title": "t", "version": "1"},
      "paths": {"/a/{id}": {"get": {
        "x-amazon-apigateway-integration": {
          "type": "bogus", "httpMethod": 5, "uri": "not a uri",
          "timeoutInMillis": 5, "passthroughBehavior": "sometimes",
          "contentHandling": "CONVERT_TO_SOMETHING",
          "requestParameters": {"bogus": "x"},
          "responses": {"default": {"statusCode": "2000"}}
        }
      }}}
    }"#;
    let problems = import_str(doc).unwrap_err();
    let at = "/paths/~1a~1{id}/get/x-amazon-apigateway-integration";
    let mut pointers: Vec<&str> = problems
        .0
        .iter()
        .map(|p| p.pointer.strip_prefix(at).unwrap_or(&p.pointer))
        .collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        [
            "/contentHandling",
            "/httpMethod",
            "/passthroughBehavior",
            "/requestParameters/bogus",
            "/responses/default",
            "/timeoutInMillis",
            "/type",
        ],
        "{problems}"
    );
}

fn real(name: &str) -> RestApi {
    real_with(name, &[])
}

/// A real document with its authors' placeholders (`${uri}`) filled in, as their tests do
/// (`tests/fixtures/templated`).
fn real_with(name: &str, substitutions: &[(&str, &str)]) -> RestApi {
    let dir = if substitutions.is_empty() {
        "real"
    } else {
        "templated"
    };
    let path = format!("{}/tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for (from, to) in substitutions {
        doc = doc.replace(from, to);
    }
    import_document(doc.as_bytes(), &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn method<'a>(api: &'a RestApi, path: &str, verb: &str) -> &'a crate::deploy::model::Method {
    &api.resources
        .iter()
        .find(|r| r.path == path)
        .unwrap_or_else(|| panic!("no resource {path}"))
        .resource_methods[verb]
}

/// Documents in the shapes users bring (tests/fixtures/real) import with what they declare.
#[test]
fn real_world_documents_import() {
    let sam = real("sam-cognito-orders.yaml");
    assert_eq!(sam.version.as_deref(), Some("1.0"));
    let post = method(&sam, "/orders", "POST");
    assert_eq!(post.authorization_type, "COGNITO_USER_POOLS");
    assert_eq!(post.authorization_scopes, ["orders/write"]);
    assert_eq!(post.request_models["application/json"], "Order");
    assert!(post.request_validator_id.is_some());
    assert_eq!(
        method(&sam, "/orders", "OPTIONS").authorization_type,
        "NONE"
    );
    let order = sam.models.iter().find(|m| m.name == "Order").unwrap();
    assert!(order
        .schema
        .as_deref()
        .unwrap()
        .contains("#/components/schemas/LineItem"));
    assert_eq!(sam.gateway_responses.len(), 2);

    let tf = real("terraform-body.json");
    assert_eq!(tf.version.as_deref(), Some("1"));
    assert_eq!(tf.binary_media_types, ["image/png"]);
    assert!(method(&tf, "/{proxy+}", "ANY").method_integration.is_some());
    assert_eq!(
        method(&tf, "/health", "GET")
            .method_integration
            .as_ref()
            .unwrap()
            .integration_responses["200"]
            .selection_pattern,
        None
    );

    let shop = real("swagger-petshop-models.yaml");
    assert_eq!(shop.version.as_deref(), Some("2"));
    assert!(method(&shop, "/pets", "GET").api_key_required);
    assert_eq!(method(&shop, "/pets", "POST").authorization_type, "AWS_IAM");
    assert_eq!(
        method(&shop, "/pets", "POST").request_models["application/json"],
        "NewPet"
    );
    assert!(method(&shop, "/pets/{petId}", "GET")
        .request_parameters
        .contains_key("method.request.path.petId"));

    let token = real("lambda-token-authorizer.json");
    assert_eq!(token.authorizers.len(), 2);
    assert_eq!(method(&token, "/public", "GET").authorization_type, "NONE");
    assert_eq!(
        method(&token, "/private", "GET").authorization_type,
        "CUSTOM"
    );
    assert_eq!(
        method(&token, "/tenant", "GET").authorization_type,
        "CUSTOM"
    );
    assert_ne!(
        method(&token, "/private", "GET").authorizer_id,
        method(&token, "/tenant", "GET").authorizer_id
    );
    assert!(token
        .policy
        .as_deref()
        .unwrap()
        .contains("execute-api:Invoke"));

    // YAML reads `3.10` as the number 3.1, as AWS's parser does.
    let catalog = real("oas3-refs-and-cors.yaml");
    assert_eq!(catalog.version.as_deref(), Some("3.1"));
    let put = method(&catalog, "/items/{itemId}", "PUT");
    assert_eq!(put.request_models["application/json"], "Item");
    assert_eq!(
        put.method_responses["200"].response_models["application/json"],
        "Item"
    );
    assert!(method(&catalog, "/items/{itemId}", "GET")
        .request_parameters
        .contains_key("method.request.header.X-Trace-Id"));
}

/// Issue 11's real documents import with their authorizers as AWS reads them: LocalStack's
/// petstore-authorizer (a TOKEN authorizer named by `security`, one left unused) and cognito-auth
/// (two user-pool authorizers on a custom header, method scopes overriding the document's).
#[test]
fn localstack_authorizer_documents_import() {
    let pet = real_with(
        "localstack-petstore-authorizer.swagger.json",
        &[("${uri}", "http://petstore.example.com/petstore/pets")],
    );
    let used: Vec<_> = pet.authorizers.iter().map(|a| a.name.as_str()).collect();
    assert!(used.contains(&"test-authorizer"), "{used:?}");
    let auth = pet
        .authorizers
        .iter()
        .find(|a| a.name == "test-authorizer")
        .unwrap();
    assert_eq!(auth.extra["type"], "TOKEN");
    assert_eq!(
        auth.extra["identitySource"],
        "method.request.header.Authorization"
    );
    assert_eq!(auth.extra["identityValidationExpression"], "^x-[a-z]+");
    assert_eq!(auth.extra["authorizerResultTtlInSeconds"], 60);
    let get = method(&pet, "/pets", "GET");
    assert_eq!(get.authorization_type, "CUSTOM");
    assert_eq!(get.authorizer_id.as_deref(), Some(auth.id.as_str()));
    assert_eq!(method(&pet, "/pets", "POST").authorization_type, "NONE");

    let cognito = real_with(
        "localstack-openapi.cognito-auth.json",
        &[(
            "${cognito_pool_arn}",
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc",
        )],
    );
    let by_name = |n: &str| cognito.authorizers.iter().find(|a| a.name == n).unwrap();
    let default = by_name("cognito-test-identity-source");
    assert_eq!(default.extra["type"], "COGNITO_USER_POOLS");
    assert_eq!(
        default.extra["identitySource"],
        "method.request.header.TestHeaderAuth"
    );
    let no_scope = method(&cognito, "/default-no-scope", "GET");
    assert_eq!(no_scope.authorization_type, "COGNITO_USER_POOLS");
    assert!(no_scope.authorization_scopes.is_empty());
    assert_eq!(
        method(&cognito, "/default-scope-override", "GET").authorization_scopes,
        ["openid"]
    );
    let extra = method(&cognito, "/non-default-authorizer", "GET");
    assert_eq!(
        extra.authorizer_id.as_deref(),
        Some(by_name("extra-test-identity-source").id.as_str())
    );
    assert_eq!(extra.authorization_scopes, ["email", "openid"]);
    // The document-level `security` (scope `email`) applies where a method says nothing.
    let pets = method(&cognito, "/pets", "GET");
    assert_eq!(pets.authorization_type, "COGNITO_USER_POOLS");
    assert_eq!(pets.authorization_scopes, ["email"]);
}
