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
/// API key id -> JSON of `plans::ApiKey` (since version 2).
pub(super) const API_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_keys");
/// API key value -> API key id: keeps values unique (since version 2).
pub(super) const API_KEY_VALUES: TableDefinition<&str, &str> =
    TableDefinition::new("api_key_values");
/// Usage plan id -> JSON of `plans::UsagePlan` (since version 2).
pub(super) const USAGE_PLANS: TableDefinition<&str, &[u8]> = TableDefinition::new("usage_plans");
/// (usage plan id, API key id): the plan's keys (since version 2).
pub(super) const USAGE_PLAN_KEYS: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("usage_plan_keys");
/// (usage plan id, API key id, day `YYYY-MM-DD` UTC) -> requests counted that day (since 2).
pub(super) const USAGE: TableDefinition<(&str, &str, &str), u64> = TableDefinition::new("usage");
/// (usage plan id, API key id, quota period start `YYYY-MM-DD`) -> requests granted on top of the
/// quota limit in that period by UpdateUsage (may be negative) (since version 2).
pub(super) const QUOTA_GRANTS: TableDefinition<(&str, &str, &str), i64> =
    TableDefinition::new("quota_grants");
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
    txn.open_table(API_KEYS).map_err(db_err)?;
    txn.open_table(API_KEY_VALUES).map_err(db_err)?;
    txn.open_table(USAGE_PLANS).map_err(db_err)?;
    txn.open_table(USAGE_PLAN_KEYS).map_err(db_err)?;
    txn.open_table(USAGE).map_err(db_err)?;
    txn.open_table(QUOTA_GRANTS).map_err(db_err)?;
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
            // 2 adds the API key, usage plan, usage and account-resource tables, all empty at
            // first: `prepare` creates them after migrating, so there is nothing to convert.
            1 => {}
            _ => return Err(StoreError::NoMigration { from: version }),
        }
        version += 1;
    }
    Ok(())
}
