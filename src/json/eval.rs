//! JSONPath evaluation over a parsed body, with Jayway's result shapes.
//!
//! Invariants: never panics; work is bounded by `BUDGET` node visits per evaluation (a path such
//! as `$..a..b..c` over a large body is cut short rather than run away); a definite path is
//! walked without allocating, and filters are evaluated by callbacks, not by building lists.

use super::path::{Expr, Op, Operand, Path, Sel, Step};
use super::tape::{Kind, Node};

/// Node visits allowed per evaluation: far above any sane path over a 10 MB body.
const BUDGET: usize = 4_000_000;

/// What a path found: a definite path yields one value or none; an indefinite one a list, in
/// document order (Jayway's order for deep scans: a node, then its children).
#[derive(Debug, Clone, PartialEq)]
pub enum Found<'a> {
    One(Option<Node<'a>>),
    Many(Vec<Node<'a>>),
}

impl Path {
    /// Evaluates the path over `root`.
    pub fn eval<'a>(&self, root: Node<'a>) -> Found<'a> {
        if self.definite {
            return Found::One(self.eval_definite(root));
        }
        let mut out = Vec::new();
        let mut cx = Cx {
            root,
            budget: BUDGET,
        };
        cx.walk(&self.steps, root, &mut |v| {
            out.push(v);
            true
        });
        Found::Many(out)
    }

    /// Evaluates a definite path without allocating; `None` for an indefinite path or a miss.
    pub fn eval_definite<'a>(&self, root: Node<'a>) -> Option<Node<'a>> {
        if !self.definite {
            return None;
        }
        self.steps.iter().try_fold(root, |v, s| match s {
            Step::Key(k) => key(v, k),
            Step::Index(i) => index(v, *i),
            _ => None,
        })
    }
}

fn key<'a>(v: Node<'a>, k: &str) -> Option<Node<'a>> {
    v.field(k)
}

fn index(v: Node<'_>, i: i64) -> Option<Node<'_>> {
    v.index(i)
}

struct Cx<'a> {
    root: Node<'a>,
    budget: usize,
}

/// Children of a container in document order.
fn children(v: Node<'_>) -> super::tape::Elements<'_> {
    v.children()
}

impl<'a> Cx<'a> {
    /// Calls `f` on every value `steps` selects from `v`; `f` returns false to stop. Returns false
    /// when stopped (by `f` or by the budget).
    fn walk(&mut self, steps: &[Step], v: Node<'a>, f: &mut dyn FnMut(Node<'a>) -> bool) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        match steps.split_first() {
            None => f(v),
            Some((step, rest)) => self.step(step, rest, v, f),
        }
    }

    /// Applies one step to `v`, then the remaining steps to each value it selects.
    fn step(
        &mut self,
        step: &Step,
        rest: &[Step],
        v: Node<'a>,
        f: &mut dyn FnMut(Node<'a>) -> bool,
    ) -> bool {
        match step {
            Step::Key(k) => key(v, k).is_none_or(|c| self.walk(rest, c, f)),
            Step::Index(i) => index(v, *i).is_none_or(|c| self.walk(rest, c, f)),
            Step::Wildcard => children(v).all(|c| self.walk(rest, c, f)),
            Step::Union(sels) => sels.iter().all(|s| {
                let c = match s {
                    Sel::Key(k) => key(v, k),
                    Sel::Index(i) => index(v, *i),
                };
                c.is_none_or(|c| self.walk(rest, c, f))
            }),
            Step::Slice(start, end, stepn) => {
                if !v.is_array() {
                    return true;
                }
                // Indexes ascend, so one pass over the elements serves them all.
                let mut els = v.elements().enumerate();
                slice_indexes(v.size().unwrap_or(0), *start, *end, *stepn).all(|i| {
                    match els.find(|(j, _)| *j == i) {
                        Some((_, c)) => self.walk(rest, c, f),
                        None => true,
                    }
                })
            }
            Step::Filter(e) => match v.kind() {
                Kind::Array => v
                    .elements()
                    .all(|c| !self.test(e, c) || self.walk(rest, c, f)),
                // Jayway applies a filter on an object to the object itself.
                Kind::Object => !self.test(e, v) || self.walk(rest, v, f),
                _ => true,
            },
            Step::Deep(inner) => self.deep(inner, rest, v, f),
        }
    }

    fn deep(
        &mut self,
        inner: &Step,
        rest: &[Step],
        v: Node<'a>,
        f: &mut dyn FnMut(Node<'a>) -> bool,
    ) -> bool {
        if !v.is_array() && !v.is_object() {
            return true;
        }
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        let here = match inner {
            // A deep-scan filter selects among array elements only, so an object matching the
            // filter is not reported twice (once as an element, once as itself).
            Step::Filter(e) => match v.kind() {
                Kind::Array => v
                    .elements()
                    .all(|c| !self.test(e, c) || self.walk(rest, c, f)),
                _ => true,
            },
            _ => self.step(inner, rest, v, f),
        };
        here && children(v).all(|c| self.deep(inner, rest, c, f))
    }

    /// Evaluates a filter predicate with `@` = `cur`.
    fn test(&mut self, e: &Expr, cur: Node<'a>) -> bool {
        match e {
            Expr::Or(a, b) => self.test(a, cur) || self.test(b, cur),
            Expr::And(a, b) => self.test(a, cur) && self.test(b, cur),
            Expr::Not(a) => !self.test(a, cur),
            Expr::Exists(o) => self.first(o, cur).is_some(),
            Expr::Match(o, re) => {
                matches!(self.first(o, cur), Some(Lit::V(v)) if v.as_str().is_some_and(|s| re.is_match(s)))
            }
            Expr::Cmp(l, op, r) => {
                let (Some(l), Some(r)) = (self.first(l, cur), self.first(r, cur)) else {
                    // A missing property makes every comparison false, `!=` included.
                    return false;
                };
                compare(&l, *op, &r)
            }
        }
    }

    /// The first value an operand denotes.
    fn first<'b>(&mut self, o: &'b Operand, cur: Node<'a>) -> Option<Lit<'b>>
    where
        'a: 'b,
    {
        let (steps, start) = match o {
            Operand::Current(s) => (s, cur),
            Operand::Root(s) => (s, self.root),
            Operand::Str(s) => return Some(Lit::Str(s)),
            Operand::Num(n) => return Some(Lit::Num(*n)),
            Operand::Bool(b) => return Some(Lit::Bool(*b)),
            Operand::Null => return Some(Lit::Null),
        };
        let mut found = None;
        self.walk(steps, start, &mut |v| {
            found = Some(v);
            false
        });
        found.map(Lit::V)
    }
}

enum Lit<'a> {
    V(Node<'a>),
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Null,
}

enum Scalar<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Null,
    Other(Node<'a>),
}

fn scalar<'a>(l: &Lit<'a>) -> Scalar<'a> {
    match *l {
        Lit::Str(s) => Scalar::Str(s),
        Lit::Num(n) => Scalar::Num(n),
        Lit::Bool(b) => Scalar::Bool(b),
        Lit::Null => Scalar::Null,
        Lit::V(v) => match v.kind() {
            Kind::Str(s) => Scalar::Str(s),
            Kind::I64(_) | Kind::U64(_) | Kind::F64(_) => {
                v.as_f64().map_or(Scalar::Other(v), Scalar::Num)
            }
            Kind::Bool(b) => Scalar::Bool(b),
            Kind::Null => Scalar::Null,
            _ => Scalar::Other(v),
        },
    }
}

fn compare(l: &Lit<'_>, op: Op, r: &Lit<'_>) -> bool {
    use std::cmp::Ordering;
    let ord = match (scalar(l), scalar(r)) {
        (Scalar::Num(a), Scalar::Num(b)) => a.partial_cmp(&b),
        (Scalar::Str(a), Scalar::Str(b)) => Some(a.cmp(b)),
        (Scalar::Bool(a), Scalar::Bool(b)) => (a == b).then_some(Ordering::Equal),
        (Scalar::Null, Scalar::Null) => Some(Ordering::Equal),
        (Scalar::Other(a), Scalar::Other(b)) => a.json_eq(b).then_some(Ordering::Equal),
        _ => None,
    };
    match op {
        Op::Eq => ord == Some(Ordering::Equal),
        Op::Ne => ord != Some(Ordering::Equal),
        Op::Lt => ord == Some(Ordering::Less),
        Op::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => ord == Some(Ordering::Greater),
        Op::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    }
}

/// Python-style slice indexes, as Jayway's `[start:end]` (step 1 unless given; step <= 0 is empty).
fn slice_indexes(
    len: usize,
    start: Option<i64>,
    end: Option<i64>,
    step: i64,
) -> impl Iterator<Item = usize> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let norm = |i: i64| {
        if i < 0 {
            i.saturating_add(len).max(0)
        } else {
            i.min(len)
        }
    };
    let s = norm(start.unwrap_or(0));
    let e = if step <= 0 {
        s
    } else {
        norm(end.unwrap_or(len))
    };
    let step = usize::try_from(step).unwrap_or(1).max(1);
    // Indexes lie in 0..len, so they fit a usize.
    (s..e.max(s)).step_by(step).map(|i| i as usize)
}
