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
