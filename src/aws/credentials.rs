//! The gateway's own AWS credentials, found the way the AWS SDKs find them, with Tollgate's
//! config first:
//! 1. `[aws]` in `tollgate.toml` (`access_key_id`, `secret_access_key`, `session_token`): what
//!    the operator wrote for this gateway wins, as explicit client configuration does in an SDK;
//! 2. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
//! 3. the shared files: the profile `AWS_PROFILE` names (else `default`) in the credentials file
//!    (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), then in the config file
//!    (`AWS_CONFIG_FILE`, else `~/.aws/config`, where it is `[profile NAME]` but `[default]`).
//!
//! Found once at start. None found is not an error here: a call that needs them fails with 500
//! and a log line saying where the gateway looked (`Missing::describe`), never a panic, and no
//! secret is ever logged (`Credentials`' `Debug` redacts it).

use std::path::{Path, PathBuf};

pub use super::sigv4::sign::Credentials;

/// Where credentials came from, for the startup log line (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Config,
    Environment,
    SharedFile(PathBuf, String),
}

/// Explicit credentials from `tollgate.toml`'s `[aws]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Explicit {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

/// What the chain reads from the process: an environment lookup and the home folder, so tests
/// can give their own.
pub struct Lookup<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub home: Option<PathBuf>,
}

impl Lookup<'_> {
    fn var(&self, k: &str) -> Option<String> {
        (self.env)(k).filter(|v| !v.is_empty())
    }
}

/// The process's own environment and home.
pub fn process_lookup() -> Lookup<'static> {
    Lookup {
        env: &|k| std::env::var(k).ok(),
        home: std::env::var_os("HOME").map(PathBuf::from),
    }
}

/// The first credentials the chain finds.
pub fn resolve(explicit: &Explicit, lookup: &Lookup<'_>) -> Option<(Credentials, Source)> {
    if let (Some(id), Some(secret)) = (&explicit.access_key_id, &explicit.secret_access_key) {
        return Some((
            Credentials {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
                session_token: explicit.session_token.clone(),
            },
            Source::Config,
        ));
    }
    if let (Some(id), Some(secret)) = (
        lookup.var("AWS_ACCESS_KEY_ID"),
        lookup.var("AWS_SECRET_ACCESS_KEY"),
    ) {
        return Some((
            Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: lookup.var("AWS_SESSION_TOKEN"),
            },
            Source::Environment,
        ));
    }
    let profile = lookup
        .var("AWS_PROFILE")
        .unwrap_or_else(|| "default".into());
    let home = lookup.home.as_deref();
    let files = [
        (
            lookup
                .var("AWS_SHARED_CREDENTIALS_FILE")
                .map(PathBuf::from)
                .or_else(|| home.map(|h| h.join(".aws/credentials"))),
            profile.clone(),
        ),
        (
            lookup
                .var("AWS_CONFIG_FILE")
                .map(PathBuf::from)
                .or_else(|| home.map(|h| h.join(".aws/config"))),
            if profile == "default" {
                profile.clone()
            } else {
                format!("profile {profile}")
            },
        ),
    ];
    for (path, section) in files {
        let Some(path) = path else { continue };
        if let Some(c) = from_file(&path, &section) {
            return Some((c, Source::SharedFile(path, profile)));
        }
    }
    None
}

/// The keys of `[section]` in an INI-style AWS file.
fn from_file(path: &Path, section: &str) -> Option<Credentials> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut in_section = false;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = name.trim() == section;
            continue;
        }
        if !in_section {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = Some(v.trim().to_string()).filter(|v| !v.is_empty());
        match k.trim() {
            "aws_access_key_id" => id = v,
            "aws_secret_access_key" => secret = v,
            "aws_session_token" => token = v,
            _ => {}
        }
    }
    Some(Credentials {
        access_key_id: id?,
        secret_access_key: secret?,
        session_token: token,
    })
}

/// The log line for a call that needed credentials and found none.
pub fn missing_message() -> &'static str {
    "no AWS credentials: set [aws] access_key_id and secret_access_key in tollgate.toml, or \
     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials \
     (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE), then restart"
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup<'a>(env: &'a HashMap<&str, String>, home: Option<PathBuf>) -> Lookup<'a> {
        Lookup {
            env: Box::leak(Box::new(move |k: &str| env.get(k).cloned())),
            home,
        }
    }

    #[test]
    fn config_then_environment_then_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
        std::fs::write(
            dir.path().join(".aws/credentials"),
            "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n\n[other]\naws_access_key_id=OTHER\naws_secret_access_key=o\naws_session_token = t\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(".aws/config"),
            "[profile cfgonly]\naws_access_key_id = CFG\naws_secret_access_key = c\n",
        )
        .unwrap();
        let home = Some(dir.path().to_path_buf());
        let mut env = HashMap::new();
        let none = Explicit::default();

        let (c, s) = resolve(&none, &lookup(&env, home.clone())).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), s.clone()),
            (
                "FILEKEY",
                Source::SharedFile(dir.path().join(".aws/credentials"), "default".into())
            )
        );

        env.insert("AWS_PROFILE", "other".to_string());
        let (c, _) = resolve(&none, &lookup(&env, home.clone())).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.session_token.as_deref()),
            ("OTHER", Some("t"))
        );

        env.insert("AWS_PROFILE", "cfgonly".to_string());
        let (c, _) = resolve(&none, &lookup(&env, home.clone())).unwrap();
        assert_eq!(c.access_key_id, "CFG");

        env.insert("AWS_ACCESS_KEY_ID", "ENVKEY".to_string());
        env.insert("AWS_SECRET_ACCESS_KEY", "envsecret".to_string());
        let (c, s) = resolve(&none, &lookup(&env, home.clone())).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), s),
            ("ENVKEY", Source::Environment)
        );

        let explicit = Explicit {
            access_key_id: Some("CONF".into()),
            secret_access_key: Some("confsecret".into()),
            session_token: None,
        };
        let (c, s) = resolve(&explicit, &lookup(&env, home)).unwrap();
        assert_eq!((c.access_key_id.as_str(), s), ("CONF", Source::Config));
    }

    #[test]
    fn nothing_found_is_none() {
        let env = HashMap::new();
        let dir = tempfile::tempdir().unwrap();
        assert!(resolve(&Explicit::default(), &lookup(&env, Some(dir.path().into()))).is_none());
        // A key id without its secret is not credentials.
        let half = Explicit {
            access_key_id: Some("A".into()),
            ..Explicit::default()
        };
        assert!(resolve(&half, &lookup(&env, None)).is_none());
    }
}
