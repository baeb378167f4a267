//! The process over time: persistence across restart and `kill -9`, a redeploy reaching an open
//! keep-alive connection, SIGHUP reload, SIGTERM drain, `tollgate check`, `/ping` and
//! `/metrics`, and the embedded default config. Server tests run on both drivers.

mod common;
use common::*;

use std::fs;
use std::time::Duration;

fn version_doc(v: &str) -> String {
    fixture("version.yaml").replace("@VERSION@", v)
}

fn version_on(c: &mut Conn, host: &str) -> String {
    let r = c
        .request("GET", "/prod/version", host, &[], b"")
        .expect("request on the open connection");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["version"].as_str().unwrap_or_default().to_string()
}

#[test]
fn restart_keeps_apis_and_stages() {
    for_each_driver(|driver| {
        let mut env = setup(Opts::new(driver));
        assert_eq!(env.get("/prod/mock").status, 200);
        env.gw.stop();
        env.gw.restart();
        let r = env.get("/prod/mock");
        assert_eq!(r.status, 200, "after restart: {}", r.text());
        let e = echoed(&env.get("/prod/proxy/after/restart"));
        assert_eq!(e["backend"], "echo-a", "stage variables survive a restart");
        let r = env.gw.admin("GET", &format!("/restapis/{}", env.api), b"");
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["id"], env.api.as_str());
        let r = env
            .gw
            .admin("GET", &format!("/restapis/{}/stages/prod", env.api), b"");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["variables"]["tag"], "prod-tag");
    });
}

#[test]
fn kill9_keeps_apis_and_stages() {
    for_each_driver(|driver| {
        let mut env = setup(Opts::new(driver));
        // Acknowledged writes are durable: kill the instant the last one returns.
        let v = env.gw.import(&version_doc("durable"));
        env.gw.deploy(&v, "prod", &[]);
        env.gw.kill9();
        env.gw.restart();
        assert_eq!(
            env.get("/prod/mock").status,
            200,
            "first API lost by kill -9"
        );
        let r = env.gw.call(&v, "GET", "/prod/version", b"");
        assert_eq!(
            r.status,
            200,
            "deployment acknowledged before kill -9 was lost: {}",
            r.text()
        );
        assert_eq!(r.json()["version"], "durable");
        // And it still takes writes.
        env.gw.deploy(&v, "beta", &[]);
        assert_eq!(env.gw.call(&v, "GET", "/beta/version", b"").status, 200);
    });
}

#[test]
fn redeploy_reaches_an_open_keep_alive_connection() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).workers(2));
        let id = gw.import(&version_doc("v1"));
        gw.deploy(&id, "prod", &[]);
        let host = api_host(&id);
        let mut c = gw.conn();
        assert_eq!(version_on(&mut c, &host), "v1");

        // PutRestApi changes the API, not what a stage serves.
        let r = gw.admin(
            "PUT",
            &format!("/restapis/{id}?mode=overwrite"),
            version_doc("v2").as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            version_on(&mut c, &host),
            "v1",
            "an undeployed change went live"
        );

        gw.deploy(&id, "prod", &[]);
        let seen = wait_for("v2 on the open connection", Duration::from_secs(3), || {
            let v = version_on(&mut c, &host);
            (v == "v2").then_some(v)
        });
        assert_eq!(seen, "v2");
        // A second connection agrees (whichever worker it lands on).
        for _ in 0..4 {
            assert_eq!(version_on(&mut gw.conn(), &host), "v2");
        }
    });
}

fn boot_config(api_file: &str) -> Config {
    Config {
        extra: format!(
            "[[apis]]\nfile = \"{api_file}\"\nid = \"hupapi0001\"\n\n[[apis.stages]]\nname = \"prod\"\nvariables = {{ greeting = \"hello\" }}\n"
        ),
        ..Config::default()
    }
}

#[test]
fn sighup_reloads_the_config_api_files() {
    for_each_driver(|driver| {
        let tmp = TempDir::new("hup");
        let api = tmp.write("api.yaml", &version_doc("file-v1"));
        let cfg = tmp.write("tollgate.toml", &boot_config("api.yaml").render());
        let gw = Gateway::start_with_config_file(driver, tmp, cfg);
        let host = api_host("hupapi0001");
        let mut c = gw.conn();
        assert_eq!(version_on(&mut c, &host), "file-v1");
        // Only one API is deployed, so it is also served without an API host.
        assert_eq!(version_on(&mut gw.conn(), "127.0.0.1"), "file-v1");

        fs::write(&api, version_doc("file-v2")).unwrap();
        gw.sighup();
        wait_for("file-v2 after SIGHUP", Duration::from_secs(5), || {
            (version_on(&mut gw.conn(), &host) == "file-v2").then_some(())
        });
        assert_eq!(
            version_on(&mut c, &host),
            "file-v2",
            "reload missed an open connection"
        );

        // A broken file on reload changes nothing and the process lives on.
        fs::write(&api, fixture("invalid-api.yaml")).unwrap();
        gw.sighup();
        std::thread::sleep(Duration::from_millis(700));
        assert_eq!(
            version_on(&mut gw.conn(), &host),
            "file-v2",
            "a failed reload changed what is served"
        );
        assert_eq!(gw.admin("GET", "/ping", b"").status, 200);
    });
}

#[test]
fn sigterm_drains_in_flight_requests_and_exits_0() {
    for_each_driver(|driver| {
        let cfg = Config {
            drain_ms: 5000,
            ..Config::default()
        };
        let mut env = setup(Opts::new(driver).config(cfg));
        let mut c = env.conn();
        c.send(&env.raw("GET", "/prod/slowok?ms=1200", &[], b""));
        wait_for(
            "the slow request to reach the backend",
            Duration::from_secs(3),
            || (env.be.slow.requests() == 1).then_some(()),
        );
        env.gw.sigterm();
        std::thread::sleep(Duration::from_millis(200));

        // Draining: no new request is served.
        if let Ok(mut late) = Conn::try_connect(env.gw.listen) {
            late.set_read_timeout(Duration::from_millis(1500));
            if let Ok(r) = late.request("GET", "/prod/mock", &env.host, &[], b"") {
                assert_ne!(r.status, 200, "a request accepted after SIGTERM was served");
            }
        }

        let r = c
            .read_response()
            .expect("in-flight response finished during the drain");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["slow"], "done");
        let st = env
            .gw
            .wait_exit(Duration::from_secs(6))
            .expect("no exit within the drain timeout");
        assert!(st.success(), "exit status after SIGTERM: {st:?}");
    });
}

#[test]
fn check_reports_good_and_bad_configs() {
    let be = Backends::start();
    let tmp = TempDir::new("check");
    tmp.write("good-api.yaml", &be.render(&fixture("api-oas3.yaml")));
    let good = tmp.write("good.toml", &boot_config("good-api.yaml").render());
    let (st, out) = run_cli(&["check", good.to_str().unwrap()]);
    assert!(st.success(), "check of a good config failed: {out}");

    tmp.write("bad-api.yaml", &fixture("invalid-api.yaml"));
    let bad = tmp.write("bad.toml", &boot_config("bad-api.yaml").render());
    let (st, out) = run_cli(&["check", bad.to_str().unwrap()]);
    assert!(!st.success(), "check of a bad API passed: {out}");
    assert!(
        out.contains("bad-one") && out.contains("bad-two"),
        "check must list every error:\n{out}"
    );

    let missing = tmp.write("missing.toml", &boot_config("no-such-file.yaml").render());
    let (st, out) = run_cli(&["check", missing.to_str().unwrap()]);
    assert!(!st.success(), "check passed with a missing API file: {out}");

    let broken = tmp.write("broken.toml", "[server]\nlisten = \n");
    let (st, out) = run_cli(&["check", broken.to_str().unwrap()]);
    assert!(!st.success(), "check passed a TOML syntax error: {out}");

    let unknown = tmp.write(
        "unknown.toml",
        "[server]\nlisten = \"127.0.0.1:0\"\nno_such_key = 1\n",
    );
    let (st, out) = run_cli(&["check", unknown.to_str().unwrap()]);
    assert!(!st.success(), "check passed an unknown key: {out}");
}

#[test]
fn version_flag() {
    let (st, out) = run_cli(&["--version"]);
    assert!(st.success());
    assert!(out.contains(env!("CARGO_PKG_VERSION")), "{out}");
}

/// Sum of the samples of `name` whose labels include every `key="value"` in `labels`.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut sum = 0.0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (n, lbls) = match series.split_once('{') {
            Some((n, l)) => (n, l),
            None => (series, ""),
        };
        if n != name
            || !labels
                .iter()
                .all(|(k, v)| lbls.contains(&format!("{k}=\"{v}\"")))
        {
            continue;
        }
        sum += value.trim().parse::<f64>().unwrap_or(0.0);
    }
    sum
}

#[test]
fn ping_and_metrics() {
    for_each_driver(|driver| {
        let env = setup(Opts::new(driver));
        let r = env.gw.admin("GET", "/ping", b"");
        assert_eq!(r.status, 200);
        for _ in 0..3 {
            assert_eq!(env.get("/prod/mock").status, 200);
        }
        assert_eq!(env.get("/prod/teapot").status, 418);
        assert_eq!(env.get("/prod/refused").status, 502);

        let mock = [("stage", "prod"), ("resource", "/mock"), ("method", "GET")];
        let text = env.gw.metrics_until("3 counted GET /mock", |t| {
            metric(t, "tollgate_count", &mock) >= 3.0
        });
        let teapot = [
            ("stage", "prod"),
            ("resource", "/teapot"),
            ("method", "GET"),
        ];
        let refused = [
            ("stage", "prod"),
            ("resource", "/refused"),
            ("method", "GET"),
        ];
        let text = if metric(&text, "tollgate_5xxerror", &refused) >= 1.0
            && metric(&text, "tollgate_4xxerror", &teapot) >= 1.0
        {
            text
        } else {
            env.gw.metrics_until("4xx and 5xx counted", |t| {
                metric(t, "tollgate_5xxerror", &refused) >= 1.0
                    && metric(t, "tollgate_4xxerror", &teapot) >= 1.0
            })
        };
        assert_eq!(
            metric(&text, "tollgate_5xxerror", &mock),
            0.0,
            "no 5xx on /mock"
        );
        assert_eq!(
            metric(&text, "tollgate_4xxerror", &mock),
            0.0,
            "no 4xx on /mock"
        );
        for name in ["tollgate_latency_ms", "tollgate_integration_latency_ms"] {
            let found = text.lines().any(|l| {
                !l.starts_with('#')
                    && l.starts_with(name)
                    && l.contains("resource=\"/mock\"")
                    && l.contains("api=\"")
            });
            assert!(found, "no {name} series for GET /mock:\n{text}");
        }
    });
}

#[test]
fn embedded_default_config_serves_the_sample_api() {
    for_each_driver(|driver| {
        let mut gw = Gateway::start(Opts::new(driver).embedded_config());
        let get = |gw: &Gateway, method: &str, target: &str| {
            let mut c = gw.conn();
            let body: &[u8] = if method == "POST" {
                br#"{"type":"dog","price":10}"#
            } else {
                b""
            };
            let hdrs: &[(&str, &str)] = if method == "POST" {
                &[("Content-Type", "application/json")]
            } else {
                &[]
            };
            c.request(method, target, "127.0.0.1", hdrs, body).unwrap()
        };
        for target in ["/prod/", "/prod/health", "/prod/pets", "/prod/pets/1"] {
            let r = get(&gw, "GET", target);
            assert_eq!(r.status, 200, "GET {target}: {}", r.text());
            r.json(); // JSON bodies
            assert!(r.header("x-amzn-RequestId").is_some());
        }
        let r = get(&gw, "POST", "/prod/pets");
        assert_eq!(r.status, 201, "POST /prod/pets: {}", r.text());
        assert_missing_token(&get(&gw, "GET", "/prod/no-such-resource"));

        let apis = gw.admin("GET", "/restapis", b"").json();
        assert_eq!(apis["item"].as_array().map(Vec::len), Some(1), "{apis}");
        // The boot API keeps its id across a restart instead of being imported again.
        gw.stop();
        gw.restart();
        let again = gw.admin("GET", "/restapis", b"").json();
        assert_eq!(again["item"].as_array().map(Vec::len), Some(1), "{again}");
        assert_eq!(apis["item"][0]["id"], again["item"][0]["id"]);
        assert_eq!(get(&gw, "GET", "/prod/pets").status, 200);
    });
}
