//! The on-disk layout: table definitions and the schema version kept in `meta`.
//!
//! Invariant: a database is only ever read or written by code that knows its schema version. Open
//! stamps a fresh file with `SCHEMA_VERSION`, upgrades an older one step by step in `migrate`
//! (inside the same transaction, so a crash mid-upgrade leaves the old version intact), and refuses
//! a newer one rather than misreading it.

use super::{db_err, StoreError};
use redb::{ReadableTable, TableDefinition, WriteTransaction};

/// The layout this build reads and writes.
pub const SCHEMA_VERSION: u64 = 2;

/// `schema_version` -> u64.
pub(super) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// REST API id -> JSON of `model::RestApi`.
pub(super) const REST_APIS: TableDefinition<&str, &[u8]> = TableDefinition::new("rest_apis");
/// (REST API id, deployment id) -> JSON of `model::Deployment`.
pub(super) const DEPLOYMENTS: TableDefinition<(&str, &str), &[u8]> =
    TableDefinition::new("deployments");
/// (REST API id, stage name) -> JSON of `model::Stage`.
pub(super) const STAGES: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("stages");
/// (kind, key) -> JSON of an account-level resource (`store::account`). Added in version 2.
pub(super) const ACCOUNT: TableDefinition<(&str, &str), &[u8]> =
    TableDefinition::new("account_resources");

const VERSION_KEY: &str = "schema_version";

/// Creates missing tables and brings the schema to `SCHEMA_VERSION`, within `txn`.
pub(super) fn prepare(txn: &WriteTransaction) -> Result<(), StoreError> {
    let mut meta = txn.open_table(META).map_err(db_err)?;
    let found = meta.get(VERSION_KEY).map_err(db_err)?.map(|v| v.value());
    match found {
        Some(v) if v > SCHEMA_VERSION => {
            return Err(StoreError::NewerSchema {
                found: v,
                supported: SCHEMA_VERSION,
            })
        }
        Some(v) => migrate(txn, v)?,
        None => {}
    }
    meta.insert(VERSION_KEY, SCHEMA_VERSION).map_err(db_err)?;
    drop(meta);
    // Opening creates the tables, so readers never meet a missing one.
    txn.open_table(REST_APIS).map_err(db_err)?;
    txn.open_table(DEPLOYMENTS).map_err(db_err)?;
    txn.open_table(STAGES).map_err(db_err)?;
    txn.open_table(ACCOUNT).map_err(db_err)?;
    Ok(())
}

/// Upgrades a database at version `from` to `SCHEMA_VERSION`, one step at a time. Each future
/// layout change adds an arm `n => step_n_to_n_plus_1(txn)?` here.
fn migrate(_txn: &WriteTransaction, from: u64) -> Result<(), StoreError> {
    let mut version = from;
    while version < SCHEMA_VERSION {
        match version {
            // Version 0 never existed on disk: nothing to convert.
            0 => {}
            // 1 -> 2 adds the `account_resources` table, which `prepare` creates: no rows change.
            1 => {}
            _ => return Err(StoreError::NoMigration { from: version }),
        }
        version += 1;
    }
    Ok(())
}
