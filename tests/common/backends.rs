//! In-process upstream servers on 127.0.0.1:0, one thread per connection. Each kind does one
//! thing (echo, a fixed status, stream chunks, stall, reset, misbehave) so a test can point an
//! integration URI at exactly the behaviour it checks. Threads are never joined: they die with the
//! test process.

use serde_json::{json, Map, Value};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub enum Kind {
    /// 200 with a JSON description of the request; `/status/NNN` answers NNN instead.
    /// Keep-alive; HEAD gets headers only.
    Echo,
    /// Always this status and body.
    Fixed(u16, &'static str),
    /// A chunked response streamed in parts: the head and first part at once, the rest only after
    /// `release()` (or 5 s).
    Chunked,
    /// Sleeps `?ms=N` (default 2000) before answering 200.
    Slow,
    /// Reads the request, then resets the connection (SO_LINGER 0).
    Reset,
    /// Announces Content-Length 1000 (or chunked, with `true`), sends part, then closes.
    MidBody { chunked: bool },
    /// A status line that is not HTTP.
    Malformed,
    /// A response carrying both Content-Length and Transfer-Encoding, followed by an unasked
    /// second response marked `X-Smuggled: yes`.
    ClTe,
}

pub struct Upstream {
    pub addr: SocketAddr,
    pub name: String,
    conns: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    release: Arc<AtomicBool>,
}

impl Upstream {
    pub fn start(name: &str, kind: Kind) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind upstream");
        let addr = listener.local_addr().unwrap();
        let conns = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(AtomicBool::new(false));
        let (c, r, rel, n) = (
            conns.clone(),
            requests.clone(),
            release.clone(),
            name.to_string(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let (r, rel, n, kind) = (r.clone(), rel.clone(), n.clone(), kind.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &kind, &n, &r, &rel);
                });
            }
        });
        Upstream {
            addr,
            name: name.to_string(),
            conns,
            requests,
            release,
        }
    }

    pub fn echo(name: &str) -> Upstream {
        Upstream::start(name, Kind::Echo)
    }

    /// A port nothing listens on: bound, then closed.
    pub fn refused_addr() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    }

    pub fn connections(&self) -> usize {
        self.conns.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn release(&self) {
        self.release.store(true, Ordering::SeqCst);
    }

    pub fn hostport(&self) -> String {
        self.addr.to_string()
    }
}

/// One parsed request as a backend sees it.
#[derive(Debug)]
pub struct SeenRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl SeenRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request from `s` (leftover bytes carried in `buf`); `Ok(None)` at a clean EOF.
pub fn read_request(s: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Option<SeenRequest>> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut tmp = [0u8; 16384];
        let n = s.read(&mut tmp)?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(bad("eof in head"))
            };
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    buf.drain(..end + 4);
    let mut lines = head.split("\r\n");
    let mut rl = lines.next().unwrap_or_default().split(' ');
    let method = rl.next().unwrap_or_default().to_string();
    let target = rl.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    for l in lines {
        let (k, v) = l.split_once(':').ok_or_else(|| bad("bad header"))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut req = SeenRequest {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    let fill = |s: &mut TcpStream, buf: &mut Vec<u8>| -> io::Result<()> {
        let mut tmp = [0u8; 16384];
        let n = s.read(&mut tmp)?;
        if n == 0 {
            return Err(bad("eof in body"));
        }
        buf.extend_from_slice(&tmp[..n]);
        Ok(())
    };
    let te = req
        .header("transfer-encoding")
        .map(|v| v.to_ascii_lowercase());
    if te.is_some_and(|t| t.contains("chunked")) {
        loop {
            let nl = loop {
                if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                fill(s, buf)?;
            };
            let line = String::from_utf8_lossy(&buf[..nl]).into_owned();
            buf.drain(..nl + 2);
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("chunk size"))?;
            if size == 0 {
                // trailers
                loop {
                    let nl = loop {
                        if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                            break i;
                        }
                        fill(s, buf)?;
                    };
                    buf.drain(..nl + 2);
                    if nl == 0 {
                        break;
                    }
                }
                break;
            }
            while buf.len() < size + 2 {
                fill(s, buf)?;
            }
            req.body.extend(buf.drain(..size));
            buf.drain(..2);
        }
    } else if let Some(cl) = req.header("content-length") {
        let n: usize = cl.parse().map_err(|_| bad("content-length"))?;
        while buf.len() < n {
            fill(s, buf)?;
        }
        req.body = buf.drain(..n).collect();
    }
    Ok(Some(req))
}

fn describe(req: &SeenRequest, name: &str) -> Value {
    let mut headers = Map::new();
    for (k, v) in &req.headers {
        let k = k.to_ascii_lowercase();
        match headers.get_mut(&k) {
            Some(Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(v);
            }
            _ => {
                headers.insert(k, Value::String(v.clone()));
            }
        }
    }
    let (path, query) = match req.target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (req.target.clone(), String::new()),
    };
    json!({
        "backend": name,
        "method": req.method,
        "target": req.target,
        "path": path,
        "query": query,
        "headers": headers,
        "body": String::from_utf8_lossy(&req.body),
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        418 => "I'm a teapot",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn respond(
    s: &mut TcpStream,
    status: u16,
    name: &str,
    body: &[u8],
    head_only: bool,
) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Backend: {name}\r\n\r\n",
        reason(status),
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body);
    }
    s.write_all(&out)
}

fn wants_close(req: &SeenRequest) -> bool {
    req.header("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case("close"))
}

fn query_ms(target: &str, default: u64) -> u64 {
    target
        .split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("ms=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn serve(
    mut s: TcpStream,
    kind: &Kind,
    name: &str,
    requests: &AtomicUsize,
    release: &AtomicBool,
) -> io::Result<()> {
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut s, &mut buf)? else {
            return Ok(());
        };
        requests.fetch_add(1, Ordering::SeqCst);
        let head_only = req.method == "HEAD";
        match kind {
            Kind::Echo => {
                let status = req
                    .target
                    .strip_prefix("/status/")
                    .and_then(|rest| rest.get(..3))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(200);
                let body = describe(&req, name).to_string();
                respond(&mut s, status, name, body.as_bytes(), head_only)?;
            }
            Kind::Fixed(status, body) => {
                respond(&mut s, *status, name, body.as_bytes(), head_only)?
            }
            Kind::Slow => {
                std::thread::sleep(Duration::from_millis(query_ms(&req.target, 2000)));
                respond(&mut s, 200, name, br#"{"slow":"done"}"#, head_only)?;
            }
            Kind::Chunked => {
                s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n",
                )?;
                let deadline = Instant::now() + Duration::from_secs(5);
                while !release.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                s.write_all(b"7\r\nsecond\n\r\n6\r\nthird\n\r\n0\r\n\r\n")?;
            }
            Kind::Reset => {
                reset(&s);
                return Ok(());
            }
            Kind::MidBody { chunked } => {
                if *chunked {
                    s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\npartial")?;
                } else {
                    let mut out = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec();
                    out.extend_from_slice(&[b'x'; 100]);
                    s.write_all(&out)?;
                }
                std::thread::sleep(Duration::from_millis(50));
                return Ok(());
            }
            Kind::Malformed => {
                s.write_all(b"HTTP/1.1 OK-ish\r\nContent-Length: 2\r\n\r\nok")?;
                std::thread::sleep(Duration::from_millis(50));
                return Ok(());
            }
            Kind::ClTe => {
                s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n\
                      HTTP/1.1 200 OK\r\nX-Smuggled: yes\r\nContent-Length: 8\r\n\r\nsmuggled",
                )?;
            }
        }
        if wants_close(&req) {
            return Ok(());
        }
    }
}

/// Closes with RST: SO_LINGER {on, 0}.
pub fn reset(s: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Every upstream the black-box API document points at, with `@NAME@` placeholders.
pub struct Backends {
    pub echo: Upstream,
    pub echo_b: Upstream,
    pub teapot: Upstream,
    pub chunked: Upstream,
    pub slow: Upstream,
    pub reset: Upstream,
    pub refused: SocketAddr,
    pub malformed: Upstream,
    pub midbody: Upstream,
    pub midchunk: Upstream,
    pub clte: Upstream,
}

impl Backends {
    pub fn start() -> Backends {
        Backends {
            echo: Upstream::echo("echo-a"),
            echo_b: Upstream::echo("echo-b"),
            teapot: Upstream::start("teapot", Kind::Fixed(418, r#"{"teapot":true}"#)),
            chunked: Upstream::start("chunked", Kind::Chunked),
            slow: Upstream::start("slow", Kind::Slow),
            reset: Upstream::start("reset", Kind::Reset),
            refused: Upstream::refused_addr(),
            malformed: Upstream::start("malformed", Kind::Malformed),
            midbody: Upstream::start("midbody", Kind::MidBody { chunked: false }),
            midchunk: Upstream::start("midchunk", Kind::MidBody { chunked: true }),
            clte: Upstream::start("clte", Kind::ClTe),
        }
    }

    /// Replaces `@ECHO@`, `@ECHO_B@`, ... with `127.0.0.1:PORT`.
    pub fn render(&self, template: &str) -> String {
        let refused = self.refused.to_string();
        let pairs: [(&str, String); 11] = [
            ("@ECHO_B@", self.echo_b.hostport()),
            ("@ECHO@", self.echo.hostport()),
            ("@TEAPOT@", self.teapot.hostport()),
            ("@CHUNKED@", self.chunked.hostport()),
            ("@SLOW@", self.slow.hostport()),
            ("@RESET@", self.reset.hostport()),
            ("@REFUSED@", refused),
            ("@MALFORMED@", self.malformed.hostport()),
            ("@MIDBODY@", self.midbody.hostport()),
            ("@MIDCHUNK@", self.midchunk.hostport()),
            ("@CLTE@", self.clte.hostport()),
        ];
        let mut out = template.to_string();
        for (k, v) in pairs {
            out = out.replace(k, &v);
        }
        assert!(!out.contains("@ECHO"), "unrendered placeholder");
        out
    }
}
