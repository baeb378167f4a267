//! API key rules: generated values, AWS's limits on names and values, UpdateApiKey's patch paths
//! and ImportApiKeys' CSV format.
//!
//! Generated values are 40 alphanumeric characters like AWS's, drawn from the OS's CSPRNG
//! (`/dev/urandom`), since a key value is a credential for the data plane.

use crate::admin::error::ApiError;
use crate::admin::patch::{Change, Op, PatchError, Rule};
use crate::store::ApiKey;
use std::io::Read;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Length of a generated value.
pub const GENERATED_LEN: usize = 40;
/// AWS: a given value has 20 to 128 characters.
pub const MIN_VALUE_LEN: usize = 20;
pub const MAX_VALUE_LEN: usize = 128;
/// Longest name or description Tollgate accepts (AWS documents no figure; names this long are
/// a mistake, so they are refused rather than stored).
pub const MAX_NAME_LEN: usize = 1024;
pub const MAX_DESCRIPTION_LEN: usize = 4096;

/// A fresh value of `GENERATED_LEN` alphanumerics.
pub fn generate_value() -> Result<String, ApiError> {
    let mut out = String::with_capacity(GENERATED_LEN);
    let mut file = std::fs::File::open("/dev/urandom")
        .map_err(|e| ApiError::Internal(format!("cannot read /dev/urandom: {e}")))?;
    let mut buf = [0u8; 64];
    while out.len() < GENERATED_LEN {
        file.read_exact(&mut buf)
            .map_err(|e| ApiError::Internal(format!("cannot read /dev/urandom: {e}")))?;
        // Rejection sampling keeps every character equally likely: 248 = 62 * 4.
        for b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == GENERATED_LEN {
                break;
            }
            out.push(ALPHANUMERIC[(*b % 62) as usize] as char);
        }
    }
    Ok(out)
}

/// AWS: a value is 20–128 printable ASCII characters.
pub fn validate_value(value: &str) -> Result<(), ApiError> {
    if value.len() < MIN_VALUE_LEN {
        return Err(ApiError::bad_request(
            "API Key value should be at least 20 characters",
        ));
    }
    if value.len() > MAX_VALUE_LEN || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "API Key value must be at most 128 printable ASCII characters",
        ));
    }
    Ok(())
}

/// Names and descriptions of keys and plans.
pub fn validate_text(what: &str, text: Option<&str>, max: usize) -> Result<(), ApiError> {
    match text {
        Some(t) if t.chars().count() > max => Err(ApiError::bad_request(format!(
            "{what} must be at most {max} characters"
        ))),
        _ => Ok(()),
    }
}

pub fn validate_key(key: &ApiKey) -> Result<(), ApiError> {
    validate_text("API key name", key.name.as_deref(), MAX_NAME_LEN)?;
    validate_text(
        "API key description",
        key.description.as_deref(),
        MAX_DESCRIPTION_LEN,
    )?;
    validate_text("customerId", key.customer_id.as_deref(), MAX_NAME_LEN)
}

const RAR: &[Op] = &[Op::Add, Op::Replace, Op::Remove];

/// UpdateApiKey's rules. `/stages` values are `{restApiId}/{stageName}`; the control plane checks
/// that they exist.
pub const RULES: &[Rule<ApiKey>] = &[
    Rule {
        path: "/name",
        ops: RAR,
        apply: |k, c| {
            k.name = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/description",
        ops: RAR,
        apply: |k, c| {
            k.description = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/customerId",
        ops: RAR,
        apply: |k, c| {
            k.customer_id = c.optional();
            Ok(())
        },
    },
    Rule {
        path: "/enabled",
        ops: &[Op::Replace],
        apply: |k, c| {
            k.enabled = c.bool()?;
            Ok(())
        },
    },
    Rule {
        path: "/stages",
        ops: &[Op::Add, Op::Remove],
        apply: set_stage_key,
    },
];

fn set_stage_key(k: &mut ApiKey, c: &Change<'_>) -> Result<(), PatchError> {
    let value = c.value.unwrap_or("");
    if parse_stage_key(value).is_none() {
        return Err(c.invalid("stage keys are {restApiId}/{stageName}"));
    }
    match c.op {
        Op::Add if !k.stage_keys.iter().any(|s| s == value) => {
            k.stage_keys.push(value.to_string());
            k.stage_keys.sort();
        }
        Op::Remove => k.stage_keys.retain(|s| s != value),
        _ => {}
    }
    Ok(())
}

/// `{restApiId}/{stageName}` -> its parts.
pub fn parse_stage_key(s: &str) -> Option<(&str, &str)> {
    let (api, stage) = s.split_once('/')?;
    (!api.is_empty() && !stage.is_empty() && !stage.contains('/')).then_some((api, stage))
}

/// One row of an ImportApiKeys CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// 1-based line number, for warnings.
    pub line: usize,
    pub name: Option<String>,
    pub value: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub usage_plan_ids: Vec<String>,
}

/// Parses AWS's API key CSV: a header naming `key` (required) and any of `name`, `description`,
/// `enabled`, `usageplanIds` (case-insensitive, any order). Rows that cannot be used become
/// warnings; a header without `key` is an error.
pub fn parse_csv(body: &[u8]) -> Result<(Vec<ImportRow>, Vec<String>), ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("Invalid API keys file: not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = csv_records(text)?.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(ApiError::bad_request("Invalid API keys file: it is empty"));
    };
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let key_col = col("key").ok_or_else(|| {
        ApiError::bad_request("Invalid API keys file: the header has no 'key' column")
    })?;
    let (name_col, desc_col, enabled_col, plans_col) = (
        col("name"),
        col("description"),
        col("enabled"),
        col("usageplanIds"),
    );
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    for (line, fields) in records {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |c: Option<usize>| {
            c.and_then(|i| fields.get(i))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let Some(value) = get(Some(key_col)) else {
            warnings.push(format!("Line {line}: no key value"));
            continue;
        };
        let enabled = match get(enabled_col).map(|s| s.to_ascii_lowercase()).as_deref() {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => {
                warnings.push(format!("Line {line}: invalid Enabled value '{other}'"));
                continue;
            }
        };
        rows.push(ImportRow {
            line,
            name: get(name_col),
            value,
            description: get(desc_col),
            enabled,
            usage_plan_ids: get(plans_col)
                .map(|s| {
                    s.split([',', ';'])
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Ok((rows, warnings))
}

/// RFC 4180 records with their 1-based starting line: quoted fields may hold commas, newlines
/// and doubled quotes.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, ApiError> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut line, mut start_line) = (1, 1);
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                fields.push(std::mem::take(&mut field));
                out.push((start_line, std::mem::take(&mut fields)));
                line += 1;
                start_line = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(ApiError::bad_request(format!(
            "Invalid API keys file: unterminated quoted field starting on line {start_line}"
        )));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start_line, fields));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_are_40_alphanumerics() {
        let a = generate_value().unwrap();
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, generate_value().unwrap());
        assert!(validate_value(&a).is_ok());
        for bad in ["short", &"x".repeat(129), "has space in it 0123456789"] {
            assert!(validate_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_with_aws_header_quotes_and_warnings() {
        let csv = "Name,key,description,Enabled,usageplanIds\r\n\
                   k1,abcdefghijklmnopqrstuv1,\"first, with comma\",TRUE,\"p1,p2\"\r\n\
                   k2,abcdefghijklmnopqrstuv2,,false,\n\
                   k3,,no key,true,\n\
                   k4,abcdefghijklmnopqrstuv4,,maybe,\n\
                   \n";
        let (rows, warnings) = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].name.as_deref(), Some("k1"));
        assert_eq!(rows[0].description.as_deref(), Some("first, with comma"));
        assert_eq!(rows[0].usage_plan_ids, vec!["p1", "p2"]);
        assert!(rows[0].enabled && !rows[1].enabled);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("Line 4"), "{warnings:?}");

        // Column order and case are free; only `key` is required.
        let (rows, _) = parse_csv(b"KEY,name\nabcdefghijklmnopqrstuvwx,n\n").unwrap();
        assert_eq!(rows[0].value, "abcdefghijklmnopqrstuvwx");
        assert!(rows[0].enabled);
        for bad in [&b"name,description\nx,y\n"[..], b"", b"key\n\"open"] {
            assert!(parse_csv(bad).is_err());
        }
    }

    #[test]
    fn stage_keys_and_patch_rules() {
        use crate::admin::patch::{apply, parse};
        assert_eq!(parse_stage_key("a1/prod"), Some(("a1", "prod")));
        for bad in ["a1", "/prod", "a1/", "a1/p/q"] {
            assert_eq!(parse_stage_key(bad), None, "{bad}");
        }
        let key = ApiKey {
            id: "k".into(),
            enabled: true,
            ..Default::default()
        };
        let ops = parse(
            br#"{"patchOperations":[{"op":"replace","path":"/name","value":"n"},
            {"op":"replace","path":"/enabled","value":"false"},
            {"op":"add","path":"/stages","value":"a1/prod"},
            {"op":"add","path":"/stages","value":"a1/prod"},
            {"op":"replace","path":"/customerId","value":"c"}]}"#,
        )
        .unwrap();
        let k = apply(&key, &ops, RULES).unwrap();
        assert_eq!(k.name.as_deref(), Some("n"));
        assert!(!k.enabled);
        assert_eq!(k.stage_keys, vec!["a1/prod"]);
        let ops =
            parse(br#"{"patchOperations":[{"op":"remove","path":"/stages","value":"a1/prod"}]}"#)
                .unwrap();
        assert!(apply(&k, &ops, RULES).unwrap().stage_keys.is_empty());
        let ops = parse(br#"{"patchOperations":[{"op":"replace","path":"/value","value":"x"}]}"#)
            .unwrap();
        assert!(apply(&k, &ops, RULES).is_err());
    }
}
