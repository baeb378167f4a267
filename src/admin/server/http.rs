//! HTTP/1.1 framing for the admin port, over blocking std streams: read one request (head with
//! `httparse`, then a Content-Length or chunked body) and write one response.
//!
//! The admin port is low-traffic and off the worker cores, so this favours clarity over the data
//! plane's zero-copy codec. Limits: a 64 KiB head (431), `max_body` bytes of body (413), and no
//! `Transfer-Encoding` other than chunked (411). Chunked bodies go through the data plane's
//! `http::body::ChunkedDecoder`, so both ports frame them by the same strict rules and bounds
//! (chunk extensions, trailers). Bytes read past one request stay in `Conn` for
//! the next one, so keep-alive and pipelining work.

use crate::admin::error::ApiError;
use crate::http::body::{BodyError, ChunkedDecoder};
use std::io::{self, Read, Write};

pub const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The path as sent, still percent-encoded, without the query.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the connection may carry another request after this one.
    pub keep_alive: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Path segments, percent-decoded; `None` if a segment is not UTF-8 once decoded.
    pub fn segments(&self) -> Option<Vec<String>> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, value: &impl serde::Serialize) -> Response {
        // Response shapes are plain data: serialising cannot fail.
        let body = serde_json::to_vec(value).expect("response shapes serialise to JSON");
        Response::bytes(status, "application/json", body)
    }

    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body,
        }
    }

    /// A success with no body (DeleteRestApi's 202).
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
pub enum ReadError {
    /// The peer closed cleanly between requests.
    Closed,
    /// The socket failed or timed out; nothing can be answered.
    Io(io::Error),
    /// The request cannot be served: answer with this, then close.
    Reject(ApiError),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

/// One connection's stream and the bytes read from it but not yet consumed.
pub struct Conn<S> {
    pub stream: S,
    buf: Vec<u8>,
}

impl<S: Read + Write> Conn<S> {
    pub fn new(stream: S) -> Conn<S> {
        Conn {
            stream,
            buf: Vec::with_capacity(8192),
        }
    }

    /// Reads more bytes into `buf`; `Ok(0)` at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 8192];
        let n = loop {
            match self.stream.read(&mut chunk) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    fn fill_or_eof(&mut self) -> Result<(), ReadError> {
        match self.fill()? {
            0 => Err(ReadError::Io(io::ErrorKind::UnexpectedEof.into())),
            _ => Ok(()),
        }
    }

    /// Reads one request. After a `Reject`, the connection must be closed: the rest of the
    /// stream is not at a request boundary.
    pub fn read_request(&mut self, max_body: usize) -> Result<Request, ReadError> {
        let head_len = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            if self.buf.len() >= MAX_HEAD {
                return Err(ReadError::Reject(ApiError::HeadTooLarge));
            }
            if self.fill()? == 0 {
                return Err(if self.buf.is_empty() {
                    ReadError::Closed
                } else {
                    ReadError::Io(io::ErrorKind::UnexpectedEof.into())
                });
            }
        };
        if head_len > MAX_HEAD {
            return Err(ReadError::Reject(ApiError::HeadTooLarge));
        }
        let mut req = parse_head(&self.buf[..head_len]).map_err(ReadError::Reject)?;
        self.buf.drain(..head_len);

        let chunked = match req.header("transfer-encoding") {
            None => false,
            Some(te) if te.trim().eq_ignore_ascii_case("chunked") => true,
            Some(_) => return Err(ReadError::Reject(ApiError::LengthRequired)),
        };
        let length = content_length(&req).map_err(ReadError::Reject)?;
        if chunked && length.is_some() {
            return Err(reject("both Content-Length and Transfer-Encoding"));
        }
        if length.is_some_and(|n| n > max_body) {
            return Err(ReadError::Reject(ApiError::BodyTooLarge));
        }
        let expects_body = chunked || length.is_some_and(|n| n > 0);
        if expects_body
            && req
                .header("expect")
                .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
        {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        req.body = if chunked {
            self.read_chunked(max_body)?
        } else {
            let n = length.unwrap_or(0);
            while self.buf.len() < n {
                self.fill_or_eof()?;
            }
            self.buf.drain(..n).collect()
        };
        Ok(req)
    }

    /// Decodes a chunked body with the data plane's decoder (the same strict framing and
    /// extension/trailer bounds), `max_body` counted on the decoded size.
    fn read_chunked(&mut self, max_body: usize) -> Result<Vec<u8>, ReadError> {
        let mut decoder = ChunkedDecoder::new(max_body);
        let mut body = Vec::new();
        loop {
            let (used, done) = decoder.decode(&self.buf, &mut body).map_err(|e| match e {
                BodyError::TooLarge => ReadError::Reject(ApiError::BodyTooLarge),
                BodyError::Malformed(why) => reject(why),
            })?;
            self.buf.drain(..used);
            if done {
                return Ok(body);
            }
            self.fill_or_eof()?;
        }
    }

    /// Writes `resp`; `close` adds `Connection: close`.
    pub fn write_response(
        &mut self,
        resp: &Response,
        request_id: &str,
        close: bool,
    ) -> io::Result<()> {
        let mut out = Vec::with_capacity(256 + resp.body.len());
        // The data plane's status-line writer: one table of reason phrases for both ports.
        crate::http::response::status_line(&mut out, resp.status);
        for (name, value) in &resp.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        let tail = format!(
            "x-amzn-RequestId: {request_id}\r\nContent-Length: {}\r\n{}\r\n",
            resp.body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        out.extend_from_slice(tail.as_bytes());
        out.extend_from_slice(&resp.body);
        self.stream.write_all(&out)?;
        self.stream.flush()
    }
}

fn reject(what: &str) -> ReadError {
    ReadError::Reject(ApiError::bad_request(format!(
        "Malformed HTTP request: {what}"
    )))
}

fn parse_head(head: &[u8]) -> Result<Request, ApiError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => return Err(ApiError::HeadTooLarge),
        _ => return Err(ApiError::bad_request("Malformed HTTP request")),
    }
    let target = parsed.path.unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect();
    let connection = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    let keep_alive = match parsed.version {
        Some(1) => !connection.contains("close"),
        _ => connection.contains("keep-alive"),
    };
    Ok(Request {
        method: parsed.method.unwrap_or_default().to_string(),
        path: path.to_string(),
        query: parse_query(query).ok_or_else(|| ApiError::bad_request("Malformed query string"))?,
        headers,
        body: Vec::new(),
        keep_alive,
    })
}

fn content_length(req: &Request) -> Result<Option<usize>, ApiError> {
    let mut found = None;
    for (_, v) in req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        let n: usize = v
            .parse()
            .map_err(|_| ApiError::bad_request("Malformed Content-Length"))?;
        if found.is_some_and(|f| f != n) {
            return Err(ApiError::bad_request("Conflicting Content-Length headers"));
        }
        found = Some(n);
    }
    Ok(found)
}

/// `a=1&b=x%20y` -> pairs, `+` as space (botocore encodes spaces as `%20`, browsers as `+`).
pub fn parse_query(q: &str) -> Option<Vec<(String, String)>> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((
                percent_decode(&k.replace('+', " "))?,
                percent_decode(&v.replace('+', " "))?,
            ))
        })
        .collect()
}

/// Decodes `%XX` escapes; `None` for a bad escape or non-UTF-8 result.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests;
