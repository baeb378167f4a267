//! What the log tells an operator about reaching deployed stages: each stage's `curl` with the
//! `Host` it needs, at boot and after every deploy path (CreateDeployment, UpdateStage to another
//! deployment, DeleteStage, SIGHUP); and why a request that named no API got 403, at most once a
//! second per worker.

mod common;
use common::*;

use std::fs;
use std::time::Duration;

const PETSTORE: &str = include_str!("../examples/petstore.json");
const PETSTORE_V2: &str = include_str!("../examples/petstore-v2.yaml");

fn stage_line(gw: &Gateway, api: &str, name: &str, stage: &str) -> String {
    format!(
        "stage {stage} of api {api} ({name}): curl -H 'Host: {api}.execute-api.local' http://{}/{stage}/",
        gw.listen
    )
}

/// Waits until the log holds `want` `count` times.
fn wait_log(gw: &Gateway, want: &str, count: usize) -> String {
    wait_for(want, Duration::from_secs(5), || {
        let log = gw.stderr();
        (log.matches(want).count() >= count).then_some(log)
    })
}

#[test]
fn boot_and_sighup_log_each_stage_with_its_host() {
    for_each_driver(|driver| {
        let tmp = TempDir::new("announce-hup");
        let api = tmp.write("petstore.json", PETSTORE);
        let cfg = Config {
            extra: "[[apis]]\nfile = \"petstore.json\"\nid = \"petstore01\"\n\n[[apis.stages]]\nname = \"prod\"\nvariables = { backend = \"127.0.0.1:9\" }\n".into(),
            ..Config::default()
        };
        let cfg = tmp.write("tollgate.toml", &cfg.render());
        let gw = Gateway::start_with_config_file(driver, tmp, cfg);
        let line = stage_line(&gw, "petstore01", "PetStore", "prod");
        let log = wait_log(&gw, &line, 1);
        assert!(log.contains("one API is deployed"), "{log}");

        fs::write(&api, PETSTORE_V2).unwrap();
        gw.sighup();
        let log = wait_log(&gw, "reload: API files redeployed", 1);
        assert_eq!(log.matches(&line).count(), 2, "{log}");
        let redeploy = log.lines().find(|l| l.starts_with("deployed ")).unwrap();
        assert!(redeploy.ends_with(&line), "{redeploy}");
    });
}

#[test]
fn deploys_stage_moves_and_deletes_are_logged() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let a = gw.import(PETSTORE);
        let d1 = gw.deploy(&a, "prod", &[("backend", "127.0.0.1:9")]);
        let line = stage_line(&gw, &a, "PetStore", "prod");
        wait_log(&gw, &format!("deployed {d1}: {line}"), 1);
        let b = gw.import(&PETSTORE.replace("\"PetStore\"", "\"Second\""));
        gw.deploy(&b, "test", &[("backend", "127.0.0.1:9")]);
        let log = wait_log(&gw, &stage_line(&gw, &b, "Second", "test"), 1);
        assert!(
            log.contains("2 APIs are deployed: a request must name one with Host"),
            "{log}"
        );

        // UpdateStage to another deployment (made without a stage): logged as that deployment.
        let r = gw.admin("POST", &format!("/restapis/{a}/deployments"), b"{}");
        assert_eq!(r.status, 201, "{}", r.text());
        let d2 = r.json()["id"].as_str().unwrap().to_string();
        let patch = format!(
            r#"{{"patchOperations":[{{"op":"replace","path":"/deploymentId","value":"{d2}"}}]}}"#
        );
        let r = gw.admin(
            "PATCH",
            &format!("/restapis/{a}/stages/prod"),
            patch.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        wait_log(&gw, &format!("deployed {d2}: {line}"), 1);

        let r = gw.admin("DELETE", &format!("/restapis/{b}/stages/test"), b"");
        assert_eq!(r.status, 202, "{}", r.text());
        let log = wait_log(
            &gw,
            &format!("no longer served: stage test of api {b} (Second)"),
            1,
        );
        assert!(log.contains("one API is deployed"), "{log}");
    });
}

#[test]
fn a_request_naming_no_api_logs_why_once_a_second() {
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let a = gw.import(PETSTORE);
        gw.deploy(&a, "prod", &[("backend", "127.0.0.1:9")]);
        let b = gw.import(&PETSTORE.replace("\"PetStore\"", "\"Second\""));
        gw.deploy(&b, "prod", &[("backend", "127.0.0.1:9")]);
        const WHY: &str = "403 Missing Authentication Token: 2 APIs are deployed and the request's Host named none; send Host: {api-id}.execute-api.local; deployed: ";

        let mut c = gw.conn();
        for _ in 0..20 {
            let r = c
                .request("GET", "/prod/pets", "127.0.0.1", &[], b"")
                .unwrap();
            assert_missing_token(&r);
        }
        let log = wait_log(&gw, WHY, 1);
        // Twenty in well under two seconds: one line, or two if a second boundary fell between.
        assert!(log.matches(WHY).count() <= 2, "{log}");
        let line = log.lines().find(|l| l.starts_with(WHY)).unwrap();
        assert!(line.contains(&format!("{a} (PetStore)")), "{line}");
        assert!(line.contains(&format!("{b} (Second)")), "{line}");

        // A Host naming an API that is not deployed says so.
        std::thread::sleep(Duration::from_millis(1100));
        let r = c
            .request("GET", "/prod/pets", &api_host("nosuchapi0"), &[], b"")
            .unwrap();
        assert_missing_token(&r);
        let log = wait_log(
            &gw,
            "the request's Host names API nosuchapi0, which has no deployed stage",
            1,
        );
        assert!(log.contains(" similar held back]"), "{log}");
    });
}
