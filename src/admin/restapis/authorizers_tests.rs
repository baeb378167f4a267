use super::*;
use crate::deploy::model::{Method, Resource};

const LAMBDA: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations";

fn api() -> RestApi {
    RestApi {
        id: "a1".into(),
        resources: vec![Resource {
            id: "r".into(),
            path: "/".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn spec(json: &str) -> Spec {
    serde_json::from_str(json).unwrap()
}

#[test]
fn create_validates_each_type() {
    let ok = [
        format!(r#"{{"name":"tok","type":"TOKEN","authorizerUri":"{LAMBDA}","identitySource":"method.request.header.Authorization","identityValidationExpression":"^Bearer .+$"}}"#),
        format!(r#"{{"name":"req","type":"REQUEST","authorizerUri":"{LAMBDA}","identitySource":"method.request.header.X, method.request.querystring.q, stageVariables.s, context.path"}}"#),
        format!(r#"{{"name":"nocache","type":"REQUEST","authorizerUri":"{LAMBDA}","authorizerResultTtlInSeconds":0}}"#),
        r#"{"name":"cog","type":"COGNITO_USER_POOLS","providerARNs":["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"],"identitySource":"method.request.header.Authorization"}"#.to_string(),
    ];
    let mut a = api();
    for body in &ok {
        create_authorizer(&mut a, spec(body)).unwrap_or_else(|e| panic!("{body}: {e:?}"));
    }
    assert_eq!(a.authorizers[0].extra["authorizerResultTtlInSeconds"], 300);
    assert_eq!(a.authorizers[0].extra["type"], "TOKEN");
    let bad = [
        r#"{"type":"TOKEN"}"#.to_string(),
        r#"{"name":"x","type":"JWT"}"#.to_string(),
        r#"{"name":"x","type":"TOKEN","identitySource":"method.request.header.A"}"#.to_string(),
        format!(r#"{{"name":"x","type":"TOKEN","authorizerUri":"{LAMBDA}"}}"#),
        format!(r#"{{"name":"x","type":"TOKEN","authorizerUri":"{LAMBDA}","identitySource":"method.request.querystring.a"}}"#),
        format!(r#"{{"name":"x","type":"TOKEN","authorizerUri":"{LAMBDA}","identitySource":"method.request.header.A","authorizerResultTtlInSeconds":3601}}"#),
        format!(r#"{{"name":"x","type":"TOKEN","authorizerUri":"{LAMBDA}","identitySource":"method.request.header.A","identityValidationExpression":"("}}"#),
        format!(r#"{{"name":"x","type":"REQUEST","authorizerUri":"{LAMBDA}"}}"#),
        format!(r#"{{"name":"x","type":"REQUEST","authorizerUri":"{LAMBDA}","identitySource":"header.A"}}"#),
        r#"{"name":"x","type":"COGNITO_USER_POOLS","identitySource":"method.request.header.A"}"#.to_string(),
        r#"{"name":"x","type":"TOKEN","authorizerUri":"http://example.com","identitySource":"method.request.header.A"}"#.to_string(),
        format!(r#"{{"name":"{}","type":"TOKEN","authorizerUri":"{LAMBDA}","identitySource":"method.request.header.A"}}"#, "n".repeat(129)),
    ];
    for body in &bad {
        let err = create_authorizer(&mut a, spec(body)).unwrap_err();
        assert_eq!(err.parts().0, 400, "{body}: {err:?}");
    }
    let dup = format!(
        r#"{{"name":"tok","type":"TOKEN","authorizerUri":"{LAMBDA}","identitySource":"method.request.header.A"}}"#
    );
    assert_eq!(
        create_authorizer(&mut a, spec(&dup)).unwrap_err().parts().0,
        409
    );
    assert!(serde_json::from_str::<Spec>(r#"{"name":"x","type":"TOKEN","bogus":1}"#).is_err());
    assert_eq!(a.authorizers.len(), 4);
}

#[test]
fn update_revalidates_and_keeps_unknown_members() {
    let mut a = api();
    let body = format!(
        r#"{{"name":"tok","type":"TOKEN","authorizerUri":"{LAMBDA}","identitySource":"method.request.header.Authorization"}}"#
    );
    let created = create_authorizer(&mut a, spec(&body)).unwrap();
    a.authorizers[0]
        .extra
        .insert("x-vendor".into(), "kept".into());
    let ops = patch::parse(br#"{"patchOperations":[{"op":"replace","path":"/authorizerResultTtlInSeconds","value":"60"},{"op":"replace","path":"/name","value":"renamed"}]}"#).unwrap();
    let u = update_authorizer(&mut a, &created.id, &ops).unwrap();
    assert_eq!(u.name, "renamed");
    assert_eq!(u.extra["authorizerResultTtlInSeconds"], 60);
    assert_eq!(u.extra["x-vendor"], "kept");
    let out = authorizer_out(&u);
    assert_eq!(out["identitySource"], "method.request.header.Authorization");
    assert!(out.get("x-vendor").is_none());
    // Switching to REQUEST keeps a header source; switching to COGNITO without ARNs is refused.
    let bad = patch::parse(
        br#"{"patchOperations":[{"op":"replace","path":"/type","value":"COGNITO_USER_POOLS"}]}"#,
    )
    .unwrap();
    assert_eq!(
        update_authorizer(&mut a, &created.id, &bad)
            .unwrap_err()
            .parts()
            .0,
        400
    );
    let bad = patch::parse(
        br#"{"patchOperations":[{"op":"replace","path":"/identitySource","value":"x"}]}"#,
    )
    .unwrap();
    assert_eq!(
        update_authorizer(&mut a, &created.id, &bad)
            .unwrap_err()
            .parts()
            .0,
        400
    );
    assert_eq!(a.authorizers[0].name, "renamed");
    assert_eq!(
        update_authorizer(&mut a, "nope", &ops),
        Err(AUTHORIZER_NOT_FOUND)
    );
}

#[test]
fn delete_is_refused_while_a_method_uses_it() {
    let mut a = api();
    let body = format!(
        r#"{{"name":"tok","type":"TOKEN","authorizerUri":"{LAMBDA}","identitySource":"method.request.header.A"}}"#
    );
    let au = create_authorizer(&mut a, spec(&body)).unwrap();
    a.resources[0].resource_methods.insert(
        "GET".into(),
        Method {
            http_method: "GET".into(),
            authorization_type: "CUSTOM".into(),
            authorizer_id: Some(au.id.clone()),
            ..Default::default()
        },
    );
    assert_eq!(
        delete_authorizer(&mut a, &au.id).unwrap_err().parts().0,
        409
    );
    a.resources[0].resource_methods.clear();
    delete_authorizer(&mut a, &au.id).unwrap();
    assert_eq!(authorizer(&a, &au.id), Err(AUTHORIZER_NOT_FOUND));
}
