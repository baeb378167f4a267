//! Percent-encoding for each place a value can take in a backend request target.
//!
//! Values reach the integration request in one of three forms: plain bytes (header values,
//! mapping literals, context values), path text as the client sent it (a path capture: `%XX`
//! escapes) or query text (`%XX` escapes, and `+` for a space, as HTML forms and API Gateway read
//! it). API Gateway hands mappings the *decoded* value and encodes it again for where it goes, so
//! that is what happens here, in one pass and without allocating: decode per the source's form,
//! then encode per the destination. The round trip is what makes the destination safe: whatever
//! the client wrote, a `?`, `&`, `#`, space, `%`, CR/LF or non-ASCII byte inside a value leaves as
//! an escape and can never start a query, add a parameter, or end the request line.
//!
//! A decoded `.` is written back as `.`, so every spelling of a dot-segment (`..`, `%2e%2e`,
//! `.%2E`) comes out the same and [`has_dot_segment`] can recognise it in the rendered path. A
//! double-encoded `%252e` decodes once to `%2e` and is written as `%252e`: a backend that decodes
//! once sees the text `%2e`, not a dot.

/// How a value's bytes are written where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Plain bytes: nothing to decode.
    Plain,
    /// Path text: `%XX` escapes; `+` is a plus.
    Path,
    /// Query text: `%XX` escapes, `+` is a space.
    Query,
}

const fn table(keep: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = b'0';
    while c <= b'9' {
        t[c as usize] = true;
        c += 1;
    }
    c = b'A';
    while c <= b'Z' {
        t[c as usize] = true;
        t[(c + 32) as usize] = true;
        c += 1;
    }
    let mut i = 0;
    while i < keep.len() {
        t[keep[i] as usize] = true;
        i += 1;
    }
    t
}

/// RFC 3986 `segment` characters kept as they are: unreserved, sub-delims, `:` and `@` — less
/// `;`, which servlet containers read as a path-parameter separator (`..;/` is how Tomcat-class
/// backends are walked out of a prefix).
static SEGMENT: [bool; 256] = table(b"-._~!$&'()*+,=:@");
/// Characters kept in a query component: RFC 3986 `query` less the separators a value must not
/// introduce (`&`, `=`, `+`, `;`) and `#`.
static QUERY: [bool; 256] = table(b"-._~!$'()*,:@/?");
/// Characters a request target may carry as they are (RFC 3986 reserved and unreserved, less `#`,
/// `[` and `]`); `%` is kept only as the start of a valid escape.
static TARGET: [bool; 256] = table(b"-._~:/?@!$&'()*+,;=");

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The escape at the start of `s`, if `s` starts with a valid `%XX`.
fn escape_at(s: &[u8]) -> Option<u8> {
    match s {
        [b'%', h, l, ..] => Some(hex_val(*h)? << 4 | hex_val(*l)?),
        _ => None,
    }
}

/// The bytes `value` stands for in `form`. A `%` that starts no valid escape stands for itself.
pub fn decoded(value: &[u8], form: Form) -> impl Iterator<Item = u8> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *value.get(i)?;
        if form != Form::Plain && b == b'%' {
            if let Some(d) = escape_at(&value[i..]) {
                i += 3;
                return Some(d);
            }
        }
        i += 1;
        Some(if form == Form::Query && b == b'+' {
            b' '
        } else {
            b
        })
    })
}

fn push_escape(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(&[b'%', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
}

fn push_with(out: &mut Vec<u8>, bytes: impl Iterator<Item = u8>, keep: &[bool; 256]) {
    for b in bytes {
        if keep[b as usize] {
            out.push(b);
        } else {
            push_escape(out, b);
        }
    }
}

/// Appends `value` as (part of) one path segment: `/`, `?`, `#`, space, `%`, `;`, controls and
/// non-ASCII escaped.
pub fn push_segment(out: &mut Vec<u8>, value: &[u8], form: Form) {
    push_with(out, decoded(value, form), &SEGMENT);
}

/// Appends a greedy (`{name+}`) value: like [`push_segment`], but a `/` (written or escaped as
/// `%2F`: it is one once decoded, as API Gateway hands it over) separates segments.
pub fn push_segments(out: &mut Vec<u8>, value: &[u8], form: Form) {
    for b in decoded(value, form) {
        if b == b'/' || SEGMENT[b as usize] {
            out.push(b);
        } else {
            push_escape(out, b);
        }
    }
}

/// Appends `value` as a query name or value: `&`, `=`, `+`, `#`, `;`, space, `%`, controls and
/// non-ASCII escaped.
pub fn push_query_component(out: &mut Vec<u8>, value: &[u8], form: Form) {
    push_with(out, decoded(value, form), &QUERY);
}

/// Appends request-target text that is already encoded (a client's query string passed through,
/// an integration URI's literal path): kept byte for byte except what a request target may not
/// hold (`"`, `<`, `>`, `\`, `^`, `` ` ``, `{`, `|`, `}`, `[`, `]`, `#`, controls, non-ASCII) and a
/// `%` that starts no valid escape, which are escaped.
pub fn push_target_text(out: &mut Vec<u8>, text: &[u8]) {
    for (i, &b) in text.iter().enumerate() {
        if TARGET[b as usize] || (b == b'%' && escape_at(&text[i..]).is_some()) {
            out.push(b);
        } else {
            push_escape(out, b);
        }
    }
}

/// Whether `text` is valid request-target text as [`push_target_text`] would write it.
pub fn is_target_text(text: &[u8]) -> bool {
    text.iter()
        .enumerate()
        .all(|(i, &b)| TARGET[b as usize] || (b == b'%' && escape_at(&text[i..]).is_some()))
}

/// Whether a rendered path holds a `.` or `..` segment in any spelling, the only way a path can
/// climb above its prefix once a backend normalises it (RFC 3986 §5.2.4). Segments are split at
/// `/` and also at an escaped `/` or `\` (`%2F`, `%5C`), and `%2E` counts as a dot, because
/// backends that decode before normalising (and Windows-hosted ones, for `\`) read them so.
pub fn has_dot_segment(path: &[u8]) -> bool {
    let mut dots = 0u32;
    let mut only_dots = true;
    let mut i = 0;
    loop {
        let (token, len) = match &path[i..] {
            [] => (None, 0),
            [b'/', ..] => (None, 1),
            [b'%', b'2', b'F' | b'f', ..] | [b'%', b'5', b'C' | b'c', ..] => (None, 3),
            [b'.', ..] => (Some(true), 1),
            [b'%', b'2', b'E' | b'e', ..] => (Some(true), 3),
            _ => (Some(false), 1),
        };
        match token {
            Some(is_dot) => {
                dots += 1;
                only_dots &= is_dot;
            }
            None => {
                if only_dots && (dots == 1 || dots == 2) {
                    return true;
                }
                dots = 0;
                only_dots = true;
                if len == 0 {
                    return false;
                }
            }
        }
        i += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: fn(&mut Vec<u8>, &[u8], Form), v: &str, form: Form) -> String {
        let mut out = Vec::new();
        f(&mut out, v.as_bytes(), form);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn decodes_per_form() {
        let d = |v: &str, f| String::from_utf8(decoded(v.as_bytes(), f).collect()).unwrap();
        assert_eq!(d("a%20b+c%2", Form::Path), "a b+c%2");
        assert_eq!(d("a%20b+c%zz", Form::Query), "a b c%zz");
        assert_eq!(d("a%20b+c", Form::Plain), "a%20b+c");
        assert_eq!(d("%2e%2E%252e", Form::Path), "..%2e");
    }

    #[test]
    fn segment_escapes_every_delimiter() {
        let cases = [
            ("a/b?c#d e", Form::Plain, "a%2Fb%3Fc%23d%20e"),
            ("100%", Form::Plain, "100%25"),
            ("a%2Fb", Form::Path, "a%2Fb"),
            ("a+b", Form::Path, "a+b"),
            ("a+b", Form::Query, "a%20b"),
            ("é", Form::Plain, "%C3%A9"),
            ("..;x", Form::Plain, "..%3Bx"),
            ("\r\n", Form::Plain, "%0D%0A"),
            ("\"<>\\^`{|}", Form::Plain, "%22%3C%3E%5C%5E%60%7B%7C%7D"),
            ("%252e", Form::Path, "%252e"),
            ("%2e%2E", Form::Path, ".."),
            ("A-z_0.9~!$&'()*,=:@", Form::Plain, "A-z_0.9~!$&'()*,=:@"),
        ];
        for (v, form, want) in cases {
            assert_eq!(enc(push_segment, v, form), want, "{v:?} {form:?}");
        }
    }

    #[test]
    fn greedy_keeps_separators_decoded_or_not() {
        assert_eq!(enc(push_segments, "a/b%2Fc d", Form::Path), "a/b/c%20d");
        assert_eq!(enc(push_segments, "a/%2e%2e/x", Form::Path), "a/../x");
    }

    #[test]
    fn query_component_escapes_separators() {
        let cases = [
            ("a&b=c+d#e f;g", Form::Plain, "a%26b%3Dc%2Bd%23e%20f%3Bg"),
            ("a%26b", Form::Query, "a%26b"),
            ("a+b", Form::Query, "a%20b"),
            ("a%2Bb", Form::Query, "a%2Bb"),
            ("x/y?z:@", Form::Plain, "x/y?z:@"),
        ];
        for (v, form, want) in cases {
            assert_eq!(enc(push_query_component, v, form), want, "{v:?}");
        }
    }

    #[test]
    fn target_text_escapes_only_what_a_target_cannot_hold() {
        let mut out = Vec::new();
        push_target_text(&mut out, b"a=1&b=%2F%zz\"{}|\\^`[]#\x80 ");
        assert_eq!(out, b"a=1&b=%2F%25zz%22%7B%7D%7C%5C%5E%60%5B%5D%23%80%20");
        assert!(is_target_text(&out));
        assert!(!is_target_text(b"a b"));
        assert!(!is_target_text(b"100%"));
    }

    #[test]
    fn finds_dot_segments() {
        for p in [
            "/a/..",
            "/a/../b",
            "/./b",
            "..",
            "/a/b%5C..%5Cc",
            "/a/..%5c",
            "/a/%2e%2e",
            "/a/.%2E/",
            "/a%2F..%2Fb",
            "/a%2f.",
        ] {
            assert!(has_dot_segment(p.as_bytes()), "{p}");
        }
        for p in [
            "/a/b",
            "/a/...",
            "/a/.b",
            "/a/b.",
            "/a/%2e%2e%2e",
            "/a/%252e%252e",
            "/",
            "",
        ] {
            assert!(!has_dot_segment(p.as_bytes()), "{p}");
        }
    }
}
