//! The account-level operations, which belong to no REST API: DomainNames, BasePathMappings,
//! VpcLinks and ClientCertificates. `route` maps (method, path) to an `AccountOp`; `run` loads the
//! stored item, applies the pure edit from `domain_names` / `vpc_links` / `client_certificates` and
//! writes the result in one store transaction (`Store::apply_account`). Statuses are the model's:
//! 201 Create/Generate, 202 CreateVpcLink and every Delete, 200 Get/Update.

use crate::admin::account::client_certificates::{
    self as certs, ClientCertificate, ClientCertificateOut,
};
use crate::admin::account::domain_names::{self, BasePathMapping, DomainName};
use crate::admin::account::tags::parse_arn;
use crate::admin::account::tags::{TagResourceIn, TagsOut};
use crate::admin::account::vpc_links::{self, VpcLink};
use crate::admin::control::ControlPlane;
use crate::admin::error::ApiError;
use crate::admin::http::{Request, Response};
use crate::admin::patch;
use crate::admin::routes::Op;
use crate::admin::shapes::{page_of, parse_body};
use crate::deploy::ids::new_id;
use crate::store::{AccountWrite, BASE_PATH_MAPPING, CLIENT_CERTIFICATE, DOMAIN_NAME, VPC_LINK};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// The collection an operation addresses; `BasePathMappings` names its domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coll {
    DomainNames,
    BasePathMappings(String),
    VpcLinks,
    ClientCertificates,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountOp {
    Create(Coll),
    List(Coll),
    Get(Coll, String),
    Update(Coll, String),
    Delete(Coll, String),
}

pub fn route(method: &str, segs: &[&str]) -> Option<AccountOp> {
    let (coll, key) = match segs {
        ["domainnames"] => (Coll::DomainNames, None),
        ["domainnames", d] => (Coll::DomainNames, Some(d)),
        ["domainnames", d, "basepathmappings"] => (Coll::BasePathMappings(d.to_string()), None),
        ["domainnames", d, "basepathmappings", b] => {
            (Coll::BasePathMappings(d.to_string()), Some(b))
        }
        ["vpclinks"] => (Coll::VpcLinks, None),
        ["vpclinks", id] => (Coll::VpcLinks, Some(id)),
        ["clientcertificates"] => (Coll::ClientCertificates, None),
        ["clientcertificates", id] => (Coll::ClientCertificates, Some(id)),
        _ => return None,
    };
    Some(match (method, key) {
        ("POST", None) => AccountOp::Create(coll),
        ("GET", None) => AccountOp::List(coll),
        ("GET", Some(k)) => AccountOp::Get(coll, k.to_string()),
        ("PATCH", Some(k)) => AccountOp::Update(coll, k.to_string()),
        ("DELETE", Some(k)) => AccountOp::Delete(coll, k.to_string()),
        _ => return None,
    })
}

fn put<T: Serialize>(kind: &'static str, key: String, v: &T) -> AccountWrite {
    AccountWrite::Put {
        kind,
        key,
        json: serde_json::to_vec(v).unwrap_or_default(),
    }
}

fn load<T: DeserializeOwned>(
    cp: &ControlPlane,
    kind: &'static str,
    key: &str,
    missing: ApiError,
) -> Result<T, ApiError> {
    cp.store().get_account(kind, key)?.ok_or(missing)
}

fn json(status: u16, v: impl Serialize) -> Result<Response, ApiError> {
    Ok(Response::json(status, &v))
}

/// The mapping's output shape, with AWS's `(none)` for the whole domain.
fn mapping_out(m: &BasePathMapping) -> Value {
    serde_json::to_value(m).unwrap_or_default()
}

pub fn run(cp: &mut ControlPlane, op: AccountOp, req: &Request) -> Result<Response, ApiError> {
    let now = now();
    match op {
        AccountOp::Create(Coll::DomainNames) => {
            let mut d: DomainName = parse_body(&req.body)?;
            if d.domain_name.is_empty() {
                return Err(ApiError::bad_request("Domain name must be specified"));
            }
            d.certificate_upload_date = None;
            domain_names::validate(&mut d, now)?;
            if cp
                .store()
                .get_account::<Value>(DOMAIN_NAME, &d.domain_name)?
                .is_some()
            {
                return Err(ApiError::Conflict(
                    "The domain name you provided already exists.".into(),
                ));
            }
            cp.store()
                .apply_account(&[put(DOMAIN_NAME, d.domain_name.clone(), &d)])?;
            json(201, domain_names::domain_out(&d))
        }
        AccountOp::Create(Coll::BasePathMappings(domain)) => {
            load::<Value>(cp, DOMAIN_NAME, &domain, domain_names::DOMAIN_NOT_FOUND)?;
            let mut m: BasePathMapping = parse_body(&req.body)?;
            let base = domain_names::normalise_base_path(m.base_path.as_deref())?;
            m.base_path = Some(base.clone());
            check_target(cp, &m)?;
            let existing = mapping_paths(cp, &domain)?;
            domain_names::check_none_exclusive(&existing, &base)?;
            cp.store().apply_account(&[put(
                BASE_PATH_MAPPING,
                domain_names::mapping_key(&domain, &base),
                &m,
            )])?;
            json(201, mapping_out(&m))
        }
        AccountOp::Create(Coll::VpcLinks) => {
            let l = vpc_links::new_vpc_link(new_id(6), parse_body(&req.body)?)?;
            cp.store()
                .apply_account(&[put(VPC_LINK, l.id.clone(), &l)])?;
            json(202, &l)
        }
        AccountOp::Create(Coll::ClientCertificates) => {
            let c = certs::generate(new_id(6), parse_body(&req.body)?, now)?;
            cp.store().apply_account(&[put(
                CLIENT_CERTIFICATE,
                c.client_certificate_id.clone(),
                &c,
            )])?;
            json(201, ClientCertificateOut::from(&c))
        }
        AccountOp::List(coll) => list(cp, coll, req),
        AccountOp::Get(coll, key) => match coll {
            Coll::DomainNames => {
                let d: DomainName = load(cp, DOMAIN_NAME, &key, domain_names::DOMAIN_NOT_FOUND)?;
                json(200, domain_names::domain_out(&d))
            }
            Coll::BasePathMappings(domain) => {
                load::<Value>(cp, DOMAIN_NAME, &domain, domain_names::DOMAIN_NOT_FOUND)?;
                let k = domain_names::mapping_key(&domain, &none_if_empty(&key));
                let m: BasePathMapping =
                    load(cp, BASE_PATH_MAPPING, &k, domain_names::MAPPING_NOT_FOUND)?;
                json(200, mapping_out(&m))
            }
            Coll::VpcLinks => {
                let l: VpcLink = load(cp, VPC_LINK, &key, vpc_links::VPC_LINK_NOT_FOUND)?;
                json(200, &l)
            }
            Coll::ClientCertificates => {
                let c: ClientCertificate =
                    load(cp, CLIENT_CERTIFICATE, &key, certs::CERTIFICATE_NOT_FOUND)?;
                json(200, ClientCertificateOut::from(&c))
            }
        },
        AccountOp::Update(coll, key) => {
            let ops = patch::parse(&req.body)?;
            match coll {
                Coll::DomainNames => {
                    let d: DomainName =
                        load(cp, DOMAIN_NAME, &key, domain_names::DOMAIN_NOT_FOUND)?;
                    let d = domain_names::update_domain(&d, &ops, now)?;
                    cp.store().apply_account(&[put(DOMAIN_NAME, key, &d)])?;
                    json(200, domain_names::domain_out(&d))
                }
                Coll::BasePathMappings(domain) => {
                    load::<Value>(cp, DOMAIN_NAME, &domain, domain_names::DOMAIN_NOT_FOUND)?;
                    let old_base = none_if_empty(&key);
                    let old_key = domain_names::mapping_key(&domain, &old_base);
                    let m: BasePathMapping = load(
                        cp,
                        BASE_PATH_MAPPING,
                        &old_key,
                        domain_names::MAPPING_NOT_FOUND,
                    )?;
                    let m = domain_names::update_mapping(&m, &ops)?;
                    check_target(cp, &m)?;
                    let base = m.base_path.clone().unwrap_or_default();
                    let mut writes = Vec::new();
                    if base != old_base {
                        let others: Vec<String> = mapping_paths(cp, &domain)?
                            .into_iter()
                            .filter(|b| *b != old_base)
                            .collect();
                        domain_names::check_none_exclusive(&others, &base)?;
                        writes.push(AccountWrite::Delete {
                            kind: BASE_PATH_MAPPING,
                            key: old_key,
                        });
                    }
                    writes.push(put(
                        BASE_PATH_MAPPING,
                        domain_names::mapping_key(&domain, &base),
                        &m,
                    ));
                    cp.store().apply_account(&writes)?;
                    json(200, mapping_out(&m))
                }
                Coll::VpcLinks => {
                    let l: VpcLink = load(cp, VPC_LINK, &key, vpc_links::VPC_LINK_NOT_FOUND)?;
                    let l = vpc_links::update_vpc_link(&l, &ops)?;
                    cp.store().apply_account(&[put(VPC_LINK, key, &l)])?;
                    json(200, &l)
                }
                Coll::ClientCertificates => {
                    let c: ClientCertificate =
                        load(cp, CLIENT_CERTIFICATE, &key, certs::CERTIFICATE_NOT_FOUND)?;
                    let c = certs::update(&c, &ops)?;
                    cp.store()
                        .apply_account(&[put(CLIENT_CERTIFICATE, key, &c)])?;
                    json(200, ClientCertificateOut::from(&c))
                }
            }
        }
        AccountOp::Delete(coll, key) => {
            let writes = match coll {
                Coll::DomainNames => {
                    load::<Value>(cp, DOMAIN_NAME, &key, domain_names::DOMAIN_NOT_FOUND)?;
                    // AWS deletes a domain's base path mappings with it.
                    vec![
                        AccountWrite::DeletePrefix {
                            kind: BASE_PATH_MAPPING,
                            prefix: domain_names::mapping_key(&key, ""),
                        },
                        AccountWrite::Delete {
                            kind: DOMAIN_NAME,
                            key,
                        },
                    ]
                }
                Coll::BasePathMappings(domain) => {
                    load::<Value>(cp, DOMAIN_NAME, &domain, domain_names::DOMAIN_NOT_FOUND)?;
                    let k = domain_names::mapping_key(&domain, &none_if_empty(&key));
                    load::<Value>(cp, BASE_PATH_MAPPING, &k, domain_names::MAPPING_NOT_FOUND)?;
                    vec![AccountWrite::Delete {
                        kind: BASE_PATH_MAPPING,
                        key: k,
                    }]
                }
                Coll::VpcLinks => {
                    load::<Value>(cp, VPC_LINK, &key, vpc_links::VPC_LINK_NOT_FOUND)?;
                    check_vpc_link_unused(cp, &key)?;
                    vec![AccountWrite::Delete {
                        kind: VPC_LINK,
                        key,
                    }]
                }
                Coll::ClientCertificates => {
                    load::<Value>(cp, CLIENT_CERTIFICATE, &key, certs::CERTIFICATE_NOT_FOUND)?;
                    check_certificate_unused(cp, &key)?;
                    vec![AccountWrite::Delete {
                        kind: CLIENT_CERTIFICATE,
                        key,
                    }]
                }
            };
            cp.store().apply_account(&writes)?;
            Ok(Response::empty(202))
        }
    }
}

/// An empty base path segment is the `(none)` mapping.
/// GetTags, TagResource and UntagResource: on any taggable ARN (`account::tags::parse_arn`).
pub fn run_tags(cp: &mut ControlPlane, op: Op, req: &Request) -> Result<Response, ApiError> {
    match op {
        Op::GetTags { arn } => {
            let tags = cp.get_tags(&parse_arn(&arn)?)?;
            Ok(Response::json(200, &TagsOut { tags: &tags }))
        }
        Op::TagResource { arn } => {
            let target = parse_arn(&arn)?;
            let input: TagResourceIn = parse_body(&req.body)?;
            let tags = input
                .tags
                .ok_or_else(|| ApiError::bad_request("tags is required"))?;
            cp.change_tags(&target, &tags, &[])?;
            Ok(Response::empty(204))
        }
        Op::UntagResource { arn } => {
            let target = parse_arn(&arn)?;
            let keys: Vec<String> = req
                .query
                .iter()
                .filter(|(k, _)| k == "tagKeys")
                .map(|(_, v)| v.clone())
                .collect();
            if keys.is_empty() {
                return Err(ApiError::bad_request("tagKeys is required"));
            }
            cp.change_tags(&target, &Default::default(), &keys)?;
            Ok(Response::empty(204))
        }
        other => Err(ApiError::Internal(format!(
            "{other:?} is not a tag operation"
        ))),
    }
}

fn none_if_empty(base: &str) -> String {
    if base.is_empty() {
        domain_names::NONE_BASE_PATH.to_string()
    } else {
        base.to_string()
    }
}

/// The domain's mapped base paths.
fn mapping_paths(cp: &ControlPlane, domain: &str) -> Result<Vec<String>, ApiError> {
    let prefix = domain_names::mapping_key(domain, "");
    let all: Vec<(String, Value)> = cp.store().list_account(BASE_PATH_MAPPING, &prefix)?;
    Ok(all
        .into_iter()
        .map(|(k, _)| k[prefix.len()..].to_string())
        .collect())
}

/// A mapping's API must exist, and its stage too when one is named.
fn check_target(cp: &ControlPlane, m: &BasePathMapping) -> Result<(), ApiError> {
    let api = m
        .rest_api_id
        .as_deref()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::bad_request("restApiId must be specified"))?;
    cp.get_rest_api(api)
        .map_err(|_| ApiError::bad_request("Invalid REST API identifier specified"))?;
    if let Some(stage) = &m.stage {
        cp.get_stage(api, stage)
            .map_err(|_| ApiError::bad_request("Invalid stage identifier specified"))?;
    }
    Ok(())
}

/// AWS refuses to delete a VPC link an integration still uses.
fn check_vpc_link_unused(cp: &ControlPlane, id: &str) -> Result<(), ApiError> {
    for api in cp.list_rest_apis()? {
        for r in &api.resources {
            for (verb, m) in &r.resource_methods {
                let uses = m.method_integration.as_ref().is_some_and(|i| {
                    i.connection_type.as_deref() == Some("VPC_LINK")
                        && i.connection_id.as_deref() == Some(id)
                });
                if uses {
                    return Err(ApiError::bad_request(format!(
                        "Cannot delete vpc link. Vpc link '{id}', is referenced in [{verb} {}] of API {} in format of [Method Resource].",
                        r.path, api.id
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A certificate a stage presents to its backends stays until no stage names it: deleting it
/// would leave that stage unable to recompile.
fn check_certificate_unused(cp: &ControlPlane, id: &str) -> Result<(), ApiError> {
    for api in cp.list_rest_apis()? {
        for stage in cp.list_stages(&api.id)? {
            if stage.client_certificate_id.as_deref() == Some(id) {
                return Err(ApiError::bad_request(format!(
                    "Cannot delete client certificate '{id}': stage '{}' of API {} uses it; remove it from the stage first",
                    stage.stage_name, api.id
                )));
            }
        }
    }
    Ok(())
}

fn list(cp: &ControlPlane, coll: Coll, req: &Request) -> Result<Response, ApiError> {
    let page = |items: Vec<(String, Value)>| page_of(req, &items, |(k, _)| k, |(_, v)| v.clone());
    let out = match coll {
        Coll::DomainNames => {
            let all: Vec<(String, DomainName)> = cp.store().list_account(DOMAIN_NAME, "")?;
            page(
                all.into_iter()
                    .map(|(k, d)| (k, domain_names::domain_out(&d)))
                    .collect(),
            )
        }
        Coll::BasePathMappings(domain) => {
            load::<Value>(cp, DOMAIN_NAME, &domain, domain_names::DOMAIN_NOT_FOUND)?;
            let prefix = domain_names::mapping_key(&domain, "");
            let all: Vec<(String, BasePathMapping)> =
                cp.store().list_account(BASE_PATH_MAPPING, &prefix)?;
            page(
                all.into_iter()
                    .map(|(k, m)| (k[prefix.len()..].to_string(), mapping_out(&m)))
                    .collect(),
            )
        }
        Coll::VpcLinks => {
            let all: Vec<(String, VpcLink)> = cp.store().list_account(VPC_LINK, "")?;
            page(
                all.into_iter()
                    .map(|(k, l)| (k, serde_json::to_value(l).unwrap_or_default()))
                    .collect(),
            )
        }
        Coll::ClientCertificates => {
            let all: Vec<(String, ClientCertificate)> =
                cp.store().list_account(CLIENT_CERTIFICATE, "")?;
            page(
                all.iter()
                    .map(|(k, c)| {
                        (
                            k.clone(),
                            serde_json::to_value(ClientCertificateOut::from(c)).unwrap_or_default(),
                        )
                    })
                    .collect(),
            )
        }
    }?;
    json(200, out)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, path: &str) -> Option<AccountOp> {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        route(method, &segs)
    }

    #[test]
    fn routing_table() {
        let bpm = || Coll::BasePathMappings("api.example.com".into());
        let cases = [
            (
                "POST",
                "/domainnames",
                Some(AccountOp::Create(Coll::DomainNames)),
            ),
            (
                "GET",
                "/domainnames",
                Some(AccountOp::List(Coll::DomainNames)),
            ),
            (
                "PATCH",
                "/domainnames/api.example.com",
                Some(AccountOp::Update(
                    Coll::DomainNames,
                    "api.example.com".into(),
                )),
            ),
            (
                "POST",
                "/domainnames/api.example.com/basepathmappings",
                Some(AccountOp::Create(bpm())),
            ),
            (
                "GET",
                "/domainnames/api.example.com/basepathmappings/(none)",
                Some(AccountOp::Get(bpm(), "(none)".into())),
            ),
            (
                "DELETE",
                "/domainnames/api.example.com/basepathmappings/v1",
                Some(AccountOp::Delete(bpm(), "v1".into())),
            ),
            ("POST", "/vpclinks", Some(AccountOp::Create(Coll::VpcLinks))),
            (
                "GET",
                "/vpclinks/l1",
                Some(AccountOp::Get(Coll::VpcLinks, "l1".into())),
            ),
            (
                "POST",
                "/clientcertificates",
                Some(AccountOp::Create(Coll::ClientCertificates)),
            ),
            (
                "DELETE",
                "/clientcertificates/c1",
                Some(AccountOp::Delete(Coll::ClientCertificates, "c1".into())),
            ),
            ("PUT", "/vpclinks/l1", None),
            ("POST", "/vpclinks/l1", None),
            ("DELETE", "/clientcertificates", None),
            ("GET", "/restapis", None),
        ];
        for (method, path, want) in cases {
            assert_eq!(r(method, path), want, "{method} {path}");
        }
    }
}
