//! What a client's values become in the backend's request line: every value mapped into the
//! integration URI is decoded once and encoded for its place (one path segment, a run of
//! segments for a greedy `{proxy+}`, a query component), a dot-segment in any spelling is refused
//! with 400 before the backend sees anything, characters a request target may not hold never
//! reach it raw, and a decoded value that would break a header line is refused. Each case is
//! judged by the bytes the recording (echo) backend received. Each test runs on both drivers.

mod common;
use common::*;
use serde_json::json;

fn doc(be: &Backends) -> String {
    let echo = be.echo.hostport();
    let param =
        |name: &str, loc: &str| json!({"name": name, "in": loc, "schema": {"type": "string"}});
    json!({
        "openapi": "3.0.1",
        "info": {"title": "mapped-values", "version": "1"},
        "paths": {
            "/seg/{id}": {"get": {
                "parameters": [param("id", "path"), param("q", "query"), param("m", "query"),
                               param("X-H", "header")],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy", "httpMethod": "GET",
                    "uri": format!("http://{echo}/base/{{id}}/end"),
                    "requestParameters": {
                        "integration.request.path.id": "method.request.path.id",
                        "integration.request.querystring.q": "method.request.querystring.q",
                        "integration.request.querystring.h": "method.request.header.X-H",
                        "integration.request.querystring.m": "method.request.multivaluequerystring.m",
                        "integration.request.header.X-From-Path": "method.request.path.id",
                        "integration.request.header.X-From-Query": "method.request.querystring.q"
                    }}}},
            "/files/{proxy+}": {"x-amazon-apigateway-any-method": {
                "parameters": [param("proxy", "path")],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy", "httpMethod": "ANY",
                    "uri": format!("http://{echo}/static/{{proxy}}"),
                    "requestParameters": {
                        "integration.request.path.proxy": "method.request.path.proxy"
                    }}}},
            "/host": {"get": {
                "parameters": [param("v", "query")],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "GET",
                    "uri": format!("http://{echo}/h"),
                    "requestParameters": {
                        "integration.request.header.Host": "'vhost.example'",
                        "integration.request.header.X-Trim": "'  padded\t'",
                        "integration.request.header.X-V": "method.request.querystring.v"
                    },
                    "responses": {"default": {"statusCode": "200"}}}}},
            "/qonly": {"get": {
                "parameters": [param("a", "query"), param("b", "query")],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "GET",
                    "uri": format!("http://{echo}/q"),
                    "requestParameters": {
                        "integration.request.querystring.a": "method.request.querystring.a",
                        "integration.request.querystring.b": "method.request.querystring.b"
                    },
                    "responses": {"default": {"statusCode": "200"}}}}}
        }
    })
    .to_string()
}

struct Env {
    gw: Gateway,
    be: Backends,
    api: String,
}

fn start(driver: &'static str) -> Env {
    let gw = Gateway::start(Opts::new(driver));
    let be = Backends::start();
    let api = gw.import(&doc(&be));
    gw.deploy(&api, "prod", &[]);
    Env { gw, be, api }
}

impl Env {
    /// Sends `target` byte for byte (no client-side normalisation) and returns the response.
    fn send(&self, target: &[u8], headers: &[(&str, &str)]) -> Response {
        let mut req = b"GET ".to_vec();
        req.extend_from_slice(target);
        req.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        req.extend_from_slice(api_host(&self.api).as_bytes());
        req.extend_from_slice(b"\r\n");
        for (n, v) in headers {
            req.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        req.extend_from_slice(b"\r\n");
        let mut c = self.gw.conn();
        c.send(&req);
        c.read_response()
            .unwrap_or_else(|e| panic!("no response: {e}\n{}", self.gw.stderr()))
    }

    /// The target the backend received for `target`.
    fn seen(&self, target: &str) -> String {
        self.seen_with(target, &[])["target"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn seen_with(&self, target: &str, headers: &[(&str, &str)]) -> serde_json::Value {
        echoed(&self.send(target.as_bytes(), headers))
    }

    /// `target` is refused with 400 and the backend sees nothing.
    fn refused(&self, target: &[u8], headers: &[(&str, &str)]) {
        let before = self.be.echo.requests();
        let r = self.send(target, headers);
        assert_eq!(
            r.status,
            400,
            "{}: {} {}",
            String::from_utf8_lossy(target),
            r.status,
            r.text()
        );
        assert!(
            message(&r).starts_with("Invalid request parameter"),
            "{}",
            r.text()
        );
        assert_eq!(
            self.be.echo.requests(),
            before,
            "{}: the backend was called",
            String::from_utf8_lossy(target)
        );
        assert!(!r.closes(), "a refused parameter keeps the connection");
    }
}

#[test]
fn a_mapped_path_value_is_one_segment() {
    for_each_driver(|driver| {
        let env = start(driver);
        let cases = [
            ("/prod/seg/a%3Fb", "/base/a%3Fb/end"),
            ("/prod/seg/a?zz=1", "/base/a/end?zz=1"),
            ("/prod/seg/a%20b%23c", "/base/a%20b%23c/end"),
            ("/prod/seg/100%25", "/base/100%25/end"),
            ("/prod/seg/100%", "/base/100%25/end"),
            ("/prod/seg/a;b", "/base/a%3Bb/end"),
            ("/prod/seg/%252e%252e", "/base/%252e%252e/end"),
            ("/prod/seg/...", "/base/.../end"),
            ("/prod/seg/a+b", "/base/a+b/end"),
        ];
        for (target, want) in cases {
            assert_eq!(env.seen(target), want, "{target}");
        }
    });
}

#[test]
fn characters_a_target_may_not_hold_are_encoded() {
    for_each_driver(|driver| {
        let env = start(driver);
        // Raw bytes the client's request line carried (httparse accepts them): `"`, `<`, `>`,
        // `\`, `^`, `` ` ``, `{`, `|`, `}` and UTF-8.
        let r = env.send(b"/prod/seg/a\"<>\\^`{|}caf\xc3\xa9?q=\"x\"", &[]);
        let e = echoed(&r);
        assert_eq!(
            e["target"],
            "/base/a%22%3C%3E%5C%5E%60%7B%7C%7Dcaf%C3%A9/end?q=%22x%22&q=%22x%22"
        );
        let e = echoed(&env.send(b"/prod/files/d\xc3\xa9j\xc3\xa0/{x}?p=[1]&r=|", &[]));
        assert_eq!(
            e["target"],
            "/static/d%C3%A9j%C3%A0/%7Bx%7D?p=%5B1%5D&r=%7C"
        );
    });
}

#[test]
fn mapped_query_values_are_one_component() {
    for_each_driver(|driver| {
        let env = start(driver);
        let target = |t: &str| env.seen(t);
        // `&`, `=`, `#` and `+` inside a value cannot add parameters; `+` is a space.
        assert_eq!(
            target("/prod/seg/1?q=x%26admin%3Dtrue%23f"),
            "/base/1/end?q=x%26admin%3Dtrue%23f&q=x%26admin%3Dtrue%23f"
        );
        assert_eq!(
            target("/prod/seg/1?q=a+b%2Bc"),
            "/base/1/end?q=a+b%2Bc&q=a%20b%2Bc"
        );
        // A header value mapped into the query: encoded as a component.
        let e = env.seen_with("/prod/seg/1", &[("X-H", "1&admin=true #x")]);
        assert_eq!(e["target"], "/base/1/end?h=1%26admin%3Dtrue%20%23x");
        // Multi-valued: one pair per value.
        assert_eq!(
            target("/prod/seg/1?m=a&m=b%26c"),
            "/base/1/end?m=a&m=b%26c&m=a&m=b%26c"
        );
        // HTTP (not proxy): only mapped values, `?` placed whichever are absent.
        assert_eq!(target("/prod/qonly"), "/q");
        assert_eq!(target("/prod/qonly?b=2"), "/q?b=2");
        assert_eq!(target("/prod/qonly?a=1&b=2"), "/q?a=1&b=2");
        assert_eq!(target("/prod/qonly?b=x%3Fy&zz=0"), "/q?b=x?y");
    });
}

#[test]
fn greedy_paths_keep_separators_and_never_climb() {
    for_each_driver(|driver| {
        let env = start(driver);
        assert_eq!(env.seen("/prod/files/a/b/c.txt"), "/static/a/b/c.txt");
        assert_eq!(env.seen("/prod/files/a/b%2Fc"), "/static/a/b/c");
        assert_eq!(env.seen("/prod/files/a%20b/c"), "/static/a%20b/c");
        // Double encoding decodes once: the backend sees text, not a dot-segment.
        assert_eq!(
            env.seen("/prod/files/%252e%252e/%252e%252e/etc/passwd"),
            "/static/%252e%252e/%252e%252e/etc/passwd"
        );
        assert_eq!(env.seen("/prod/files/a/.../b"), "/static/a/.../b");
        for target in [
            &b"/prod/files/a/../../etc/passwd"[..],
            b"/prod/files/../x",
            b"/prod/files/a/%2e%2e/%2e%2e/x",
            b"/prod/files/a/%2E%2E/x",
            b"/prod/files/a/.%2e/x",
            b"/prod/files/a/%2e./x",
            b"/prod/files/a%2F..%2F..%2Fx",
            b"/prod/files/a/./b",
            b"/prod/files/a/..",
            b"/prod/files/a/..%5C..%5Cx",
            b"/prod/files/a/..\\..\\x",
        ] {
            env.refused(target, &[]);
        }
        // A single-segment parameter: `..` in any spelling is refused too, and an escaped `/` or
        // `\` separates, for backends that decode before normalising.
        for target in [
            &b"/prod/seg/.."[..],
            b"/prod/seg/%2e%2e",
            b"/prod/seg/.",
            b"/prod/seg/%2E",
            b"/prod/seg/x%2F..%2Fy",
            b"/prod/seg/..%5Cx",
        ] {
            env.refused(target, &[]);
        }
    });
}

#[test]
fn a_decoded_value_that_breaks_a_header_line_is_refused() {
    for_each_driver(|driver| {
        let env = start(driver);
        // The path value is fine in the URI, but decoded into X-From-Path it would be two lines.
        env.refused(b"/prod/seg/a%0D%0AX-Injected:%201", &[]);
        env.refused(b"/prod/seg/1?q=a%0Ab", &[]);
        env.refused(b"/prod/seg/1?q=a%00b", &[]);
        // Decoded values that are field values pass, decoded.
        let e = env.seen_with("/prod/seg/a%20b?q=x+y%21", &[]);
        assert_eq!(e["headers"]["x-from-path"], "a b");
        assert_eq!(e["headers"]["x-from-query"], "x y!");
    });
}

#[test]
fn a_mapped_host_replaces_the_authority_and_whitespace_is_trimmed() {
    for_each_driver(|driver| {
        let env = start(driver);
        let e = env.seen_with("/prod/host?v=+a+b++", &[]);
        let h = &e["headers"];
        assert_eq!(h["host"], "vhost.example", "one Host, the mapped one: {h}");
        assert_eq!(h["x-trim"], "padded");
        assert_eq!(h["x-v"], "a b");
    });
}
