//! HTTPS backends against the real binary: a rustls server in this process with certificates
//! from a test CA (rcgen). The gateway trusts the CA through `SSL_CERT_FILE` (the system store's
//! override), verifies the backend's certificate and sends SNI; a certificate from an unknown
//! CA fails with 502 and a log line naming the reason; `tlsConfig.insecureSkipVerification`
//! accepts a self-signed certificate whose name matches but still refuses one whose name does
//! not; pooled TLS connections are reused (one handshake for many requests), and new connections
//! resume the core's cached TLS session. Both drivers.

mod common;
use common::*;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;

struct Pki {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// A CA, and a certificate for `names` signed by it (or self-signed, with `self_signed`).
fn pki(names: &[&str], self_signed: bool) -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    static SERIAL: AtomicUsize = AtomicUsize::new(0);
    let n = SERIAL.fetch_add(1, Ordering::SeqCst);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("Tollgate Test CA {n}"));
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    let cert = if self_signed {
        params.self_signed(&key).unwrap()
    } else {
        params.signed_by(&key, &ca).unwrap()
    };
    Pki {
        ca_pem: ca.pem(),
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// A keep-alive HTTPS backend answering every request with the SNI it saw; counts handshakes.
struct TlsBackend {
    port: u16,
    handshakes: Arc<AtomicUsize>,
}

fn start_backend(p: &Pki) -> TlsBackend {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(p.chain.clone(), p.key.clone_key())
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let count = handshakes.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let (config, count) = (config.clone(), count.clone());
            std::thread::spawn(move || serve(config, tcp, &count));
        }
    });
    TlsBackend { port, handshakes }
}

fn serve(config: Arc<rustls::ServerConfig>, tcp: std::net::TcpStream, count: &AtomicUsize) {
    let conn = rustls::ServerConnection::new(config).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut counted = false;
    loop {
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            // `/close…`: one response per connection, saying whether its handshake resumed.
            let close = buf.starts_with(b"GET /close");
            buf.drain(..end + 4);
            let sni = tls.conn.server_name().unwrap_or("none").to_string();
            let body = if close {
                let resumed = tls.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
                format!("{{\"sni\":\"{sni}\",\"tls\":true,\"resumed\":{resumed}}}")
            } else {
                format!("{{\"sni\":\"{sni}\",\"tls\":true}}")
            };
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n{body}",
                body.len(),
                if close { "Connection: close\r\n" } else { "" }
            );
            if tls.write_all(resp.as_bytes()).is_err() || close {
                tls.conn.send_close_notify();
                let _ = tls.flush();
                return;
            }
        }
        match tls.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if !counted {
                    count.fetch_add(1, Ordering::SeqCst);
                    counted = true;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
        }
    }
}

fn doc(host: &str, port: u16, skip_verify: bool) -> String {
    let route = |path: &str| {
        json!({"get": {"x-amazon-apigateway-integration": {
            "type": "http_proxy", "httpMethod": "GET",
            "uri": format!("https://{host}:{port}{path}"),
            "tlsConfig": {"insecureSkipVerification": skip_verify}}}})
    };
    json!({
        "openapi": "3.0.1",
        "info": {"title": "https", "version": "1"},
        "paths": {"/secure": route("/secure"), "/close": route("/close")}
    })
    .to_string()
}

fn gateway(driver: &'static str, ca_pem: &str) -> Gateway {
    let tmp = TempDir::new("ca");
    let ca = tmp.write("ca.pem", ca_pem);
    let gw = Gateway::start(Opts::new(driver).env("SSL_CERT_FILE", ca.to_str().unwrap()));
    std::mem::forget(tmp);
    gw
}

#[test]
fn verified_https_backends_get_sni_and_pooled_connections() {
    let p = pki(&["localhost"], false);
    let be = start_backend(&p);
    for_each_driver(|driver| {
        let before = be.handshakes.load(Ordering::SeqCst);
        let gw = gateway(driver, &p.ca_pem);
        let api = gw.import(&doc("localhost", be.port, false));
        gw.deploy(&api, "prod", &[]);
        let mut c = gw.conn();
        for _ in 0..20 {
            let r = c
                .request("GET", "/prod/secure", &api_host(&api), &[], b"")
                .unwrap();
            assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
            assert_eq!(r.json(), json!({"sni": "localhost", "tls": true}));
        }
        // One TLS connection served them all (kept in the core's pool).
        assert_eq!(be.handshakes.load(Ordering::SeqCst) - before, 1);
    });
}

#[test]
fn new_connections_resume_the_tls_session() {
    let p = pki(&["localhost"], false);
    let be = start_backend(&p);
    for_each_driver(|driver| {
        let gw = gateway(driver, &p.ca_pem);
        let api = gw.import(&doc("localhost", be.port, false));
        gw.deploy(&api, "prod", &[]);
        // The backend closes after each response, so every request needs a new connection; all
        // but the first resume the core's cached session (an abbreviated handshake).
        let mut resumed = Vec::new();
        for _ in 0..5 {
            let r = gw.call(&api, "GET", "/prod/close", b"");
            assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());
            resumed.push(r.json()["resumed"].as_bool().unwrap());
        }
        assert_eq!(resumed, [false, true, true, true, true]);
    });
}

#[test]
fn unverifiable_certificates_fail_unless_verification_is_skipped() {
    // Signed by a CA the gateway does not trust.
    let untrusted = pki(&["localhost"], false);
    let be = start_backend(&untrusted);
    let trusted_elsewhere = pki(&["unrelated.test"], false);
    // Self-signed for localhost: AWS's insecureSkipVerification accepts it, a wrong name not.
    let selfsigned = pki(&["localhost"], true);
    let be_self = start_backend(&selfsigned);
    let wrong_name = pki(&["other.test"], true);
    let be_wrong = start_backend(&wrong_name);
    for_each_driver(|driver| {
        let gw = gateway(driver, &trusted_elsewhere.ca_pem);
        let api = gw.import(&doc("localhost", be.port, false));
        gw.deploy(&api, "prod", &[]);
        let r = gw.call(&api, "GET", "/prod/secure", b"");
        assert_eq!(r.status, 502, "{}", r.text());
        let log = gw.stderr();
        assert!(
            log.contains("TLS: invalid peer certificate: UnknownIssuer"),
            "{log}"
        );

        let api = gw.import(&doc("localhost", be_self.port, true));
        gw.deploy(&api, "prod", &[]);
        let r = gw.call(&api, "GET", "/prod/secure", b"");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), gw.stderr());

        let api = gw.import(&doc("localhost", be_wrong.port, true));
        gw.deploy(&api, "prod", &[]);
        let r = gw.call(&api, "GET", "/prod/secure", b"");
        assert_eq!(r.status, 502, "{}", r.text());
        assert!(
            gw.stderr()
                .contains("certificate not valid for name \"localhost\""),
            "{}",
            gw.stderr()
        );
    });
}
