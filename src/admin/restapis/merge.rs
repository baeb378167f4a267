//! Combining a freshly imported definition with the stored one: id adoption (so re-imports keep
//! resource, validator and authorizer ids) and PutRestApi's `merge` mode.
//!
//! The importer gives every resource a new random id; adopting the stored ids by path (resources)
//! or name (models, validators, authorizers) makes an unchanged document import to an identical
//! `RestApi`. That is what lets boot-time upserts see "nothing changed" and skip a redeploy.

use crate::deploy::model::RestApi;
use std::collections::HashMap;

/// Rewrites `new`'s ids to `old`'s wherever both have the same resource path or the same model,
/// validator or authorizer name, and fixes every reference to a rewritten id.
pub fn adopt_ids(new: &mut RestApi, old: &RestApi) {
    let mut remap: HashMap<String, String> = HashMap::new();
    let old_by_path: HashMap<&str, &str> = old
        .resources
        .iter()
        .map(|r| (r.path.as_str(), r.id.as_str()))
        .collect();
    for r in &new.resources {
        if let Some(id) = old_by_path.get(r.path.as_str()) {
            remap.insert(r.id.clone(), id.to_string());
        }
    }
    let mut by_name = |new_items: Vec<(&str, &str)>, old_items: Vec<(&str, &str)>| {
        let old: HashMap<_, _> = old_items.into_iter().collect();
        for (name, id) in new_items {
            if let Some(old_id) = old.get(name) {
                remap.insert(id.to_string(), old_id.to_string());
            }
        }
    };
    by_name(
        new.models
            .iter()
            .map(|m| (m.name.as_str(), m.id.as_str()))
            .collect(),
        old.models
            .iter()
            .map(|m| (m.name.as_str(), m.id.as_str()))
            .collect(),
    );
    by_name(
        new.request_validators
            .iter()
            .map(|v| (v.name.as_str(), v.id.as_str()))
            .collect(),
        old.request_validators
            .iter()
            .map(|v| (v.name.as_str(), v.id.as_str()))
            .collect(),
    );
    by_name(
        new.authorizers
            .iter()
            .map(|a| (a.name.as_str(), a.id.as_str()))
            .collect(),
        old.authorizers
            .iter()
            .map(|a| (a.name.as_str(), a.id.as_str()))
            .collect(),
    );
    let fix = |id: &mut String| {
        if let Some(to) = remap.get(id.as_str()) {
            *id = to.clone();
        }
    };
    fix(&mut new.root_resource_id);
    for r in &mut new.resources {
        fix(&mut r.id);
        if let Some(p) = r.parent_id.as_mut() {
            fix(p);
        }
        for m in r.resource_methods.values_mut() {
            if let Some(v) = m.request_validator_id.as_mut() {
                fix(v);
            }
            if let Some(a) = m.authorizer_id.as_mut() {
                fix(a);
            }
        }
    }
    new.models.iter_mut().for_each(|m| fix(&mut m.id));
    new.request_validators
        .iter_mut()
        .for_each(|v| fix(&mut v.id));
    new.authorizers.iter_mut().for_each(|a| fix(&mut a.id));
}

/// PutRestApi `mode=merge`: `old` plus `new`'s resources and methods (a method in both is taken
/// from `new`), models, validators, authorizers and gateway responses. `old`'s top-level settings
/// (name, description, policy...) are kept.
pub fn merge(old: &RestApi, mut new: RestApi) -> RestApi {
    adopt_ids(&mut new, old);
    let mut out = old.clone();
    out.warnings = new.warnings;
    for r in new.resources {
        match out.resources.iter_mut().find(|o| o.id == r.id) {
            Some(o) => o.resource_methods.extend(r.resource_methods),
            // Import lists parents before children, so a new child's parent is already in `out`.
            None => out.resources.push(r),
        }
    }
    for m in new.models {
        upsert(&mut out.models, m, |a, b| a.id == b.id);
    }
    for v in new.request_validators {
        upsert(&mut out.request_validators, v, |a, b| a.id == b.id);
    }
    for a in new.authorizers {
        upsert(&mut out.authorizers, a, |x, y| x.id == y.id);
    }
    for g in new.gateway_responses {
        upsert(&mut out.gateway_responses, g, |a, b| {
            a.response_type == b.response_type
        });
    }
    for t in new.binary_media_types {
        if !out.binary_media_types.contains(&t) {
            out.binary_media_types.push(t);
        }
    }
    out
}

fn upsert<T>(items: &mut Vec<T>, item: T, same: impl Fn(&T, &T) -> bool) {
    match items.iter_mut().find(|i| same(i, &item)) {
        Some(slot) => *slot = item,
        None => items.push(item),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::model::{Method, RequestValidator, Resource};

    fn res(id: &str, parent: Option<&str>, path: &str, methods: &[&str]) -> Resource {
        Resource {
            id: id.into(),
            parent_id: parent.map(Into::into),
            path_part: path
                .rsplit('/')
                .next()
                .filter(|s| !s.is_empty())
                .map(Into::into),
            path: path.into(),
            resource_methods: methods
                .iter()
                .map(|m| {
                    (
                        m.to_string(),
                        Method {
                            http_method: m.to_string(),
                            ..Default::default()
                        },
                    )
                })
                .collect(),
            ..Default::default()
        }
    }

    fn api(root: &str, resources: Vec<Resource>) -> RestApi {
        RestApi {
            id: "api".into(),
            name: "n".into(),
            root_resource_id: root.into(),
            resources,
            ..Default::default()
        }
    }

    #[test]
    fn adopting_ids_makes_a_reimport_identical() {
        let old = api(
            "r0",
            vec![
                res("r0", None, "/", &[]),
                res("p0", Some("r0"), "/pets", &["GET"]),
            ],
        );
        let mut new = api(
            "r1",
            vec![
                res("r1", None, "/", &[]),
                res("p1", Some("r1"), "/pets", &["GET"]),
            ],
        );
        adopt_ids(&mut new, &old);
        assert_eq!(new, old);
    }

    #[test]
    fn adopting_ids_fixes_validator_references_and_keeps_new_paths() {
        let mut old = api("r0", vec![res("r0", None, "/", &[])]);
        old.request_validators.push(RequestValidator {
            id: "v0".into(),
            name: "all".into(),
            ..Default::default()
        });
        let mut pets = res("p1", Some("r1"), "/pets", &["GET"]);
        pets.resource_methods
            .get_mut("GET")
            .unwrap()
            .request_validator_id = Some("v1".into());
        let mut new = api("r1", vec![res("r1", None, "/", &[]), pets]);
        new.request_validators.push(RequestValidator {
            id: "v1".into(),
            name: "all".into(),
            ..Default::default()
        });
        adopt_ids(&mut new, &old);
        assert_eq!(new.resources[1].id, "p1");
        assert_eq!(new.resources[1].parent_id.as_deref(), Some("r0"));
        assert_eq!(
            new.resources[1].resource_methods["GET"]
                .request_validator_id
                .as_deref(),
            Some("v0")
        );
        assert_eq!(new.request_validators[0].id, "v0");
    }

    #[test]
    fn merge_adds_resources_and_methods_and_keeps_old_ones() {
        let old = api(
            "r0",
            vec![
                res("r0", None, "/", &[]),
                res("p0", Some("r0"), "/pets", &["GET"]),
            ],
        );
        let new = api(
            "r1",
            vec![
                res("r1", None, "/", &[]),
                res("p1", Some("r1"), "/pets", &["POST"]),
                res("q1", Some("r1"), "/toys", &["GET"]),
            ],
        );
        let merged = merge(&old, new);
        assert_eq!(merged.root_resource_id, "r0");
        let paths: Vec<_> = merged.resources.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["/", "/pets", "/toys"]);
        let pets: Vec<_> = merged.resources[1]
            .resource_methods
            .keys()
            .cloned()
            .collect();
        assert_eq!(pets, ["GET", "POST"]);
        assert_eq!(merged.resources[2].parent_id.as_deref(), Some("r0"));
    }
}
