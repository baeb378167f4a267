//! VPC links on the data plane: `connectionType: VPC_LINK` integrations connect to the targets of
//! a `[[vpc_links]]` group, balanced round robin; a dead target (refusing connections) is ejected
//! and every request is still served by the others; a link the gateway has no targets for refuses
//! the deployment. The URI still gives `Host` and the path, as on AWS.

mod common;

use common::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const NLB: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/nlb/abc";

/// A backend that can be stopped: answers `{"backend": name}` and closes each connection (so the
/// gateway pools none), and once stopped refuses connections, as a dead process would.
struct Killable {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Killable {
    fn start(name: &'static str) -> Killable {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    return; // drops the listener: the port now refuses
                }
                let Ok(mut s) = stream else { continue };
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = json!({ "backend": name }).to_string();
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        Killable {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    fn kill(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn api_doc(connection_id: &str) -> String {
    let method = |verb: &str| {
        json!({
            "responses": { "200": { "description": "ok" } },
            "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": verb,
                "uri": "http://backend.internal:8080/v1/items",
                "connectionType": "VPC_LINK", "connectionId": connection_id,
            } })
    };
    json!({
        "openapi": "3.0.1",
        "info": { "title": format!("vpc-{connection_id}"), "version": "1" },
        "paths": { "/items": { "get": method("GET"), "post": method("POST") } },
    })
    .to_string()
}

fn config(links: &str) -> Config {
    Config {
        extra: links.to_string(),
        ..Config::default()
    }
}

/// Which backend answered each of `n` requests (every one must succeed).
fn backends(gw: &Gateway, api: &str, n: usize) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for i in 0..n {
        let r = gw.call(api, "GET", "/prod/items", b"");
        assert_eq!(r.status, 200, "request {i}: {}\n{}", r.text(), gw.stderr());
        let name = r.json()["backend"].as_str().unwrap_or("?").to_string();
        *seen.entry(name).or_insert(0) += 1;
    }
    seen
}

#[test]
fn a_vpc_link_with_one_dead_target_keeps_serving_from_the_other() {
    for_each_driver(|driver| {
        let echo = Upstream::echo("alive");
        let mut doomed = Killable::start("doomed");
        let links = format!(
            "[[vpc_links]]\nid = \"lnk1\"\ntargets = [\"{}\", \"{}\"]\n\
             health_check = {{ interval_ms = 200, timeout_ms = 200 }}\n\
             [[vpc_links]]\nid = \"half\"\ntargets = [\"{}\", \"{}\"]\n",
            echo.addr,
            doomed.addr,
            Upstream::refused_addr(),
            echo.addr,
        );
        let gw = Gateway::start(Opts::new(driver).config(config(&links)));
        let api = gw.import(&api_doc("lnk1"));
        gw.deploy(&api, "prod", &[]);

        // Both targets serve, and the URI still gives Host and path.
        let seen = backends(&gw, &api, 20);
        assert_eq!(seen.get("alive"), Some(&10), "{seen:?}");
        assert_eq!(seen.get("doomed"), Some(&10), "{seen:?}");
        let r = gw.call(&api, "GET", "/prod/items", b"");
        let r = if r.json()["backend"] == "alive" {
            r
        } else {
            gw.call(&api, "GET", "/prod/items", b"")
        };
        assert_eq!(r.json()["headers"]["host"], "backend.internal:8080");
        assert_eq!(r.json()["path"], "/v1/items");

        // One target dies: every request is still served, by the other.
        doomed.kill();
        let seen = backends(&gw, &api, 20);
        assert_eq!(seen.get("alive"), Some(&20), "{seen:?}");
        // Once the health checks mark it down, still every request succeeds.
        std::thread::sleep(Duration::from_millis(700));
        let seen = backends(&gw, &api, 10);
        assert_eq!(seen.get("alive"), Some(&10), "{seen:?}");
        assert!(
            gw.stderr().contains("is now unhealthy"),
            "the health checker logs the dead target:\n{}",
            gw.stderr()
        );

        // A link whose first target was never up (a POST too: a refused connect sent nothing).
        let half = gw.import(&api_doc("half"));
        gw.deploy(&half, "prod", &[]);
        let seen = backends(&gw, &half, 10);
        assert_eq!(seen.get("alive"), Some(&10), "{seen:?}");
        for i in 0..4 {
            let r = gw.call(&half, "POST", "/prod/items", b"{\"n\":1}");
            assert_eq!(r.status, 200, "POST {i}: {}", r.text());
            assert_eq!(r.json()["body"], "{\"n\":1}");
        }
    });
}

#[test]
fn links_resolve_through_the_admin_api_and_unknown_links_are_refused() {
    for_each_driver(|driver| {
        let echo = Upstream::echo("nlb-target");
        let links = format!(
            "[[vpc_links]]\ntarget_arn = \"{NLB}\"\ntargets = [\"{}\"]\n",
            echo.addr
        );
        let gw = Gateway::start(Opts::new(driver).config(config(&links)));

        // Fail closed: a connectionId that names no link refuses the deployment, naming it.
        let api = gw.import(&api_doc("nope"));
        let body = json!({ "stageName": "prod" }).to_string();
        let r = gw.admin(
            "POST",
            &format!("/restapis/{api}/deployments"),
            body.as_bytes(),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.text().contains("'nope'"), "{}", r.text());

        // CreateVpcLink with the NLB ARN a config entry names; the integration names the link by
        // a stage variable, as AWS's documentation suggests.
        let r = gw.admin(
            "POST",
            "/vpclinks",
            json!({ "name": "nlb", "targetArns": [NLB] })
                .to_string()
                .as_bytes(),
        );
        assert_eq!(r.status, 202, "{}", r.text());
        let link = r.json()["id"].as_str().unwrap().to_string();
        let api = gw.import(&api_doc("${stageVariables.vpcLinkId}"));
        gw.deploy(&api, "prod", &[("vpcLinkId", &link)]);
        let seen = backends(&gw, &api, 3);
        assert_eq!(seen.get("nlb-target"), Some(&3), "{seen:?}");
    });
}
