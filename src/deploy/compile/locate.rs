//! Where a compile problem points. The same checks run on a stored model (PutRestApi,
//! CreateDeployment: pointers into the model's JSON shape) and on a freshly imported document
//! (pointers into the OpenAPI document), so the checks ask a `Locate` for their pointers.

use crate::deploy::problem::join;

pub trait Locate {
    /// The resource (its `path`).
    fn resource(&self, res: usize) -> String;
    /// The method on the resource.
    fn method(&self, res: usize, method: &str) -> String;
    /// The method's integration object; field names below it are the same in both shapes.
    fn integration(&self, res: usize, method: &str) -> String;
    /// One integration response, by the status code it produces.
    fn integration_response(&self, res: usize, method: &str, status: &str) -> String;
    /// That integration response's selection pattern.
    fn selection_pattern(&self, res: usize, method: &str, status: &str) -> String;
    /// The `i`-th gateway response (of `response_type`).
    fn gateway_response(&self, i: usize, _response_type: &str) -> String {
        format!("/gatewayResponses/{i}")
    }
}

/// Pointers into `RestApi`'s serialised form (`/resources/3/resourceMethods/GET/...`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ModelLocator;

impl Locate for ModelLocator {
    fn resource(&self, res: usize) -> String {
        format!("/resources/{res}/path")
    }
    fn method(&self, res: usize, method: &str) -> String {
        join(&format!("/resources/{res}/resourceMethods"), method)
    }
    fn integration(&self, res: usize, method: &str) -> String {
        self.method(res, method) + "/methodIntegration"
    }
    fn integration_response(&self, res: usize, method: &str, status: &str) -> String {
        join(
            &(self.integration(res, method) + "/integrationResponses"),
            status,
        )
    }
    fn selection_pattern(&self, res: usize, method: &str, status: &str) -> String {
        self.integration_response(res, method, status) + "/selectionPattern"
    }
}
