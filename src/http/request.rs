//! The request head parser. Contract (implemented by the http helper):
//!
//! `parse(buf, limits, out) -> Result<Option<usize>, HeadError>`: `Ok(None)` = incomplete (need
//! more bytes; returns `Err` early if the bytes so far already break a limit), `Ok(Some(n))` = a
//! complete head of `n` bytes, `out` filled with spans into `buf`.

use super::{Framing, HeaderSpan, Span, MAX_HEADERS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
    Options,
    /// Any other token; the route lookup will not find it.
    Other,
}

#[derive(Debug, Clone)]
pub struct RequestHead {
    pub method: Method,
    pub method_span: Span,
    /// The whole request target (origin-form), e.g. `/prod/pets?limit=2`.
    pub target: Span,
    /// Path part of the target, without the query.
    pub path: Span,
    /// Query part without the `?`; empty when absent.
    pub query: Span,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    pub headers: [HeaderSpan; MAX_HEADERS],
    pub n_headers: usize,
    pub host: Option<Span>,
    pub framing: Framing,
    /// Whether the connection may be reused after this request (HTTP/1.1 without
    /// `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`).
    pub keep_alive: bool,
    pub expect_continue: bool,
}
