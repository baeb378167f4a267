//! Import and compile errors as data: every problem found is collected with an RFC 6901 JSON
//! pointer into the document it came from, and reported all at once, in the wording of AWS's
//! `BadRequestException` for `ImportRestApi` / `PutRestApi` / `CreateDeployment`.
//!
//! Invariant: a `Problems` value returned as an error is never empty.

use std::fmt;

/// One thing wrong with a document or a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// RFC 6901 pointer into the imported document (or the model's JSON shape), `""` for the
    /// whole document.
    pub pointer: String,
    pub message: String,
}

impl Problem {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// Every problem found, in document order as far as the walk allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem::new(pointer, message));
    }

    /// `Ok(())` when nothing was found, so collectors end with `problems.into_result()?`.
    pub fn into_result(self) -> Result<(), Problems> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// The problem list under another heading (e.g. `Warnings found during import:`).
    pub fn render(&self, heading: &str) -> String {
        let mut out = String::from(heading);
        for p in &self.0 {
            out.push_str("\n\t");
            out.push_str(&p.message);
            if !p.pointer.is_empty() {
                out.push_str(" (");
                out.push_str(&p.pointer);
                out.push(')');
            }
        }
        out
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("Errors found during import:"))
    }
}

impl std::error::Error for Problems {}

/// Escapes one reference token for a JSON pointer (`~` -> `~0`, `/` -> `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `base` + `/` + the escaped token.
pub fn join(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    out.push_str(&escape_token(token));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_problem_with_its_pointer() {
        let problems = Problems(vec![
            Problem::new(
                "/paths/~1pets/get/x-amazon-apigateway-integration/uri",
                "Unable to put integration on 'GET' for resource at path '/pets': Invalid integration URI specified",
            ),
            Problem::new("", "Invalid OpenAPI input."),
        ]);
        assert_eq!(
            problems.to_string(),
            "Errors found during import:\n\tUnable to put integration on 'GET' for resource at path '/pets': Invalid integration URI specified (/paths/~1pets/get/x-amazon-apigateway-integration/uri)\n\tInvalid OpenAPI input."
        );
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        for (token, escaped) in [("/pets/{id}", "~1pets~1{id}"), ("a~b", "a~0b"), ("x", "x")] {
            assert_eq!(escape_token(token), escaped);
        }
        assert_eq!(join("/paths", "/pets"), "/paths/~1pets");
    }
}
