//! Evaluates a compiled web ACL against one request, as AWS does: rules in priority order, the
//! first matching rule whose action is Allow or Block ends evaluation, a Count rule is recorded
//! and evaluation goes on, and the default action applies when nothing terminated.
//!
//! The request is read through `Source` (the pipeline's `Request`, or a fuzz/test fake). No
//! allocation: every value is inspected in place or through the caller's `Scratch`.

use super::transform::{apply, Bufs};
use super::{
    Action, Comparison, Field, Forwarded, IpPosition, Oversize, Position, Program, RateKey,
    Statement, Transforms, BODY_LIMIT,
};
use crate::pipeline::params::query_pairs;
use regex_automata::meta::Cache;
use regex_automata::Input;
use std::net::IpAddr;

/// What WAF reads of a request.
pub trait Source {
    fn method(&self) -> &[u8];
    /// The URI path as the client sent it (still percent-encoded).
    fn path(&self) -> &[u8];
    /// The raw query string, without `?`.
    fn query(&self) -> &[u8];
    /// The first value of a header (`name` lower case).
    fn header(&self, name: &[u8]) -> Option<&[u8]>;
    fn body(&self) -> &[u8];
    fn peer(&self) -> IpAddr;
    fn now_secs(&self) -> u64;
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub blocked: bool,
    /// The rule (index in `Program::rules`) that ended evaluation; `None`: the default action.
    pub rule: Option<u16>,
    /// The custom response to answer with (index in `Program::responses`).
    pub response: Option<u16>,
    /// How many Count rules matched on the way.
    pub counted: u16,
}

/// What a core lends the evaluator: transformation buffers, and a regex search cache for each
/// regex of the programs it has run (built the first time a program runs on the core, kept
/// for the most recent `KEPT_PROGRAMS`).
#[derive(Debug, Default)]
pub struct Scratch {
    pub bufs: Bufs,
    caches: Vec<(u64, Vec<Cache>)>,
}

/// More programs than any core alternates between (one per stage with a web ACL, plus the
/// ones a republish replaced); past it every cache is dropped and rebuilt on use.
const KEPT_PROGRAMS: usize = 32;

impl Scratch {
    pub fn with_capacity(n: usize) -> Scratch {
        Scratch {
            bufs: Bufs::with_capacity(n),
            caches: Vec::new(),
        }
    }

    fn caches_for(&mut self, p: &Program) -> (&mut Bufs, &mut [Cache]) {
        let i = match self.caches.iter().position(|(id, _)| *id == p.id) {
            Some(i) => i,
            None => self.add(p),
        };
        (&mut self.bufs, &mut self.caches[i].1)
    }

    #[cold]
    fn add(&mut self, p: &Program) -> usize {
        if self.caches.len() >= KEPT_PROGRAMS {
            self.caches.clear();
        }
        let caches = p.regexes.iter().map(|r| r.create_cache()).collect();
        self.caches.push((p.id, caches));
        self.caches.len() - 1
    }
}

/// One evaluation's view of the program's regexes and this core's working memory.
struct Ctx<'a> {
    p: &'a Program,
    bufs: &'a mut Bufs,
    caches: &'a mut [Cache],
}

pub fn evaluate(p: &Program, src: &impl Source, scratch: &mut Scratch) -> Outcome {
    let (bufs, caches) = scratch.caches_for(p);
    let mut cx = Ctx { p, bufs, caches };
    let mut counted = 0u16;
    for (i, rule) in p.rules.iter().enumerate() {
        if !matches(&rule.statement, src, &mut cx) {
            continue;
        }
        match rule.action {
            Action::Count => counted = counted.saturating_add(1),
            Action::Allow => return outcome(false, Some(i as u16), None, counted),
            Action::Block(response) => return outcome(true, Some(i as u16), response, counted),
        }
    }
    match p.default_action {
        Action::Block(response) => outcome(true, None, response, counted),
        Action::Allow | Action::Count => outcome(false, None, None, counted),
    }
}

fn outcome(blocked: bool, rule: Option<u16>, response: Option<u16>, counted: u16) -> Outcome {
    Outcome {
        blocked,
        rule,
        response,
        counted,
    }
}

fn matches(s: &Statement, src: &impl Source, cx: &mut Ctx<'_>) -> bool {
    match s {
        Statement::IpSet { cidrs, forwarded } => match forwarded {
            None => {
                let ip = src.peer();
                cidrs.iter().any(|c| c.contains(ip))
            }
            Some(f) => forwarded_ips(f, src, |ip| cidrs.iter().any(|c| c.contains(ip))),
        },
        Statement::ByteMatch {
            field,
            transforms,
            search,
            position,
        } => any_value(field, transforms, src, cx.bufs, |v| {
            position_match(*position, v, search)
        }),
        Statement::Regex {
            field,
            transforms,
            regex,
        } => {
            let (re, cache) = (
                &cx.p.regexes[*regex as usize],
                &mut cx.caches[*regex as usize],
            );
            any_value(field, transforms, src, cx.bufs, |v| {
                re.is_match_with(cache, &Input::new(v).earliest(true))
            })
        }
        Statement::Size {
            field,
            transforms,
            op,
            size,
        } => any_value(field, transforms, src, cx.bufs, |v| {
            compare(*op, v.len() as u64, *size)
        }),
        Statement::Sqli { field, transforms } => any_value(field, transforms, src, cx.bufs, |v| {
            libinjectionrs::detect_sqli(v).is_injection()
        }),
        Statement::Xss { field, transforms } => any_value(field, transforms, src, cx.bufs, |v| {
            libinjectionrs::detect_xss(v).is_injection()
        }),
        Statement::Rate {
            limit,
            window_secs,
            key,
            scope_down,
            counters,
        } => {
            if let Some(scope) = scope_down {
                if !matches(scope, src, cx) {
                    return false;
                }
            }
            let key = match key {
                RateKey::Ip => Some(src.peer()),
                RateKey::Constant => None,
                RateKey::Forwarded(f) => match first_forwarded(f, src) {
                    Some(ip) => Some(ip),
                    None => return f.fallback_match,
                },
            };
            counters.hit(key, src.now_secs(), *window_secs) > *limit
        }
        Statement::And(all) => all.iter().all(|s| matches(s, src, cx)),
        Statement::Or(any) => any.iter().any(|s| matches(s, src, cx)),
        Statement::Not(s) => !matches(s, src, cx),
    }
}

/// Calls `test` on each value of `field` after `transforms`, until one passes. A field that is
/// absent from the request matches nothing.
fn any_value(
    field: &Field,
    transforms: &Transforms,
    src: &impl Source,
    scratch: &mut Bufs,
    mut test: impl FnMut(&[u8]) -> bool,
) -> bool {
    let mut one = |v: &[u8], scratch: &mut Bufs| test(apply(transforms, v, scratch));
    match field {
        Field::UriPath => one(src.path(), scratch),
        Field::QueryString => one(src.query(), scratch),
        Field::Method => one(src.method(), scratch),
        Field::SingleHeader(name) => match src.header(name) {
            Some(v) => one(v, scratch),
            None => false,
        },
        Field::SingleQueryArgument(name) => query_pairs(src.query())
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .any(|(_, v)| one(v, scratch)),
        Field::AllQueryArguments => query_pairs(src.query()).any(|(_, v)| one(v, scratch)),
        Field::Body(oversize) => {
            let body = src.body();
            if body.len() > BODY_LIMIT {
                match oversize {
                    Oversize::Match => return true,
                    Oversize::NoMatch => return false,
                    Oversize::Continue => return one(&body[..BODY_LIMIT], scratch),
                }
            }
            one(body, scratch)
        }
    }
}

fn position_match(p: Position, v: &[u8], s: &[u8]) -> bool {
    match p {
        Position::Exactly => v == s,
        Position::StartsWith => v.starts_with(s),
        Position::EndsWith => v.ends_with(s),
        Position::Contains => memchr::memmem::find(v, s).is_some(),
        Position::ContainsWord => {
            let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
            memchr::memmem::find_iter(v, s).any(|at| {
                let before = at == 0 || !word(v[at - 1]);
                let end = at + s.len();
                let after = end == v.len() || !word(v[end]);
                before && after
            })
        }
    }
}

fn compare(op: Comparison, len: u64, size: u64) -> bool {
    match op {
        Comparison::Eq => len == size,
        Comparison::Ne => len != size,
        Comparison::Le => len <= size,
        Comparison::Lt => len < size,
        Comparison::Ge => len >= size,
        Comparison::Gt => len > size,
    }
}

/// The addresses in a forwarded-IP header (`X-Forwarded-For: client, proxy1, proxy2`), at most
/// ten, tested per `Position`; a missing header or an invalid address is the fallback.
fn forwarded_ips(f: &Forwarded, src: &impl Source, test: impl Fn(IpAddr) -> bool) -> bool {
    let Some(value) = src.header(&f.header) else {
        return f.fallback_match;
    };
    let parse = |part: &[u8]| -> Option<IpAddr> {
        std::str::from_utf8(part.trim_ascii()).ok()?.parse().ok()
    };
    let mut parts = value.split(|&b| b == b',').take(10);
    match f.position {
        IpPosition::First => parts.next().and_then(parse).map_or(f.fallback_match, test),
        IpPosition::Last => parts.last().and_then(parse).map_or(f.fallback_match, test),
        IpPosition::Any => {
            let mut any_valid = false;
            for p in parts {
                match parse(p) {
                    Some(ip) if test(ip) => return true,
                    Some(_) => any_valid = true,
                    None => return f.fallback_match,
                }
            }
            !any_valid && f.fallback_match
        }
    }
}

/// The first address of a forwarded-IP header (what rate-based rules aggregate on).
fn first_forwarded(f: &Forwarded, src: &impl Source) -> Option<IpAddr> {
    let value = src.header(&f.header)?;
    let first = value.split(|&b| b == b',').next()?;
    std::str::from_utf8(first.trim_ascii()).ok()?.parse().ok()
}
