//! Introspection of a compiled program for the deploy step: the constant JSONPaths its
//! `$input.json`/`$input.path` calls use, so they are compiled once per deployment.

use super::ast::{Expr, Node, Part, Ref};
use super::parser::Program;

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
                if !out.contains(&&**p) {
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
