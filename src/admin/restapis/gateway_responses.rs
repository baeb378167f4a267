//! GatewayResponses of a REST API (Put/Get/GetAll/Update/Delete) as pure edits of a `RestApi`.
//!
//! `RestApi.gateway_responses` holds only the customised types (so export writes only those, as
//! AWS does); every other type of AWS's `GatewayResponseType` enum reads as its default with
//! `defaultResponse: true`. Delete resets a type to its default.

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Op, PatchError, PatchOperation, Rule};
use crate::deploy::gateway_responses::ResponseType;
use crate::deploy::model::{GatewayResponse, RestApi};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const RESPONSE_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid Gateway Response identifier specified");

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutGatewayResponseIn {
    pub status_code: Option<String>,
    #[serde(default)]
    pub response_parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub response_templates: BTreeMap<String, String>,
}

fn check_type(t: &str) -> Result<(), ApiError> {
    if ResponseType::from_name(t).is_some() {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid response type specified: {t}"
        )))
    }
}

fn is_status_code(s: &str) -> bool {
    s.len() == 3
        && s.as_bytes()[0].is_ascii_digit()
        && (b'1'..=b'5').contains(&s.as_bytes()[0])
        && s.bytes().all(|b| b.is_ascii_digit())
}

/// `gatewayresponse.{header|querystring|path}.NAME`, the keys AWS takes.
fn check_parameter(key: &str) -> Result<(), String> {
    let name = ["header", "querystring", "path"].iter().find_map(|loc| {
        key.strip_prefix("gatewayresponse.")?
            .strip_prefix(loc)?
            .strip_prefix('.')
    });
    match name {
        Some(n) if !n.is_empty() => Ok(()),
        _ => Err(format!(
            "Invalid mapping expression specified: {key}. It must be gatewayresponse.{{header|querystring|path}}.NAME"
        )),
    }
}

/// The type's AWS default.
pub fn default_response(t: &str) -> GatewayResponse {
    let status = ResponseType::from_name(t).and_then(|r| r.defaults().status);
    GatewayResponse {
        response_type: t.to_string(),
        status_code: status.map(|s| s.to_string()),
        response_parameters: BTreeMap::new(),
        response_templates: BTreeMap::from([(
            "application/json".to_string(),
            "{\"message\":$context.error.messageString}".to_string(),
        )]),
        default_response: true,
    }
}

/// The type as GetGatewayResponse reports it: the customisation or the default.
pub fn get(api: &RestApi, t: &str) -> Result<GatewayResponse, ApiError> {
    check_type(t)?;
    Ok(api
        .gateway_responses
        .iter()
        .find(|g| g.response_type == t)
        .cloned()
        .unwrap_or_else(|| default_response(t)))
}

/// Every type, customised or default, ordered by type name (the pagination key).
pub fn all(api: &RestApi) -> Vec<GatewayResponse> {
    let mut out: Vec<GatewayResponse> = ResponseType::ALL
        .iter()
        .map(|r| get(api, r.name()).unwrap_or_else(|_| default_response(r.name())))
        .collect();
    out.sort_by(|a, b| a.response_type.cmp(&b.response_type));
    out
}

fn check(g: &GatewayResponse) -> Result<(), ApiError> {
    if let Some(s) = &g.status_code {
        if !is_status_code(s) {
            return Err(ApiError::bad_request(format!(
                "Invalid status code specified: {s}"
            )));
        }
    }
    for k in g.response_parameters.keys() {
        check_parameter(k).map_err(ApiError::BadRequest)?;
    }
    Ok(())
}

fn store(api: &mut RestApi, g: GatewayResponse) {
    api.gateway_responses
        .retain(|x| x.response_type != g.response_type);
    api.gateway_responses.push(g);
    api.gateway_responses
        .sort_by(|a, b| a.response_type.cmp(&b.response_type));
}

pub fn put(
    api: &mut RestApi,
    t: &str,
    input: PutGatewayResponseIn,
) -> Result<GatewayResponse, ApiError> {
    check_type(t)?;
    let g = GatewayResponse {
        response_type: t.to_string(),
        status_code: input.status_code,
        response_parameters: input.response_parameters,
        response_templates: input.response_templates,
        default_response: false,
    };
    check(&g)?;
    store(api, g.clone());
    Ok(g)
}

fn map_edit(map: &mut BTreeMap<String, String>, c: &patch::Change<'_>) -> Result<(), PatchError> {
    if c.op == Op::Remove {
        map.remove(c.capture(0));
    } else {
        map.insert(c.capture(0).to_string(), c.value().to_string());
    }
    Ok(())
}

const RULES: &[Rule<GatewayResponse>] = &[
    Rule {
        path: "/statusCode",
        ops: &[Op::Replace],
        apply: |g, c| {
            g.status_code = c.optional().filter(|s| !s.is_empty());
            Ok(())
        },
    },
    Rule {
        path: "/responseParameters/{name}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |g, c| map_edit(&mut g.response_parameters, c),
    },
    Rule {
        path: "/responseTemplates/{contentType}",
        ops: &[Op::Add, Op::Replace, Op::Remove],
        apply: |g, c| map_edit(&mut g.response_templates, c),
    },
];

/// UpdateGatewayResponse: patches the current response (the default if not customised), which
/// then counts as customised.
pub fn update(
    api: &mut RestApi,
    t: &str,
    ops: &[PatchOperation],
) -> Result<GatewayResponse, ApiError> {
    let current = get(api, t)?;
    let mut g = patch::apply(&current, ops, RULES)?;
    g.default_response = false;
    check(&g)?;
    store(api, g.clone());
    Ok(g)
}

/// DeleteGatewayResponse: back to the default; 404 if the type was not customised.
pub fn delete(api: &mut RestApi, t: &str) -> Result<(), ApiError> {
    check_type(t)?;
    let before = api.gateway_responses.len();
    api.gateway_responses.retain(|g| g.response_type != t);
    if api.gateway_responses.len() == before {
        return Err(RESPONSE_NOT_FOUND);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> RestApi {
        RestApi {
            id: "a1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn uncustomised_types_read_as_aws_defaults() {
        let a = api();
        let all = all(&a);
        assert_eq!(all.len(), 21);
        assert!(all.iter().all(|g| g.default_response));
        let g = get(&a, "MISSING_AUTHENTICATION_TOKEN").unwrap();
        assert_eq!(g.status_code.as_deref(), Some("403"));
        assert_eq!(get(&a, "DEFAULT_4XX").unwrap().status_code, None);
        assert!(matches!(get(&a, "NOPE"), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn put_update_delete_round_trip_to_default() {
        let mut a = api();
        let input = PutGatewayResponseIn {
            status_code: Some("401".into()),
            response_parameters: BTreeMap::from([(
                "gatewayresponse.header.X-Why".into(),
                "'nope'".into(),
            )]),
            ..Default::default()
        };
        let g = put(&mut a, "UNAUTHORIZED", input).unwrap();
        assert!(!g.default_response);
        assert_eq!(a.gateway_responses.len(), 1);
        let ops = patch::parse(
            br#"{"patchOperations":[{"op":"replace","path":"/statusCode","value":"403"},
                {"op":"add","path":"/responseTemplates/application~1json","value":"{}"}]}"#,
        )
        .unwrap();
        let g = update(&mut a, "UNAUTHORIZED", &ops).unwrap();
        assert_eq!(g.status_code.as_deref(), Some("403"));
        assert_eq!(g.response_templates["application/json"], "{}");
        // Updating a default type customises it.
        update(&mut a, "THROTTLED", &ops).unwrap();
        assert_eq!(a.gateway_responses.len(), 2);
        delete(&mut a, "UNAUTHORIZED").unwrap();
        assert!(get(&a, "UNAUTHORIZED").unwrap().default_response);
        assert_eq!(delete(&mut a, "UNAUTHORIZED"), Err(RESPONSE_NOT_FOUND));
    }

    #[test]
    fn bad_status_codes_and_parameters_are_refused() {
        let mut a = api();
        for (code, param) in [
            ("600", "gatewayresponse.header.X"),
            ("40", "gatewayresponse.header.X"),
            ("401", "method.response.header.X"),
        ] {
            let input = PutGatewayResponseIn {
                status_code: Some(code.into()),
                response_parameters: BTreeMap::from([(param.into(), "'v'".into())]),
                ..Default::default()
            };
            assert!(
                matches!(
                    put(&mut a, "UNAUTHORIZED", input),
                    Err(ApiError::BadRequest(_))
                ),
                "{code} {param}"
            );
        }
        assert!(a.gateway_responses.is_empty());
    }
}
