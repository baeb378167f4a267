//! TestInvokeAuthorizer (`POST /restapis/{id}/authorizers/{authorizer_id}`): runs a Lambda
//! authorizer (TOKEN or REQUEST) of the CURRENT definition on a simulated request and reports
//! what it answered, as AWS does: `clientStatus` (0 when the function returned a usable output,
//! else the status a client would have received: 401, 500), `principalId`, `policy` (the returned
//! policy document as JSON text), `log`, `latency`.
//!
//! The data path's own code runs it, as for TestInvokeMethod (`test_invoke`): the API's
//! authorizers are compiled for the test stage (with the caller's stage variables) in front of a
//! synthetic catch-all method (`ANY /` and `ANY /{proxy+}`) that names the authorizer, the framed
//! request is routed to it on a throwaway `Core`, and `pipeline::authorize::lambda::test_invoke`
//! checks the identity sources and invokes the function exactly as the authorize phase does
//! (never cached, no method's policy evaluated). No lock is held while the function runs.

use super::test_invoke::{frame_request, merge_headers, test_core, ExecLog, TEST_STAGE};
use crate::admin::error::ApiError;
use crate::deploy::authorizers::AuthorizerIdx;
use crate::deploy::compile::{build_snapshot, compile_stage_for_test_invoke, UpstreamInterner};
use crate::deploy::model::{Integration, Method, Resource, RestApi, Stage};
use crate::deploy::snapshot::ApiRuntime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

/// Added to the authorizer's timeout: connection set-up.
const MARGIN: Duration = Duration::from_secs(2);

/// TestInvokeAuthorizerRequest's body members.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestInvokeAuthorizerIn {
    pub headers: Option<BTreeMap<String, String>>,
    pub multi_value_headers: Option<BTreeMap<String, Vec<String>>>,
    pub path_with_query_string: Option<String>,
    pub body: Option<String>,
    pub stage_variables: Option<BTreeMap<String, String>>,
    pub additional_context: Option<BTreeMap<String, String>>,
}

/// TestInvokeAuthorizerResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestInvokeAuthorizerOut {
    pub client_status: u16,
    pub log: String,
    pub latency: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// Everything `execute` needs, built under the control-plane lock.
pub struct Prepared {
    snapshot: crate::deploy::Snapshot,
    request: Vec<u8>,
    authorizer: AuthorizerIdx,
    log: ExecLog,
}

pub fn prepare(
    api: &RestApi,
    authorizer_id: &str,
    input: TestInvokeAuthorizerIn,
) -> Result<Prepared, ApiError> {
    let i = api
        .authorizers
        .iter()
        .position(|a| a.id == authorizer_id)
        .ok_or(ApiError::NotFound(
            "Invalid Authorizer identifier specified",
        ))?;
    let a = &api.authorizers[i];
    let kind = a.extra.get("type").and_then(|t| t.as_str()).unwrap_or("");
    if !matches!(kind, "TOKEN" | "REQUEST") {
        return Err(ApiError::bad_request(format!(
            "TestInvokeAuthorizer supports TOKEN and REQUEST authorizers in this Tollgate version, not {kind}"
        )));
    }
    if let Some(vars) = &input.stage_variables {
        crate::admin::deployments::stages::validate_variables(vars)?;
    }
    // The API's authorizers (indexes unchanged) in front of one catch-all method naming this one.
    let method = Method {
        http_method: "ANY".into(),
        authorization_type: "CUSTOM".into(),
        authorizer_id: Some(authorizer_id.into()),
        method_integration: Some(Integration {
            kind: "MOCK".into(),
            ..Integration::default()
        }),
        ..Method::default()
    };
    let mut synthetic = api.clone();
    synthetic.resources = vec![
        Resource {
            id: "testroot".into(),
            path: "/".into(),
            resource_methods: [("ANY".to_string(), method.clone())].into(),
            ..Resource::default()
        },
        Resource {
            id: "testproxy".into(),
            parent_id: Some("testroot".into()),
            path_part: Some("{proxy+}".into()),
            path: "/{proxy+}".into(),
            resource_methods: [("ANY".to_string(), method)].into(),
            ..Resource::default()
        },
    ];
    let stage = Stage {
        stage_name: TEST_STAGE.into(),
        deployment_id: "test-invoke-deployment".into(),
        variables: input.stage_variables.clone().unwrap_or_default(),
        ..Stage::default()
    };
    let mut upstreams = UpstreamInterner::default();
    let runtime = compile_stage_for_test_invoke(&synthetic, &stage, &mut upstreams)
        .map_err(|p| ApiError::bad_request(p.render("The authorizer cannot be invoked:")))?;
    let snapshot = build_snapshot(
        vec![ApiRuntime {
            endpoint_type: crate::deploy::snapshot::endpoint_type(
                api.endpoint_configuration.as_ref(),
            ),
            id: api.id.as_str().into(),
            name: api.name.as_str().into(),
            stages: vec![runtime],
        }],
        &upstreams,
    );
    let path_query = match input.path_with_query_string.as_deref() {
        None | Some("") => "/".to_string(),
        Some(p) if p.starts_with('/') => p.to_string(),
        Some(p) => format!("/{p}"),
    };
    let headers = merge_headers(input.headers.as_ref(), input.multi_value_headers.as_ref())?;
    let body = input.body.unwrap_or_default();
    let request = frame_request("GET", &path_query, &headers, body.as_bytes(), &api.id)?;
    let mut log = ExecLog::new();
    log.line(format!(
        "Starting authorizer: {} for request: {}",
        a.id,
        crate::deploy::ids::new_id(36)
    ));
    // A Lambda authorizer's event has no place for it; logged so the caller sees it was read.
    if let Some(extra) = input.additional_context.as_ref().filter(|m| !m.is_empty()) {
        log.line(format!(
            "Additional context (not used by Lambda authorizers): {extra:?}"
        ));
    }
    Ok(Prepared {
        snapshot,
        request,
        authorizer: AuthorizerIdx(i as u32),
        log,
    })
}

/// Runs the prepared request through the authorizer on a thread of its own (never under the
/// control-plane lock), for at most the authorizer's timeout.
pub fn execute(prepared: Prepared) -> Result<TestInvokeAuthorizerOut, ApiError> {
    let Prepared {
        snapshot,
        request,
        authorizer,
        mut log,
    } = prepared;
    let started = Instant::now();
    let tested = super::test_invoke::on_own_thread("tollgate-test-invoke-authorizer", move || {
        in_process(snapshot, request, authorizer)
    })?;
    let latency = started.elapsed().as_millis() as u64;
    for line in &tested.log {
        log.line(line);
    }
    if !tested.context.is_empty() {
        let pairs: Vec<String> = tested
            .context
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        log.line(format!("Authorizer context: {{{}}}", pairs.join(", ")));
    }
    log.line(format!(
        "Authorizer result: client status {}",
        tested.client_status
    ));
    Ok(TestInvokeAuthorizerOut {
        client_status: tested.client_status,
        log: log.finish(),
        latency,
        principal_id: tested.principal_id,
        policy: tested.policy,
    })
}

fn in_process(
    snapshot: crate::deploy::Snapshot,
    request: Vec<u8>,
    authorizer: AuthorizerIdx,
) -> std::io::Result<crate::pipeline::authorize::lambda::Tested> {
    let limit = crate::pipeline::authorize::lambda::TIMEOUT + MARGIN;
    let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
        .enable_timer()
        .build()?;
    rt.block_on(async move {
        let core = test_core(snapshot, limit)?;
        let snap = core.current();
        let mut head = Box::new(crate::http::request::RequestHead::new());
        let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let req = crate::pipeline::local::request(&core, &request, &mut head, peer)
            .map_err(std::io::Error::other)?;
        let x = crate::pipeline::route::route(&req, &snap)
            .map_err(|e| std::io::Error::other(format!("the test request did not route: {e:?}")))?;
        let mut scratch = Vec::new();
        let tested =
            crate::pipeline::authorize::lambda::test_invoke(&x, &core, authorizer, &mut scratch);
        monoio::time::timeout(limit, tested)
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"))
    })
}
