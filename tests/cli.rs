//! The command line as a newcomer meets it: `--help` of every subcommand describes every flag and
//! states its default; a missing config file is one clear line, not the OS error twice.

mod common;
use common::*;

#[test]
fn run_help_describes_every_flag_with_its_default() {
    let (st, out) = run_cli(&["run", "--help"]);
    assert!(st.success(), "{out}");
    for (flag, default) in [
        (
            "--config <FILE>",
            "[default: the embedded config/tollgate.toml]",
        ),
        ("--listen <ADDR:PORT>", "[default: 127.0.0.1:8080]"),
        ("--admin <ADDR:PORT>", "[default: 127.0.0.1:9901]"),
        ("--data-dir <DIR>", "[default: ./tollgate-data]"),
        ("--workers <N>", "[default: 0]"),
        ("--driver <auto|uring|epoll>", "[default: auto]"),
    ] {
        // The flag's description follows it on the next line of the long help.
        let at = out
            .find(flag)
            .unwrap_or_else(|| panic!("{flag} missing:\n{out}"));
        let described = out[at..].lines().nth(1).unwrap_or_default();
        assert!(
            described.trim().len() > default.len() + 10 && described.contains(default),
            "{flag}: {described:?}\n{out}"
        );
    }
}

#[test]
fn every_subcommand_help_describes_its_arguments() {
    for sub in ["check", "backup", "restore"] {
        let (st, out) = run_cli(&[sub, "-h"]);
        assert!(st.success(), "{sub}: {out}");
        // Short help puts each argument and its description on one line.
        let args: Vec<&str> = out
            .lines()
            .filter(|l| l.trim_start().starts_with('<') || l.trim_start().starts_with("--"))
            .collect();
        assert!(!args.is_empty(), "{sub}: {out}");
        for line in args {
            let words = line.split_whitespace().count();
            assert!(words >= 4, "{sub}: undescribed argument {line:?}\n{out}");
        }
    }
}

#[test]
fn missing_config_file_is_one_clear_line() {
    let tmp = TempDir::new("cli");
    let missing = tmp.join("nope.toml");
    for cmd in ["run", "check"] {
        let args: Vec<&str> = match cmd {
            "run" => vec!["run", "--config", missing.to_str().unwrap()],
            _ => vec!["check", missing.to_str().unwrap()],
        };
        let (st, out) = run_cli(&args);
        assert_eq!(st.code(), Some(1), "{cmd}: {out}");
        assert_eq!(
            out.trim_end(),
            format!(
                "tollgate: cannot read config file {}: No such file or directory (os error 2)",
                missing.display()
            ),
            "{cmd}"
        );
    }
}
