use super::*;
use std::collections::BTreeMap;

fn api(id: &str) -> RestApi {
    RestApi {
        id: id.into(),
        name: format!("api {id}"),
        created_date: 7,
        ..Default::default()
    }
}

fn deployment(id: &str, api_id: &str) -> Deployment {
    Deployment {
        id: id.into(),
        description: None,
        created_date: 8,
        api: api(api_id),
    }
}

fn stage(name: &str, deployment_id: &str) -> Stage {
    Stage {
        stage_name: name.into(),
        deployment_id: deployment_id.into(),
        variables: BTreeMap::from([("k".to_string(), "v".to_string())]),
        ..Default::default()
    }
}

#[test]
fn rest_api_round_trip_and_listing_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.get_rest_api("b").unwrap(), None);
    store.put_rest_api(&api("b")).unwrap();
    store.put_rest_api(&api("a")).unwrap();
    assert_eq!(store.get_rest_api("b").unwrap(), Some(api("b")));
    let ids: Vec<_> = store
        .list_rest_apis()
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn deployments_and_stages_are_scoped_to_their_api() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for id in ["a", "ab", "b"] {
        store.put_rest_api(&api(id)).unwrap();
        store.put_deployment(id, &deployment("d1", id)).unwrap();
        store.put_stage(id, &stage("prod", "d1")).unwrap();
    }
    store.put_deployment("a", &deployment("d2", "a")).unwrap();
    assert_eq!(store.list_deployments("a").unwrap().len(), 2);
    assert_eq!(store.list_deployments("ab").unwrap().len(), 1);
    assert_eq!(
        store.get_stage("b", "prod").unwrap(),
        Some(stage("prod", "d1"))
    );
    assert_eq!(store.get_stage("b", "dev").unwrap(), None);
    store.delete_stage("b", "prod").unwrap();
    assert!(store.list_stages("b").unwrap().is_empty());
    store.delete_deployment("a", "d2").unwrap();
    assert_eq!(store.get_deployment("a", "d2").unwrap(), None);
}

#[test]
fn delete_rest_api_cascades_only_to_its_own_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for id in ["a", "ab"] {
        store.put_rest_api(&api(id)).unwrap();
        store.put_deployment(id, &deployment("d1", id)).unwrap();
        store.put_stage(id, &stage("prod", "d1")).unwrap();
    }
    assert!(store.delete_rest_api("a").unwrap());
    assert!(!store.delete_rest_api("a").unwrap());
    assert!(store.list_deployments("a").unwrap().is_empty());
    assert!(store.list_stages("a").unwrap().is_empty());
    // "ab" shares the prefix "a" but is a different API.
    assert_eq!(store.list_deployments("ab").unwrap().len(), 1);
    assert_eq!(store.list_stages("ab").unwrap().len(), 1);
}

#[test]
fn batch_is_atomic_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store
            .apply(&[
                Write::PutRestApi(api("x")),
                Write::PutDeployment {
                    api_id: "x".into(),
                    deployment: deployment("d", "x"),
                },
                Write::PutStage {
                    api_id: "x".into(),
                    stage: stage("dev", "d"),
                },
            ])
            .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.get_rest_api("x").unwrap(), Some(api("x")));
    assert_eq!(
        store.get_deployment("x", "d").unwrap(),
        Some(deployment("d", "x"))
    );
    assert_eq!(store.list_stages("x").unwrap(), vec![stage("dev", "d")]);
}

#[test]
fn creates_a_missing_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    let store = Store::open(&nested).unwrap();
    assert!(store.path().ends_with("a/b/tollgate.redb"));
}

#[test]
fn refuses_a_newer_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    {
        let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(schema::META)
            .unwrap()
            .insert("schema_version", 99u64)
            .unwrap();
        txn.commit().unwrap();
    }
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NewerSchema {
                found: 99,
                supported: SCHEMA_VERSION
            }
        ),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("newer than this Tollgate supports"));
}

#[test]
fn stamps_the_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
    let txn = db.begin_read().unwrap();
    let meta = txn.open_table(schema::META).unwrap();
    assert_eq!(
        meta.get("schema_version").unwrap().unwrap().value(),
        SCHEMA_VERSION
    );
}
