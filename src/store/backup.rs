//! Backup and restore of the store: a consistent copy of every table, taken in one read
//! transaction, written as a fresh redb file `{dir}/tollgate.redb`.
//!
//! redb locks its file: while a gateway runs, no second process can open the database (not even
//! read-only), and a raw copy of the file could mix pages of two commits. So a running gateway is
//! backed up by itself (`Store::backup_bytes`, served by the admin API at `POST /tollgate/backup`),
//! and a stopped one by `backup_offline`. Both copy table by table through `TABLES`; a table the
//! database holds but `TABLES` does not name fails the backup loudly rather than dropping data
//! (each new table adds one line there; a unit test checks a fresh store is fully covered).
//! `restore` (gateway stopped) checks the backup's schema version, then swaps the file in with
//! a rename, keeping the replaced file beside it.
//!
//! A backup holds every secret the store does, so it is written 0600 (its directory 0700 when
//! this creates it; an existing directory keeps its mode) whatever the umask (`super::modes`).

use super::schema::{
    ACCOUNT, API_KEYS, API_KEY_VALUES, DEPLOYMENTS, META, QUOTA_GRANTS, REST_APIS, STAGES, USAGE,
    USAGE_PLANS, USAGE_PLAN_KEYS,
};
use super::{db_err, modes, Store, StoreError, FILE_NAME, SCHEMA_VERSION};
use redb::{
    Database, DatabaseError, Key, MultimapTableHandle, ReadTransaction, ReadableDatabase,
    ReadableTable, TableDefinition, TableHandle, Value, WriteTransaction,
};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

type Copier = fn(&ReadTransaction, &WriteTransaction) -> Result<(), StoreError>;

/// Every table of the store and how to copy it. Add a line for each new table.
const TABLES: &[(&str, Copier)] = &[
    ("meta", |r, w| copy(r, w, META)),
    ("rest_apis", |r, w| copy(r, w, REST_APIS)),
    ("deployments", |r, w| copy(r, w, DEPLOYMENTS)),
    ("stages", |r, w| copy(r, w, STAGES)),
    ("api_keys", |r, w| copy(r, w, API_KEYS)),
    ("api_key_values", |r, w| copy(r, w, API_KEY_VALUES)),
    ("usage_plans", |r, w| copy(r, w, USAGE_PLANS)),
    ("usage_plan_keys", |r, w| copy(r, w, USAGE_PLAN_KEYS)),
    ("usage", |r, w| copy(r, w, USAGE)),
    ("quota_grants", |r, w| copy(r, w, QUOTA_GRANTS)),
    ("account_resources", |r, w| copy(r, w, ACCOUNT)),
];

/// The name kept for the file a restore replaced.
pub const REPLACED_SUFFIX: &str = "before-restore";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("the database is open in another process (is the gateway running?)")]
    InUse,
    #[error("no database at {0}")]
    Missing(PathBuf),
    #[error("{0} already exists; choose an empty directory")]
    Exists(PathBuf),
    #[error("table {0} is not covered by backup (add it to store::backup::TABLES)")]
    Uncovered(String),
    #[error(
        "the backup has schema version {found}, newer than this Tollgate supports ({supported})"
    )]
    NewerSchema { found: u64, supported: u64 },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn copy<K: Key + 'static, V: Value + 'static>(
    src: &ReadTransaction,
    dst: &WriteTransaction,
    def: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    let from = match src.open_table(def) {
        Ok(t) => t,
        // A table this build knows but the source never created (an older file): nothing to copy.
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(e) => return Err(db_err(e)),
    };
    let mut to = dst.open_table(def).map_err(db_err)?;
    for entry in from.iter().map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        to.insert(k.value(), v.value()).map_err(db_err)?;
    }
    Ok(())
}

/// Copies every table visible to `src` into a new database at `dest` (which must not exist).
fn copy_all(src: &ReadTransaction, dest: &Path) -> Result<(), BackupError> {
    for t in src.list_tables().map_err(db_err)? {
        if !TABLES.iter().any(|(name, _)| *name == t.name()) {
            return Err(BackupError::Uncovered(t.name().to_string()));
        }
    }
    if let Some(t) = src.list_multimap_tables().map_err(db_err)?.next() {
        return Err(BackupError::Uncovered(t.name().to_string()));
    }
    // redb would create the file with the umask's mode: it gets a new, private one.
    modes::create_file(dest).map_err(io_err(dest))?;
    let db = Database::create(dest).map_err(db_err)?;
    let txn = db.begin_write().map_err(db_err)?;
    for (_, copier) in TABLES {
        copier(src, &txn)?;
    }
    txn.commit().map_err(db_err)?;
    Ok(())
}

/// Writes a backup of `src` as `{dir}/tollgate.redb` through a temporary name, so a crash never
/// leaves a half-written file under the final name.
fn write_backup(src: &ReadTransaction, dir: &Path) -> Result<PathBuf, BackupError> {
    modes::create_dir(dir).map_err(io_err(dir))?;
    let dest = dir.join(FILE_NAME);
    if dest.exists() {
        return Err(BackupError::Exists(dest));
    }
    let tmp = dir.join(format!("{FILE_NAME}.partial"));
    let _ = fs::remove_file(&tmp);
    let result = copy_all(src, &tmp);
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
    sync_dir(dir)?;
    Ok(dest)
}

impl Store {
    /// A consistent backup of the open store as the bytes of a redb file (for the admin API).
    pub fn backup_bytes(&self) -> Result<Vec<u8>, BackupError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let parent = self.path.parent().unwrap_or(Path::new("."));
        let dir = parent.join(format!(".backup-{}", crate::deploy::ids::new_id(12)));
        let result =
            write_backup(&txn, &dir).and_then(|file| fs::read(&file).map_err(io_err(&file)));
        let _ = fs::remove_dir_all(&dir);
        result
    }

    /// A consistent backup of the open store written to `{dir}/tollgate.redb`.
    pub fn backup_to(&self, dir: &Path) -> Result<PathBuf, BackupError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        write_backup(&txn, dir)
    }
}

/// Opens `{data_dir}/tollgate.redb` for exclusive use, telling "in use" apart from other errors.
fn open_existing(path: &Path) -> Result<Database, BackupError> {
    if !path.exists() {
        return Err(BackupError::Missing(path.to_path_buf()));
    }
    match Database::open(path) {
        Ok(db) => Ok(db),
        Err(DatabaseError::DatabaseAlreadyOpen) => Err(BackupError::InUse),
        Err(e) => Err(db_err(e).into()),
    }
}

/// Backs up a data dir no process has open. `InUse` means a gateway runs on it: ask that
/// gateway instead (`POST /tollgate/backup`).
pub fn backup_offline(data_dir: &Path, dir: &Path) -> Result<PathBuf, BackupError> {
    let db = open_existing(&data_dir.join(FILE_NAME))?;
    let txn = db.begin_read().map_err(db_err)?;
    write_backup(&txn, dir)
}

/// Stores backup bytes (as received from a running gateway) as `{dir}/tollgate.redb`, after
/// checking they are a database this build can read.
pub fn write_backup_bytes(bytes: &[u8], dir: &Path) -> Result<PathBuf, BackupError> {
    modes::create_dir(dir).map_err(io_err(dir))?;
    let dest = dir.join(FILE_NAME);
    if dest.exists() {
        return Err(BackupError::Exists(dest));
    }
    let tmp = dir.join(format!("{FILE_NAME}.partial"));
    write_synced(&tmp, bytes)?;
    if let Err(e) = check_backup(&tmp) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
    sync_dir(dir)?;
    Ok(dest)
}

/// The schema version a backup file holds; refuses files newer than this build.
fn check_backup(file: &Path) -> Result<u64, BackupError> {
    let db = open_existing(file)?;
    let txn = db.begin_read().map_err(db_err)?;
    let meta = txn.open_table(META).map_err(db_err)?;
    let found = meta
        .get("schema_version")
        .map_err(db_err)?
        .map_or(0, |v| v.value());
    if found > SCHEMA_VERSION {
        return Err(BackupError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// Puts `{backup_dir}/tollgate.redb` in place as `{data_dir}/tollgate.redb`. The gateway must be
/// stopped (refused with `InUse` otherwise). A replaced database is kept as
/// `tollgate.redb.before-restore`. Returns the restored file's path.
pub fn restore(backup_dir: &Path, data_dir: &Path) -> Result<PathBuf, BackupError> {
    let src = backup_dir.join(FILE_NAME);
    check_backup(&src)?;
    modes::secure(data_dir).map_err(StoreError::from)?;
    let dest = data_dir.join(FILE_NAME);
    if dest.exists() {
        // Fails with InUse while a gateway holds it; the lock is released when `db` drops.
        drop(open_existing(&dest)?);
    }
    let tmp = data_dir.join(format!("{FILE_NAME}.restoring"));
    let bytes = fs::read(&src).map_err(io_err(&src))?;
    write_synced(&tmp, &bytes)?;
    if dest.exists() {
        let kept = data_dir.join(format!("{FILE_NAME}.{REPLACED_SUFFIX}"));
        fs::rename(&dest, &kept).map_err(io_err(&kept))?;
    }
    fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
    sync_dir(data_dir)?;
    // Opening as the gateway will (schema check, repair if needed) proves the result is usable.
    Store::open(data_dir)?;
    Ok(dest)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    let mut f = modes::overwrite_file(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::model::RestApi;
    use crate::store::Write;

    fn api(id: &str) -> RestApi {
        RestApi {
            id: id.into(),
            name: format!("api {id}"),
            ..RestApi::default()
        }
    }

    #[test]
    fn every_table_of_a_fresh_store_is_covered() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let txn = store.db.begin_read().unwrap();
        for t in txn.list_tables().unwrap() {
            assert!(
                TABLES.iter().any(|(n, _)| *n == t.name()),
                "table {} missing from TABLES",
                t.name()
            );
        }
    }

    #[test]
    fn backup_while_open_then_restore_elsewhere() {
        let live = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let fresh = tempfile::tempdir().unwrap();
        let store = Store::open(live.path()).unwrap();
        store
            .apply(&[Write::PutRestApi(api("a1")), Write::PutRestApi(api("a2"))])
            .unwrap();
        // A second opener is refused while the store is open: the reason for the admin route.
        assert!(matches!(
            backup_offline(live.path(), out.path()),
            Err(BackupError::InUse)
        ));
        let bytes = store.backup_bytes().unwrap();
        store.apply(&[Write::DeleteRestApi("a2".into())]).unwrap();
        write_backup_bytes(&bytes, out.path()).unwrap();
        assert!(matches!(
            write_backup_bytes(&bytes, out.path()),
            Err(BackupError::Exists(_))
        ));
        restore(out.path(), fresh.path()).unwrap();
        let restored = Store::open(fresh.path()).unwrap();
        assert!(restored.get_rest_api("a1").unwrap().is_some());
        assert!(
            restored.get_rest_api("a2").unwrap().is_some(),
            "as of the backup"
        );
        drop(restored);
        // Restoring over a store that is open is refused.
        assert!(matches!(
            restore(out.path(), live.path()),
            Err(BackupError::InUse)
        ));
        drop(store);
        let again = tempfile::tempdir().unwrap();
        backup_offline(live.path(), again.path()).unwrap();
        restore(again.path(), fresh.path()).unwrap();
        assert!(fresh
            .path()
            .join(format!("{FILE_NAME}.{REPLACED_SUFFIX}"))
            .exists());
        let restored = Store::open(fresh.path()).unwrap();
        assert!(restored.get_rest_api("a2").unwrap().is_none());
    }

    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    /// Both ways a backup is written give a 0600 file in a 0700 directory (the tests' umask, 022,
    /// would give 0644 and 0755).
    #[test]
    fn backups_are_private() {
        let live = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let store = Store::open(live.path()).unwrap();
        let bytes = store.backup_bytes().unwrap();
        drop(store);
        for (i, written) in [
            write_backup_bytes(&bytes, &out.path().join("a/online")),
            backup_offline(live.path(), &out.path().join("offline")),
        ]
        .into_iter()
        .enumerate()
        {
            let file = written.unwrap();
            assert_eq!(mode(&file), modes::FILE_MODE, "backup {i}");
            assert_eq!(mode(file.parent().unwrap()), modes::DIR_MODE, "backup {i}");
        }
        let fresh = tempfile::tempdir().unwrap();
        let data = fresh.path().join("data");
        let restored = restore(&out.path().join("offline"), &data).unwrap();
        assert_eq!(mode(&restored), modes::FILE_MODE);
        assert_eq!(mode(&data), modes::DIR_MODE);
    }

    #[test]
    fn garbage_and_newer_backups_are_refused() {
        let out = tempfile::tempdir().unwrap();
        assert!(write_backup_bytes(b"not a database", out.path()).is_err());
        assert!(!out.path().join(FILE_NAME).exists());
        let src = tempfile::tempdir().unwrap();
        let db = Database::create(src.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("schema_version", SCHEMA_VERSION + 1)
            .unwrap();
        txn.commit().unwrap();
        drop(db);
        let data = tempfile::tempdir().unwrap();
        assert!(matches!(
            restore(src.path(), data.path()),
            Err(BackupError::NewerSchema { .. })
        ));
    }
}
