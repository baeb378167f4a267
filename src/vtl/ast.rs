//! Syntax tree of a compiled template. Text runs are byte ranges into the source so the
//! renderer copies them straight out of it.

/// One node of a template body.
#[derive(Debug, Clone)]
pub enum Node {
    /// Literal text: `source[start..end]`.
    Text(usize, usize),
    /// A reference printed into the output; `raw` is its source range, printed when undefined
    /// unless `quiet` (`$!`).
    Ref {
        r: Ref,
        quiet: bool,
        raw: (usize, usize),
    },
    Set(Ref, Expr),
    If(Vec<(Expr, Vec<Node>)>, Option<Vec<Node>>),
    Foreach(String, Expr, Vec<Node>),
    /// `#break` (false: innermost #foreach, macro, #define or the template) or
    /// `#break($foreach)` (true: innermost #foreach only).
    Break(bool),
    /// `#stop`: ends the whole render, keeping what was output.
    Stop,
    /// `#define($name) body #end`: `$name` renders `body` where it is used.
    Define(String, Vec<Node>),
    /// `#name(args)`: a macro call; `raw` is printed when no macro has that name.
    Call {
        name: String,
        args: Vec<Expr>,
        raw: (usize, usize),
    },
}

/// `#macro(name $a $b) body #end`; its text nodes point into the program source.
#[derive(Debug, Clone)]
pub struct Macro {
    pub name: String,
    pub params: Vec<String>,
    pub body: Vec<Node>,
}

/// A reference: `$name` followed by property, index and method accessors.
#[derive(Debug, Clone)]
pub struct Ref {
    pub name: String,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone)]
pub enum Part {
    Prop(String),
    Index(Expr),
    Call(String, Vec<Expr>),
}

#[derive(Debug, Clone)]
pub enum Expr {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Single-quoted (or double-quoted without references): literal, shared so evaluating it
    /// allocates nothing. `Arc`, not `Rc`: compiled programs live in snapshots every worker reads.
    Str(std::sync::Arc<str>),
    /// Double-quoted: interpolated at render time.
    Interp(Vec<Node>, String),
    List(Vec<Expr>),
    Range(Box<Expr>, Box<Expr>),
    Map(Vec<(Expr, Expr)>),
    Ref(Ref),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    And,
    Or,
}
