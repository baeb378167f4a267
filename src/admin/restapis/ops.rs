//! The API-definition operations of the management API: ImportRestApi, PutRestApi, GetRestApis,
//! GetRestApi, DeleteRestApi (`run_rest_api`), and CreateRestApi, UpdateRestApi, Resources,
//! Methods, MethodResponses, Integrations, IntegrationResponses and GetExport. `route` maps
//! (method, path) to a `TreeOp`; `run` decodes the body, runs the edit through
//! `ControlPlane::edit_rest_api` (one store transaction) and encodes AWS's output shape with the
//! operation's status (201 for Create/Put, 200 Get/Update, 202 DeleteResource, 204 other Deletes).

use super::{integrations as integ, methods, resources, restapi};
use crate::admin::control::{ControlPlane, PutMode};
use crate::admin::error::ApiError;
use crate::admin::http::{Request, Response};
use crate::admin::limits::check_quota;
use crate::admin::patch;
use crate::admin::restapis::shapes::{
    integration_out, integration_response_out, method_out, method_response_out, resource_out,
    RestApiOut,
};
use crate::admin::routes::Op;
use crate::admin::shapes::{page_of, parse_body};
use crate::deploy::export::{self, ExportOptions, Format, Spec};
use crate::deploy::import::{BasePathMode, ImportOptions};

/// Where a method-level operation points: resource id and HTTP method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub api: String,
    pub resource: String,
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeOp {
    CreateRestApi,
    UpdateRestApi {
        api: String,
    },
    CreateResource {
        api: String,
        parent: String,
    },
    GetResources {
        api: String,
    },
    GetResource {
        api: String,
        resource: String,
    },
    UpdateResource {
        api: String,
        resource: String,
    },
    DeleteResource {
        api: String,
        resource: String,
    },
    PutMethod(At),
    GetMethod(At),
    UpdateMethod(At),
    DeleteMethod(At),
    PutMethodResponse(At, String),
    GetMethodResponse(At, String),
    UpdateMethodResponse(At, String),
    DeleteMethodResponse(At, String),
    PutIntegration(At),
    GetIntegration(At),
    UpdateIntegration(At),
    DeleteIntegration(At),
    PutIntegrationResponse(At, String),
    GetIntegrationResponse(At, String),
    UpdateIntegrationResponse(At, String),
    DeleteIntegrationResponse(At, String),
    GetExport {
        api: String,
        stage: String,
        export_type: String,
    },
}

/// The routes of this module's operations (botocore's `requestUri`s).
pub fn route(method: &str, segs: &[&str]) -> Option<TreeOp> {
    let s = |x: &str| x.to_string();
    let at = |a: &str, r: &str, m: &str| At {
        api: s(a),
        resource: s(r),
        method: s(m),
    };
    Some(match (method, segs) {
        ("POST", ["restapis"]) => TreeOp::CreateRestApi,
        ("PATCH", ["restapis", api]) => TreeOp::UpdateRestApi { api: s(api) },
        ("POST", ["restapis", api, "resources", parent]) => TreeOp::CreateResource {
            api: s(api),
            parent: s(parent),
        },
        ("GET", ["restapis", api, "resources"]) => TreeOp::GetResources { api: s(api) },
        (verb, ["restapis", api, "resources", r]) => {
            let (api, resource) = (s(api), s(r));
            match verb {
                "GET" => TreeOp::GetResource { api, resource },
                "PATCH" => TreeOp::UpdateResource { api, resource },
                "DELETE" => TreeOp::DeleteResource { api, resource },
                _ => return None,
            }
        }
        (verb, ["restapis", a, "resources", r, "methods", m]) => {
            let at = at(a, r, m);
            match verb {
                "PUT" => TreeOp::PutMethod(at),
                "GET" => TreeOp::GetMethod(at),
                "PATCH" => TreeOp::UpdateMethod(at),
                "DELETE" => TreeOp::DeleteMethod(at),
                _ => return None,
            }
        }
        (verb, ["restapis", a, "resources", r, "methods", m, "responses", code]) => {
            let (at, code) = (at(a, r, m), s(code));
            match verb {
                "PUT" => TreeOp::PutMethodResponse(at, code),
                "GET" => TreeOp::GetMethodResponse(at, code),
                "PATCH" => TreeOp::UpdateMethodResponse(at, code),
                "DELETE" => TreeOp::DeleteMethodResponse(at, code),
                _ => return None,
            }
        }
        (verb, ["restapis", a, "resources", r, "methods", m, "integration"]) => {
            let at = at(a, r, m);
            match verb {
                "PUT" => TreeOp::PutIntegration(at),
                "GET" => TreeOp::GetIntegration(at),
                "PATCH" => TreeOp::UpdateIntegration(at),
                "DELETE" => TreeOp::DeleteIntegration(at),
                _ => return None,
            }
        }
        (verb, ["restapis", a, "resources", r, "methods", m, "integration", "responses", code]) => {
            let (at, code) = (at(a, r, m), s(code));
            match verb {
                "PUT" => TreeOp::PutIntegrationResponse(at, code),
                "GET" => TreeOp::GetIntegrationResponse(at, code),
                "PATCH" => TreeOp::UpdateIntegrationResponse(at, code),
                "DELETE" => TreeOp::DeleteIntegrationResponse(at, code),
                _ => return None,
            }
        }
        ("GET", ["restapis", api, "stages", stage, "exports", t]) => TreeOp::GetExport {
            api: s(api),
            stage: s(stage),
            export_type: s(t),
        },
        _ => return None,
    })
}

fn embed_methods(req: &Request) -> bool {
    req.query("embed")
        .is_some_and(|e| e.split(',').any(|x| x.trim() == "methods"))
}

/// ImportRestApi, PutRestApi, GetRestApis, GetRestApi and DeleteRestApi.
pub fn run_rest_api(cp: &mut ControlPlane, op: Op, req: &Request) -> Result<Response, ApiError> {
    match op {
        Op::ImportRestApi => {
            let api = cp.import_rest_api(&req.body, &import_options(req)?)?;
            Ok(Response::json(201, &RestApiOut::from(&api)))
        }
        Op::PutRestApi { api } => {
            let mode = match req.query("mode") {
                None | Some("merge") => PutMode::Merge,
                Some("overwrite") => PutMode::Overwrite,
                Some(other) => {
                    return Err(ApiError::bad_request(format!(
                        "Invalid mode {other}: use merge or overwrite"
                    )))
                }
            };
            let api = cp.put_rest_api(&api, &req.body, mode, &import_options(req)?)?;
            Ok(Response::json(200, &RestApiOut::from(&api)))
        }
        Op::GetRestApis => {
            let apis = cp.list_rest_apis()?;
            let page = page_of(req, &apis, |a| &a.id, RestApiOut::from)?;
            Ok(Response::json(200, &page))
        }
        Op::GetRestApi { api } => Ok(Response::json(
            200,
            &RestApiOut::from(&cp.get_rest_api(&api)?),
        )),
        Op::DeleteRestApi { api } => {
            cp.delete_rest_api(&api)?;
            Ok(Response::empty(202))
        }
        other => Err(ApiError::Internal(format!(
            "{other:?} is not a RestApi operation"
        ))),
    }
}

/// `failonwarnings` and `basepath` (botocore sends the `parameters` map as plain query values).
fn import_options(req: &Request) -> Result<ImportOptions, ApiError> {
    let fail_on_warnings = match req.query("failonwarnings") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid failonwarnings {other}"
            )))
        }
    };
    let basepath = match req.query("basepath") {
        None | Some("ignore") => BasePathMode::Ignore,
        Some("prepend") => BasePathMode::Prepend,
        Some("split") => BasePathMode::Split,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid basepath {other}: use ignore, prepend or split"
            )))
        }
    };
    Ok(ImportOptions {
        basepath,
        fail_on_warnings,
    })
}

pub fn run(cp: &mut ControlPlane, op: TreeOp, req: &Request) -> Result<Response, ApiError> {
    use TreeOp::*;
    let ok = |v: serde_json::Value| Ok(Response::json(200, &v));
    let created = |v: serde_json::Value| Ok(Response::json(201, &v));
    match op {
        CreateRestApi => {
            let api = restapi::new_rest_api(parse_body(&req.body)?, now())?;
            let api = cp.create_rest_api(api)?;
            Ok(Response::json(201, &RestApiOut::from(&api)))
        }
        UpdateRestApi { api } => {
            let ops = patch::parse(&req.body)?;
            let api = cp.edit_rest_api(&api, |a| {
                *a = restapi::update_rest_api(a, &ops)?;
                Ok(a.clone())
            })?;
            Ok(Response::json(200, &RestApiOut::from(&api)))
        }
        CreateResource { api, parent } => {
            #[derive(serde::Deserialize, Default)]
            #[serde(rename_all = "camelCase", deny_unknown_fields)]
            struct In {
                path_part: Option<String>,
            }
            let input: In = parse_body(&req.body)?;
            let part = input
                .path_part
                .ok_or_else(|| ApiError::bad_request("pathPart must not be null"))?;
            let quota = cp.quotas().resources_per_api;
            let r = cp.edit_rest_api(&api, |a| {
                check_quota("resources per API", a.resources.len(), 1, quota)?;
                resources::create_resource(a, &parent, &part)
            })?;
            created(resource_out(&r, false))
        }
        GetResources { api } => {
            let mut all = cp.get_rest_api(&api)?.resources;
            all.sort_by(|a, b| a.id.cmp(&b.id));
            let embed = embed_methods(req);
            let page = page_of(req, &all, |r| &r.id, |r| resource_out(r, embed))?;
            Ok(Response::json(200, &page))
        }
        GetResource { api, resource } => {
            let a = cp.get_rest_api(&api)?;
            ok(resource_out(
                resources::resource(&a, &resource)?,
                embed_methods(req),
            ))
        }
        UpdateResource { api, resource } => {
            let ops = patch::parse(&req.body)?;
            let r = cp.edit_rest_api(&api, |a| resources::update_resource(a, &resource, &ops))?;
            ok(resource_out(&r, false))
        }
        DeleteResource { api, resource } => {
            cp.edit_rest_api(&api, |a| resources::delete_resource(a, &resource))?;
            Ok(Response::empty(202))
        }
        PutMethod(at) => {
            let input = parse_body(&req.body)?;
            let m = edit(cp, &at, |a| {
                methods::put_method(a, &at.resource, &at.method, input)
            })?;
            created(method_out(&m, &at.resource))
        }
        GetMethod(at) => {
            let m = read(cp, &at, |a| {
                methods::method_mut(a, &at.resource, &at.method).cloned()
            })?;
            ok(method_out(&m, &at.resource))
        }
        UpdateMethod(at) => {
            let ops = patch::parse(&req.body)?;
            let m = edit(cp, &at, |a| {
                methods::update_method(a, &at.resource, &at.method, &ops)
            })?;
            ok(method_out(&m, &at.resource))
        }
        DeleteMethod(at) => {
            edit(cp, &at, |a| {
                methods::delete_method(a, &at.resource, &at.method)
            })?;
            Ok(Response::empty(204))
        }
        PutMethodResponse(at, code) => {
            let input = parse_body(&req.body)?;
            let r = edit(cp, &at, |a| {
                methods::put_method_response(a, &at.resource, &at.method, &code, input)
            })?;
            created(method_response_out(&r))
        }
        GetMethodResponse(at, code) => {
            let r = read(cp, &at, |a| {
                methods::method_response_mut(a, &at.resource, &at.method, &code).cloned()
            })?;
            ok(method_response_out(&r))
        }
        UpdateMethodResponse(at, code) => {
            let ops = patch::parse(&req.body)?;
            let r = edit(cp, &at, |a| {
                methods::update_method_response(a, &at.resource, &at.method, &code, &ops)
            })?;
            ok(method_response_out(&r))
        }
        DeleteMethodResponse(at, code) => {
            edit(cp, &at, |a| {
                methods::delete_method_response(a, &at.resource, &at.method, &code)
            })?;
            Ok(Response::empty(204))
        }
        PutIntegration(at) => {
            let input = parse_body(&req.body)?;
            let i = edit(cp, &at, |a| {
                integ::put_integration(a, &at.resource, &at.method, input)
            })?;
            created(integration_out(&i, &at.resource))
        }
        GetIntegration(at) => {
            let i = read(cp, &at, |a| {
                integ::integration_mut(a, &at.resource, &at.method).cloned()
            })?;
            ok(integration_out(&i, &at.resource))
        }
        UpdateIntegration(at) => {
            let ops = patch::parse(&req.body)?;
            let i = edit(cp, &at, |a| {
                integ::update_integration(a, &at.resource, &at.method, &ops)
            })?;
            ok(integration_out(&i, &at.resource))
        }
        DeleteIntegration(at) => {
            edit(cp, &at, |a| {
                integ::delete_integration(a, &at.resource, &at.method)
            })?;
            Ok(Response::empty(204))
        }
        PutIntegrationResponse(at, code) => {
            let input = parse_body(&req.body)?;
            let r = edit(cp, &at, |a| {
                integ::put_integration_response(a, &at.resource, &at.method, &code, input)
            })?;
            created(integration_response_out(&r))
        }
        GetIntegrationResponse(at, code) => {
            let r = read(cp, &at, |a| {
                integ::integration_response_mut(a, &at.resource, &at.method, &code).cloned()
            })?;
            ok(integration_response_out(&r))
        }
        UpdateIntegrationResponse(at, code) => {
            let ops = patch::parse(&req.body)?;
            let r = edit(cp, &at, |a| {
                integ::update_integration_response(a, &at.resource, &at.method, &code, &ops)
            })?;
            ok(integration_response_out(&r))
        }
        DeleteIntegrationResponse(at, code) => {
            edit(cp, &at, |a| {
                integ::delete_integration_response(a, &at.resource, &at.method, &code)
            })?;
            Ok(Response::empty(204))
        }
        GetExport {
            api,
            stage,
            export_type,
        } => get_export(cp, &api, &stage, &export_type, req),
    }
}

fn edit<T>(
    cp: &mut ControlPlane,
    at: &At,
    f: impl FnOnce(&mut crate::deploy::model::RestApi) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    cp.edit_rest_api(&at.api, f)
}

/// A read through the same accessors the edits use, on a copy.
fn read<T>(
    cp: &ControlPlane,
    at: &At,
    f: impl FnOnce(&mut crate::deploy::model::RestApi) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut api = cp.get_rest_api(&at.api)?;
    f(&mut api)
}

fn get_export(
    cp: &ControlPlane,
    api: &str,
    stage: &str,
    export_type: &str,
    req: &Request,
) -> Result<Response, ApiError> {
    let spec = match export_type {
        "oas30" => Spec::OpenApi3,
        "swagger" => Spec::Swagger2,
        other => {
            return Err(ApiError::bad_request(format!(
                "Invalid export type specified: {other}. Valid options are oas30, swagger"
            )))
        }
    };
    let format = match req.header("accept").map(str::trim) {
        None | Some("" | "*/*" | "application/json") => Format::Json,
        Some("application/yaml") => Format::Yaml,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid accept type specified: {other}. Valid options are application/json, application/yaml"
            )))
        }
    };
    let opts = ExportOptions::from_extensions(req.query("extensions").unwrap_or(""))
        .map_err(ApiError::bad_request)?;
    let (stage, deployed) = cp.deployed_api(api, stage)?;
    let body = export::render(&deployed, &stage, spec, format, &opts);
    let content_type = match format {
        Format::Json => "application/json",
        Format::Yaml => "application/yaml",
    };
    let mut resp = Response::bytes(200, content_type, body);
    let ext = match format {
        Format::Json => "json",
        Format::Yaml => "yaml",
    };
    resp.headers.push((
        "Content-Disposition",
        format!("attachment; filename=\"{export_type}_{}.{ext}\"", now()),
    ));
    Ok(resp)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
