//! Crash-safe persistence of the control-plane state: REST APIs, their deployments and stages, API
//! keys, usage plans and their quota counters (`plans`), in
//! one redb file `{data_dir}/tollgate.redb`.
//!
//! Only the control plane (`admin::control`) uses this, on its own thread; workers never touch it.
//! Invariants: every public write is one transaction, committed durably (redb's default immediate
//! durability) before the call returns, so a crash leaves either the old or the new state; values
//! are the JSON of the `deploy::model` types, so the store and the management API share one shape.
//! The data directory is private to its owner (0700, files 0600; `modes` says how and why).

mod account;
pub mod backup;
pub mod modes;
mod plans;
mod schema;

pub use plans::{ApiKey, ApiStage, QuotaSettings, ThrottleSettings, UsagePlan};

pub use account::{AccountWrite, BASE_PATH_MAPPING, CLIENT_CERTIFICATE, DOMAIN_NAME, VPC_LINK};

pub use schema::SCHEMA_VERSION;

use crate::deploy::model::{Deployment, RestApi, Stage};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use schema::{DEPLOYMENTS, REST_APIS, STAGES};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The file name inside the data directory.
pub const FILE_NAME: &str = "tollgate.redb";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("data directory: {0}")]
    DataDir(#[from] modes::ModeError),
    #[error("cannot create {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Db(#[from] redb::Error),
    #[error(
        "the database has schema version {found}, newer than this Tollgate supports \
         ({supported}); run a newer Tollgate or restore an older data directory"
    )]
    NewerSchema { found: u64, supported: u64 },
    #[error("no migration from schema version {from}")]
    NoMigration { from: u64 },
    #[error("stored {what} {key} is not valid JSON: {source}")]
    Corrupt {
        what: &'static str,
        key: String,
        source: serde_json::Error,
    },
}

/// Every redb error type converts into `redb::Error`; one helper keeps the call sites short.
pub(crate) fn db_err(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Db(e.into())
}

/// One change, applied with others in a single transaction by `Store::apply`.
#[derive(Debug, Clone)]
pub enum Write {
    PutRestApi(RestApi),
    /// Also removes the API's deployments and stages.
    DeleteRestApi(String),
    PutDeployment {
        api_id: String,
        deployment: Deployment,
    },
    DeleteDeployment {
        api_id: String,
        deployment_id: String,
    },
    PutStage {
        api_id: String,
        stage: Stage,
    },
    DeleteStage {
        api_id: String,
        stage_name: String,
    },
    /// Also indexes the key's value (replacing the old value's entry).
    PutApiKey(ApiKey),
    /// Also removes the key from every usage plan, with its counters.
    DeleteApiKey(String),
    PutUsagePlan(UsagePlan),
    /// Also removes the plan's keys and counters.
    DeleteUsagePlan(String),
    PutUsagePlanKey {
        plan_id: String,
        key_id: String,
    },
    /// Also removes the key's counters in that plan.
    DeleteUsagePlanKey {
        plan_id: String,
        key_id: String,
    },
    /// Counts `count` more requests of a key in a plan on `day` (`YYYY-MM-DD`, UTC).
    AddUsage {
        plan_id: String,
        key_id: String,
        day: String,
        count: u64,
    },
    /// Sets the requests granted beyond the quota limit in the period starting `period_start`.
    SetQuotaGrant {
        plan_id: String,
        key_id: String,
        period_start: String,
        granted: i64,
    },
}

pub struct Store {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) `{data_dir}/tollgate.redb`, creating `data_dir` too (0700, the
    /// file 0600). Refuses a data directory other users can write; tightens one they can read
    /// (`modes::secure`: the start-up path calls it first, to log what it tightened).
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        modes::secure(data_dir)?;
        let path = data_dir.join(FILE_NAME);
        // redb would create the file with the umask's mode: it gets an existing, private one.
        match modes::create_file(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => return Err(StoreError::Create { path, source }),
        }
        let db = Database::create(&path).map_err(db_err)?;
        let txn = db.begin_write().map_err(db_err)?;
        schema::prepare(&txn)?;
        txn.commit().map_err(db_err)?;
        Ok(Store { db, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies `writes` in order in one durable transaction: all of them or none.
    pub fn apply(&self, writes: &[Write]) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        for w in writes {
            apply_one(&txn, w)?;
        }
        txn.commit().map_err(db_err)
    }

    pub fn get_rest_api(&self, id: &str) -> Result<Option<RestApi>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(REST_APIS).map_err(db_err)?;
        let found = table.get(id).map_err(db_err)?;
        found.map(|v| decode("REST API", id, v.value())).transpose()
    }

    /// Every REST API, ordered by id.
    pub fn list_rest_apis(&self) -> Result<Vec<RestApi>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(REST_APIS).map_err(db_err)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            out.push(decode("REST API", k.value(), v.value())?);
        }
        Ok(out)
    }

    pub fn put_rest_api(&self, api: &RestApi) -> Result<(), StoreError> {
        self.apply(&[Write::PutRestApi(api.clone())])
    }

    /// Deletes the API with its deployments and stages; `false` if it did not exist.
    pub fn delete_rest_api(&self, id: &str) -> Result<bool, StoreError> {
        let existed = self.get_rest_api(id)?.is_some();
        self.apply(&[Write::DeleteRestApi(id.to_string())])?;
        Ok(existed)
    }

    pub fn get_deployment(&self, api_id: &str, id: &str) -> Result<Option<Deployment>, StoreError> {
        self.get_pair(DEPLOYMENTS, "deployment", api_id, id)
    }

    /// The API's deployments, ordered by id.
    pub fn list_deployments(&self, api_id: &str) -> Result<Vec<Deployment>, StoreError> {
        self.list_pairs(DEPLOYMENTS, "deployment", api_id)
    }

    pub fn put_deployment(&self, api_id: &str, d: &Deployment) -> Result<(), StoreError> {
        self.apply(&[Write::PutDeployment {
            api_id: api_id.into(),
            deployment: d.clone(),
        }])
    }

    pub fn delete_deployment(&self, api_id: &str, id: &str) -> Result<(), StoreError> {
        self.apply(&[Write::DeleteDeployment {
            api_id: api_id.into(),
            deployment_id: id.into(),
        }])
    }

    pub fn get_stage(&self, api_id: &str, name: &str) -> Result<Option<Stage>, StoreError> {
        self.get_pair(STAGES, "stage", api_id, name)
    }

    /// The API's stages, ordered by name.
    pub fn list_stages(&self, api_id: &str) -> Result<Vec<Stage>, StoreError> {
        self.list_pairs(STAGES, "stage", api_id)
    }

    pub fn put_stage(&self, api_id: &str, stage: &Stage) -> Result<(), StoreError> {
        self.apply(&[Write::PutStage {
            api_id: api_id.into(),
            stage: stage.clone(),
        }])
    }

    pub fn delete_stage(&self, api_id: &str, name: &str) -> Result<(), StoreError> {
        self.apply(&[Write::DeleteStage {
            api_id: api_id.into(),
            stage_name: name.into(),
        }])
    }

    fn get_pair<T: DeserializeOwned>(
        &self,
        def: TableDefinition<(&str, &str), &[u8]>,
        what: &'static str,
        api_id: &str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(def).map_err(db_err)?;
        let found = table.get((api_id, key)).map_err(db_err)?;
        found.map(|v| decode(what, key, v.value())).transpose()
    }

    fn list_pairs<T: DeserializeOwned>(
        &self,
        def: TableDefinition<(&str, &str), &[u8]>,
        what: &'static str,
        api_id: &str,
    ) -> Result<Vec<T>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(def).map_err(db_err)?;
        let mut out = Vec::new();
        // Tuple keys sort by API id first, so one API's rows are contiguous from (api_id, "").
        for row in table.range((api_id, "")..).map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let (owner, key) = k.value();
            if owner != api_id {
                break;
            }
            out.push(decode(what, key, v.value())?);
        }
        Ok(out)
    }
}

fn apply_one(txn: &WriteTransaction, w: &Write) -> Result<(), StoreError> {
    match w {
        Write::PutRestApi(api) => {
            let mut t = txn.open_table(REST_APIS).map_err(db_err)?;
            t.insert(api.id.as_str(), encode(api).as_slice())
                .map_err(db_err)?;
        }
        Write::DeleteRestApi(id) => {
            txn.open_table(REST_APIS)
                .map_err(db_err)?
                .remove(id.as_str())
                .map_err(db_err)?;
            for def in [DEPLOYMENTS, STAGES] {
                let mut t = txn.open_table(def).map_err(db_err)?;
                let id = id.as_str();
                t.retain_in((id, "").., |(owner, _), _| owner != id)
                    .map_err(db_err)?;
            }
        }
        Write::PutDeployment { api_id, deployment } => {
            let mut t = txn.open_table(DEPLOYMENTS).map_err(db_err)?;
            let key = (api_id.as_str(), deployment.id.as_str());
            t.insert(key, encode(deployment).as_slice())
                .map_err(db_err)?;
        }
        Write::DeleteDeployment {
            api_id,
            deployment_id,
        } => {
            let mut t = txn.open_table(DEPLOYMENTS).map_err(db_err)?;
            t.remove((api_id.as_str(), deployment_id.as_str()))
                .map_err(db_err)?;
        }
        Write::PutStage { api_id, stage } => {
            let mut t = txn.open_table(STAGES).map_err(db_err)?;
            let key = (api_id.as_str(), stage.stage_name.as_str());
            t.insert(key, encode(stage).as_slice()).map_err(db_err)?;
        }
        Write::DeleteStage { api_id, stage_name } => {
            let mut t = txn.open_table(STAGES).map_err(db_err)?;
            t.remove((api_id.as_str(), stage_name.as_str()))
                .map_err(db_err)?;
        }
        Write::PutApiKey(_)
        | Write::DeleteApiKey(_)
        | Write::PutUsagePlan(_)
        | Write::DeleteUsagePlan(_)
        | Write::PutUsagePlanKey { .. }
        | Write::DeleteUsagePlanKey { .. }
        | Write::AddUsage { .. }
        | Write::SetQuotaGrant { .. } => plans::apply_one(txn, w)?,
    }
    Ok(())
}

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // The model types are plain data (string keys, no non-finite floats): serialising cannot fail.
    serde_json::to_vec(value).expect("model types serialise to JSON")
}

fn decode<T: DeserializeOwned>(
    what: &'static str,
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        what,
        key: key.into(),
        source,
    })
}

#[cfg(test)]
mod tests;
