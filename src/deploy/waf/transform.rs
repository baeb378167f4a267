//! WAF text transformations (`TextTransformations`), applied in priority order before a
//! statement inspects a value.
//!
//! Invariant: no allocation once the scratch buffers have grown to the largest value seen; each
//! step reads one buffer and writes the other (ping-pong), and `NONE` (or no transformation)
//! inspects the request bytes in place. A value is at most `BODY_LIMIT` plus a header's length,
//! and every transformation here shrinks or keeps the length, so the buffers stay bounded.

use base64::Engine as _;

/// The transformations Tollgate implements. Any other `TextTransformationType` is refused at
/// compile time by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    None,
    UrlDecode,
    UrlDecodeUni,
    Lowercase,
    Uppercase,
    HtmlEntityDecode,
    CompressWhiteSpace,
    RemoveWhitespace,
    CmdLine,
    Base64Decode,
    Base64DecodeExt,
    HexDecode,
    RemoveNulls,
    ReplaceNulls,
    Trim,
    TrimLeft,
    TrimRight,
    NormalizePath,
    NormalizePathWin,
    ReplaceComments,
    RemoveCommentsChar,
}

impl Transform {
    /// The AWS name's transformation, or `None` for one Tollgate does not implement.
    pub fn parse(name: &str) -> Option<Transform> {
        use Transform::*;
        Some(match name {
            "NONE" => None,
            "URL_DECODE" => UrlDecode,
            "URL_DECODE_UNI" => UrlDecodeUni,
            "LOWERCASE" => Lowercase,
            "UPPERCASE" => Uppercase,
            "HTML_ENTITY_DECODE" => HtmlEntityDecode,
            "COMPRESS_WHITE_SPACE" => CompressWhiteSpace,
            "REMOVE_WHITESPACE" => RemoveWhitespace,
            "CMD_LINE" => CmdLine,
            "BASE64_DECODE" => Base64Decode,
            "BASE64_DECODE_EXT" => Base64DecodeExt,
            "HEX_DECODE" => HexDecode,
            "REMOVE_NULLS" => RemoveNulls,
            "REPLACE_NULLS" => ReplaceNulls,
            "TRIM" => Trim,
            "TRIM_LEFT" => TrimLeft,
            "TRIM_RIGHT" => TrimRight,
            "NORMALIZE_PATH" => NormalizePath,
            "NORMALIZE_PATH_WIN" => NormalizePathWin,
            "REPLACE_COMMENTS" => ReplaceComments,
            "REMOVE_COMMENTS_CHAR" => RemoveCommentsChar,
            _ => return Option::None,
        })
    }
}

/// Two reused buffers a core (or a test) lends the evaluator.
#[derive(Debug, Default)]
pub struct Bufs {
    a: Vec<u8>,
    b: Vec<u8>,
}

impl Bufs {
    /// Buffers that already hold a whole inspected body, so the request path never grows them.
    pub fn with_capacity(n: usize) -> Bufs {
        Bufs {
            a: Vec::with_capacity(n),
            b: Vec::with_capacity(n),
        }
    }
}

/// `input` after `transforms`, borrowed from `input` itself or from `scratch`.
pub fn apply<'s>(transforms: &[Transform], input: &'s [u8], scratch: &'s mut Bufs) -> &'s [u8] {
    let Bufs { a, b } = scratch;
    // `in_a`: the current value is in `a` (else still `input`, until the first real step).
    let mut state = 0u8; // 0: input, 1: a, 2: b
    for &t in transforms {
        if t == Transform::None {
            continue;
        }
        let (src, dst): (&[u8], &mut Vec<u8>) = match state {
            0 => (input, &mut *a),
            1 => (&a[..], &mut *b),
            _ => (&b[..], &mut *a),
        };
        dst.clear();
        step(t, src, dst);
        state = if state == 1 { 2 } else { 1 };
    }
    match state {
        0 => input,
        1 => a,
        _ => b,
    }
}

fn step(t: Transform, src: &[u8], out: &mut Vec<u8>) {
    use Transform::*;
    match t {
        None => out.extend_from_slice(src),
        UrlDecode => url_decode(src, false, out),
        UrlDecodeUni => url_decode(src, true, out),
        Lowercase => out.extend(src.iter().map(u8::to_ascii_lowercase)),
        Uppercase => out.extend(src.iter().map(u8::to_ascii_uppercase)),
        HtmlEntityDecode => html_entity_decode(src, out),
        CompressWhiteSpace => compress_white_space(src, out),
        RemoveWhitespace => out.extend(src.iter().copied().filter(|b| !is_space(*b))),
        CmdLine => cmd_line(src, out),
        Base64Decode => base64_decode(src, false, out),
        Base64DecodeExt => base64_decode(src, true, out),
        HexDecode => hex_decode(src, out),
        RemoveNulls => out.extend(src.iter().copied().filter(|&b| b != 0)),
        ReplaceNulls => out.extend(src.iter().map(|&b| if b == 0 { b' ' } else { b })),
        Trim => out.extend_from_slice(src.trim_ascii()),
        TrimLeft => out.extend_from_slice(src.trim_ascii_start()),
        TrimRight => out.extend_from_slice(src.trim_ascii_end()),
        NormalizePath => normalize_path(src, false, out),
        NormalizePathWin => normalize_path(src, true, out),
        ReplaceComments => replace_comments(src, out),
        RemoveCommentsChar => remove_comment_chars(src, out),
    }
}

/// AWS's whitespace set for these transformations: space, \t, \n, \r, \f, \v, and 0xA0.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => Option::None,
    }
}

fn url_decode(src: &[u8], uni: bool, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        if c == b'+' {
            out.push(b' ');
            i += 1;
            continue;
        }
        if c == b'%' {
            if uni && matches!(src.get(i + 1), Some(b'u' | b'U')) && i + 6 <= src.len() {
                let digits = &src[i + 2..i + 6];
                if digits.iter().all(|&b| hex(b).is_some()) {
                    // %uXXXX: the code point's low byte (what IIS-style decoders keep for ASCII).
                    let lo = hex(digits[2]).unwrap_or(0) << 4 | hex(digits[3]).unwrap_or(0);
                    out.push(lo);
                    i += 6;
                    continue;
                }
            }
            if let (Some(h), Some(l)) = (
                src.get(i + 1).copied().and_then(hex),
                src.get(i + 2).copied().and_then(hex),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
}

fn html_entity_decode(src: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < src.len() {
        if src[i] == b'&' {
            let rest = &src[i + 1..];
            let end = rest.iter().take(12).position(|&b| b == b';');
            let (name, consumed) = match end {
                Some(e) => (&rest[..e], e + 2),
                // `&#65` without `;` decodes too (as browsers do).
                Option::None => {
                    let n = rest
                        .iter()
                        .take(10)
                        .position(|b| !b.is_ascii_alphanumeric() && *b != b'#')
                        .unwrap_or(rest.len().min(10));
                    (&rest[..n], n + 1)
                }
            };
            if let Some(c) = entity(name) {
                push_char(c, out);
                i += consumed;
                continue;
            }
        }
        out.push(src[i]);
        i += 1;
    }
}

fn entity(name: &[u8]) -> Option<u32> {
    if let Some(num) = name.strip_prefix(b"#") {
        let (digits, radix) = match num.first() {
            Some(b'x' | b'X') => (&num[1..], 16),
            _ => (num, 10),
        };
        if digits.is_empty() || digits.len() > 8 {
            return Option::None;
        }
        let s = std::str::from_utf8(digits).ok()?;
        return u32::from_str_radix(s, radix).ok();
    }
    Some(match name {
        b"lt" => '<' as u32,
        b"gt" => '>' as u32,
        b"amp" => '&' as u32,
        b"quot" => '"' as u32,
        b"apos" => '\'' as u32,
        b"nbsp" => 0xa0,
        _ => return Option::None,
    })
}

fn push_char(c: u32, out: &mut Vec<u8>) {
    match char::from_u32(c) {
        Some(ch) if c < 0x80 => out.push(ch as u8),
        Some(ch) => {
            let mut b = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
        }
        Option::None => out.push(b'?'),
    }
}

fn compress_white_space(src: &[u8], out: &mut Vec<u8>) {
    let mut in_space = false;
    for &b in src {
        if is_space(b) {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            out.push(b);
            in_space = false;
        }
    }
}

/// AWS's CMD_LINE: delete `\ " ' ^`, delete spaces before `/` and `(`, replace `,` and `;` with a
/// space, compress whitespace to one space, lower case.
fn cmd_line(src: &[u8], out: &mut Vec<u8>) {
    for &b in src {
        let b = match b {
            b'\\' | b'"' | b'\'' | b'^' => continue,
            b',' | b';' => b' ',
            b if is_space(b) => b' ',
            b => b.to_ascii_lowercase(),
        };
        if b == b' ' && out.last() == Some(&b' ') {
            continue;
        }
        if (b == b'/' || b == b'(') && out.last() == Some(&b' ') {
            out.pop();
        }
        out.push(b);
    }
}

fn base64_decode(src: &[u8], ext: bool, out: &mut Vec<u8>) {
    const ENGINE: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let engine = &ENGINE;
    // Decode in 4-byte groups into a stack buffer: no intermediate allocation. BASE64_DECODE_EXT
    // skips characters outside the alphabet (and accepts the URL-safe one); BASE64_DECODE stops
    // at the first, as AWS does, and keeps the input when nothing decodes.
    let mut group = [0u8; 4];
    let mut n = 0;
    let start = out.len();
    let flush = |group: &[u8], out: &mut Vec<u8>| {
        let mut tmp = [0u8; 3];
        if let Ok(k) = engine.decode_slice(group, &mut tmp) {
            out.extend_from_slice(&tmp[..k]);
        }
    };
    for &b in src {
        let b = match b {
            b'-' if ext => b'+',
            b'_' if ext => b'/',
            b => b,
        };
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' {
            group[n] = b;
            n += 1;
            if n == 4 {
                flush(&group, out);
                n = 0;
            }
        } else if b == b'=' || ext {
            continue;
        } else {
            break;
        }
    }
    if n >= 2 {
        flush(&group[..n], out);
    }
    if out.len() == start && !src.is_empty() && !ext {
        out.extend_from_slice(src);
    }
}

fn hex_decode(src: &[u8], out: &mut Vec<u8>) {
    for pair in src.chunks(2) {
        match (
            pair.first().copied().and_then(hex),
            pair.get(1).copied().and_then(hex),
        ) {
            (Some(h), Some(l)) => out.push(h << 4 | l),
            _ => out.extend_from_slice(pair),
        }
    }
}

/// Removes `./`, resolves `../` against what precedes it, and collapses repeated slashes.
fn normalize_path(src: &[u8], win: bool, out: &mut Vec<u8>) {
    let absolute = src
        .first()
        .is_some_and(|&b| b == b'/' || (win && b == b'\\'));
    if absolute {
        out.push(b'/');
    }
    let base = out.len();
    let sep = |b: u8| b == b'/' || (win && b == b'\\');
    for seg in src.split(|&b| sep(b)) {
        match seg {
            b"" | b"." => {}
            b".." => {
                // Drop the last segment written (and its slash).
                while out.len() > base && out.last() != Some(&b'/') {
                    out.pop();
                }
                if out.len() > base {
                    out.pop();
                }
            }
            s => {
                if out.len() > base {
                    out.push(b'/');
                }
                out.extend_from_slice(s);
            }
        }
    }
    if src.len() > 1 && src.last().is_some_and(|&b| sep(b)) && out.last() != Some(&b'/') {
        out.push(b'/');
    }
}

/// `/* ... */` becomes one space (an unterminated comment runs to the end).
fn replace_comments(src: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < src.len() {
        if src[i..].starts_with(b"/*") {
            out.push(b' ');
            match src[i + 2..].windows(2).position(|w| w == b"*/") {
                Some(p) => i += 2 + p + 2,
                Option::None => return,
            }
            continue;
        }
        out.push(src[i]);
        i += 1;
    }
}

/// Deletes the comment markers `/*`, `*/`, `--` and `#`.
fn remove_comment_chars(src: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < src.len() {
        let rest = &src[i..];
        if rest.starts_with(b"/*") || rest.starts_with(b"*/") || rest.starts_with(b"--") {
            i += 2;
        } else if rest[0] == b'#' {
            i += 1;
        } else {
            out.push(rest[0]);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(names: &[&str], input: &str) -> String {
        let t: Vec<Transform> = names.iter().map(|n| Transform::parse(n).unwrap()).collect();
        let mut s = Bufs::default();
        String::from_utf8_lossy(apply(&t, input.as_bytes(), &mut s)).into_owned()
    }

    #[test]
    fn transformations_table() {
        let cases: &[(&[&str], &str, &str)] = &[
            (&["NONE"], "A%20b", "A%20b"),
            (&["URL_DECODE"], "a%20b+c%3Cd%zz", "a b c<d%zz"),
            (&["URL_DECODE_UNI"], "%u003cscript", "<script"),
            (&["URL_DECODE", "LOWERCASE"], "%3CSCRIPT%3E", "<script>"),
            (&["UPPERCASE"], "abc", "ABC"),
            (
                &["HTML_ENTITY_DECODE"],
                "&lt;a&gt; &#65;&#x42; &amp;",
                "<a> AB &",
            ),
            (&["COMPRESS_WHITE_SPACE"], "a  \t\n b", "a b"),
            (&["REMOVE_WHITESPACE"], " a b\tc ", "abc"),
            (&["CMD_LINE"], "C^at \"/etc/PASSWD\"", "cat/etc/passwd"),
            (&["CMD_LINE"], "a,b;c  (d)", "a b c(d)"),
            (&["BASE64_DECODE"], "PHNjcmlwdD4=", "<script>"),
            (&["BASE64_DECODE_EXT"], "PHNj cmlw dD4", "<script>"),
            (&["HEX_DECODE"], "414243", "ABC"),
            (&["REMOVE_NULLS"], "a\0b", "ab"),
            (&["REPLACE_NULLS"], "a\0b", "a b"),
            (&["TRIM"], "  a b  ", "a b"),
            (&["TRIM_LEFT"], "  a ", "a "),
            (&["TRIM_RIGHT"], " a  ", " a"),
            (&["NORMALIZE_PATH"], "/a/./b/../c//d/", "/a/c/d/"),
            (&["NORMALIZE_PATH_WIN"], "\\a\\..\\b", "/b"),
            (
                &["REPLACE_COMMENTS"],
                "un/**/ion sel/* x */ect",
                "un ion sel ect",
            ),
            (&["REMOVE_COMMENTS_CHAR"], "un/**/ion--#x", "unionx"),
            (
                &["URL_DECODE", "LOWERCASE", "HTML_ENTITY_DECODE"],
                "%26LT%3B",
                "<",
            ),
        ];
        for (names, input, want) in cases {
            assert_eq!(run(names, input), *want, "{names:?} {input:?}");
        }
    }

    #[test]
    fn unknown_names_are_not_transformations() {
        assert_eq!(Transform::parse("MD5"), Option::None);
        assert_eq!(Transform::parse("lowercase"), Option::None);
    }
}
