//! `$util`: the six functions API Gateway gives mapping templates, handled by the renderer
//! (not the caller's `Env`) because they are pure functions of their argument.
//!
//! Each mirrors the Java call AWS makes: `escapeJavaScript` is commons-lang 2.6
//! `StringEscapeUtils.escapeJavaScript`, `urlEncode`/`urlDecode` are `java.net.URLEncoder` /
//! `URLDecoder` with UTF-8, `base64*` the standard alphabet over the string's UTF-8 bytes.
//! A Java method that throws makes Velocity abort the render (`MethodInvocationException`),
//! which AWS answers with a 500: those cases return `Err(UtilError)`.

use base64::Engine as _;

use super::value::Value;

/// A `$util` call whose Java counterpart throws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UtilError {
    InvalidJson,
    InvalidUrlEncoding,
    InvalidBase64,
}

/// Calls `$util.name(arg)`. `Ok(None)`: no such function, or a null argument (the reference
/// then prints literally, as Velocity does for a null result or an unknown method).
pub fn call<'d>(name: &str, args: &[Value<'d>]) -> Result<Option<Value<'d>>, UtilError> {
    let [arg] = args else {
        return Ok(None);
    };
    if arg.is_null() {
        return Ok(None);
    }
    let s = arg.text();
    Ok(Some(match name {
        // Text with nothing to escape comes back as it went in (borrowed: no copy).
        "escapeJavaScript" if arg.as_str().is_some() && !s.chars().any(js_escaped) => arg.clone(),
        "escapeJavaScript" => Value::str(&escape_javascript(&s)),
        // AWS: "Takes 'stringified' JSON and returns an object representation of the result."
        // Invalid JSON throws in Jackson, so the render fails (500) rather than yielding null.
        "parseJson" => match serde_json::from_str::<serde_json::Value>(&s) {
            Ok(j) => Value::from_json(&j),
            Err(_) => return Err(UtilError::InvalidJson),
        },
        "urlEncode" if arg.as_str().is_some() && s.bytes().all(url_unreserved) => arg.clone(),
        "urlEncode" => Value::str(&url_encode(&s)),
        "urlDecode" if arg.as_str().is_some() && !s.contains(['%', '+']) => arg.clone(),
        "urlDecode" => Value::str(&url_decode(&s)?),
        "base64Encode" => Value::str(&base64::engine::general_purpose::STANDARD.encode(&*s)),
        // Padding is optional on decode (commons-codec, which AWS's JVM stack uses, accepts both).
        "base64Decode" => {
            let b = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT
                .decode(s.trim_end())
                .map_err(|_| UtilError::InvalidBase64)?;
            Value::str(&String::from_utf8_lossy(&b))
        }
        _ => return Ok(None),
    }))
}

/// Whether `escapeJavaScript` rewrites `c`.
fn js_escaped(c: char) -> bool {
    matches!(c, '\'' | '"' | '\\' | '/') || (c as u32) < 0x20 || (c as u32) > 0x7f
}

/// Bytes `URLEncoder` keeps as they are.
fn url_unreserved(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_')
}

/// commons-lang 2.6 `escapeJavaStyleString(str, escapeSingleQuote=true, escapeForwardSlash=true)`:
/// `'` `"` `\` `/` get a backslash, control characters their short or `\u00XX` form, and every
/// UTF-16 unit above 0x7f is written `\uXXXX` in upper case. AWS documents that the `\'` this
/// produces is not valid JSON.
pub fn escape_javascript(s: &str) -> String {
    use std::fmt::Write;
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\'' => o.push_str("\\'"),
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '/' => o.push_str("\\/"),
            '\u{8}' => o.push_str("\\b"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\u{c}' => o.push_str("\\f"),
            '\r' => o.push_str("\\r"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(o, "\\u{:04X}", u);
                }
            }
            c => o.push(c),
        }
    }
    o
}

/// `URLEncoder.encode(s, "UTF-8")`: letters, digits and `.-*_` stay, space becomes `+`, every
/// other byte of the UTF-8 form is `%XX` (upper-case hex).
pub fn url_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut o = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b if url_unreserved(b) => o.push(b as char),
            b' ' => o.push('+'),
            _ => {
                o.push('%');
                o.push(HEX[(b >> 4) as usize] as char);
                o.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
    o
}

/// `URLDecoder.decode(s, "UTF-8")`: `+` is a space, `%XX` a byte; a truncated or non-hex escape
/// throws `IllegalArgumentException`. Invalid UTF-8 decodes to U+FFFD as Java's decoder does.
pub fn url_decode(s: &str) -> Result<String, UtilError> {
    let b = s.as_bytes();
    let mut o = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => o.push(b' '),
            b'%' => {
                let h = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
                let (Some(hi), Some(lo)) = (h(b.get(i + 1)), h(b.get(i + 2))) else {
                    return Err(UtilError::InvalidUrlEncoding);
                };
                o.push((hi * 16 + lo) as u8);
                i += 2;
            }
            c => o.push(c),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&o).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_javascript_matches_commons_lang() {
        for (i, o) in [
            ("it's", "it\\'s"),
            ("a\"b", "a\\\"b"),
            ("a\\b", "a\\\\b"),
            ("http://x/y", "http:\\/\\/x\\/y"),
            ("l1\nl2\r\t\u{8}\u{c}", "l1\\nl2\\r\\t\\b\\f"),
            ("\u{1}\u{1f}", "\\u0001\\u001F"),
            ("é", "\\u00E9"),
            ("€", "\\u20AC"),
            ("😀", "\\uD83D\\uDE00"),
            ("\u{7f}", "\u{7f}"),
            ("plain text 123", "plain text 123"),
        ] {
            assert_eq!(escape_javascript(i), o, "{i:?}");
        }
    }

    #[test]
    fn url_round_trip_and_errors() {
        assert_eq!(url_encode("a b&c=d/é*-._~"), "a+b%26c%3Dd%2F%C3%A9*-._%7E");
        assert_eq!(url_decode("a+b%26c%3dd%2F%C3%A9").unwrap(), "a b&c=d/é");
        assert_eq!(url_decode("%"), Err(UtilError::InvalidUrlEncoding));
        assert_eq!(url_decode("%4"), Err(UtilError::InvalidUrlEncoding));
        assert_eq!(url_decode("%zz"), Err(UtilError::InvalidUrlEncoding));
        assert_eq!(url_decode("%FF").unwrap(), "\u{FFFD}");
    }

    #[test]
    fn calls() {
        let s = |x: &str| vec![Value::str(x)];
        assert_eq!(
            call("base64Encode", &s("hello é")).unwrap(),
            Some(Value::str("aGVsbG8gw6k="))
        );
        assert_eq!(
            call("base64Decode", &s("aGVsbG8gw6k")).unwrap(),
            Some(Value::str("hello é"))
        );
        assert_eq!(
            call("base64Decode", &s("***")),
            Err(UtilError::InvalidBase64)
        );
        assert_eq!(call("parseJson", &s("{")), Err(UtilError::InvalidJson));
        assert_eq!(
            call("parseJson", &s("[1,\"a\"]")).unwrap(),
            Some(Value::List(vec![Value::Int(1), Value::str("a")]))
        );
        assert_eq!(call("nosuch", &s("x")).unwrap(), None);
        assert_eq!(call("urlEncode", &[Value::Null]).unwrap(), None);
        assert_eq!(call("urlEncode", &[]).unwrap(), None);
        assert_eq!(
            call("urlEncode", &[Value::Int(5)]).unwrap(),
            Some(Value::str("5"))
        );
    }
}
