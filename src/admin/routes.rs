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
    /// A management API operation: authenticated, then run by `ops`.
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
    /// `POST /tollgate/backup`: a consistent copy of the store (Tollgate's own, not AWS's).
    Backup,
    /// RestApi definition operations (resources, methods, integrations, export): `tree_ops`.
    Tree(super::tree_ops::TreeOp),
}

/// Routes decoded path `segments`; `mode` is the `mode` query value (ImportRestApi is
/// `POST /restapis?mode=import`; a plain `POST /restapis` is CreateRestApi, not implemented).
pub fn route(method: &str, segments: &[String], mode: Option<&str>) -> Option<Route> {
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
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
        ("POST", ["tollgate", "backup"]) => Op::Backup,
        ("POST", ["restapis", api, "resources", r, "methods", m]) => Op::TestInvokeMethod {
            api: api.to_string(),
            resource: r.to_string(),
            method: m.to_string(),
        },
        _ => return super::tree_ops::route(method, &segs).map(|t| Route::Op(Op::Tree(t))),
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
                op(Op::Tree(super::super::tree_ops::TreeOp::CreateRestApi)),
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
            ("PUT", "/restapis/a1/resources", None, None),
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
