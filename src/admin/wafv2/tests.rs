//! The wafv2 operations against a real control plane (a temporary store): shapes, lock tokens,
//! refusals that change nothing, and the compiled program reaching the stage's snapshot.

use super::*;
use crate::admin::control::tests::{boot, settings, PETS};
use crate::deploy::publish::SnapshotCell;
use std::sync::Arc;

fn call(cp: &mut ControlPlane, op: &str, body: Value) -> (u16, Value) {
    let req = Request {
        method: "POST".into(),
        path: "/".into(),
        query: Vec::new(),
        headers: vec![("X-Amz-Target".into(), format!("{TARGET_PREFIX}{op}"))],
        body: serde_json::to_vec(&body).unwrap(),
        keep_alive: true,
    };
    let r = run(cp, op, &req);
    (r.status, serde_json::from_slice(&r.body).unwrap())
}

fn tx() -> Value {
    json!([{"Priority": 0, "Type": "URL_DECODE"}])
}

fn vis() -> Value {
    json!({"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "m"})
}

#[test]
fn web_acl_lifecycle_reaches_the_stage() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pets.json"), PETS).unwrap();
    let s = settings(dir.path(), vec![boot("pets.json", None, &[])]);
    let api = crate::admin::boot::derived_id("Pets");
    let mut cp = ControlPlane::open(&s, Arc::new(SnapshotCell::default())).unwrap();

    let (st, ip) = call(
        &mut cp,
        "CreateIPSet",
        json!({"Name": "bad", "Scope": "REGIONAL",
        "IPAddressVersion": "IPV4", "Addresses": ["203.0.113.0/24"]}),
    );
    assert_eq!(st, 200, "{ip}");
    let ip_arn = ip["Summary"]["ARN"].as_str().unwrap().to_string();
    assert!(ip_arn.starts_with("arn:aws:wafv2:us-east-1:"), "{ip_arn}");
    assert!(ip_arn.contains(":regional/ipset/bad/"), "{ip_arn}");
    // The same name again is a duplicate; a v6 CIDR in a v4 set is invalid.
    let (st, e) = call(
        &mut cp,
        "CreateIPSet",
        json!({"Name": "bad", "Scope": "REGIONAL",
        "IPAddressVersion": "IPV4", "Addresses": []}),
    );
    assert_eq!(
        (st, e["__type"].as_str()),
        (400, Some("WAFDuplicateItemException"))
    );
    let (st, e) = call(
        &mut cp,
        "CreateIPSet",
        json!({"Name": "v6", "Scope": "REGIONAL",
        "IPAddressVersion": "IPV4", "Addresses": ["2001:db8::/32"]}),
    );
    assert_eq!(
        (st, e["__type"].as_str()),
        (400, Some("WAFInvalidParameterException"))
    );

    let rules = json!([{"Name": "ips", "Priority": 1, "Action": {"Block": {}}, "VisibilityConfig": vis(),
        "Statement": {"IPSetReferenceStatement": {"ARN": ip_arn}}},
        {"Name": "sqli", "Priority": 2, "Action": {"Block": {}}, "VisibilityConfig": vis(),
        "Statement": {"SqliMatchStatement": {"FieldToMatch": {"QueryString": {}}, "TextTransformations": tx()}}}]);
    let (st, acl) = call(
        &mut cp,
        "CreateWebACL",
        json!({"Name": "acl", "Scope": "REGIONAL",
        "DefaultAction": {"Allow": {}}, "VisibilityConfig": vis(), "Rules": rules}),
    );
    assert_eq!(st, 200, "{acl}");
    let acl_arn = acl["Summary"]["ARN"].as_str().unwrap().to_string();
    let acl_id = acl["Summary"]["Id"].as_str().unwrap().to_string();

    // A rule that does not compile: refused, nothing changed.
    let (_, got) = call(
        &mut cp,
        "GetWebACL",
        json!({"Name": "acl", "Scope": "REGIONAL", "Id": acl_id}),
    );
    let token = got["LockToken"].as_str().unwrap().to_string();
    let bad_rules = json!([{"Name": "re", "Priority": 1, "Action": {"Block": {}}, "VisibilityConfig": vis(),
        "Statement": {"RegexMatchStatement": {"RegexString": "(", "FieldToMatch": {"UriPath": {}}, "TextTransformations": tx()}}}]);
    let (st, e) = call(
        &mut cp,
        "UpdateWebACL",
        json!({"Name": "acl", "Scope": "REGIONAL", "Id": acl_id,
        "LockToken": token, "DefaultAction": {"Allow": {}}, "VisibilityConfig": vis(), "Rules": bad_rules}),
    );
    assert_eq!(
        (st, e["__type"].as_str()),
        (400, Some("WAFInvalidParameterException")),
        "{e}"
    );
    assert!(
        e["Message"].as_str().unwrap().contains("REGEX_PATTERN"),
        "{e}"
    );
    let (_, again) = call(
        &mut cp,
        "GetWebACL",
        json!({"Name": "acl", "Scope": "REGIONAL", "Id": acl_id}),
    );
    assert_eq!(again, got);

    // Associate: the stage shows webAclArn and its snapshot carries the program.
    let resource = format!("arn:aws:apigateway:us-east-1::/restapis/{api}/stages/prod");
    let (st, e) = call(
        &mut cp,
        "AssociateWebACL",
        json!({"WebACLArn": acl_arn, "ResourceArn": resource}),
    );
    assert_eq!(st, 200, "{e}");
    assert_eq!(
        cp.get_stage(&api, "prod").unwrap().extra["webAclArn"],
        acl_arn.as_str()
    );
    let snap = cp.cell().load();
    let program = snap.apis[0].stages[0]
        .waf
        .as_ref()
        .expect("compiled into the stage");
    assert_eq!(program.rules.len(), 2);
    let (_, f) = call(
        &mut cp,
        "GetWebACLForResource",
        json!({"ResourceArn": resource}),
    );
    assert_eq!(f["WebACL"]["ARN"], acl_arn.as_str());

    // In use: neither the ACL nor its IP set can be deleted; a stale lock token is refused.
    let (st, e) = call(
        &mut cp,
        "DeleteWebACL",
        json!({"Name": "acl", "Scope": "REGIONAL", "Id": acl_id, "LockToken": token}),
    );
    assert_eq!(
        (st, e["__type"].as_str()),
        (400, Some("WAFAssociatedItemException"))
    );
    let ip_id = ip["Summary"]["Id"].as_str().unwrap();
    let ip_token = ip["Summary"]["LockToken"].as_str().unwrap();
    let (st, e) = call(
        &mut cp,
        "DeleteIPSet",
        json!({"Name": "bad", "Scope": "REGIONAL", "Id": ip_id, "LockToken": ip_token}),
    );
    assert_eq!(
        (st, e["__type"].as_str()),
        (400, Some("WAFAssociatedItemException"))
    );
    let (st, e) = call(
        &mut cp,
        "UpdateIPSet",
        json!({"Name": "bad", "Scope": "REGIONAL", "Id": ip_id,
        "LockToken": "stale", "Addresses": []}),
    );
    assert_eq!(
        (st, e["__type"].as_str()),
        (400, Some("WAFOptimisticLockException"))
    );

    // Disassociate, then the ACL goes.
    let (st, _) = call(
        &mut cp,
        "DisassociateWebACL",
        json!({"ResourceArn": resource}),
    );
    assert_eq!(st, 200);
    assert!(cp.cell().load().apis[0].stages[0].waf.is_none());
    let (st, e) = call(
        &mut cp,
        "DeleteWebACL",
        json!({"Name": "acl", "Scope": "REGIONAL", "Id": acl_id, "LockToken": token}),
    );
    assert_eq!(st, 200, "{e}");
    let (_, l) = call(&mut cp, "ListWebACLs", json!({"Scope": "REGIONAL"}));
    assert_eq!(l["WebACLs"], json!([]));
}
