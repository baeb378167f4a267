//! What client input and a backend's answer may never do, judged by the
//! bytes a recording backend received and the bytes the client got:
//!
//! - mapping literals and stage variables that would end in a header line with CR/LF/NUL are
//!   refused by every admin path that stores them (400, the location in the message, nothing
//!   stored);
//! - a backend 1xx other than `100 Continue` (an unsolicited `101`, a `102`, a `103`) is a 502 and
//!   its connection is not reused; `100 Continue` is skipped;
//! - client headers that twin a gateway-set header once `_` is read as `-` never reach the backend;
//! - a client header fanned out by mappings past `limits.max_integration_head_bytes` is 413 with
//!   nothing sent, and the client connection stays usable.

mod common;
use common::*;

use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A backend that records every request head it receives, raw, and answers by target:
/// `/s1NN` answers that 1xx (then a 200 unless it is a 101), anything else 200 `ok`.
struct Recorder {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<Vec<u8>>>>,
    conns: Arc<AtomicUsize>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let heads: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let conns: Arc<AtomicUsize> = Arc::default();
        let (h, c) = (heads.clone(), conns.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let h = h.clone();
                std::thread::spawn(move || serve(stream, &h));
            }
        });
        Recorder { addr, heads, conns }
    }

    fn heads(&self) -> Vec<String> {
        let heads = self.heads.lock().unwrap();
        heads
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect()
    }

    fn count(&self) -> usize {
        self.heads.lock().unwrap().len()
    }

    fn conns(&self) -> usize {
        self.conns.load(Ordering::SeqCst)
    }
}

fn serve(mut s: TcpStream, heads: &Mutex<Vec<Vec<u8>>>) {
    let mut buf = Vec::new();
    loop {
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut tmp = [0u8; 65536];
            match s.read(&mut tmp) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        };
        let head: Vec<u8> = buf.drain(..end).collect();
        let text = String::from_utf8_lossy(&head).into_owned();
        heads.lock().unwrap().push(head);
        // Request bodies are not used by these tests beyond a Content-Length.
        if let Some(len) = text.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        }) {
            while buf.len() < len {
                let mut tmp = [0u8; 4096];
                match s.read(&mut tmp) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&tmp[..n]),
                }
            }
            buf.drain(..len);
        }
        let target = text.split(' ').nth(1).unwrap_or("");
        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        let answer = match target.rsplit('/').next().unwrap_or("") {
            "s101" => "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".to_string(),
            "s100" => format!("HTTP/1.1 100 Continue\r\n\r\n{ok}"),
            "s102" => format!("HTTP/1.1 102 Processing\r\n\r\n{ok}"),
            "s103" => format!("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n{ok}"),
            _ => ok.to_string(),
        };
        if s.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// HTTP_PROXY routes to the recorder: `/proxy/{p+}` (with a mapped `X-Trace`) and `/fan`, which
/// maps one client header into nine integration headers.
fn doc(rec: &Recorder) -> String {
    let up = rec.addr;
    let fan: serde_json::Map<String, serde_json::Value> = (1..=9)
        .map(|i| {
            (
                format!("integration.request.header.X-Fan-{i}"),
                json!("method.request.header.X-Big"),
            )
        })
        .collect();
    json!({"openapi":"3.0.1","info":{"title":"backend-input","version":"1"},"paths":{
        "/proxy/{p+}":{"x-amazon-apigateway-any-method":{
            "parameters":[{"name":"p","in":"path","required":true,"schema":{"type":"string"}}],
            "x-amazon-apigateway-integration":{"type":"http_proxy","httpMethod":"ANY",
                "uri":format!("http://{up}/{{p}}"),
                "requestParameters":{"integration.request.path.p":"method.request.path.p",
                    "integration.request.header.X-Trace":"'gw'"}}}},
        "/fan":{"get":{
            "parameters":[{"name":"X-Big","in":"header","schema":{"type":"string"}}],
            "x-amazon-apigateway-integration":{"type":"http_proxy","httpMethod":"GET",
                "uri":format!("http://{up}/fan"),"requestParameters":fan}}},
        "/mock":{"get":{
            "responses":{"200":{"description":"ok","headers":{"X-A":{"schema":{"type":"string"}}}}},
            "x-amazon-apigateway-integration":{"type":"mock",
                "requestTemplates":{"application/json":"{\"statusCode\": 200}"},
                "responses":{"default":{"statusCode":"200"}}}}}
    }})
    .to_string()
}

fn start(driver: &'static str) -> (Gateway, Recorder, String) {
    let gw = Gateway::start(Opts::new(driver));
    let rec = Recorder::start();
    let api = gw.import(&doc(&rec));
    gw.deploy(&api, "prod", &[]);
    (gw, rec, api)
}

fn bad_request(r: &Response, needles: &[&str]) {
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.header("x-amzn-ErrorType")
            .map(|t| t.split(':').next().unwrap()),
        Some("BadRequestException"),
        "{}",
        r.text()
    );
    let m = message(r);
    for n in needles {
        assert!(m.contains(n), "{n:?} not in {m:?}");
    }
}

#[test]
fn header_bound_literals_with_control_characters_are_refused_everywhere() {
    for_each_driver(|driver| {
        let (gw, _rec, api) = start(driver);
        let base = format!("/restapis/{api}");

        // Import: every problem, each with its pointer into the document.
        let mut d: serde_json::Value = serde_json::from_str(&doc(&Recorder::start())).unwrap();
        let get = &mut d["paths"]["/mock"]["get"]["x-amazon-apigateway-integration"];
        get["requestParameters"] =
            json!({"integration.request.header.X-A": "'a\r\nX-Injected: 1'"});
        get["responses"]["default"]["responseParameters"] =
            json!({"method.response.header.X-A": "'v\nSet-Cookie: admin=1'"});
        let r = gw.admin("POST", "/restapis?mode=import", d.to_string().as_bytes());
        bad_request(
            &r,
            &[
                "/paths/~1mock/get/x-amazon-apigateway-integration/requestParameters/integration.request.header.X-A",
                "/paths/~1mock/get/x-amazon-apigateway-integration/responses/default/responseParameters/method.response.header.X-A",
                r"'a\r\nX-Injected: 1'",
            ],
        );
        let before = gw.admin("GET", "/restapis", b"").json()["item"]
            .as_array()
            .map(Vec::len);

        let resources = gw.admin("GET", &format!("{base}/resources"), b"").json();
        let mock = resources["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == "/mock")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let m = format!("{base}/resources/{mock}/methods/GET");

        // PutIntegration: 400, and the stored integration is the old one.
        let put = json!({"type":"HTTP","httpMethod":"GET","uri":"http://127.0.0.1:9/x",
            "requestParameters":{"integration.request.header.X-A":"'a\r\nX-Injected: 1'"}});
        bad_request(
            &gw.admin(
                "PUT",
                &format!("{m}/integration"),
                put.to_string().as_bytes(),
            ),
            &["integration.request.header.X-A", "'GET'", "'/mock'"],
        );
        let put = json!({"type":"HTTP","httpMethod":"GET","uri":"http://127.0.0.1:9/x",
            "requestParameters":{"integration.request.querystring.q":"'a\nb'"}});
        bad_request(
            &gw.admin(
                "PUT",
                &format!("{m}/integration"),
                put.to_string().as_bytes(),
            ),
            &["integration.request.querystring.q"],
        );
        assert_eq!(
            gw.admin("GET", &format!("{m}/integration"), b"").json()["type"],
            "MOCK"
        );

        // UpdateIntegration (patch) and PutIntegrationResponse / UpdateIntegrationResponse.
        let patch = json!({"patchOperations":[{"op":"add",
            "path":"/requestParameters/integration.request.header.X-B","value":"'\u{0}'"}]});
        bad_request(
            &gw.admin(
                "PATCH",
                &format!("{m}/integration"),
                patch.to_string().as_bytes(),
            ),
            &["integration.request.header.X-B"],
        );
        let resp = json!({"responseParameters":{"method.response.header.X-A":"'a\r\nSet-Cookie: admin=1'"}});
        bad_request(
            &gw.admin(
                "PUT",
                &format!("{m}/integration/responses/200"),
                resp.to_string().as_bytes(),
            ),
            &["method.response.header.X-A"],
        );
        let patch = json!({"patchOperations":[{"op":"add",
            "path":"/responseParameters/method.response.header.X-A","value":"'a\rb'"}]});
        bad_request(
            &gw.admin(
                "PATCH",
                &format!("{m}/integration/responses/200"),
                patch.to_string().as_bytes(),
            ),
            &["method.response.header.X-A"],
        );

        // PutGatewayResponse.
        let g = json!({"responseParameters":{"gatewayresponse.header.X-G":"'a\r\nX-Injected: 1'"}});
        bad_request(
            &gw.admin(
                "PUT",
                &format!("{base}/gatewayresponses/DEFAULT_4XX"),
                g.to_string().as_bytes(),
            ),
            &["gatewayresponse.header.X-G"],
        );

        // Stage variables: CreateDeployment, CreateStage, UpdateStage.
        let dep = json!({"stageName":"beta","variables":{"v":"a\r\nX-Injected: 1"}});
        bad_request(
            &gw.admin(
                "POST",
                &format!("{base}/deployments"),
                dep.to_string().as_bytes(),
            ),
            &["Invalid stage variable value: a\\r\\nX-Injected: 1."],
        );
        let dep_id = gw.admin("GET", &format!("{base}/stages/prod"), b"").json()["deploymentId"]
            .as_str()
            .unwrap()
            .to_string();
        let st = json!({"stageName":"beta","deploymentId":dep_id,"variables":{"v":"a b"}});
        bad_request(
            &gw.admin("POST", &format!("{base}/stages"), st.to_string().as_bytes()),
            &["Invalid stage variable value"],
        );
        let patch =
            json!({"patchOperations":[{"op":"replace","path":"/variables/v","value":"a\nb"}]});
        bad_request(
            &gw.admin(
                "PATCH",
                &format!("{base}/stages/prod"),
                patch.to_string().as_bytes(),
            ),
            &["Invalid stage variable value"],
        );
        let patch =
            json!({"patchOperations":[{"op":"replace","path":"/variables/a-b","value":"x"}]});
        bad_request(
            &gw.admin(
                "PATCH",
                &format!("{base}/stages/prod"),
                patch.to_string().as_bytes(),
            ),
            &["Invalid stage variable name: a-b."],
        );

        // Nothing was stored: no new API, the stage has no variables, traffic as before.
        let after = gw.admin("GET", "/restapis", b"").json()["item"]
            .as_array()
            .map(Vec::len);
        assert_eq!(before, after);
        let stage = gw.admin("GET", &format!("{base}/stages/prod"), b"").json();
        assert!(
            stage["variables"].as_object().is_none_or(|v| v.is_empty()),
            "{stage}"
        );
        assert_eq!(gw.call(&api, "GET", "/prod/mock", b"").status, 200);
    });
}

#[test]
fn a_backend_1xx_other_than_100_is_a_502_and_its_connection_is_dropped() {
    for_each_driver(|driver| {
        let (gw, rec, api) = start(driver);
        let mut c = gw.conn();
        let host = api_host(&api);
        let mut get = |target: &str| c.request("GET", target, &host, &[], b"").unwrap();

        let r = get("/prod/proxy/s100");
        assert_eq!((r.status, r.text()), (200, "ok".to_string()));
        let r = get("/prod/proxy/plain");
        assert_eq!(r.status, 200);
        assert_eq!(
            rec.conns(),
            1,
            "a 100 Continue leaves the connection fit for reuse"
        );

        for (i, s) in ["s101", "s102", "s103"].into_iter().enumerate() {
            let r = get(&format!("/prod/proxy/{s}"));
            assert_eq!(r.status, 502, "{s}: {}", r.text());
            assert_eq!(r.json(), json!({"message": "Internal server error"}), "{s}");
            assert!(!r.closes(), "{s}: the client connection stays usable");
            assert_eq!(r.header("Upgrade"), None);
            let r = get("/prod/proxy/plain");
            assert_eq!(r.status, 200);
            assert_eq!(
                rec.conns(),
                2 + i,
                "{s}: the backend connection was discarded, not pooled"
            );
        }
    });
}

#[test]
fn client_headers_cannot_twin_gateway_set_ones() {
    for_each_driver(|driver| {
        let (gw, rec, api) = start(driver);
        let r = gw.call_h(
            &api,
            "GET",
            "/prod/proxy/twins",
            &[
                ("X_Forwarded_For", "6.6.6.6"),
                ("x_forwarded_proto", "https"),
                ("X_Trace", "client"),
                ("Transfer_Encoding", "chunked"),
                ("Content_Length", "5"),
                ("Proxy_Connection", "keep-alive"),
                ("X_Custom", "kept"),
                ("X-Mixed_Name", "kept too"),
            ],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let heads = rec.heads();
        let head = heads.last().unwrap();
        let names: Vec<&str> = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':').map(|(n, _)| n))
            .collect();
        for n in &names {
            let folded = n.replace('_', "-").to_ascii_lowercase();
            let count = names
                .iter()
                .filter(|m| m.replace('_', "-").to_ascii_lowercase() == folded)
                .count();
            assert_eq!(count, 1, "{n} has a twin in:\n{head}");
            assert!(
                !n.contains('_') || *n == "X_Custom" || *n == "X-Mixed_Name",
                "{head}"
            );
        }
        assert!(head.contains("\r\nX_Custom: kept\r\n"), "{head}");
        assert!(head.contains("\r\nX-Mixed_Name: kept too\r\n"), "{head}");
        assert!(head.contains("\r\nX-Trace: gw\r\n"), "{head}");
        assert!(
            head.contains("\r\nX-Forwarded-For: 127.0.0.1\r\n"),
            "{head}"
        );
        assert!(
            !head.contains("6.6.6.6") && !head.contains("chunked"),
            "{head}"
        );
    });
}

#[test]
fn a_mapping_fan_out_past_the_integration_head_limit_is_413_and_sends_nothing() {
    for_each_driver(|driver| {
        let (gw, rec, api) = start(driver);
        let host = api_host(&api);
        let mut c = gw.conn();
        // The head the backend gets is fixed bytes plus ten copies of X-Big (nine mapped, one
        // forwarded): measured once, it tells the longest value that still fits.
        let r = c
            .request("GET", "/prod/fan", &host, &[("X-Big", "0123456789")], b"")
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let fixed = rec.heads()[0].len() - 10 * 10;
        let fits = (10240 - fixed) / 10;

        let big = "b".repeat(9 * 1024);
        let r = c
            .request("GET", "/prod/fan", &host, &[("X-Big", &big)], b"")
            .unwrap();
        assert_eq!(r.status, 413, "{}", r.text());
        assert_eq!(r.json(), json!({"message": "Request Too Long"}));
        assert!(!r.closes());
        assert_eq!(rec.count(), 1, "the backend got nothing");

        let over = "o".repeat(fits + 1);
        let r = c
            .request("GET", "/prod/fan", &host, &[("X-Big", &over)], b"")
            .unwrap();
        assert_eq!(r.status, 413);
        assert_eq!(rec.count(), 1, "the backend got nothing");

        // Same connection: a head at (or just under) the limit passes.
        let under = "u".repeat(fits);
        let r = c
            .request("GET", "/prod/fan", &host, &[("X-Big", &under)], b"")
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let heads = rec.heads();
        assert_eq!(heads.len(), 2);
        assert!(
            heads[1].len() <= 10240 && heads[1].len() > 10240 - 10,
            "{}",
            heads[1].len()
        );
        assert_eq!(heads[1].matches(&under).count(), 10);
    });
}

#[test]
fn boot_stage_variables_follow_aws_rule() {
    let tmp = TempDir::new("bootvars");
    tmp.write("api.yaml", &fixture("version.yaml"));
    let config = Config {
        extra: "[[apis]]\nfile = \"api.yaml\"\n\n[[apis.stages]]\nname = \"prod\"\nvariables = { v = \"a\\r\\nX-Injected: 1\" }\n".into(),
        ..Config::default()
    };
    let path = tmp.write("tollgate.toml", &config.render());
    let (status, text) = run_cli(&["check", path.to_str().unwrap()]);
    assert!(!status.success(), "{text}");
    assert!(
        text.contains("stage prod: Invalid stage variable value: a\\r\\nX-Injected: 1."),
        "{text}"
    );
}
