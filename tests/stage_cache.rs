//! The stage response cache against the real binary, both drivers: hits and misses by
//! `cacheKeyParameters` (path, query, header), TTL expiry, `Cache-Control: max-age=0` under each
//! `unauthorizedCacheControlHeaderStrategy`, FlushStageCache (whole and by Tollgate's
//! `pathPrefix`), a redeploy starting empty, POST cached only when enabled, non-2xx and oversized
//! responses served but not stored, CacheHitCount / CacheMissCount, bad TTL and size refused, and
//! a hot key expiring under 200 concurrent requests reaching the backend at most once per worker.
//!
//! The backend here counts the requests it serves and puts the count in each body (`n=COUNT`),
//! so a test sees whether an answer came from the backend or from the cache.

mod common;
use common::backends::read_request;
use common::*;

use serde_json::{json, Value};
use std::io::Write as _;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A counting backend: `?status=NNN`, `?size=N` (body padded to N bytes), `?ms=N` (delay).
struct Counting {
    addr: String,
    hits: Arc<AtomicUsize>,
}

impl Counting {
    fn start() -> Counting {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let h = h.clone();
                std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    while let Ok(Some(req)) = read_request(&mut s, &mut buf) {
                        let n = h.fetch_add(1, Ordering::SeqCst) + 1;
                        let q = |k: &str| {
                            req.target.split_once('?').and_then(|(_, q)| {
                                q.split('&')
                                    .find_map(|p| p.strip_prefix(&format!("{k}=")))
                                    .and_then(|v| v.parse::<usize>().ok())
                            })
                        };
                        if let Some(ms) = q("ms") {
                            std::thread::sleep(Duration::from_millis(ms as u64));
                        }
                        let status = q("status").unwrap_or(200);
                        let mut body = format!("n={n}").into_bytes();
                        if let Some(size) = q("size") {
                            body.resize(size, b'x');
                        }
                        let head = format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nX-Backend: yes\r\n\
                             Date: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        );
                        if s.write_all(head.as_bytes()).is_err() || s.write_all(&body).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Counting { addr, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn doc(backend: &str) -> String {
    let proxy = |method: &str, path: &str, extra: Value| {
        let mut i = json!({"type": "http_proxy", "httpMethod": method,
                           "uri": format!("http://{backend}{path}")});
        if let (Some(i), Some(e)) = (i.as_object_mut(), extra.as_object()) {
            i.extend(e.clone());
        }
        json!({"x-amazon-apigateway-integration": i,
               "parameters": [{"name": "x-k", "in": "header", "schema": {"type": "string"}},
                              {"name": "q", "in": "query", "schema": {"type": "string"}}]})
    };
    let id_param = json!([{"name": "id", "in": "path", "required": true,
                           "schema": {"type": "string"}}]);
    json!({
        "openapi": "3.0.1",
        "info": {"title": "cached", "version": "1"},
        "paths": {
            "/items/{id}": {
                "parameters": id_param,
                "get": proxy("GET", "/items/{id}", json!({
                    "requestParameters": {
                        "integration.request.path.id": "method.request.path.id",
                        "integration.request.header.x-k": "method.request.header.x-k"},
                    "cacheKeyParameters": ["method.request.path.id",
                                           "method.request.querystring.q",
                                           "integration.request.header.x-k"]})),
                "post": proxy("POST", "/items/{id}", json!({
                    "requestParameters": {"integration.request.path.id": "method.request.path.id"}})),
            },
            "/other": {"get": proxy("GET", "/other", json!({}))},
            "/fail": {"get": proxy("GET", "/fail?status=500", json!({}))},
            "/big": {"get": proxy("GET", "/big?size=1100000", json!({}))},
            "/slow": {"get": proxy("GET", "/slow?ms=300", json!({}))},
        }
    })
    .to_string()
}

fn patch(gw: &Gateway, api: &str, ops: Value) -> Response {
    let body = json!({ "patchOperations": ops }).to_string();
    gw.admin(
        "PATCH",
        &format!("/restapis/{api}/stages/prod"),
        body.as_bytes(),
    )
}

/// An API with the cache on (TTL `ttl` for every method), and its backend.
fn cached(gw: &Gateway, ttl: u32) -> (String, Counting) {
    let be = Counting::start();
    let api = gw.import(&doc(&be.addr));
    gw.deploy(&api, "prod", &[]);
    let r = patch(
        gw,
        &api,
        json!([
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
            {"op": "replace", "path": "/cacheClusterSize", "value": "0.5"},
            {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": ttl.to_string()}]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    (api, be)
}

fn get(gw: &Gateway, api: &str, target: &str, headers: &[(&str, &str)]) -> Response {
    let r = gw.call_h(api, "GET", target, headers, b"");
    assert!(
        r.status < 500 || target.contains("fail"),
        "{target}: {}",
        r.status
    );
    r
}

#[test]
fn hits_and_misses_by_key_parameters() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).workers(1));
        let (api, be) = cached(&gw, 300);
        let k = [("x-k", "A")];
        let first = get(&gw, &api, "/prod/items/1?q=a&other=1", &k);
        assert_eq!(first.status, 200);
        assert_eq!(first.text(), "n=1");
        let again = get(&gw, &api, "/prod/items/1?q=a&other=2", &k);
        assert_eq!(again.text(), "n=1", "a query value not in the key is a hit");
        assert_eq!(again.header("X-Backend"), Some("yes"));
        assert_eq!(
            again.header("x-amzn-Remapped-Date"),
            first.header("x-amzn-Remapped-Date")
        );
        assert_ne!(
            again.header("x-amzn-RequestId"),
            first.header("x-amzn-RequestId")
        );
        assert_eq!(be.hits(), 1);
        // Each key parameter separates entries.
        assert_eq!(get(&gw, &api, "/prod/items/1?q=b", &k).text(), "n=2");
        assert_eq!(
            get(&gw, &api, "/prod/items/1?q=a", &[("x-k", "B")]).text(),
            "n=3"
        );
        assert_eq!(get(&gw, &api, "/prod/items/2?q=a", &k).text(), "n=4");
        assert_eq!(get(&gw, &api, "/prod/items/1?q=a", &[]).text(), "n=5");
        assert_eq!(get(&gw, &api, "/prod/items/1?q=a", &k).text(), "n=1");
        assert_eq!(get(&gw, &api, "/prod/items/1?q=b", &k).text(), "n=2");
        assert_eq!(be.hits(), 5);
        gw.metrics_until("cache counts", |m| {
            m.lines()
                .any(|l| l.starts_with("tollgate_cachehitcount{") && l.ends_with(" 3"))
                && m.lines()
                    .any(|l| l.starts_with("tollgate_cachemisscount{") && l.ends_with(" 5"))
        });
    });
}

#[test]
fn ttl_expiry_and_cache_control_strategies() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).workers(1));
        let (api, be) = cached(&gw, 1);
        assert_eq!(get(&gw, &api, "/prod/other", &[]).text(), "n=1");
        assert_eq!(get(&gw, &api, "/prod/other", &[]).text(), "n=1");
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(get(&gw, &api, "/prod/other", &[]).text(), "n=2", "expired");

        let r = patch(
            &gw,
            &api,
            json!([{"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "300"}]),
        );
        assert_eq!(r.status, 200);
        // The entry filled under the 1 s TTL keeps its expiry.
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(get(&gw, &api, "/prod/other", &[]).text(), "n=3");
        let no_cache = [("Cache-Control", "max-age=0")];
        // Default: authorization required, an anonymous caller is ignored with a warning.
        let r = get(&gw, &api, "/prod/other", &no_cache);
        assert_eq!(r.text(), "n=3");
        assert!(
            r.header("Warning").is_some_and(|w| w.starts_with("199 ")),
            "{r:?}"
        );
        assert!(get(&gw, &api, "/prod/other", &[])
            .header("Warning")
            .is_none());

        let strategy = |s: &str| {
            let r = patch(
                &gw,
                &api,
                json!([{"op": "replace",
                        "path": "/*/*/caching/unauthorizedCacheControlHeaderStrategy", "value": s}]),
            );
            assert_eq!(r.status, 200, "{}", r.text());
        };
        strategy("SUCCEED_WITHOUT_RESPONSE_HEADER");
        let r = get(&gw, &api, "/prod/other", &no_cache);
        assert_eq!(r.text(), "n=3");
        assert!(r.header("Warning").is_none());
        strategy("FAIL_WITH_403");
        let r = get(&gw, &api, "/prod/other", &no_cache);
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(be.hits(), 3);

        // Without required authorization, any client's max-age=0 refetches and refills.
        let r = patch(
            &gw,
            &api,
            json!([{"op": "replace",
                    "path": "/*/*/caching/requireAuthorizationForCacheControl", "value": "false"}]),
        );
        assert_eq!(r.status, 200);
        assert_eq!(get(&gw, &api, "/prod/other", &no_cache).text(), "n=4");
        assert_eq!(get(&gw, &api, "/prod/other", &[]).text(), "n=4");
    });
}

#[test]
fn flush_purge_by_prefix_and_redeploy() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).workers(2));
        let (api, be) = cached(&gw, 300);
        // Fill on both workers (each core has its own cache).
        let warm = |target: &str| {
            for _ in 0..16 {
                get(&gw, &api, target, &[]);
            }
        };
        let hits_for = |target: &str| {
            let before = be.hits();
            warm(target);
            be.hits() - before
        };
        // The kernel's SO_REUSEPORT hash picks the worker, so a round of 16 may miss one of
        // them: refill until a whole round is served from cache. Each worker fetches once.
        let refill = |target: &str| {
            let mut total = 0;
            for _ in 0..10 {
                match hits_for(target) {
                    0 => return total,
                    n => total += n,
                }
            }
            panic!("{target} still reaches the backend after 160 requests");
        };
        assert!((1..=2).contains(&refill("/prod/items/1")));
        assert!((1..=2).contains(&refill("/prod/other")));

        let r = gw.admin(
            "DELETE",
            &format!("/restapis/{api}/stages/prod/cache/data?pathPrefix=/items"),
            b"",
        );
        assert_eq!(r.status, 202, "{}", r.text());
        assert!(
            (1..=2).contains(&refill("/prod/items/1")),
            "purged by prefix"
        );
        assert_eq!(hits_for("/prod/other"), 0, "outside the prefix");

        let r = gw.admin(
            "DELETE",
            &format!("/restapis/{api}/stages/prod/cache/data"),
            b"",
        );
        assert_eq!(r.status, 202);
        assert!((1..=2).contains(&refill("/prod/other")), "flushed");

        // A new deployment of the stage starts with an empty cache.
        gw.deploy(&api, "prod", &[]);
        assert!(
            (1..=2).contains(&refill("/prod/other")),
            "redeploy invalidates"
        );

        let r = gw.admin(
            "DELETE",
            &format!("/restapis/{api}/stages/prod/cache/authorizers"),
            b"",
        );
        assert_eq!(r.status, 202);
        let r = gw.admin(
            "DELETE",
            &format!("/restapis/{api}/stages/nope/cache/data"),
            b"",
        );
        assert_eq!(r.status, 404, "{}", r.text());
    });
}

#[test]
fn only_cacheable_responses_are_stored() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).workers(1));
        let (api, be) = cached(&gw, 300);
        // Non-2xx: served, not stored.
        assert_eq!(gw.call(&api, "GET", "/prod/fail", b"").status, 500);
        assert_eq!(gw.call(&api, "GET", "/prod/fail", b"").status, 500);
        assert_eq!(be.hits(), 2);
        // Over the item limit: served whole, not stored.
        let big = get(&gw, &api, "/prod/big", &[]);
        assert_eq!(big.body.len(), 1_100_000);
        assert_eq!(get(&gw, &api, "/prod/big", &[]).body.len(), 1_100_000);
        assert_eq!(be.hits(), 4);
        // POST: not cached by default, cached once its method settings enable caching.
        let post = |body: &[u8]| gw.call(&api, "POST", "/prod/items/1", body).text();
        assert_eq!(post(b"a"), "n=5");
        assert_eq!(post(b"a"), "n=6");
        let r = patch(
            &gw,
            &api,
            json!([{"op": "replace", "path": "/~1items~1{id}/POST/caching/enabled", "value": "true"}]),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(post(b"a"), "n=7");
        assert_eq!(
            post(b"b"),
            "n=7",
            "the body is not part of the key, as on AWS"
        );
        // A GET whose own method setting turns caching off.
        let r = patch(
            &gw,
            &api,
            json!([{"op": "replace", "path": "/~1other/GET/caching/enabled", "value": "false"}]),
        );
        assert_eq!(r.status, 200);
        assert_eq!(get(&gw, &api, "/prod/other", &[]).text(), "n=8");
        assert_eq!(get(&gw, &api, "/prod/other", &[]).text(), "n=9");
    });
}

#[test]
fn bad_ttl_and_size_are_refused_and_change_nothing() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).workers(1));
        let (api, _be) = cached(&gw, 300);
        let before = gw
            .admin("GET", &format!("/restapis/{api}/stages/prod"), b"")
            .json();
        for ops in [
            json!([{"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "3601"}]),
            json!([{"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "-1"}]),
            json!([{"op": "replace", "path": "/cacheClusterSize", "value": "2"}]),
            json!([{"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "true"},
                   {"op": "replace", "path": "/cacheClusterSize", "value": "1.0"}]),
        ] {
            let r = patch(&gw, &api, ops.clone());
            assert_eq!(r.status, 400, "{ops}: {}", r.text());
            assert_eq!(r.header("x-amzn-ErrorType"), Some("BadRequestException"));
        }
        let body = json!({"stageName": "s2", "deploymentId": before["deploymentId"],
                          "cacheClusterEnabled": true, "cacheClusterSize": "7"});
        let r = gw.admin(
            "POST",
            &format!("/restapis/{api}/stages"),
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        let after = gw
            .admin("GET", &format!("/restapis/{api}/stages/prod"), b"")
            .json();
        assert_eq!(before, after);
        // dataEncrypted is accepted (not applicable to an in-memory cache).
        let r = patch(
            &gw,
            &api,
            json!([{"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "true"}]),
        );
        assert_eq!(r.status, 200);
    });
}

#[test]
fn a_hot_key_expiring_reaches_the_backend_once_per_worker() {
    const WORKERS: usize = 2;
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).workers(WORKERS));
        let (api, be) = cached(&gw, 1);
        let burst = || {
            let before = be.hits();
            let threads: Vec<_> = (0..200)
                .map(|_| {
                    let mut c = gw.conn();
                    let host = api_host(&api);
                    std::thread::spawn(move || {
                        let r = c.request("GET", "/prod/slow", &host, &[], b"").unwrap();
                        assert_eq!(r.status, 200);
                        r.text()
                    })
                })
                .collect();
            for t in threads {
                assert!(t.join().unwrap().starts_with("n="));
            }
            be.hits() - before
        };
        let first = burst();
        assert!(first <= WORKERS, "{first} backend requests for 200 (cold)");
        std::thread::sleep(Duration::from_millis(1200));
        let expired = burst();
        assert!(
            expired <= WORKERS,
            "{expired} backend requests for 200 (expired)"
        );
    });
}
