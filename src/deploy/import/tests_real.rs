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
