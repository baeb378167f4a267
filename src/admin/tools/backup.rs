//! `POST /tollgate/backup` from the command line: how `tollgate backup` asks a running gateway
//! for a consistent copy of its store (redb lets no second process open the file).
//!
//! The gateway writes its admin address to `{data_dir}/admin.addr` at start, so `tollgate backup
//! DIR --data-dir D` finds it without being told. The operation is a management operation: it
//! passes the same authentication as the AWS API (the request is built in `fetch`, the one place
//! that will sign it with the configured admin credential once SigV4 is enforced).

use anyhow::{bail, Context as _};
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

/// The file in the data dir that names the running gateway's admin address.
pub const ADDR_FILE: &str = "admin.addr";

/// Records `addr` for `tollgate backup` (best effort: a read-only data dir only loses this); 0600
/// like every file in the data dir.
pub fn record_admin_addr(data_dir: &Path, addr: SocketAddr) {
    let _ = crate::store::modes::overwrite_file(&data_dir.join(ADDR_FILE))
        .and_then(|mut f| f.write_all(format!("{addr}\n").as_bytes()));
}

/// The admin address a running gateway recorded in `data_dir`.
pub fn recorded_admin_addr(data_dir: &Path) -> Option<SocketAddr> {
    std::fs::read_to_string(data_dir.join(ADDR_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The admin path of the backup operation.
pub const BACKUP_PATH: &str = "/tollgate/backup";

/// Asks the gateway at `addr` for a backup, signed with `cred` (SigV4, like any admin call);
/// returns the redb file's bytes.
pub fn fetch(addr: SocketAddr, cred: &crate::settings::AdminCredential) -> anyhow::Result<Vec<u8>> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .with_context(|| format!("connecting to the admin port {addr}"))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let host = addr.to_string();
    let (amz_date, authorization) = crate::admin::sigv4::sign(
        &cred.access_key_id,
        &cred.secret_access_key,
        "POST",
        BACKUP_PATH,
        &host,
        b"",
        now,
    );
    write!(
        s,
        "POST {BACKUP_PATH} HTTP/1.1\r\nHost: {host}\r\nX-Amz-Date: {amz_date}\r\nAuthorization: {authorization}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .with_context(|| format!("reading the backup from {addr}"))?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("the admin port sent no HTTP response")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("the admin port sent no status")?;
    let mut body = raw[end + 4..].to_vec();
    let length = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    });
    if let Some(n) = length {
        if body.len() < n {
            bail!("the backup was cut short ({} of {n} bytes)", body.len());
        }
        body.truncate(n);
    }
    if status != 200 {
        bail!(
            "the gateway refused the backup ({status}): {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(body)
}
