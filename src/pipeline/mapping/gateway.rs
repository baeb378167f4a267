//! The `Env` of a gateway response template that needs the Velocity engine. A routed error sees
//! what a mapping template sees (`$input.params`, `$context`, `$stageVariables`), with
//! `$context.error` added; an error found before routing (no API, malformed head) sees
//! `$context.requestId` and `$context.error` only.

use super::env::TemplateEnv;
use crate::deploy::snapshot::Velocity;
use crate::pipeline::respond::ErrorSite;
use crate::vtl::{Env, Value};

pub struct GatewayEnv<'a, 'x> {
    routed: Option<TemplateEnv<'a, 'x>>,
    request_id: &'a [u8],
    /// `$context.error`: message, messageString, responseType, validationErrorString.
    error: Value<'static>,
}

impl<'a, 'x> GatewayEnv<'a, 'x> {
    pub fn new(site: &'a ErrorSite<'x>, tpl: &'a Velocity, error: Value<'static>) -> Self
    where
        'x: 'a,
    {
        GatewayEnv {
            routed: site
                .routed
                .map(|x| TemplateEnv::new(x, tpl, x.req.body, x.body_json())),
            request_id: site.request_id,
            error,
        }
    }
}

impl Env for GatewayEnv<'_, '_> {
    fn body(&self) -> &[u8] {
        self.routed.as_ref().map_or(b"", |e| e.body())
    }
    fn json(&self, path: &str) -> Value<'_> {
        self.routed.as_ref().map_or(Value::Null, |e| e.json(path))
    }
    fn path(&self, path: &str) -> Value<'_> {
        self.routed.as_ref().map_or(Value::Null, |e| e.path(path))
    }
    fn params(&self, name: Option<&str>) -> Value<'_> {
        match &self.routed {
            Some(e) => e.params(name),
            None if name.is_some() => Value::str(""),
            None => Value::Map(Vec::new()),
        }
    }
    fn root_prop(&self, name: &str, prop: &str) -> Option<Value<'_>> {
        match (name, prop, &self.routed) {
            ("context", "error", _) => Some(self.error.clone()),
            (_, _, Some(e)) => e.root_prop(name, prop),
            _ => self.root(name)?.map_get(prop),
        }
    }

    fn root(&self, name: &str) -> Option<Value<'_>> {
        let routed = self.routed.as_ref().and_then(|e| e.root(name));
        if name != "context" {
            return routed;
        }
        let mut map = match routed {
            Some(Value::Map(m)) => m,
            _ => vec![(
                "requestId".to_string(),
                Value::str(&String::from_utf8_lossy(self.request_id)),
            )],
        };
        map.push(("error".to_string(), self.error.clone()));
        Some(Value::Map(map))
    }
}
