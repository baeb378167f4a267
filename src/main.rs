//! The `tollgate` command: `run` the gateway, `check` a config, `--version`.

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use tollgate::admin::auth::bootstrap;
use tollgate::admin::{self, AdminState, ControlPlane, Keyring};
use tollgate::core::metrics::MetricsHub;
use tollgate::deploy::publish::SnapshotCell;
use tollgate::settings::{DriverChoice, Overrides, Settings};
use tollgate::store::modes;

#[derive(Parser)]
#[command(
    name = "tollgate",
    version,
    about = "A thread-per-core API gateway that runs the AWS API Gateway model"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Every flag overrides one key of the config file, so its help names that key and the value the
// embedded default config gives it (`[default: …]` in clap's own style). These are not clap
// `default_value`s: an absent flag must leave the config file's value alone. The unit test at the
// end checks each stated default against the embedded config.
#[derive(Subcommand)]
enum Command {
    /// Run the gateway (the embedded default config when no --config is given).
    ///
    /// Prints `ready listen=IP:PORT admin=IP:PORT` on stdout once every port is bound; logs go
    /// to stderr. SIGTERM drains and exits; SIGHUP redeploys the config's API files.
    Run {
        /// Config file (TOML; every key optional) [default: the embedded config/tollgate.toml]
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Data-plane address, overrides server.listen; port 0 picks a free port [default: 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<SocketAddr>,
        /// Admin (management API, /ping, /metrics) address, overrides admin.listen [default: 127.0.0.1:9901]
        #[arg(long, value_name = "ADDR:PORT")]
        admin: Option<SocketAddr>,
        /// Store directory, overrides storage.data_dir; relative to the working directory [default: ./tollgate-data]
        #[arg(long = "data-dir", value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Worker threads, one pinned runtime each; 0 = one per core; overrides server.workers [default: 0]
        #[arg(long, value_name = "N")]
        workers: Option<usize>,
        /// I/O driver: auto (io_uring, else epoll), uring or epoll; overrides server.driver [default: auto]
        #[arg(long, value_name = "auto|uring|epoll", value_parser = parse_driver)]
        driver: Option<DriverChoice>,
    },
    /// Compile a config and every API it names; print every error; exit non-zero on any.
    Check {
        /// The config file to check (TOML)
        #[arg(value_name = "FILE")]
        config: PathBuf,
    },
    /// Write a consistent copy of the store to DIR/tollgate.redb. A stopped data dir is read
    /// directly; a running gateway is asked over its admin port (`POST /tollgate/backup`), found
    /// from --admin, else the data dir's admin.addr, else the config's admin address.
    Backup {
        /// Directory to write tollgate.redb into (created if missing)
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Config file naming the data dir and admin address [default: the embedded config/tollgate.toml]
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Store directory, overrides storage.data_dir [default: ./tollgate-data]
        #[arg(long = "data-dir", value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Ask the gateway at this admin address (signed with the admin credentials) [default: the data dir's admin.addr, else admin.listen]
        #[arg(long, value_name = "ADDR:PORT")]
        admin: Option<SocketAddr>,
    },
    /// Put a backup (DIR/tollgate.redb) in place as the data dir's store. The gateway must be
    /// stopped; the replaced file is kept as tollgate.redb.before-restore.
    Restore {
        /// Directory holding the backup's tollgate.redb
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Config file naming the data dir [default: the embedded config/tollgate.toml]
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Store directory to restore into, overrides storage.data_dir [default: ./tollgate-data]
        #[arg(long = "data-dir", value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
}

fn parse_driver(s: &str) -> Result<DriverChoice, String> {
    match s {
        "auto" => Ok(DriverChoice::Auto),
        "uring" | "io_uring" => Ok(DriverChoice::Uring),
        "epoll" | "legacy" => Ok(DriverChoice::Epoll),
        _ => Err(format!("unknown driver {s:?} (auto, uring, epoll)")),
    }
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            config,
            listen,
            admin,
            data_dir,
            workers,
            driver,
        } => run(
            config.as_deref(),
            Overrides {
                listen,
                admin,
                data_dir,
                workers,
                driver,
            },
        ),
        Command::Check { config } => check(&config),
        Command::Backup {
            dir,
            config,
            data_dir,
            admin,
        } => backup(&dir, config.as_deref(), data_dir, admin),
        Command::Restore {
            dir,
            config,
            data_dir,
        } => restore(&dir, config.as_deref(), data_dir),
    };
    if let Err(e) = result {
        eprintln!("tollgate: {e:#}");
        std::process::exit(1);
    }
}

fn check(path: &Path) -> anyhow::Result<()> {
    let settings = Settings::load(Some(path), &Overrides::default())?;
    let mut problems = tollgate::admin::check_boot_apis(&settings);
    // The data dir's modes, judged as `run` will (run also tightens what others can only read).
    // Reported, never changed: check may run as another user, or before the first start.
    match modes::inspect(&settings.data_dir) {
        Ok(loose) => {
            for l in loose {
                if l.writable() {
                    problems.push(format!("{l}; `tollgate run` refuses to start"));
                } else {
                    println!("note: {l}; `tollgate run` tightens it");
                }
            }
        }
        Err(e) => println!(
            "note: data dir {} not inspected: {e}",
            settings.data_dir.display()
        ),
    }
    if problems.is_empty() {
        println!("{}: OK ({} APIs)", path.display(), settings.apis.len());
        return Ok(());
    }
    for p in &problems {
        println!("{p}");
    }
    bail!("{} problem(s) found", problems.len())
}

fn backup(
    dir: &Path,
    config: Option<&Path>,
    data_dir: Option<PathBuf>,
    admin: Option<SocketAddr>,
) -> anyhow::Result<()> {
    use tollgate::store::backup::{backup_offline, write_backup_bytes, BackupError};
    let settings = Settings::load(
        config,
        &Overrides {
            data_dir,
            ..Overrides::default()
        },
    )?;
    // Asking a running gateway is an admin call: sign it with the configured credentials, or
    // the pair the gateway generated in its data dir.
    let signer = || -> anyhow::Result<tollgate::settings::AdminCredential> {
        let (creds, _) = admin::auth::bootstrap::admin_credentials(&settings)?;
        creds
            .into_iter()
            .next()
            .context("no admin credentials to sign the backup request with")
    };
    let written = match admin {
        Some(addr) => write_backup_bytes(&admin::backup::fetch(addr, &signer()?)?, dir)?,
        None => {
            // Backup only reads the data dir: loose modes are reported, left to `run` to fix.
            for l in modes::inspect(&settings.data_dir).unwrap_or_default() {
                eprintln!("warning: {l}");
            }
            match backup_offline(&settings.data_dir, dir) {
                Err(BackupError::InUse) => {
                    let addr = admin::backup::recorded_admin_addr(&settings.data_dir)
                        .unwrap_or(settings.admin);
                    eprintln!("the store is in use; asking the gateway at {addr}");
                    write_backup_bytes(&admin::backup::fetch(addr, &signer()?)?, dir)?
                }
                other => other?,
            }
        }
    };
    println!("backup written to {}", written.display());
    Ok(())
}

fn restore(dir: &Path, config: Option<&Path>, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let settings = Settings::load(
        config,
        &Overrides {
            data_dir,
            ..Overrides::default()
        },
    )?;
    secure_data_dir(&settings.data_dir)?;
    let restored = tollgate::store::backup::restore(dir, &settings.data_dir)?;
    println!("restored {}", restored.display());
    Ok(())
}

/// Creates the data dir 0700 or checks an existing one (`store::modes::secure`): refuses one
/// other users can write, logs what it tightened.
fn secure_data_dir(dir: &Path) -> anyhow::Result<()> {
    for l in modes::secure(dir)? {
        eprintln!("{}", modes::describe_tightened(&l));
    }
    Ok(())
}

/// The gateway's own AWS account, region, credentials and endpoints, found once (the SDKs'
/// chain, `[aws]` first); says where credentials came from, never what they are.
fn install_aws(settings: &Settings) {
    let env = tollgate::aws::AwsEnv::from_section(
        &settings.aws,
        &tollgate::aws::credentials::process_lookup(),
    );
    match &env.source {
        Some(source) => eprintln!("aws: credentials from {source:?}, region {}", env.region),
        None => eprintln!(
            "aws: no credentials found; AWS integrations will fail until configured ({})",
            tollgate::aws::credentials::missing_message()
        ),
    }
    tollgate::aws::install(env);
    // Integration roles (`credentials`) are assumed and renewed on this thread, never a worker.
    tollgate::aws::roles::start_refresher(Arc::new(tollgate::aws::sts::assume_role));
    // Cognito user pool keys (COGNITO_USER_POOLS authorizers) likewise, on their own thread.
    tollgate::aws::jwks::start_refresher(Arc::new(tollgate::aws::jwks::http_get));
}

fn run(config: Option<&Path>, over: Overrides) -> anyhow::Result<()> {
    let settings = Settings::load(config, &over)?;
    secure_data_dir(&settings.data_dir)?;
    install_aws(&settings);
    // Access and execution log lines are written on their own thread, never a worker's.
    tollgate::runtime::access_log::install(&settings.access_logs, &settings.data_dir)
        .context("starting the access log writer")?;
    // The principals AWS_IAM methods accept, fixed for the life of the process.
    tollgate::pipeline::authorize::iam::install(settings.iam.clone());
    let cell = Arc::new(SnapshotCell::default());
    let control =
        ControlPlane::open(&settings, cell.clone()).context("opening the control plane")?;
    let control = Arc::new(Mutex::new(control));
    let (credentials, source) =
        bootstrap::admin_credentials(&settings).context("setting up admin credentials")?;
    eprintln!("{}", source.describe(credentials.len()));
    let keys = Arc::new(Keyring::new(credentials));
    let hub = Arc::new(MetricsHub::default());

    // Handlers go in before any worker starts, so an early SIGTERM or SIGHUP is never taken by
    // the default action (which would kill the process mid-start).
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ])?;

    let admin_listener = TcpListener::bind(settings.admin)
        .with_context(|| format!("binding the admin port {}", settings.admin))?;
    let admin_addr = admin_listener.local_addr()?;
    admin::backup::record_admin_addr(&settings.data_dir, admin_addr);
    let workers = tollgate::runtime::start(&settings, cell.clone(), hub.clone())
        .with_context(|| format!("starting workers on {}", settings.listen))?;
    let ready = Arc::new(AtomicBool::new(false));
    let render_hub = hub.clone();
    let admin_state = Arc::new(AdminState {
        control: control.clone(),
        metrics: Arc::new(move || render_hub.render()),
        ready: ready.clone(),
        max_body: settings.admin_max_body,
        keys,
        rate: Arc::new(admin::limits::RateLimiter::new(settings.admin_rate_limit)),
    });
    admin::serve_scoped(admin_listener, admin_state.clone(), admin::Scope::All)?;
    let health_addr = match settings.health_listen {
        Some(addr) => {
            let l = TcpListener::bind(addr)
                .with_context(|| format!("binding the health/metrics port {addr}"))?;
            let bound = l.local_addr()?;
            admin::serve_scoped(l, admin_state, admin::Scope::HealthOnly)?;
            Some(bound)
        }
        None => None,
    };
    ready.store(true, std::sync::atomic::Ordering::SeqCst);
    eprintln!(
        "tollgate {}: {} worker(s) [{}], data dir {}",
        env!("CARGO_PKG_VERSION"),
        workers.drivers.len(),
        workers
            .drivers
            .iter()
            .map(|d| d.name())
            .collect::<Vec<_>>()
            .join(","),
        settings.data_dir.display()
    );
    if let Some(addr) = health_addr {
        eprintln!("health and metrics also on {addr} (/ping, /metrics only)");
    }
    // How to call each deployed stage (and, from now on, what every deploy changes): the
    // newcomer's answer to "why does my curl get 403".
    cell.announce_at(workers.listen);
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "ready listen={} admin={}", workers.listen, admin_addr)?;
        out.flush()?;
    }
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);

    // Quota usage the workers count goes to the store once a second (the bound a kill -9 can
    // lose; see core::quota), never from a worker.
    let flusher = control.clone();
    std::thread::Builder::new()
        .name("tollgate-usage".into())
        .spawn(move || loop {
            std::thread::sleep(tollgate::core::quota::FLUSH_EVERY);
            let mut cp = flusher.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = cp.flush_usage() {
                eprintln!("usage: cannot write quota usage to the store: {e:#}");
            }
        })
        .context("starting the usage flusher")?;

    for signal in signals.forever() {
        match signal {
            signal_hook::consts::SIGHUP => {
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Reloading]);
                // Access log files are reopened (logrotate renames them, then sends SIGHUP).
                tollgate::runtime::access_log::reopen();
                match Settings::load(config, &over) {
                    Ok(fresh) => match control.lock().expect("control lock").reload(&fresh) {
                        Ok(()) => {
                            // `[access_logs]` too: a group may now go elsewhere.
                            tollgate::runtime::access_log::reconfigure(&fresh.access_logs);
                            eprintln!(
                                "reload: API files redeployed, access log destinations updated"
                            )
                        }
                        Err(e) => eprintln!("reload failed, nothing changed: {e:#}"),
                    },
                    Err(e) => eprintln!("reload failed, nothing changed: {e}"),
                }
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
            }
            _ => {
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
                ready.store(false, std::sync::atomic::Ordering::SeqCst);
                eprintln!("draining (up to {:?})", settings.drain_timeout);
                let clean = workers.drain(settings.drain_timeout);
                eprintln!("{}", if clean { "drained" } else { "drain timed out" });
                // The workers' last log lines reach their files before the process ends.
                tollgate::runtime::access_log::settle(std::time::Duration::from_secs(2));
                let mut cp = control.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(e) = cp.flush_usage() {
                    eprintln!("usage: cannot write quota usage to the store: {e:#}");
                }
                std::process::exit(0);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    /// Every argument of every subcommand says what it is for.
    #[test]
    fn every_flag_has_help() {
        let cli = Cli::command();
        for sub in cli.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no about", sub.get_name());
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some_and(|h| h.to_string().len() > 10),
                    "{} {id} has no help",
                    sub.get_name()
                );
            }
        }
    }

    /// The defaults `run --help` states are the embedded config's values.
    #[test]
    fn run_help_states_the_embedded_defaults() {
        let mut cli = Cli::command();
        let help = cli
            .find_subcommand_mut("run")
            .expect("run")
            .render_help()
            .to_string();
        let s = Settings::load(None, &Overrides::default()).expect("embedded config");
        let driver = match s.driver {
            DriverChoice::Auto => "auto",
            DriverChoice::Uring => "uring",
            DriverChoice::Epoll => "epoll",
        };
        for stated in [
            format!("[default: {}]", s.listen),
            format!("[default: {}]", s.admin),
            format!("[default: {}]", s.data_dir.display()),
            format!("[default: {}]", s.workers),
            format!("[default: {driver}]"),
        ] {
            assert!(help.contains(&stated), "{stated} missing from:\n{help}");
        }
    }
}
