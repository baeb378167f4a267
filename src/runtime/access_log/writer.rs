//! The writer thread: takes the workers' blocks, writes each record to its destination (opened
//! on first use), gives the block back. Files are appended with one buffered write per block,
//! rotated by size (`NAME.log` -> `NAME.log.1` ... `NAME.log.{keep}`), and reopened on SIGHUP
//! so logrotate's rename-then-HUP works. A destination that fails is retried at most once a
//! second; its lines meanwhile are counted, not written.
//!
//! A block is a sequence of records: destination id (u32 LE), length (u32 LE), the line
//! (without its newline).

use super::{DestId, REOPEN, WRITE_ERRORS, WRITTEN};
use crate::settings::LogTarget;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const RETRY: Duration = Duration::from_secs(1);

/// Opens `path` for appending, creating it (and its folder).
pub(super) fn open_file(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

/// Splits a block into its records.
pub fn records(mut b: &[u8]) -> impl Iterator<Item = (DestId, &[u8])> {
    std::iter::from_fn(move || {
        if b.len() < 8 {
            return None;
        }
        let dest = u32::from_le_bytes(b[0..4].try_into().ok()?);
        let len = u32::from_le_bytes(b[4..8].try_into().ok()?) as usize;
        let line = b.get(8..8 + len)?;
        b = &b[8 + len..];
        Some((DestId(dest), line))
    })
}

enum Out {
    File {
        path: PathBuf,
        w: io::BufWriter<File>,
        size: u64,
    },
    Stdout(io::Stdout),
    Stderr(io::Stderr),
    Syslog {
        sock: UnixDatagram,
        path: PathBuf,
    },
}

struct Sink {
    out: Option<Out>,
    target: LogTarget,
    /// When opening last failed (retry after `RETRY`).
    failed: Option<Instant>,
}

impl Sink {
    fn open(&mut self) {
        if self.out.is_some() || self.failed.is_some_and(|t| t.elapsed() < RETRY) {
            return;
        }
        let opened = match &self.target {
            LogTarget::Stdout => Ok(Out::Stdout(io::stdout())),
            LogTarget::File(path) => open_file(path).map(|f| Out::File {
                size: f.metadata().map_or(0, |m| m.len()),
                w: io::BufWriter::with_capacity(64 * 1024, f),
                path: path.clone(),
            }),
            // Non-blocking: a syslog daemon that falls behind costs lines (counted), never the
            // writer's progress on the other destinations.
            LogTarget::Syslog(path) => UnixDatagram::unbound()
                .and_then(|sock| sock.set_nonblocking(true).map(|()| sock))
                .map(|sock| Out::Syslog {
                    sock,
                    path: path.clone(),
                }),
        };
        match opened {
            Ok(o) => {
                self.out = Some(o);
                self.failed = None;
            }
            Err(e) => {
                if self.failed.is_none() {
                    eprintln!("access log: cannot open {:?}: {e}", self.target);
                }
                self.failed = Some(Instant::now());
            }
        }
    }

    fn write(&mut self, line: &[u8], rotate: (u64, usize)) {
        self.open();
        let result = match &mut self.out {
            None => Err(io::Error::other("not open")),
            Some(Out::File { path, w, size }) => {
                if rotate.0 > 0 && *size > 0 && *size + line.len() as u64 + 1 > rotate.0 {
                    let _ = w.flush();
                    rotate_files(path, rotate.1);
                    self.out = None;
                    self.failed = None;
                    self.open();
                }
                match &mut self.out {
                    Some(Out::File { w, size, .. }) => {
                        *size += line.len() as u64 + 1;
                        w.write_all(line).and_then(|()| w.write_all(b"\n"))
                    }
                    _ => Err(io::Error::other("not open")),
                }
            }
            Some(Out::Stdout(s)) => {
                let mut l = s.lock();
                l.write_all(line).and_then(|()| l.write_all(b"\n"))
            }
            Some(Out::Stderr(s)) => {
                let mut l = s.lock();
                l.write_all(line).and_then(|()| l.write_all(b"\n"))
            }
            Some(Out::Syslog { sock, path }) => {
                sock.send_to(&syslog_datagram(line), &*path).map(drop)
            }
        };
        match result {
            Ok(()) => {
                WRITTEN.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                WRITE_ERRORS.fetch_add(1, Ordering::Relaxed);
                // A destination that failed is reopened on a later line (after RETRY); a full
                // syslog queue only loses this line.
                if e.kind() != io::ErrorKind::WouldBlock
                    && self.out.is_some()
                    && !matches!(self.target, LogTarget::Stdout)
                {
                    self.out = None;
                    self.failed = Some(Instant::now());
                }
            }
        }
    }

    fn flush(&mut self) {
        let failed = match &mut self.out {
            Some(Out::File { w, .. }) => w.flush().is_err(),
            Some(Out::Stdout(s)) => s.flush().is_err(),
            _ => false,
        };
        if failed {
            WRITE_ERRORS.fetch_add(1, Ordering::Relaxed);
            self.out = None;
            self.failed = Some(Instant::now());
        }
    }

    fn reopen(&mut self) {
        self.flush();
        if matches!(self.out, Some(Out::File { .. })) {
            self.out = None;
            self.failed = None;
        }
    }
}

/// `NAME.log.{keep-1}` -> `.{keep}` ... `NAME.log` -> `NAME.log.1` (the oldest is replaced).
fn rotate_files(path: &Path, keep: usize) {
    let numbered = |n: usize| {
        let mut p = path.as_os_str().to_owned();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    };
    for n in (1..keep).rev() {
        let _ = std::fs::rename(numbered(n), numbered(n + 1));
    }
    let _ = std::fs::rename(path, numbered(1));
}

/// RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`, facility local0, severity info.
fn syslog_datagram(line: &[u8]) -> Vec<u8> {
    let t = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let mut d = format!("<134>1 {stamp} - tollgate {} - - ", std::process::id()).into_bytes();
    d.extend_from_slice(line);
    d
}

pub(super) fn run(rx: Receiver<super::Block>) {
    let mut sinks: HashMap<DestId, Sink> = HashMap::new();
    let mut stderr = Sink {
        out: Some(Out::Stderr(io::stderr())),
        target: LogTarget::Stdout,
        failed: None,
    };
    loop {
        let first = match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(b) => Some(b),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if REOPEN.swap(false, Ordering::SeqCst) {
            for (dest, s) in sinks.iter_mut() {
                // A reload may have moved the group elsewhere (`reconfigure`).
                let target = super::target(*dest).unwrap_or(LogTarget::Stdout);
                if target == s.target {
                    s.reopen();
                } else {
                    s.flush();
                    *s = Sink {
                        out: None,
                        target,
                        failed: None,
                    };
                }
            }
        }
        let rotate = super::rotation();
        let mut next = first;
        while let Some(block) = next {
            for (dest, line) in records(&block.buf) {
                if dest == DestId::STDERR {
                    stderr.write(line, (0, 1));
                    continue;
                }
                let sink = sinks.entry(dest).or_insert_with(|| Sink {
                    out: None,
                    target: super::target(dest).unwrap_or(LogTarget::Stdout),
                    failed: None,
                });
                sink.write(line, rotate);
            }
            super::give_back(block.core, block.buf);
            next = rx.try_recv().ok();
        }
        for s in sinks.values_mut() {
            s.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_split_into_their_records() {
        let mut b = Vec::new();
        for (dest, line) in [(1u32, &b"a b"[..]), (0, b""), (7, b"x")] {
            b.extend_from_slice(&dest.to_le_bytes());
            b.extend_from_slice(&(line.len() as u32).to_le_bytes());
            b.extend_from_slice(line);
        }
        let got: Vec<(u32, &[u8])> = records(&b).map(|(d, l)| (d.0, l)).collect();
        assert_eq!(got, [(1, &b"a b"[..]), (0, b""), (7, b"x")]);
        // A torn tail is not a record.
        assert_eq!(records(&b[..b.len() - 1]).count(), 2);
    }

    #[test]
    fn rotation_shifts_numbered_files_and_drops_the_oldest() {
        let dir = std::env::temp_dir().join(format!("tollgate-rotate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("g.log");
        for gen in 0..4 {
            std::fs::write(&log, format!("{gen}")).unwrap();
            rotate_files(&log, 2);
        }
        let read = |n: usize| std::fs::read_to_string(dir.join(format!("g.log.{n}"))).ok();
        assert_eq!(read(1).as_deref(), Some("3"));
        assert_eq!(read(2).as_deref(), Some("2"));
        assert_eq!(read(3), None);
        assert!(!log.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
