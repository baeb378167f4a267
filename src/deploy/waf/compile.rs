//! Web ACL JSON (wafv2's `WebACL` shape) -> `Program`.
//!
//! Every error is a message in AWS's `WAFInvalidParameterException` style (`Error reason: ...,
//! field: ..., parameter: ...`) naming what cannot be enforced; compile fails as a whole.

use super::transform::Transform;
use super::{
    rate, Action, Comparison, CustomResponse, Field, Forwarded, IpPosition, Oversize, Position,
    Program, RateKey, Regex, Rule, Statement, Transforms,
};
use crate::deploy::iam_policy::Cidr;
use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The IP sets and regex pattern sets a web ACL may reference, by ARN, already compiled.
#[derive(Debug, Default)]
pub struct Catalog {
    ip_sets: HashMap<String, Arc<[Cidr]>>,
    regex_sets: HashMap<String, Arc<Regex>>,
}

/// The longest regex AWS accepts, and the compiled size Tollgate allows one.
const MAX_REGEX_LEN: usize = 512;
const REGEX_SIZE_LIMIT: usize = 1 << 20;

pub fn invalid(reason: &str, field: &str, parameter: &str) -> String {
    format!("Error reason: {reason}, field: {field}, parameter: {parameter}")
}

impl Catalog {
    /// Parses an IP set's `Addresses` (CIDRs of `version`, `IPV4` or `IPV6`).
    pub fn parse_addresses(version: &str, addresses: &[String]) -> Result<Arc<[Cidr]>, String> {
        let v6 = match version {
            "IPV4" => false,
            "IPV6" => true,
            other => {
                return Err(invalid(
                    "The parameter contains formatting that is not valid",
                    "IP_ADDRESS_VERSION",
                    other,
                ))
            }
        };
        addresses
            .iter()
            .map(|a| {
                let bad = || {
                    invalid(
                        "The parameter contains formatting that is not valid",
                        "IP_ADDRESS",
                        a,
                    )
                };
                let (ip, _) = a.split_once('/').ok_or_else(bad)?;
                let is_v6 = ip.parse::<std::net::IpAddr>().map_err(|_| bad())?.is_ipv6();
                if is_v6 != v6 {
                    return Err(bad());
                }
                Cidr::parse(a).ok_or_else(bad)
            })
            .collect()
    }

    /// Compiles a regex pattern set's `RegularExpressionList`.
    pub fn compile_patterns(patterns: &[String]) -> Result<Arc<Regex>, String> {
        for p in patterns {
            compile_regex(p)?;
        }
        builder(REGEX_SIZE_LIMIT * patterns.len().max(1))
            .build_many(patterns)
            .map(Arc::new)
            .map_err(|_| {
                invalid(
                    "The parameter contains formatting that is not valid",
                    "REGEX_PATTERN_SET",
                    &patterns.join(","),
                )
            })
    }

    pub fn add_ip_set(&mut self, arn: &str, cidrs: Arc<[Cidr]>) {
        self.ip_sets.insert(arn.to_string(), cidrs);
    }

    pub fn add_regex_set(&mut self, arn: &str, set: Arc<Regex>) {
        self.regex_sets.insert(arn.to_string(), set);
    }
}

/// The regex engine as `regex::bytes` configures it (Unicode classes, any bytes in the
/// haystack), with a bound on the compiled size.
fn builder(size_limit: usize) -> regex_automata::meta::Builder {
    let mut b = Regex::builder();
    b.syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .configure(
            Regex::config()
                .nfa_size_limit(Some(size_limit))
                .utf8_empty(false),
        );
    b
}

pub fn compile_regex(p: &str) -> Result<Regex, String> {
    let bad = || {
        invalid(
            "The parameter contains formatting that is not valid",
            "REGEX_PATTERN",
            p,
        )
    };
    if p.is_empty() || p.len() > MAX_REGEX_LEN {
        return Err(bad());
    }
    builder(REGEX_SIZE_LIMIT).build(p).map_err(|_| bad())
}

/// Compiles `acl` (a stored `WebACL`: `Id`, `ARN`, `DefaultAction`, `Rules`,
/// `CustomResponseBodies`) against the sets in `catalog`.
pub fn compile(acl: &Value, catalog: &Catalog) -> Result<Program, String> {
    let mut c = Compiler {
        catalog,
        acl_id: acl.get("Id").and_then(Value::as_str).unwrap_or(""),
        bodies: acl.get("CustomResponseBodies").and_then(Value::as_object),
        responses: Vec::new(),
        regexes: Vec::new(),
    };
    if let Some(bodies) = c.bodies {
        for (key, body) in bodies {
            c.check_body(key, body)?;
        }
    }
    let default_action = match acl.get("DefaultAction").and_then(Value::as_object) {
        Some(d) if d.len() == 1 && d.contains_key("Allow") => Action::Allow,
        Some(d) if d.len() == 1 && d.contains_key("Block") => Action::Block(c.custom(&d["Block"])?),
        _ => return Err(invalid(
            "Your statement has multiple values set for a field that requires exactly one value",
            "DEFAULT_ACTION",
            "DefaultAction",
        )),
    };
    let empty = Vec::new();
    let rules_json = match acl.get("Rules") {
        None | Some(Value::Null) => &empty,
        Some(Value::Array(r)) => r,
        Some(_) => return Err(invalid("The rules must be a list", "RULES", "Rules")),
    };
    let mut rules: Vec<(i64, Rule)> = Vec::with_capacity(rules_json.len());
    for r in rules_json {
        let name = str_of(r, "Name").ok_or_else(|| missing("RULE", "Name"))?;
        let priority = r
            .get("Priority")
            .and_then(Value::as_i64)
            .filter(|p| *p >= 0)
            .ok_or_else(|| missing("RULE", "Priority"))?;
        if rules.iter().any(|(p, _)| *p == priority) {
            return Err(invalid(
                "A rule with the same priority already exists in this web ACL",
                "RULE_PRIORITY",
                &priority.to_string(),
            ));
        }
        if rules.iter().any(|(_, rule)| &*rule.name == name) {
            return Err(invalid(
                "A rule with the same name already exists in this web ACL",
                "RULE_NAME",
                name,
            ));
        }
        if r.get("OverrideAction").is_some() {
            return Err(invalid(
                "OverrideAction applies only to rule group and managed rule group statements",
                "RULE_ACTION",
                name,
            ));
        }
        let action = c.action(r.get("Action"), name)?;
        let statement = r
            .get("Statement")
            .ok_or_else(|| missing("RULE", "Statement"))?;
        let statement = c.statement(statement, name, true)?;
        rules.push((
            priority,
            Rule {
                name: name.into(),
                action,
                statement,
            },
        ));
    }
    rules.sort_by_key(|(p, _)| *p);
    static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    Ok(Program {
        id: IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        regexes: c.regexes.into(),
        arn: acl.get("ARN").and_then(Value::as_str).unwrap_or("").into(),
        default_action,
        rules: rules.into_iter().map(|(_, r)| r).collect(),
        responses: c.responses.into(),
    })
}

/// AWS's WebACL capacity units for `acl`'s rules (a close estimate of AWS's own table).
pub fn capacity(acl: &Value) -> i64 {
    fn units(s: &Value) -> i64 {
        let Some((kind, body)) = s.as_object().and_then(|o| o.iter().next()) else {
            return 0;
        };
        let tx = body
            .get("TextTransformations")
            .and_then(Value::as_array)
            .map_or(0, |t| {
                t.iter().filter(|t| t["Type"] != "NONE").count() as i64
            })
            * 10;
        match kind.as_str() {
            "IPSetReferenceStatement" => 1,
            "ByteMatchStatement" => 2 + tx,
            "RegexMatchStatement" => 3 + tx,
            "RegexPatternSetReferenceStatement" => 25 + tx,
            "SizeConstraintStatement" => 1 + tx,
            "SqliMatchStatement" => 20 + tx,
            "XssMatchStatement" => 40 + tx,
            "RateBasedStatement" => 2 + body.get("ScopeDownStatement").map_or(0, units),
            "NotStatement" => body.get("Statement").map_or(0, units),
            "AndStatement" | "OrStatement" => body
                .get("Statements")
                .and_then(Value::as_array)
                .map_or(0, |a| a.iter().map(units).sum()),
            _ => 0,
        }
    }
    acl.get("Rules").and_then(Value::as_array).map_or(0, |r| {
        r.iter().filter_map(|r| r.get("Statement")).map(units).sum()
    })
}

struct Compiler<'a> {
    catalog: &'a Catalog,
    acl_id: &'a str,
    bodies: Option<&'a Map<String, Value>>,
    responses: Vec<CustomResponse>,
    regexes: Vec<Arc<Regex>>,
}

fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn missing(field: &str, parameter: &str) -> String {
    invalid("A required parameter is missing", field, parameter)
}

impl Compiler<'_> {
    /// Registers a regex; its index in `Program::regexes`.
    fn regex(&mut self, r: Arc<Regex>) -> u16 {
        self.regexes.push(r);
        (self.regexes.len() - 1) as u16
    }

    fn check_body(&self, key: &str, body: &Value) -> Result<(), String> {
        let ct = str_of(body, "ContentType").unwrap_or("");
        if !matches!(ct, "TEXT_PLAIN" | "TEXT_HTML" | "APPLICATION_JSON") {
            return Err(invalid(
                "The parameter contains formatting that is not valid",
                "CUSTOM_RESPONSE_BODY_CONTENT_TYPE",
                key,
            ));
        }
        if str_of(body, "Content").is_none() {
            return Err(missing("CUSTOM_RESPONSE_BODY", key));
        }
        Ok(())
    }

    fn action(&mut self, action: Option<&Value>, rule: &str) -> Result<Action, String> {
        let one = action.and_then(Value::as_object).filter(|o| o.len() == 1);
        let Some((kind, body)) = one.and_then(|o| o.iter().next()) else {
            return Err(invalid(
                "Your statement has multiple values set for a field that requires exactly one value",
                "RULE_ACTION",
                rule,
            ));
        };
        match kind.as_str() {
            "Allow" => Ok(Action::Allow),
            "Count" => Ok(Action::Count),
            "Block" => Ok(Action::Block(self.custom(body)?)),
            other => Err(invalid(
                &format!("Tollgate does not support the {other} action"),
                "RULE_ACTION",
                rule,
            )),
        }
    }

    /// A Block action's `CustomResponse`, registered in `responses`.
    fn custom(&mut self, block: &Value) -> Result<Option<u16>, String> {
        let Some(cr) = block.get("CustomResponse") else {
            return Ok(None);
        };
        let status = cr
            .get("ResponseCode")
            .and_then(Value::as_u64)
            .filter(|s| (200..=599).contains(s))
            .ok_or_else(|| {
                invalid(
                    "The parameter contains formatting that is not valid",
                    "CUSTOM_RESPONSE",
                    "ResponseCode",
                )
            })? as u16;
        let mut headers = Vec::new();
        for h in cr
            .get("ResponseHeaders")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(n), Some(v)) = (str_of(h, "Name"), str_of(h, "Value")) else {
                return Err(missing("CUSTOM_RESPONSE", "ResponseHeaders"));
            };
            let valid = !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !v.bytes().any(|b| b == b'\r' || b == b'\n');
            if !valid {
                return Err(invalid(
                    "The parameter contains formatting that is not valid",
                    "CUSTOM_RESPONSE_HEADER",
                    n,
                ));
            }
            // AWS WAF prefixes every custom response header it sends.
            headers.push((format!("x-amzn-waf-{n}").into(), v.into()));
        }
        let (content_type, body) = match str_of(cr, "CustomResponseBodyKey") {
            None => (None, Box::default()),
            Some(key) => {
                let b = self.bodies.and_then(|b| b.get(key)).ok_or_else(|| {
                    invalid(
                        "The custom response body key does not exist in CustomResponseBodies",
                        "CUSTOM_RESPONSE_BODY_KEY",
                        key,
                    )
                })?;
                let ct = match str_of(b, "ContentType") {
                    Some("TEXT_HTML") => "text/html",
                    Some("APPLICATION_JSON") => "application/json",
                    _ => "text/plain",
                };
                (
                    Some(ct.into()),
                    str_of(b, "Content").unwrap_or("").as_bytes().into(),
                )
            }
        };
        self.responses.push(CustomResponse {
            status,
            headers: headers.into(),
            content_type,
            body,
        });
        Ok(Some((self.responses.len() - 1) as u16))
    }

    fn statement(&mut self, s: &Value, rule: &str, top: bool) -> Result<Statement, String> {
        let one = s.as_object().filter(|o| o.len() == 1);
        let Some((kind, body)) = one.and_then(|o| o.iter().next()) else {
            return Err(invalid(
                "Your statement has multiple values set for a field that requires exactly one value",
                "STATEMENT",
                rule,
            ));
        };
        Ok(match kind.as_str() {
            "IPSetReferenceStatement" => {
                let arn = str_of(body, "ARN").ok_or_else(|| missing("IP_SET", "ARN"))?;
                let cidrs = self.catalog.ip_sets.get(arn).cloned().ok_or_else(|| {
                    invalid(
                        "The referenced item does not exist",
                        "IP_SET_REFERENCE",
                        arn,
                    )
                })?;
                let forwarded = body
                    .get("IPSetForwardedIPConfig")
                    .map(|f| forwarded(f, true))
                    .transpose()?;
                Statement::IpSet { cidrs, forwarded }
            }
            "ByteMatchStatement" => {
                let search = search_string(body)?;
                let position = match str_of(body, "PositionalConstraint") {
                    Some("EXACTLY") => Position::Exactly,
                    Some("STARTS_WITH") => Position::StartsWith,
                    Some("ENDS_WITH") => Position::EndsWith,
                    Some("CONTAINS") => Position::Contains,
                    Some("CONTAINS_WORD") => Position::ContainsWord,
                    other => {
                        return Err(invalid(
                            "The parameter contains formatting that is not valid",
                            "POSITIONAL_CONSTRAINT",
                            other.unwrap_or("PositionalConstraint"),
                        ))
                    }
                };
                Statement::ByteMatch {
                    field: field(body)?,
                    transforms: transforms(body)?,
                    search,
                    position,
                }
            }
            "RegexMatchStatement" => {
                let p = str_of(body, "RegexString")
                    .ok_or_else(|| missing("REGEX_MATCH", "RegexString"))?;
                let (field, transforms) = (field(body)?, transforms(body)?);
                let regex = self.regex(Arc::new(compile_regex(p)?));
                Statement::Regex {
                    field,
                    transforms,
                    regex,
                }
            }
            "RegexPatternSetReferenceStatement" => {
                let arn = str_of(body, "ARN").ok_or_else(|| missing("REGEX_PATTERN_SET", "ARN"))?;
                let set = self.catalog.regex_sets.get(arn).cloned().ok_or_else(|| {
                    invalid(
                        "The referenced item does not exist",
                        "REGEX_PATTERN_REFERENCE",
                        arn,
                    )
                })?;
                let (field, transforms) = (field(body)?, transforms(body)?);
                Statement::Regex {
                    field,
                    transforms,
                    regex: self.regex(set),
                }
            }
            "SizeConstraintStatement" => {
                let op = match str_of(body, "ComparisonOperator") {
                    Some("EQ") => Comparison::Eq,
                    Some("NE") => Comparison::Ne,
                    Some("LE") => Comparison::Le,
                    Some("LT") => Comparison::Lt,
                    Some("GE") => Comparison::Ge,
                    Some("GT") => Comparison::Gt,
                    other => {
                        return Err(invalid(
                            "The parameter contains formatting that is not valid",
                            "COMPARISON_OPERATOR",
                            other.unwrap_or("ComparisonOperator"),
                        ))
                    }
                };
                let size = body
                    .get("Size")
                    .and_then(Value::as_u64)
                    .filter(|s| *s <= 21_474_836_480)
                    .ok_or_else(|| missing("SIZE_CONSTRAINT", "Size"))?;
                Statement::Size {
                    field: field(body)?,
                    transforms: transforms(body)?,
                    op,
                    size,
                }
            }
            "SqliMatchStatement" => {
                // libinjection has one sensitivity: AWS's default, LOW.
                if let Some(level) = str_of(body, "SensitivityLevel").filter(|l| *l != "LOW") {
                    return Err(invalid(
                        &format!("Tollgate does not support the SQL injection sensitivity {level}"),
                        "SENSITIVITY_LEVEL",
                        level,
                    ));
                }
                Statement::Sqli {
                    field: field(body)?,
                    transforms: transforms(body)?,
                }
            }
            "XssMatchStatement" => Statement::Xss {
                field: field(body)?,
                transforms: transforms(body)?,
            },
            "RateBasedStatement" => {
                if !top {
                    return Err(invalid(
                        "A rate-based statement cannot be nested inside another statement",
                        "STATEMENT",
                        rule,
                    ));
                }
                let limit = body
                    .get("Limit")
                    .and_then(Value::as_u64)
                    .filter(|l| (10..=2_000_000_000).contains(l))
                    .ok_or_else(|| {
                        invalid(
                            "The parameter is outside the allowed range (10 to 2000000000)",
                            "RATE_BASED_STATEMENT",
                            "Limit",
                        )
                    })?;
                let window_secs = match body.get("EvaluationWindowSec") {
                    None => 300,
                    Some(w) => w
                        .as_u64()
                        .filter(|w| matches!(w, 60 | 120 | 300 | 600))
                        .ok_or_else(|| {
                            invalid(
                                "The evaluation window must be 60, 120, 300 or 600 seconds",
                                "RATE_BASED_STATEMENT",
                                "EvaluationWindowSec",
                            )
                        })?,
                };
                let key = match str_of(body, "AggregateKeyType") {
                    Some("IP") => RateKey::Ip,
                    Some("CONSTANT") => RateKey::Constant,
                    Some("FORWARDED_IP") => {
                        let f = body
                            .get("ForwardedIPConfig")
                            .ok_or_else(|| missing("RATE_BASED_STATEMENT", "ForwardedIPConfig"))?;
                        RateKey::Forwarded(forwarded(f, false)?)
                    }
                    other => {
                        return Err(invalid(
                            &format!(
                                "Tollgate does not support the aggregate key type {}",
                                other.unwrap_or("(none)")
                            ),
                            "RATE_BASED_STATEMENT",
                            "AggregateKeyType",
                        ))
                    }
                };
                let scope_down = body
                    .get("ScopeDownStatement")
                    .map(|s| self.statement(s, rule, false).map(Box::new))
                    .transpose()?;
                let counters = rate::shared(&format!("{}/{rule}/{window_secs}", self.acl_id));
                Statement::Rate {
                    limit,
                    window_secs,
                    key,
                    scope_down,
                    counters,
                }
            }
            "AndStatement" | "OrStatement" => {
                let list = body
                    .get("Statements")
                    .and_then(Value::as_array)
                    .filter(|l| l.len() >= 2)
                    .ok_or_else(|| {
                        invalid(
                            "The statement needs at least two nested statements",
                            "STATEMENT",
                            kind,
                        )
                    })?;
                let nested = list
                    .iter()
                    .map(|s| self.statement(s, rule, false))
                    .collect::<Result<Box<[_]>, _>>()?;
                if kind == "AndStatement" {
                    Statement::And(nested)
                } else {
                    Statement::Or(nested)
                }
            }
            "NotStatement" => {
                let inner = body
                    .get("Statement")
                    .ok_or_else(|| missing("NOT_STATEMENT", "Statement"))?;
                Statement::Not(Box::new(self.statement(inner, rule, false)?))
            }
            other => {
                return Err(invalid(
                    &format!("Tollgate does not support the statement {other}"),
                    "STATEMENT",
                    other,
                ))
            }
        })
    }
}

/// `SearchString` is a blob: base64 on the wire (the CLI and SDKs encode it);
/// `SearchStringBase64` (CloudFormation's spelling) is accepted too.
fn search_string(body: &Value) -> Result<Box<[u8]>, String> {
    let b64 = str_of(body, "SearchString").or_else(|| str_of(body, "SearchStringBase64"));
    let b64 = b64.ok_or_else(|| missing("BYTE_MATCH_STATEMENT", "SearchString"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| {
            invalid(
                "The parameter contains formatting that is not valid",
                "SEARCH_STRING",
                b64,
            )
        })?;
    if bytes.is_empty() || bytes.len() > 200 {
        return Err(invalid(
            "The search string must be 1 to 200 bytes",
            "SEARCH_STRING",
            b64,
        ));
    }
    Ok(bytes.into())
}

fn forwarded(f: &Value, with_position: bool) -> Result<Forwarded, String> {
    let header = str_of(f, "HeaderName")
        .filter(|h| !h.is_empty() && h.len() <= 255)
        .ok_or_else(|| missing("FORWARDED_IP_CONFIG", "HeaderName"))?;
    let fallback_match = match str_of(f, "FallbackBehavior") {
        Some("MATCH") => true,
        Some("NO_MATCH") => false,
        _ => return Err(missing("FORWARDED_IP_CONFIG", "FallbackBehavior")),
    };
    let position = if with_position {
        match str_of(f, "Position") {
            Some("FIRST") => IpPosition::First,
            Some("LAST") => IpPosition::Last,
            Some("ANY") => IpPosition::Any,
            _ => return Err(missing("FORWARDED_IP_CONFIG", "Position")),
        }
    } else {
        IpPosition::First
    };
    Ok(Forwarded {
        header: header.to_ascii_lowercase().into_bytes().into(),
        fallback_match,
        position,
    })
}

fn field(body: &Value) -> Result<Field, String> {
    let f = body
        .get("FieldToMatch")
        .and_then(Value::as_object)
        .filter(|o| o.len() == 1);
    let Some((kind, v)) = f.and_then(|o| o.iter().next()) else {
        return Err(invalid(
            "Your statement has multiple values set for a field that requires exactly one value",
            "FIELD_TO_MATCH",
            "FieldToMatch",
        ));
    };
    let name = |what: &str| -> Result<Box<[u8]>, String> {
        str_of(v, "Name")
            .filter(|n| !n.is_empty())
            .map(|n| n.to_ascii_lowercase().into_bytes().into())
            .ok_or_else(|| missing("FIELD_TO_MATCH", what))
    };
    Ok(match kind.as_str() {
        "UriPath" => Field::UriPath,
        "QueryString" => Field::QueryString,
        "AllQueryArguments" => Field::AllQueryArguments,
        "Method" => Field::Method,
        "SingleHeader" => Field::SingleHeader(name("SingleHeader")?),
        "SingleQueryArgument" => Field::SingleQueryArgument(name("SingleQueryArgument")?),
        "Body" => Field::Body(match str_of(v, "OversizeHandling") {
            None | Some("CONTINUE") => Oversize::Continue,
            Some("MATCH") => Oversize::Match,
            Some("NO_MATCH") => Oversize::NoMatch,
            Some(other) => {
                return Err(invalid(
                    "The parameter contains formatting that is not valid",
                    "OVERSIZE_HANDLING",
                    other,
                ))
            }
        }),
        other => {
            return Err(invalid(
                &format!("Tollgate does not support the field to match {other}"),
                "FIELD_TO_MATCH",
                other,
            ))
        }
    })
}

fn transforms(body: &Value) -> Result<Transforms, String> {
    if body
        .get("PreParseTextTransformations")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty())
    {
        return Err(invalid(
            "Tollgate does not support PreParseTextTransformations",
            "TEXT_TRANSFORMATION",
            "PreParseTextTransformations",
        ));
    }
    let list = body
        .get("TextTransformations")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty() && l.len() <= 10)
        .ok_or_else(|| missing("TEXT_TRANSFORMATION", "TextTransformations"))?;
    let mut out: Vec<(i64, Transform)> = Vec::with_capacity(list.len());
    for t in list {
        let name = str_of(t, "Type").unwrap_or("");
        let priority = t
            .get("Priority")
            .and_then(Value::as_i64)
            .ok_or_else(|| missing("TEXT_TRANSFORMATION", "Priority"))?;
        let parsed = Transform::parse(name).ok_or_else(|| {
            invalid(
                &format!("Tollgate does not support the text transformation {name}"),
                "TEXT_TRANSFORMATION",
                name,
            )
        })?;
        if out.iter().any(|(p, _)| *p == priority) {
            return Err(invalid(
                "Two text transformations have the same priority",
                "TEXT_TRANSFORMATION",
                &priority.to_string(),
            ));
        }
        out.push((priority, parsed));
    }
    out.sort_by_key(|(p, _)| *p);
    Ok(out.into_iter().map(|(_, t)| t).collect())
}
