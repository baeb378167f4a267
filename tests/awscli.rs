//! The real aws CLI (pip `awscli`) against the admin port: import-rest-api, create-deployment,
//! get-rest-apis, get-rest-api, get-stages, put-rest-api, then traffic on the data port; and the
//! CLI's view of admin authentication (wrong secret, unknown key, read-only key, the generated
//! credentials file used as a profile).
//!
//! The CLI is `$TOLLGATE_AWS_CLI`, else `.venv/bin/aws` in the crate root (tests/run.sh makes it).
//! A missing CLI fails the test unless `TOLLGATE_SKIP_AWSCLI=1`.

mod common;
use common::*;

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

fn aws_cli() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("TOLLGATE_AWS_CLI") {
        return Some(PathBuf::from(p));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    venv.exists().then_some(venv)
}

/// How the CLI gets its credentials.
enum Creds {
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    Env(OwnedKey),
    /// `AWS_SHARED_CREDENTIALS_FILE=FILE --profile PROFILE`.
    Profile(PathBuf, &'static str),
}

struct Aws {
    exe: PathBuf,
    endpoint: String,
    home: TempDir,
    creds: Creds,
}

impl Aws {
    fn new(exe: &std::path::Path, gw: &Gateway, key: Key) -> Aws {
        Aws {
            exe: exe.to_path_buf(),
            endpoint: format!("http://{}", gw.admin),
            home: TempDir::new("aws"),
            creds: Creds::Env(key.into()),
        }
    }

    /// Runs `aws apigateway ARGS...`; whatever its exit status.
    fn output(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.exe);
        cmd.args(["apigateway"])
            .args(args)
            .args([
                "--endpoint-url",
                &self.endpoint,
                "--region",
                "us-east-1",
                "--output",
                "json",
            ])
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_CONFIG_FILE", self.home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.home.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .env("AWS_MAX_ATTEMPTS", "1");
        match &self.creds {
            Creds::Env(key) => {
                cmd.env("AWS_ACCESS_KEY_ID", &key.id)
                    .env("AWS_SECRET_ACCESS_KEY", &key.secret);
            }
            Creds::Profile(file, profile) => {
                cmd.env("AWS_SHARED_CREDENTIALS_FILE", file)
                    .args(["--profile", profile]);
            }
        }
        cmd.output()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.exe.display()))
    }

    /// Runs the CLI and expects it to fail as it fails against AWS: exit status 255 and
    /// `(ERROR_TYPE)` in the message.
    fn fails(&self, args: &[&str], error_type: &str) -> String {
        let out = self.output(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(255), "aws {args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("({error_type})")),
            "aws {args:?}: expected ({error_type}), got: {stderr}"
        );
        stderr
    }

    fn run(&self, args: &[&str]) -> Value {
        let out = self.output(args);
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

/// The CLI, or `None` when it is missing and `TOLLGATE_SKIP_AWSCLI=1` allows skipping.
fn cli_or_skip() -> Option<PathBuf> {
    let exe = aws_cli();
    if exe.is_none() {
        if std::env::var("TOLLGATE_SKIP_AWSCLI").as_deref() == Ok("1") {
            eprintln!("aws CLI not found; skipped (TOLLGATE_SKIP_AWSCLI=1)");
            return None;
        }
        panic!(
            "aws CLI not found: set TOLLGATE_AWS_CLI or create .venv with `python3 -m venv .venv && \
             .venv/bin/pip install awscli` (tests/run.sh does), or set TOLLGATE_SKIP_AWSCLI=1"
        );
    }
    exe
}

#[test]
fn aws_cli_imports_deploys_and_lists() {
    let Some(exe) = cli_or_skip() else {
        return;
    };
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let be = Backends::start();
        let aws = Aws::new(&exe, &gw, ADMIN_KEY);
        let doc = aws
            .home
            .write("api.json", &be.render(&fixture("api-oas3.json")));

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

#[test]
fn aws_cli_sees_auth_failures_as_it_sees_them_on_aws() {
    let Some(exe) = cli_or_skip() else {
        return;
    };
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let doc = fixture("version.yaml").replace("@VERSION@", "ro");
        let mut aws = Aws::new(&exe, &gw, ADMIN_KEY);
        let file = aws.home.write("api.yaml", &doc);
        let body = format!("fileb://{}", file.display());

        aws.creds = Creds::Env(OwnedKey {
            id: ADMIN_KEY.id.into(),
            secret: "not-the-secret".into(),
        });
        let msg = aws.fails(&["get-rest-apis"], "InvalidSignatureException");
        assert!(
            msg.contains("The request signature we calculated does not match"),
            "{msg}"
        );
        aws.creds = Creds::Env(OwnedKey {
            id: "AKIANOBODY0000000000".into(),
            secret: ADMIN_KEY.secret.into(),
        });
        let msg = aws.fails(&["get-rest-apis"], "UnrecognizedClientException");
        assert!(
            msg.contains("The security token included in the request is invalid."),
            "{msg}"
        );

        // A read-only key reads, and is refused any write; nothing is created.
        aws.creds = Creds::Env(READ_ONLY_KEY.into());
        let before = aws.run(&["get-rest-apis"]);
        let msg = aws.fails(
            &["import-rest-api", "--body", &body],
            "AccessDeniedException",
        );
        assert!(
            msg.contains(&format!(
                "User: arn:aws:iam::000000000000:user/{} is not authorized to perform: \
                 apigateway:POST on resource:",
                READ_ONLY_KEY.id
            )),
            "{msg}"
        );
        assert_eq!(aws.run(&["get-rest-apis"]), before);

        // The read-write key may write.
        aws.creds = Creds::Env(ADMIN_KEY.into());
        let api = aws.run(&["import-rest-api", "--body", &body]);
        assert!(api["id"].is_string(), "{api}");
        // Configured credentials: no generated file.
        assert!(!gw.data_dir.join("admin-credentials").exists());
    });
}

#[test]
fn generated_credentials_file_is_0600_and_works_as_a_cli_profile() {
    let Some(exe) = cli_or_skip() else {
        return;
    };
    for_each_driver(|driver| {
        let cfg = Config {
            credentials: false,
            ..Config::default()
        };
        let mut gw = Gateway::start(Opts::new(driver).config(cfg).without_admin_env());
        let file = gw.data_dir.join("admin-credentials");
        let mode = std::fs::metadata(&file)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", file.display(), gw.stderr()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode of {}", file.display());
        let text = std::fs::read_to_string(&file).unwrap();
        let log = gw.stderr();
        assert!(log.contains(&file.display().to_string()), "{log}");
        let secret = text
            .lines()
            .find_map(|l| l.strip_prefix("aws_secret_access_key = "))
            .expect("secret line");
        assert!(!log.contains(secret), "the secret leaked to the log");

        let mut aws = Aws::new(&exe, &gw, ADMIN_KEY);
        aws.creds = Creds::Profile(file.clone(), "tollgate");
        let apis = aws.run(&["get-rest-apis"]);
        assert!(apis["items"].is_array(), "{apis}");
        // The test's own key is not configured here.
        aws.creds = Creds::Env(ADMIN_KEY.into());
        aws.fails(&["get-rest-apis"], "UnrecognizedClientException");

        // A restart reuses the same pair.
        gw.stop();
        gw.restart();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
        aws.endpoint = format!("http://{}", gw.admin);
        aws.creds = Creds::Profile(file.clone(), "tollgate");
        aws.run(&["get-rest-apis"]);
    });
}

/// Fail closed through the CLI: an API whose methods need an authorizer or an API key imports and
/// reads back, but create-deployment fails as AWS reports a bad request, naming each method, and
/// the stage keeps serving its previous deployment.
#[test]
fn aws_cli_deployment_of_unenforced_protection_is_refused() {
    let Some(exe) = cli_or_skip() else {
        return;
    };
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let aws = Aws::new(&exe, &gw, ADMIN_KEY);
        let v1 = aws.home.write(
            "v1.yaml",
            &fixture("version.yaml").replace("@VERSION@", "cli-v1"),
        );
        let api = aws.run(&[
            "import-rest-api",
            "--body",
            &format!("fileb://{}", v1.display()),
        ]);
        let id = api["id"].as_str().unwrap().to_string();
        aws.run(&[
            "create-deployment",
            "--rest-api-id",
            &id,
            "--stage-name",
            "prod",
        ]);

        let protected = fixture("version.yaml").replace("@VERSION@", "cli-v2").replacen(
            "      responses:\n        '200'",
            "      security:\n        - tok: []\n          key: []\n      responses:\n        '200'",
            1,
        ) + "components:\n  securitySchemes:\n    key:\n      type: apiKey\n      name: x-api-key\n      in: header\n    tok:\n      type: apiKey\n      name: Authorization\n      in: header\n      x-amazon-apigateway-authtype: cognito_user_pools\n      x-amazon-apigateway-authorizer:\n        type: cognito_user_pools\n        providerARNs:\n          - arn:aws:cognito-idp:us-east-1:123456789012:userpool/${stageVariables.pool}\n";
        let v2 = aws.home.write("v2.yaml", &protected);
        aws.run(&[
            "put-rest-api",
            "--rest-api-id",
            &id,
            "--mode",
            "overwrite",
            "--body",
            &format!("fileb://{}", v2.display()),
        ]);
        let resources = aws.run(&["get-resources", "--rest-api-id", &id]);
        let res = resources["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == "/version")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let method = aws.run(&[
            "get-method",
            "--rest-api-id",
            &id,
            "--resource-id",
            &res,
            "--http-method",
            "GET",
        ]);
        // (Every authorizer is enforced; a user pool named by a stage variable is what this
        // version cannot honour.)
        assert_eq!(
            method["authorizationType"], "COGNITO_USER_POOLS",
            "{method}"
        );
        assert_eq!(method["apiKeyRequired"], true, "{method}");

        for stage in [&["--stage-name", "prod"][..], &[]] {
            let mut args = vec!["create-deployment", "--rest-api-id", &id];
            args.extend_from_slice(stage);
            let err = aws.fails(&args, "BadRequestException");
            let line = "stage variables in providerARNs are not supported by this Tollgate version";
            assert!(err.contains(line), "{line:?} not in {err}");
            // API keys are enforced now: no longer a reason to refuse.
            assert!(!err.contains("apiKeyRequired"), "{err}");
        }
        let r = gw.call(&id, "GET", "/prod/version", b"");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["version"], "cli-v1");
        let deployments = aws.run(&["get-deployments", "--rest-api-id", &id]);
        assert_eq!(deployments["items"].as_array().map(Vec::len), Some(1));
    });
}

/// Issue 7, item 2, through the CLI: a mapping literal with a line break is refused with 400 and
/// its location, on import and on put-integration, and nothing is stored.
#[test]
fn aws_cli_mapping_literals_with_line_breaks_are_refused() {
    let Some(exe) = cli_or_skip() else {
        return;
    };
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let aws = Aws::new(&exe, &gw, ADMIN_KEY);
        let injected = fixture("version.yaml").replacen(
            "        passthroughBehavior: when_no_match\n",
            "        passthroughBehavior: when_no_match\n        requestParameters:\n          integration.request.header.X-A: \"'a\\r\\nX-Injected: 1'\"\n",
            1,
        );
        let doc = aws.home.write("injected.yaml", &injected);
        let err = aws.fails(
            &[
                "import-rest-api",
                "--body",
                &format!("fileb://{}", doc.display()),
            ],
            "BadRequestException",
        );
        assert!(
            err.contains("/paths/~1version/get/x-amazon-apigateway-integration/requestParameters/integration.request.header.X-A"),
            "{err}"
        );
        let apis = aws.run(&["get-rest-apis"]);
        assert_eq!(apis["items"].as_array().map(Vec::len), Some(0), "{apis}");

        let v1 = aws.home.write(
            "v1.yaml",
            &fixture("version.yaml").replace("@VERSION@", "cli-v1"),
        );
        let api = aws.run(&[
            "import-rest-api",
            "--body",
            &format!("fileb://{}", v1.display()),
        ]);
        let id = api["id"].as_str().unwrap().to_string();
        let resources = aws.run(&["get-resources", "--rest-api-id", &id]);
        let res = resources["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == "/version")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let err = aws.fails(
            &[
                "put-integration",
                "--rest-api-id",
                &id,
                "--resource-id",
                &res,
                "--http-method",
                "GET",
                "--type",
                "HTTP",
                "--integration-http-method",
                "GET",
                "--uri",
                "http://127.0.0.1:9/x",
                "--request-parameters",
                r#"{"integration.request.header.X-A":"'a\nX-Injected: 1'"}"#,
            ],
            "BadRequestException",
        );
        for needle in [
            "Unable to put integration on 'GET' for resource at path '/version'",
            r"integration.request.header.X-A: 'a\nX-Injected: 1'",
        ] {
            assert!(err.contains(needle), "{needle:?} not in {err}");
        }
        let integ = aws.run(&[
            "get-integration",
            "--rest-api-id",
            &id,
            "--resource-id",
            &res,
            "--http-method",
            "GET",
        ]);
        assert_eq!(integ["type"], "MOCK", "nothing stored: {integ}");
    });
}

/// What the CLI shows of an API, with every minted id replaced by the name or path it stands for.
fn cli_view(aws: &Aws, id: &str) -> Value {
    let items = |v: Value| v["items"].as_array().cloned().unwrap_or_default();
    let named = |list: &[Value]| -> std::collections::HashMap<String, Value> {
        list.iter()
            .map(|x| (x["id"].as_str().unwrap().to_string(), x["name"].clone()))
            .collect()
    };
    let authorizers = items(aws.run(&["get-authorizers", "--rest-api-id", id]));
    let validators = items(aws.run(&["get-request-validators", "--rest-api-id", id]));
    let (auth_names, validator_names) = (named(&authorizers), named(&validators));
    let strip_id = |mut v: Value| {
        v.as_object_mut().unwrap().remove("id");
        v
    };
    let mut resources: Vec<Value> =
        items(aws.run(&["get-resources", "--rest-api-id", id, "--embed", "methods"]))
            .into_iter()
            .map(|mut r| {
                let o = r.as_object_mut().unwrap();
                o.remove("id");
                o.remove("parentId");
                if let Some(methods) = o.get_mut("resourceMethods").and_then(Value::as_object_mut) {
                    for m in methods.values_mut() {
                        let m = m.as_object_mut().unwrap();
                        // Minted per resource (its id) unless set.
                        if let Some(i) = m
                            .get_mut("methodIntegration")
                            .and_then(Value::as_object_mut)
                        {
                            i.remove("cacheNamespace");
                        }
                        if let Some(a) = m.get_mut("authorizerId") {
                            *a = auth_names[a.as_str().unwrap()].clone();
                        }
                        if let Some(v) = m.get_mut("requestValidatorId") {
                            *v = validator_names[v.as_str().unwrap()].clone();
                        }
                    }
                }
                r
            })
            .collect();
    resources.sort_by_key(|r| r["path"].as_str().unwrap().to_string());
    // A stored model keeps its references as the imported document spelled them; the spelling
    // differs between formats (not what they name), so it is compared in one spelling.
    let mut models: Vec<Value> = items(aws.run(&["get-models", "--rest-api-id", id]))
        .into_iter()
        .map(strip_id)
        .map(|mut m| {
            if let Some(Value::String(s)) = m.get_mut("schema") {
                *s = s.replace("#/definitions/", "#/components/schemas/");
            }
            m
        })
        .collect();
    models.sort_by_key(|m| m["name"].as_str().unwrap().to_string());
    let mut api = aws.run(&["get-rest-api", "--rest-api-id", id]);
    for k in ["id", "createdDate", "rootResourceId", "warnings"] {
        api.as_object_mut().unwrap().remove(k);
    }
    serde_json::json!({
        "api": api,
        "resources": resources,
        "models": models,
        "authorizers": authorizers.into_iter().map(strip_id).collect::<Vec<_>>(),
        "validators": validators.into_iter().map(strip_id).collect::<Vec<_>>(),
        "gatewayResponses": items(aws.run(&["get-gateway-responses", "--rest-api-id", id])),
    })
}

/// get-export (oas30 and swagger, JSON and YAML, extensions=apigateway) of a deployed API, then
/// import-rest-api of that export, gives the identical API as the CLI sees it, and it serves.
#[test]
fn aws_cli_export_reimports_into_the_identical_api() {
    let Some(exe) = cli_or_skip() else {
        return;
    };
    let gw = Gateway::start(Opts::new("epoll"));
    let be = Backends::start();
    let aws = Aws::new(&exe, &gw, ADMIN_KEY);
    // The black-box APIs, and one with models, shared components and $ref chains.
    for source in [
        "api-oas3.json",
        "api-swagger2.yaml",
        "../real/oas3-refs-and-cors.yaml",
    ] {
        let doc = aws.home.write("source-api", &be.render(&fixture(source)));
        let body = format!("fileb://{}", doc.display());
        let id = aws.run(&["import-rest-api", "--body", &body])["id"]
            .as_str()
            .unwrap()
            .to_string();
        let vars = format!("backend={}", be.echo.hostport());
        aws.run(&[
            "create-deployment",
            "--rest-api-id",
            &id,
            "--stage-name",
            "prod",
            "--variables",
            &vars,
        ]);
        let original = cli_view(&aws, &id);
        for (export_type, accepts) in [
            ("oas30", "application/json"),
            ("swagger", "application/json"),
            ("oas30", "application/yaml"),
            ("swagger", "application/yaml"),
        ] {
            let what = format!("{source} -> {export_type} {accepts}");
            let out = aws
                .home
                .join(&format!("export-{export_type}.{}", &accepts[12..]));
            let out_arg = out.display().to_string();
            aws.run(&[
                "get-export",
                "--rest-api-id",
                &id,
                "--stage-name",
                "prod",
                "--export-type",
                export_type,
                "--parameters",
                "extensions=apigateway",
                "--accepts",
                accepts,
                &out_arg,
            ]);
            let body = format!("fileb://{out_arg}");
            let again = aws.run(&["import-rest-api", "--body", &body])["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}"))
                .to_string();
            let view = cli_view(&aws, &again);
            for (k, v) in original.as_object().unwrap() {
                assert_eq!(&view[k], v, "{what}: {k}");
            }
            aws.run(&[
                "create-deployment",
                "--rest-api-id",
                &again,
                "--stage-name",
                "prod",
                "--variables",
                &vars,
            ]);
            if source.starts_with("api-") {
                let r = gw.call(&again, "GET", "/prod/mock", b"");
                assert_eq!(r.status, 200, "{what}: {}", r.text());
            }
            aws.run(&["delete-rest-api", "--rest-api-id", &again]);
        }
    }
}

#[test]
fn aws_cli_builds_a_templated_mock_method_that_serves() {
    let Some(exe) = cli_or_skip() else {
        return;
    };
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver));
        let aws = Aws::new(&exe, &gw, ADMIN_KEY);
        let api = aws.run(&["create-rest-api", "--name", "templated"]);
        let id = api["id"].as_str().unwrap().to_string();
        let root = aws.run(&["get-resources", "--rest-api-id", &id])["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let res = aws.run(&[
            "create-resource",
            "--rest-api-id",
            &id,
            "--parent-id",
            &root,
            "--path-part",
            "pets",
        ])["id"]
            .as_str()
            .unwrap()
            .to_string();
        let on = |extra: &[&str]| {
            let mut args = vec![
                "--rest-api-id",
                &id,
                "--resource-id",
                &res,
                "--http-method",
                "GET",
            ];
            args.extend_from_slice(extra);
            args.iter().map(|s| s.to_string()).collect::<Vec<String>>()
        };
        let run = |cmd: &str, extra: &[&str]| {
            let mut args = vec![cmd.to_string()];
            args.extend(on(extra));
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            aws.run(&refs)
        };
        run("put-method", &["--authorization-type", "NONE"]);
        run(
            "put-integration",
            &[
                "--type",
                "MOCK",
                "--request-templates",
                r##"{"application/json": "#if($input.params('name') == 'none'){\"statusCode\": 404}#else{\"statusCode\": 200}#end"}"##,
            ],
        );
        for status in ["200", "404"] {
            run("put-method-response", &["--status-code", status]);
        }
        run(
            "put-integration-response",
            &[
                "--status-code",
                "200",
                "--response-templates",
                r##"{"application/json": "#set($n = $input.params('name')){\"hello\": \"$n.toUpperCase()\", \"stage\": \"$context.stage\"}"}"##,
            ],
        );
        run(
            "put-integration-response",
            &[
                "--status-code",
                "404",
                "--selection-pattern",
                "404",
                "--response-templates",
                r#"{"application/json": "{\"message\": \"no such pet\"}"}"#,
            ],
        );
        aws.run(&[
            "create-deployment",
            "--rest-api-id",
            &id,
            "--stage-name",
            "prod",
        ]);
        let r = gw.call(&id, "GET", "/prod/pets?name=rex", b"");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.json(),
            serde_json::json!({"hello": "REX", "stage": "prod"})
        );
        let r = gw.call(&id, "GET", "/prod/pets?name=none", b"");
        assert_eq!(r.status, 404, "{}", r.text());
        assert_eq!(r.json(), serde_json::json!({"message": "no such pet"}));
    });
}

/// `update-stage` turns the stage cache on; `flush-stage-cache` and
/// `flush-stage-authorizers-cache` answer as on AWS (202, no output) and the next request reaches
/// the backend again.
#[test]
fn aws_cli_flushes_the_stage_caches() {
    let Some(exe) = cli_or_skip() else {
        return;
    };
    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).workers(1));
        let be = Upstream::echo("cached");
        let aws = Aws::new(&exe, &gw, ADMIN_KEY);
        let doc = serde_json::json!({
            "openapi": "3.0.1", "info": {"title": "cli-cache", "version": "1"},
            "paths": {"/c": {"get": {"x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "GET",
                "uri": format!("http://{}/c", be.hostport())}}}}
        });
        let api = gw.import(&doc.to_string());
        gw.deploy(&api, "prod", &[]);
        let stage = aws.run(&[
            "update-stage",
            "--rest-api-id",
            &api,
            "--stage-name",
            "prod",
            "--patch-operations",
            "op=replace,path=/cacheClusterEnabled,value=true",
            "op=replace,path=/cacheClusterSize,value=0.5",
        ]);
        assert_eq!(stage["cacheClusterEnabled"], true, "{stage}");
        let call = || assert_eq!(gw.call(&api, "GET", "/prod/c", b"").status, 200);
        call();
        call();
        assert_eq!(be.requests(), 1);
        let out = aws.run(&[
            "flush-stage-cache",
            "--rest-api-id",
            &api,
            "--stage-name",
            "prod",
        ]);
        assert_eq!(out, Value::Null);
        call();
        call();
        assert_eq!(be.requests(), 2, "flushed once");
        let out = aws.run(&[
            "flush-stage-authorizers-cache",
            "--rest-api-id",
            &api,
            "--stage-name",
            "prod",
        ]);
        assert_eq!(out, Value::Null);
        aws.fails(
            &[
                "flush-stage-cache",
                "--rest-api-id",
                &api,
                "--stage-name",
                "nope",
            ],
            "NotFoundException",
        );
    });
}
