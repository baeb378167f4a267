//! RequestValidators of a REST API (Create/Get/Update/Delete) as pure edits of a `RestApi`.
//! Names are unique within the API (export keys `x-amazon-apigateway-request-validators` by
//! name), and a validator a method names cannot be deleted.

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Op, PatchOperation, Rule};
use crate::deploy::ids::new_id;
use crate::deploy::model::{RequestValidator, RestApi};
use serde::Deserialize;

pub const VALIDATOR_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid Request Validator identifier specified");

const MAX_NAME: usize = 128;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRequestValidatorIn {
    pub name: Option<String>,
    #[serde(default)]
    pub validate_request_body: bool,
    #[serde(default)]
    pub validate_request_parameters: bool,
}

pub fn validator<'a>(api: &'a RestApi, id: &str) -> Result<&'a RequestValidator, ApiError> {
    api.request_validators
        .iter()
        .find(|v| v.id == id)
        .ok_or(VALIDATOR_NOT_FOUND)
}

fn check_validator_name(api: &RestApi, id: &str, name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::bad_request("Validator name must be specified"));
    }
    if name.len() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "Validator name must be at most {MAX_NAME} characters"
        )));
    }
    if api
        .request_validators
        .iter()
        .any(|v| v.name == name && v.id != id)
    {
        return Err(ApiError::Conflict(format!(
            "Validator with name '{name}' already exists for this REST API"
        )));
    }
    Ok(())
}

pub fn create_validator(
    api: &mut RestApi,
    input: CreateRequestValidatorIn,
) -> Result<RequestValidator, ApiError> {
    let name = input.name.unwrap_or_default();
    check_validator_name(api, "", &name)?;
    let v = RequestValidator {
        id: new_id(6),
        name,
        validate_request_body: input.validate_request_body,
        validate_request_parameters: input.validate_request_parameters,
    };
    api.request_validators.push(v.clone());
    Ok(v)
}

const VALIDATOR_RULES: &[Rule<RequestValidator>] = &[
    Rule {
        path: "/name",
        ops: &[Op::Replace],
        apply: |v, c| {
            v.name = c.value().to_string();
            Ok(())
        },
    },
    Rule {
        path: "/validateRequestBody",
        ops: &[Op::Replace],
        apply: |v, c| {
            v.validate_request_body = c.bool()?;
            Ok(())
        },
    },
    Rule {
        path: "/validateRequestParameters",
        ops: &[Op::Replace],
        apply: |v, c| {
            v.validate_request_parameters = c.bool()?;
            Ok(())
        },
    },
];

pub fn update_validator(
    api: &mut RestApi,
    id: &str,
    ops: &[PatchOperation],
) -> Result<RequestValidator, ApiError> {
    let i = api
        .request_validators
        .iter()
        .position(|v| v.id == id)
        .ok_or(VALIDATOR_NOT_FOUND)?;
    let updated = patch::apply(&api.request_validators[i], ops, VALIDATOR_RULES)?;
    check_validator_name(api, id, &updated.name)?;
    api.request_validators[i] = updated.clone();
    Ok(updated)
}

pub fn delete_validator(api: &mut RestApi, id: &str) -> Result<(), ApiError> {
    validator(api, id)?;
    let used = api.resources.iter().find_map(|r| {
        r.resource_methods
            .iter()
            .find(|(_, m)| m.request_validator_id.as_deref() == Some(id))
            .map(|(verb, _)| format!("{}/{verb}", r.path))
    });
    if let Some(by) = used {
        return Err(ApiError::Conflict(format!(
            "Cannot delete request validator '{id}', is referenced in method: {by}"
        )));
    }
    api.request_validators.retain(|v| v.id != id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::model::{Method, Resource};

    fn api() -> RestApi {
        RestApi {
            id: "a1".into(),
            resources: vec![Resource {
                id: "r".into(),
                path: "/".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn validators_create_update_delete() {
        let mut a = api();
        let v = create_validator(
            &mut a,
            CreateRequestValidatorIn {
                name: Some("body".into()),
                validate_request_body: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            create_validator(
                &mut a,
                CreateRequestValidatorIn {
                    name: Some("body".into()),
                    ..Default::default()
                }
            )
            .unwrap_err()
            .parts()
            .0,
            409
        );
        assert_eq!(
            create_validator(&mut a, CreateRequestValidatorIn::default())
                .unwrap_err()
                .parts()
                .0,
            400
        );
        let ops = patch::parse(br#"{"patchOperations":[{"op":"replace","path":"/validateRequestParameters","value":"true"},{"op":"replace","path":"/name","value":"all"}]}"#).unwrap();
        let u = update_validator(&mut a, &v.id, &ops).unwrap();
        assert!(u.validate_request_body && u.validate_request_parameters);
        assert_eq!(u.name, "all");
        let bad = patch::parse(
        br#"{"patchOperations":[{"op":"replace","path":"/validateRequestBody","value":"yes"}]}"#,
    )
    .unwrap();
        assert_eq!(
            update_validator(&mut a, &v.id, &bad).unwrap_err().parts().0,
            400
        );
        a.resources[0].resource_methods.insert(
            "GET".into(),
            Method {
                http_method: "GET".into(),
                request_validator_id: Some(v.id.clone()),
                ..Default::default()
            },
        );
        assert_eq!(delete_validator(&mut a, &v.id).unwrap_err().parts().0, 409);
        a.resources[0].resource_methods.clear();
        delete_validator(&mut a, &v.id).unwrap();
        assert_eq!(validator(&a, &v.id), Err(VALIDATOR_NOT_FOUND));
    }
}
