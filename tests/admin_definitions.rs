//! The API-wide definitions and account-level resources over the management API, against the
//! real binary: Models (with `$ref` between models, flatten, template), RequestValidators,
//! Authorizers and GatewayResponses stored on the API, exported by GetExport and imported back;
//! DomainNames with BasePathMappings, VpcLinks and ClientCertificates surviving a restart; AWS's
//! statuses and errors throughout. Each test runs on both drivers.

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

fn patch(ops: Value) -> Vec<u8> {
    json!({ "patchOperations": ops }).to_string().into_bytes()
}

const LAMBDA: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations";

/// An API with models Pet and Pets (`$ref` to Pet), a validator, a TOKEN authorizer, a customised
/// gateway response and `POST /` using them all; returns (api id, validator id, authorizer id).
fn build(gw: &Gateway) -> (String, String, String) {
    let api = ok(&gw.admin("POST", "/restapis", br#"{"name":"defs"}"#), 201);
    let id = api["id"].as_str().unwrap().to_string();
    let root = api["rootResourceId"].as_str().unwrap().to_string();
    let base = format!("/restapis/{id}");
    let pet = json!({"name":"Pet","contentType":"application/json",
        "schema": json!({"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}).to_string()});
    let m = ok(
        &gw.admin(
            "POST",
            &format!("{base}/models"),
            pet.to_string().as_bytes(),
        ),
        201,
    );
    assert_eq!(m["name"], "Pet");
    assert_eq!(m["id"].as_str().unwrap().len(), 6);
    let pet_ref = format!("https://apigateway.amazonaws.com/restapis/{id}/models/Pet");
    let pets = json!({"name":"Pets","contentType":"application/json","description":"many",
        "schema": json!({"type":"array","items":{"$ref": pet_ref}}).to_string()});
    ok(
        &gw.admin(
            "POST",
            &format!("{base}/models"),
            pets.to_string().as_bytes(),
        ),
        201,
    );
    let v = ok(
        &gw.admin(
            "POST",
            &format!("{base}/requestvalidators"),
            br#"{"name":"body","validateRequestBody":true}"#,
        ),
        201,
    );
    assert_eq!(v["validateRequestParameters"], false);
    let validator = v["id"].as_str().unwrap().to_string();
    let auth = json!({"name":"tok","type":"TOKEN","authorizerUri":LAMBDA,
        "identitySource":"method.request.header.Authorization","authorizerResultTtlInSeconds":60});
    let a = ok(
        &gw.admin(
            "POST",
            &format!("{base}/authorizers"),
            auth.to_string().as_bytes(),
        ),
        201,
    );
    assert_eq!(a["type"], "TOKEN");
    assert_eq!(a["authorizerResultTtlInSeconds"], 60);
    let authorizer = a["id"].as_str().unwrap().to_string();
    let g = ok(
        &gw.admin(
            "PUT",
            &format!("{base}/gatewayresponses/UNAUTHORIZED"),
            br#"{"statusCode":"401","responseParameters":{"gatewayresponse.header.WWW-Authenticate":"'Bearer'"}}"#,
        ),
        201,
    );
    assert_eq!(g["defaultResponse"], false);
    let method = json!({"authorizationType":"CUSTOM","authorizerId":authorizer,
        "requestValidatorId":validator,"requestModels":{"application/json":"Pets"}});
    let m = format!("{base}/resources/{root}/methods/POST");
    ok(&gw.admin("PUT", &m, method.to_string().as_bytes()), 201);
    ok(&gw.admin("PUT", &format!("{m}/responses/200"), b"{}"), 201);
    ok(
        &gw.admin(
            "PUT",
            &format!("{m}/integration"),
            br#"{"type":"MOCK","requestTemplates":{"application/json":"{\"statusCode\": 200}"}}"#,
        ),
        201,
    );
    ok(
        &gw.admin("PUT", &format!("{m}/integration/responses/200"), b"{}"),
        201,
    );
    (id, validator, authorizer)
}

#[test]
fn definitions_are_stored_checked_and_exported() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let (id, validator, authorizer) = build(&gw);
        let base = format!("/restapis/{id}");

        // Models: list, flatten, template, errors.
        let list = ok(
            &gw.admin("GET", &format!("{base}/models?limit=1"), b""),
            200,
        );
        assert_eq!(list["item"].as_array().unwrap().len(), 1);
        assert!(list["position"].is_string());
        let flat = ok(
            &gw.admin("GET", &format!("{base}/models/Pets?flatten=true"), b""),
            200,
        );
        let schema: Value = serde_json::from_str(flat["schema"].as_str().unwrap()).unwrap();
        assert_eq!(schema["items"]["properties"]["name"]["type"], "string");
        let t = ok(
            &gw.admin("GET", &format!("{base}/models/Pet/default_template"), b""),
            200,
        );
        assert!(
            t["value"].as_str().unwrap().contains("$inputRoot.name"),
            "{t}"
        );
        let msg = error(
            &gw.admin("GET", &format!("{base}/models/Cat"), b""),
            404,
            "NotFoundException",
        );
        assert_eq!(msg, "Invalid Model identifier specified");
        let dup = br#"{"name":"Pet","contentType":"application/json"}"#;
        error(
            &gw.admin("POST", &format!("{base}/models"), dup),
            409,
            "ConflictException",
        );
        let bad = json!({"name":"Bad","contentType":"application/json","schema":"{not json"});
        error(
            &gw.admin(
                "POST",
                &format!("{base}/models"),
                bad.to_string().as_bytes(),
            ),
            400,
            "BadRequestException",
        );
        let long = json!({"name":"x".repeat(129),"contentType":"application/json"});
        error(
            &gw.admin(
                "POST",
                &format!("{base}/models"),
                long.to_string().as_bytes(),
            ),
            400,
            "BadRequestException",
        );
        let msg = error(
            &gw.admin("DELETE", &format!("{base}/models/Pets"), b""),
            409,
            "ConflictException",
        );
        assert!(msg.contains("method request"), "{msg}");
        error(
            &gw.admin("DELETE", &format!("{base}/models/Pet"), b""),
            409,
            "ConflictException",
        );
        let r = ok(
            &gw.admin(
                "PATCH",
                &format!("{base}/models/Pets"),
                &patch(json!([{"op":"replace","path":"/description","value":"all pets"}])),
            ),
            200,
        );
        assert_eq!(r["description"], "all pets");

        // Validators and authorizers: get, update, refused delete while in use.
        let v = ok(
            &gw.admin(
                "PATCH",
                &format!("{base}/requestvalidators/{validator}"),
                &patch(
                    json!([{"op":"replace","path":"/validateRequestParameters","value":"true"}]),
                ),
            ),
            200,
        );
        assert_eq!(v["validateRequestParameters"], true);
        let msg = error(
            &gw.admin("GET", &format!("{base}/requestvalidators/nope"), b""),
            404,
            "NotFoundException",
        );
        assert_eq!(msg, "Invalid Request Validator identifier specified");
        let a = ok(
            &gw.admin("GET", &format!("{base}/authorizers/{authorizer}"), b""),
            200,
        );
        assert_eq!(a["identitySource"], "method.request.header.Authorization");
        let bad = json!({"name":"t2","type":"TOKEN","authorizerUri":LAMBDA,"identitySource":"method.request.querystring.t"});
        error(
            &gw.admin(
                "POST",
                &format!("{base}/authorizers"),
                bad.to_string().as_bytes(),
            ),
            400,
            "BadRequestException",
        );
        error(
            &gw.admin(
                "PATCH",
                &format!("{base}/authorizers/{authorizer}"),
                &patch(
                    json!([{"op":"replace","path":"/authorizerResultTtlInSeconds","value":"4000"}]),
                ),
            ),
            400,
            "BadRequestException",
        );
        error(
            &gw.admin("DELETE", &format!("{base}/authorizers/{authorizer}"), b""),
            409,
            "ConflictException",
        );
        let all = ok(&gw.admin("GET", &format!("{base}/authorizers"), b""), 200);
        assert_eq!(all["item"].as_array().unwrap().len(), 1);

        // Gateway responses: every type listed, defaults marked, delete resets.
        let all = ok(
            &gw.admin("GET", &format!("{base}/gatewayresponses?limit=500"), b""),
            200,
        );
        let items = all["item"].as_array().unwrap();
        assert_eq!(items.len(), 21);
        let find = |t: &str| {
            items
                .iter()
                .find(|g| g["responseType"] == t)
                .unwrap()
                .clone()
        };
        assert_eq!(find("UNAUTHORIZED")["defaultResponse"], false);
        assert_eq!(
            find("MISSING_AUTHENTICATION_TOKEN")["defaultResponse"],
            true
        );
        assert_eq!(find("MISSING_AUTHENTICATION_TOKEN")["statusCode"], "403");
        error(
            &gw.admin("PUT", &format!("{base}/gatewayresponses/NOPE"), b"{}"),
            400,
            "BadRequestException",
        );

        // `POST /` needs its Lambda TOKEN authorizer, which is enforced: it deploys, and a call
        // without a token is refused through the customised UNAUTHORIZED response.
        let deploy = format!("{base}/deployments");
        ok(&gw.admin("POST", &deploy, br#"{"stageName":"prod"}"#), 201);
        let r = gw.call(&id, "POST", "/prod/", b"{}");
        assert_eq!(r.status, 401, "{}", r.text());
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        let root = gw.admin("GET", &format!("{base}/resources"), b"").json()["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == "/")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        ok(
            &gw.admin(
                "PATCH",
                &format!("{base}/resources/{root}/methods/POST"),
                &patch(json!([{"op":"replace","path":"/authorizationType","value":"NONE"}])),
            ),
            200,
        );

        // Everything reaches the export, and the export imports as the same definitions.
        gw.deploy(&id, "prod", &[]);
        let r = gw.admin(
            "GET",
            &format!(
                "{base}/stages/prod/exports/oas30?extensions=apigateway,authorizers,validators"
            ),
            b"",
        );
        let doc = ok(&r, 200);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Pets"]["items"]["$ref"], "#/components/schemas/Pet");
        assert_eq!(schemas["Pet"]["required"], json!(["name"]));
        let scheme = &doc["components"]["securitySchemes"]["tok"];
        assert_eq!(
            scheme["x-amazon-apigateway-authorizer"]["authorizerUri"],
            LAMBDA
        );
        assert_eq!(
            doc["x-amazon-apigateway-request-validators"]["body"]["validateRequestParameters"],
            true
        );
        assert_eq!(
            doc["x-amazon-apigateway-gateway-responses"]["UNAUTHORIZED"]["statusCode"],
            "401"
        );
        let copy = gw.import(&doc.to_string());
        let cbase = format!("/restapis/{copy}");
        let models = ok(&gw.admin("GET", &format!("{cbase}/models"), b""), 200);
        let mut names: Vec<&str> = models["item"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["Pet", "Pets"]);
        let flat = ok(
            &gw.admin("GET", &format!("{cbase}/models/Pets?flatten=true"), b""),
            200,
        );
        assert!(
            flat["schema"].as_str().unwrap().contains("\"name\""),
            "{flat}"
        );
        let a = ok(&gw.admin("GET", &format!("{cbase}/authorizers"), b""), 200);
        assert_eq!(a["item"][0]["name"], "tok");
        assert_eq!(a["item"][0]["authorizerResultTtlInSeconds"], 60);
        let v = ok(
            &gw.admin("GET", &format!("{cbase}/requestvalidators"), b""),
            200,
        );
        assert_eq!(v["item"][0]["name"], "body");
        let g = ok(
            &gw.admin(
                "GET",
                &format!("{cbase}/gatewayresponses/UNAUTHORIZED"),
                b"",
            ),
            200,
        );
        assert_eq!(g["statusCode"], "401");
        assert_eq!(g["defaultResponse"], false);

        // Delete resets a gateway response; a second delete finds nothing customised.
        ok(
            &gw.admin(
                "DELETE",
                &format!("{base}/gatewayresponses/UNAUTHORIZED"),
                b"",
            ),
            202,
        );
        let g = ok(
            &gw.admin("GET", &format!("{base}/gatewayresponses/UNAUTHORIZED"), b""),
            200,
        );
        assert_eq!(g["defaultResponse"], true);
        error(
            &gw.admin(
                "DELETE",
                &format!("{base}/gatewayresponses/UNAUTHORIZED"),
                b"",
            ),
            404,
            "NotFoundException",
        );
    });
}

#[test]
fn account_resources_survive_a_restart() {
    for_each_driver(|driver| {
        let mut gw = Gateway::start(Opts::new(driver));
        let api = ok(&gw.admin("POST", "/restapis", br#"{"name":"mapped"}"#), 201);
        let id = api["id"].as_str().unwrap().to_string();

        let acm = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
        let body = json!({"domainName":"api.example.com","regionalCertificateArn":acm,
            "endpointConfiguration":{"types":["REGIONAL"]},"securityPolicy":"TLS_1_2"});
        let d = ok(
            &gw.admin("POST", "/domainnames", body.to_string().as_bytes()),
            201,
        );
        let regional = d["regionalDomainName"].as_str().unwrap().to_string();
        assert!(
            regional.ends_with(".execute-api.us-east-1.amazonaws.com"),
            "{d}"
        );
        assert_eq!(d["domainNameStatus"], "AVAILABLE");
        error(
            &gw.admin("POST", "/domainnames", body.to_string().as_bytes()),
            409,
            "ConflictException",
        );
        error(
            &gw.admin(
                "POST",
                "/domainnames",
                br#"{"domainName":"edge.example.com"}"#,
            ),
            400,
            "BadRequestException",
        );
        let msg = error(
            &gw.admin("GET", "/domainnames/nope.example.com", b""),
            404,
            "NotFoundException",
        );
        assert_eq!(msg, "Invalid domain name identifier specified");

        let maps = "/domainnames/api.example.com/basepathmappings";
        let m = ok(
            &gw.admin(
                "POST",
                maps,
                json!({"restApiId": id}).to_string().as_bytes(),
            ),
            201,
        );
        assert_eq!(m["basePath"], "(none)");
        ok(&gw.admin("GET", &format!("{maps}/(none)"), b""), 200);
        error(
            &gw.admin(
                "POST",
                maps,
                json!({"restApiId": id, "basePath":"v1"})
                    .to_string()
                    .as_bytes(),
            ),
            400,
            "BadRequestException",
        );
        error(
            &gw.admin("POST", maps, br#"{"restApiId":"missing"}"#),
            400,
            "BadRequestException",
        );
        let m = ok(
            &gw.admin(
                "PATCH",
                &format!("{maps}/(none)"),
                &patch(json!([{"op":"replace","path":"/basePath","value":"v1"}])),
            ),
            200,
        );
        assert_eq!(m["basePath"], "v1");
        error(
            &gw.admin("GET", &format!("{maps}/(none)"), b""),
            404,
            "NotFoundException",
        );

        let nlb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/nlb/abc";
        let l = ok(
            &gw.admin(
                "POST",
                "/vpclinks",
                json!({"name":"link","targetArns":[nlb]})
                    .to_string()
                    .as_bytes(),
            ),
            202,
        );
        assert_eq!(l["status"], "AVAILABLE");
        let link = l["id"].as_str().unwrap().to_string();
        error(
            &gw.admin("POST", "/vpclinks", br#"{"name":"x","targetArns":[]}"#),
            400,
            "BadRequestException",
        );

        let c = ok(
            &gw.admin(
                "POST",
                "/clientcertificates",
                br#"{"description":"backend"}"#,
            ),
            201,
        );
        let cert = c["clientCertificateId"].as_str().unwrap().to_string();
        let pem = c["pemEncodedCertificate"].as_str().unwrap().to_string();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        assert_eq!(
            c["expirationDate"].as_i64().unwrap() - c["createdDate"].as_i64().unwrap(),
            365 * 86400
        );
        assert!(!c.to_string().contains("PRIVATE KEY"));
        let c = ok(
            &gw.admin(
                "PATCH",
                &format!("/clientcertificates/{cert}"),
                &patch(json!([{"op":"replace","path":"/description","value":"renamed"}])),
            ),
            200,
        );
        assert_eq!(c["description"], "renamed");

        gw.stop();
        gw.restart();
        let d = ok(&gw.admin("GET", "/domainnames/api.example.com", b""), 200);
        assert_eq!(d["regionalDomainName"], regional.as_str());
        let all = ok(&gw.admin("GET", maps, b""), 200);
        assert_eq!(all["item"], json!([{"basePath":"v1","restApiId":id}]));
        let l = ok(&gw.admin("GET", &format!("/vpclinks/{link}"), b""), 200);
        assert_eq!(l["name"], "link");
        let c = ok(
            &gw.admin("GET", &format!("/clientcertificates/{cert}"), b""),
            200,
        );
        assert_eq!(c["pemEncodedCertificate"], pem.as_str());
        assert_eq!(c["description"], "renamed");
        let list = ok(&gw.admin("GET", "/clientcertificates", b""), 200);
        assert_eq!(list["item"].as_array().unwrap().len(), 1);

        // Deletes: 202, then 404; a domain takes its mappings with it.
        ok(
            &gw.admin("DELETE", &format!("/clientcertificates/{cert}"), b""),
            202,
        );
        error(
            &gw.admin("GET", &format!("/clientcertificates/{cert}"), b""),
            404,
            "NotFoundException",
        );
        ok(&gw.admin("DELETE", &format!("/vpclinks/{link}"), b""), 202);
        error(
            &gw.admin("DELETE", &format!("/vpclinks/{link}"), b""),
            404,
            "NotFoundException",
        );
        ok(
            &gw.admin("DELETE", "/domainnames/api.example.com", b""),
            202,
        );
        error(&gw.admin("GET", maps, b""), 404, "NotFoundException");
        let again = ok(
            &gw.admin("POST", "/domainnames", body.to_string().as_bytes()),
            201,
        );
        assert_eq!(again["regionalDomainName"], regional.as_str());
        let all = ok(&gw.admin("GET", maps, b""), 200);
        assert_eq!(all["item"], json!([]));
    });
}
