//! `$context.error.validationErrorString` as AWS words it. API Gateway validates bodies with
//! the Java fge json-schema-validator and reports its messages as a Java list,
//! `[message1, message2]`; jsonschema's error kinds are mapped to fge's texts here.
//!
//! Only called on the failure path (the renderer of a BAD_REQUEST_BODY answer), where allocating
//! the text is fine: a valid body never reaches this module.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::json::Json;
use jsonschema::{JsonType, ValidationError, Validator};
use serde_json::Value;

/// What AWS reports when the body is not JSON at all.
pub const UNPARSEABLE: &str = "[Unknown error parsing request body]";

/// fge reports at most this many messages; more only lengthen an error page.
const MAX_MESSAGES: usize = 20;

/// The validation error string for `instance` against `validator` (`[]` if it is valid).
pub fn error_string<'i, F: Json>(validator: &'i Validator<F>, instance: F::Node<'i>) -> String {
    let mut messages: Vec<String> = Vec::new();
    // fge reports one `required` message per object listing every missing name, sorted.
    let mut missing: Vec<(String, Vec<String>, usize)> = Vec::new();
    for e in validator.iter_errors(instance).take(MAX_MESSAGES * 4) {
        if let ValidationErrorKind::Required { property } = e.kind() {
            let at = e.instance_path().as_str().to_string();
            let name = property.as_str().unwrap_or_default().to_string();
            match missing.iter_mut().find(|(p, _, _)| *p == at) {
                Some((_, names, _)) => names.push(name),
                None => {
                    missing.push((at, vec![name], messages.len()));
                    messages.push(String::new());
                }
            }
            continue;
        }
        if messages.len() < MAX_MESSAGES {
            messages.push(message(&e));
        }
    }
    for (_, mut names, slot) in missing {
        names.sort();
        names.dedup();
        messages[slot] = format!(
            "object has missing required properties ({})",
            json_list(names.iter().map(|n| Value::String(n.clone())))
        );
    }
    messages.truncate(MAX_MESSAGES);
    format!("[{}]", messages.join(", "))
}

/// fge's text for one error.
pub fn message(e: &ValidationError<'_>) -> String {
    use ValidationErrorKind as K;
    let inst: &Value = e.instance();
    let text = || inst.as_str().unwrap_or_default();
    let chars = || text().chars().count();
    match e.kind() {
        K::Type { kind } => {
            let mut allowed: Vec<&str> = match kind {
                TypeKind::Single(t) => vec![t.as_str()],
                TypeKind::Multiple(set) => set.iter().map(JsonType::as_str).collect(),
            };
            allowed.sort_unstable();
            format!(
                "instance type ({}) does not match any allowed primitive type (allowed: {})",
                type_name(inst),
                json_list(allowed.into_iter().map(|t| Value::String(t.into())))
            )
        }
        K::Enum { options } => format!(
            "instance value ({inst}) not found in enum (possible values: {options})"
        ),
        K::Minimum { limit } => format!(
            "numeric instance is lower than the required minimum (minimum: {limit}, found: {inst})"
        ),
        K::Maximum { limit } => format!(
            "numeric instance is greater than the required maximum (maximum: {limit}, found: {inst})"
        ),
        K::ExclusiveMinimum { limit } => {
            format!("numeric instance is not strictly greater than the required minimum {limit}")
        }
        K::ExclusiveMaximum { limit } => {
            format!("numeric instance is not strictly lower than the required maximum {limit}")
        }
        K::MinLength { limit } => format!(
            "string \"{}\" is too short (length: {}, required minimum: {limit})",
            text(),
            chars()
        ),
        K::MaxLength { limit } => format!(
            "string \"{}\" is too long (length: {}, maximum allowed: {limit})",
            text(),
            chars()
        ),
        K::Pattern { pattern } => format!(
            "ECMA 262 regex \"{pattern}\" does not match input string \"{}\"",
            text()
        ),
        K::AdditionalProperties { unexpected } => {
            let mut names = unexpected.clone();
            names.sort();
            format!(
                "object instance has properties which are not allowed by the schema: {}",
                json_list(names.into_iter().map(Value::String))
            )
        }
        K::MinItems { limit } => format!(
            "array is too short: must have at least {limit} elements but instance has {} elements",
            inst.as_array().map_or(0, Vec::len)
        ),
        K::MaxItems { limit } => format!(
            "array is too long: must have at most {limit} elements but instance has {} elements",
            inst.as_array().map_or(0, Vec::len)
        ),
        K::UniqueItems => "array must not contain duplicate elements".into(),
        K::MinProperties { limit } => format!(
            "object has too few properties (found {} but schema requires at least {limit})",
            inst.as_object().map_or(0, |o| o.len())
        ),
        K::MaxProperties { limit } => format!(
            "object has too many properties (found {} but schema requires at most {limit})",
            inst.as_object().map_or(0, |o| o.len())
        ),
        K::MultipleOf { multiple_of } => {
            format!("remainder of division is not zero ({inst} / {multiple_of})")
        }
        K::AnyOf { context } => format!(
            "instance failed to match at least one required schema among {}",
            context.len()
        ),
        K::OneOfNotValid { context } => format!(
            "instance failed to match exactly one schema (matched 0 out of {})",
            context.len()
        ),
        K::OneOfMultipleValid { context } => format!(
            "instance failed to match exactly one schema (matched {} out of {})",
            context.iter().filter(|c| c.is_empty()).count().max(2),
            context.len()
        ),
        K::Not { .. } => "instance matched a schema which it should not have".into(),
        K::AdditionalItems { limit } => format!(
            "array is too long: must have at most {limit} elements but instance has {} elements",
            inst.as_array().map_or(0, Vec::len)
        ),
        K::Format { format } => format!("string \"{}\" is {}", text(), format_text(format)),
        K::Required { property } => format!(
            "object has missing required properties ([{}])",
            Value::clone(property)
        ),
        // Draft-04 has no other keyword; anything else keeps jsonschema's own wording.
        _ => e.to_string(),
    }
}

/// fge's name for the instance's type: `integer` for a number without a fraction.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// fge's wording per format attribute (`string "x" is not a valid email address`).
fn format_text(format: &str) -> String {
    match format {
        "email" => "not a valid email address".into(),
        "hostname" => "not a valid hostname".into(),
        "ipv4" => "not a valid IPv4 address".into(),
        "ipv6" => "not a valid IPv6 address".into(),
        "uri" => "not a valid URI".into(),
        "date-time" => "invalid against requested date format(s) [yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,12}Z]".into(),
        other => format!("not a valid {other}"),
    }
}

/// A JSON array as Jackson prints it: `["a","b"]`.
fn json_list(items: impl Iterator<Item = Value>) -> String {
    Value::Array(items.collect()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(schema: Value, body: Value) -> String {
        let v = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&schema)
            .unwrap();
        error_string(&v, &body)
    }

    #[test]
    fn fge_wording_for_the_common_keywords() {
        let cases = [
            (
                json!({"type": "integer"}),
                json!("x"),
                r#"[instance type (string) does not match any allowed primitive type (allowed: ["integer"])]"#,
            ),
            (
                json!({"type": ["number", "integer"]}),
                json!(true),
                r#"[instance type (boolean) does not match any allowed primitive type (allowed: ["integer","number"])]"#,
            ),
            (
                json!({"type": "string"}),
                json!(1.5),
                r#"[instance type (number) does not match any allowed primitive type (allowed: ["string"])]"#,
            ),
            (
                json!({"required": ["name", "age"]}),
                json!({}),
                r#"[object has missing required properties (["age","name"])]"#,
            ),
            (
                json!({"enum": ["a", "b"]}),
                json!("c"),
                r#"[instance value ("c") not found in enum (possible values: ["a","b"])]"#,
            ),
            (
                json!({"minimum": 1}),
                json!(0),
                "[numeric instance is lower than the required minimum (minimum: 1, found: 0)]",
            ),
            (
                json!({"maximum": 10}),
                json!(11),
                "[numeric instance is greater than the required maximum (maximum: 10, found: 11)]",
            ),
            (
                json!({"minLength": 3}),
                json!("ab"),
                r#"[string "ab" is too short (length: 2, required minimum: 3)]"#,
            ),
            (
                json!({"maxLength": 1}),
                json!("ab"),
                r#"[string "ab" is too long (length: 2, maximum allowed: 1)]"#,
            ),
            (
                json!({"pattern": "^[a-z]+$"}),
                json!("A1"),
                r#"[ECMA 262 regex "^[a-z]+$" does not match input string "A1"]"#,
            ),
            (
                json!({"properties": {"a": {}}, "additionalProperties": false}),
                json!({"a": 1, "z": 2, "b": 3}),
                r#"[object instance has properties which are not allowed by the schema: ["b","z"]]"#,
            ),
            (
                json!({"minItems": 2}),
                json!([1]),
                "[array is too short: must have at least 2 elements but instance has 1 elements]",
            ),
            (
                json!({"minimum": 1, "exclusiveMinimum": true}),
                json!(1),
                "[numeric instance is not strictly greater than the required minimum 1]",
            ),
            (
                json!({"maximum": 5, "exclusiveMaximum": true}),
                json!(5),
                "[numeric instance is not strictly lower than the required maximum 5]",
            ),
            (
                json!({"maxItems": 1}),
                json!([1, 2]),
                "[array is too long: must have at most 1 elements but instance has 2 elements]",
            ),
            (
                json!({"uniqueItems": true}),
                json!([1, 1]),
                "[array must not contain duplicate elements]",
            ),
            (
                json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
                json!(true),
                "[instance failed to match at least one required schema among 2]",
            ),
        ];
        for (schema, body, want) in cases {
            assert_eq!(errors(schema.clone(), body), want, "{schema}");
        }
    }

    #[test]
    fn several_errors_are_listed_and_required_names_grouped() {
        let schema = json!({
            "type": "object",
            "required": ["name", "id"],
            "properties": {"tag": {"type": "string"}}
        });
        let got = errors(schema, json!({"tag": 5}));
        assert!(got.starts_with('[') && got.ends_with(']'), "{got}");
        assert!(
            got.contains(r#"object has missing required properties (["id","name"])"#),
            "{got}"
        );
        assert!(
            got.contains(r#"instance type (integer) does not match any allowed primitive type (allowed: ["string"])"#),
            "{got}"
        );
        assert_eq!(got.matches("missing required").count(), 1, "{got}");
    }
}
