//! The admin port's routing table: (method, path) -> `Route`. Pure, so it is tested as a table.
//!
//! Paths and methods are those of botocore's `apigateway` 2015-07-09 model. A path or method not
//! listed is `None`, which the server answers 404 `NotFoundException` (Tollgate implements a
//! subset of the management API; AWS itself would route it, so "not found" is the honest answer).

/// A request's destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /ping`: health and readiness, unauthenticated.
    Ping,
    /// `GET /metrics`: Prometheus text, unauthenticated.
    Metrics,
    /// A management API operation: authenticated, then run by `dispatch`.
    Op(Op),
}

/// Management operations, named as in the AWS model; fields are the URI members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    ImportRestApi,
    GetRestApis,
    GetRestApi {
        api: String,
    },
    PutRestApi {
        api: String,
    },
    DeleteRestApi {
        api: String,
    },
    CreateDeployment {
        api: String,
    },
    GetDeployments {
        api: String,
    },
    GetDeployment {
        api: String,
        deployment: String,
    },
    GetStages {
        api: String,
    },
    GetStage {
        api: String,
        stage: String,
    },
    /// `POST .../methods/{http_method}`: run the current definition (`test_invoke`).
    TestInvokeMethod {
        api: String,
        resource: String,
        method: String,
    },
    /// `POST /restapis/{id}/authorizers/{authorizer_id}`: run an authorizer of the current
    /// definition (`test_invoke_authorizer`).
    TestInvokeAuthorizer {
        api: String,
        authorizer: String,
    },
    /// `POST /tollgate/backup`: a consistent copy of the store (Tollgate's own, not AWS's).
    Backup,
    /// RestApi definition operations (resources, methods, integrations, export): `restapis::ops`.
    Tree(crate::admin::restapis::ops::TreeOp),
    CreateStage {
        api: String,
    },
    UpdateStage {
        api: String,
        stage: String,
    },
    DeleteStage {
        api: String,
        stage: String,
    },
    /// `DELETE .../stages/{name}/cache/data` (with Tollgate's `?pathPrefix=` purge).
    FlushStageCache {
        api: String,
        stage: String,
    },
    /// `DELETE .../stages/{name}/cache/authorizers`.
    FlushStageAuthorizersCache {
        api: String,
        stage: String,
    },
    UpdateDeployment {
        api: String,
        deployment: String,
    },
    DeleteDeployment {
        api: String,
        deployment: String,
    },
    CreateApiKey,
    ImportApiKeys,
    GetApiKeys,
    GetApiKey {
        key: String,
    },
    UpdateApiKey {
        key: String,
    },
    DeleteApiKey {
        key: String,
    },
    CreateUsagePlan,
    GetUsagePlans,
    GetUsagePlan {
        plan: String,
    },
    UpdateUsagePlan {
        plan: String,
    },
    DeleteUsagePlan {
        plan: String,
    },
    CreateUsagePlanKey {
        plan: String,
    },
    GetUsagePlanKeys {
        plan: String,
    },
    GetUsagePlanKey {
        plan: String,
        key: String,
    },
    DeleteUsagePlanKey {
        plan: String,
        key: String,
    },
    GetUsage {
        plan: String,
    },
    UpdateUsage {
        plan: String,
        key: String,
    },
    /// The ARN, whether sent as one encoded segment or with its `/` unescaped.
    GetTags {
        arn: String,
    },
    TagResource {
        arn: String,
    },
    UntagResource {
        arn: String,
    },
    /// Models, RequestValidators, Authorizers, GatewayResponses: `restapis::definition_ops`.
    Def(crate::admin::restapis::definition_ops::DefOp),
    /// DomainNames, BasePathMappings, VpcLinks, ClientCertificates: `account::ops`.
    Account(crate::admin::account::ops::AccountOp),
}

/// Routes decoded path `segments`; `mode` is the `mode` query value (ImportRestApi is
/// `POST /restapis?mode=import`; a plain `POST /restapis` is CreateRestApi, not implemented).
pub fn route(method: &str, segments: &[String], mode: Option<&str>) -> Option<Route> {
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    if let Some(op) = crate::admin::restapis::definition_ops::route(method, &segs) {
        return Some(Route::Op(Op::Def(op)));
    }
    if let Some(op) = crate::admin::account::ops::route(method, &segs) {
        return Some(Route::Op(Op::Account(op)));
    }
    let op = match (method, segs.as_slice()) {
        ("GET", ["ping"]) => return Some(Route::Ping),
        ("GET", ["metrics"]) => return Some(Route::Metrics),
        ("POST", ["restapis"]) if mode == Some("import") => Op::ImportRestApi,
        ("GET", ["restapis"]) => Op::GetRestApis,
        ("GET", ["restapis", api]) => Op::GetRestApi {
            api: api.to_string(),
        },
        ("PUT", ["restapis", api]) => Op::PutRestApi {
            api: api.to_string(),
        },
        ("DELETE", ["restapis", api]) => Op::DeleteRestApi {
            api: api.to_string(),
        },
        ("POST", ["restapis", api, "deployments"]) => Op::CreateDeployment {
            api: api.to_string(),
        },
        ("GET", ["restapis", api, "deployments"]) => Op::GetDeployments {
            api: api.to_string(),
        },
        ("GET", ["restapis", api, "deployments", d]) => Op::GetDeployment {
            api: api.to_string(),
            deployment: d.to_string(),
        },
        ("GET", ["restapis", api, "stages"]) => Op::GetStages {
            api: api.to_string(),
        },
        ("GET", ["restapis", api, "stages", s]) => Op::GetStage {
            api: api.to_string(),
            stage: s.to_string(),
        },
        ("POST", ["restapis", api, "stages"]) => Op::CreateStage {
            api: api.to_string(),
        },
        ("PATCH", ["restapis", api, "stages", s]) => Op::UpdateStage {
            api: api.to_string(),
            stage: s.to_string(),
        },
        ("DELETE", ["restapis", api, "stages", s]) => Op::DeleteStage {
            api: api.to_string(),
            stage: s.to_string(),
        },
        ("DELETE", ["restapis", api, "stages", s, "cache", "data"]) => Op::FlushStageCache {
            api: api.to_string(),
            stage: s.to_string(),
        },
        ("DELETE", ["restapis", api, "stages", s, "cache", "authorizers"]) => {
            Op::FlushStageAuthorizersCache {
                api: api.to_string(),
                stage: s.to_string(),
            }
        }
        ("PATCH", ["restapis", api, "deployments", d]) => Op::UpdateDeployment {
            api: api.to_string(),
            deployment: d.to_string(),
        },
        ("DELETE", ["restapis", api, "deployments", d]) => Op::DeleteDeployment {
            api: api.to_string(),
            deployment: d.to_string(),
        },
        ("POST", ["apikeys"]) if mode == Some("import") => Op::ImportApiKeys,
        ("POST", ["apikeys"]) => Op::CreateApiKey,
        ("GET", ["apikeys"]) => Op::GetApiKeys,
        ("GET", ["apikeys", k]) => Op::GetApiKey { key: k.to_string() },
        ("PATCH", ["apikeys", k]) => Op::UpdateApiKey { key: k.to_string() },
        ("DELETE", ["apikeys", k]) => Op::DeleteApiKey { key: k.to_string() },
        ("POST", ["usageplans"]) => Op::CreateUsagePlan,
        ("GET", ["usageplans"]) => Op::GetUsagePlans,
        ("GET", ["usageplans", p]) => Op::GetUsagePlan {
            plan: p.to_string(),
        },
        ("PATCH", ["usageplans", p]) => Op::UpdateUsagePlan {
            plan: p.to_string(),
        },
        ("DELETE", ["usageplans", p]) => Op::DeleteUsagePlan {
            plan: p.to_string(),
        },
        ("POST", ["usageplans", p, "keys"]) => Op::CreateUsagePlanKey {
            plan: p.to_string(),
        },
        ("GET", ["usageplans", p, "keys"]) => Op::GetUsagePlanKeys {
            plan: p.to_string(),
        },
        ("GET", ["usageplans", p, "keys", k]) => Op::GetUsagePlanKey {
            plan: p.to_string(),
            key: k.to_string(),
        },
        ("DELETE", ["usageplans", p, "keys", k]) => Op::DeleteUsagePlanKey {
            plan: p.to_string(),
            key: k.to_string(),
        },
        ("GET", ["usageplans", p, "usage"]) => Op::GetUsage {
            plan: p.to_string(),
        },
        ("PATCH", ["usageplans", p, "keys", k, "usage"]) => Op::UpdateUsage {
            plan: p.to_string(),
            key: k.to_string(),
        },
        (m @ ("GET" | "PUT" | "DELETE"), ["tags", arn @ ..]) if !arn.is_empty() => {
            let arn = arn.join("/");
            match m {
                "GET" => Op::GetTags { arn },
                "PUT" => Op::TagResource { arn },
                _ => Op::UntagResource { arn },
            }
        }
        ("POST", ["tollgate", "backup"]) => Op::Backup,
        ("POST", ["restapis", api, "authorizers", a]) => Op::TestInvokeAuthorizer {
            api: api.to_string(),
            authorizer: a.to_string(),
        },
        ("POST", ["restapis", api, "resources", r, "methods", m]) => Op::TestInvokeMethod {
            api: api.to_string(),
            resource: r.to_string(),
            method: m.to_string(),
        },
        _ => {
            return crate::admin::restapis::ops::route(method, &segs)
                .map(|t| Route::Op(Op::Tree(t)))
        }
    };
    Some(Route::Op(op))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, path: &str, mode: Option<&str>) -> Option<Route> {
        let segs: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        route(method, &segs, mode)
    }

    #[test]
    fn routing_table() {
        let op = |o| Some(Route::Op(o));
        let a = || "a1".to_string();
        let cases = [
            ("GET", "/ping", None, Some(Route::Ping)),
            ("GET", "/metrics", None, Some(Route::Metrics)),
            ("POST", "/restapis", Some("import"), op(Op::ImportRestApi)),
            (
                "POST",
                "/restapis",
                None,
                op(Op::Tree(crate::admin::restapis::ops::TreeOp::CreateRestApi)),
            ),
            ("GET", "/restapis", None, op(Op::GetRestApis)),
            ("GET", "/restapis/", None, op(Op::GetRestApis)),
            ("GET", "/restapis/a1", None, op(Op::GetRestApi { api: a() })),
            (
                "PUT",
                "/restapis/a1",
                Some("overwrite"),
                op(Op::PutRestApi { api: a() }),
            ),
            (
                "DELETE",
                "/restapis/a1",
                None,
                op(Op::DeleteRestApi { api: a() }),
            ),
            (
                "POST",
                "/restapis/a1/deployments",
                None,
                op(Op::CreateDeployment { api: a() }),
            ),
            (
                "GET",
                "/restapis/a1/deployments",
                None,
                op(Op::GetDeployments { api: a() }),
            ),
            (
                "GET",
                "/restapis/a1/deployments/d1",
                None,
                op(Op::GetDeployment {
                    api: a(),
                    deployment: "d1".into(),
                }),
            ),
            (
                "GET",
                "/restapis/a1/stages",
                None,
                op(Op::GetStages { api: a() }),
            ),
            (
                "GET",
                "/restapis/a1/stages/prod",
                None,
                op(Op::GetStage {
                    api: a(),
                    stage: "prod".into(),
                }),
            ),
            ("POST", "/tollgate/backup", None, op(Op::Backup)),
            (
                "POST",
                "/restapis/a1/resources/r1/methods/GET",
                None,
                op(Op::TestInvokeMethod {
                    api: a(),
                    resource: "r1".into(),
                    method: "GET".into(),
                }),
            ),
            (
                "POST",
                "/restapis/a1/authorizers/au1",
                None,
                op(Op::TestInvokeAuthorizer {
                    api: a(),
                    authorizer: "au1".into(),
                }),
            ),
            ("PUT", "/restapis/a1/resources", None, None),
            (
                "POST",
                "/restapis/a1/stages",
                None,
                op(Op::CreateStage { api: a() }),
            ),
            (
                "PATCH",
                "/restapis/a1/stages/prod",
                None,
                op(Op::UpdateStage {
                    api: a(),
                    stage: "prod".into(),
                }),
            ),
            (
                "DELETE",
                "/restapis/a1/deployments/d1",
                None,
                op(Op::DeleteDeployment {
                    api: a(),
                    deployment: "d1".into(),
                }),
            ),
            ("POST", "/apikeys", None, op(Op::CreateApiKey)),
            ("POST", "/apikeys", Some("import"), op(Op::ImportApiKeys)),
            (
                "GET",
                "/apikeys/k1",
                None,
                op(Op::GetApiKey { key: "k1".into() }),
            ),
            (
                "PATCH",
                "/usageplans/p1/keys/k1/usage",
                None,
                op(Op::UpdateUsage {
                    plan: "p1".into(),
                    key: "k1".into(),
                }),
            ),
            (
                "GET",
                "/usageplans/p1/usage",
                None,
                op(Op::GetUsage { plan: "p1".into() }),
            ),
            (
                "PUT",
                "/tags/arn:aws:apigateway:us-east-1::/restapis/a1",
                None,
                op(Op::TagResource {
                    arn: "arn:aws:apigateway:us-east-1::/restapis/a1".into(),
                }),
            ),
            ("GET", "/tags", None, None),
            ("DELETE", "/restapis", None, None),
            ("POST", "/restapis/a1/resources", None, None),
            ("GET", "/", None, None),
            ("POST", "/ping", None, None),
        ];
        for (method, path, mode, want) in cases {
            assert_eq!(r(method, path, mode), want, "{method} {path}");
        }
    }
}
