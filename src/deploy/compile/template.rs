//! Mapping templates, compiled once per deployment.
//!
//! Plain text (`Template::Static`) and the identity `$input.body` / `$input.json('$')`
//! (`Template::Passthrough`) need no engine and stay fast paths. Anything Velocity would interpret
//! is compiled into a `vtl::Program`, with every JSONPath it names literally compiled too, so a
//! syntax error or a bad path fails the deploy with its location; the detection errs on the side
//! of "this is Velocity".

use crate::deploy::snapshot::{Template, Velocity};
use std::sync::Arc;

const DIRECTIVES: [&str; 13] = [
    "set", "if", "foreach", "end", "else", "elseif", "macro", "include", "parse", "stop", "break",
    "define", "evaluate",
];

pub fn compile_template(src: &str) -> Result<Template, String> {
    let trimmed = src.trim();
    if matches!(
        trimmed,
        "$input.body" | "$input.json('$')" | "$input.json(\"$\")"
    ) {
        return Ok(Template::Passthrough);
    }
    if !has_velocity(src) {
        if src.len() > crate::vtl::MAX_SOURCE {
            return Err(too_large(src.len()));
        }
        return Ok(Template::Static(src.into()));
    }
    let program = crate::vtl::compile(src).map_err(|e| match e {
        crate::vtl::CompileError::TooLarge(n) => too_large(n),
        e => format!("Invalid mapping template specified: {e}"),
    })?;
    let mut paths = Vec::new();
    for text in program.literal_paths() {
        let path = crate::json::compile(text).map_err(|e| {
            format!("Invalid JSONPath expression '{text}' in mapping template: {e}")
        })?;
        paths.push((text.into(), path));
    }
    Ok(Template::Vtl(Arc::new(Velocity { program, paths })))
}

fn too_large(n: usize) -> String {
    format!("Mapping template is {n} bytes; the limit is 300 KB")
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Whether Velocity would see a reference (`$x`, `${x}`, `$!x`) or a directive / comment
/// (`#set`, `#{if}`, `##`, `#*`) in `src`.
fn has_velocity(src: &str) -> bool {
    let b = src.as_bytes();
    for i in 0..b.len() {
        let next = b.get(i + 1).copied();
        match b[i] {
            b'$' if next.is_some_and(|n| is_ident_start(n) || n == b'{' || n == b'!') => {
                return true;
            }
            b'#' => {
                if matches!(next, Some(b'#' | b'*' | b'{')) {
                    return true;
                }
                let rest = &b[i + 1..];
                let word_len = rest.iter().take_while(|&&c| is_ident(c)).count();
                let word = &rest[..word_len];
                if DIRECTIVES.iter().any(|d| d.as_bytes() == word) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_vtl(t: &Result<Template, String>) -> bool {
        matches!(t, Ok(Template::Vtl(_)))
    }

    #[test]
    fn classifies_templates() {
        let stat = |s: &str| Ok(Template::Static(s.into()));
        let cases: Vec<(&str, Result<Template, String>)> = vec![
            (r#"{"statusCode": 200}"#, stat(r#"{"statusCode": 200}"#)),
            ("", stat("")),
            (
                "price: $5 # not a directive",
                stat("price: $5 # not a directive"),
            ),
            ("#endpoint #1", stat("#endpoint #1")),
            ("$input.body", Ok(Template::Passthrough)),
            ("  $input.json('$')\n", Ok(Template::Passthrough)),
            ("$input.json(\"$\")", Ok(Template::Passthrough)),
        ];
        for (src, want) in cases {
            assert_eq!(compile_template(src), want, "{src:?}");
        }
        for src in [
            "$input.json('$.a')",
            r#"{"id": "$input.params('id')"}"#,
            "${x}",
            "$!x",
            "#set($a = 1)",
            "#if(true)x#end",
            "#{if}(true)x#{end}",
            "## comment",
            "#* block *#",
        ] {
            assert!(is_vtl(&compile_template(src)), "{src:?}");
        }
    }

    #[test]
    fn literal_paths_are_compiled_with_the_template() {
        let Ok(Template::Vtl(v)) = compile_template("$input.json('$.a[0]') $input.path('$.b')")
        else {
            panic!("not compiled")
        };
        assert!(v.path("$.a[0]").is_some() && v.path("$.b").is_some());
        assert!(v.path("$.c").is_none());
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let e = compile_template("#if($x)open").unwrap_err();
        assert!(
            e.starts_with("Invalid mapping template specified: line 1"),
            "{e}"
        );
        let e = compile_template("$input.json('$.a[')").unwrap_err();
        assert!(e.contains("Invalid JSONPath expression '$.a['"), "{e}");
        let big = format!("$x{}", "a".repeat(crate::vtl::MAX_SOURCE));
        assert!(compile_template(&big).unwrap_err().contains("300 KB"));
    }
}
