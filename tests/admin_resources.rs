//! Building an API from nothing over the management API, as the aws CLI does: create-rest-api,
//! create-resource, put-method, put-method-response, put-integration, put-integration-response,
//! deploy, invoke on the data port; edits after deploying change nothing served until the next
//! deployment; export -> import round trip; AWS's errors. Each test runs on both drivers.

mod common;
use common::*;
use serde_json::{json, Value};

fn ok(r: &Response, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.text());
    if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

fn error(r: &Response, status: u16, kind: &str) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("x-amzn-ErrorType"), Some(kind), "{}", r.text());
    r.json()["message"].as_str().unwrap_or_default().to_string()
}

/// create-rest-api + /hello (MOCK 200 with a template); returns (api id, root id, hello id).
fn build(gw: &Gateway) -> (String, String, String) {
    let api = ok(&gw.admin("POST", "/restapis", br#"{"name":"built"}"#), 201);
    let id = api["id"].as_str().unwrap().to_string();
    let root = api["rootResourceId"].as_str().unwrap().to_string();
    let base = format!("/restapis/{id}/resources");
    let r = ok(
        &gw.admin(
            "POST",
            &format!("{base}/{root}"),
            br#"{"pathPart":"hello"}"#,
        ),
        201,
    );
    assert_eq!(r["path"], "/hello");
    assert_eq!(r["parentId"], root.as_str());
    let hello = r["id"].as_str().unwrap().to_string();
    let m = format!("{base}/{hello}/methods/GET");
    let r = ok(
        &gw.admin("PUT", &m, br#"{"authorizationType":"NONE"}"#),
        201,
    );
    assert_eq!(r["httpMethod"], "GET");
    ok(
        &gw.admin(
            "PUT",
            &format!("{m}/responses/200"),
            br#"{"responseParameters":{"method.response.header.X-Built":false}}"#,
        ),
        201,
    );
    let r = ok(
        &gw.admin(
            "PUT",
            &format!("{m}/integration"),
            br#"{"type":"MOCK","requestTemplates":{"application/json":"{\"statusCode\": 200}"}}"#,
        ),
        201,
    );
    assert_eq!(r["type"], "MOCK");
    assert_eq!(r["timeoutInMillis"], 29000);
    let r = ok(
        &gw.admin(
            "PUT",
            &format!("{m}/integration/responses/200"),
            br#"{"responseTemplates":{"application/json":"{\"built\": true}"},
                 "responseParameters":{"method.response.header.X-Built":"'yes'"}}"#,
        ),
        201,
    );
    assert_eq!(r["statusCode"], "200");
    (id, root, hello)
}

#[test]
fn build_deploy_invoke_then_edit_without_changing_what_is_served() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let (id, root, hello) = build(&gw);
        let base = format!("/restapis/{id}/resources");

        let m = ok(
            &gw.admin("GET", &format!("{base}/{hello}/methods/GET"), b""),
            200,
        );
        assert_eq!(
            m["methodIntegration"]["integrationResponses"]["200"]["statusCode"],
            "200"
        );
        assert_eq!(m["methodResponses"]["200"]["statusCode"], "200");
        let list = ok(&gw.admin("GET", &format!("{base}?embed=methods"), b""), 200);
        let items = list["item"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        let h = items.iter().find(|r| r["id"] == hello.as_str()).unwrap();
        assert_eq!(
            h["resourceMethods"]["GET"]["methodIntegration"]["type"],
            "MOCK"
        );
        let plain = ok(&gw.admin("GET", &format!("{base}/{hello}"), b""), 200);
        assert_eq!(plain["resourceMethods"], json!({"GET": {}}));

        gw.deploy(&id, "prod", &[]);
        let r = gw.call(&id, "GET", "/prod/hello", b"");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json(), json!({"built": true}));
        assert_eq!(r.header("X-Built"), Some("yes"));

        // Rename the resource and change the template: the stage serves its deployment still.
        let r = ok(
            &gw.admin(
                "PATCH",
                &format!("{base}/{hello}"),
                br#"{"patchOperations":[{"op":"replace","path":"/pathPart","value":"hi"}]}"#,
            ),
            200,
        );
        assert_eq!(r["path"], "/hi");
        ok(
            &gw.admin(
                "PATCH",
                &format!("{base}/{hello}/methods/GET/integration/responses/200"),
                br#"{"patchOperations":[{"op":"replace","path":"/responseTemplates/application~1json","value":"{\"v\": 2}"}]}"#,
            ),
            200,
        );
        assert_eq!(gw.call(&id, "GET", "/prod/hello", b"").status, 200);
        gw.deploy(&id, "prod", &[]);
        let r = gw.call(&id, "GET", "/prod/hi", b"");
        assert_eq!(r.json(), json!({"v": 2}));
        assert_ne!(gw.call(&id, "GET", "/prod/hello", b"").status, 200);

        let r = ok(
            &gw.admin(
                "PATCH",
                &format!("/restapis/{id}"),
                br#"{"patchOperations":[{"op":"replace","path":"/name","value":"renamed"},
                    {"op":"add","path":"/binaryMediaTypes/image~1png"}]}"#,
            ),
            200,
        );
        assert_eq!(r["name"], "renamed");
        assert_eq!(r["binaryMediaTypes"], json!(["image/png"]));

        // Delete the method, then the resource (subtree).
        assert_eq!(
            gw.admin("DELETE", &format!("{base}/{hello}/methods/GET"), b"")
                .status,
            204
        );
        assert_eq!(
            gw.admin("DELETE", &format!("{base}/{hello}"), b"").status,
            202
        );
        let list = ok(&gw.admin("GET", &base, b""), 200);
        assert_eq!(list["item"].as_array().unwrap().len(), 1);
        assert_eq!(list["item"][0]["id"], root.as_str());
    });
}

#[test]
fn export_then_import_gives_the_same_api() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let (id, _, _) = build(&gw);
        gw.deploy(&id, "prod", &[]);
        let url = format!("/restapis/{id}/stages/prod/exports/oas30?extensions=apigateway");
        let r = gw.admin("GET", &url, b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let doc = r.text();
        assert_eq!(gw.admin("GET", &url, b"").text(), doc, "byte-stable");
        let exported = r.json();
        assert_eq!(exported["openapi"], "3.0.1");
        assert_eq!(exported["info"]["title"], "built");
        assert_eq!(
            exported["paths"]["/hello"]["get"]["x-amazon-apigateway-integration"]["type"],
            "mock"
        );

        let copy = gw.import(&doc);
        gw.deploy(&copy, "prod", &[]);
        let r = gw.call(&copy, "GET", "/prod/hello", b"");
        assert_eq!(r.json(), json!({"built": true}));
        let again = gw
            .admin(
                "GET",
                &format!("/restapis/{copy}/stages/prod/exports/oas30?extensions=apigateway"),
                b"",
            )
            .text();
        assert_eq!(again, doc, "export(import(export(api))) == export(api)");
        let swagger = gw.admin(
            "GET",
            &format!("/restapis/{id}/stages/prod/exports/swagger"),
            b"",
        );
        assert_eq!(swagger.json()["swagger"], "2.0");
    });
}

#[test]
fn errors_are_aws_shaped_and_change_nothing() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let (id, root, hello) = build(&gw);
        let base = format!("/restapis/{id}/resources");
        let m = format!("{base}/{hello}/methods/GET");

        let msg = error(
            &gw.admin(
                "POST",
                &format!("{base}/{root}"),
                br#"{"pathPart":"hello"}"#,
            ),
            409,
            "ConflictException",
        );
        assert_eq!(
            msg,
            "Another resource with the same parent already has this name: hello"
        );
        let msg = error(
            &gw.admin("GET", &format!("{base}/nope"), b""),
            404,
            "NotFoundException",
        );
        assert_eq!(msg, "Invalid Resource identifier specified");
        error(
            &gw.admin("GET", &format!("{base}/{hello}/methods/PUT"), b""),
            404,
            "NotFoundException",
        );
        error(
            &gw.admin("PUT", &m, br#"{"authorizationType":"NONE"}"#),
            409,
            "ConflictException",
        );
        let msg = error(
            &gw.admin(
                "PATCH",
                &m,
                br#"{"patchOperations":[{"op":"replace","path":"/foo","value":"x"}]}"#,
            ),
            400,
            "BadRequestException",
        );
        assert!(
            msg.starts_with(
                "Invalid patch path '/foo' specified for op 'replace'. Must be one of: ["
            ),
            "{msg}"
        );
        error(
            &gw.admin(
                "PATCH",
                &m,
                br#"{"patchOperations":[{"op":"frob","path":"/x"}]}"#,
            ),
            400,
            "BadRequestException",
        );
        // A bad integration URI is refused with the compiler's message; the old one stays.
        let msg = error(
            &gw.admin(
                "PUT",
                &format!("{m}/integration"),
                br#"{"type":"HTTP","integrationHttpMethod":"GET","uri":"not a uri"}"#,
            ),
            400,
            "BadRequestException",
        );
        assert!(!msg.is_empty());
        error(
            &gw.admin(
                "PUT",
                &format!("{m}/integration"),
                br#"{"type":"MOCK","bogus":1}"#,
            ),
            400,
            "BadRequestException",
        );
        let i = ok(&gw.admin("GET", &format!("{m}/integration"), b""), 200);
        assert_eq!(i["type"], "MOCK");
        error(
            &gw.admin("POST", "/restapis", b"{}"),
            400,
            "BadRequestException",
        );
        error(
            &gw.admin(
                "GET",
                &format!("/restapis/{id}/stages/prod/exports/oas30"),
                b"",
            ),
            404,
            "NotFoundException",
        );
    });
}
