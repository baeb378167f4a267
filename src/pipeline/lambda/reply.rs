//! A Lambda proxy function's reply, read from the integration response's one JSON parse:
//! `statusCode`, `headers`, `multiValueHeaders`, `body`, `isBase64Encoded`. Anything else in
//! the object is ignored; a reply that is not an object, lacks a status, or holds a field of the
//! wrong type is malformed, which API Gateway answers with 502 (`Malformed Lambda proxy
//! response` in its log).
//!
//! Choices where AWS's documentation is silent: a `statusCode` written as a numeric string is
//! accepted (Jackson coerces it), header values that are numbers or booleans are written as
//! their JSON text, and `null` for `headers`, `multiValueHeaders` or `body` means absent.

use crate::json::{Kind, Node};

#[derive(Debug, Clone, Copy)]
pub struct LambdaReply<'d> {
    pub status: u16,
    pub headers: Option<Node<'d>>,
    pub multi_value_headers: Option<Node<'d>>,
    pub body: &'d str,
    pub base64: bool,
}

/// Why a reply is malformed, for the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    NotJson,
    NotAnObject,
    Status,
    Headers,
    MultiValueHeaders,
    Body,
    IsBase64Encoded,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Malformed::NotJson => "the reply is not JSON",
            Malformed::NotAnObject => "the reply is not a JSON object",
            Malformed::Status => "statusCode is missing or not an HTTP status",
            Malformed::Headers => "headers is not an object of strings",
            Malformed::MultiValueHeaders => "multiValueHeaders is not an object of string lists",
            Malformed::Body => "body is not a string",
            Malformed::IsBase64Encoded => "isBase64Encoded is not a boolean",
        })
    }
}

fn present(n: Option<Node<'_>>) -> Option<Node<'_>> {
    n.filter(|n| n.kind() != Kind::Null)
}

/// A header value as text: strings as they are, numbers and booleans as their JSON text.
fn scalar(n: Node<'_>) -> bool {
    matches!(
        n.kind(),
        Kind::Str(_) | Kind::I64(_) | Kind::U64(_) | Kind::F64(_) | Kind::Bool(_)
    )
}

/// Reads `doc` (the parsed reply; `None` when it was not JSON).
pub fn read(doc: Option<Node<'_>>) -> Result<LambdaReply<'_>, Malformed> {
    let doc = doc.ok_or(Malformed::NotJson)?;
    if !doc.is_object() {
        return Err(Malformed::NotAnObject);
    }
    let status = match doc.field("statusCode").map(Node::kind) {
        Some(Kind::I64(i)) => u16::try_from(i).ok(),
        Some(Kind::Str(s)) => s.trim().parse::<u16>().ok(),
        _ => None,
    }
    .filter(|s| (100..=599).contains(s))
    .ok_or(Malformed::Status)?;
    let headers = present(doc.field("headers"));
    if let Some(h) = headers {
        if !h.is_object()
            || !h
                .members()
                .all(|(_, v)| scalar(v) || v.kind() == Kind::Null)
        {
            return Err(Malformed::Headers);
        }
    }
    let multi_value_headers = present(doc.field("multiValueHeaders"));
    if let Some(h) = multi_value_headers {
        let lists = h.is_object()
            && h.members()
                .all(|(_, v)| v.kind() == Kind::Null || (v.is_array() && v.elements().all(scalar)));
        if !lists {
            return Err(Malformed::MultiValueHeaders);
        }
    }
    let body = match present(doc.field("body")).map(Node::kind) {
        None => "",
        Some(Kind::Str(s)) => s,
        Some(_) => return Err(Malformed::Body),
    };
    let base64 = match present(doc.field("isBase64Encoded")).map(Node::kind) {
        None => false,
        Some(Kind::Bool(b)) => b,
        Some(_) => return Err(Malformed::IsBase64Encoded),
    };
    Ok(LambdaReply {
        status,
        headers,
        multi_value_headers,
        body,
        base64,
    })
}

/// Writes a header value node as text.
pub fn write_scalar(n: Node<'_>, out: &mut Vec<u8>) {
    match n.kind() {
        Kind::Str(s) => out.extend_from_slice(s.as_bytes()),
        _ => n.write_json(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Parsed;

    fn check(text: &str) -> Result<(u16, String, bool), Malformed> {
        let p = Parsed::parse(text.as_bytes());
        let r = read(p.as_ref().ok().map(Parsed::root))?;
        Ok((r.status, r.body.to_string(), r.base64))
    }

    #[test]
    fn well_formed_replies() {
        assert_eq!(
            check(r#"{"statusCode":201,"body":"hi"}"#),
            Ok((201, "hi".into(), false))
        );
        assert_eq!(
            check(r#"{"statusCode":"404"}"#),
            Ok((404, String::new(), false))
        );
        assert_eq!(
            check(
                r#"{"statusCode":200,"headers":{"a":"b","n":1},"multiValueHeaders":{"m":["x",2]},"body":null,"isBase64Encoded":true,"extra":{}}"#
            ),
            Ok((200, String::new(), true))
        );
    }

    #[test]
    fn malformed_replies() {
        for (text, why) in [
            ("not json", Malformed::NotJson),
            (r#""a string""#, Malformed::NotAnObject),
            (r#"{}"#, Malformed::Status),
            (r#"{"statusCode":99}"#, Malformed::Status),
            (r#"{"statusCode":"abc"}"#, Malformed::Status),
            (
                r#"{"statusCode":200,"headers":{"a":{}}}"#,
                Malformed::Headers,
            ),
            (r#"{"statusCode":200,"headers":[]}"#, Malformed::Headers),
            (
                r#"{"statusCode":200,"multiValueHeaders":{"a":"b"}}"#,
                Malformed::MultiValueHeaders,
            ),
            (r#"{"statusCode":200,"body":{"a":1}}"#, Malformed::Body),
            (
                r#"{"statusCode":200,"isBase64Encoded":"yes"}"#,
                Malformed::IsBase64Encoded,
            ),
        ] {
            assert_eq!(check(text), Err(why), "{text}");
        }
    }
}
