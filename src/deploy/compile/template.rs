//! Mapping templates: the seam for the VTL engine.
//!
//! Until the engine lands, a template compiles only when it is plain text (`Template::Static`)
//! or exactly the identity `$input.body` / `$input.json('$')` (`Template::Passthrough`). Anything
//! that Velocity would interpret is refused at compile time rather than served wrongly: the
//! detection errs on the side of "this is Velocity".

use crate::deploy::snapshot::Template;

pub const NEEDS_ENGINE: &str = "mapping templates with Velocity expressions need the template engine, which this Tollgate version does not have yet";

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
    if has_velocity(src) {
        return Err(NEEDS_ENGINE.to_string());
    }
    Ok(Template::Static(src.into()))
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
            ("$input.json('$.a')", Err(NEEDS_ENGINE.into())),
            (r#"{"id": "$input.params('id')"}"#, Err(NEEDS_ENGINE.into())),
            ("${x}", Err(NEEDS_ENGINE.into())),
            ("$!x", Err(NEEDS_ENGINE.into())),
            ("#set($a = 1)", Err(NEEDS_ENGINE.into())),
            ("#if(true)x#end", Err(NEEDS_ENGINE.into())),
            ("#{if}(true)x#{end}", Err(NEEDS_ENGINE.into())),
            ("## comment", Err(NEEDS_ENGINE.into())),
            ("#* block *#", Err(NEEDS_ENGINE.into())),
            ("a\n#else", Err(NEEDS_ENGINE.into())),
        ];
        for (src, want) in cases {
            assert_eq!(compile_template(src), want, "{src:?}");
        }
    }
}
