//! A Lambda Invoke endpoint in the test process whose answers a function of the request picks:
//! for tests that need a particular reply (a function error, a Deny, a request id) without the
//! cargo-lambda emulator. Keep-alive connections, one thread each; it serves until the process
//! ends.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};

/// What the endpoint answers: status, extra headers, JSON body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// Starts the endpoint; `answer` gets each request's path and body.
pub fn start(answer: fn(&str, &str) -> Answer) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = match s.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            let (n, v) = l.split_once(':')?;
                            n.eq_ignore_ascii_case("content-length").then_some(v)
                        })
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() < end + 4 + len {
                        continue;
                    }
                    let path = head.split(' ').nth(1).unwrap_or_default().to_string();
                    let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string();
                    buf.drain(..end + 4 + len);
                    let a = answer(&path, &body);
                    let mut reply = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                        a.status,
                        a.body.len()
                    );
                    for (n, v) in &a.headers {
                        reply.push_str(&format!("{n}: {v}\r\n"));
                    }
                    reply.push_str("\r\n");
                    reply.push_str(&a.body);
                    if s.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}
