//! Access log and execution log lines, off the workers: each worker appends finished lines to a
//! block of its own (`core::access_log`), full blocks travel to the one writer thread here over
//! a bounded channel, and come back empty over the core's return channel. A worker never waits
//! and never allocates: with no empty block in hand a line is dropped and counted
//! (`tollgate_access_log_dropped_total`).
//!
//! Destinations are CloudWatch log groups (`arn:aws:logs:{region}:{account}:log-group:{name}`)
//! mapped to this host by `[access_logs]` (settings): a file (default
//! `{data_dir}/logs/{name}.log`, rotated by size, reopened on SIGHUP), stdout, or syslog. The
//! compiler interns each group as a `DestId`; the writer opens it on first use. A destination
//! that cannot be written is refused by UpdateStage (`check`), and at run time its lines are
//! counted (`tollgate_access_log_write_errors_total`) while requests go on.
//!
//! One hub per process (`install`, at start); without one (unit tests, `tollgate check`,
//! TestInvoke) nothing is logged.

mod writer;

use crate::settings::{AccessLogSettings, LogTarget};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Mutex, OnceLock};

/// A destination, as interned: index into the hub's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DestId(pub u32);

impl DestId {
    /// The gateway's stderr (execution logs, journald under systemd).
    pub const STDERR: DestId = DestId(0);
}

/// Blocks per worker: one filling, the rest in flight or free.
pub const BLOCKS_PER_CORE: usize = 4;

/// A full (or flushed) block on its way to the writer, and the core it goes back to.
pub struct Block {
    pub core: usize,
    pub buf: Vec<u8>,
}

struct Hub {
    /// Replaced on SIGHUP (`reconfigure`); `buffer_bytes` is read once, when a worker registers.
    settings: Mutex<AccessLogSettings>,
    data_dir: PathBuf,
    /// `DestId` -> (log group, where it is written). Index 0 is stderr.
    dests: Mutex<Vec<(Box<str>, LogTarget)>>,
    to_writer: SyncSender<Block>,
    /// Each core's channel for its empty blocks.
    returns: Mutex<Vec<SyncSender<Vec<u8>>>>,
}

static HUB: OnceLock<Hub> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);
static WRITE_ERRORS: AtomicU64 = AtomicU64::new(0);
static WRITTEN: AtomicU64 = AtomicU64::new(0);
static REOPEN: AtomicBool = AtomicBool::new(false);

/// Starts the writer thread with `settings`; later calls do nothing.
pub fn install(settings: &AccessLogSettings, data_dir: &Path) -> std::io::Result<()> {
    if HUB.get().is_some() {
        return Ok(());
    }
    let (tx, rx) = sync_channel::<Block>(1024);
    let hub = Hub {
        settings: Mutex::new(settings.clone()),
        data_dir: data_dir.to_path_buf(),
        dests: Mutex::new(vec![("stderr".into(), LogTarget::Stdout)]),
        to_writer: tx,
        returns: Mutex::new(Vec::new()),
    };
    if HUB.set(hub).is_err() {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("tollgate-logs".into())
        .spawn(move || writer::run(rx))?;
    Ok(())
}

fn hub() -> Option<&'static Hub> {
    HUB.get()
}

/// A worker's end of the pipe: its blocks and channels. `None` without a hub.
pub struct CoreChannels {
    pub core: usize,
    pub block_bytes: usize,
    pub to_writer: SyncSender<Block>,
    pub free: Receiver<Vec<u8>>,
}

/// Registers a worker: preallocates its blocks (all but one wait in its free channel).
pub fn register_core() -> Option<(CoreChannels, Vec<u8>)> {
    let hub = hub()?;
    let buffer_bytes = lock(&hub.settings).buffer_bytes;
    let block_bytes = (buffer_bytes / BLOCKS_PER_CORE).max(256);
    let (ret_tx, ret_rx) = sync_channel::<Vec<u8>>(BLOCKS_PER_CORE);
    for _ in 1..BLOCKS_PER_CORE {
        let _ = ret_tx.try_send(Vec::with_capacity(block_bytes));
    }
    let mut returns = hub.returns.lock().unwrap_or_else(|p| p.into_inner());
    let core = returns.len();
    returns.push(ret_tx);
    Some((
        CoreChannels {
            core,
            block_bytes,
            to_writer: hub.to_writer.clone(),
            free: ret_rx,
        },
        Vec::with_capacity(block_bytes),
    ))
}

/// Hands an emptied block back to its core.
fn give_back(core: usize, mut buf: Vec<u8>) {
    buf.clear();
    if let Some(hub) = hub() {
        let returns = hub.returns.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = returns.get(core) {
            let _ = tx.try_send(buf);
        }
    }
}

/// The log group an access log ARN names: `arn:aws:logs:{region}:{account}:log-group:{name}`
/// (a trailing `:*` allowed, as the console writes it).
pub fn log_group(arn: &str) -> Result<&str, String> {
    let invalid = || format!("Invalid ARN specified in the request: {arn}");
    let Some([_, _partition, service, _region, _account, rest]) = crate::aws::arn::parts(arn)
    else {
        return Err(invalid());
    };
    if service == "firehose" {
        return Err(format!(
            "Access log destination {arn}: Kinesis Data Firehose is not supported on a self-hosted gateway; use a CloudWatch Logs log group ARN"
        ));
    }
    let name = rest.strip_prefix("log-group:").ok_or_else(invalid)?;
    let name = name.strip_suffix(":*").unwrap_or(name);
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-/#".contains(&b));
    let ok_parts = name.split('/').all(|p| p != "." && p != "..");
    if service != "logs" || name.is_empty() || name.len() > 512 || !ok_chars || !ok_parts {
        return Err(invalid());
    }
    Ok(name)
}

fn target_of(hub: &Hub, group: &str) -> LogTarget {
    match lock(&hub.settings).groups.get(group) {
        Some(t) => t.clone(),
        None => LogTarget::File(
            hub.data_dir
                .join("logs")
                .join(format!("{}.log", group.trim_start_matches('/'))),
        ),
    }
}

/// The destination of `group`, interned for the life of the process (`None` without a hub).
pub fn intern(group: &str) -> Option<DestId> {
    let hub = hub()?;
    let mut dests = hub.dests.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = dests.iter().skip(1).position(|(g, _)| &**g == group) {
        return Some(DestId(i as u32 + 1));
    }
    let target = target_of(hub, group);
    dests.push((group.into(), target));
    Some(DestId(dests.len() as u32 - 1))
}

/// Where `id` is written (for the writer).
fn target(id: DestId) -> Option<LogTarget> {
    let dests = hub()?.dests.lock().unwrap_or_else(|p| p.into_inner());
    dests.get(id.0 as usize).map(|(_, t)| t.clone())
}

fn rotation() -> (u64, usize) {
    hub().map_or((0, 1), |h| {
        let s = lock(&h.settings);
        (s.rotate_bytes, s.keep)
    })
}

/// Whether `arn`'s destination can be written now (UpdateStage refuses one that cannot).
pub fn check(arn: &str) -> Result<(), String> {
    let group = log_group(arn)?;
    let Some(hub) = hub() else { return Ok(()) };
    let fail = |what: &Path, e: std::io::Error| {
        format!(
            "Access log destination {arn} cannot be written ({}: {e})",
            what.display()
        )
    };
    match target_of(hub, group) {
        LogTarget::Stdout => Ok(()),
        LogTarget::File(path) => writer::open_file(&path)
            .map(drop)
            .map_err(|e| fail(&path, e)),
        LogTarget::Syslog(path) => std::os::unix::net::UnixDatagram::unbound()
            .and_then(|s| s.connect(&path))
            .map_err(|e| fail(&path, e)),
    }
}

/// SIGHUP: the writer reopens every file (after logrotate moved them).
pub fn reopen() {
    REOPEN.store(true, Ordering::SeqCst);
}

/// SIGHUP with a config that loads: `[access_logs]` as it now says. Groups already in use move
/// to their new destination (the writer re-resolves them with the reopen); rotation applies
/// from the next line. The worker buffers keep the size they were started with.
pub fn reconfigure(settings: &AccessLogSettings) {
    let Some(hub) = hub() else { return };
    let previous = std::mem::replace(&mut *lock(&hub.settings), settings.clone());
    if previous.buffer_bytes != settings.buffer_bytes {
        eprintln!(
            "reload: access_logs.buffer_bytes takes effect at the next start ({} bytes now)",
            previous.buffer_bytes
        );
    }
    let retargeted: Vec<LogTarget> = {
        let dests = lock(&hub.dests);
        dests
            .iter()
            .skip(1)
            .map(|(g, _)| target_of(hub, g))
            .collect()
    };
    let mut dests = lock(&hub.dests);
    for ((_, t), new) in dests.iter_mut().skip(1).zip(retargeted) {
        *t = new;
    }
    drop(dests);
    reopen();
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A worker found no empty block: `n` lines lost.
pub fn count_dropped(n: u64) {
    DROPPED.fetch_add(n, Ordering::Relaxed);
}

/// Lines dropped so far (full buffers).
pub fn dropped_total() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Access log lines in Prometheus text, for `/metrics`.
pub fn render_metrics(out: &mut String) {
    use std::fmt::Write as _;
    for (name, help, v) in [
        (
            "tollgate_access_log_dropped_total",
            "Access and execution log lines dropped because the worker's log buffer was full.",
            &DROPPED,
        ),
        (
            "tollgate_access_log_write_errors_total",
            "Access and execution log lines that could not be written to their destination.",
            &WRITE_ERRORS,
        ),
        (
            "tollgate_access_log_lines_total",
            "Access and execution log lines written.",
            &WRITTEN,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            v.load(Ordering::Relaxed)
        );
    }
}

/// Waits (at most `limit`) until the writer has written what the workers handed it: at exit.
pub fn settle(limit: std::time::Duration) {
    let deadline = std::time::Instant::now() + limit;
    let mut last = u64::MAX;
    while std::time::Instant::now() < deadline {
        let now = WRITTEN.load(Ordering::Relaxed) + WRITE_ERRORS.load(Ordering::Relaxed);
        if now == last {
            return;
        }
        last = now;
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_group_arns() {
        assert_eq!(
            log_group("arn:aws:logs:us-east-1:123456789012:log-group:api-access"),
            Ok("api-access")
        );
        assert_eq!(
            log_group("arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigw/x:*"),
            Ok("/aws/apigw/x")
        );
        for bad in [
            "arn:aws:logs:us-east-1:1:log-group:../../etc/passwd",
            "arn:aws:logs:us-east-1:1:log-group:",
            "arn:aws:s3:::bucket",
            "nope",
            "arn:aws:logs:us-east-1:1:log-group:a b",
        ] {
            assert!(log_group(bad).is_err(), "{bad}");
        }
        assert!(
            log_group("arn:aws:firehose:us-east-1:1:deliverystream/amazon-apigateway-x")
                .unwrap_err()
                .contains("Firehose")
        );
    }
}
