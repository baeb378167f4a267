//! The compiled resource tree of one stage: maps (HTTP method, request path) to the method to run
//! and the spans of its path parameters, the way API Gateway REST APIs route.
//!
//! Contract: `Router::lookup(&self, method: &[u8], path: &[u8], caps: &mut Captures) ->
//! Option<MethodIdx>`; `path` is the request path after the stage segment (may be empty or `/`);
//! captures are spans into `path`, in `MethodRuntime::path_params` order, raw (still
//! percent-encoded).
//!
//! Semantics (AWS): segments split on `/`; one trailing slash is ignored; an empty segment
//! anywhere else (`//`) matches nothing. At each segment a literal child wins over `{param}`,
//! which wins over `{name+}`; when a branch fails deeper the next one is tried. A greedy
//! `{name+}` matches one or more remaining segments (so `/{proxy+}` does not match `/`) and
//! captures them joined with `/`. On the resource a path reaches, the exact method wins, then
//! `ANY` (which stands for the seven methods API Gateway serves). If that resource has neither,
//! the search backtracks too: a `POST /pets` on an API with only `GET /pets` and `ANY
//! /{proxy+}` goes to the proxy, which is what a catch-all proxy resource is declared for.
//!
//! Invariants: every node sits at a fixed depth, so each node is visited at most once per lookup
//! (backtracking is linear in the tree, never exponential); lookup never allocates.

use crate::deploy::path::{parse_path, PathError, Segment};
use crate::deploy::snapshot::MethodIdx;
use crate::http::Span;
use std::collections::BTreeMap;
use std::fmt;

pub const MAX_CAPTURES: usize = 16;

#[derive(Debug, Clone, Copy, Default)]
pub struct Captures {
    pub len: usize,
    pub spans: [Span; MAX_CAPTURES],
}

impl Captures {
    /// The captured spans of the last successful lookup.
    pub fn as_slice(&self) -> &[Span] {
        &self.spans[..self.len]
    }
}

const NONE: u32 = u32::MAX;
/// The methods a node can hold, by code; `ANY` last.
const METHODS: [&[u8]; 8] = [
    b"GET", b"PUT", b"POST", b"DELETE", b"PATCH", b"HEAD", b"OPTIONS", b"ANY",
];
const ANY: usize = 7;

#[inline]
fn method_code(method: &[u8]) -> Option<usize> {
    METHODS.iter().position(|m| *m == method)
}

#[derive(Debug, Clone)]
struct Node {
    /// Range into `Router::lits`, sorted by literal bytes for binary search.
    lits_start: u32,
    lits_end: u32,
    param: u32,
    greedy: u32,
    /// `MethodIdx` per method code, `NONE` where not declared.
    methods: [u32; 8],
}

#[derive(Debug, Clone, Copy)]
struct LitEdge {
    /// Range into `Router::lit_bytes`.
    start: u32,
    end: u32,
    node: u32,
}

/// Why a route could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    Path { path: String, error: PathError },
    UnknownMethod { path: String, method: String },
    Duplicate { path: String, method: String },
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::Path { path, error } => {
                write!(f, "Unable to create resource at path '{path}': {error}")
            }
            RouteError::UnknownMethod { path, method } => write!(
                f,
                "Unable to put method '{method}' on resource at path '{path}': Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
            ),
            RouteError::Duplicate { path, method } => write!(
                f,
                "Unable to put method '{method}' on resource at path '{path}': Method already exists for this resource"
            ),
        }
    }
}

/// One method on one resource, as handed to `Router::build`.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    pub path: &'a str,
    pub method: &'a str,
    pub idx: MethodIdx,
}

#[derive(Debug, Default)]
pub struct Router {
    nodes: Vec<Node>,
    lits: Vec<LitEdge>,
    lit_bytes: Box<[u8]>,
}

/// The mutable tree used while building; flattened into `Router` at the end.
#[derive(Default)]
struct BuildNode {
    lits: BTreeMap<String, usize>,
    param: Option<usize>,
    greedy: Option<usize>,
    methods: [u32; 8],
}

impl Router {
    /// Builds the tree from every (resource path, method) of a stage. All errors are reported.
    pub fn build<'a>(
        routes: impl IntoIterator<Item = Route<'a>>,
    ) -> Result<Router, Vec<RouteError>> {
        let new_node = || BuildNode {
            methods: [NONE; 8],
            ..BuildNode::default()
        };
        let mut tree = vec![new_node()];
        let mut errors = Vec::new();
        for route in routes {
            let segments = match parse_path(route.path) {
                Ok(s) => s,
                Err(error) => {
                    errors.push(RouteError::Path {
                        path: route.path.to_string(),
                        error,
                    });
                    continue;
                }
            };
            let Some(code) = method_code(route.method.as_bytes()) else {
                errors.push(RouteError::UnknownMethod {
                    path: route.path.to_string(),
                    method: route.method.to_string(),
                });
                continue;
            };
            let mut at = 0;
            for seg in segments {
                let next = tree.len();
                let slot = match seg {
                    Segment::Literal(l) => tree[at].lits.entry(l.to_string()).or_insert(next),
                    Segment::Param(_) => tree[at].param.get_or_insert(next),
                    Segment::Greedy(_) => tree[at].greedy.get_or_insert(next),
                };
                at = *slot;
                if at == next {
                    tree.push(new_node());
                }
            }
            if tree[at].methods[code] != NONE {
                errors.push(RouteError::Duplicate {
                    path: route.path.to_string(),
                    method: route.method.to_string(),
                });
                continue;
            }
            tree[at].methods[code] = route.idx.0;
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Router::flatten(tree))
    }

    fn flatten(tree: Vec<BuildNode>) -> Router {
        let mut nodes = Vec::with_capacity(tree.len());
        let mut lits = Vec::new();
        let mut lit_bytes = Vec::new();
        let opt = |o: Option<usize>| o.map_or(NONE, |n| n as u32);
        for b in &tree {
            let lits_start = lits.len() as u32;
            // BTreeMap iterates in byte order of the String, which is what lookup's binary
            // search compares.
            for (lit, &node) in &b.lits {
                let start = lit_bytes.len() as u32;
                lit_bytes.extend_from_slice(lit.as_bytes());
                lits.push(LitEdge {
                    start,
                    end: lit_bytes.len() as u32,
                    node: node as u32,
                });
            }
            nodes.push(Node {
                lits_start,
                lits_end: lits.len() as u32,
                param: opt(b.param),
                greedy: opt(b.greedy),
                methods: b.methods,
            });
        }
        Router {
            nodes,
            lits,
            lit_bytes: lit_bytes.into_boxed_slice(),
        }
    }

    /// The method for a request, filling `caps` with its path parameters. Never allocates.
    pub fn lookup(&self, method: &[u8], path: &[u8], caps: &mut Captures) -> Option<MethodIdx> {
        if self.nodes.is_empty() {
            return None;
        }
        let code = method_code(method).filter(|&c| c != ANY)?;
        let start = usize::from(path.first() == Some(&b'/'));
        let mut end = path.len();
        // One trailing slash is ignored, but not the second slash of `//`.
        if end > start + 1 && path[end - 1] == b'/' && path[end - 2] != b'/' {
            end -= 1;
        }
        self.walk(0, path, start, end, code, caps, 0)
    }

    #[inline]
    fn method_at(&self, node: u32, code: usize) -> Option<MethodIdx> {
        let methods = &self.nodes[node as usize].methods;
        [methods[code], methods[ANY]]
            .into_iter()
            .find(|&m| m != NONE)
            .map(MethodIdx)
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        node: u32,
        path: &[u8],
        pos: usize,
        end: usize,
        code: usize,
        caps: &mut Captures,
        ncap: usize,
    ) -> Option<MethodIdx> {
        if pos >= end {
            let found = self.method_at(node, code)?;
            caps.len = ncap;
            return Some(found);
        }
        let n = &self.nodes[node as usize];
        let seg_end = path[pos..end]
            .iter()
            .position(|&b| b == b'/')
            .map_or(end, |i| pos + i);
        let seg = &path[pos..seg_end];
        if seg.is_empty() {
            return None;
        }
        let next = if seg_end == end { end } else { seg_end + 1 };
        let edges = &self.lits[n.lits_start as usize..n.lits_end as usize];
        if let Ok(i) =
            edges.binary_search_by(|e| self.lit_bytes[e.start as usize..e.end as usize].cmp(seg))
        {
            if let Some(found) = self.walk(edges[i].node, path, next, end, code, caps, ncap) {
                return Some(found);
            }
        }
        if n.param != NONE && ncap < MAX_CAPTURES {
            caps.spans[ncap] = span(pos, seg_end);
            if let Some(found) = self.walk(n.param, path, next, end, code, caps, ncap + 1) {
                return Some(found);
            }
        }
        if n.greedy != NONE && ncap < MAX_CAPTURES && !path[pos..end].windows(2).any(|w| w == b"//")
        {
            let found = self.method_at(n.greedy, code)?;
            caps.spans[ncap] = span(pos, end);
            caps.len = ncap + 1;
            return Some(found);
        }
        None
    }
}

#[inline]
fn span(start: usize, end: usize) -> Span {
    Span {
        start: start as u32,
        end: end as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::build(routes.iter().enumerate().map(|(i, &(path, method))| Route {
            path,
            method,
            idx: MethodIdx(i as u32),
        }))
        .unwrap()
    }

    /// (method, path) -> (index into the route table, captured strings), or None for a miss.
    type Case<'a> = (&'a str, &'a str, Option<(usize, &'a [&'a str])>);

    fn check(routes: &[(&str, &str)], cases: &[Case]) {
        let r = router(routes);
        for &(method, path, want) in cases {
            let mut caps = Captures::default();
            let got = r
                .lookup(method.as_bytes(), path.as_bytes(), &mut caps)
                .map(|m| {
                    let caps: Vec<&str> = caps
                        .as_slice()
                        .iter()
                        .map(|s| std::str::from_utf8(s.get(path.as_bytes())).unwrap())
                        .collect();
                    (m.0 as usize, caps)
                });
            let want = want.map(|(i, c)| (i, c.to_vec()));
            assert_eq!(got, want, "{method} {path:?}");
        }
    }

    #[test]
    fn literal_param_and_root_routes() {
        let routes = [
            ("/", "GET"),
            ("/pets", "GET"),
            ("/pets", "POST"),
            ("/pets/{petId}", "GET"),
            ("/pets/search", "GET"),
            ("/pets/{petId}/toys/{toyId}", "DELETE"),
        ];
        check(
            &routes,
            &[
                ("GET", "", Some((0, &[]))),
                ("GET", "/", Some((0, &[]))),
                ("GET", "/pets", Some((1, &[]))),
                ("GET", "/pets/", Some((1, &[]))),
                ("POST", "/pets", Some((2, &[]))),
                ("PUT", "/pets", None),
                ("GET", "/pets/1", Some((3, &["1"]))),
                ("GET", "/pets/1/", Some((3, &["1"]))),
                ("GET", "/pets/search", Some((4, &[]))),
                ("GET", "/pets/a%20b", Some((3, &["a%20b"]))),
                ("DELETE", "/pets/7/toys/9", Some((5, &["7", "9"]))),
                ("GET", "/Pets", None),
                ("GET", "/pets//", None),
                ("GET", "//", None),
                ("GET", "//pets", None),
                ("GET", "/pets//1", None),
                ("GET", "/pets/1/toys", None),
                ("GET", "/nothing", None),
                ("get", "/pets", None),
                ("ANY", "/pets", None),
                ("BREW", "/pets", None),
            ],
        );
    }

    #[test]
    fn backtracking_from_literal_to_param_to_greedy() {
        let routes = [
            ("/a/b/c", "GET"),
            ("/a/{x}/d", "GET"),
            ("/a/{x+}", "GET"),
            ("/a/b", "POST"),
        ];
        check(
            &routes,
            &[
                ("GET", "/a/b/c", Some((0, &[]))),
                // literal `b` fails at `d`, so `{x}` takes `b`.
                ("GET", "/a/b/d", Some((1, &["b"]))),
                // both fail deeper: the greedy parameter takes the rest.
                ("GET", "/a/b/e", Some((2, &["b/e"]))),
                ("GET", "/a/b/c/d", Some((2, &["b/c/d"]))),
                ("GET", "/a/b", Some((2, &["b"]))),
                ("POST", "/a/b", Some((3, &[]))),
                ("GET", "/a/b/", Some((2, &["b"]))),
                ("GET", "/a", None),
                ("GET", "/a/", None),
                ("GET", "/a/b//c", None),
            ],
        );
    }

    #[test]
    fn greedy_with_any_and_method_fallback() {
        let routes = [
            ("/{proxy+}", "ANY"),
            ("/pets", "GET"),
            ("/pets/{id}", "ANY"),
            ("/pets/{id}", "DELETE"),
        ];
        check(
            &routes,
            &[
                // `/{proxy+}` needs at least one segment.
                ("GET", "/", None),
                ("GET", "", None),
                ("GET", "/x", Some((0, &["x"]))),
                ("PATCH", "/x/y/z/", Some((0, &["x/y/z"]))),
                ("GET", "/pets", Some((1, &[]))),
                // `/pets` has no POST and no ANY: backtrack to the proxy.
                ("POST", "/pets", Some((0, &["pets"]))),
                ("DELETE", "/pets/1", Some((3, &["1"]))),
                ("HEAD", "/pets/1", Some((2, &["1"]))),
                ("OPTIONS", "/pets/1/x", Some((0, &["pets/1/x"]))),
            ],
        );
    }

    #[test]
    fn intermediate_resources_without_methods_do_not_match() {
        let routes = [("/a/b/c", "GET"), ("/{p}/b", "GET")];
        check(
            &routes,
            &[
                ("GET", "/a/b", Some((1, &["a"]))),
                ("GET", "/a", None),
                ("GET", "/a/b/c", Some((0, &[]))),
            ],
        );
    }

    #[test]
    fn empty_router_matches_nothing() {
        let mut caps = Captures::default();
        assert_eq!(Router::default().lookup(b"GET", b"/", &mut caps), None);
        assert_eq!(router(&[]).lookup(b"GET", b"/", &mut caps), None);
    }

    #[test]
    fn build_reports_every_error() {
        let errs = Router::build([
            Route {
                path: "/a/{x",
                method: "GET",
                idx: MethodIdx(0),
            },
            Route {
                path: "/a",
                method: "TRACE",
                idx: MethodIdx(1),
            },
            Route {
                path: "/b",
                method: "GET",
                idx: MethodIdx(2),
            },
            Route {
                path: "/b",
                method: "GET",
                idx: MethodIdx(3),
            },
        ])
        .unwrap_err();
        assert_eq!(errs.len(), 3);
        assert!(matches!(errs[0], RouteError::Path { .. }));
        assert!(matches!(errs[1], RouteError::UnknownMethod { .. }));
        assert!(matches!(errs[2], RouteError::Duplicate { .. }));
    }
}
