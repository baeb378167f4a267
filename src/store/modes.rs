//! Who may read and write the data directory: its owner only.
//!
//! The store holds API-key values and the private keys of generated client certificates, and the
//! data directory also holds the generated admin credentials. Invariants:
//! - every directory Tollgate creates there (the data directory itself, a backup's directory, the
//!   temporary directory of a backup served over the admin port) is 0700, and every file it
//!   creates is 0600, whatever the process umask: modes are given at creation and set again with
//!   `chmod`, because a umask only removes bits (a umask of 0277 would leave 0400, unwritable);
//! - at start (`secure`), an existing directory or file in it that other users can WRITE refuses
//!   the start: someone else may already have changed the store or planted credentials, so
//!   tightening it silently would hide that; the operator checks the contents and runs the `chmod`
//!   the message names;
//! - one that other users can only READ (an older Tollgate's 0755/0644, systemd's default
//!   `StateDirectoryMode=0755`) is tightened in place and reported: nothing was changed by anyone
//!   else, and every further minute it stays readable leaks the secrets, so the safe fix is the
//!   only fix.
//!
//! Only the data directory and its direct entries are inspected: that is everything Tollgate
//! writes there. A link AS the data directory is followed (systemd's `DynamicUser=` makes the
//! state directory a link into `/var/lib/private`); links IN it are skipped: Tollgate creates
//! none, and `chmod` through one would change whatever file it points at.

use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The mode of every directory Tollgate creates in (and as) the data directory.
pub const DIR_MODE: u32 = 0o700;
/// The mode of every file Tollgate creates there.
pub const FILE_MODE: u32 = 0o600;
/// The permission bits of group and other users.
const OTHERS: u32 = 0o077;
/// The write bits of group and other users.
const OTHERS_WRITE: u32 = 0o022;

/// A directory or file that users other than its owner may read or write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loose {
    pub path: PathBuf,
    /// The permission bits found (`st_mode & 0o7777`).
    pub mode: u32,
    pub is_dir: bool,
}

impl Loose {
    /// Group or other users can write it: a start is refused.
    pub fn writable(&self) -> bool {
        self.mode & OTHERS_WRITE != 0
    }

    /// The mode `secure` sets: the owner's bits kept, group's and others' cleared.
    pub fn tightened(&self) -> u32 {
        self.mode & !OTHERS
    }

    /// The command that fixes it.
    pub fn fix(&self) -> String {
        let mode = if self.is_dir { DIR_MODE } else { FILE_MODE };
        format!("chmod {mode:o} {}", self.path.display())
    }

    fn what(&self) -> &'static str {
        if self.is_dir {
            "directory"
        } else {
            "file"
        }
    }
}

impl fmt::Display for Loose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = if self.writable() {
            "writable"
        } else {
            "readable"
        };
        write!(
            f,
            "data {} {} has mode {:04o}: {who} by other users (fix: `{}`)",
            self.what(),
            self.path.display(),
            self.mode,
            self.fix()
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ModeError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "refusing to start: other users can write to the data directory, so the store or the \
         admin credentials may have been changed by someone else. Check its contents, then fix \
         the modes:\n{}",
        list(.0)
    )]
    Writable(Vec<Loose>),
}

fn list(loose: &[Loose]) -> String {
    let lines: Vec<String> = loose.iter().map(|l| format!("  {l}")).collect();
    lines.join("\n")
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ModeError + '_ {
    move |source| ModeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `dir` (and missing parents) with mode 0700 if it does not exist; an existing
/// directory is left as it is (`secure` judges the data directory; a backup goes wherever the
/// operator points it).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
}

/// Creates a new, empty file with mode 0600; fails if it exists.
pub fn create_file(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Opens `path` for writing, truncated, with mode 0600 (set even when the file existed).
pub fn overwrite_file(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// The data directory and its entries that other users may read or write; empty when `dir` does
/// not exist. Changes nothing (what `tollgate check` and `tollgate backup` report).
pub fn inspect(dir: &Path) -> io::Result<Vec<Loose>> {
    let meta = match fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut loose = Vec::new();
    judge(dir.to_path_buf(), &meta, &mut loose);
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        match fs::symlink_metadata(&path) {
            Ok(meta) => judge(path, &meta, &mut loose),
            // Removed since read_dir listed it: nothing to protect.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(loose)
}

fn judge(path: PathBuf, meta: &fs::Metadata, out: &mut Vec<Loose>) {
    let mode = meta.permissions().mode() & 0o7777;
    if (meta.is_dir() || meta.is_file()) && mode & OTHERS != 0 {
        out.push(Loose {
            path,
            mode,
            is_dir: meta.is_dir(),
        });
    }
}

/// Makes the data directory private before the store opens: creates it 0700 if missing, refuses
/// (`Writable`) if other users can write it or anything in it, and tightens what they can only
/// read. Returns what it tightened, for the start-up log.
pub fn secure(dir: &Path) -> Result<Vec<Loose>, ModeError> {
    create_dir(dir).map_err(io_err(dir))?;
    let loose = inspect(dir).map_err(io_err(dir))?;
    let writable: Vec<Loose> = loose.iter().filter(|l| l.writable()).cloned().collect();
    if !writable.is_empty() {
        return Err(ModeError::Writable(writable));
    }
    for l in &loose {
        fs::set_permissions(&l.path, Permissions::from_mode(l.tightened()))
            .map_err(io_err(&l.path))?;
    }
    Ok(loose)
}

/// The start-up log line for one tightened entry.
pub fn describe_tightened(l: &Loose) -> String {
    format!(
        "data {} {} had mode {:04o} (readable by other users); tightened to {:04o}",
        l.what(),
        l.path.display(),
        l.mode,
        l.tightened()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    fn chmod(p: &Path, m: u32) {
        fs::set_permissions(p, Permissions::from_mode(m)).unwrap();
    }

    #[test]
    fn created_dirs_and_files_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), DIR_MODE);
        assert_eq!(mode(&tmp.path().join("a")) & OTHERS, 0, "parents too");
        let f = dir.join("f");
        create_file(&f).unwrap();
        assert_eq!(mode(&f), FILE_MODE);
        assert!(create_file(&f).is_err(), "create_file never reuses a file");
        chmod(&f, 0o644);
        overwrite_file(&f).unwrap();
        assert_eq!(mode(&f), FILE_MODE, "an existing file is tightened");
    }

    #[test]
    fn an_existing_backup_dir_keeps_its_mode() {
        let tmp = tempfile::tempdir().unwrap();
        chmod(tmp.path(), 0o755);
        create_dir(tmp.path()).unwrap();
        assert_eq!(mode(tmp.path()), 0o755);
    }

    #[test]
    fn missing_dir_is_created_and_clean() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        assert!(inspect(&dir).unwrap().is_empty());
        assert!(secure(&dir).unwrap().is_empty());
        assert_eq!(mode(&dir), DIR_MODE);
    }

    #[test]
    fn readable_entries_are_tightened_and_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        fs::create_dir(&dir).unwrap();
        let store = dir.join("tollgate.redb");
        fs::write(&store, b"x").unwrap();
        chmod(&dir, 0o755);
        chmod(&store, 0o644);
        let found = inspect(&dir).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(mode(&store), 0o644, "inspect changes nothing");
        let tightened = secure(&dir).unwrap();
        assert_eq!(tightened, found);
        assert_eq!((mode(&dir), mode(&store)), (0o700, 0o600));
        let line = describe_tightened(&tightened[1]);
        assert!(line.contains("had mode 0644") && line.contains("tightened to 0600"));
        assert!(secure(&dir).unwrap().is_empty(), "nothing left to do");
    }

    #[test]
    fn writable_dir_or_file_refuses_and_changes_nothing() {
        for (dir_mode, file_mode) in [(0o770, 0o600), (0o702, 0o600), (0o700, 0o620)] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("data");
            fs::create_dir(&dir).unwrap();
            let store = dir.join("tollgate.redb");
            fs::write(&store, b"x").unwrap();
            let other = dir.join("admin.addr");
            fs::write(&other, b"x").unwrap();
            chmod(&other, 0o644);
            chmod(&dir, dir_mode);
            chmod(&store, file_mode);
            let err = secure(&dir).unwrap_err();
            let ModeError::Writable(found) = &err else {
                panic!("{err}")
            };
            assert_eq!(found.len(), 1, "only the writable entry: {found:?}");
            let text = err.to_string();
            assert!(text.contains("refusing to start"), "{text}");
            let fix = if dir_mode != 0o700 {
                format!("chmod 700 {}", dir.display())
            } else {
                format!("chmod 600 {}", store.display())
            };
            assert!(text.contains(&fix), "{text}");
            assert_eq!(mode(&dir), dir_mode);
            assert_eq!(mode(&other), 0o644, "nothing tightened on refusal");
        }
    }

    #[test]
    fn links_in_the_data_dir_are_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        fs::write(&outside, b"x").unwrap();
        chmod(&outside, 0o644);
        let dir = tmp.path().join("data");
        fs::create_dir(&dir).unwrap();
        chmod(&dir, 0o700);
        std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap();
        assert!(secure(&dir).unwrap().is_empty());
        assert_eq!(mode(&outside), 0o644, "a link's target is left alone");
        // A link as the data dir is followed: that is the directory the store lives in.
        let linked = tmp.path().join("linked");
        std::os::unix::fs::symlink(&dir, &linked).unwrap();
        chmod(&dir, 0o750);
        assert_eq!(secure(&linked).unwrap().len(), 1);
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn sticky_and_owner_bits_are_kept_when_tightening() {
        let l = Loose {
            path: "d".into(),
            mode: 0o1755,
            is_dir: true,
        };
        assert!(!l.writable());
        assert_eq!(l.tightened(), 0o1700);
    }
}
