//! Account-level resources that belong to no REST API: DomainNames with their BasePathMappings,
//! VpcLinks and ClientCertificates, in one table keyed by (kind, key).
//!
//! Values are JSON of the admin layer's stored shapes, which may hold secrets never returned by
//! the management API (a client certificate's private key). Writes go through `apply_account`,
//! one durable transaction, like every other store write. A base path mapping's key is
//! `{domain}/{basePath}`: domain names cannot contain `/`, so one domain's mappings are the
//! contiguous range after `{domain}/`.

use super::schema::ACCOUNT;
use super::{db_err, decode, Store, StoreError};
use redb::ReadableDatabase;
use serde::de::DeserializeOwned;

/// The kinds stored in the account table.
pub const DOMAIN_NAME: &str = "domainname";
pub const BASE_PATH_MAPPING: &str = "basepathmapping";
pub const VPC_LINK: &str = "vpclink";
pub const CLIENT_CERTIFICATE: &str = "clientcertificate";

/// One change to the account table.
#[derive(Debug, Clone)]
pub enum AccountWrite {
    Put {
        kind: &'static str,
        key: String,
        json: Vec<u8>,
    },
    Delete {
        kind: &'static str,
        key: String,
    },
    /// Every key of `kind` that starts with `prefix`.
    DeletePrefix {
        kind: &'static str,
        prefix: String,
    },
}

impl Store {
    pub fn get_account<T: DeserializeOwned>(
        &self,
        kind: &'static str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(ACCOUNT).map_err(db_err)?;
        let found = table.get((kind, key)).map_err(db_err)?;
        found.map(|v| decode(kind, key, v.value())).transpose()
    }

    /// Every item of `kind` whose key starts with `prefix`, ordered by key, with its key.
    pub fn list_account<T: DeserializeOwned>(
        &self,
        kind: &'static str,
        prefix: &str,
    ) -> Result<Vec<(String, T)>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(ACCOUNT).map_err(db_err)?;
        let mut out = Vec::new();
        for row in table.range((kind, prefix)..).map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let (owner, key) = k.value();
            if owner != kind || !key.starts_with(prefix) {
                break;
            }
            out.push((key.to_string(), decode(kind, key, v.value())?));
        }
        Ok(out)
    }

    /// Applies `writes` in one durable transaction.
    pub fn apply_account(&self, writes: &[AccountWrite]) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut t = txn.open_table(ACCOUNT).map_err(db_err)?;
            for w in writes {
                match w {
                    AccountWrite::Put { kind, key, json } => {
                        t.insert((*kind, key.as_str()), json.as_slice())
                            .map_err(db_err)?;
                    }
                    AccountWrite::Delete { kind, key } => {
                        t.remove((*kind, key.as_str())).map_err(db_err)?;
                    }
                    AccountWrite::DeletePrefix { kind, prefix } => {
                        let (kind, prefix) = (*kind, prefix.as_str());
                        t.retain_in((kind, prefix).., |(k, key), _| {
                            k != kind || !key.starts_with(prefix)
                        })
                        .map_err(db_err)?;
                    }
                }
            }
        }
        txn.commit().map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema::META;
    use redb::Database;

    #[test]
    fn a_version_1_database_is_upgraded_with_its_data_kept() {
        let dir = tempfile::tempdir().unwrap();
        let api = crate::deploy::model::RestApi {
            id: "a1".into(),
            name: "kept".into(),
            ..Default::default()
        };
        Store::open(dir.path()).unwrap().put_rest_api(&api).unwrap();
        {
            // Make it the version 1 layout: no account table, version 1 stamped.
            let db = Database::create(dir.path().join(super::super::FILE_NAME)).unwrap();
            let txn = db.begin_write().unwrap();
            txn.delete_table(ACCOUNT).unwrap();
            txn.open_table(META)
                .unwrap()
                .insert("schema_version", 1u64)
                .unwrap();
            txn.commit().unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.get_rest_api("a1").unwrap().unwrap().name, "kept");
        assert!(s.list_account::<u32>(VPC_LINK, "").unwrap().is_empty());
        let txn = s.db.begin_read().unwrap();
        let version = txn
            .open_table(META)
            .unwrap()
            .get("schema_version")
            .unwrap()
            .unwrap()
            .value();
        assert_eq!(version, 2);
    }

    #[test]
    fn put_list_by_prefix_delete_prefix_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let put = |key: &str, v: u32| AccountWrite::Put {
            kind: BASE_PATH_MAPPING,
            key: key.into(),
            json: serde_json::to_vec(&v).unwrap(),
        };
        {
            let s = Store::open(dir.path()).unwrap();
            s.apply_account(&[
                put("a.com/(none)", 1),
                put("a.com/v1", 2),
                put("b.com/v1", 3),
            ])
            .unwrap();
            s.apply_account(&[AccountWrite::Put {
                kind: VPC_LINK,
                key: "l1".into(),
                json: b"4".to_vec(),
            }])
            .unwrap();
            let a: Vec<(String, u32)> = s.list_account(BASE_PATH_MAPPING, "a.com/").unwrap();
            assert_eq!(a, vec![("a.com/(none)".into(), 1), ("a.com/v1".into(), 2)]);
            s.apply_account(&[AccountWrite::DeletePrefix {
                kind: BASE_PATH_MAPPING,
                prefix: "a.com/".into(),
            }])
            .unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        let all: Vec<(String, u32)> = s.list_account(BASE_PATH_MAPPING, "").unwrap();
        assert_eq!(all, vec![("b.com/v1".into(), 3)]);
        assert_eq!(s.get_account::<u32>(VPC_LINK, "l1").unwrap(), Some(4));
        s.apply_account(&[AccountWrite::Delete {
            kind: VPC_LINK,
            key: "l1".into(),
        }])
        .unwrap();
        assert_eq!(s.get_account::<u32>(VPC_LINK, "l1").unwrap(), None);
    }
}
