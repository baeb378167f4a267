//! The store is private: a data dir the gateway creates is 0700 and every file in it 0600 under
//! any umask, backups (of a running and of a stopped gateway) are 0600 in a 0700 directory, a data
//! dir other users can write refuses the start (and fails `tollgate check`), and one they can only
//! read is reported and tightened. File modes do not depend on the I/O driver: each test runs on
//! one (epoll, available everywhere).

mod common;
use common::*;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DRIVER: &str = "epoll";

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn chmod(p: &Path, m: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
}

/// The data dir's entries with their modes, for assertion messages.
fn listing(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut out: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let m = mode(&p);
            (p, m)
        })
        .collect();
    out.sort();
    out
}

/// `tollgate ARGS` under `umask`, killed if it runs past 30 s (a start that should have been
/// refused would otherwise run forever).
fn tollgate(umask: u32, args: &[&std::ffi::OsStr]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("TOLLGATE_ADMIN_ACCESS_KEY_ID")
        .env_remove("TOLLGATE_ADMIN_SECRET_ACCESS_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: runs in the forked child before exec; umask(2) is async-signal-safe and touches
    // no memory.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(umask as libc::mode_t);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn tollgate");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn fresh_data_dir_and_backups_are_private_whatever_the_umask() {
    for umask in [0o022, 0o000] {
        // No credentials configured: the gateway generates admin-credentials in the data dir too.
        let config = Config {
            credentials: false,
            ..Config::default()
        };
        let mut gw = Gateway::start(
            Opts::new(DRIVER)
                .config(config)
                .without_admin_env()
                .umask(umask)
                .fresh_data_dir(),
        );
        let data = gw.data_dir.clone();
        assert_eq!(mode(&data), 0o700, "umask {umask:03o}");
        let files = listing(&data);
        for name in ["tollgate.redb", "admin-credentials", "admin.addr"] {
            assert!(
                files.iter().any(|(p, _)| p.ends_with(name)),
                "{name} missing: {files:?}"
            );
        }
        for (p, m) in &files {
            assert_eq!(*m, 0o600, "{} under umask {umask:03o}", p.display());
        }

        // A running gateway's backup: the CLI asks it over the admin port, signing with the
        // generated credentials.
        let online = gw.tmp.join("backups/online");
        let r = tollgate(
            umask,
            &[
                "backup".as_ref(),
                "--data-dir".as_ref(),
                data.as_os_str(),
                online.as_os_str(),
            ],
        );
        assert!(r.status.success(), "{}", text(&r));
        assert!(text(&r).contains("asking the gateway"), "{}", text(&r));
        assert_eq!(mode(&online), 0o700);
        assert_eq!(
            listing(&online),
            vec![(online.join("tollgate.redb"), 0o600)]
        );
        // The admin call's temporary copy inside the data dir is gone again.
        assert_eq!(listing(&data), files);

        // A stopped gateway's backup is read from the data dir directly.
        gw.stop();
        let offline = gw.tmp.join("backups/offline");
        let r = tollgate(
            umask,
            &[
                "backup".as_ref(),
                "--data-dir".as_ref(),
                data.as_os_str(),
                offline.as_os_str(),
            ],
        );
        assert!(r.status.success(), "{}", text(&r));
        assert_eq!(mode(&offline), 0o700);
        assert_eq!(
            listing(&offline),
            vec![(offline.join("tollgate.redb"), 0o600)]
        );

        // A restore into a fresh data dir gives the same modes.
        let restored = gw.tmp.join("restored");
        let r = tollgate(
            umask,
            &[
                "restore".as_ref(),
                "--data-dir".as_ref(),
                restored.as_os_str(),
                offline.as_os_str(),
            ],
        );
        assert!(r.status.success(), "{}", text(&r));
        assert_eq!(mode(&restored), 0o700);
        assert_eq!(
            listing(&restored),
            vec![(restored.join("tollgate.redb"), 0o600)]
        );
    }
}

/// A config file whose `storage.data_dir` is `data` (what `tollgate check` judges).
fn config_naming(tmp: &TempDir, data: &Path) -> PathBuf {
    let text = Config::default().render().replace(
        "data_dir = \"./tollgate-data\"",
        &format!("data_dir = {:?}", data.display().to_string()),
    );
    tmp.write("tollgate.toml", &text)
}

#[test]
fn a_data_dir_others_can_write_refuses_the_start() {
    for (dir_mode, store_mode) in [(0o770, 0o600), (0o700, 0o646)] {
        let tmp = TempDir::new("modes");
        let data = tmp.join("data");
        fs::create_dir(&data).unwrap();
        let store = data.join("tollgate.redb");
        fs::write(&store, b"").unwrap();
        chmod(&store, store_mode);
        chmod(&data, dir_mode);
        let (culprit, fix, found) = if dir_mode != 0o700 {
            (&data, format!("chmod 700 {}", data.display()), "0770")
        } else {
            (&store, format!("chmod 600 {}", store.display()), "0646")
        };

        let r = tollgate(
            0o022,
            &[
                "run".as_ref(),
                "--listen".as_ref(),
                "127.0.0.1:0".as_ref(),
                "--admin".as_ref(),
                "127.0.0.1:0".as_ref(),
                "--driver".as_ref(),
                DRIVER.as_ref(),
                "--data-dir".as_ref(),
                data.as_os_str(),
            ],
        );
        let out = text(&r);
        assert_eq!(r.status.code(), Some(1), "{out}");
        assert!(!out.contains("ready "), "{out}");
        assert!(out.contains("refusing to start"), "{out}");
        assert!(out.contains(&culprit.display().to_string()), "{out}");
        assert!(out.contains(&format!("mode {found}")), "{out}");
        assert!(out.contains(&fix), "{out}");
        // Nothing was written or changed.
        assert_eq!((mode(&data), mode(&store)), (dir_mode, store_mode));
        assert_eq!(listing(&data).len(), 1, "{:?}", listing(&data));

        // `tollgate check` (systemd's ExecStartPre) fails on it too, changing nothing.
        let config = config_naming(&tmp, &data);
        let r = tollgate(0o022, &["check".as_ref(), config.as_os_str()]);
        let out = text(&r);
        assert!(!r.status.success(), "{out}");
        assert!(
            out.contains(&fix) && out.contains("refuses to start"),
            "{out}"
        );
        assert_eq!((mode(&data), mode(&store)), (dir_mode, store_mode));
    }
}

#[test]
fn a_store_others_can_read_is_reported_and_tightened() {
    let mut gw = Gateway::start(Opts::new(DRIVER));
    gw.stop();
    let data = gw.data_dir.clone();
    let store = data.join("tollgate.redb");
    chmod(&data, 0o755);
    chmod(&store, 0o644);

    // check reports, changes nothing and passes: the start will fix it.
    let config = config_naming(&gw.tmp, &data);
    let r = tollgate(0o022, &["check".as_ref(), config.as_os_str()]);
    let out = text(&r);
    assert!(r.status.success(), "{out}");
    assert!(
        out.contains(&format!("chmod 600 {}", store.display())),
        "{out}"
    );
    assert_eq!(mode(&store), 0o644);

    gw.restart();
    let log = gw.stderr();
    for (path, was, now) in [(&data, "0755", "0700"), (&store, "0644", "0600")] {
        let line = format!(
            "{} had mode {was} (readable by other users); tightened to {now}",
            path.display()
        );
        assert!(log.contains(&line), "{line:?} missing from:\n{log}");
    }
    assert_eq!((mode(&data), mode(&store)), (0o700, 0o600));
    assert_eq!(
        gw.admin("GET", "/restapis", b"").status,
        200,
        "and it serves"
    );
}
