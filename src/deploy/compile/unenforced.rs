//! Fail closed: a deployment that declares protection this version's data path does not enforce
//! is refused, instead of being served to anyone with no check at all.
//!
//! Asked only when something is about to be served (CreateDeployment, CreateStage, UpdateStage,
//! boot and SIGHUP, `tollgate check`), never by `check_api`: imports and the management API keep
//! storing such definitions unchanged. Every method is named, with what it lacks, in one list.
//!
//! Every authorization type API Gateway has is enforced now (`pipeline::authorize`: Lambda
//! authorizers, Cognito user pools, IAM, and resource policies for all of them), so what this
//! refuses is a type the compiler was not taught, should the model ever carry one. A protection
//! that is enforced but cannot be honoured as written (a policy condition Tollgate does not
//! evaluate, an authorizer that does not compile) is refused by the compiler with its own
//! message, through the same deploy paths.

use super::locate::Locate;
use crate::deploy::model::{Method, RestApi};
use crate::deploy::problem::{join, Problems};

/// What a message says before the list of refused methods.
pub const HEADING: &str = "Deployment refused: this Tollgate version does not enforce the protection these methods declare, and will not serve them without it:";

/// The `authorizationType`s the authorize phase enforces.
const ENFORCED: [&str; 4] = ["NONE", "CUSTOM", "AWS_IAM", "COGNITO_USER_POOLS"];

/// A protection a stored API may declare that no phase of the request path checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unenforced<'a> {
    /// An `authorizationType` the authorize phase does not know (the type as stored).
    Authorization(&'a str),
}

impl Unenforced<'_> {
    /// The field that declares it, relative to the method.
    fn field(&self) -> &'static str {
        match self {
            Unenforced::Authorization(_) => "authorizationType",
        }
    }

    /// What is missing, as the refusal states it.
    pub fn missing(&self) -> String {
        match self {
            Unenforced::Authorization(t) => format!(
                "authorizationType {t}: this authorization type is not enforced by this Tollgate version"
            ),
        }
    }
}

fn authorization(m: &Method) -> Option<Unenforced<'_>> {
    (!ENFORCED.contains(&m.authorization_type.as_str()))
        .then_some(Unenforced::Authorization(&m.authorization_type))
}

/// `Err` naming every unenforced protection `api` declares, method by method (`GET /pets: ...`).
pub fn refuse(api: &RestApi, loc: &dyn Locate) -> Result<(), Problems> {
    let mut problems = Problems::default();
    for (res, resource) in api.resources.iter().enumerate() {
        for (verb, m) in &resource.resource_methods {
            if let Some(u) = authorization(m) {
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

    fn api(methods: &[(&str, &str, &str)]) -> RestApi {
        let mut api = RestApi::default();
        for (path, verb, auth) in methods {
            let m = Method {
                http_method: verb.to_string(),
                authorization_type: auth.to_string(),
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

    #[test]
    fn every_authorization_type_aws_has_is_enforced() {
        let a = api(&[
            ("/", "GET", "NONE"),
            ("/pets", "GET", "CUSTOM"),
            ("/pets", "POST", "AWS_IAM"),
            ("/pets/{id}", "DELETE", "COGNITO_USER_POOLS"),
        ]);
        assert!(refuse(&a, &ModelLocator).is_ok());
    }

    #[test]
    fn an_unknown_type_is_refused_by_name() {
        let a = api(&[("/", "GET", "NONE"), ("/pets", "GET", "JWT")]);
        let p = refuse(&a, &ModelLocator).unwrap_err();
        assert_eq!(p.0.len(), 1);
        assert_eq!(
            p.0[0].pointer,
            "/resources/1/resourceMethods/GET/authorizationType"
        );
        assert_eq!(
            p.0[0].message,
            "GET /pets: authorizationType JWT: this authorization type is not enforced by this Tollgate version"
        );
    }
}
