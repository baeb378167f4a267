//! Evaluator: walks a `Program` writing into a caller-provided buffer, bounded by `Limits`.
//!
//! `$input`, `$context`, `$stageVariables` come from the caller's `Env`; `$util` is evaluated
//! here (`util.rs`); template variables live in a local map. `#set($context.requestOverride.…)`
//! /`responseOverride` are recorded in `Output::overrides` for the caller to apply.
//!
//! Control flow: `#break` and `#stop` set a flag that every node loop checks after each node,
//! so they unwind without a special return type; `#foreach` (and, for a plain `#break`, a
//! macro call or `#define` render) clears it. Macro arguments are bound by name as in Velocity
//! 1.7: a parameter re-evaluates its argument expression, in the caller's scope, at each use.

use std::collections::HashMap;

use smallvec::SmallVec;

use super::ast::{Expr, Node, Op, Part, Ref};
use super::parser::Program;
use super::util::{self, UtilError};
use super::value::{arith, equals, num, Value};
use crate::json::Elements;

/// What the caller supplies: `$input`, `$context`, `$stageVariables`.
pub trait Env {
    fn body(&self) -> &[u8];
    /// `$input.json(path)`: the selected JSON as text.
    fn json(&self, path: &str) -> Value<'_>;
    /// `$input.path(path)`: the selected JSON as a value.
    fn path(&self, path: &str) -> Value<'_>;
    /// `$input.params()` (None) or `$input.params(name)`.
    fn params(&self, name: Option<&str>) -> Value<'_>;
    /// `$context` / `$stageVariables` / `$util`-free roots, by name.
    fn root(&self, name: &str) -> Option<Value<'_>>;
    /// `$name.prop` on a root (`$context.requestId`): an `Env` that keeps its roots may answer
    /// the one field without building the whole map per reference. The default goes through
    /// `root`; only map roots have fields.
    fn root_prop(&self, name: &str, prop: &str) -> Option<Value<'_>> {
        self.root(name)?.map_get(prop)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_output: usize,
    pub max_steps: u64,
    /// AWS caps `#foreach` at 1000 iterations.
    pub max_iterations: usize,
    /// Nesting of macro calls and `#define` renders (Velocity's `velocimacro.max.depth`, 20).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_output: 10 * 1024 * 1024,
            max_steps: 1_000_000,
            max_iterations: 1000,
            max_depth: 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("template output exceeds the limit")]
    OutputTooLarge,
    #[error("template evaluation exceeds the step budget")]
    TooManySteps,
    #[error("macro or #define nesting exceeds the depth limit")]
    TooDeep,
    /// A `$util` function threw (invalid JSON, URL escape or base64), which aborts a Velocity
    /// render; AWS answers 500.
    #[error("$util function failed: {0:?}")]
    Util(UtilError),
}

impl From<UtilError> for RenderError {
    fn from(e: UtilError) -> Self {
        RenderError::Util(e)
    }
}

/// Overrides recorded by the render: (`requestOverride.header.X`-style path, value).
#[derive(Debug, Default)]
pub struct Output {
    pub overrides: Vec<(String, String)>,
}

/// How a macro parameter is bound: its argument expression and the frame it is evaluated in
/// (by name), or a value `#set` inside the macro gave it.
enum Bind<'p, 'e> {
    Expr(&'p Expr, usize),
    Val(Value<'e>),
}

struct Frame<'p, 'e> {
    binds: Vec<(&'p str, Bind<'p, 'e>)>,
}

struct St<'p, 'e> {
    prog: &'p Program,
    env: &'e dyn Env,
    vars: Vars<'p, 'e>,
    /// `#define`d names: the body and the source its text nodes point into.
    defines: HashMap<&'p str, (&'p [Node], &'p str)>,
    frames: Vec<Frame<'p, 'e>>,
    /// The frame references resolve in: 0 is the template, `k` is `frames[k - 1]`.
    active: usize,
    depth: usize,
    /// A pending `#break`: `Some(true)` for `#break($foreach)`.
    brk: Option<bool>,
    stopped: bool,
    /// Running `#foreach` loops, innermost last: (index, item count); `$foreach` and
    /// `$velocityCount` read it instead of a map rebuilt per iteration.
    loops: SmallVec<[(usize, usize); 4]>,
    lim: Limits,
    steps: u64,
    out: Output,
}

/// Renders `p` into `buf`.
pub fn render(
    p: &Program,
    env: &dyn Env,
    lim: Limits,
    buf: &mut Vec<u8>,
) -> Result<Output, RenderError> {
    let mut st = St {
        prog: p,
        env,
        vars: Vars(SmallVec::new()),
        defines: HashMap::new(),
        frames: Vec::new(),
        active: 0,
        depth: 0,
        brk: None,
        stopped: false,
        loops: SmallVec::new(),
        lim,
        steps: 0,
        out: Output::default(),
    };
    st.nodes(&p.body, &p.src, buf)?;
    Ok(st.out)
}

impl<'p, 'e> St<'p, 'e> {
    fn step(&mut self) -> Result<(), RenderError> {
        self.steps += 1;
        if self.steps > self.lim.max_steps {
            return Err(RenderError::TooManySteps);
        }
        Ok(())
    }
    /// Steps for copying `v` into a container: one per node, so repeated self-insertion
    /// (`$l.add($l)`, `[$l, $l]`) runs out of steps before it runs out of memory.
    fn charge(&mut self, v: &Value<'_>) -> Result<(), RenderError> {
        fn nodes(v: &Value<'_>, budget: u64) -> u64 {
            let mut n = 1;
            let kids: Box<dyn Iterator<Item = &Value<'_>>> = match v {
                Value::List(l) => Box::new(l.iter()),
                Value::Map(m) => Box::new(m.iter().map(|(_, v)| v)),
                _ => return 1,
            };
            for k in kids {
                if n > budget {
                    break;
                }
                n += nodes(k, budget - n);
            }
            n
        }
        if !matches!(v, Value::List(_) | Value::Map(_)) {
            return Ok(());
        }
        self.steps += nodes(v, self.lim.max_steps.saturating_sub(self.steps) + 1);
        if self.steps > self.lim.max_steps {
            return Err(RenderError::TooManySteps);
        }
        Ok(())
    }
    /// A string built by `+` or a method (`replace`…) is held to the output limit, so
    /// `#set($s = $s + $s)` in a loop stops instead of doubling memory.
    fn bound(&self, v: &Value<'_>) -> Result<(), RenderError> {
        match v {
            Value::Str(s) if s.len() > self.lim.max_output => Err(RenderError::OutputTooLarge),
            _ => Ok(()),
        }
    }
    fn emit(&self, buf: &mut Vec<u8>, b: &[u8]) -> Result<(), RenderError> {
        if buf.len() + b.len() > self.lim.max_output {
            return Err(RenderError::OutputTooLarge);
        }
        buf.extend_from_slice(b);
        Ok(())
    }

    fn nodes(
        &mut self,
        ns: &'p [Node],
        src: &'p str,
        buf: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        for n in ns {
            if self.stopped || self.brk.is_some() {
                return Ok(());
            }
            self.step()?;
            match n {
                Node::Text(a, b) => self.emit(buf, &src.as_bytes()[*a..*b])?,
                Node::Ref { r, quiet, raw } => match self.get(r)? {
                    Some(v) if !v.is_null() => {
                        let at = buf.len();
                        v.write(buf);
                        if buf.len() > self.lim.max_output {
                            buf.truncate(at);
                            return Err(RenderError::OutputTooLarge);
                        }
                    }
                    _ if *quiet => {}
                    _ => self.emit(buf, &src.as_bytes()[raw.0..raw.1])?,
                },
                Node::Set(r, e) => {
                    let v = self.eval(e)?;
                    self.set(r, v)?;
                }
                Node::If(arms, els) => {
                    let mut done = false;
                    for (c, b) in arms {
                        if self.eval(c)?.truthy() {
                            self.nodes(b, src, buf)?;
                            done = true;
                            break;
                        }
                    }
                    if !done {
                        if let Some(b) = els {
                            self.nodes(b, src, buf)?;
                        }
                    }
                }
                Node::Foreach(var, e, body) => {
                    let items = Items::of(self.eval(e)?);
                    let n = items.len().min(self.lim.max_iterations);
                    // Velocity 1.7 restores the loop variable's previous value after the loop.
                    let saved = self.vars.remove(var.as_str());
                    self.loops.push((0, n));
                    for (i, it) in items.take(n).enumerate() {
                        match self.vars.get_mut(var.as_str()) {
                            Some(slot) => *slot = it,
                            None => {
                                self.vars.insert(var.as_str(), it);
                            }
                        }
                        if let Some(l) = self.loops.last_mut() {
                            l.0 = i;
                        }
                        let r = self.nodes(body, src, buf);
                        if r.is_err() {
                            self.loops.pop();
                            return r;
                        }
                        if self.stopped {
                            break;
                        }
                        if self.brk.take().is_some() {
                            break;
                        }
                    }
                    self.loops.pop();
                    match saved {
                        Some(s) => self.vars.insert(var.as_str(), s),
                        None => self.vars.remove(var.as_str()),
                    };
                }
                Node::Break(foreach_only) => self.brk = Some(*foreach_only),
                Node::Stop => self.stopped = true,
                Node::Define(name, body) => {
                    self.vars.remove(name.as_str());
                    self.defines.insert(name.as_str(), (body, src));
                }
                Node::Call { name, args, raw } => {
                    let prog = self.prog;
                    match prog.macros.iter().rev().find(|m| m.name == *name) {
                        None => self.emit(buf, &src.as_bytes()[raw.0..raw.1])?,
                        Some(m) => {
                            let binds = m
                                .params
                                .iter()
                                .zip(args)
                                .map(|(p, e)| (p.as_str(), Bind::Expr(e, self.active)))
                                .collect();
                            self.frames.push(Frame { binds });
                            let caller = self.active;
                            self.active = self.frames.len();
                            let r = self.nested(&m.body, &prog.src, buf);
                            self.frames.pop();
                            self.active = caller;
                            r?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Renders a macro or `#define` body one level deeper; a plain `#break` ends only it.
    fn nested(
        &mut self,
        ns: &'p [Node],
        src: &'p str,
        buf: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        if self.depth >= self.lim.max_depth {
            return Err(RenderError::TooDeep);
        }
        self.depth += 1;
        let r = self.nodes(ns, src, buf);
        self.depth -= 1;
        if self.brk == Some(false) {
            self.brk = None;
        }
        r
    }

    /// `$var.a.b` on a template variable, walked by reference so only the selected value is
    /// cloned (not the whole `$inputRoot` per use). `None`: not that shape, take the general path.
    fn get_fast(&self, r: &Ref) -> Option<Option<Value<'e>>> {
        if matches!(
            r.name.as_str(),
            "input" | "util" | "foreach" | "velocityCount"
        ) || self.active > 0
            || !r.parts.iter().all(|p| matches!(p, Part::Prop(_)))
        {
            return None;
        }
        let mut cur = self.vars.get(r.name.as_str())?;
        for p in &r.parts {
            let Part::Prop(n) = p else { return None };
            match cur {
                Value::Map(m) => match m.iter().find(|(k, _)| k == n) {
                    Some((_, v)) => cur = v,
                    None => return Some(None),
                },
                _ => return None,
            }
        }
        Some(Some(cur.clone()))
    }

    /// The active frame's binding of `name`, when `name` is a parameter of the running macro.
    fn param(&self, name: &str) -> Option<&Bind<'p, 'e>> {
        let f = self.frames.get(self.active.checked_sub(1)?)?;
        f.binds.iter().find(|(n, _)| *n == name).map(|(_, b)| b)
    }

    fn set(&mut self, r: &'p Ref, v: Value<'e>) -> Result<(), RenderError> {
        if r.name == "context" {
            if let Some(Part::Prop(p0)) = r.parts.first() {
                if p0 == "requestOverride" || p0 == "responseOverride" {
                    let mut path = p0.clone();
                    for p in &r.parts[1..] {
                        path.push('.');
                        match p {
                            Part::Prop(n) => path.push_str(n),
                            Part::Index(e) => path.push_str(&self.eval(e)?.to_text()),
                            Part::Call(..) => return Ok(()),
                        }
                    }
                    self.out.overrides.push((path, v.to_text()));
                    return Ok(());
                }
            }
        }
        if r.parts.is_empty() {
            // Velocity 1.7: setting to null leaves the old value (directive.set.null.allowed off).
            if v.is_null() {
                return Ok(());
            }
            match self.param(&r.name) {
                // A parameter bound to a plain `$x` sets `$x` in the caller's scope, as
                // Velocity's by-name proxy does; any other parameter takes the value locally.
                Some(Bind::Expr(Expr::Ref(rr), caller)) if rr.parts.is_empty() => {
                    let (rr, caller): (&'p Ref, usize) = (rr, *caller);
                    let saved = std::mem::replace(&mut self.active, caller);
                    let res = self.set(rr, v);
                    self.active = saved;
                    return res;
                }
                Some(_) => {
                    let f = &mut self.frames[self.active - 1];
                    if let Some(b) = f.binds.iter_mut().find(|(n, _)| *n == r.name) {
                        b.1 = Bind::Val(v);
                    }
                    return Ok(());
                }
                None => {}
            }
            self.defines.remove(r.name.as_str());
            self.vars.insert(r.name.as_str(), v);
            return Ok(());
        }
        // `#set($m.k = v)` / `#set($m[k] = v)` on a local map or list.
        let mut keys = Vec::new();
        for p in &r.parts {
            match p {
                Part::Prop(n) => keys.push(Value::str(n)),
                Part::Index(e) => keys.push(self.eval(e)?),
                Part::Call(..) => return Ok(()),
            }
        }
        let Some(mut cur) = self.vars.get_mut(r.name.as_str()) else {
            return Ok(());
        };
        for (i, k) in keys.iter().enumerate() {
            let last = i + 1 == keys.len();
            // A container read from the body is copied before it changes.
            if matches!(cur, Value::Json(_)) {
                *cur = cur.owned();
            }
            cur = match (cur, k) {
                (Value::Map(m), k) => {
                    let ks = k.to_text();
                    let pos = m.iter().position(|(kk, _)| *kk == ks);
                    if last {
                        match pos {
                            Some(p) => m[p].1 = v,
                            None => m.push((ks, v)),
                        }
                        return Ok(());
                    }
                    match pos {
                        Some(p) => &mut m[p].1,
                        None => return Ok(()),
                    }
                }
                (Value::List(l), Value::Int(ix)) if *ix >= 0 && (*ix as usize) < l.len() => {
                    if last {
                        l[*ix as usize] = v;
                        return Ok(());
                    }
                    &mut l[*ix as usize]
                }
                _ => return Ok(()),
            };
        }
        Ok(())
    }

    /// Resolves a reference; `None` when undefined.
    fn get(&mut self, r: &'p Ref) -> Result<Option<Value<'e>>, RenderError> {
        if let Some(v) = self.get_fast(r) {
            self.steps += r.parts.len() as u64;
            return Ok(v);
        }
        let mut parts = &r.parts[..];
        let mut cur = match r.name.as_str() {
            "input" => match parts.first() {
                Some(Part::Call(m, args)) => {
                    let a = match args.first() {
                        Some(e) => Some(self.eval(e)?),
                        None => None,
                    };
                    parts = &parts[1..];
                    // A string argument is passed as is; others by their `toString`.
                    let text = a.as_ref().map(Value::text);
                    match (m.as_str(), text.as_deref()) {
                        ("json", Some(p)) => self.env.json(p),
                        ("path", Some(p)) => self.env.path(p),
                        ("params", a) => self.env.params(a),
                        _ => return Ok(None),
                    }
                }
                Some(Part::Prop(b)) if b == "body" => {
                    parts = &parts[1..];
                    let env: &'e dyn Env = self.env;
                    match std::str::from_utf8(env.body()) {
                        Ok(s) => Value::Text(s),
                        Err(_) => Value::str(&String::from_utf8_lossy(env.body())),
                    }
                }
                _ => return Ok(None),
            },
            "foreach" | "velocityCount" if !self.loops.is_empty() => {
                let (i, n) = self.loops[self.loops.len() - 1];
                let fe = |p: &str| match p {
                    "index" => Some(Value::Int(i as i64)),
                    "count" => Some(Value::Int(i as i64 + 1)),
                    "hasNext" => Some(Value::Bool(i + 1 < n)),
                    "first" => Some(Value::Bool(i == 0)),
                    "last" => Some(Value::Bool(i + 1 == n)),
                    _ => None,
                };
                if r.name == "velocityCount" {
                    Value::Int(i as i64 + 1)
                } else if let Some(v) = parts.first().and_then(|p| match p {
                    Part::Prop(p) => fe(p),
                    _ => None,
                }) {
                    parts = &parts[1..];
                    v
                } else {
                    let keys = ["index", "count", "hasNext", "first", "last"];
                    Value::Map(
                        keys.iter()
                            .map(|k| (k.to_string(), fe(k).unwrap_or(Value::Null)))
                            .collect(),
                    )
                }
            }
            "util" => match parts.first() {
                Some(Part::Call(m, args)) => {
                    let mut a: Args<'e> = SmallVec::new();
                    for e in args {
                        a.push(self.eval(e)?);
                    }
                    parts = &parts[1..];
                    match util::call(m, &a)? {
                        Some(v) => v,
                        None => return Ok(None),
                    }
                }
                _ => return Ok(None),
            },
            n => {
                if let Some(b) = self.param(n) {
                    match b {
                        Bind::Val(v) => v.clone(),
                        Bind::Expr(e, caller) => {
                            let (e, caller) = (*e, *caller);
                            let saved = std::mem::replace(&mut self.active, caller);
                            let v = self.eval(e);
                            self.active = saved;
                            match v? {
                                Value::Null => return Ok(None),
                                v => v,
                            }
                        }
                    }
                } else if let Some(&(body, src)) = self.defines.get(n) {
                    let mut b = Vec::new();
                    self.nested(body, src, &mut b)?;
                    Value::str(&String::from_utf8_lossy(&b))
                } else {
                    match self.vars.get(n) {
                        Some(v) => v.clone(),
                        None => match parts.first() {
                            Some(Part::Prop(p)) => {
                                parts = &parts[1..];
                                match self.env.root_prop(n, p) {
                                    Some(v) => v,
                                    None => return Ok(None),
                                }
                            }
                            _ => match self.env.root(n) {
                                Some(v) => v,
                                None => return Ok(None),
                            },
                        },
                    }
                }
            }
        };
        for p in parts {
            self.step()?;
            cur = match p {
                Part::Prop(n) => match prop(&cur, n) {
                    Some(v) => v,
                    None => return Ok(None),
                },
                Part::Index(e) => {
                    let k = self.eval(e)?;
                    match index(&cur, &k) {
                        Some(v) => v,
                        None => return Ok(None),
                    }
                }
                Part::Call(m, args) => {
                    let mut a: Args<'e> = SmallVec::new();
                    for e in args {
                        a.push(self.eval(e)?);
                    }
                    if matches!(m.as_str(), "add" | "put") {
                        // Copying a container into a container can double a value per call:
                        // pay for every node copied.
                        for x in &a {
                            self.charge(x)?;
                        }
                    }
                    match super::methods::call(&mut cur, m, &a) {
                        Some(v) => {
                            self.bound(&v)?;
                            // Mutating calls (put/add) write back to the variable.
                            if matches!(m.as_str(), "put" | "add" | "remove")
                                && std::ptr::eq(p, &r.parts[r.parts.len() - 1])
                                && r.parts.len() == 1
                            {
                                self.vars.insert(r.name.as_str(), cur);
                            }
                            v
                        }
                        None => return Ok(None),
                    }
                }
            };
        }
        Ok(Some(cur))
    }

    fn eval(&mut self, e: &'p Expr) -> Result<Value<'e>, RenderError> {
        self.step()?;
        Ok(match e {
            Expr::Null => Value::Null,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::Float(f) => Value::Float(*f),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Interp(ns, s) => {
                let mut b = Vec::new();
                self.nodes(ns, s, &mut b)?;
                Value::str(&String::from_utf8_lossy(&b))
            }
            Expr::List(l) => {
                let mut v = Vec::with_capacity(l.len());
                for x in l {
                    let x = self.eval(x)?;
                    self.charge(&x)?;
                    v.push(x);
                }
                Value::List(v)
            }
            Expr::Range(a, b) => {
                let (Value::Int(a), Value::Int(b)) = (self.eval(a)?, self.eval(b)?) else {
                    return Ok(Value::Null);
                };
                if a.abs_diff(b) > self.lim.max_steps {
                    return Err(RenderError::TooManySteps);
                }
                self.steps += a.abs_diff(b);
                if a <= b {
                    Value::List((a..=b).map(Value::Int).collect())
                } else {
                    Value::List((b..=a).rev().map(Value::Int).collect())
                }
            }
            Expr::Map(m) => {
                let mut v: Vec<(String, Value)> = Vec::with_capacity(m.len());
                for (k, x) in m {
                    let k = self.eval(k)?.to_text();
                    let x = self.eval(x)?;
                    self.charge(&x)?;
                    match v.iter().position(|(kk, _)| *kk == k) {
                        Some(p) => v[p].1 = x,
                        None => v.push((k, x)),
                    }
                }
                Value::Map(v)
            }
            Expr::Ref(r) => self.get(r)?.unwrap_or(Value::Null),
            Expr::Not(x) => Value::Bool(!self.eval(x)?.truthy()),
            Expr::Neg(x) => arith(Op::Sub, &Value::Int(0), &self.eval(x)?),
            Expr::Bin(Op::And, a, b) => {
                Value::Bool(self.eval(a)?.truthy() && self.eval(b)?.truthy())
            }
            Expr::Bin(Op::Or, a, b) => {
                Value::Bool(self.eval(a)?.truthy() || self.eval(b)?.truthy())
            }
            Expr::Bin(op, a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                match op {
                    Op::Eq => Value::Bool(equals(&a, &b)),
                    Op::Ne => Value::Bool(!equals(&a, &b)),
                    Op::Lt | Op::Gt | Op::Le | Op::Ge => {
                        let ord = match (a.as_str(), b.as_str()) {
                            (Some(x), Some(y)) => x.partial_cmp(y),
                            _ => num(&a).partial_cmp(&num(&b)),
                        };
                        let Some(o) = ord else {
                            return Ok(Value::Bool(false));
                        };
                        Value::Bool(match op {
                            Op::Lt => o.is_lt(),
                            Op::Gt => o.is_gt(),
                            Op::Le => o.is_le(),
                            _ => o.is_ge(),
                        })
                    }
                    // `+` with a string operand concatenates, as Velocity 1.7 does.
                    Op::Add if a.is_string() || b.is_string() => {
                        let v = Value::str(&(a.to_text() + &b.to_text()));
                        self.bound(&v)?;
                        v
                    }
                    _ => arith(*op, &a, &b),
                }
            }
        })
    }
}

fn prop<'d>(v: &Value<'d>, n: &str) -> Option<Value<'d>> {
    match v {
        _ if v.is_map() => v.map_get(n),
        // Velocity's `$s.empty` / `$l.size` style getters.
        _ => super::methods::call(&mut v.clone(), n, &[]).or_else(|| {
            let g = format!("get{}{}", n[..1].to_uppercase(), &n[1..]);
            super::methods::call(&mut v.clone(), &g, &[])
        }),
    }
}

fn index<'d>(v: &Value<'d>, k: &Value<'d>) -> Option<Value<'d>> {
    match (v, k) {
        (Value::List(l), Value::Int(i)) => {
            let i = if *i < 0 { l.len() as i64 + i } else { *i };
            l.get(usize::try_from(i).ok()?).cloned()
        }
        (Value::Json(n), Value::Int(i)) if n.is_array() => n.index(*i).map(Value::from_node),
        (v, k) if v.is_map() => v.map_get(&k.text()),
        _ => None,
    }
}

/// A call's arguments: inline for the one or two every `$util` and Java method takes.
type Args<'e> = SmallVec<[Value<'e>; 2]>;

/// Template variables: few per template, so a linear scan over inline storage beats hashing
/// and allocates nothing until a template sets more than eight.
struct Vars<'p, 'e>(SmallVec<[(&'p str, Value<'e>); 8]>);

impl<'p, 'e> Vars<'p, 'e> {
    fn get(&self, k: &str) -> Option<&Value<'e>> {
        self.0.iter().find(|(n, _)| *n == k).map(|(_, v)| v)
    }
    fn get_mut(&mut self, k: &str) -> Option<&mut Value<'e>> {
        self.0.iter_mut().find(|(n, _)| *n == k).map(|(_, v)| v)
    }
    fn insert(&mut self, k: &'p str, v: Value<'e>) -> Option<Value<'e>> {
        match self.get_mut(k) {
            Some(slot) => Some(std::mem::replace(slot, v)),
            None => {
                self.0.push((k, v));
                None
            }
        }
    }
    fn remove(&mut self, k: &str) -> Option<Value<'e>> {
        let at = self.0.iter().position(|(n, _)| *n == k)?;
        Some(self.0.remove(at).1)
    }
}

/// What `#foreach` walks: a list's items, a map's values, a parsed array's elements or a parsed
/// object's values (read in place, one at a time).
enum Items<'d> {
    Owned(std::vec::IntoIter<Value<'d>>),
    Parsed(Elements<'d>),
}

impl<'d> Items<'d> {
    fn of(v: Value<'d>) -> Items<'d> {
        match v {
            Value::List(l) => Items::Owned(l.into_iter()),
            Value::Map(m) => Items::Owned(
                m.into_iter()
                    .map(|(_, v)| v)
                    .collect::<Vec<_>>()
                    .into_iter(),
            ),
            Value::Json(n) => Items::Parsed(n.children()),
            _ => Items::Owned(Vec::new().into_iter()),
        }
    }
    fn len(&self) -> usize {
        match self {
            Items::Owned(i) => i.len(),
            Items::Parsed(e) => e.len(),
        }
    }
}

impl<'d> Iterator for Items<'d> {
    type Item = Value<'d>;
    fn next(&mut self) -> Option<Value<'d>> {
        match self {
            Items::Owned(i) => i.next(),
            Items::Parsed(e) => e.next().map(Value::from_node),
        }
    }
}
