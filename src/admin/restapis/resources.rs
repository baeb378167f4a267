//! Resource tree edits on a `RestApi` (CreateResource, UpdateResource, DeleteResource), as pure
//! functions over the stored definition so the control plane can run them inside one store
//! write and tests can table-drive them.
//!
//! Invariants kept: `api.resources` is root first, every resource's `path` is its parent's path
//! plus its `path_part`, paths are unique, and a greedy `{x+}` part has no children.

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Op, PatchOperation, Rule};
use crate::deploy::ids::new_id;
use crate::deploy::model::{Resource, RestApi};
use crate::deploy::path::{parse_part, Segment};

pub const RESOURCE_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid Resource identifier specified");

pub fn resource<'a>(api: &'a RestApi, id: &str) -> Result<&'a Resource, ApiError> {
    api.resources
        .iter()
        .find(|r| r.id == id)
        .ok_or(RESOURCE_NOT_FOUND)
}

pub fn resource_mut<'a>(api: &'a mut RestApi, id: &str) -> Result<&'a mut Resource, ApiError> {
    api.resources
        .iter_mut()
        .find(|r| r.id == id)
        .ok_or(RESOURCE_NOT_FOUND)
}

/// CreateResource: a child `path_part` under `parent_id`.
pub fn create_resource(
    api: &mut RestApi,
    parent_id: &str,
    path_part: &str,
) -> Result<Resource, ApiError> {
    let parent = resource(api, parent_id)?;
    check_child(api, parent, path_part, None)?;
    let r = Resource {
        id: new_id(6),
        parent_id: Some(parent.id.clone()),
        path_part: Some(path_part.to_string()),
        path: child_path(&parent.path, path_part),
        ..Resource::default()
    };
    api.resources.push(r.clone());
    Ok(r)
}

/// What UpdateResource may change.
#[derive(Clone)]
struct Placement {
    path_part: String,
    parent_id: String,
}

const RESOURCE_RULES: &[Rule<Placement>] = &[
    Rule {
        path: "/pathPart",
        ops: &[Op::Replace],
        apply: |p, c| {
            p.path_part = c.value().to_string();
            Ok(())
        },
    },
    Rule {
        path: "/parentId",
        ops: &[Op::Replace],
        apply: |p, c| {
            p.parent_id = c.value().to_string();
            Ok(())
        },
    },
];

/// UpdateResource: moves or renames a resource; the paths of its whole subtree follow.
pub fn update_resource(
    api: &mut RestApi,
    id: &str,
    ops: &[PatchOperation],
) -> Result<Resource, ApiError> {
    let current = resource(api, id)?;
    let (Some(part), Some(parent)) = (&current.path_part, &current.parent_id) else {
        return Err(ApiError::bad_request("Root resource cannot be modified"));
    };
    let before = Placement {
        path_part: part.clone(),
        parent_id: parent.clone(),
    };
    let after = patch::apply(&before, ops, RESOURCE_RULES)?;
    let new_parent = resource(api, &after.parent_id)
        .map_err(|_| ApiError::bad_request("Invalid parent resource identifier specified"))?;
    if subtree(api, id).contains(&new_parent.id) {
        return Err(ApiError::bad_request(
            "Cannot move a resource under itself or one of its descendants",
        ));
    }
    check_child(api, new_parent, &after.path_part, Some(id))?;
    let r = resource_mut(api, id)?;
    r.path_part = Some(after.path_part);
    r.parent_id = Some(after.parent_id);
    recompute_paths(api);
    Ok(resource(api, id)?.clone())
}

/// DeleteResource: the resource and everything under it. The root cannot be deleted.
pub fn delete_resource(api: &mut RestApi, id: &str) -> Result<(), ApiError> {
    let r = resource(api, id)?;
    if r.parent_id.is_none() {
        return Err(ApiError::bad_request("Cannot delete the root resource"));
    }
    let gone = subtree(api, id);
    api.resources.retain(|r| !gone.contains(&r.id));
    Ok(())
}

/// `id` and the ids of all its descendants.
pub fn subtree(api: &RestApi, id: &str) -> Vec<String> {
    let mut out = vec![id.to_string()];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].clone();
        out.extend(
            api.resources
                .iter()
                .filter(|r| r.parent_id.as_deref() == Some(parent.as_str()))
                .map(|r| r.id.clone()),
        );
        i += 1;
    }
    out
}

/// AWS's checks for a new child `part` of `parent` (`moving` is the resource being re-placed,
/// which is not its own sibling).
fn check_child(
    api: &RestApi,
    parent: &Resource,
    part: &str,
    moving: Option<&str>,
) -> Result<(), ApiError> {
    let seg = parse_part(part).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if parent
        .path_part
        .as_deref()
        .is_some_and(|p| matches!(parse_part(p), Ok(Segment::Greedy(_))))
    {
        return Err(ApiError::bad_request(format!(
            "Cannot create a child of a resource with a greedy path variable: {}",
            parent.path_part.as_deref().unwrap_or_default()
        )));
    }
    let siblings = api.resources.iter().filter(|r| {
        r.parent_id.as_deref() == Some(parent.id.as_str()) && Some(r.id.as_str()) != moving
    });
    for s in siblings {
        let Some(sp) = s.path_part.as_deref() else {
            continue;
        };
        if sp == part {
            return Err(ApiError::Conflict(format!(
                "Another resource with the same parent already has this name: {part}"
            )));
        }
        let variable =
            |p: &str| matches!(parse_part(p), Ok(Segment::Param(_) | Segment::Greedy(_)));
        if seg.param_name().is_some() && variable(sp) {
            return Err(ApiError::bad_request(format!(
                "A sibling ({sp}) of this resource already has a variable path part -- only one is allowed"
            )));
        }
    }
    if let Some(name) = seg.param_name() {
        // A path variable may appear once on the whole path.
        let dup = parent
            .path
            .split('/')
            .any(|p| parse_part(p).ok().and_then(|s| s.param_name()) == Some(name));
        if dup {
            return Err(ApiError::bad_request(format!(
                "Resource path contains the path variable '{name}' more than once"
            )));
        }
    }
    Ok(())
}

fn child_path(parent: &str, part: &str) -> String {
    if parent == "/" {
        format!("/{part}")
    } else {
        format!("{parent}/{part}")
    }
}

/// Recomputes every path from the parent links, walking from the root.
fn recompute_paths(api: &mut RestApi) {
    let Some(root) = api.resources.iter().find(|r| r.parent_id.is_none()) else {
        return;
    };
    let mut queue = vec![(root.id.clone(), "/".to_string())];
    while let Some((id, path)) = queue.pop() {
        for r in api
            .resources
            .iter_mut()
            .filter(|r| r.parent_id.as_deref() == Some(id.as_str()))
        {
            r.path = child_path(&path, r.path_part.as_deref().unwrap_or_default());
            queue.push((r.id.clone(), r.path.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> RestApi {
        let mut api = RestApi {
            root_resource_id: "root".into(),
            ..Default::default()
        };
        api.resources.push(Resource {
            id: "root".into(),
            path: "/".into(),
            ..Default::default()
        });
        api
    }

    fn ops(json: &str) -> Vec<PatchOperation> {
        patch::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn create_builds_paths_and_refuses_aws_conflicts() {
        let mut a = api();
        let pets = create_resource(&mut a, "root", "pets").unwrap();
        assert_eq!(pets.path, "/pets");
        let id = create_resource(&mut a, &pets.id, "{petId}").unwrap();
        assert_eq!(id.path, "/pets/{petId}");
        let proxy = create_resource(&mut a, "root", "{proxy+}").unwrap();
        let cases: &[(&str, &str, u16, &str)] = &[
            ("root", "pets", 409, "Another resource with the same parent already has this name: pets"),
            (&pets.id, "{name}", 400, "A sibling ({petId}) of this resource already has a variable path part -- only one is allowed"),
            (&proxy.id, "x", 400, "Cannot create a child of a resource with a greedy path variable: {proxy+}"),
            (&id.id, "{petId}", 400, "Resource path contains the path variable 'petId' more than once"),
            ("nope", "x", 404, "Invalid Resource identifier specified"),
        ];
        for (parent, part, status, msg) in cases {
            let (s, _, m) = create_resource(&mut a, parent, part).unwrap_err().parts();
            assert_eq!((s, m.as_str()), (*status, *msg), "{part}");
        }
        assert!(create_resource(&mut a, "root", "a b").is_err());
        assert_eq!(a.resources.len(), 4);
    }

    #[test]
    fn update_moves_the_subtree_and_delete_removes_it() {
        let mut a = api();
        let pets = create_resource(&mut a, "root", "pets").unwrap();
        let id = create_resource(&mut a, &pets.id, "{petId}").unwrap();
        let toys = create_resource(&mut a, &id.id, "toys").unwrap();
        let v1 = create_resource(&mut a, "root", "v1").unwrap();
        let moved = update_resource(
            &mut a,
            &pets.id,
            &ops(&format!(
                r#"{{"patchOperations":[{{"op":"replace","path":"/parentId","value":"{}"}},
                    {{"op":"replace","path":"/pathPart","value":"animals"}}]}}"#,
                v1.id
            )),
        )
        .unwrap();
        assert_eq!(moved.path, "/v1/animals");
        assert_eq!(
            resource(&a, &toys.id).unwrap().path,
            "/v1/animals/{petId}/toys"
        );
        // Under its own descendant: refused, nothing changed.
        let err = update_resource(
            &mut a,
            &pets.id,
            &ops(&format!(
                r#"{{"patchOperations":[{{"op":"replace","path":"/parentId","value":"{}"}}]}}"#,
                toys.id
            )),
        )
        .unwrap_err();
        assert_eq!(err.parts().0, 400);
        let err = update_resource(
            &mut a,
            &pets.id,
            &ops(r#"{"patchOperations":[{"op":"replace","path":"/name","value":"x"}]}"#),
        )
        .unwrap_err();
        assert_eq!(
            err.parts().2,
            "Invalid patch path '/name' specified for op 'replace'. Must be one of: [/pathPart, /parentId]"
        );
        assert!(update_resource(&mut a, "root", &[]).is_err());
        delete_resource(&mut a, &pets.id).unwrap();
        assert_eq!(a.resources.len(), 2);
        assert!(delete_resource(&mut a, "root").is_err());
        assert_eq!(delete_resource(&mut a, &toys.id), Err(RESOURCE_NOT_FOUND));
    }
}
