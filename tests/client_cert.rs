//! Client certificates against the real binary: a certificate made by GenerateClientCertificate
//! and set on a stage (`update-stage` `/clientCertificateId`) is presented to an HTTPS backend
//! that requires one — `openssl s_server -Verify 1 -verify_return_error`, trusting only that
//! certificate. Without it the handshake fails (502); with it the backend sees the certificate.
//! An unknown id is refused, and a certificate in use cannot be deleted. Both drivers.

mod common;
use common::*;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

/// A CA-signed server certificate for `localhost`: (ca pem, cert pem, key pem).
fn server_pki() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Tollgate client-cert test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// `openssl s_server` requiring a client certificate issued by (here: equal to) `client_ca`.
struct SServer {
    child: Child,
    port: u16,
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s_server(tmp: &TempDir, cert: &str, key: &str, client_ca: &str) -> SServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("openssl")
        .args(["s_server", "-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(tmp.write("server.crt", cert))
        .arg("-key")
        .arg(tmp.write("server.key", key))
        .arg("-CAfile")
        .arg(tmp.write("client-ca.pem", client_ca))
        .args(["-Verify", "1", "-verify_return_error", "-www", "-quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server (install openssl)");
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "s_server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    SServer { child, port }
}

fn doc(port: u16) -> String {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "mtls", "version": "1"},
        "paths": {"/whoami": {"get": {"x-amazon-apigateway-integration": {
            "type": "http_proxy", "httpMethod": "GET",
            "uri": format!("https://localhost:{port}/")}}}}
    })
    .to_string()
}

#[test]
fn a_stage_client_certificate_is_presented_to_https_backends() {
    let (ca, server_cert, server_key) = server_pki();
    for_each_driver(|driver| {
        let tmp = TempDir::new("mtls");
        let ca_file = tmp.write("ca.pem", &ca);
        let gw = Gateway::start(Opts::new(driver).env("SSL_CERT_FILE", ca_file.to_str().unwrap()));

        let r = gw.admin(
            "POST",
            "/clientcertificates",
            br#"{"description": "for the backend"}"#,
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let generated = r.json();
        let cert_id = generated["clientCertificateId"]
            .as_str()
            .unwrap()
            .to_string();
        let pem = generated["pemEncodedCertificate"].as_str().unwrap();
        let backend = s_server(&tmp, &server_cert, &server_key, pem);

        let api = gw.import(&doc(backend.port));
        gw.deploy(&api, "prod", &[]);
        // No certificate yet: the backend refuses the handshake.
        let r = gw.call(&api, "GET", "/prod/whoami", b"");
        assert_eq!(r.status, 502, "{}", r.text());
        // TLS 1.3: the server's alert arrives with the first read after the handshake.
        assert!(
            gw.stderr().contains("CertificateRequired"),
            "{}",
            gw.stderr()
        );

        let patch = |id: &str| {
            let body = json!({"patchOperations": [
                {"op": "replace", "path": "/clientCertificateId", "value": id}]});
            gw.admin(
                "PATCH",
                &format!("/restapis/{api}/stages/prod"),
                body.to_string().as_bytes(),
            )
        };
        let r = patch("nosuchcert");
        assert_eq!(r.status, 404, "{}", r.text());
        let r = patch(&cert_id);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["clientCertificateId"], cert_id.as_str());

        let r = gw.call(&api, "GET", "/prod/whoami", b"");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
        let page = r.text();
        assert!(page.contains("Client certificate"), "{page}");
        assert!(
            page.contains(&format!("CN=tollgate-client-{cert_id}")),
            "{page}"
        );

        // In use: not deletable.
        let r = gw.admin("DELETE", &format!("/clientcertificates/{cert_id}"), b"");
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.text().contains("uses it"), "{}", r.text());
        // Removed from the stage: the backend refuses again, and the certificate may go.
        let body = json!({"patchOperations": [
            {"op": "remove", "path": "/clientCertificateId"}]});
        let r = gw.admin(
            "PATCH",
            &format!("/restapis/{api}/stages/prod"),
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json().get("clientCertificateId").is_none());
        assert_eq!(gw.call(&api, "GET", "/prod/whoami", b"").status, 502);
        let r = gw.admin("DELETE", &format!("/clientcertificates/{cert_id}"), b"");
        assert_eq!(r.status, 202, "{}", r.text());
    });
}
