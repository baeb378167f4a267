//! Recursive-descent parser: template source -> `Program` (immutable, built once at deploy).
//!
//! Modes: text (scan for `$`, `#`, `\`), reference (`$a.b[0].c(..)`), directive (`#set(..)`).
//! Lines holding only a directive (and whitespace) are gobbled whole: their indentation and their
//! newline are not output, as Velocity does for `#set` and block directives on their own line.

use super::ast::{Expr, Macro, Node, Part, Ref};
use super::MAX_SOURCE;

/// A compiled template: the source plus its tree; text nodes point into `src`.
#[derive(Debug)]
pub struct Program {
    pub(crate) src: String,
    pub(crate) body: Vec<Node>,
    /// Every `#macro` of the template, registered at parse time as Velocity 1.7 does, so a
    /// call resolves by name at render time wherever the definition sits.
    pub(crate) macros: Vec<Macro>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("template is {0} bytes, over the 300 KB limit")]
    TooLarge(usize),
    #[error("line {line}, column {col}: {msg}")]
    Syntax {
        line: usize,
        col: usize,
        msg: &'static str,
    },
}

/// Parses `src` into a `Program`.
pub fn compile(src: &str) -> Result<Program, CompileError> {
    if src.len() > MAX_SOURCE {
        return Err(CompileError::TooLarge(src.len()));
    }
    let mut p = P {
        s: src.as_bytes(),
        i: 0,
        depth: 0,
        macros: Vec::new(),
        interp: false,
    };
    let (body, end) = p.block()?;
    if !matches!(end, Term::Eof) {
        return Err(p.err("#else, #elseif or #end without an opening directive"));
    }
    Ok(Program {
        src: src.to_string(),
        body,
        macros: p.macros,
    })
}

/// Parses the inside of a double-quoted string (interpolated at render time).
pub(super) fn parse_interp(s: &str) -> Result<Vec<Node>, CompileError> {
    let mut p = P {
        s: s.as_bytes(),
        i: 0,
        depth: 0,
        macros: Vec::new(),
        interp: true,
    };
    let (body, _) = p.block()?;
    Ok(body)
}

/// What ended a block.
#[derive(Debug)]
enum Term {
    Eof,
    End,
    Else,
    ElseIf(Expr),
}

pub(super) struct P<'a> {
    pub(super) s: &'a [u8],
    pub(super) i: usize,
    pub(super) depth: usize,
    macros: Vec<Macro>,
    /// Inside a double-quoted string: its nodes point into the string, not the program
    /// source, so `#macro` (whose body must point into the source) is refused there.
    interp: bool,
}

/// Nesting bound for blocks and expressions: keeps recursion far from the stack limit.
pub(super) const MAX_NEST: usize = 64;

impl<'a> P<'a> {
    pub(super) fn err(&self, msg: &'static str) -> CompileError {
        let before = &self.s[..self.i.min(self.s.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        CompileError::Syntax { line, col, msg }
    }
    pub(super) fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    pub(super) fn at(&self, k: usize) -> Option<u8> {
        self.s.get(self.i + k).copied()
    }
    pub(super) fn starts(&self, t: &str) -> bool {
        self.s[self.i..].starts_with(t.as_bytes())
    }
    pub(super) fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }
    pub(super) fn ident(&mut self) -> Option<String> {
        let st = self.i;
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.i += 1,
            _ => return None,
        }
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            self.i += 1;
        }
        Some(String::from_utf8_lossy(&self.s[st..self.i]).into_owned())
    }

    /// Parses text and directives until EOF or a block terminator.
    fn block(&mut self) -> Result<(Vec<Node>, Term), CompileError> {
        self.depth += 1;
        if self.depth > MAX_NEST {
            return Err(self.err("directives nested too deeply"));
        }
        let mut out = Vec::new();
        let mut t0 = self.i;
        let r = loop {
            let Some(c) = self.peek() else {
                break Term::Eof;
            };
            match c {
                b'\\' if matches!(self.at(1), Some(b'$' | b'#')) => {
                    // `\$x` prints `$x` literally when followed by a reference or directive.
                    push_text(&mut out, t0, self.i);
                    self.i += 1;
                    t0 = self.i;
                    self.i += 1;
                }
                b'$' => {
                    let st = self.i;
                    if let Some(n) = self.reference()? {
                        push_text(&mut out, t0, st);
                        out.push(n);
                        t0 = self.i;
                    } else {
                        self.i = st + 1;
                    }
                }
                b'#' => {
                    let st = self.i;
                    match self.directive(&mut out, t0)? {
                        Some(Dir::Node(n)) => {
                            out.push(n);
                            t0 = self.i;
                        }
                        Some(Dir::None) => t0 = self.i,
                        Some(Dir::End(e)) => break e,
                        None => self.i = st + 1,
                    }
                }
                _ => self.i += 1,
            }
        };
        // A terminating directive already flushed the text before it.
        if matches!(r, Term::Eof) {
            push_text(&mut out, t0, self.i);
        }
        self.depth -= 1;
        Ok((out, r))
    }

    /// Velocity 1.7's gobbling, as its lexer tokens (Parser.jjt) do it: only `#set` eats the
    /// spaces/tabs before it (`SET_DIRECTIVE: (" "|"\t")* "#set"`); a directive's closing `)`
    /// (`RPAREN`), `#else` and `#end` eat the rest of their line when that is only spaces/tabs
    /// and a newline. The indentation before `#if`/`#elseif`/`#else`/`#foreach`/`#end` is
    /// output. AWS's PetStore template relies on this: `},#if($foreach.hasNext),#end` + a
    /// blank line yields one newline per item.
    fn gobble(&mut self, out: &mut Vec<Node>, t0: usize, st: usize, lead: bool) {
        let mut ls = st;
        if lead {
            while ls > t0 && matches!(self.s[ls - 1], b' ' | b'\t') {
                ls -= 1;
            }
        }
        push_text(out, t0, ls);
        let mut j = self.i;
        while matches!(self.s.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        if self.s.get(j) == Some(&b'\r') {
            j += 1;
        }
        if self.s.get(j) == Some(&b'\n') {
            self.i = j + 1;
        } else if j >= self.s.len() {
            self.i = j;
        }
    }

    fn directive(&mut self, out: &mut Vec<Node>, t0: usize) -> Result<Option<Dir>, CompileError> {
        let st = self.i;
        if self.starts("##") {
            // A line comment eats its newline too.
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.i += 1;
            }
            push_text(out, t0, st);
            self.i = (self.i + 1).min(self.s.len());
            return Ok(Some(Dir::None));
        }
        if self.starts("#*") {
            match find(self.s, self.i + 2, b"*#") {
                Some(e) => self.i = e + 2,
                None => return Err(self.err("unclosed #* comment")),
            }
            push_text(out, t0, st);
            return Ok(Some(Dir::None));
        }
        if self.starts("#[[") {
            let Some(e) = find(self.s, self.i + 3, b"]]#") else {
                return Err(self.err("unclosed #[[ block"));
            };
            push_text(out, t0, st);
            out.push(Node::Text(st + 3, e));
            self.i = e + 3;
            return Ok(Some(Dir::None));
        }
        self.i += 1;
        let braced = self.peek() == Some(b'{');
        if braced {
            self.i += 1;
        }
        let Some(name) = self.ident() else {
            self.i = st;
            return Ok(None);
        };
        if braced {
            if self.peek() != Some(b'}') {
                self.i = st;
                return Ok(None);
            }
            self.i += 1;
        }
        match name.as_str() {
            "set" => {
                self.open()?;
                let Some(Expr::Ref(r)) = self.expr_opt()? else {
                    return Err(self.err("#set needs a reference on the left"));
                };
                self.ws();
                if self.peek() != Some(b'=') {
                    return Err(self.err("#set needs '='"));
                }
                self.i += 1;
                let e = self.expr()?;
                self.close()?;
                self.gobble(out, t0, st, true);
                Ok(Some(Dir::Node(Node::Set(r, e))))
            }
            "if" => {
                self.open()?;
                let c = self.expr()?;
                self.close()?;
                self.gobble(out, t0, st, false);
                let mut arms = Vec::new();
                let mut cond = c;
                loop {
                    let (b, e) = self.block()?;
                    arms.push((cond, b));
                    match e {
                        Term::End => return Ok(Some(Dir::Node(Node::If(arms, None)))),
                        Term::ElseIf(c2) => cond = c2,
                        Term::Else => {
                            let (b, e) = self.block()?;
                            if !matches!(e, Term::End) {
                                return Err(self.err("#if without #end"));
                            }
                            return Ok(Some(Dir::Node(Node::If(arms, Some(b)))));
                        }
                        Term::Eof => return Err(self.err("#if without #end")),
                    }
                }
            }
            "elseif" => {
                self.open()?;
                let c = self.expr()?;
                self.close()?;
                self.gobble(out, t0, st, false);
                Ok(Some(Dir::End(Term::ElseIf(c))))
            }
            "else" => {
                self.gobble(out, t0, st, false);
                Ok(Some(Dir::End(Term::Else)))
            }
            "end" => {
                self.gobble(out, t0, st, false);
                Ok(Some(Dir::End(Term::End)))
            }
            "foreach" => {
                self.open()?;
                self.ws();
                if self.peek() != Some(b'$') {
                    return Err(self.err("#foreach needs a $variable"));
                }
                self.i += 1;
                let var = self
                    .ident()
                    .ok_or_else(|| self.err("#foreach needs a $variable"))?;
                self.ws();
                if !self.starts("in") {
                    return Err(self.err("#foreach needs 'in'"));
                }
                self.i += 2;
                let e = self.expr()?;
                self.close()?;
                self.gobble(out, t0, st, false);
                let (b, end) = self.block()?;
                if !matches!(end, Term::End) {
                    return Err(self.err("#foreach without #end"));
                }
                Ok(Some(Dir::Node(Node::Foreach(var, e, b))))
            }
            "break" => {
                let mut foreach_only = false;
                if self.peek() == Some(b'(') {
                    self.i += 1;
                    self.ws();
                    match self.reference()? {
                        Some(Node::Ref { r, .. }) => foreach_only = r.name == "foreach",
                        _ => return Err(self.err("#break takes a scope reference")),
                    }
                    self.close()?;
                }
                self.gobble(out, t0, st, false);
                Ok(Some(Dir::Node(Node::Break(foreach_only))))
            }
            "stop" => {
                self.gobble(out, t0, st, false);
                Ok(Some(Dir::Node(Node::Stop)))
            }
            "define" => {
                self.open()?;
                self.ws();
                let name = match self.reference()? {
                    Some(Node::Ref { r, .. }) if r.parts.is_empty() => r.name,
                    _ => return Err(self.err("#define needs a $name")),
                };
                self.close()?;
                self.gobble(out, t0, st, false);
                let (b, end) = self.block()?;
                if !matches!(end, Term::End) {
                    return Err(self.err("#define without #end"));
                }
                Ok(Some(Dir::Node(Node::Define(name, b))))
            }
            "macro" => {
                if self.interp {
                    return Err(self.err("#macro inside a string literal"));
                }
                self.open()?;
                self.ws();
                let name = self
                    .ident()
                    .ok_or_else(|| self.err("#macro needs a name"))?;
                let mut params = Vec::new();
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'$') => {
                            self.i += 1;
                            let p = self
                                .ident()
                                .ok_or_else(|| self.err("#macro parameter needs a name"))?;
                            params.push(p);
                        }
                        Some(b')') => {
                            self.i += 1;
                            break;
                        }
                        _ => return Err(self.err("expected $parameter or ')' in #macro")),
                    }
                }
                self.gobble(out, t0, st, false);
                let (body, end) = self.block()?;
                if !matches!(end, Term::End) {
                    return Err(self.err("#macro without #end"));
                }
                self.macros.push(Macro { name, params, body });
                Ok(Some(Dir::None))
            }
            _ => {
                // `#name(args)` is a macro call (resolved at render time); any other unknown
                // directive, or one whose arguments do not parse, prints literally as Velocity
                // treats `#foo` as text.
                if let Some(args) = self.call_args() {
                    let raw = (st, self.i);
                    self.gobble(out, t0, st, false);
                    return Ok(Some(Dir::Node(Node::Call { name, args, raw })));
                }
                self.i = st;
                Ok(None)
            }
        }
    }

    /// `( arg arg, arg )`: Velocity separates macro arguments by whitespace or commas.
    fn call_args(&mut self) -> Option<Vec<Expr>> {
        let back = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        if self.peek() != Some(b'(') {
            self.i = back;
            return None;
        }
        self.i += 1;
        let mut args = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                Some(b')') => {
                    self.i += 1;
                    return Some(args);
                }
                Some(b',') if !args.is_empty() => self.i += 1,
                _ => match self.expr_opt() {
                    Ok(Some(e)) => args.push(e),
                    _ => {
                        self.i = back;
                        return None;
                    }
                },
            }
        }
    }

    fn open(&mut self) -> Result<(), CompileError> {
        self.ws();
        if self.peek() != Some(b'(') {
            return Err(self.err("expected '('"));
        }
        self.i += 1;
        Ok(())
    }
    pub(super) fn close(&mut self) -> Result<(), CompileError> {
        self.ws();
        if self.peek() != Some(b')') {
            return Err(self.err("expected ')'"));
        }
        self.i += 1;
        Ok(())
    }

    /// `$x`, `$!x`, `${x}`, `$!{x}` with accessors; `None` when the `$` starts no reference.
    pub(super) fn reference(&mut self) -> Result<Option<Node>, CompileError> {
        let st = self.i;
        self.i += 1;
        let quiet = self.peek() == Some(b'!');
        if quiet {
            self.i += 1;
        }
        let braced = self.peek() == Some(b'{');
        if braced {
            self.i += 1;
        }
        let Some(name) = self.ident() else {
            self.i = st;
            return Ok(None);
        };
        let parts = self.accessors()?;
        if braced {
            if self.peek() != Some(b'}') {
                self.i = st;
                return Ok(None);
            }
            self.i += 1;
        }
        Ok(Some(Node::Ref {
            r: Ref { name, parts },
            quiet,
            raw: (st, self.i),
        }))
    }

    pub(super) fn accessors(&mut self) -> Result<Vec<Part>, CompileError> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') if matches!(self.at(1), Some(c) if c.is_ascii_alphabetic() || c == b'_') =>
                {
                    self.i += 1;
                    let n = self.ident().unwrap_or_default();
                    if self.peek() == Some(b'(') {
                        self.i += 1;
                        let mut args = Vec::new();
                        self.ws();
                        if self.peek() == Some(b')') {
                            self.i += 1;
                        } else {
                            loop {
                                args.push(self.expr()?);
                                self.ws();
                                match self.peek() {
                                    Some(b',') => self.i += 1,
                                    Some(b')') => {
                                        self.i += 1;
                                        break;
                                    }
                                    _ => return Err(self.err("expected ',' or ')' in call")),
                                }
                            }
                        }
                        parts.push(Part::Call(n, args));
                    } else {
                        parts.push(Part::Prop(n));
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    let e = self.expr()?;
                    self.ws();
                    if self.peek() != Some(b']') {
                        return Err(self.err("expected ']'"));
                    }
                    self.i += 1;
                    parts.push(Part::Index(e));
                }
                _ => return Ok(parts),
            }
        }
    }
}

enum Dir {
    Node(Node),
    None,
    End(Term),
}

fn push_text(out: &mut Vec<Node>, a: usize, b: usize) {
    if b > a {
        out.push(Node::Text(a, b));
    }
}

fn find(s: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    s.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

impl Program {
    /// The template's source text.
    pub fn source(&self) -> &str {
        &self.src
    }
}
