use super::*;
use crate::settings::{BootApi, BootStage, DriverChoice};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub(crate) const PETS: &str = r#"{"openapi":"3.0.1","info":{"title":"Pets","version":"1"},
  "paths":{"/pets":{"get":{"responses":{"200":{"description":"ok"}},
    "x-amazon-apigateway-integration":{"type":"mock",
      "requestTemplates":{"application/json":"{\"statusCode\": 200}"},
      "responses":{"default":{"statusCode":"200"}}}}}}}"#;

pub(crate) const EMPTY: &str =
    r#"{"openapi":"3.0.1","info":{"title":"Empty","version":"1"},"paths":{}}"#;

pub(crate) fn settings(data_dir: &Path, apis: Vec<BootApi>) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        admin: "127.0.0.1:0".parse().unwrap(),
        health_listen: None,
        data_dir: data_dir.to_path_buf(),
        workers: 1,
        driver: DriverChoice::Auto,
        limits: Default::default(),
        header_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(1),
        connect_timeout: Duration::from_secs(1),
        drain_timeout: Duration::from_secs(1),
        pool_idle_per_upstream: 1,
        admin_max_body: 1 << 20,
        admin_credentials: Vec::new(),
        admin_quotas: Default::default(),
        admin_rate_limit: crate::settings::AdminRateLimit {
            per_second: 0.0,
            burst: 0,
        },
        apis,
        aws: Default::default(),
        vpc_links: Vec::new(),
        account_throttle: crate::deploy::compile::buckets::ACCOUNT_DEFAULT,
        iam: Default::default(),
        access_logs: Default::default(),
        config_path: Some(data_dir.join("tollgate.toml")),
    }
}

pub(crate) fn boot(file: &str, id: Option<&str>, vars: &[(&str, &str)]) -> BootApi {
    BootApi {
        file: file.into(),
        id: id.map(Into::into),
        stages: vec![BootStage {
            name: "prod".into(),
            variables: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }],
    }
}

fn open(s: &Settings) -> ControlPlane {
    ControlPlane::open(s, Arc::new(SnapshotCell::default())).unwrap()
}

#[test]
fn boot_upsert_redeploys_only_when_something_changed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pets.json"), PETS).unwrap();
    let s = settings(dir.path(), vec![boot("pets.json", None, &[("a", "1")])]);
    let id = boot::derived_id("Pets");

    let cp = open(&s);
    assert_eq!(cp.list_deployments(&id).unwrap().len(), 1);
    let first_stage = cp.get_stage(&id, "prod").unwrap();
    let snap = cp.cell().load();
    assert_eq!(snap.apis.len(), 1);
    assert_eq!(
        &*snap.apis[0].stages[0].deployment_id,
        first_stage.deployment_id
    );
    drop(cp);

    // A restart with the same file and variables: same API id, no new deployment.
    let mut cp = open(&s);
    assert_eq!(cp.list_deployments(&id).unwrap().len(), 1);
    assert_eq!(cp.get_stage(&id, "prod").unwrap(), first_stage);
    cp.reload(&s).unwrap();
    assert_eq!(cp.list_deployments(&id).unwrap().len(), 1);

    // New variables: one new deployment.
    let s2 = settings(dir.path(), vec![boot("pets.json", None, &[("a", "2")])]);
    cp.reload(&s2).unwrap();
    assert_eq!(cp.list_deployments(&id).unwrap().len(), 2);
    let stage = cp.get_stage(&id, "prod").unwrap();
    assert_eq!(stage.variables["a"], "2");
    assert_eq!(stage.created_date, first_stage.created_date);
    cp.reload(&s2).unwrap();
    assert_eq!(cp.list_deployments(&id).unwrap().len(), 2);

    // A changed document: one more.
    std::fs::write(dir.path().join("pets.json"), PETS.replace("/pets", "/cats")).unwrap();
    cp.reload(&s2).unwrap();
    assert_eq!(cp.list_deployments(&id).unwrap().len(), 3);
}

#[test]
fn boot_api_honours_an_explicit_id_and_the_embedded_sample() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(
        dir.path(),
        vec![boot(boot::EMBEDDED_SAMPLE, Some("sample1234"), &[])],
    );
    let cp = open(&s);
    assert_eq!(
        cp.get_stage("sample1234", "prod").unwrap().stage_name,
        "prod"
    );
    assert_eq!(&*cp.cell().load().apis[0].id, "sample1234");
}

#[test]
fn a_missing_boot_file_fails_open() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), vec![boot("nope.json", None, &[])]);
    let err = ControlPlane::open(&s, Arc::new(SnapshotCell::default()))
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("nope.json"), "{err:#}");
}

#[test]
fn deployment_points_the_stage_and_publishes() {
    let dir = tempfile::tempdir().unwrap();
    let mut cp = open(&settings(dir.path(), Vec::new()));
    let gen0 = cp.cell().generation();
    let api = cp
        .import_rest_api(PETS.as_bytes(), &ImportOptions::default())
        .unwrap();
    assert_eq!(api.id.len(), 10);
    assert_eq!(
        cp.cell().generation(),
        gen0,
        "an import alone serves nothing new"
    );
    let stage = StageUpdate {
        name: "dev".into(),
        variables: Some(BTreeMap::new()),
        ..Default::default()
    };
    let d = cp
        .create_deployment(
            &api.id,
            NewDeployment {
                canary: None,
                description: None,
                stage: Some(stage),
            },
        )
        .unwrap();
    assert_eq!(cp.cell().generation(), gen0 + 1);
    assert_eq!(cp.get_stage(&api.id, "dev").unwrap().deployment_id, d.id);
    assert_eq!(
        cp.cell().load().apis[0].stages[0].deployment_id.as_ref(),
        d.id
    );

    cp.delete_rest_api(&api.id).unwrap();
    assert!(cp.cell().load().apis.is_empty());
    assert!(matches!(
        cp.get_rest_api(&api.id),
        Err(ApiError::ApiNotFound { .. })
    ));
}

#[test]
fn creates_past_a_quota_are_limit_exceeded_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(dir.path(), Vec::new());
    s.admin_quotas.stages_per_api = 2;
    s.admin_quotas.api_keys = 1;
    let mut cp = open(&s);
    let api = cp
        .import_rest_api(PETS.as_bytes(), &ImportOptions::default())
        .unwrap();
    let deploy = |cp: &mut ControlPlane, name: &str| {
        let stage = StageUpdate {
            name: name.into(),
            ..Default::default()
        };
        cp.create_deployment(
            &api.id,
            NewDeployment {
                canary: None,
                description: None,
                stage: Some(stage),
            },
        )
    };
    deploy(&mut cp, "a").unwrap();
    deploy(&mut cp, "b").unwrap();
    let e = deploy(&mut cp, "c").unwrap_err();
    assert_eq!(e.parts().1, "LimitExceededException");
    assert_eq!(e.parts().0, 429);
    // Redeploying an existing stage adds no stage.
    deploy(&mut cp, "a").unwrap();
    assert_eq!(cp.list_stages(&api.id).unwrap().len(), 2);

    let key = || NewApiKey {
        enabled: true,
        ..Default::default()
    };
    cp.create_api_key(key()).unwrap();
    let e = cp.create_api_key(key()).unwrap_err();
    assert!(matches!(e, ApiError::LimitExceeded(_)), "{e:?}");
    assert_eq!(cp.list_api_keys().unwrap().len(), 1);
}

#[test]
fn deployment_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut cp = open(&settings(dir.path(), Vec::new()));
    let empty = cp
        .import_rest_api(EMPTY.as_bytes(), &ImportOptions::default())
        .unwrap();
    assert_eq!(
        cp.create_deployment(&empty.id, NewDeployment::default())
            .unwrap_err(),
        ApiError::NoMethods
    );
    let api = cp
        .import_rest_api(PETS.as_bytes(), &ImportOptions::default())
        .unwrap();
    for (name, vars) in [
        ("bad name", vec![]),
        ("ok", vec![("bad-name", "v")]),
        ("ok", vec![("n", "bad value")]),
    ] {
        let stage = StageUpdate {
            name: name.into(),
            variables: Some(
                vars.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        };
        let err = cp.create_deployment(
            &api.id,
            NewDeployment {
                canary: None,
                description: None,
                stage: Some(stage),
            },
        );
        assert!(
            matches!(err, Err(ApiError::BadRequest(_))),
            "{name} {vars:?}"
        );
    }
    assert!(
        cp.list_deployments(&api.id).unwrap().is_empty(),
        "a rejected deployment stores nothing"
    );
    cp.set_account_id("111122223333");
    assert_eq!(
        cp.get_rest_api("zzz").unwrap_err().parts().2,
        "Invalid API identifier specified 111122223333:zzz"
    );
    assert_eq!(
        cp.get_stage(&api.id, "nope").unwrap_err(),
        ApiError::StageNotFound
    );
}

#[test]
fn put_rest_api_keeps_the_id_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let mut cp = open(&settings(dir.path(), Vec::new()));
    let api = cp
        .import_rest_api(PETS.as_bytes(), &ImportOptions::default())
        .unwrap();
    let cats = PETS.replace("/pets", "/cats");
    let merged = cp
        .put_rest_api(
            &api.id,
            cats.as_bytes(),
            PutMode::Merge,
            &ImportOptions::default(),
        )
        .unwrap();
    assert_eq!(
        (merged.id.as_str(), merged.created_date),
        (api.id.as_str(), api.created_date)
    );
    assert!(merged.resources.iter().any(|r| r.path == "/pets"));
    assert!(merged.resources.iter().any(|r| r.path == "/cats"));
    let over = cp
        .put_rest_api(
            &api.id,
            cats.as_bytes(),
            PutMode::Overwrite,
            &ImportOptions::default(),
        )
        .unwrap();
    assert_eq!(over.id, api.id);
    assert_eq!(over.root_resource_id, api.root_resource_id);
    assert!(!over.resources.iter().any(|r| r.path == "/pets"));
    assert_eq!(cp.get_rest_api(&api.id).unwrap(), over);
    assert!(matches!(
        cp.put_rest_api(
            "nope",
            PETS.as_bytes(),
            PutMode::Merge,
            &ImportOptions::default()
        ),
        Err(ApiError::ApiNotFound { .. })
    ));
}

/// PETS with `GET /pets` protected by a Lambda authorizer whose identityValidationExpression is
/// not a regular expression: stored, never served (it could never check a token).
fn protected(api: &RestApi) -> RestApi {
    let mut api = api.clone();
    let m = api
        .resources
        .iter_mut()
        .find_map(|r| r.resource_methods.get_mut("GET"))
        .unwrap();
    m.authorization_type = "CUSTOM".into();
    m.authorizer_id = Some("auth01".into());
    api.authorizers = vec![crate::deploy::model::Authorizer {
        id: "auth01".into(),
        name: "auth".into(),
        extra: serde_json::from_value(serde_json::json!({
            "type": "TOKEN",
            "identitySource": "method.request.header.Authorization",
            "identityValidationExpression": "Bearer ([",
            "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations"
        }))
        .unwrap(),
    }];
    api
}

fn assert_refused(e: ApiError) {
    let (status, kind, message) = e.parts();
    assert_eq!((status, kind), (400, "BadRequestException"), "{message}");
    assert!(
        message.contains("invalid identityValidationExpression"),
        "{message}"
    );
}

/// Fail closed on every path that serves a deployment: CreateDeployment with and without a stage,
/// and CreateStage / UpdateStage onto a deployment an older version stored before the refusal
/// existed. Each refusal changes nothing stored or served.
#[test]
fn unenforced_protection_is_refused_on_every_deploy_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut cp = open(&settings(dir.path(), Vec::new()));
    let api = cp
        .import_rest_api(PETS.as_bytes(), &ImportOptions::default())
        .unwrap();
    let deploy = |cp: &mut ControlPlane, stage: Option<&str>| {
        cp.create_deployment(
            &api.id,
            NewDeployment {
                canary: None,
                description: None,
                stage: stage.map(|name| StageUpdate {
                    name: name.into(),
                    ..Default::default()
                }),
            },
        )
    };
    let good = deploy(&mut cp, Some("prod")).unwrap();
    let generation = cp.cell().generation();

    // The management API stores the protection (as import does)...
    cp.edit_rest_api(&api.id, |a| {
        *a = protected(a);
        Ok(())
    })
    .unwrap();
    assert_eq!(
        cp.get_rest_api(&api.id).unwrap(),
        protected(&api),
        "stored unchanged"
    );
    // ...but no deployment of it is made, with a stage or without.
    assert_refused(deploy(&mut cp, Some("prod")).unwrap_err());
    assert_refused(deploy(&mut cp, None).unwrap_err());
    assert_eq!(cp.list_deployments(&api.id).unwrap().len(), 1);

    // A deployment stored by an older version is not served by CreateStage or UpdateStage.
    let old = Deployment {
        id: "olddeploy1".into(),
        description: None,
        created_date: 0,
        api: protected(&api),
    };
    cp.store
        .apply(&[Write::PutDeployment {
            api_id: api.id.clone(),
            deployment: old.clone(),
        }])
        .unwrap();
    let e = cp
        .create_stage(
            &api.id,
            NewStage {
                name: "beta".into(),
                deployment_id: old.id.clone(),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_refused(e);
    assert_eq!(
        cp.get_stage(&api.id, "beta").unwrap_err(),
        ApiError::StageNotFound
    );
    let ops = crate::admin::patch::parse(
        br#"{"patchOperations":[{"op":"replace","path":"/deploymentId","value":"olddeploy1"}]}"#,
    )
    .unwrap();
    assert_refused(cp.update_stage(&api.id, "prod", &ops).unwrap_err());
    assert_eq!(
        cp.get_stage(&api.id, "prod").unwrap().deployment_id,
        good.id
    );
    assert_eq!(cp.cell().generation(), generation, "nothing published");
    assert_eq!(&*cp.cell().load().apis[0].stages[0].deployment_id, good.id);
}

/// Boot and SIGHUP: a boot file that declares unenforced protection fails the start, and on a
/// reload changes nothing. Without stages it is only stored.
#[test]
fn boot_apis_with_unenforced_protection_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pets.json"), PETS).unwrap();
    let s = settings(dir.path(), vec![boot("pets.json", None, &[])]);
    let id = boot::derived_id("Pets");
    let mut cp = open(&s);
    let generation = cp.cell().generation();
    let keyed = PETS.replace(r#""responses":{"200""#, r#""security":[{"k":[]}],"responses":{"200""#)
        .replace(
            r#""paths""#,
            r#""components":{"securitySchemes":{"k":{"type":"apiKey","name":"Authorization","in":"header","x-amazon-apigateway-authtype":"custom","x-amazon-apigateway-authorizer":{"type":"token","identityValidationExpression":"Bearer ([","authorizerUri":"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations"}}}},"paths""#,
        );
    std::fs::write(dir.path().join("pets.json"), &keyed).unwrap();
    let e = cp.reload(&s).unwrap_err().to_string();
    assert!(e.contains("invalid identityValidationExpression"), "{e}");
    assert_eq!(cp.cell().generation(), generation);
    assert_eq!(
        cp.get_rest_api(&id).unwrap().resources[1].resource_methods["GET"].authorization_type,
        "NONE"
    );
    drop(cp);
    let e = ControlPlane::open(&s, Arc::new(SnapshotCell::default()))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("invalid identityValidationExpression"), "{e}");
    let mut no_stages = s.clone();
    no_stages.apis[0].stages.clear();
    let cp = open(&no_stages);
    assert_eq!(
        cp.get_rest_api(&id).unwrap().resources[1].resource_methods["GET"].authorization_type,
        "CUSTOM"
    );
}

/// A store written by an older version can hold a stage serving a deployment this version
/// refuses. It must neither stop the start nor block every later change: that stage is left
/// unserved (fail closed) and everything else is served and editable.
#[test]
fn a_stored_stage_this_version_refuses_is_left_unserved_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), Vec::new());
    let api_id;
    {
        let mut cp = open(&s);
        let api = cp
            .import_rest_api(PETS.as_bytes(), &ImportOptions::default())
            .unwrap();
        api_id = api.id.clone();
        let new = |name: &str| NewDeployment {
            canary: None,
            description: None,
            stage: Some(StageUpdate {
                name: name.into(),
                ..Default::default()
            }),
        };
        cp.create_deployment(&api.id, new("prod")).unwrap();
        cp.create_deployment(&api.id, new("beta")).unwrap();
        // What an older version stored: `beta` serving a protected deployment.
        let old = Deployment {
            id: "olddeploy1".into(),
            description: None,
            created_date: 0,
            api: protected(&api),
        };
        let mut beta = cp.get_stage(&api.id, "beta").unwrap();
        beta.deployment_id = old.id.clone();
        cp.store
            .apply(&[
                Write::PutDeployment {
                    api_id: api.id.clone(),
                    deployment: old,
                },
                Write::PutStage {
                    api_id: api.id.clone(),
                    stage: beta,
                },
            ])
            .unwrap();
    }
    // Restart: the start succeeds, `prod` is served and `beta` is not.
    let mut cp = open(&s);
    let served = |cp: &ControlPlane| -> Vec<String> {
        cp.cell().load().apis[0]
            .stages
            .iter()
            .map(|st| st.name.to_string())
            .collect()
    };
    assert_eq!(served(&cp), ["prod"]);
    // Later changes still go through, and `beta` stays unserved until it is fixed.
    cp.create_deployment(
        &api_id,
        NewDeployment {
            canary: None,
            description: None,
            stage: Some(StageUpdate {
                name: "dev".into(),
                ..Default::default()
            }),
        },
    )
    .unwrap();
    let mut names = served(&cp);
    names.sort();
    assert_eq!(names, ["dev", "prod"]);
    cp.delete_stage(&api_id, "beta").unwrap();
    assert_eq!(
        cp.get_stage(&api_id, "beta").unwrap_err(),
        ApiError::StageNotFound
    );
}
