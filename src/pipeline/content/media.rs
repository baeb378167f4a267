//! `binaryMediaTypes` compiled into matchers: `*/*`, a trailing wildcard (`image/*`,
//! `application/octet-*`) and exact media types, compared
//! ASCII case-insensitively on the media type alone (parameters such as `; charset=` ignored),
//! as API Gateway compares them.
//!
//! Invariant: matching never allocates; patterns are lower-cased once at compile time.

/// The API's binary media types, as compiled for one deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaTypes {
    /// `*/*` is listed: every payload that has a media type is binary.
    any: bool,
    /// Patterns ending in `*` (`image/*`, `application/vnd.*`), stored without it (lower
    /// case): the wildcard stands for one or more characters.
    prefixes: Vec<Box<[u8]>>,
    /// Exact media types (lower case).
    exact: Vec<Box<[u8]>>,
}

impl MediaTypes {
    /// Compiles the API's list. AWS stores the patterns as given; an entry without `/` can
    /// match nothing but an identical (odd) media type, which is what an exact pattern does.
    pub fn compile<S: AsRef<str>>(list: &[S]) -> MediaTypes {
        let mut out = MediaTypes::default();
        for pattern in list {
            let p = pattern.as_ref().trim().to_ascii_lowercase();
            if p == "*/*" {
                out.any = true;
            } else if let Some(prefix) = p.strip_suffix('*').filter(|s| !s.contains('*')) {
                out.prefixes.push(prefix.as_bytes().into());
            } else if !p.is_empty() {
                out.exact.push(p.into_bytes().into());
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        !self.any && self.prefixes.is_empty() && self.exact.is_empty()
    }

    /// Whether a `Content-Type` (or `Accept` item) names a binary media type. An absent or empty
    /// value is text: there is no media type to match.
    pub fn matches(&self, value: Option<&[u8]>) -> bool {
        let Some(v) = value.map(crate::http::media_type).filter(|v| !v.is_empty()) else {
            return false;
        };
        if self.any {
            return true;
        }
        let starts = |p: &[u8]| v.len() >= p.len() && v[..p.len()].eq_ignore_ascii_case(p);
        self.prefixes.iter().any(|p| starts(p) && v.len() > p.len())
            || self.exact.iter().any(|p| v.eq_ignore_ascii_case(p))
    }

    /// Whether the first media type of an `Accept` header is binary: API Gateway honours only
    /// the first one ("Content type conversions in API Gateway").
    pub fn matches_first_accept(&self, accept: Option<&[u8]>) -> bool {
        let first = accept.map(|a| a.split(|&b| b == b',').next().unwrap_or(a));
        self.matches(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_wildcard_and_any_match_case_insensitively() {
        let m = MediaTypes::compile(&["image/png", "Application/*", "text/x-*"]);
        assert!(m.matches(Some(b"text/x-bin")));
        assert!(!m.matches(Some(b"text/x-")));
        assert!(m.matches(Some(b"image/png")));
        assert!(m.matches(Some(b"IMAGE/PNG; charset=binary")));
        assert!(m.matches(Some(b"application/octet-stream")));
        assert!(!m.matches(Some(b"application/")));
        assert!(!m.matches(Some(b"image/gif")));
        assert!(!m.matches(Some(b"text/plain")));
        assert!(!m.matches(None));
        let any = MediaTypes::compile(&["*/*"]);
        assert!(any.matches(Some(b"text/plain")));
        assert!(!any.matches(Some(b"")));
        assert!(MediaTypes::compile::<&str>(&[]).is_empty());
    }

    #[test]
    fn only_the_first_accept_item_counts() {
        let m = MediaTypes::compile(&["image/png"]);
        assert!(m.matches_first_accept(Some(b"image/png, application/json")));
        assert!(!m.matches_first_accept(Some(b"application/json, image/png")));
        assert!(!m.matches_first_accept(None));
    }
}
