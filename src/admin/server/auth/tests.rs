//! `authenticate` over whole admin requests: each refusal's status, `x-amzn-ErrorType` and
//! message as the CLI will show them, read-only rights, and `/ping` + `/metrics` left open.

use super::*;
use crate::admin::control::tests::settings;
use crate::admin::sigv4::{canonical_request, hex, signature, string_to_sign};
use crate::admin::{handle, AdminState, ControlPlane};
use crate::deploy::publish::SnapshotCell;
use sha2::{Digest, Sha256};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

const NOW: u64 = 1_440_938_160; // 20150830T123600Z

fn keys() -> Keyring {
    let cred = |id: &str, secret: &str, read_only| AdminCredential {
        access_key_id: id.into(),
        secret_access_key: secret.into(),
        read_only,
    };
    Keyring::new(vec![
        cred("AKIAWRITER0000000001", "writer-secret", false),
        cred("AKIAREADER0000000001", "reader-secret", true),
    ])
}

fn request(method: &str, target: &str, body: &[u8]) -> Request {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Request {
        method: method.into(),
        path: path.into(),
        query: crate::admin::http::parse_query(query).unwrap(),
        headers: vec![("Host".into(), "127.0.0.1:9901".into())],
        body: body.to_vec(),
        keep_alive: true,
    }
}

/// Signs `req` as botocore would at `amz_date` (all present headers signed, sorted).
fn sign(mut req: Request, key: &str, secret: &str, amz_date: &str) -> Request {
    req.headers.push(("X-Amz-Date".into(), amz_date.into()));
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    let signed: Vec<&str> = names.iter().map(String::as_str).collect();
    let view = RequestView {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body: &req.body,
    };
    let canonical = canonical_request(&view, &signed, &hex(&Sha256::digest(&req.body)));
    let scope = format!("{}/us-west-2/{SERVICE}/aws4_request", &amz_date[..8]);
    let sig = signature(
        secret,
        &amz_date[..8],
        "us-west-2",
        SERVICE,
        &string_to_sign(amz_date, &scope, &canonical),
    );
    req.headers.push((
        "Authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={}, Signature={sig}",
            signed.join(";")
        ),
    ));
    req
}

fn refusal(req: &Request) -> (u16, &'static str, String) {
    ApiError::from(authenticate_at(&keys(), req, NOW).unwrap_err()).parts()
}

#[test]
fn signed_requests_name_their_principal() {
    let r = sign(
        request("POST", "/restapis?mode=import", b"{}"),
        "AKIAWRITER0000000001",
        "writer-secret",
        "20150830T123600Z",
    );
    assert_eq!(
        authenticate_at(&keys(), &r, NOW),
        Ok(Principal {
            access_key_id: Some("AKIAWRITER0000000001".into()),
            read_only: false
        })
    );
}

#[test]
fn refusals_carry_aws_status_type_and_message() {
    let unsigned = request("GET", "/restapis", b"");
    assert_eq!(
        refusal(&unsigned),
        (
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token".into()
        )
    );
    let stranger = sign(
        request("GET", "/restapis", b""),
        "AKIASTRANGER00000001",
        "x",
        "20150830T123600Z",
    );
    assert_eq!(
        refusal(&stranger),
        (
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".into()
        )
    );
    let wrong = sign(
        request("GET", "/restapis", b""),
        "AKIAWRITER0000000001",
        "not-it",
        "20150830T123600Z",
    );
    let (status, kind, message) = refusal(&wrong);
    assert_eq!((status, kind), (403, "InvalidSignatureException"));
    assert!(message.starts_with("The request signature we calculated does not match"));
    let old = sign(
        request("GET", "/restapis", b""),
        "AKIAWRITER0000000001",
        "writer-secret",
        "20150830T122000Z",
    );
    assert_eq!(
        refusal(&old),
        (
            403,
            "InvalidSignatureException",
            "Signature expired: 20150830T122000Z is now earlier than 20150830T123100Z \
             (20150830T123600Z - 5 min.)"
                .into()
        )
    );
    let mut malformed = request("GET", "/restapis", b"");
    malformed.headers.push((
        "Authorization".into(),
        "AWS4-HMAC-SHA256 Signature=abc".into(),
    ));
    malformed
        .headers
        .push(("X-Amz-Date".into(), "20150830T123600Z".into()));
    assert_eq!(
        refusal(&malformed),
        (
            400,
            "IncompleteSignatureException",
            "Authorization header requires 'Credential' parameter. Authorization header requires \
             'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Signature=abc"
                .into()
        )
    );
}

#[test]
fn read_only_credentials_may_only_read() {
    let reader = |method: &str, target: &str| {
        sign(
            request(method, target, b""),
            "AKIAREADER0000000001",
            "reader-secret",
            "20150830T123600Z",
        )
    };
    for (method, target) in [("GET", "/restapis"), ("HEAD", "/restapis/abc")] {
        assert_eq!(
            authenticate_at(&keys(), &reader(method, target), NOW),
            Ok(Principal {
                access_key_id: Some("AKIAREADER0000000001".into()),
                read_only: true
            })
        );
    }
    assert_eq!(
        refusal(&reader("POST", "/restapis")),
        (
            403,
            "AccessDeniedException",
            "User: arn:aws:iam::000000000000:user/AKIAREADER0000000001 is not authorized to \
             perform: apigateway:POST on resource: arn:aws:apigateway:us-west-2::/restapis"
                .into()
        )
    );
    for method in ["PUT", "PATCH", "DELETE"] {
        let (status, kind, _) = refusal(&reader(method, "/restapis/abc"));
        assert_eq!((status, kind), (403, "AccessDeniedException"), "{method}");
    }
}

#[test]
fn the_server_checks_operations_but_not_ping_or_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let cp = ControlPlane::open(
        &settings(dir.path(), Vec::new()),
        Arc::new(SnapshotCell::default()),
    )
    .unwrap();
    let state = AdminState {
        control: Arc::new(Mutex::new(cp)),
        metrics: Arc::new(|| "tollgate_up 1\n".to_string()),
        ready: Arc::new(AtomicBool::new(true)),
        max_body: 1 << 20,
        keys: Arc::new(keys()),
        rate: Arc::new(crate::admin::limits::RateLimiter::off()),
    };
    assert_eq!(handle(&state, &request("GET", "/ping", b"")).status, 200);
    assert_eq!(handle(&state, &request("GET", "/metrics", b"")).status, 200);
    let refused = handle(&state, &request("GET", "/restapis", b""));
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.header("x-amzn-ErrorType"),
        Some("MissingAuthenticationTokenException")
    );
    // Signed now (the server reads the real clock).
    let now = sigv4::time::format(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    let signed = sign(
        request("GET", "/restapis", b""),
        "AKIAWRITER0000000001",
        "writer-secret",
        &now,
    );
    let ok = handle(&state, &signed);
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
}
