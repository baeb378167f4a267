//! The `Env` a mapping template renders against: `$input` over one body (the method request's
//! for request templates, the integration response's for response templates), `$context` and
//! `$stageVariables` from the routed exchange.
//!
//! The body's JSON is the one parse the exchange already holds (`json::Doc`); JSONPaths the
//! template names literally were compiled at deploy time, others are compiled on use. When the
//! template reads JSON from a body that is not JSON, `bad_json` is set and the caller fails the
//! request as API Gateway does (the render itself carries on with null values).

use super::context;
use crate::deploy::snapshot::Velocity;
use crate::http::uri::{decoded, Form};
use crate::json::{self, Found};
use crate::pipeline::params::query_pairs;
use crate::pipeline::Exchange;
use crate::vtl::{Env, Value};
use std::cell::{Cell, OnceCell};

pub struct TemplateEnv<'a, 'x> {
    x: &'a Exchange<'x>,
    tpl: &'a Velocity,
    body: &'a [u8],
    json: Option<json::Node<'a>>,
    /// The template read JSON from a body that does not parse.
    pub bad_json: Cell<bool>,
    context: OnceCell<Value<'a>>,
}

impl<'a, 'x> TemplateEnv<'a, 'x> {
    pub fn new(
        x: &'a Exchange<'x>,
        tpl: &'a Velocity,
        body: &'a [u8],
        json: Option<json::Node<'a>>,
    ) -> Self {
        TemplateEnv {
            x,
            tpl,
            body,
            json,
            bad_json: Cell::new(false),
            context: OnceCell::new(),
        }
    }

    fn context(&self) -> &Value<'a> {
        self.context.get_or_init(|| context::context(self.x))
    }

    fn select<T>(&self, path: &str, f: impl FnOnce(Found<'a>) -> T) -> Option<T> {
        let Some(doc) = self.json else {
            self.bad_json.set(true);
            return None;
        };
        let compiled;
        let p = match self.tpl.path(path) {
            Some(p) => p,
            None => {
                // A computed path: compiled here, once per use. An invalid one selects nothing.
                compiled = json::compile(path).ok()?;
                &compiled
            }
        };
        Some(f(p.eval(doc)))
    }
}

/// Request bytes as a template string, borrowed when UTF-8.
fn text(b: &[u8]) -> Value<'_> {
    match std::str::from_utf8(b) {
        Ok(s) => Value::Text(s),
        Err(_) => Value::str(&String::from_utf8_lossy(b)),
    }
}

/// A percent-encoded parameter, decoded; borrowed when decoding would change nothing.
fn decode(b: &[u8], form: Form) -> Value<'_> {
    if !b.contains(&b'%') && !b.contains(&b'+') {
        return text(b);
    }
    Value::str(&String::from_utf8_lossy(
        &decoded(b, form).collect::<Vec<u8>>(),
    ))
}

impl Env for TemplateEnv<'_, '_> {
    fn body(&self) -> &[u8] {
        self.body
    }

    /// One selected value is written out as JSON only when printed (`Value::JsonText`): no
    /// copy of the text is made.
    fn json(&self, path: &str) -> Value<'_> {
        self.select(path, |found| match found {
            Found::One(Some(v)) => Value::JsonText(v),
            Found::One(None) => Value::Text("\"\""),
            many => {
                let mut out = Vec::new();
                json::write_json(&many, &mut out);
                Value::str(&String::from_utf8_lossy(&out))
            }
        })
        .unwrap_or(Value::Null)
    }

    fn path(&self, path: &str) -> Value<'_> {
        self.select(path, |found| match found {
            Found::One(Some(v)) => Value::from_node(v),
            Found::One(None) => Value::Null,
            Found::Many(list) => Value::List(list.into_iter().map(Value::from_node).collect()),
        })
        .unwrap_or(Value::Null)
    }

    /// `$input.params()`: `{path={..}, querystring={..}, header={..}}`, values decoded;
    /// `$input.params(name)`: the path parameter, else the first query value, else the header
    /// (any case), as API Gateway searches them; an empty string when none has it.
    fn params(&self, name: Option<&str>) -> Value<'_> {
        let x = self.x;
        let req = x.req;
        let query = req.head.query.get(req.buf);
        let path_params = x
            .method()
            .path_params
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((&**n, x.route.capture(req.buf, i)?)));
        match name {
            Some(name) => {
                if let Some((_, v)) = path_params.clone().find(|(n, _)| *n == name) {
                    return decode(v, Form::Path);
                }
                if let Some((_, v)) = query_pairs(query).find(|(n, _)| *n == name.as_bytes()) {
                    return decode(v, Form::Query);
                }
                match req
                    .head
                    .headers(req.buf)
                    .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
                {
                    Some((_, v)) => text(v),
                    None => Value::str(""),
                }
            }
            None => {
                let path = path_params
                    .map(|(n, v)| (n.to_string(), decode(v, Form::Path)))
                    .collect();
                let mut qs: Vec<(String, Value)> = Vec::new();
                for (n, v) in query_pairs(query) {
                    let n = String::from_utf8_lossy(&decoded(n, Form::Query).collect::<Vec<u8>>())
                        .into_owned();
                    // The first value of a repeated name, as `$input.params(name)` gives.
                    if !qs.iter().any(|(k, _)| *k == n) {
                        qs.push((n, decode(v, Form::Query)));
                    }
                }
                let mut headers: Vec<(String, Value)> = Vec::new();
                for (n, v) in req.head.headers(req.buf) {
                    let n = String::from_utf8_lossy(n).into_owned();
                    match headers.iter_mut().find(|(k, _)| *k == n) {
                        // A repeated header: the last value, as header mappings take it.
                        Some(slot) => slot.1 = text(v),
                        None => headers.push((n, text(v))),
                    }
                }
                Value::Map(vec![
                    ("path".into(), Value::Map(path)),
                    ("querystring".into(), Value::Map(qs)),
                    ("header".into(), Value::Map(headers)),
                ])
            }
        }
    }

    /// `$context.x` reads the one field from the map built once per render, instead of copying
    /// the whole map per reference; `$stageVariables.x` reads the one variable.
    fn root_prop(&self, name: &str, prop: &str) -> Option<Value<'_>> {
        match name {
            "context" => match self.context.get() {
                Some(map) => map.map_get(prop),
                None => context::prop(self.x, prop),
            },
            // One variable, borrowed: no map of every variable per reference.
            "stageVariables" => self
                .x
                .stage()
                .variables
                .iter()
                .find(|(k, _)| &**k == prop)
                .map(|(_, v)| Value::Text(v)),
            _ => self.root(name)?.map_get(prop),
        }
    }

    fn root(&self, name: &str) -> Option<Value<'_>> {
        match name {
            "context" => Some(self.context().clone()),
            "stageVariables" => Some(Value::Map(
                self.x
                    .stage()
                    .variables
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::Text(v)))
                    .collect(),
            )),
            _ => None,
        }
    }
}
