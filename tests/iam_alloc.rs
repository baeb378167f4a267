//! Allocations per AWS_IAM request on the steady-state path, counted by a global allocator around
//! a real in-process worker: a header-signed request (SigV4 verified, identity policy and
//! resource policy with an IP condition evaluated) allocates nothing; a presigned one at most one
//! allocation (its percent-encoded `X-Amz-Credential`, decoded). Each case runs once per driver.
//! (The template is constant: rendering `$context.identity.*` in VTL is the mapping layer's
//! cost, measured apart.)

use std::io::{Read, Write};
use std::net::TcpStream;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
#[path = "support/fixed_peers.rs"]
mod fixed_peers;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

const KEY: &str = "AKIAALLOC0000000001";
const SECRET: &str = "alloc/Secret+000000000000000000000000000";

fn api_doc() -> &'static str {
    r##"{"openapi":"3.0.1","info":{"title":"iamalloc","version":"1"},
      "paths":{"/iam":{"get":{"security":[{"sigv4":[]}],
        "responses":{"200":{"description":"ok"}},
        "x-amazon-apigateway-integration":{"type":"mock",
          "requestTemplates":{"application/json":"{\"statusCode\": 200}"},
          "responses":{"default":{"statusCode":"200",
            "responseTemplates":{"application/json":"{\"ok\":true}"}}}}}}},
      "components":{"securitySchemes":{"sigv4":{"type":"apiKey","name":"Authorization",
        "in":"header","x-amazon-apigateway-authtype":"awsSigv4"}}},
      "x-amazon-apigateway-policy":{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
         "Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","127.0.0.1/32"]}}},
        {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/mallory"},
         "Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}}"##
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `GET /prod/iam` signed in the `Authorization` header.
fn header_signed() -> Vec<u8> {
    use tollgate::aws::sigv4::sign::{sign_into, Credentials, KeyCache, Outbound};
    let creds = Credentials {
        access_key_id: KEY.into(),
        secret_access_key: SECRET.into(),
        session_token: None,
    };
    let req = Outbound {
        method: "GET",
        path: "/prod/iam",
        query: "",
        host: "gw.local",
        headers: &[],
        payload: b"",
    };
    let mut out = b"GET /prod/iam HTTP/1.1\r\nHost: gw.local\r\n".to_vec();
    let region = &tollgate::aws::env().region;
    sign_into(
        &creds,
        region,
        "execute-api",
        &req,
        now(),
        &mut KeyCache::default(),
        &mut out,
    );
    out.extend_from_slice(b"\r\n");
    out
}

/// `GET /prod/iam` presigned (botocore's `SigV4QueryAuth` layout).
fn presigned() -> Vec<u8> {
    use tollgate::aws::sigv4::{
        feed_raw_canonical_query, payload_hash, signature, string_to_sign, time, uri_encode,
    };
    let region = &tollgate::aws::env().region;
    let date = time::format(now());
    let scope = format!("{}/{region}/execute-api/aws4_request", &date[..8]);
    let q = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={date}&X-Amz-Expires=300&X-Amz-SignedHeaders=host",
        uri_encode(&format!("{KEY}/{scope}"))
    );
    let mut cq = Vec::new();
    feed_raw_canonical_query(&q, true, &mut |b| cq.extend_from_slice(b));
    let canonical = format!(
        "GET\n/prod/iam\n{}\nhost:gw.local\n\nhost\n{}",
        String::from_utf8(cq).unwrap(),
        payload_hash(b"")
    );
    let sig = signature(
        SECRET,
        &date[..8],
        region,
        "execute-api",
        &string_to_sign(&date, &scope, &canonical),
    );
    format!("GET /prod/iam?{q}&X-Amz-Signature={sig} HTTP/1.1\r\nHost: gw.local\r\n\r\n")
        .into_bytes()
}

/// Allocations over 5000 requests after 2000 of warm-up.
fn measure(driver: tollgate::settings::DriverChoice, request: &[u8]) -> u64 {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let config = format!(
        "[[iam.principals]]\naccess_key_id = \"{KEY}\"\nsecret_access_key = \"{SECRET}\"\n\
         arn = \"arn:aws:iam::111122223333:user/alloc\"\n"
    );
    let settings = tollgate::settings::Settings::parse(&config, "test").unwrap();
    // Once per process: both drivers' tests use the same principal.
    tollgate::pipeline::authorize::iam::install(settings.iam);
    let workers = fixed_peers::start_worker_with(driver, &[("iamalloc01", api_doc())], &config);
    let mut client = TcpStream::connect(workers.listen).unwrap();
    client.set_nodelay(true).unwrap();
    client.write_all(request).unwrap();
    let mut resp = [0u8; 4096];
    let (head, total) = fixed_peers::read_response(&mut client, &mut resp);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let body = String::from_utf8_lossy(&resp[..total]).into_owned();
    assert!(body.ends_with(r#"{"ok":true}"#), "{body}");
    let mut exchange = |n: usize| {
        for _ in 0..n {
            client.write_all(request).unwrap();
            client.read_exact(&mut resp[..total]).unwrap();
        }
    };
    exchange(2_000);
    let before = counting_alloc::allocations();
    if std::env::var_os("TOLLGATE_ALLOC_TRACE").is_some() {
        counting_alloc::trace(40);
    }
    exchange(5_000);
    counting_alloc::allocations() - before
}

use tollgate::settings::DriverChoice::{Epoll, Uring};

#[test]
fn header_signed_requests_do_not_allocate() {
    for driver in [Uring, Epoll] {
        let n = measure(driver, &header_signed());
        println!("{driver:?}: header form: {n} allocations over 5000 requests");
        assert_eq!(
            n, 0,
            "{driver:?}: {n} allocations over 5000 header-signed requests"
        );
    }
}

#[test]
fn presigned_requests_allocate_at_most_once() {
    for driver in [Uring, Epoll] {
        let n = measure(driver, &presigned());
        println!("{driver:?}: presigned: {n} allocations over 5000 requests");
        assert!(
            n <= 5_000,
            "{driver:?}: {n} allocations over 5000 presigned requests"
        );
    }
}
