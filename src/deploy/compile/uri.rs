//! Integration URIs: stage-variable substitution and the split into an origin (interned as an
//! `Upstream`) and a path template.
//!
//! AWS allows `${stageVariables.NAME}` in the host, port and path of an HTTP integration URI and
//! `{name}` path placeholders in the path. This build needs a static origin after substitution,
//! so a placeholder in the host is refused.

use crate::deploy::snapshot::Scheme;
use std::collections::BTreeMap;

/// How `${stageVariables.NAME}` is resolved.
#[derive(Debug, Clone, Copy)]
pub enum Vars<'a> {
    /// No stage yet (import, PutRestApi): every variable stands for a neutral value that is valid
    /// in a host, a port and a path, so only the URI's shape is checked.
    Check,
    Stage(&'a BTreeMap<String, String>),
}

/// What stands for a stage variable in `Vars::Check` mode.
pub const CHECK_PLACEHOLDER: &str = "0";

const PREFIX: &str = "${stageVariables.";

/// Substitutes every `${stageVariables.NAME}`; names the stage lacks are pushed to `missing`.
pub fn substitute(text: &str, vars: Vars<'_>, missing: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(PREFIX) {
        out.push_str(&rest[..at]);
        let after = &rest[at + PREFIX.len()..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if name_len == 0 || after.as_bytes().get(name_len) != Some(&b'}') {
            // Not a well-formed reference: keep it as text, the URI check will refuse it.
            out.push_str(PREFIX);
            rest = after;
            continue;
        }
        let name = &after[..name_len];
        match vars {
            Vars::Check => out.push_str(CHECK_PLACEHOLDER),
            Vars::Stage(map) => match map.get(name) {
                Some(v) => out.push_str(v),
                None => missing.push(name.to_string()),
            },
        }
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
    out
}

impl ParsedUri {
    /// Interns this URI's origin; `Host` carries the port only when the URI wrote it.
    pub fn intern_origin(
        &self,
        upstreams: &mut super::UpstreamInterner,
        tls_skip_verify: bool,
        client_cert: Option<std::sync::Arc<crate::deploy::snapshot::ClientIdentity>>,
        link: Option<crate::deploy::snapshot::LinkId>,
    ) -> crate::deploy::snapshot::UpstreamId {
        let https = self.scheme == Scheme::Https;
        let authority = if self.explicit_port {
            format!("{}:{}", self.host, self.port)
        } else {
            self.host.clone()
        };
        upstreams.intern(crate::deploy::snapshot::Upstream {
            scheme: self.scheme.clone(),
            host: self.host.as_str().into(),
            port: self.port,
            authority: authority.into(),
            tls_skip_verify,
            // A certificate is only ever presented in a TLS handshake.
            client_cert: client_cert.filter(|_| https),
            link,
        })
    }
}

/// An absolute http(s) URL split into the parts the compiler needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUri {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    /// Whether the port was written out (then it is part of the `Host` header).
    pub explicit_port: bool,
    /// Raw path, `/` when the URI has none; may hold `{name}` placeholders.
    pub path: String,
    /// Text after `?`, without the fragment.
    pub query: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriError {
    Invalid,
    ParamInHost,
}

/// Parses an integration URI after stage-variable substitution.
pub fn parse_uri(uri: &str) -> Result<ParsedUri, UriError> {
    if uri.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(UriError::Invalid);
    }
    let (scheme, rest) = if let Some(r) = strip_prefix_ci(uri, "http://") {
        (Scheme::Http, r)
    } else if let Some(r) = strip_prefix_ci(uri, "https://") {
        (Scheme::Https, r)
    } else {
        return Err(UriError::Invalid);
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    if authority.contains('@') {
        return Err(UriError::Invalid);
    }
    let (host, port_text) = split_host_port(authority)?;
    if host.contains(['{', '}']) {
        return Err(UriError::ParamInHost);
    }
    let host_ok = if let Some(v6) = host.strip_prefix('[') {
        v6.strip_suffix(']').is_some_and(|a| {
            !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        })
    } else {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    };
    if !host_ok {
        return Err(UriError::Invalid);
    }
    let default_port = match scheme {
        Scheme::Http => 80,
        Scheme::Https => 443,
    };
    let port = match port_text {
        None => default_port,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse::<u16>().map_err(|_| UriError::Invalid)?
        }
        Some(_) => return Err(UriError::Invalid),
    };
    let tail = tail.split('#').next().unwrap_or_default();
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (tail, None),
    };
    Ok(ParsedUri {
        scheme,
        host: host.to_ascii_lowercase(),
        port,
        explicit_port: port_text.is_some(),
        path: if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        },
        query,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), UriError> {
    if authority.starts_with('[') {
        let close = authority.find(']').ok_or(UriError::Invalid)?;
        let (host, rest) = authority.split_at(close + 1);
        return match rest.strip_prefix(':') {
            Some(p) => Ok((host, Some(p))),
            None if rest.is_empty() => Ok((host, None)),
            None => Err(UriError::Invalid),
        };
    }
    Ok(match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    })
}

/// A piece of a URI path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPiece<'a> {
    Literal(&'a str),
    Param(&'a str),
}

/// Splits a path into literal text and `{name}` placeholders; `None` on unbalanced braces or an
/// empty name.
pub fn split_placeholders(path: &str) -> Option<Vec<PathPiece<'_>>> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return None;
        }
        let close = rest[open..].find('}')? + open;
        let name = &rest[open + 1..close];
        if name.is_empty() || name.contains('{') {
            return None;
        }
        if open > 0 {
            out.push(PathPiece::Literal(&rest[..open]));
        }
        out.push(PathPiece::Param(name));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(PathPiece::Literal(rest));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_stage_variables() {
        let vars: BTreeMap<String, String> =
            [("backend".to_string(), "127.0.0.1:9999".to_string())].into();
        let cases = [
            (
                "http://${stageVariables.backend}/x",
                "http://127.0.0.1:9999/x",
                vec![],
            ),
            (
                "http://h/${stageVariables.missing}/",
                "http://h//",
                vec!["missing"],
            ),
            (
                "http://h/${stageVariables.}",
                "http://h/${stageVariables.}",
                vec![],
            ),
            ("no vars", "no vars", vec![]),
        ];
        for (text, want, want_missing) in cases {
            let mut missing = Vec::new();
            assert_eq!(substitute(text, Vars::Stage(&vars), &mut missing), want);
            assert_eq!(missing, want_missing);
        }
        let mut missing = Vec::new();
        assert_eq!(
            substitute(
                "http://${stageVariables.a}:${stageVariables.b}/",
                Vars::Check,
                &mut missing
            ),
            "http://0:0/"
        );
    }

    #[test]
    fn parses_uris() {
        let ok =
            |uri: &str, host: &str, port: u16, explicit: bool, path: &str, query: Option<&str>| {
                let p = parse_uri(uri).unwrap_or_else(|e| panic!("{uri}: {e:?}"));
                assert_eq!(
                    (
                        p.host.as_str(),
                        p.port,
                        p.explicit_port,
                        p.path.as_str(),
                        p.query.as_deref()
                    ),
                    (host, port, explicit, path, query),
                    "{uri}"
                );
            };
        ok("http://example.com", "example.com", 80, false, "/", None);
        ok(
            "https://Example.COM/a/{id}",
            "example.com",
            443,
            false,
            "/a/{id}",
            None,
        );
        ok(
            "http://127.0.0.1:9999/pets?x=1#f",
            "127.0.0.1",
            9999,
            true,
            "/pets",
            Some("x=1"),
        );
        ok("HTTP://[::1]:8080/", "[::1]", 8080, true, "/", None);
        for bad in [
            "ftp://h/",
            "http://",
            "http:///x",
            "http://h:99999/",
            "http://h:x/",
            "http://u@h/",
            "http://h /x",
            "/relative",
            "arn:aws:apigateway:us-east-1:lambda:path/x",
        ] {
            assert_eq!(parse_uri(bad), Err(UriError::Invalid), "{bad}");
        }
        assert_eq!(
            parse_uri("http://{host}.example.com/"),
            Err(UriError::ParamInHost)
        );
    }

    #[test]
    fn splits_placeholders() {
        use PathPiece::*;
        assert_eq!(
            split_placeholders("/pets/{id}/x{y}z"),
            Some(vec![
                Literal("/pets/"),
                Param("id"),
                Literal("/x"),
                Param("y"),
                Literal("z")
            ])
        );
        for bad in ["/{", "/}", "/{}", "/{a{b}}"] {
            assert_eq!(split_placeholders(bad), None, "{bad}");
        }
    }
}
