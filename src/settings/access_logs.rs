//! `[access_logs]`: where each CloudWatch log group named by a stage's
//! `accessLogSettings.destinationArn` is written on this host, and how the files are kept.
//!
//! ```text
//! [access_logs]
//! buffer_bytes = 1048576      # per worker; a full buffer drops lines (and counts them)
//! rotate_bytes = 104857600    # a file is rotated past this size (0: never)
//! keep = 5                    # rotated files kept: NAME.log.1 .. NAME.log.5
//! [access_logs.groups]
//! "api-access" = "stdout"
//! "audit" = "syslog"                        # /dev/log (RFC 5424 datagrams)
//! "edge" = "syslog:/run/systemd/journal/syslog"
//! "billing" = "/var/log/tollgate/billing.log"
//! ```
//!
//! A group not named here is appended to `{data_dir}/logs/{group}.log`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccessLogsFile {
    buffer_bytes: Option<usize>,
    rotate_bytes: Option<u64>,
    keep: Option<usize>,
    #[serde(default)]
    groups: BTreeMap<String, String>,
}

/// Where one log group's lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    File(PathBuf),
    Stdout,
    /// A syslog datagram socket (`/dev/log` by default).
    Syslog(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogSettings {
    pub buffer_bytes: usize,
    pub rotate_bytes: u64,
    pub keep: usize,
    pub groups: BTreeMap<String, LogTarget>,
}

impl Default for AccessLogSettings {
    fn default() -> AccessLogSettings {
        AccessLogSettings {
            buffer_bytes: 1 << 20,
            rotate_bytes: 100 << 20,
            keep: 5,
            groups: BTreeMap::new(),
        }
    }
}

pub(super) fn validate(file: AccessLogsFile) -> Result<AccessLogSettings, String> {
    let d = AccessLogSettings::default();
    let buffer_bytes = file.buffer_bytes.unwrap_or(d.buffer_bytes);
    if !(1024..=(1 << 30)).contains(&buffer_bytes) {
        return Err("buffer_bytes must be between 1024 and 1 GiB".into());
    }
    let keep = file.keep.unwrap_or(d.keep);
    if !(1..=100).contains(&keep) {
        return Err("keep must be between 1 and 100".into());
    }
    let mut groups = BTreeMap::new();
    for (name, to) in file.groups {
        let target = match to.as_str() {
            "stdout" => LogTarget::Stdout,
            "syslog" => LogTarget::Syslog(PathBuf::from("/dev/log")),
            s if s.starts_with("syslog:") && s.len() > 7 => LogTarget::Syslog(PathBuf::from(&s[7..])),
            s if s.starts_with('/') => LogTarget::File(PathBuf::from(s)),
            s => {
                return Err(format!(
                    "groups.{name}: \"{s}\" is not stdout, syslog, syslog:SOCKET or an absolute file path"
                ))
            }
        };
        groups.insert(name, target);
    }
    Ok(AccessLogSettings {
        buffer_bytes,
        rotate_bytes: file.rotate_bytes.unwrap_or(d.rotate_bytes),
        keep,
        groups,
    })
}
