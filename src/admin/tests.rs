//! In-process tests of the whole admin port: `serve` on 127.0.0.1:0, driven over TCP by a plain
//! std HTTP/1.1 client that keeps its connection alive, as botocore does.

use super::control::tests::{settings, EMPTY, PETS};
use super::*;
use crate::deploy::publish::SnapshotCell;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering;

struct Reply {
    status_line: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&self.body)))
    }
}

struct Client(BufReader<TcpStream>);

impl Client {
    fn connect(addr: std::net::SocketAddr) -> Client {
        Client(BufReader::new(TcpStream::connect(addr).unwrap()))
    }

    fn send(&mut self, method: &str, target: &str, body: &[u8]) -> Reply {
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: admin\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.raw(&[head.as_bytes(), body].concat())
    }

    fn raw(&mut self, bytes: &[u8]) -> Reply {
        self.0.get_mut().write_all(bytes).unwrap();
        let mut line = String::new();
        self.0.read_line(&mut line).unwrap();
        let status = line.split(' ').nth(1).unwrap().parse().unwrap();
        let status_line = line.trim_end().to_string();
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.0.read_line(&mut line).unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (n, v) = l.split_once(':').unwrap();
            headers.push((n.to_string(), v.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .unwrap()
            .1
            .parse()
            .unwrap();
        let mut body = vec![0; len];
        self.0.read_exact(&mut body).unwrap();
        Reply {
            status_line,
            status,
            headers,
            body,
        }
    }
}

fn start(max_body: usize) -> (std::net::SocketAddr, Arc<AtomicBool>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let cp = ControlPlane::open(
        &settings(dir.path(), Vec::new()),
        Arc::new(SnapshotCell::default()),
    )
    .unwrap();
    let ready = Arc::new(AtomicBool::new(false));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AdminState {
        control: Arc::new(Mutex::new(cp)),
        metrics: Arc::new(|| "tollgate_up 1\n".to_string()),
        ready: ready.clone(),
        max_body,
        keys: Arc::new(Keyring::unchecked()),
        rate: Arc::new(crate::admin::limits::RateLimiter::off()),
    };
    serve(listener, state).unwrap();
    (addr, ready, dir)
}

#[test]
fn import_deploy_and_list_over_one_keep_alive_connection() {
    let (addr, _ready, _dir) = start(1 << 20);
    let mut c = Client::connect(addr);

    let r = c.send(
        "POST",
        "/restapis?mode=import&failonwarnings=false",
        PETS.as_bytes(),
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("x-amzn-RequestId").is_some());
    let api = r.json();
    let id = api["id"].as_str().unwrap().to_string();
    let keys: Vec<&str> = api
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "createdDate",
            "version",
            "apiKeySource",
            "endpointConfiguration",
            "disableExecuteApiEndpoint",
            "rootResourceId"
        ]
    );
    assert_eq!(api["name"], "Pets");
    assert!(api["createdDate"].is_i64());

    let r = c.send(
        "POST",
        &format!("/restapis/{id}/deployments"),
        br#"{"stageName":"prod","description":"first","variables":{"v":"1"}}"#,
    );
    assert_eq!(r.status, 201, "{:?}", r.json());
    let dep = r.json();
    assert_eq!(dep["description"], "first");
    let keys: Vec<&str> = dep
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "description", "createdDate"]);

    let r = c.send("GET", &format!("/restapis/{id}/stages"), b"");
    assert_eq!(r.status, 200);
    let stages = r.json();
    assert_eq!(stages["item"][0]["stageName"], "prod");
    assert_eq!(stages["item"][0]["deploymentId"], dep["id"]);
    assert_eq!(stages["item"][0]["variables"], json!({"v": "1"}));

    let r = c.send("GET", &format!("/restapis/{id}/stages/prod"), b"");
    assert_eq!(
        (r.status, r.json()["stageName"].clone()),
        (200, json!("prod"))
    );
    let r = c.send("GET", &format!("/restapis/{id}/deployments"), b"");
    assert_eq!(r.json()["item"][0]["id"], dep["id"]);

    let r = c.send("GET", "/restapis", b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["item"][0]["id"], json!(id));
    assert!(r.json().get("position").is_none());

    let r = c.send("DELETE", &format!("/restapis/{id}"), b"");
    assert_eq!((r.status, r.body.len()), (202, 0));
    let r = c.send("GET", "/restapis", b"");
    assert_eq!(r.json(), json!({"item": []}));
}

#[test]
fn errors_have_aws_status_type_and_message() {
    let (addr, _ready, _dir) = start(1 << 20);
    let mut c = Client::connect(addr);

    let r = c.send("GET", "/restapis/nope", b"");
    assert_eq!(r.status_line, "HTTP/1.1 404 Not Found");
    assert_eq!(r.header("x-amzn-ErrorType"), Some("NotFoundException"));
    assert_eq!(
        r.json(),
        json!({"message": "Invalid API identifier specified 000000000000:nope"})
    );

    let empty = c
        .send("POST", "/restapis?mode=import", EMPTY.as_bytes())
        .json();
    let empty_id = empty["id"].as_str().unwrap();
    let r = c.send(
        "POST",
        &format!("/restapis/{empty_id}/deployments"),
        br#"{"stageName":"prod"}"#,
    );
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (400, Some("BadRequestException"))
    );
    assert_eq!(
        r.json()["message"],
        "The REST API doesn't contain any methods"
    );

    let r = c.send("GET", &format!("/restapis/{empty_id}/stages/nope"), b"");
    assert_eq!(r.json()["message"], "Invalid Stage identifier specified");

    let r = c.send(
        "POST",
        &format!("/restapis/{empty_id}/deployments"),
        br#"{"stageName":"prod","bogus":1}"#,
    );
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (400, Some("BadRequestException"))
    );
    let r = c.send(
        "POST",
        &format!("/restapis/{empty_id}/deployments"),
        b"{not json",
    );
    assert_eq!(r.status, 400);
    let r = c.send("POST", "/restapis?mode=import", b"not a document");
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (400, Some("BadRequestException"))
    );
    let message = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.starts_with("Errors found during import:\n\t"),
        "{message}"
    );
    assert_eq!(
        message.matches("Errors found during import").count(),
        1,
        "{message}"
    );
    let r = c.send(
        "POST",
        "/restapis?mode=import&basepath=sideways",
        PETS.as_bytes(),
    );
    assert_eq!(r.status, 400);
    let r = c.send("GET", "/restapis?limit=501", b"");
    assert_eq!(r.status, 400);

    let r = c.send("PATCH", "/restapis/x", b"");
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (404, Some("NotFoundException"))
    );
    let r = c.send("GET", "/nowhere", b"");
    assert_eq!(r.status, 404);
    assert!(r.json()["message"].is_string());
}

#[test]
fn pagination_over_http() {
    let (addr, _ready, _dir) = start(1 << 20);
    let mut c = Client::connect(addr);
    let mut ids: Vec<String> = (0..5)
        .map(|_| {
            c.send("POST", "/restapis?mode=import", PETS.as_bytes())
                .json()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    let mut seen = Vec::new();
    let mut target = "/restapis?limit=2".to_string();
    loop {
        let page = c.send("GET", &target, b"").json();
        let items = page["item"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|a| a["id"].as_str().unwrap().to_string()));
        match page.get("position") {
            Some(p) => target = format!("/restapis?limit=2&position={}", p.as_str().unwrap()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}

#[test]
fn ping_metrics_and_limits() {
    let (addr, ready, _dir) = start(16);
    let mut c = Client::connect(addr);
    let r = c.send("GET", "/ping", b"");
    assert_eq!((r.status, r.json()), (503, json!({"status": "starting"})));
    ready.store(true, Ordering::Release);
    let r = c.send("GET", "/ping", b"");
    assert_eq!((r.status, r.json()), (200, json!({"status": "ok"})));
    let r = c.send("GET", "/metrics", b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4"));
    assert_eq!(r.body, b"tollgate_up 1\n");

    let r = c.send("POST", "/restapis?mode=import", &[b' '; 17]);
    assert_eq!(r.status, 413);
    assert_eq!(r.json(), json!({"message": "Request Too Long"}));
    assert_eq!(r.header("connection"), Some("close"));

    let mut c = Client::connect(addr);
    let r = c.raw(b"POST /restapis?mode=import HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
    assert_eq!(r.status, 411);

    let mut c = Client::connect(addr);
    let r = c.raw(format!("GET /ping HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(70_000)).as_bytes());
    assert_eq!(r.status, 431);

    // A chunked body is decoded (here: too big once decoded).
    let mut c = Client::connect(addr);
    let r = c.raw(b"POST /restapis?mode=import HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11\r\naaaaaaaaaaaaaaaaa\r\n0\r\n\r\n");
    assert_eq!(r.status, 413);
}

#[test]
fn connections_over_the_cap_get_503() {
    let (addr, _ready, _dir) = start(16);
    // Hold MAX_CONNECTIONS connections open (each proven served), then one more is refused.
    let mut held: Vec<Client> = (0..MAX_CONNECTIONS)
        .map(|_| Client::connect(addr))
        .collect();
    for c in &mut held {
        assert_eq!(c.send("GET", "/metrics", b"").status, 200);
    }
    let mut extra = Client::connect(addr);
    let r = extra.send("GET", "/metrics", b"");
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (503, Some("ServiceUnavailableException"))
    );
    drop(held);
}

/// Runs the real AWS CLI against the admin port. Needs `TOLLGATE_AWS_CLI=/path/to/aws`; skipped
/// (passes) without it, so the suite does not depend on Python.
#[test]
fn aws_cli_parses_our_responses() {
    let Ok(aws) = std::env::var("TOLLGATE_AWS_CLI") else {
        return;
    };
    let (addr, _ready, dir) = start(1 << 20);
    let endpoint = format!("http://{addr}");
    let doc = dir.path().join("pets.json");
    std::fs::write(&doc, PETS).unwrap();
    // iso8601 makes botocore really parse our epoch-second timestamps (CLI v1 echoes them raw).
    let config = dir.path().join("aws-config");
    std::fs::write(&config, "[default]\ncli_timestamp_format = iso8601\n").unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&aws)
            .args([
                "apigateway",
                "--endpoint-url",
                &endpoint,
                "--region",
                "us-east-1",
                "--output",
                "json",
            ])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &config)
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (out.status.code(), stdout, stderr)
    };
    let json =
        |s: &str| -> Value { serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}")) };

    let (code, out, err) = run(&[
        "import-rest-api",
        "--body",
        &format!("fileb://{}", doc.display()),
        "--parameters",
        "basepath=ignore",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let api = json(&out);
    let id = api["id"].as_str().unwrap().to_string();
    assert_eq!(api["endpointConfiguration"]["types"], json!(["EDGE"]));
    // botocore parsed createdDate as a timestamp and the CLI printed it back as ISO 8601.
    assert!(
        api["createdDate"].as_str().is_some_and(|d| d.contains('T')),
        "{api}"
    );

    let (code, out, err) = run(&[
        "create-deployment",
        "--rest-api-id",
        &id,
        "--stage-name",
        "prod",
        "--variables",
        "a=1,b=x",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let dep = json(&out);

    let (code, out, err) = run(&["get-stages", "--rest-api-id", &id]);
    assert_eq!(code, Some(0), "{err}");
    let stages = json(&out);
    assert_eq!(stages["item"][0]["deploymentId"], dep["id"]);
    assert_eq!(stages["item"][0]["variables"], json!({"a": "1", "b": "x"}));

    let (code, out, err) = run(&["get-rest-apis"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json(&out)["items"][0]["id"], json!(id));

    let (code, out, err) = run(&[
        "put-rest-api",
        "--rest-api-id",
        &id,
        "--mode",
        "overwrite",
        "--body",
        &format!("fileb://{}", doc.display()),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json(&out)["id"], json!(id));

    let (code, _, err) = run(&["get-rest-api", "--rest-api-id", "nope"]);
    assert_ne!(code, Some(0));
    assert!(
        err.contains("(NotFoundException)") && err.contains("Invalid API identifier specified"),
        "{err}"
    );

    let (code, _, err) = run(&["get-stage", "--rest-api-id", &id, "--stage-name", "nope"]);
    assert_ne!(code, Some(0));
    assert!(
        err.contains("(NotFoundException)") && err.contains("Invalid Stage identifier specified"),
        "{err}"
    );

    let (code, _, err) = run(&["delete-rest-api", "--rest-api-id", &id]);
    assert_eq!(code, Some(0), "{err}");
}
