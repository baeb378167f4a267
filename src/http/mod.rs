//! HTTP/1.1 framing: the request head parser with hard limits and smuggling checks, body decoders,
//! the backend response head parser and the response encoder. Everything here is sans-io: it works
//! on byte slices owned by the connection, records positions as `Span`s, and never allocates.

pub mod body;
pub mod date;
pub mod error;
pub mod request;
pub mod response;
mod syntax;
pub mod upstream;
pub mod uri;

pub use error::HeadError;

/// Most headers a request or backend response may carry. More is 431 (request) or 502 (backend).
pub const MAX_HEADERS: usize = 100;

/// A byte range into the buffer a head was parsed from. `u32` keeps heads small and `Copy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    #[inline]
    pub fn get<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.start as usize..self.end as usize]
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderSpan {
    pub name: Span,
    pub value: Span,
}

/// The media type of a `Content-Type` value or one `Accept` item: parameters cut, surrounding
/// whitespace trimmed, case kept (`Application/JSON; charset=utf-8` -> `Application/JSON`).
pub fn media_type(value: &[u8]) -> &[u8] {
    let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    value[..end].trim_ascii()
}

/// The value of header `name_lowercase` (ASCII case-insensitive) among parsed `headers`; when a
/// header is repeated the last line wins. Shared by request and backend-response heads.
#[inline]
pub fn find_header<'a>(
    headers: &[HeaderSpan],
    buf: &'a [u8],
    name_lowercase: &[u8],
) -> Option<&'a [u8]> {
    headers
        .iter()
        .rev()
        .find(|h| h.name.get(buf).eq_ignore_ascii_case(name_lowercase))
        .map(|h| h.value.get(buf))
}

/// Parsed `headers` in order, as (name, value).
#[inline]
pub fn header_pairs<'a>(
    headers: &'a [HeaderSpan],
    buf: &'a [u8],
) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
    headers
        .iter()
        .map(move |h| (h.name.get(buf), h.value.get(buf)))
}

/// Limits on what a client may send; defaults are API Gateway's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Request target length; over it is 414.
    pub max_url: usize,
    /// Whole head (request line + headers); over it is 431.
    pub max_head: usize,
    /// Header count; over it is 431.
    pub max_headers: usize,
    /// Decoded body size; over it is 413.
    pub max_body: usize,
    /// The integration request head the gateway renders (request line + headers, mapped values
    /// included); over it is 413 and the backend sees nothing. The default is API Gateway's REST
    /// quota "Total combined size of request line and header values", 10240 bytes
    /// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html>):
    /// without it, one 9 KiB client header mapped into nine integration headers becomes an
    /// 83 KiB backend head.
    pub max_integration_head: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_url: 10 * 1024,
            max_head: 10 * 1024,
            max_headers: MAX_HEADERS,
            max_body: 10 * 1024 * 1024,
            max_integration_head: 10 * 1024,
        }
    }
}

/// How a message body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    None,
    ContentLength(u64),
    Chunked,
    /// Backend responses only: the body runs until the backend closes.
    UntilClose,
}
