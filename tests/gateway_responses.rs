//! Gateway responses against the real binary: every error the gateway makes (403 Missing
//! Authentication Token, 413, 415, 500, 502, 504 and the connection loop's 400/431) is rendered
//! through the deployed stage's gateway responses, customised through PutGatewayResponse (then
//! CreateDeployment) or imported from `x-amazon-apigateway-gateway-responses`. Each test runs on
//! both drivers.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;
use tollgate::deploy::gateway_responses::ResponseType;

/// An API with one route per error the gateway can be made to answer today.
fn doc(be: &Backends, gateway_responses: Value) -> String {
    let mock = |template: &str, responses: Value| {
        json!({ "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "mock",
                "requestTemplates": {"application/json": template},
                "passthroughBehavior": "never",
                "responses": responses }})
    };
    let proxy = |uri: String, timeout: u32| {
        json!({ "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "GET", "uri": uri,
                "timeoutInMillis": timeout,
                "responses": {"default": {"statusCode": "200"}} }})
    };
    let ok = json!({"default": {"statusCode": "200",
        "responseTemplates": {"application/json": "{\"ok\":true}"}}});
    let mut d = json!({
        "openapi": "3.0.1",
        "info": {"title": "gateway-responses", "version": "1"},
        "paths": {
            "/mock/{id}": {
                "get": mock("{\"statusCode\": 200}", ok.clone()),
                "post": mock("{\"statusCode\": 200}", ok.clone())
            },
            // A MOCK whose status matches no integration response: API_CONFIGURATION_ERROR.
            "/nomatch": {"get": mock("{\"statusCode\": 201}",
                json!({"200": {"statusCode": "200"}}))},
            "/refused": {"get": proxy(format!("http://{}/r", be.refused), 29000)},
            "/slow": {"get": proxy(format!("http://{}/slow", be.slow.hostport()), 300)}
        }
    });
    if !gateway_responses.is_null() {
        d["x-amazon-apigateway-gateway-responses"] = gateway_responses;
    }
    d.to_string()
}

/// A raw request on a fresh connection.
fn raw(gw: &Gateway, bytes: &[u8]) -> Response {
    let mut c = gw.conn();
    c.set_read_timeout(Duration::from_secs(5));
    c.send(bytes);
    c.read_response()
        .unwrap_or_else(|e| panic!("no response: {e}\n{}", gw.stderr()))
}

/// The errors we can trigger: (gateway response type, status, message, x-amzn-ErrorType, how).
type Trigger = (
    &'static str,
    u16,
    &'static str,
    Option<&'static str>,
    fn(&Gateway, &str) -> Response,
);

fn triggers() -> Vec<Trigger> {
    vec![
        (
            "MISSING_AUTHENTICATION_TOKEN",
            403,
            "Missing Authentication Token",
            Some("MissingAuthenticationTokenException"),
            |gw, api| gw.call(api, "GET", "/prod/nowhere", b""),
        ),
        (
            "UNSUPPORTED_MEDIA_TYPE",
            415,
            "Unsupported Media Type",
            Some("UnsupportedMediaTypeException"),
            |gw, api| {
                gw.call_h(
                    api,
                    "POST",
                    "/prod/mock/1",
                    &[("Content-Type", "text/plain")],
                    b"x",
                )
            },
        ),
        (
            "API_CONFIGURATION_ERROR",
            500,
            "Internal server error",
            Some("InternalServerErrorException"),
            |gw, api| gw.call(api, "GET", "/prod/nomatch", b""),
        ),
        (
            "INTEGRATION_FAILURE",
            502,
            "Internal server error",
            Some("InternalServerErrorException"),
            |gw, api| gw.call(api, "GET", "/prod/refused", b""),
        ),
        (
            "INTEGRATION_TIMEOUT",
            504,
            "Endpoint request timed out",
            None,
            |gw, api| gw.call(api, "GET", "/prod/slow?ms=3000", b""),
        ),
        (
            "REQUEST_TOO_LARGE",
            413,
            "Request Too Long",
            None,
            |gw, api| {
                let head = format!(
                    "POST /prod/mock/1 HTTP/1.1\r\nHost: {}\r\nContent-Length: 10485761\r\n\r\n",
                    api_host(api)
                );
                raw(gw, head.as_bytes())
            },
        ),
        ("DEFAULT_4XX", 400, "Bad Request", None, |gw, api| {
            let req = format!(
                "POST /prod/mock/1 HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                api_host(api)
            );
            raw(gw, req.as_bytes())
        }),
    ]
}

fn check(r: &Response, status: u16, msg: &str, error_type: Option<&str>, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text());
    assert_eq!(message(r), msg, "{what}");
    assert_eq!(r.header("x-amzn-ErrorType"), error_type, "{what}");
    assert!(r.header("x-amzn-RequestId").is_some(), "{what}");
    assert_eq!(r.header("Content-Type"), Some("application/json"), "{what}");
}

/// Each triggerable type, customised with only an `X-Type` header naming it: the header proves
/// the error went through that type; status, message and error type stay AWS's defaults.
fn each_type_keeps_its_defaults(gw: &Gateway, api: &str, via: &str) {
    for (t, status, msg, error_type, trigger) in triggers() {
        let r = trigger(gw, api);
        let what = format!("{t} via {via}");
        check(&r, status, msg, error_type, &what);
        assert_eq!(r.header("X-Type"), Some(t), "{what}");
    }
    // Before any API is known (the head does not parse): AWS's defaults, no customisation.
    let r = raw(gw, b"GET /prod/mock/1 HTTP/1.1\r\nBad Header\r\n\r\n");
    check(&r, 400, "Bad Request", None, &format!("unparsed via {via}"));
    assert_eq!(r.header("X-Type"), None);
    let big = "x".repeat(11 * 1024);
    let req = format!(
        "GET /prod/mock/1 HTTP/1.1\r\nHost: {}\r\nX-Big: {big}\r\n\r\n",
        api_host(api)
    );
    let r = raw(gw, req.as_bytes());
    check(
        &r,
        431,
        "Request Header Fields Too Large",
        None,
        &format!("431 via {via}"),
    );
    assert_eq!(r.header("X-Type"), None);
}

fn x_type(t: &str) -> Value {
    json!({ "responseParameters": {"gatewayresponse.header.X-Type": format!("'{t}'")} })
}

#[test]
fn every_triggerable_type_through_import() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let be = Backends::start();
        let mut responses = serde_json::Map::new();
        for (t, ..) in triggers() {
            responses.insert(t.to_string(), x_type(t));
        }
        let api = gw.import(&doc(&be, Value::Object(responses)));
        gw.deploy(&api, "prod", &[]);
        each_type_keeps_its_defaults(&gw, &api, "import");
    });
}

#[test]
fn every_triggerable_type_through_put_gateway_response() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let be = Backends::start();
        let api = gw.import(&doc(&be, Value::Null));
        for (t, ..) in triggers() {
            let r = gw.admin(
                "PUT",
                &format!("/restapis/{api}/gatewayresponses/{t}"),
                x_type(t).to_string().as_bytes(),
            );
            assert_eq!(r.status, 201, "{t}: {}", r.text());
        }
        gw.deploy(&api, "prod", &[]);
        each_type_keeps_its_defaults(&gw, &api, "PutGatewayResponse");
        // The management API reports the same defaults the data plane renders.
        let r = gw.admin(
            "GET",
            &format!("/restapis/{api}/gatewayresponses?limit=500"),
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let items = r.json()["item"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), ResponseType::COUNT);
        for g in items {
            let name = g["responseType"].as_str().unwrap();
            let t = ResponseType::from_name(name).unwrap_or_else(|| panic!("{name}"));
            let status = g["statusCode"].as_str().map(|s| s.parse::<u16>().unwrap());
            if g["defaultResponse"] == json!(true) {
                assert_eq!(status, t.defaults().status, "{name}");
            }
        }
    });
}

#[test]
fn default_4xx_cors_header_applies_until_a_type_is_customised_and_redeployed() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let be = Backends::start();
        let api = gw.import(&doc(&be, Value::Null));
        let cors = json!({"responseParameters":
            {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}});
        let put = |t: &str, body: &Value| {
            let r = gw.admin(
                "PUT",
                &format!("/restapis/{api}/gatewayresponses/{t}"),
                body.to_string().as_bytes(),
            );
            assert_eq!(r.status, 201, "{t}: {}", r.text());
        };
        put("DEFAULT_4XX", &cors);
        gw.deploy(&api, "prod", &[]);
        let trig = triggers();
        let by = |t: &str| trig.iter().find(|x| x.0 == t).unwrap().4;
        let mat = by("MISSING_AUTHENTICATION_TOKEN");
        let too_large = by("REQUEST_TOO_LARGE");
        for (t, r) in [
            ("403", mat(&gw, &api)),
            ("413", too_large(&gw, &api)),
            ("415", by("UNSUPPORTED_MEDIA_TYPE")(&gw, &api)),
            ("400", by("DEFAULT_4XX")(&gw, &api)),
        ] {
            assert_eq!(
                r.header("Access-Control-Allow-Origin"),
                Some("*"),
                "{t}: {r:?}"
            );
        }
        // 5XX errors are not DEFAULT_4XX's.
        let r = by("INTEGRATION_FAILURE")(&gw, &api);
        assert_eq!(r.status, 502);
        assert_eq!(r.header("Access-Control-Allow-Origin"), None);

        // An explicit type beats DEFAULT_4XX, with a status override and a template that reads
        // the request; it takes effect at the next deployment only.
        put(
            "MISSING_AUTHENTICATION_TOKEN",
            &json!({
                "statusCode": "404",
                "responseParameters": {"gatewayresponse.header.X-Trace": "method.request.header.X-Trace"},
                "responseTemplates": {"application/json":
                    "{\"error\":$context.error.messageString,\"type\":\"$context.error.responseType\"}"}
            }),
        );
        let r = mat(&gw, &api);
        assert_eq!(r.status, 403, "not deployed yet");
        gw.deploy(&api, "prod", &[]);
        let r = gw.call_h(&api, "GET", "/prod/nowhere", &[("X-Trace", "t-1")], b"");
        assert_eq!(r.status, 404, "{}", r.text());
        assert_eq!(r.header("Access-Control-Allow-Origin"), None);
        assert_eq!(r.header("X-Trace"), Some("t-1"));
        assert_eq!(
            r.header("x-amzn-ErrorType"),
            Some("MissingAuthenticationTokenException")
        );
        assert_eq!(
            r.json(),
            json!({"error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN"})
        );
        // DEFAULT_4XX still answers the others.
        let r = too_large(&gw, &api);
        assert_eq!(r.status, 413);
        assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));

        // DEFAULT_4XX's own status override reaches every 4XX type without one.
        put(
            "DEFAULT_4XX",
            &json!({"statusCode": "418", "responseParameters":
                {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}}),
        );
        gw.deploy(&api, "prod", &[]);
        assert_eq!(too_large(&gw, &api).status, 418);
        assert_eq!(mat(&gw, &api).status, 404);
    });
}

#[test]
fn gateway_templates_are_never_refused_for_their_text() {
    // AWS documents gateway response templates as simple substitution; valid Velocity runs on the
    // engine, and text that is not valid Velocity is substituted and printed as AWS prints it.
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let be = Backends::start();
        let d = doc(
            &be,
            json!({"MISSING_AUTHENTICATION_TOKEN": {"responseTemplates": {"application/json":
                "{\"m\": $context.error.messageString, \"note\": \"#if unclosed ## $nope\"}"}}}),
        );
        let api = gw.import(&d);
        gw.deploy(&api, "prod", &[]);
        let r = gw.call(&api, "GET", "/prod/nowhere", b"");
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            r.json(),
            json!({"m": "Missing Authentication Token", "note": "#if unclosed ## $nope"})
        );
        let body = json!({"responseTemplates":
            {"application/json": "#if($context.error.message)x"}});
        let r = gw.admin(
            "PUT",
            &format!("/restapis/{api}/gatewayresponses/DEFAULT_5XX"),
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    });
}
