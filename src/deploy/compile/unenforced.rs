//! Fail closed: a deployment that declares protection this version's data path does not enforce
//! is refused, instead of being served to anyone with no check at all.
//!
//! Asked only when something is about to be served (CreateDeployment, CreateStage, UpdateStage,
//! boot and SIGHUP, `tollgate check`), never by `check_api`: imports and the management API keep
//! storing such definitions unchanged. Every method is named, with what it lacks, in one list.
//!
//! Each protection is one `Unenforced` variant with one check function, consulted in `refuse`.
//! The issue that adds a phase deletes its variant and its check, and so lifts exactly its own
//! refusal.

use super::locate::Locate;
use crate::deploy::model::{Method, RestApi};
use crate::deploy::problem::{join, Problems};

/// What a message says before the list of refused methods.
pub const HEADING: &str = "Deployment refused: this Tollgate version does not enforce the protection these methods declare, and will not serve them without it:";

/// A protection a stored API may declare that no phase of the request path checks yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unenforced<'a> {
    /// `authorizationType` other than `NONE` (the type as stored). Lifted by the authorizer
    /// issues, type by type.
    Authorization(&'a str),
}

impl Unenforced<'_> {
    /// The field that declares it, relative to the method (or the API for a resource policy).
    fn field(&self) -> &'static str {
        match self {
            Unenforced::Authorization(_) => "authorizationType",
        }
    }

    /// What is missing, as the refusal states it.
    pub fn missing(&self) -> String {
        match self {
            Unenforced::Authorization(t @ "CUSTOM") => {
                format!("authorizationType {t}: authorizers are not enforced by this Tollgate version yet")
            }
            Unenforced::Authorization(t) => format!(
                "authorizationType {t}: this authorization type is not enforced by this Tollgate version"
            ),
        }
    }
}

fn authorization(m: &Method) -> Option<Unenforced<'_>> {
    // AWS_IAM is enforced by `pipeline::authorize::iam`, COGNITO_USER_POOLS by
    // `pipeline::authorize::cognito`.
    (!matches!(
        m.authorization_type.as_str(),
        "NONE" | "AWS_IAM" | "COGNITO_USER_POOLS"
    ))
    .then_some(Unenforced::Authorization(&m.authorization_type))
}

/// Every method-level protection `m` declares that is not enforced yet.
fn method_checks(m: &Method) -> impl Iterator<Item = Unenforced<'_>> {
    authorization(m).into_iter()
}

/// `Err` naming every unenforced protection `api` declares, method by method (`GET /pets: ...`).
pub fn refuse(api: &RestApi, loc: &dyn Locate) -> Result<(), Problems> {
    let mut problems = Problems::default();
    for (res, resource) in api.resources.iter().enumerate() {
        for (verb, m) in &resource.resource_methods {
            for u in method_checks(m) {
                problems.push(
                    join(&loc.method(res, verb), u.field()),
                    format!("{verb} {}: {}", resource.path, u.missing()),
                );
            }
        }
    }
    problems.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::compile::ModelLocator;
    use crate::deploy::model::Resource;

    fn api(methods: &[(&str, &str, &str, bool)]) -> RestApi {
        let mut api = RestApi::default();
        for (path, verb, auth, key) in methods {
            let m = Method {
                http_method: verb.to_string(),
                authorization_type: auth.to_string(),
                api_key_required: *key,
                ..Method::default()
            };
            match api.resources.iter_mut().find(|r| r.path == *path) {
                Some(r) => {
                    r.resource_methods.insert(verb.to_string(), m);
                }
                None => api.resources.push(Resource {
                    path: path.to_string(),
                    resource_methods: [(verb.to_string(), m)].into(),
                    ..Resource::default()
                }),
            }
        }
        api
    }

    fn refused(api: &RestApi) -> Vec<(String, String)> {
        refuse(api, &ModelLocator)
            .err()
            .map(|p| p.0.into_iter().map(|p| (p.pointer, p.message)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn open_methods_deploy() {
        let a = api(&[("/", "GET", "NONE", false), ("/pets", "ANY", "NONE", false)]);
        assert_eq!(refused(&a), vec![]);
    }

    #[test]
    fn api_keys_are_enforced_so_key_required_methods_deploy() {
        let a = api(&[("/keys", "GET", "NONE", true)]);
        assert_eq!(refused(&a), vec![]);
    }

    #[test]
    fn names_every_protected_method_and_what_it_lacks() {
        let a = api(&[
            ("/", "GET", "NONE", false),
            ("/pets", "GET", "CUSTOM", false),
            ("/pets", "POST", "AWS_IAM", true),
            ("/pets/{id}", "DELETE", "COGNITO_USER_POOLS", false),
            ("/keys", "GET", "NONE", true),
        ]);
        let got = refused(&a);
        let want = [
            ("/resources/1/resourceMethods/GET/authorizationType", "GET /pets: authorizationType CUSTOM: authorizers are not enforced by this Tollgate version yet"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn an_unknown_authorization_type_is_refused_too() {
        let a = api(&[("/", "GET", "JWT", false)]);
        assert_eq!(
            refused(&a)[0].1,
            "GET /: authorizationType JWT: this authorization type is not enforced by this Tollgate version"
        );
    }

    #[test]
    fn iam_methods_and_resource_policies_are_enforced_so_they_deploy() {
        let mut a = api(&[("/", "GET", "AWS_IAM", false)]);
        a.policy = Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into());
        a.extra
            .insert("x-amazon-apigateway-policy".into(), serde_json::json!({}));
        assert_eq!(refused(&a), vec![]);
    }

    #[test]
    fn cognito_user_pool_methods_are_enforced_so_they_deploy() {
        let a = api(&[("/", "GET", "COGNITO_USER_POOLS", false)]);
        assert_eq!(refused(&a), vec![]);
    }
}
