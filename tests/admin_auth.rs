//! Admin authentication over raw sockets: every management request must carry a valid SigV4
//! signature of a configured credential; `/ping` and `/metrics` stay open; refusals have AWS's
//! status, `x-amzn-ErrorType` and message. (The aws CLI's view of the same is in `awscli.rs`.)

mod common;
use common::*;

fn error_type(r: &Response) -> String {
    r.header("x-amzn-ErrorType").unwrap_or_default().to_string()
}

#[test]
fn unsigned_stale_and_malformed_requests_are_refused_as_aws_refuses_them() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));

        for (method, target) in [
            ("GET", "/restapis"),
            ("POST", "/restapis?mode=import"),
            ("GET", "/no/such/operation"),
        ] {
            let r = gw.admin_as(None, method, target, b"");
            assert_eq!(r.status, 403, "{method} {target}: {}", r.text());
            assert_eq!(error_type(&r), "MissingAuthenticationTokenException");
            assert_eq!(message(&r), "Missing Authentication Token");
            assert!(r.header("x-amzn-RequestId").is_some());
        }
        // Health and metrics need no signature.
        assert_eq!(gw.admin_as(None, "GET", "/ping", b"").status, 200);
        assert_eq!(gw.admin_as(None, "GET", "/metrics", b"").status, 200);

        // A signature from ten minutes ago (a replay) is expired.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let key = OwnedKey::from(ADMIN_KEY);
        let old =
            sigv4::sign_headers_at(&key, now - 600, "GET", "/restapis", "127.0.0.1", &[], b"");
        let old: Vec<(&str, &str)> = old.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let r = gw
            .admin_conn()
            .request("GET", "/restapis", "127.0.0.1", &old, b"")
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(error_type(&r), "InvalidSignatureException");
        assert!(
            message(&r).starts_with("Signature expired: "),
            "{}",
            r.text()
        );

        // A signed request whose body was changed after signing.
        let signed = sigv4::sign_headers(
            &key,
            "POST",
            "/restapis?mode=import",
            "127.0.0.1",
            &[],
            b"{}",
        );
        let signed: Vec<(&str, &str)> = signed
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let r = gw
            .admin_conn()
            .request(
                "POST",
                "/restapis?mode=import",
                "127.0.0.1",
                &signed,
                b"{ }",
            )
            .unwrap();
        assert_eq!(
            (r.status, error_type(&r).as_str()),
            (403, "InvalidSignatureException")
        );

        let r = gw
            .admin_conn()
            .request(
                "GET",
                "/restapis",
                "127.0.0.1",
                &[(
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIATOLLGATETEST0001",
                )],
                b"",
            )
            .unwrap();
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(error_type(&r), "IncompleteSignatureException");
        assert!(
            message(&r).starts_with("Authorization header requires 'Signature' parameter."),
            "{}",
            r.text()
        );
    });
}

#[test]
fn read_only_keys_read_and_signed_paths_with_encoded_characters_verify() {
    for_each_driver(|driver| {
        let mut gw = Gateway::start(Opts::new(driver));
        let doc = fixture("version.yaml").replace("@VERSION@", "auth");
        let id = gw.import(&doc);

        gw.key = READ_ONLY_KEY.into();
        let r = gw.admin("GET", "/restapis?limit=5&position=", b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let r = gw.admin("POST", "/restapis?mode=import", doc.as_bytes());
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(error_type(&r), "AccessDeniedException");
        assert!(message(&r).contains("is not authorized to perform: apigateway:POST"));
        let r = gw.admin("DELETE", &format!("/restapis/{id}"), b"");
        assert_eq!(
            (r.status, error_type(&r).as_str()),
            (403, "AccessDeniedException")
        );
        assert_eq!(gw.admin("GET", &format!("/restapis/{id}"), b"").status, 200);

        // Encoded path segments are double-encoded in the canonical URI, as botocore does; the
        // signature verifies and the operation itself answers (404: no such stage).
        gw.key = ADMIN_KEY.into();
        let r = gw.admin("GET", &format!("/restapis/{id}/stages/a%2Fb%20c"), b"");
        assert_eq!(r.status, 404, "{}", r.text());
        assert_eq!(error_type(&r), "NotFoundException");
    });
}

#[test]
fn the_environment_pair_authenticates_on_the_embedded_config() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).embedded_config());
        assert_eq!(gw.admin("GET", "/restapis", b"").status, 200);
        assert_eq!(gw.admin_as(None, "GET", "/restapis", b"").status, 403);
        assert!(!gw.data_dir.join("admin-credentials").exists());
        assert!(
            gw.stderr().contains("admin credentials: 1 configured"),
            "{}",
            gw.stderr()
        );
    });
}

#[test]
fn health_listener_serves_only_ping_and_metrics() {
    for_each_driver(|driver| {
        // A port known free a moment ago (the ready line names only the main listeners).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let tmp = TempDir::new("health");
        let text = Config::default().render().replace(
            "rate_limit_per_second = 0\n",
            &format!("rate_limit_per_second = 0\nhealth_listen = \"127.0.0.1:{port}\"\n"),
        );
        let cfg = tmp.write("tollgate.toml", &text);
        let gw = Gateway::start_with_config_file(driver, tmp, cfg);
        let health: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut c = Conn::try_connect(health).expect("health listener");
        let r = c.request("GET", "/ping", "127.0.0.1", &[], b"").unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let r = c.request("GET", "/metrics", "127.0.0.1", &[], b"").unwrap();
        assert_eq!(r.status, 200);
        assert!(r.text().contains("tollgate_unrouted_total"));
        // The management API is not reachable there, signed or not.
        let key = common::sigv4::OwnedKey::from(common::sigv4::ADMIN_KEY);
        let signed = common::sigv4::sign_headers(&key, "GET", "/restapis", "127.0.0.1", &[], b"");
        let headers: Vec<(&str, &str)> = signed
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let r = c
            .request("GET", "/restapis", "127.0.0.1", &headers, b"")
            .unwrap();
        assert_eq!(r.status, 404, "{}", r.text());
        // ... while it still is on the admin port.
        assert_eq!(gw.admin("GET", "/restapis", b"").status, 200);
    });
}

#[test]
fn admin_status_lines_carry_rfc_9110_reason_phrases() {
    // The admin port once answered `HTTP/1.1 429 Unknown` and `403 Unknown`.
    for_each_driver(|driver| {
        let tmp = TempDir::new("reasons");
        let text = Config::default().render().replace(
            "rate_limit_per_second = 0\n",
            "rate_limit_per_second = 0.001\nrate_limit_burst = 2\n",
        );
        let cfg = tmp.write("tollgate.toml", &text);
        let gw = Gateway::start_with_config_file(driver, tmp, cfg);
        let r = gw.admin_as(None, "GET", "/restapis", b"");
        assert_eq!((r.status, r.reason.as_str()), (403, "Forbidden"));
        let r = gw.admin("GET", "/restapis/nope", b"");
        assert_eq!((r.status, r.reason.as_str()), (404, "Not Found"));
        gw.admin("GET", "/restapis", b"");
        let r = gw.admin("GET", "/restapis", b"");
        assert_eq!((r.status, r.reason.as_str()), (429, "Too Many Requests"));
    });
}
