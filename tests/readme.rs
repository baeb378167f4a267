//! The README, followed as a newcomer would: its quick-start and first-API command blocks are
//! extracted from README.md and run AS WRITTEN by bash, with the real aws CLI, against a gateway
//! started the way the quick start starts it (embedded config, no admin credentials configured, so
//! the gateway generates `admin-credentials` in its data dir). The only substitutions are the
//! addresses and data dir of that gateway (`127.0.0.1:8080`, `127.0.0.1:9901`, `./tollgate-data`),
//! since the suite runs on free ports. Every `fileb://` file a block names must exist, and the
//! README's set-up commands for the aws CLI must be the ones tests/run.sh runs.
//!
//! The CLI is `$TOLLGATE_AWS_CLI`, else `.venv/bin/aws` (tests/run.sh makes it). A missing CLI fails
//! the test unless `TOLLGATE_SKIP_AWSCLI=1`.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn aws_cli() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("TOLLGATE_AWS_CLI") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(ROOT).join(".venv/bin/aws");
    venv.exists().then_some(venv)
}

/// The ```sh blocks of README.md, in order.
fn sh_blocks() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_end() == "```sh" => current = Some(String::new()),
            Some(_) if line.trim_end() == "```" => blocks.push(current.take().unwrap()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "README.md: unclosed ```sh block");
    blocks
}

/// The one block containing `needle` (a README edit that splits or drops it fails here).
fn block_with(blocks: &[String], needle: &str) -> String {
    let found: Vec<&String> = blocks.iter().filter(|b| b.contains(needle)).collect();
    assert_eq!(
        found.len(),
        1,
        "README.md: want one ```sh block with {needle:?}"
    );
    found[0].clone()
}

/// The command lines of a block: blank lines dropped, no continuation lines (each line is run and
/// its output checked on its own).
fn commands(block: &str) -> Vec<String> {
    block
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| {
            assert!(!l.trim_end().ends_with('\\'), "continuation line: {l}");
            l.to_string()
        })
        .collect()
}

/// A command without its trailing `# comment`.
fn without_comment(line: &str) -> &str {
    line.split(" #").next().unwrap_or(line).trim()
}

#[test]
fn readme_setup_commands_are_the_ones_tests_run_sh_runs() {
    let blocks = sh_blocks();
    let setup = block_with(&blocks, "pip install awscli");
    let run_sh = std::fs::read_to_string(Path::new(ROOT).join("tests/run.sh")).unwrap();
    let run_sh = run_sh.replace(" --quiet", "");
    for cmd in commands(&setup) {
        let cmd = without_comment(&cmd);
        assert!(
            run_sh.lines().any(|l| l.trim() == cmd),
            "README set-up command {cmd:?} is not what tests/run.sh runs"
        );
    }
    // Every file a block hands to the CLI exists (the example used to name missing files).
    for block in &blocks {
        for word in block.split_whitespace() {
            if let Some(path) = word.strip_prefix("fileb://") {
                assert!(
                    Path::new(ROOT).join(path).is_file(),
                    "README names {path}, which does not exist"
                );
            }
        }
    }
}

#[test]
fn readme_quick_start_and_first_api_run_as_written() {
    let Some(cli) = aws_cli() else {
        if std::env::var("TOLLGATE_SKIP_AWSCLI").as_deref() == Ok("1") {
            eprintln!("skipped: no aws CLI and TOLLGATE_SKIP_AWSCLI=1");
            return;
        }
        panic!("no aws CLI: run tests/run.sh (makes .venv/bin/aws), set TOLLGATE_AWS_CLI, or TOLLGATE_SKIP_AWSCLI=1");
    };
    let blocks = sh_blocks();
    let quick = commands(&block_with(&blocks, "cargo run --release -- run"));
    let first_api = commands(&block_with(&blocks, "import-rest-api"));
    let invoke = commands(&block_with(&blocks, ".execute-api.us-east-1.amazonaws.com"));
    // The quick start's first line starts the gateway with no arguments beyond `run`: the test
    // starts the binary under test that way (embedded config); the rest of the block is run.
    assert_eq!(without_comment(&quick[0]), "cargo run --release -- run");
    let quick = &quick[1..];

    for_each_driver(|driver| {
        let gw = Gateway::start(Opts::new(driver).embedded_config().without_admin_env());
        // In order: the quick start, the first API, the invoking example, the quick start again.
        let steps: Vec<&String> = quick
            .iter()
            .chain(&first_api)
            .chain(&invoke)
            .chain(quick)
            .collect();
        let out = run_steps(&gw, &cli, &steps);
        let find = |needle: &str| -> String {
            let (_, o) = out
                .iter()
                .find(|(cmd, _)| cmd.contains(needle))
                .unwrap_or_else(|| panic!("no step with {needle:?}"));
            o.clone()
        };
        // Quick start: the sample API, no Host needed while it is the only API.
        assert!(out[0].1.contains("\"price\": 249.99"), "{:?}", out[0]);
        // First API: imported, deployed, listed; MOCK and HTTP_PROXY answer; v2 goes live.
        let api_id = find("echo API_ID=")
            .trim_start_matches("API_ID=")
            .to_string();
        assert_eq!(api_id.len(), 10, "{out:#?}");
        assert!(find("get-rest-apis").contains(&format!("{api_id}\tPetStore")));
        assert!(find("get-stages").starts_with("prod\t"));
        let calls: Vec<&String> = out
            .iter()
            .filter(|(c, _)| c.starts_with("curl -H \"Host: $API_ID"))
            .map(|(_, o)| o)
            .collect();
        assert_eq!(calls.len(), 4, "{out:#?}");
        assert_eq!(
            calls[0],
            r#"[{"id": 1, "type": "dog"}, {"id": 2, "type": "cat"}]"#
        );
        assert!(
            calls[1].contains("ok"),
            "HTTP_PROXY to the admin /ping: {}",
            calls[1]
        );
        assert!(calls[2].contains("hamster"), "v2 not live: {}", calls[2]);
        assert!(calls[3].contains("hamster"), "us-east-1 Host: {}", calls[3]);
        assert_eq!(find("put-rest-api").trim(), "\"PetStore\"");
        // Quick start again: two APIs deployed, no Host: AWS's 403, and the log says why.
        let again = &out.last().unwrap().1;
        assert_eq!(again, r#"{"message":"Missing Authentication Token"}"#);
        let log = gw.stderr();
        for want in [
            format!(
                "stage prod of api {api_id} (PetStore): curl -H 'Host: {api_id}.execute-api.local' http://{}/prod/",
                gw.listen
            ),
            "2 APIs are deployed: a request must name one with Host: {api-id}.execute-api.local"
                .to_string(),
            "2 APIs are deployed and the request's Host named none; send Host: {api-id}.execute-api.local"
                .to_string(),
        ] {
            assert!(log.contains(&want), "log lacks {want:?}:\n{log}");
        }
    });
}

/// Runs `steps` in one bash (`set -euo pipefail`, so a failing command stops it) in the repository
/// root, each line exactly as written but for the gateway's addresses and data dir; returns each
/// command with its stdout. Adds one line after the `API_ID=` assignment to print the id.
fn run_steps(gw: &Gateway, cli: &Path, steps: &[&String]) -> Vec<(String, String)> {
    const MARK: &str = "@@readme-step@@";
    let data_dir = gw.data_dir.to_str().expect("utf-8 data dir");
    let localize = |c: &str| {
        c.replace("127.0.0.1:8080", &gw.listen.to_string())
            .replace("127.0.0.1:9901", &gw.admin.to_string())
            .replace("./tollgate-data", data_dir)
    };
    let mut script = String::from("set -euo pipefail\n");
    let mut cmds = Vec::new();
    for c in steps {
        script.push_str(&format!("printf '\\n{MARK}\\n'\n{}\n", localize(c)));
        cmds.push(c.to_string());
        if c.starts_with("API_ID=") {
            script.push_str(&format!("printf '\\n{MARK}\\n'\necho API_ID=$API_ID\n"));
            cmds.push("echo API_ID=$API_ID".to_string());
        }
    }
    let home = gw.tmp.join("aws-home");
    std::fs::create_dir_all(&home).unwrap();
    let path = format!(
        "{}:{}",
        cli.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(ROOT)
        .env("PATH", path)
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "README commands failed ({}):\n--- script ---\n{script}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}\n--- gateway ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        gw.stderr()
    );
    let outputs: Vec<String> = stdout
        .split(&format!("\n{MARK}\n"))
        .skip(1)
        .map(|o| o.trim_end_matches('\n').to_string())
        .collect();
    assert_eq!(outputs.len(), cmds.len(), "{stdout}");
    cmds.into_iter().zip(outputs).collect()
}
