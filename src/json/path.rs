//! JSONPath compiler: Jayway's syntax into a `Path` of steps, once, at deploy time.
//!
//! Invariant: a compiled `Path` is immutable; `definite` is true exactly when every step selects
//! at most one value (names and single indexes), which is Jayway's rule for returning the value
//! itself instead of a list.

use regex::Regex;

/// Why a path did not compile; `at` is the byte offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("path must start with '$' (at {at})")]
    NoRoot { at: usize },
    #[error("unexpected character at {at}")]
    Unexpected { at: usize },
    #[error("unterminated path at {at}")]
    Unterminated { at: usize },
    #[error("invalid regular expression at {at}")]
    BadRegex { at: usize },
    #[error("path nests too deep at {at}")]
    TooDeep { at: usize },
}

/// A compiled JSONPath.
#[derive(Debug, Clone)]
pub struct Path {
    pub(crate) steps: Vec<Step>,
    pub(crate) definite: bool,
}

impl Path {
    /// True when the path yields one value (or none) rather than a list.
    pub fn is_definite(&self) -> bool {
        self.definite
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Step {
    Key(String),
    Index(i64),
    Wildcard,
    Union(Vec<Sel>),
    Slice(Option<i64>, Option<i64>, i64),
    Filter(Box<Expr>),
    /// `..` followed by the step applied at every level.
    Deep(Box<Step>),
}

#[derive(Debug, Clone)]
pub(crate) enum Sel {
    Key(String),
    Index(i64),
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Exists(Operand),
    Cmp(Operand, Op, Operand),
    Match(Operand, Regex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Current(Vec<Step>),
    Root(Vec<Step>),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// Filters may nest filters; past this depth the path is refused so compiling stays bounded.
const MAX_DEPTH: usize = 32;

/// Compiles a Jayway JSONPath such as `$.store.book[?(@.price < 10)].title`.
pub fn compile(src: &str) -> Result<Path, PathError> {
    let mut p = Parser {
        s: src.as_bytes(),
        src,
        i: 0,
        depth: 0,
    };
    p.ws();
    if !p.eat(b'$') {
        return Err(PathError::NoRoot { at: p.i });
    }
    let steps = p.steps()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(PathError::Unexpected { at: p.i });
    }
    let definite = steps
        .iter()
        .all(|s| matches!(s, Step::Key(_) | Step::Index(_)));
    Ok(Path { steps, definite })
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
}

fn is_name_byte(b: u8) -> bool {
    !matches!(
        b,
        b'.' | b'['
            | b']'
            | b'('
            | b')'
            | b'='
            | b'!'
            | b'<'
            | b'>'
            | b'&'
            | b'|'
            | b','
            | b'\''
            | b'"'
            | b' '
            | b'\t'
            | b'\n'
            | b'\r'
            | b'~'
            | b'*'
    )
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, b: u8) -> Result<(), PathError> {
        if self.eat(b) {
            Ok(())
        } else if self.i >= self.s.len() {
            Err(PathError::Unterminated { at: self.i })
        } else {
            Err(PathError::Unexpected { at: self.i })
        }
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn steps(&mut self) -> Result<Vec<Step>, PathError> {
        let mut steps = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') if self.s.get(self.i + 1) == Some(&b'.') => {
                    self.i += 2;
                    let inner = if self.peek() == Some(b'[') {
                        self.bracket()?
                    } else {
                        self.dot_name()?
                    };
                    steps.push(Step::Deep(Box::new(inner)));
                }
                Some(b'.') => {
                    self.i += 1;
                    steps.push(self.dot_name()?);
                }
                Some(b'[') => steps.push(self.bracket()?),
                _ => return Ok(steps),
            }
        }
    }

    fn dot_name(&mut self) -> Result<Step, PathError> {
        if self.eat(b'*') {
            return Ok(Step::Wildcard);
        }
        let start = self.i;
        while self.peek().is_some_and(is_name_byte) {
            self.i += 1;
        }
        if self.i == start {
            return Err(PathError::Unexpected { at: self.i });
        }
        Ok(Step::Key(self.src[start..self.i].to_owned()))
    }

    fn bracket(&mut self) -> Result<Step, PathError> {
        self.expect(b'[')?;
        self.ws();
        let step = if self.eat(b'*') {
            Step::Wildcard
        } else if self.eat(b'?') {
            self.ws();
            self.expect(b'(')?;
            let e = self.or()?;
            self.ws();
            self.expect(b')')?;
            Step::Filter(Box::new(e))
        } else {
            self.union_or_slice()?
        };
        self.ws();
        self.expect(b']')?;
        Ok(step)
    }

    fn union_or_slice(&mut self) -> Result<Step, PathError> {
        let first = self.opt_int()?;
        self.ws();
        if self.eat(b':') {
            self.ws();
            let end = self.opt_int()?;
            self.ws();
            let step = if self.eat(b':') {
                self.ws();
                self.opt_int()?.unwrap_or(1)
            } else {
                1
            };
            return Ok(Step::Slice(first, end, step));
        }
        let mut sels = Vec::new();
        match first {
            Some(n) => sels.push(Sel::Index(n)),
            None => sels.push(Sel::Key(self.quoted()?)),
        }
        loop {
            self.ws();
            if !self.eat(b',') {
                break;
            }
            self.ws();
            match self.opt_int()? {
                Some(n) => sels.push(Sel::Index(n)),
                None => sels.push(Sel::Key(self.quoted()?)),
            }
        }
        Ok(match (sels.len(), sels.pop()) {
            (1, Some(Sel::Key(k))) => Step::Key(k),
            (1, Some(Sel::Index(n))) => Step::Index(n),
            (_, Some(last)) => {
                sels.push(last);
                Step::Union(sels)
            }
            (_, None) => return Err(PathError::Unexpected { at: self.i }),
        })
    }

    fn opt_int(&mut self) -> Result<Option<i64>, PathError> {
        let start = self.i;
        self.eat(b'-');
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        if self.i == start {
            return Ok(None);
        }
        self.src[start..self.i]
            .parse()
            .map(Some)
            .map_err(|_| PathError::Unexpected { at: start })
    }

    fn quoted(&mut self) -> Result<String, PathError> {
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            None => return Err(PathError::Unterminated { at: self.i }),
            _ => return Err(PathError::Unexpected { at: self.i }),
        };
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i;
        loop {
            match self.peek() {
                None => return Err(PathError::Unterminated { at: self.i }),
                Some(b'\\') if self.i + 1 < self.s.len() => {
                    out.push_str(&self.src[run..self.i]);
                    self.i += 1;
                    run = self.i;
                    // The escaped byte is kept by the next run; skip a whole UTF-8 character.
                    self.i += self.src[self.i..].chars().next().map_or(1, char::len_utf8);
                }
                Some(b) if b == q => {
                    out.push_str(&self.src[run..self.i]);
                    self.i += 1;
                    return Ok(out);
                }
                Some(_) => self.i += 1,
            }
        }
    }

    fn or(&mut self) -> Result<Expr, PathError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PathError::TooDeep { at: self.i });
        }
        let mut l = self.and()?;
        loop {
            self.ws();
            if self.s[self.i..].starts_with(b"||") {
                self.i += 2;
                l = Expr::Or(Box::new(l), Box::new(self.and()?));
            } else {
                self.depth -= 1;
                return Ok(l);
            }
        }
    }

    fn and(&mut self) -> Result<Expr, PathError> {
        let mut l = self.unary()?;
        loop {
            self.ws();
            if self.s[self.i..].starts_with(b"&&") {
                self.i += 2;
                l = Expr::And(Box::new(l), Box::new(self.unary()?));
            } else {
                return Ok(l);
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, PathError> {
        self.ws();
        if self.peek() == Some(b'!') && self.s.get(self.i + 1) != Some(&b'=') {
            self.i += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat(b'(') {
            let e = self.or()?;
            self.ws();
            self.expect(b')')?;
            return Ok(e);
        }
        let left = self.operand()?;
        self.ws();
        let rest = &self.s[self.i..];
        let (op, len) = if rest.starts_with(b"=~") {
            self.i += 2;
            self.ws();
            return Ok(Expr::Match(left, self.regex()?));
        } else if rest.starts_with(b"==") {
            (Op::Eq, 2)
        } else if rest.starts_with(b"!=") {
            (Op::Ne, 2)
        } else if rest.starts_with(b"<=") {
            (Op::Le, 2)
        } else if rest.starts_with(b">=") {
            (Op::Ge, 2)
        } else if rest.starts_with(b"<") {
            (Op::Lt, 1)
        } else if rest.starts_with(b">") {
            (Op::Gt, 1)
        } else {
            return Ok(Expr::Exists(left));
        };
        self.i += len;
        self.ws();
        Ok(Expr::Cmp(left, op, self.operand()?))
    }

    fn operand(&mut self) -> Result<Operand, PathError> {
        let rest = &self.s[self.i..];
        if self.eat(b'@') {
            return Ok(Operand::Current(self.steps()?));
        }
        if self.eat(b'$') {
            return Ok(Operand::Root(self.steps()?));
        }
        for (word, v) in [
            ("true", Operand::Bool(true)),
            ("false", Operand::Bool(false)),
            ("null", Operand::Null),
        ] {
            if rest.starts_with(word.as_bytes()) {
                self.i += word.len();
                return Ok(v);
            }
        }
        if matches!(self.peek(), Some(b'\'' | b'"')) {
            return Ok(Operand::Str(self.quoted()?));
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        self.src[start..self.i]
            .parse()
            .map(Operand::Num)
            .map_err(|_| {
                if start >= self.s.len() {
                    PathError::Unterminated { at: start }
                } else {
                    PathError::Unexpected { at: start }
                }
            })
    }

    fn regex(&mut self) -> Result<Regex, PathError> {
        let at = self.i;
        self.expect(b'/')?;
        let start = self.i;
        loop {
            match self.peek() {
                None => return Err(PathError::Unterminated { at: self.i }),
                Some(b'\\') => {
                    // Skip the backslash and the whole character it escapes.
                    self.i += 1;
                    self.i += self.src[self.i..].chars().next().map_or(0, char::len_utf8);
                }
                Some(b'/') => break,
                Some(_) => self.i += 1,
            }
        }
        let body = &self.src[start..self.i];
        self.i += 1;
        let case_insensitive = self.eat(b'i');
        regex::RegexBuilder::new(body)
            .case_insensitive(case_insensitive)
            .size_limit(1 << 20)
            .build()
            .map_err(|_| PathError::BadRegex { at })
    }
}
