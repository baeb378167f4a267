//! The real aws CLI (pip `awscli`) against the admin port: import-rest-api, create-deployment,
//! get-rest-apis, get-rest-api, get-stages, put-rest-api, then traffic on the data port.
//!
//! The CLI is `$TOLLGATE_AWS_CLI`, else `.venv/bin/aws` in the crate root (tests/run.sh makes it).
//! A missing CLI fails the test unless `TOLLGATE_SKIP_AWSCLI=1`.

mod common;
use common::*;

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn aws_cli() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("TOLLGATE_AWS_CLI") {
        return Some(PathBuf::from(p));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    venv.exists().then_some(venv)
}

struct Aws {
    exe: PathBuf,
    endpoint: String,
    home: TempDir,
}

impl Aws {
    fn run(&self, args: &[&str]) -> Value {
        let out = Command::new(&self.exe)
            .args(["apigateway"])
            .args(args)
            .args([
                "--endpoint-url",
                &self.endpoint,
                "--region",
                "us-east-1",
                "--output",
                "json",
            ])
            .env("AWS_ACCESS_KEY_ID", "AKIDTOLLGATETEST")
            .env("AWS_SECRET_ACCESS_KEY", "tollgate-test-secret")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_CONFIG_FILE", self.home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.home.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .env("AWS_MAX_ATTEMPTS", "1")
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.exe.display()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "aws apigateway {args:?} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        if stdout.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("aws output not JSON ({e}): {stdout}"))
        }
    }
}

#[test]
fn aws_cli_imports_deploys_and_lists() {
    let Some(exe) = aws_cli() else {
        if std::env::var("TOLLGATE_SKIP_AWSCLI").as_deref() == Ok("1") {
            eprintln!("aws CLI not found; skipped (TOLLGATE_SKIP_AWSCLI=1)");
            return;
        }
        panic!(
            "aws CLI not found: set TOLLGATE_AWS_CLI or create .venv with `python3 -m venv .venv && \
             .venv/bin/pip install awscli` (tests/run.sh does), or set TOLLGATE_SKIP_AWSCLI=1"
        );
    };
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let be = Backends::start();
        let home = TempDir::new("aws");
        let doc = home.write("api.json", &be.render(&fixture("api-oas3.json")));
        let aws = Aws {
            exe: exe.clone(),
            endpoint: format!("http://{}", gw.admin),
            home,
        };

        let body = format!("fileb://{}", doc.display());
        let api = aws.run(&["import-rest-api", "--body", &body]);
        let id = api["id"]
            .as_str()
            .unwrap_or_else(|| panic!("import-rest-api: {api}"))
            .to_string();
        assert_eq!(api["name"], "blackbox");

        let echo = be.echo.hostport();
        let vars = format!("backend={echo},tag=cli-tag");
        let dep = aws.run(&[
            "create-deployment",
            "--rest-api-id",
            &id,
            "--stage-name",
            "prod",
            "--variables",
            &vars,
        ]);
        assert!(dep["id"].as_str().is_some(), "create-deployment: {dep}");

        let apis = aws.run(&["get-rest-apis"]);
        assert!(
            apis["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|a| a["id"] == id.as_str()),
            "get-rest-apis: {apis}"
        );
        let one = aws.run(&["get-rest-api", "--rest-api-id", &id]);
        assert_eq!(one["id"], id.as_str());

        let stages = aws.run(&["get-stages", "--rest-api-id", &id]);
        let item = &stages["item"];
        assert_eq!(
            item.as_array().map(Vec::len),
            Some(1),
            "get-stages: {stages}"
        );
        assert_eq!(item[0]["stageName"], "prod");
        assert_eq!(item[0]["deploymentId"], dep["id"]);
        assert_eq!(item[0]["variables"]["tag"], "cli-tag");

        // The deployed API answers on the data port.
        let r = gw.call(&id, "GET", "/prod/mock", b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let e = echoed(&gw.call(&id, "POST", "/prod/mapped/3?q=v", b"{}"));
        assert_eq!(e["headers"]["x-stage-var"], "cli-tag");

        // put-rest-api --mode overwrite + a redeploy changes what is served.
        let v2 = aws.home.write(
            "v2.yaml",
            &fixture("version.yaml").replace("@VERSION@", "cli-v2"),
        );
        let body = format!("fileb://{}", v2.display());
        aws.run(&[
            "put-rest-api",
            "--rest-api-id",
            &id,
            "--mode",
            "overwrite",
            "--body",
            &body,
        ]);
        aws.run(&[
            "create-deployment",
            "--rest-api-id",
            &id,
            "--stage-name",
            "prod",
        ]);
        let r = gw.call(&id, "GET", "/prod/version", b"");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["version"], "cli-v2");

        aws.run(&["delete-rest-api", "--rest-api-id", &id]);
        let apis = aws.run(&["get-rest-apis"]);
        let left = apis["items"]
            .as_array()
            .map(|a| a.iter().any(|x| x["id"] == id.as_str()));
        assert_ne!(left, Some(true), "deleted API still listed: {apis}");
    });
}
