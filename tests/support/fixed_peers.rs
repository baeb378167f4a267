//! The peers the in-process allocation tests share: a keep-alive backend and a response reader
//! that use only fixed buffers, so every allocation the counting allocator sees during a
//! measured window belongs to the gateway.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

const BACKEND_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"hello\":\"world\"}";

/// Requests every backend of `start_backend` has answered (the stage cache test reads it).
#[allow(dead_code)]
pub static BACKEND_REQUESTS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// A keep-alive backend on loopback answering every request head with the same small JSON
/// response; returns its port. The tests send no request bodies.
#[allow(dead_code)]
pub fn start_backend() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                let mut have = 0;
                loop {
                    let n = match s.read(&mut buf[have..]) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    have += n;
                    while let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                        BACKEND_REQUESTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if s.write_all(BACKEND_RESPONSE).is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..have, 0);
                        have -= end + 4;
                    }
                }
            });
        }
    });
    port
}

/// Reads one Content-Length framed response from `c` into `buf`; returns its head (without the
/// blank line) and its total length.
pub fn read_response<'b>(c: &mut TcpStream, buf: &'b mut [u8]) -> (&'b str, usize) {
    let mut have = 0;
    loop {
        let n = c.read(&mut buf[have..]).unwrap();
        assert!(n > 0, "gateway closed the connection");
        have += n;
        let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = std::str::from_utf8(&buf[..end]).unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length: ")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap();
        let total = end + 4 + len;
        if have >= total {
            let head = std::str::from_utf8(&buf[..end]).unwrap();
            return (head, total);
        }
    }
}

/// The API key `start_worker` publishes (in a plan for every API's `prod` stage).
#[allow(dead_code)]
pub const ALLOC_KEY: &str = "alloc-test-key-0123456789";

/// Imports each `(id, document)`, deploys it as stage `prod`, and starts one in-process worker
/// on `driver` serving them on a loopback port. Keep the returned `Workers` alive while testing.
#[allow(dead_code)]
pub fn start_worker(
    driver: tollgate::settings::DriverChoice,
    docs: &[(&str, &str)],
) -> tollgate::runtime::Workers {
    start_worker_with(driver, docs, "")
}

/// `start_worker` with `config` (TOML, e.g. `[[vpc_links]]`) as the gateway's settings.
#[allow(dead_code)]
pub fn start_worker_with(
    driver: tollgate::settings::DriverChoice,
    docs: &[(&str, &str)],
    config: &str,
) -> tollgate::runtime::Workers {
    let stage = tollgate::deploy::model::Stage {
        stage_name: "prod".into(),
        deployment_id: "d1".into(),
        ..Default::default()
    };
    start_worker_staged(driver, docs, config, &stage, &|_| {})
}

/// `start_worker_with`, every API deployed as `stage` (its canary, if it has one, serving the
/// same definition), each compiled base stage passed through `edit` before it is published (to
/// set what the control plane would add, such as a web ACL).
#[allow(dead_code)]
pub fn start_worker_staged(
    driver: tollgate::settings::DriverChoice,
    docs: &[(&str, &str)],
    config: &str,
    stage: &tollgate::deploy::model::Stage,
    edit: &dyn Fn(&mut tollgate::deploy::snapshot::StageRuntime),
) -> tollgate::runtime::Workers {
    use std::sync::Arc;
    use tollgate::deploy::compile::links::VpcLinks;
    use tollgate::deploy::compile::{build_snapshot, compile_stage, UpstreamInterner};
    use tollgate::deploy::import::{import_document, ImportOptions};
    use tollgate::deploy::snapshot::ApiRuntime;

    let mut settings = tollgate::settings::Settings::parse(config, "test").unwrap();
    let mut interner = UpstreamInterner::with_links(VpcLinks::from_config(&settings.vpc_links));
    // Far above what the tests send: they measure the path, not the account limit.
    interner.buckets = tollgate::deploy::compile::buckets::Buckets::with_account(
        tollgate::core::throttle::gcra::Limits {
            rate: 1e9,
            burst: 1_000_000_000,
        },
    );
    let mut apis = Vec::new();
    for (id, doc) in docs {
        let mut api = import_document(doc.as_bytes(), &ImportOptions::default()).unwrap();
        api.id = (*id).into();
        // An API whose id starts with `cached` is served with the stage cache on.
        let stage = &tollgate::deploy::model::Stage {
            cache_cluster_enabled: stage.cache_cluster_enabled || id.starts_with("cached"),
            ..stage.clone()
        };
        let mut base = compile_stage(&api, stage, &mut interner).unwrap();
        edit(&mut base);
        let mut stages = vec![base];
        if let Some(c) = tollgate::deploy::compile::canary::CanarySettings::of(stage) {
            let variant =
                tollgate::deploy::compile::canary::compile_canary(&api, stage, &c, &mut interner)
                    .unwrap();
            tollgate::deploy::compile::canary::attach(&mut stages, vec![(0, variant, c)]);
        }
        apis.push(ApiRuntime {
            endpoint_type: tollgate::deploy::snapshot::endpoint_type(
                api.endpoint_configuration.as_ref(),
            ),
            id: api.id.clone().into(),
            name: api.name.clone().into(),
            stages,
        });
    }
    let cell = Arc::new(tollgate::deploy::publish::SnapshotCell::default());
    cell.publish(build_snapshot(apis, &interner));
    // One API key, `ALLOC_KEY`, in a usage plan covering every API's `prod` stage.
    let plan = tollgate::store::UsagePlan {
        id: "allocplan".into(),
        api_stages: docs
            .iter()
            .map(|(id, _)| tollgate::store::ApiStage {
                api_id: id.to_string(),
                stage: "prod".into(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let key = tollgate::store::ApiKey {
        id: "allockey".into(),
        value: ALLOC_KEY.into(),
        enabled: true,
        ..Default::default()
    };
    cell.publish_keys(tollgate::deploy::keys::KeyTable::build(
        &[key],
        &[(plan, vec!["allockey".into()])],
        &mut Default::default(),
    ));
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.workers = 1;
    settings.driver = driver;
    let hub = Arc::new(tollgate::core::metrics::MetricsHub::default());
    tollgate::runtime::start(&settings, cell, hub).unwrap()
}
