//! AWS WAF (wafv2) web ACLs compiled for a stage: the immutable `Program` a stage's snapshot holds
//! once a web ACL is associated with it, and the evaluator the `pipeline::waf` phase runs right
//! after route (AWS evaluates WAF before authorizers and API keys).
//!
//! The admin layer (`admin::wafv2`) stores web ACLs, IP sets and regex pattern sets in AWS's JSON
//! shapes; `compile` turns one web ACL (with the sets it references, resolved by ARN) into a
//! `Program`: rules sorted by priority, regexes compiled, search strings decoded, CIDRs parsed,
//! transformations checked. Anything the evaluator would not enforce as written (an unknown
//! statement, field or transformation, a regex that does not compile) is a compile error naming
//! it, which the admin API answers as `WAFInvalidParameterException`: never silently ignored.
//!
//! Invariants of evaluation (`eval`): no allocation (transformations write into the caller's
//! reused `Scratch`), no lock (rate-based counters are atomics, see `rate`), bounded work (the
//! body is inspected up to `BODY_LIMIT`, API Gateway's 8 KB). One exception, outside this code:
//! libinjectionrs 0.1.1's SQL tokenizer upper-cases each word into a new `String` for its
//! keyword lookup (about three small allocations per value a `SqliMatchStatement` inspects);
//! its XSS detector allocates nothing. `tests/alloc_free.rs` proves the rest.

pub mod compile;
pub mod eval;
pub mod rate;
pub mod transform;

pub use compile::{compile, Catalog};
pub use eval::{evaluate, Outcome, Scratch, Source};

use crate::deploy::iam_policy::Cidr;
use std::sync::Arc;

/// How much of a body WAF inspects in front of API Gateway (AWS's fixed limit for REST APIs).
pub const BODY_LIMIT: usize = 8 * 1024;

/// One compiled web ACL.
#[derive(Debug)]
pub struct Program {
    /// Unique per compiled program: a core's regex caches are keyed by it.
    pub id: u64,
    /// The web ACL's ARN (what the stage's `webAclArn` names).
    pub arn: Box<str>,
    /// `DefaultAction`: what happens when no terminating rule matched.
    pub default_action: Action,
    /// Sorted by `Priority`, lowest first (the order AWS evaluates them in).
    pub rules: Box<[Rule]>,
    /// The custom responses rules (and the default action) refer to by index.
    pub responses: Box<[CustomResponse]>,
    /// Every regex the statements use (`Statement::Regex` indexes it); a regex pattern set is one
    /// regex of many patterns. Searched with a per-core cache (`Scratch`), never a shared one.
    pub regexes: Box<[Arc<Regex>]>,
}

pub type Regex = regex_automata::meta::Regex;

#[derive(Debug)]
pub struct Rule {
    pub name: Box<str>,
    pub action: Action,
    pub statement: Statement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Allow,
    /// With the index of its custom response in `Program::responses`, if any.
    Block(Option<u16>),
    Count,
}

/// `CustomResponse` with its body resolved from `CustomResponseBodies`.
#[derive(Debug)]
pub struct CustomResponse {
    pub status: u16,
    /// Names already carry AWS's `x-amzn-waf-` prefix.
    pub headers: Box<[(Box<str>, Box<str>)]>,
    pub content_type: Option<Box<str>>,
    pub body: Box<[u8]>,
}

#[derive(Debug)]
pub enum Statement {
    IpSet {
        cidrs: Arc<[Cidr]>,
        forwarded: Option<Forwarded>,
    },
    ByteMatch {
        field: Field,
        transforms: Transforms,
        search: Box<[u8]>,
        position: Position,
    },
    /// `RegexMatchStatement` and `RegexPatternSetReferenceStatement` (any pattern matches).
    Regex {
        field: Field,
        transforms: Transforms,
        /// Index into `Program::regexes`.
        regex: u16,
    },
    Size {
        field: Field,
        transforms: Transforms,
        op: Comparison,
        size: u64,
    },
    Sqli {
        field: Field,
        transforms: Transforms,
    },
    Xss {
        field: Field,
        transforms: Transforms,
    },
    Rate {
        limit: u64,
        window_secs: u64,
        key: RateKey,
        scope_down: Option<Box<Statement>>,
        counters: Arc<rate::RateTable>,
    },
    And(Box<[Statement]>),
    Or(Box<[Statement]>),
    Not(Box<Statement>),
}

/// `IPSetForwardedIPConfig` / `ForwardedIPConfig`.
#[derive(Debug, Clone)]
pub struct Forwarded {
    /// Lower case, for the request's header lookup.
    pub header: Box<[u8]>,
    /// `FallbackBehavior`: whether a missing or invalid header counts as a match.
    pub fallback_match: bool,
    pub position: IpPosition,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpPosition {
    First,
    Last,
    Any,
}

#[derive(Debug, Clone)]
pub enum RateKey {
    Ip,
    Forwarded(Forwarded),
    /// `CONSTANT`: every request in scope shares one counter.
    Constant,
}

/// `FieldToMatch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    UriPath,
    QueryString,
    /// Lower case name (AWS matches query argument names case-insensitively).
    SingleQueryArgument(Box<[u8]>),
    AllQueryArguments,
    /// Lower case name.
    SingleHeader(Box<[u8]>),
    Method,
    Body(Oversize),
}

/// `OversizeHandling` for a body over `BODY_LIMIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversize {
    /// Inspect the first `BODY_LIMIT` bytes.
    Continue,
    Match,
    NoMatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Exactly,
    StartsWith,
    EndsWith,
    Contains,
    ContainsWord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
}

/// A statement's `TextTransformations`, in priority order (at most 10, as on AWS).
pub type Transforms = Box<[transform::Transform]>;

#[cfg(test)]
mod tests;
