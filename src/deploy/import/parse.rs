//! Bytes -> `serde_json::Value`, from JSON or YAML, with bounded work.
//!
//! JSON is tried first (serde_json stops at 128 levels of nesting). YAML goes through
//! serde-saphyr with a tight budget: nesting, node and event counts and alias replay are capped
//! so a deep document or an alias bomb ("billion laughs") fails fast instead of exhausting the
//! stack or memory.

use crate::deploy::problem::Problem;
use serde_json::Value;

/// Larger documents are refused before parsing (AWS caps an import body well below this).
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;

fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 64;
    budget.max_documents = 1;
    budget.max_nodes = 200_000;
    budget.max_events = 500_000;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_total_scalar_bytes = MAX_DOCUMENT_BYTES;
    budget.max_recorded_anchor_events = 100_000;
    budget.max_recorded_anchor_bytes = MAX_DOCUMENT_BYTES;
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = 100_000;
    alias_limits.max_replay_stack_depth = 16;
    let mut opts = serde_saphyr::Options::default();
    opts.budget = Some(budget);
    opts.alias_limits = alias_limits;
    opts
}

pub fn parse_document(doc: &[u8]) -> Result<Value, Problem> {
    if doc.len() > MAX_DOCUMENT_BYTES {
        return Err(Problem::new(
            "",
            format!(
                "Invalid OpenAPI input: the document is larger than {MAX_DOCUMENT_BYTES} bytes"
            ),
        ));
    }
    let json_err = match serde_json::from_slice::<Value>(doc) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let first = doc.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let yaml_err = match serde_saphyr::from_slice_with_options::<Value>(doc, yaml_options()) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    // A document that starts like JSON gets the JSON error, which names the position.
    let detail = if first == Some(b'{') {
        format!("invalid JSON: {json_err}")
    } else {
        let mut msg = format!("invalid YAML: {yaml_err}");
        // saphyr's messages can quote large snippets; the first line is enough.
        msg.truncate(msg.find('\n').unwrap_or(msg.len()).min(300));
        msg
    };
    Err(Problem::new(
        "",
        format!(
            "Invalid OpenAPI input: the document is neither valid JSON nor valid YAML ({detail})"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_and_yaml_alike() {
        let json = parse_document(br#"{"a": {"200": "x", "n": 1}}"#).unwrap();
        let yaml = parse_document(b"a:\n  200: x\n  n: 1\n").unwrap();
        assert_eq!(json, yaml);
    }

    #[test]
    fn refuses_garbage_and_abuse() {
        assert!(parse_document(b"{\"a\": ").is_err());
        assert!(parse_document(b"\xff\xfe").is_err());
        let deep_json = "[".repeat(10_000);
        assert!(parse_document(deep_json.as_bytes()).is_err());
        let deep_yaml = "[".repeat(10_000);
        assert!(parse_document(deep_yaml.as_bytes()).is_err());
        let mut nested = String::new();
        for i in 0..200 {
            nested.push_str(&" ".repeat(i));
            nested.push_str("a:\n");
        }
        assert!(parse_document(nested.as_bytes()).is_err());
        // Billion laughs: 9 levels of 9 aliases each.
        let mut bomb = String::from("a0: &a0 [\"lol\"]\n");
        for i in 1..10 {
            let refs: Vec<String> = (0..9).map(|_| format!("*a{}", i - 1)).collect();
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", refs.join(", ")));
        }
        // Refused by the alias budget (9^9 scalars expanded); no timing assertion, which would
        // flake on a loaded machine.
        assert!(parse_document(bomb.as_bytes()).is_err());
    }
}
