//! Recursive-descent parser: template source -> `Program` (immutable, built once at deploy).
//!
//! Modes: text (scan for `$`, `#`, `\`), reference (`$a.b[0].c(..)`), directive (`#set(..)`).
//! Lines holding only a directive (and whitespace) are gobbled whole: their indentation and their
//! newline are not output, as Velocity does for `#set` and block directives on their own line.

use super::ast::{Expr, Macro, Node, Op, Part, Ref};
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
fn parse_interp(s: &str) -> Result<Vec<Node>, CompileError> {
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

struct P<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    macros: Vec<Macro>,
    /// Inside a double-quoted string: its nodes point into the string, not the program
    /// source, so `#macro` (whose body must point into the source) is refused there.
    interp: bool,
}

/// Nesting bound for blocks and expressions: keeps recursion far from the stack limit.
const MAX_NEST: usize = 64;

impl<'a> P<'a> {
    fn err(&self, msg: &'static str) -> CompileError {
        let before = &self.s[..self.i.min(self.s.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        CompileError::Syntax { line, col, msg }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn at(&self, k: usize) -> Option<u8> {
        self.s.get(self.i + k).copied()
    }
    fn starts(&self, t: &str) -> bool {
        self.s[self.i..].starts_with(t.as_bytes())
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }
    fn ident(&mut self) -> Option<String> {
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
    fn close(&mut self) -> Result<(), CompileError> {
        self.ws();
        if self.peek() != Some(b')') {
            return Err(self.err("expected ')'"));
        }
        self.i += 1;
        Ok(())
    }

    /// `$x`, `$!x`, `${x}`, `$!{x}` with accessors; `None` when the `$` starts no reference.
    fn reference(&mut self) -> Result<Option<Node>, CompileError> {
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

    fn accessors(&mut self) -> Result<Vec<Part>, CompileError> {
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

    fn expr(&mut self) -> Result<Expr, CompileError> {
        self.expr_opt()?
            .ok_or_else(|| self.err("expected an expression"))
    }
    fn expr_opt(&mut self) -> Result<Option<Expr>, CompileError> {
        self.depth += 1;
        if self.depth > MAX_NEST {
            return Err(self.err("expression nested too deeply"));
        }
        let r = self.or();
        self.depth -= 1;
        r
    }
    fn word(&mut self, sym: &str, w: &str) -> bool {
        self.ws();
        if self.starts(sym) {
            self.i += sym.len();
            return true;
        }
        if self.starts(w)
            && !matches!(self.at(w.len()), Some(c) if c.is_ascii_alphanumeric() || c == b'_')
        {
            self.i += w.len();
            return true;
        }
        false
    }
    fn or(&mut self) -> Result<Option<Expr>, CompileError> {
        let Some(mut l) = self.and()? else {
            return Ok(None);
        };
        while self.word("||", "or") {
            let r = self.and()?.ok_or_else(|| self.err("expected operand"))?;
            l = Expr::Bin(Op::Or, Box::new(l), Box::new(r));
        }
        Ok(Some(l))
    }
    fn and(&mut self) -> Result<Option<Expr>, CompileError> {
        let Some(mut l) = self.cmp()? else {
            return Ok(None);
        };
        while self.word("&&", "and") {
            let r = self.cmp()?.ok_or_else(|| self.err("expected operand"))?;
            l = Expr::Bin(Op::And, Box::new(l), Box::new(r));
        }
        Ok(Some(l))
    }
    fn cmp(&mut self) -> Result<Option<Expr>, CompileError> {
        let Some(mut l) = self.add()? else {
            return Ok(None);
        };
        loop {
            let op = if self.word("==", "eq") {
                Op::Eq
            } else if self.word("!=", "ne") {
                Op::Ne
            } else if self.word("<=", "le") {
                Op::Le
            } else if self.word(">=", "ge") {
                Op::Ge
            } else if self.word("<", "lt") {
                Op::Lt
            } else if self.word(">", "gt") {
                Op::Gt
            } else {
                return Ok(Some(l));
            };
            let r = self.add()?.ok_or_else(|| self.err("expected operand"))?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }
    fn add(&mut self) -> Result<Option<Expr>, CompileError> {
        let Some(mut l) = self.mul()? else {
            return Ok(None);
        };
        loop {
            self.ws();
            let op = match self.peek() {
                Some(b'+') => Op::Add,
                Some(b'-') => Op::Sub,
                _ => return Ok(Some(l)),
            };
            self.i += 1;
            let r = self.mul()?.ok_or_else(|| self.err("expected operand"))?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }
    fn mul(&mut self) -> Result<Option<Expr>, CompileError> {
        let Some(mut l) = self.unary()? else {
            return Ok(None);
        };
        loop {
            self.ws();
            let op = match self.peek() {
                Some(b'*') => Op::Mul,
                Some(b'/') => Op::Div,
                Some(b'%') => Op::Mod,
                _ => return Ok(Some(l)),
            };
            self.i += 1;
            let r = self.unary()?.ok_or_else(|| self.err("expected operand"))?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
    }
    fn unary(&mut self) -> Result<Option<Expr>, CompileError> {
        self.depth += 1;
        if self.depth > MAX_NEST * 4 {
            return Err(self.err("expression nested too deeply"));
        }
        let r = self.unary_inner();
        self.depth -= 1;
        r
    }
    fn unary_inner(&mut self) -> Result<Option<Expr>, CompileError> {
        self.ws();
        if self.peek() == Some(b'!') && self.at(1) != Some(b'=') {
            self.i += 1;
            let e = self.unary()?.ok_or_else(|| self.err("expected operand"))?;
            return Ok(Some(Expr::Not(Box::new(e))));
        }
        if self.word("!", "not") {
            let e = self.unary()?.ok_or_else(|| self.err("expected operand"))?;
            return Ok(Some(Expr::Not(Box::new(e))));
        }
        if self.peek() == Some(b'-') && !matches!(self.at(1), Some(b'0'..=b'9')) {
            self.i += 1;
            let e = self.unary()?.ok_or_else(|| self.err("expected operand"))?;
            return Ok(Some(Expr::Neg(Box::new(e))));
        }
        self.primary()
    }
    fn primary(&mut self) -> Result<Option<Expr>, CompileError> {
        self.ws();
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        match c {
            b'(' => {
                self.i += 1;
                let e = self.expr()?;
                self.close()?;
                Ok(Some(e))
            }
            b'$' => match self.reference()? {
                Some(Node::Ref { r, .. }) => Ok(Some(Expr::Ref(r))),
                _ => Err(self.err("bad reference")),
            },
            b'\'' | b'"' => {
                let st = self.i + 1;
                let Some(e) = self.s[st..].iter().position(|&b| b == c) else {
                    return Err(self.err("unclosed string literal"));
                };
                let body = String::from_utf8_lossy(&self.s[st..st + e]).into_owned();
                self.i = st + e + 1;
                if c == b'\'' || !body.contains(['$', '#']) {
                    Ok(Some(Expr::Str(body)))
                } else {
                    let nodes = parse_interp(&body)?;
                    // `"$.a"` holds a `$` but no reference: it is a plain literal.
                    if matches!(nodes[..], [Node::Text(0, e)] if e == body.len()) {
                        return Ok(Some(Expr::Str(body)));
                    }
                    Ok(Some(Expr::Interp(nodes, body)))
                }
            }
            b'-' | b'0'..=b'9' => {
                let st = self.i;
                self.i += 1;
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
                let mut float = false;
                if self.peek() == Some(b'.') && matches!(self.at(1), Some(b'0'..=b'9')) {
                    float = true;
                    self.i += 1;
                    while matches!(self.peek(), Some(b'0'..=b'9')) {
                        self.i += 1;
                    }
                }
                let t = std::str::from_utf8(&self.s[st..self.i]).unwrap_or("0");
                if float {
                    Ok(Some(Expr::Float(
                        t.parse().map_err(|_| self.err("bad number"))?,
                    )))
                } else {
                    Ok(Some(Expr::Int(
                        t.parse().map_err(|_| self.err("bad number"))?,
                    )))
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Some(Expr::List(items)));
                }
                let first = self.expr()?;
                self.ws();
                if self.starts("..") {
                    self.i += 2;
                    let last = self.expr()?;
                    self.ws();
                    if self.peek() != Some(b']') {
                        return Err(self.err("expected ']'"));
                    }
                    self.i += 1;
                    return Ok(Some(Expr::Range(Box::new(first), Box::new(last))));
                }
                items.push(first);
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b',') => {
                            self.i += 1;
                            items.push(self.expr()?);
                        }
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Some(Expr::List(items)));
                        }
                        _ => return Err(self.err("expected ',' or ']'")),
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Some(Expr::Map(items)));
                }
                loop {
                    let k = self.expr()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected ':' in map literal"));
                    }
                    self.i += 1;
                    let v = self.expr()?;
                    items.push((k, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Some(Expr::Map(items)));
                        }
                        _ => return Err(self.err("expected ',' or '}'")),
                    }
                }
            }
            _ => {
                let st = self.i;
                match self.ident().as_deref() {
                    Some("true") => Ok(Some(Expr::Bool(true))),
                    Some("false") => Ok(Some(Expr::Bool(false))),
                    Some("null") => Ok(Some(Expr::Null)),
                    _ => {
                        self.i = st;
                        Ok(None)
                    }
                }
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
    /// The literal arguments of every `$input.json(..)` / `$input.path(..)` call (single-quoted,
    /// or double-quoted without references), in first-use order without repeats, so the deploy
    /// step can precompile those JSONPaths once. Calls with a computed argument are not listed.
    pub fn literal_paths(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for n in self
            .body
            .iter()
            .chain(self.macros.iter().flat_map(|m| &m.body))
        {
            paths_node(n, &mut out);
        }
        out
    }
}

fn paths_node<'a>(n: &'a Node, out: &mut Vec<&'a str>) {
    match n {
        Node::Text(..) | Node::Break(_) | Node::Stop => {}
        Node::Ref { r, .. } => paths_ref(r, out),
        Node::Set(r, e) => {
            paths_ref(r, out);
            paths_expr(e, out);
        }
        Node::If(arms, els) => {
            for (c, b) in arms {
                paths_expr(c, out);
                b.iter().for_each(|n| paths_node(n, out));
            }
            els.iter().flatten().for_each(|n| paths_node(n, out));
        }
        Node::Foreach(_, e, b) => {
            paths_expr(e, out);
            b.iter().for_each(|n| paths_node(n, out));
        }
        Node::Define(_, b) => b.iter().for_each(|n| paths_node(n, out)),
        Node::Call { args, .. } => args.iter().for_each(|e| paths_expr(e, out)),
    }
}

fn paths_ref<'a>(r: &'a Ref, out: &mut Vec<&'a str>) {
    if r.name == "input" {
        if let Some(Part::Call(m, args)) = r.parts.first() {
            if let ("json" | "path", [Expr::Str(p)]) = (m.as_str(), &args[..]) {
                if !out.contains(&p.as_str()) {
                    out.push(p);
                }
            }
        }
    }
    for p in &r.parts {
        match p {
            Part::Prop(_) => {}
            Part::Index(e) => paths_expr(e, out),
            Part::Call(_, args) => args.iter().for_each(|e| paths_expr(e, out)),
        }
    }
}

fn paths_expr<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
    match e {
        Expr::Null | Expr::Bool(_) | Expr::Int(_) | Expr::Float(_) | Expr::Str(_) => {}
        Expr::Interp(ns, _) => ns.iter().for_each(|n| paths_node(n, out)),
        Expr::List(l) => l.iter().for_each(|e| paths_expr(e, out)),
        Expr::Range(a, b) | Expr::Bin(_, a, b) => {
            paths_expr(a, out);
            paths_expr(b, out);
        }
        Expr::Map(m) => m.iter().for_each(|(k, v)| {
            paths_expr(k, out);
            paths_expr(v, out);
        }),
        Expr::Ref(r) => paths_ref(r, out),
        Expr::Not(x) | Expr::Neg(x) => paths_expr(x, out),
    }
}
