//! Expression grammar of `#set`, `#if`, `#foreach`, method and macro arguments: precedence
//! climbing over `||`, `&&`, comparisons, `+ -`, `* / %`, unary `! -`, then literals, lists,
//! ranges, maps and references. Nesting is bounded so hostile input cannot overflow the stack.

use super::ast::{Expr, Node, Op};
use super::parser::{parse_interp, CompileError, MAX_NEST, P};

impl P<'_> {
    pub(super) fn expr(&mut self) -> Result<Expr, CompileError> {
        self.expr_opt()?
            .ok_or_else(|| self.err("expected an expression"))
    }
    pub(super) fn expr_opt(&mut self) -> Result<Option<Expr>, CompileError> {
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
                    Ok(Some(Expr::Str(body.into())))
                } else {
                    let nodes = parse_interp(&body)?;
                    // `"$.a"` holds a `$` but no reference: it is a plain literal.
                    if matches!(nodes[..], [Node::Text(0, e)] if e == body.len()) {
                        return Ok(Some(Expr::Str(body.into())));
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
