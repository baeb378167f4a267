//! Durable admin state: a loop of admin writes is cut by `kill -9` at random points, again and
//! again; after every restart on the same data dir each acknowledged write is there (and each
//! acknowledged delete stays deleted). Also: `tollgate backup` of a running gateway, `tollgate
//! restore` into a fresh data dir, and a gateway started on it serving the same APIs and stages.

mod common;
use common::*;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DOC: &str = r#"{"openapi":"3.0.1","info":{"title":"durable","version":"1"},
"paths":{"/hello":{"get":{"responses":{"200":{"description":"ok"}},
"x-amazon-apigateway-integration":{"type":"mock",
"requestTemplates":{"application/json":"{\"statusCode\": 200}"},
"responses":{"default":{"statusCode":"200","responseTemplates":{"application/json":"{\"hello\": true}"}}}}}}}}"#;

/// A write the gateway acknowledged (2xx), and what must be true of it after any restart.
#[derive(Debug, Clone)]
enum Acked {
    Api(String),
    Deployment {
        api: String,
        id: String,
        stage: String,
    },
    Resource {
        api: String,
        id: String,
        path: String,
    },
    Method {
        api: String,
        resource: String,
    },
    /// A delete was sent: unacknowledged, it may or may not have happened.
    Deleting(String),
    Deleted(String),
}

/// One admin request that may fail because the gateway died under it. Same client as
/// `Gateway::admin` (unsigned today; when admin SigV4 lands, sign here as the harness does).
fn try_admin(addr: SocketAddr, method: &str, target: &str, body: &[u8]) -> Option<Response> {
    let mut c = Conn::try_connect(addr).ok()?;
    c.set_read_timeout(Duration::from_secs(10));
    let plain: &[(&str, &str)] = &[("Content-Type", "application/json")];
    // Signed with the test config's admin key, like `Gateway::admin`.
    let key = common::sigv4::OwnedKey::from(common::sigv4::ADMIN_KEY);
    let mut headers: Vec<(String, String)> = plain
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    headers.extend(common::sigv4::sign_headers(
        &key,
        method,
        target,
        "127.0.0.1",
        plain,
        body,
    ));
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    c.request(method, target, "127.0.0.1", &headers, body).ok()
}

fn created(r: Option<Response>) -> Option<serde_json::Value> {
    let r = r?;
    if r.status == 201 || r.status == 200 {
        Some(r.json())
    } else {
        panic!("write refused: {} {}", r.status, r.text())
    }
}

/// Writes until the gateway stops answering (or `stop`); returns what was acknowledged.
fn write_loop(addr: SocketAddr, round: usize, stop: Arc<AtomicBool>) -> Vec<Acked> {
    let mut acked = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let Some(api) = created(try_admin(
            addr,
            "POST",
            "/restapis?mode=import",
            DOC.as_bytes(),
        )) else {
            break;
        };
        let api = api["id"].as_str().unwrap().to_string();
        acked.push(Acked::Api(api.clone()));
        let stage = format!("s{round}x{n}");
        let body = format!(r#"{{"stageName":"{stage}","variables":{{"n":"{n}"}}}}"#);
        let Some(d) = created(try_admin(
            addr,
            "POST",
            &format!("/restapis/{api}/deployments"),
            body.as_bytes(),
        )) else {
            break;
        };
        acked.push(Acked::Deployment {
            api: api.clone(),
            id: d["id"].as_str().unwrap().to_string(),
            stage,
        });
        let Some(made) = created(try_admin(addr, "POST", "/restapis", br#"{"name":"made"}"#))
        else {
            break;
        };
        let made_id = made["id"].as_str().unwrap().to_string();
        let root = made["rootResourceId"].as_str().unwrap().to_string();
        acked.push(Acked::Api(made_id.clone()));
        let part = format!("r{n}");
        let Some(res) = created(try_admin(
            addr,
            "POST",
            &format!("/restapis/{made_id}/resources/{root}"),
            format!(r#"{{"pathPart":"{part}"}}"#).as_bytes(),
        )) else {
            break;
        };
        let rid = res["id"].as_str().unwrap().to_string();
        acked.push(Acked::Resource {
            api: made_id.clone(),
            id: rid.clone(),
            path: format!("/{part}"),
        });
        if created(try_admin(
            addr,
            "PUT",
            &format!("/restapis/{made_id}/resources/{rid}/methods/GET"),
            br#"{"authorizationType":"NONE"}"#,
        ))
        .is_none()
        {
            break;
        }
        acked.push(Acked::Method {
            api: made_id,
            resource: rid,
        });
        // Every third round trip also deletes an API it made: the delete must stick too.
        if n % 3 == 0 {
            acked.push(Acked::Deleting(api.clone()));
            match try_admin(addr, "DELETE", &format!("/restapis/{api}"), b"") {
                Some(r) if r.status == 202 => acked.push(Acked::Deleted(api)),
                Some(r) => panic!("delete refused: {} {}", r.status, r.text()),
                None => break,
            }
        }
    }
    acked
}

fn check(gw: &Gateway, all: &[Acked]) {
    let deleted: Vec<&String> = all
        .iter()
        .filter_map(|a| match a {
            Acked::Deleted(id) | Acked::Deleting(id) => Some(id),
            _ => None,
        })
        .collect();
    let get = |target: &str| gw.admin("GET", target, b"");
    for a in all {
        match a {
            Acked::Api(id) if !deleted.contains(&id) => {
                let r = get(&format!("/restapis/{id}"));
                assert_eq!(r.status, 200, "acked API {id} lost: {}", r.text());
            }
            Acked::Deployment { api, id, stage } if !deleted.contains(&api) => {
                let r = get(&format!("/restapis/{api}/deployments/{id}"));
                assert_eq!(r.status, 200, "acked deployment {id} lost: {}", r.text());
                let r = get(&format!("/restapis/{api}/stages/{stage}"));
                assert_eq!(r.status, 200, "acked stage {stage} lost: {}", r.text());
                assert_eq!(r.json()["deploymentId"], id.as_str());
            }
            Acked::Resource { api, id, path } => {
                let r = get(&format!("/restapis/{api}/resources/{id}"));
                assert_eq!(r.status, 200, "acked resource {path} lost: {}", r.text());
                assert_eq!(r.json()["path"], path.as_str());
            }
            Acked::Method { api, resource } => {
                let r = get(&format!("/restapis/{api}/resources/{resource}/methods/GET"));
                assert_eq!(r.status, 200, "acked method lost: {}", r.text());
            }
            Acked::Deleted(id) => {
                let r = get(&format!("/restapis/{id}"));
                assert_eq!(r.status, 404, "acked delete of {id} undone: {}", r.text());
            }
            _ => {}
        }
    }
    let r = get("/restapis?limit=500");
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn every_acknowledged_write_survives_kill_9() {
    // ~15 kills in all, split over the drivers run, within ~30 s.
    let drivers = std::env::var("TOLLGATE_TEST_DRIVERS")
        .map(|d| d.split(',').count())
        .unwrap_or(DRIVERS.len())
        .max(1);
    let kills = 16 / drivers;
    for_each_driver(|driver| {
        let mut gw = Gateway::start(Opts::new(driver));
        let mut all: Vec<Acked> = Vec::new();
        let started = Instant::now();
        for round in 0..kills {
            let stop = Arc::new(AtomicBool::new(false));
            let addr = gw.admin;
            let writer = {
                let stop = stop.clone();
                std::thread::spawn(move || write_loop(addr, round, stop))
            };
            std::thread::sleep(Duration::from_millis(fastrand_ms(round, 40, 400)));
            gw.kill9();
            stop.store(true, Ordering::Relaxed);
            let acked = writer.join().expect("writer thread");
            all.extend(acked);
            gw.restart();
            check(&gw, &all);
        }
        eprintln!(
            "{driver}: {kills} kills, {} acknowledged writes, {:?}",
            all.len(),
            started.elapsed()
        );
        assert!(all.len() > 2 * kills, "too few writes got through: {all:?}");
        // The store opens cleanly offline too: a stopped data dir backs up directly.
        gw.stop();
        let out = gw.tmp.join("offline-backup");
        let st = Command::new(bin())
            .args(["backup"])
            .arg(&out)
            .arg("--data-dir")
            .arg(&gw.data_dir)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    });
}

/// A pseudo-random delay in [lo, hi) ms from the round number and the clock (no extra crate).
fn fastrand_ms(round: usize, lo: u64, hi: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let x = (nanos ^ (round as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(6364136223846793005);
    lo + (x >> 33) % (hi - lo)
}

fn tollgate(args: &[&str], paths: &[&std::path::Path]) -> std::process::Output {
    let mut cmd = Command::new(bin());
    // A running gateway's backup is an admin call: sign it with the test config's key.
    cmd.env("TOLLGATE_ADMIN_ACCESS_KEY_ID", common::sigv4::ADMIN_KEY.id)
        .env(
            "TOLLGATE_ADMIN_SECRET_ACCESS_KEY",
            common::sigv4::ADMIN_KEY.secret,
        );
    cmd.args(args);
    for p in paths {
        cmd.arg(p);
    }
    cmd.output().unwrap()
}

#[test]
fn backup_while_running_then_restore_into_a_fresh_data_dir() {
    for_each_driver(|driver| {
        let mut gw = Gateway::start(Opts::new(driver));
        let api = gw.import(DOC);
        let dep = gw.deploy(&api, "prod", &[("v", "1")]);
        assert_eq!(gw.call(&api, "GET", "/prod/hello", b"").status, 200);

        // Running: the data dir is locked, so the CLI asks the gateway (found via admin.addr).
        let out = gw.tmp.join("backup");
        let r = tollgate(&["backup", "--data-dir"], &[&gw.data_dir, &out]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        assert!(String::from_utf8_lossy(&r.stderr).contains("asking the gateway"));
        // And with the address given explicitly; an existing backup is never overwritten.
        let admin = gw.admin.to_string();
        let out2 = gw.tmp.join("backup2");
        let r = tollgate(&["backup", "--admin", &admin], &[&out2]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let r = tollgate(&["backup", "--admin", &admin], &[&out2]);
        assert!(!r.status.success());

        // A write after the backup is not in it.
        let later = gw.import(DOC);
        // Restoring under a running gateway is refused.
        let r = tollgate(&["restore", "--data-dir"], &[&gw.data_dir, &out]);
        assert!(!r.status.success());
        let msg = String::from_utf8_lossy(&r.stderr);
        assert!(msg.contains("gateway running"), "{msg}");

        // Restore into a fresh data dir, then run the gateway on it.
        gw.stop();
        std::fs::remove_dir_all(&gw.data_dir).unwrap();
        let r = tollgate(&["restore", "--data-dir"], &[&gw.data_dir, &out]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        gw.restart();
        let r = gw.admin("GET", &format!("/restapis/{api}"), b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let r = gw.admin("GET", &format!("/restapis/{api}/stages/prod"), b"");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["deploymentId"], dep.as_str());
        assert_eq!(r.json()["variables"]["v"], "1");
        assert_eq!(
            gw.admin("GET", &format!("/restapis/{later}"), b"").status,
            404
        );
        let served = gw.call(&api, "GET", "/prod/hello", b"");
        assert_eq!(served.status, 200, "{}", served.text());
    });
}
