//! First-start admin credentials: when neither the config file nor the environment names any,
//! Tollgate generates one read-write pair and keeps it in `{data_dir}/admin-credentials`, in the
//! aws CLI's credentials-file format under profile `[tollgate]`, so
//! `AWS_SHARED_CREDENTIALS_FILE=... aws --profile tollgate` works as is.
//!
//! Invariants: configured credentials always win and then no file is read or written; the file is
//! created with mode 0600 (never readable by others, not even briefly: it is created with that
//! mode, written, synced, then renamed into place); a later start reuses it unchanged; the secret
//! comes from the OS CSPRNG (`/dev/urandom`), never from a seeded PRNG.

use crate::settings::{AdminCredential, Settings};
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "admin-credentials";
pub const PROFILE: &str = "tollgate";

/// Where the key ring came from, for the start-up log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// From the config file and/or the environment pair.
    Configured,
    /// Read from an earlier start's generated file.
    Reused(PathBuf),
    /// Generated now and written to this file.
    Generated(PathBuf),
}

impl Source {
    /// One line for stderr; names the file, never the secret.
    pub fn describe(&self, count: usize) -> String {
        match self {
            Source::Configured => format!("admin credentials: {count} configured"),
            Source::Reused(p) => format!(
                "admin credentials: using {} (profile [{PROFILE}])",
                p.display()
            ),
            Source::Generated(p) => format!(
                "admin credentials: none configured; generated a read-write pair in {} \
                 (mode 0600, profile [{PROFILE}])",
                p.display()
            ),
        }
    }
}

/// The credentials to run with: the configured ones, else the data dir's file, else a new pair
/// written there.
pub fn admin_credentials(settings: &Settings) -> io::Result<(Vec<AdminCredential>, Source)> {
    if !settings.admin_credentials.is_empty() {
        return Ok((settings.admin_credentials.clone(), Source::Configured));
    }
    let path = settings.data_dir.join(FILE_NAME);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let cred = parse_file(&text).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} has no [{PROFILE}] aws_access_key_id / aws_secret_access_key",
                        path.display()
                    ),
                )
            })?;
            Ok((vec![cred], Source::Reused(path)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let cred = generate()?;
            write_file(&path, &cred)?;
            Ok((vec![cred], Source::Generated(path)))
        }
        Err(e) => Err(e),
    }
}

/// `AKIA` + 16 of `[A-Z0-9]`, and a 40-character secret of the base64 alphabet, as AWS issues.
pub fn generate() -> io::Result<AdminCredential> {
    const KEY_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut urandom = fs::File::open("/dev/urandom")?;
    let mut pick = |alphabet: &[u8], n: usize| -> io::Result<String> {
        let mut out = String::with_capacity(n);
        let mut byte = [0u8; 1];
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % alphabet.len();
        while out.len() < n {
            urandom.read_exact(&mut byte)?;
            if usize::from(byte[0]) < limit {
                out.push(char::from(alphabet[usize::from(byte[0]) % alphabet.len()]));
            }
        }
        Ok(out)
    };
    Ok(AdminCredential {
        access_key_id: format!("AKIA{}", pick(KEY_CHARS, 16)?),
        secret_access_key: pick(SECRET_CHARS, 40)?,
        read_only: false,
    })
}

/// The file's text: the aws CLI credentials format.
pub fn render(cred: &AdminCredential) -> String {
    format!(
        "# Tollgate admin credentials, generated on first start. Use with:\n\
         #   AWS_SHARED_CREDENTIALS_FILE=<this file> aws --profile {PROFILE} apigateway ... \
         --endpoint-url http://<admin address>\n\
         [{PROFILE}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        cred.access_key_id, cred.secret_access_key
    )
}

/// Reads `[tollgate]`'s key pair from a credentials file (the format `render` writes, or an
/// operator's edit of it: comments, blank lines, other profiles, spacing around `=`).
pub fn parse_file(text: &str) -> Option<AdminCredential> {
    let (mut section, mut id, mut secret) = (String::new(), None, None);
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if section != PROFILE {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "aws_access_key_id" => id = Some(v.trim().to_string()),
                "aws_secret_access_key" => secret = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    Some(AdminCredential {
        access_key_id: id.filter(|s| !s.is_empty())?,
        secret_access_key: secret.filter(|s| !s.is_empty())?,
        read_only: false,
    })
}

fn write_file(path: &Path, cred: &AdminCredential) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::store::modes::create_dir(dir)?;
    let tmp = path.with_extension("tmp");
    // A leftover from a start that died mid-write holds no acknowledged secret.
    let _ = fs::remove_file(&tmp);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(render(cred).as_bytes())?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    // Make the rename itself durable, so a crash cannot bring back "no file" after we logged it.
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn settings(dir: &Path, creds: Vec<AdminCredential>) -> Settings {
        let mut s = Settings::parse("", "t").unwrap();
        s.data_dir = dir.join("data");
        s.admin_credentials = creds;
        s
    }

    #[test]
    fn generated_pairs_look_like_aws_keys() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.access_key_id.len(), 20);
        assert!(a.access_key_id.starts_with("AKIA"));
        assert!(a.access_key_id[4..]
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_eq!(a.secret_access_key.len(), 40);
        assert!(a
            .secret_access_key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/'));
        assert!(!a.read_only);
    }

    #[test]
    fn first_start_writes_0600_and_later_starts_reuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), Vec::new());
        let (first, src) = admin_credentials(&s).unwrap();
        let path = s.data_dir.join(FILE_NAME);
        assert_eq!(src, Source::Generated(path.clone()));
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!src.describe(1).contains(&first[0].secret_access_key));
        let (again, src) = admin_credentials(&s).unwrap();
        assert_eq!(src, Source::Reused(path.clone()));
        assert_eq!(again, first);
        assert_eq!(
            parse_file(&fs::read_to_string(&path).unwrap()),
            Some(first[0].clone())
        );
    }

    #[test]
    fn configured_credentials_win_and_no_file_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let cred = AdminCredential {
            access_key_id: "AKIDCONFIGURED".into(),
            secret_access_key: "s".into(),
            read_only: true,
        };
        let s = settings(dir.path(), vec![cred.clone()]);
        assert_eq!(
            admin_credentials(&s).unwrap(),
            (vec![cred], Source::Configured)
        );
        assert!(!s.data_dir.join(FILE_NAME).exists());
    }

    #[test]
    fn parses_edited_files_and_refuses_broken_ones() {
        let text = "[default]\naws_access_key_id=OTHER\n\n# note\n[ tollgate ]\n  aws_secret_access_key =  S/x+y  \naws_access_key_id= AKIAX\n";
        let c = parse_file(text).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.as_str()),
            ("AKIAX", "S/x+y")
        );
        assert_eq!(
            parse_file("[default]\naws_access_key_id=a\naws_secret_access_key=b\n"),
            None
        );
        assert_eq!(parse_file("[tollgate]\naws_access_key_id=a\n"), None);
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), Vec::new());
        fs::create_dir_all(&s.data_dir).unwrap();
        fs::write(s.data_dir.join(FILE_NAME), "garbage").unwrap();
        assert!(admin_credentials(&s).is_err());
    }
}
