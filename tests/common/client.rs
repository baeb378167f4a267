//! A deliberately small HTTP/1.1 client over a std `TcpStream`: it sends raw bytes (so tests can
//! send malformed requests) and parses responses strictly (status, headers, Content-Length,
//! chunked, read-until-close), keeping the connection for keep-alive and pipelining tests.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body came chunked.
    pub chunked: bool,
}

impl Response {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .count()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): status {} {:?}",
                self.status,
                self.text()
            )
        })
    }

    /// Whether the server said it will close after this response.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// How a response body is framed, from its head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

pub struct Conn {
    pub stream: TcpStream,
    /// Bytes read but not yet consumed.
    buf: Vec<u8>,
}

/// Builds a request. Adds `Content-Length` when there is a body (or for POST/PUT/PATCH) unless
/// the caller passed `Content-Length` or `Transfer-Encoding` itself.
pub fn build_request(
    method: &str,
    target: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n").into_bytes();
    let mut framed = false;
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding") {
            framed = true;
        }
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    if !framed && (!body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH")) {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Encodes `parts` as a chunked body, terminating chunk included.
pub fn chunked(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("{:x}\r\n", p.len()).as_bytes());
        out.extend_from_slice(p);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Conn {
    pub fn connect(addr: SocketAddr) -> Conn {
        Conn::try_connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"))
    }

    pub fn try_connect(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    pub fn set_read_timeout(&self, d: Duration) {
        self.stream.set_read_timeout(Some(d)).unwrap();
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    pub fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends one request and reads its response.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        host: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        self.try_send(&build_request(method, target, host, headers, body))?;
        self.read_response_for(method)
    }

    /// Reads more bytes into the buffer; `Ok(0)` at EOF.
    fn fill(&mut self) -> io::Result<usize> {
        let mut tmp = [0u8; 16384];
        let n = self.stream.read(&mut tmp)?;
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n)
    }

    fn eof() -> io::Error {
        io::Error::new(ErrorKind::UnexpectedEof, "connection closed mid-message")
    }

    /// Reads a response to a non-HEAD request. 1xx responses are returned as they come.
    pub fn read_response(&mut self) -> io::Result<Response> {
        self.read_response_for("GET")
    }

    pub fn read_response_for(&mut self, method: &str) -> io::Result<Response> {
        let (mut resp, framing) = self.read_head()?;
        let framing = if method == "HEAD" {
            Framing::None
        } else {
            framing
        };
        resp.chunked = framing == Framing::Chunked;
        resp.body = self.read_body(framing)?;
        Ok(resp)
    }

    /// Reads and parses a response head.
    pub fn read_head(&mut self) -> io::Result<(Response, Framing)> {
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.fill()? == 0 {
                return Err(if self.buf.is_empty() {
                    io::Error::new(ErrorKind::UnexpectedEof, "closed before a response")
                } else {
                    Conn::eof()
                });
            }
        };
        let head: Vec<u8> = self.buf.drain(..end + 4).collect();
        let text = String::from_utf8_lossy(&head[..end]).into_owned();
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let bad = || {
            io::Error::new(
                ErrorKind::InvalidData,
                format!("bad status line {status_line:?}"),
            )
        };
        let mut sp = status_line.splitn(3, ' ');
        let version = sp.next().ok_or_else(bad)?;
        if !version.starts_with("HTTP/1.") {
            return Err(bad());
        }
        let status: u16 = sp.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let reason = sp.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        for l in lines {
            let (k, v) = l.split_once(':').ok_or_else(|| {
                io::Error::new(ErrorKind::InvalidData, format!("bad header {l:?}"))
            })?;
            headers.push((k.to_string(), v.trim().to_string()));
        }
        let resp = Response {
            status,
            reason,
            headers,
            body: Vec::new(),
            chunked: false,
        };
        let te = resp
            .header("transfer-encoding")
            .map(|v| v.to_ascii_lowercase());
        let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
            Framing::None
        } else if te
            .as_deref()
            .is_some_and(|t| t.trim_end().ends_with("chunked"))
        {
            Framing::Chunked
        } else if let Some(cl) = resp.header("content-length") {
            Framing::Length(cl.trim().parse().map_err(|_| {
                io::Error::new(ErrorKind::InvalidData, format!("bad content-length {cl:?}"))
            })?)
        } else {
            Framing::UntilClose
        };
        Ok((resp, framing))
    }

    pub fn read_body(&mut self, framing: Framing) -> io::Result<Vec<u8>> {
        match framing {
            Framing::None => Ok(Vec::new()),
            Framing::Length(n) => {
                while self.buf.len() < n {
                    if self.fill()? == 0 {
                        return Err(Conn::eof());
                    }
                }
                Ok(self.buf.drain(..n).collect())
            }
            Framing::UntilClose => {
                while self.fill()? != 0 {}
                Ok(std::mem::take(&mut self.buf))
            }
            Framing::Chunked => {
                let mut body = Vec::new();
                loop {
                    let line = self.read_line()?;
                    let size_txt = line.split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(size_txt, 16).map_err(|_| {
                        io::Error::new(ErrorKind::InvalidData, format!("bad chunk size {line:?}"))
                    })?;
                    if size == 0 {
                        // Trailers until the empty line.
                        while !self.read_line()?.is_empty() {}
                        return Ok(body);
                    }
                    while self.buf.len() < size + 2 {
                        if self.fill()? == 0 {
                            return Err(Conn::eof());
                        }
                    }
                    body.extend(self.buf.drain(..size));
                    if self.buf.drain(..2).as_slice() != b"\r\n" {
                        return Err(io::Error::new(ErrorKind::InvalidData, "chunk without CRLF"));
                    }
                }
            }
        }
    }

    fn read_line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = find(&self.buf, b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..i + 2).collect();
                return Ok(String::from_utf8_lossy(&line[..i]).into_owned());
            }
            if self.fill()? == 0 {
                return Err(Conn::eof());
            }
        }
    }

    /// Reads (without consuming) until `pat` has arrived; false on timeout/EOF.
    pub fn wait_for_bytes(&mut self, pat: &[u8], timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while find(&self.buf, pat).is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            match self.fill() {
                Ok(0) | Err(_) => {
                    self.stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
                    return false;
                }
                Ok(_) => {}
            }
        }
        self.stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        true
    }

    /// True when the peer closes (EOF or reset) within `timeout` without sending anything more.
    /// Bytes that do arrive are ignored up to 64 KiB (a lingering close may still deliver some).
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut extra = 0usize;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut tmp = [0u8; 4096];
            match self.stream.read(&mut tmp) {
                Ok(0) => return true,
                Ok(n) => {
                    extra += n;
                    if extra > 65536 {
                        return false;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return false
                }
                Err(_) => return true, // reset
            }
        }
    }

    /// Bytes buffered but not consumed by a parse.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}
