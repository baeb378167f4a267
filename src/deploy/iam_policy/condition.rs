//! A statement's `Condition` block, compiled once and evaluated against the request's
//! [`ConditionContext`] without allocating.
//!
//! Supported, as IAM defines them: `StringEquals`, `StringNotEquals`, `StringLike`,
//! `StringNotLike` on `aws:PrincipalArn`, `aws:userid`, `aws:username`, `aws:SourceVpce`,
//! `aws:SourceVpc`; `IpAddress` / `NotIpAddress` on `aws:SourceIp` (IPv4 and IPv6 CIDR, or a bare
//! address). Keys compare case-insensitively (IAM's keys do); values case-sensitively.
//!
//! Semantics: every operator of a block and every key under an operator must hold (AND); the
//! values listed for one key are alternatives (OR). A key the request does not carry (an
//! anonymous caller has no `aws:userid`; a request that did not come through a VPC endpoint has no
//! `aws:SourceVpce`) makes a positive operator false and a negated one (`StringNot*`,
//! `NotIpAddress`) true: IAM's rule, which is what makes the common "Deny unless it came through
//! vpce-x" statement deny public callers.
//!
//! Anything else (another operator, an `...IfExists` or `ForAnyValue:` form, another key, a policy
//! variable `${...}` in a value) is refused at compile time with its name: ignoring a condition
//! would widen an Allow or narrow a Deny without anyone noticing.

use super::{glob, invalid, PolicyError};
use serde_json::Value;
use std::net::IpAddr;

/// What the request brings to a condition: each `None` is a key the request does not carry.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConditionContext<'a> {
    /// `aws:SourceIp`: the client's address.
    pub source_ip: Option<IpAddr>,
    /// `aws:PrincipalArn`: the IAM caller's ARN (for an assumed role, the role's ARN).
    pub principal_arn: Option<&'a str>,
    /// `aws:userid`: the caller's principal id (`AIDA...` for a user, `AROA...:session`).
    pub userid: Option<&'a str>,
    /// `aws:username`: an IAM user's name (absent for assumed roles, as on AWS).
    pub username: Option<&'a str>,
    /// `aws:SourceVpce`: the VPC endpoint id the request arrived through.
    pub source_vpce: Option<&'a str>,
    /// `aws:SourceVpc`: the VPC the request arrived from.
    pub source_vpc: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringKey {
    PrincipalArn,
    UserId,
    Username,
    SourceVpce,
    SourceVpc,
}

impl StringKey {
    fn parse(key: &str) -> Option<StringKey> {
        const KEYS: [(&str, StringKey); 5] = [
            ("aws:PrincipalArn", StringKey::PrincipalArn),
            ("aws:userid", StringKey::UserId),
            ("aws:username", StringKey::Username),
            ("aws:SourceVpce", StringKey::SourceVpce),
            ("aws:SourceVpc", StringKey::SourceVpc),
        ];
        KEYS.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|&(_, k)| k)
    }

    fn value<'a>(self, ctx: &ConditionContext<'a>) -> Option<&'a str> {
        match self {
            StringKey::PrincipalArn => ctx.principal_arn,
            StringKey::UserId => ctx.userid,
            StringKey::Username => ctx.username,
            StringKey::SourceVpce => ctx.source_vpce,
            StringKey::SourceVpc => ctx.source_vpc,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringOp {
    Equals,
    Like,
}

/// An address block: `addr` with all but the first `prefix` bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `10.0.0.0/8`, `2001:db8::/32`, or a bare address (one host).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return None;
        }
        Some(Cidr {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// Whether `ip` is in the block. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual
    /// stack listener reports) counts as the IPv4 address it carries.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.prefix) == self.addr
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & m).into())
        }
        IpAddr::V6(a) => {
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(a) & m).into())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    Strings {
        op: StringOp,
        key: StringKey,
        values: Box<[Box<str>]>,
    },
    SourceIp {
        cidrs: Box<[Cidr]>,
    },
}

/// One operator on one key, possibly negated.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Clause {
    negated: bool,
    test: Test,
}

/// A statement's compiled `Condition` block (empty: always true).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    clauses: Box<[Clause]>,
}

impl Conditions {
    /// Compiles `{"Operator": {"key": value-or-values, ...}, ...}`.
    pub fn compile(v: &Value) -> Result<Conditions, PolicyError> {
        let block = v
            .as_object()
            .ok_or_else(|| invalid("Condition must be an object"))?;
        let mut clauses = Vec::new();
        for (operator, keys) in block {
            let (negated, kind) = match operator.as_str() {
                "StringEquals" => (false, Some(StringOp::Equals)),
                "StringNotEquals" => (true, Some(StringOp::Equals)),
                "StringLike" => (false, Some(StringOp::Like)),
                "StringNotLike" => (true, Some(StringOp::Like)),
                "IpAddress" => (false, None),
                "NotIpAddress" => (true, None),
                other => {
                    return Err(invalid(format!(
                        "condition operator {other} is not supported by this Tollgate version \
                         (supported: StringEquals, StringNotEquals, StringLike, StringNotLike, \
                         IpAddress, NotIpAddress)"
                    )))
                }
            };
            let keys = keys.as_object().ok_or_else(|| {
                invalid(format!(
                    "condition operator {operator} must map keys to values"
                ))
            })?;
            for (key, values) in keys {
                let values = condition_values(values, operator, key)?;
                let test = match kind {
                    Some(op) => {
                        let Some(k) = StringKey::parse(key) else {
                            return Err(unsupported_key(operator, key));
                        };
                        Test::Strings {
                            op,
                            key: k,
                            values: values.iter().map(|v| Box::<str>::from(*v)).collect(),
                        }
                    }
                    None => {
                        if !key.eq_ignore_ascii_case("aws:SourceIp") {
                            return Err(unsupported_key(operator, key));
                        }
                        let cidrs = values
                            .iter()
                            .map(|v| {
                                Cidr::parse(v).ok_or_else(|| {
                                    invalid(format!(
                                        "{operator} {key}: '{v}' is not an IP address or CIDR block"
                                    ))
                                })
                            })
                            .collect::<Result<_, _>>()?;
                        Test::SourceIp { cidrs }
                    }
                };
                clauses.push(Clause { negated, test });
            }
        }
        Ok(Conditions {
            clauses: clauses.into(),
        })
    }

    /// Whether every clause holds for `ctx`.
    pub fn holds(&self, ctx: &ConditionContext<'_>) -> bool {
        self.clauses.iter().all(|c| c.holds(ctx))
    }
}

fn unsupported_key(operator: &str, key: &str) -> PolicyError {
    let supported = if operator.contains("Ip") {
        "aws:SourceIp"
    } else {
        "aws:PrincipalArn, aws:userid, aws:username, aws:SourceVpce, aws:SourceVpc"
    };
    invalid(format!(
        "condition key {key} under {operator} is not supported by this Tollgate version \
         (supported: {supported})"
    ))
}

/// A condition value: a string or a non-empty list of strings, no policy variables.
fn condition_values<'v>(
    v: &'v Value,
    operator: &str,
    key: &str,
) -> Result<Vec<&'v str>, PolicyError> {
    let list: Vec<&Value> = match v {
        Value::Array(items) if !items.is_empty() => items.iter().collect(),
        Value::Array(_) => {
            return Err(invalid(format!(
                "{operator} {key}: the list of values is empty"
            )))
        }
        one => vec![one],
    };
    list.into_iter()
        .map(|item| {
            let s = item.as_str().ok_or_else(|| {
                invalid(format!(
                    "{operator} {key}: values must be strings or lists of strings"
                ))
            })?;
            if s.contains("${") {
                return Err(invalid(format!(
                    "{operator} {key}: policy variables ('{s}') are not supported by this \
                     Tollgate version"
                )));
            }
            Ok(s)
        })
        .collect()
}

impl Clause {
    fn holds(&self, ctx: &ConditionContext<'_>) -> bool {
        let matched = match &self.test {
            Test::Strings { op, key, values } => match key.value(ctx) {
                // A missing key: positive operators fail, negated ones hold.
                None => return self.negated,
                Some(actual) => values.iter().any(|v| match op {
                    StringOp::Equals => &**v == actual,
                    StringOp::Like => glob(v.as_bytes(), actual.as_bytes(), false),
                }),
            },
            Test::SourceIp { cidrs } => match ctx.source_ip {
                None => return self.negated,
                Some(ip) => cidrs.iter().any(|c| c.contains(ip)),
            },
        };
        matched != self.negated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(json: &str) -> Result<Conditions, String> {
        Conditions::compile(&serde_json::from_str(json).unwrap()).map_err(|e| e.to_string())
    }

    #[test]
    fn cidrs_v4_v6_and_mapped() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains("10.1.2.3".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(c.contains("::ffff:10.9.9.9".parse().unwrap()));
        let host = Cidr::parse("127.0.0.1").unwrap();
        assert!(host.contains("127.0.0.1".parse().unwrap()));
        assert!(!host.contains("127.0.0.2".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        // Host bits set in the block are cleared, as IAM does.
        assert!(Cidr::parse("192.0.2.77/24")
            .unwrap()
            .contains("192.0.2.1".parse().unwrap()));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "x",
            "10.0.0.0/",
            "/8",
            "",
        ] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }

    /// (condition block, context, holds?)
    #[test]
    fn the_conditions_table() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let local = ConditionContext {
            source_ip: ip("127.0.0.1"),
            ..Default::default()
        };
        let alice = ConditionContext {
            source_ip: ip("10.2.3.4"),
            principal_arn: Some("arn:aws:iam::123456789012:user/alice"),
            userid: Some("AIDAALICE"),
            username: Some("alice"),
            ..Default::default()
        };
        let via_vpce = ConditionContext {
            source_vpce: Some("vpce-1a2b3c4d"),
            source_vpc: Some("vpc-2f09a348"),
            ..local
        };
        let cases: &[(&str, &ConditionContext, bool)] = &[
            (
                r#"{"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}"#,
                &local,
                true,
            ),
            (
                r#"{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#,
                &local,
                false,
            ),
            (
                r#"{"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}}"#,
                &local,
                true,
            ),
            (
                r#"{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#,
                &local,
                true,
            ),
            (
                r#"{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#,
                &alice,
                false,
            ),
            (
                r#"{"ipaddress": {"AWS:SOURCEIP": "127.0.0.1"}}"#,
                &local,
                false,
            ),
            (
                r#"{"IpAddress": {"AWS:SOURCEIP": "127.0.0.1"}}"#,
                &local,
                true,
            ),
            (
                r#"{"StringEquals": {"aws:username": "alice"}}"#,
                &alice,
                true,
            ),
            (
                r#"{"StringEquals": {"aws:username": "Alice"}}"#,
                &alice,
                false,
            ),
            (
                r#"{"StringEquals": {"aws:username": "alice"}}"#,
                &local,
                false,
            ),
            (
                r#"{"StringNotEquals": {"aws:username": "alice"}}"#,
                &local,
                true,
            ),
            (
                r#"{"StringNotEquals": {"aws:username": ["bob", "alice"]}}"#,
                &alice,
                false,
            ),
            (
                r#"{"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a*"}}"#,
                &alice,
                true,
            ),
            (
                r#"{"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/b*"}}"#,
                &alice,
                true,
            ),
            (
                r#"{"StringLike": {"aws:userid": "AIDA?LICE"}}"#,
                &alice,
                true,
            ),
            (
                r#"{"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}"#,
                &local,
                true,
            ),
            (
                r#"{"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}"#,
                &via_vpce,
                false,
            ),
            (
                r#"{"StringEquals": {"aws:sourcevpc": "vpc-2f09a348"}}"#,
                &via_vpce,
                true,
            ),
            // AND across keys and operators.
            (
                r#"{"StringEquals": {"aws:username": "alice", "aws:userid": "AIDAALICE"},
                    "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#,
                &alice,
                true,
            ),
            (
                r#"{"StringEquals": {"aws:username": "alice"},
                    "IpAddress": {"aws:SourceIp": "192.168.0.0/16"}}"#,
                &alice,
                false,
            ),
            (r#"{}"#, &local, true),
        ];
        for (json, ctx, want) in cases {
            match compile(json) {
                Ok(c) => assert_eq!(c.holds(ctx), *want, "{json} with {ctx:?}"),
                // The lower-case operator is refused; that row documents it.
                Err(e) => assert!(json.contains("ipaddress") && e.contains("ipaddress"), "{e}"),
            }
        }
    }

    #[test]
    fn unsupported_forms_are_refused_by_name() {
        for (json, names) in [
            (
                r#"{"DateGreaterThan": {"aws:CurrentTime": "x"}}"#,
                "DateGreaterThan",
            ),
            (
                r#"{"StringEqualsIfExists": {"aws:username": "a"}}"#,
                "StringEqualsIfExists",
            ),
            (
                r#"{"ForAnyValue:StringEquals": {"aws:username": "a"}}"#,
                "ForAnyValue:StringEquals",
            ),
            (
                r#"{"StringEquals": {"aws:SourceArn": "a"}}"#,
                "aws:SourceArn",
            ),
            (
                r#"{"StringEquals": {"aws:SourceIp": "1.2.3.4"}}"#,
                "aws:SourceIp",
            ),
            (r#"{"IpAddress": {"aws:username": "a"}}"#, "aws:username"),
            (
                r#"{"IpAddress": {"aws:SourceIp": "300.0.0.1"}}"#,
                "300.0.0.1",
            ),
            (
                r#"{"StringEquals": {"aws:username": "${aws:userid}"}}"#,
                "policy variables",
            ),
            (r#"{"StringEquals": {"aws:username": []}}"#, "empty"),
            (r#"{"StringEquals": {"aws:username": 3}}"#, "strings"),
            (r#"{"StringEquals": "x"}"#, "must map keys"),
            (r#"[]"#, "must be an object"),
        ] {
            let e = compile(json).unwrap_err();
            assert!(e.contains(names), "{json}: {e}");
        }
    }
}
