//! The AWS-shaped management API on the admin port: import, list, get, overwrite, delete,
//! deployments and stages, with AWS's JSON field names and error shapes; a failed import or
//! overwrite changes nothing that is served. Each test runs on both drivers.

mod common;
use common::*;

#[test]
fn import_get_list_deploy_and_stages() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let be = Backends::start();
        assert_eq!(gw.admin("GET", "/ping", b"").status, 200);

        let r = gw.admin(
            "POST",
            "/restapis?mode=import",
            be.render(&fixture("api-oas3.json")).as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let api = r.json();
        let id = api["id"].as_str().expect("id").to_string();
        assert_eq!(api["name"], "blackbox");
        assert!(
            api["rootResourceId"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "rootResourceId: {api}"
        );
        assert!(api.get("createdDate").is_some(), "createdDate: {api}");

        let r = gw.admin("GET", &format!("/restapis/{id}"), b"");
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["id"], id.as_str());
        assert_eq!(r.json()["name"], "blackbox");

        let list = gw.admin("GET", "/restapis", b"").json();
        assert!(
            list["item"]
                .as_array()
                .expect("item")
                .iter()
                .any(|a| a["id"] == id.as_str()),
            "GET /restapis: {list}"
        );

        let echo = be.echo.hostport();
        let body =
            serde_json::json!({"stageName": "prod", "variables": {"backend": echo, "tag": "t1"}});
        let r = gw.admin(
            "POST",
            &format!("/restapis/{id}/deployments"),
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let dep = r.json()["id"].as_str().expect("deployment id").to_string();

        let stages = gw
            .admin("GET", &format!("/restapis/{id}/stages"), b"")
            .json();
        let items = stages["item"].as_array().expect("item");
        assert_eq!(items.len(), 1, "{stages}");
        assert_eq!(items[0]["stageName"], "prod");
        assert_eq!(items[0]["deploymentId"], dep.as_str());
        let stage = gw.admin("GET", &format!("/restapis/{id}/stages/prod"), b"");
        assert_eq!(stage.status, 200);
        assert_eq!(stage.json()["variables"]["tag"], "t1");
        assert_eq!(
            gw.admin("GET", &format!("/restapis/{id}/stages/nope"), b"")
                .status,
            404
        );

        assert_eq!(gw.call(&id, "GET", "/prod/mock", b"").status, 200);

        // Delete: gone from the admin API and from the data plane.
        let r = gw.admin("DELETE", &format!("/restapis/{id}"), b"");
        assert!(
            (200..300).contains(&r.status),
            "DELETE: {} {}",
            r.status,
            r.text()
        );
        let r = gw.admin("GET", &format!("/restapis/{id}"), b"");
        assert_eq!(r.status, 404);
        assert!(r
            .header("x-amzn-ErrorType")
            .unwrap_or_default()
            .starts_with("NotFoundException"));
        let r = gw.call(&id, "GET", "/prod/mock", b"");
        assert_ne!(r.status, 200, "a deleted API is still served");
    });
}

#[test]
fn invalid_documents_are_rejected_with_every_problem_and_change_nothing() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let bad = fixture("invalid-api.yaml");
        let before = env.gw.admin("GET", "/restapis", b"").json()["item"]
            .as_array()
            .map(Vec::len);

        let r = env
            .gw
            .admin("POST", "/restapis?mode=import", bad.as_bytes());
        assert_eq!(r.status, 400, "{}", r.text());
        let et = r.header("x-amzn-ErrorType").unwrap_or_default();
        assert!(
            et.starts_with("BadRequestException"),
            "x-amzn-ErrorType: {et:?}"
        );
        let msg = message(&r);
        assert!(
            msg.contains("bad-one") && msg.contains("bad-two"),
            "every problem listed: {msg}"
        );
        let after = env.gw.admin("GET", "/restapis", b"").json()["item"]
            .as_array()
            .map(Vec::len);
        assert_eq!(before, after, "a failed import created an API");

        // Not a document at all.
        let r = env.gw.admin(
            "POST",
            "/restapis?mode=import",
            b"{ this is not json or yaml: [",
        );
        assert_eq!(r.status, 400, "{}", r.text());

        // A failed overwrite leaves the API and what its stage serves as they were.
        let r = env.gw.admin(
            "PUT",
            &format!("/restapis/{}?mode=overwrite", env.api),
            bad.as_bytes(),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(env.get("/prod/mock").json()["mock"], "ok");
        let r = env.gw.admin(
            "POST",
            &format!("/restapis/{}/deployments", env.api),
            br#"{"stageName":"prod"}"#,
        );
        assert_eq!(
            r.status,
            201,
            "redeploy after a failed overwrite: {}",
            r.text()
        );
        assert_eq!(
            env.get("/prod/mock").json()["mock"],
            "ok",
            "the failed overwrite leaked into a deployment"
        );

        // Unknown ids
        let r = env.gw.admin("GET", "/restapis/doesnotexist", b"");
        assert_eq!(r.status, 404);
        let r = env.gw.admin(
            "POST",
            "/restapis/doesnotexist/deployments",
            br#"{"stageName":"prod"}"#,
        );
        assert_eq!(r.status, 404);
    });
}
