use super::*;
use std::io::Cursor;

/// A stream that reads from a fixed input and records what is written.
struct Fake {
    input: Cursor<Vec<u8>>,
    output: Vec<u8>,
}

impl Read for Fake {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Fake {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn conn(input: &[u8]) -> Conn<Fake> {
    Conn::new(Fake {
        input: Cursor::new(input.to_vec()),
        output: Vec::new(),
    })
}

fn rejected(r: Result<Request, ReadError>) -> ApiError {
    match r {
        Err(ReadError::Reject(e)) => e,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn reads_pipelined_requests_with_bodies_and_query() {
    let mut c = conn(
        b"POST /restapis?mode=import&failonwarnings=true&x=a%20b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\
          GET /restapis/a%2Fb HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    let r = c.read_request(10).unwrap();
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.body.as_slice()),
        ("POST", "/restapis", &b"abc"[..])
    );
    assert_eq!(r.query("mode"), Some("import"));
    assert_eq!(r.query("x"), Some("a b"));
    assert!(r.keep_alive);
    let r = c.read_request(10).unwrap();
    assert_eq!(r.segments().unwrap(), ["restapis", "a/b"]);
    assert!(!r.keep_alive);
    assert!(matches!(c.read_request(10), Err(ReadError::Closed)));
}

#[test]
fn decodes_chunked_bodies() {
    let mut c = conn(b"PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n");
    assert_eq!(c.read_request(10).unwrap().body, b"abcde");
}

#[test]
fn http10_closes_unless_keep_alive() {
    assert!(
        !conn(b"GET / HTTP/1.0\r\n\r\n")
            .read_request(0)
            .unwrap()
            .keep_alive
    );
    assert!(
        conn(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .read_request(0)
            .unwrap()
            .keep_alive
    );
}

#[test]
fn answers_expect_continue_before_the_body() {
    let mut c = conn(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
    c.read_request(10).unwrap();
    assert_eq!(c.stream.output, b"HTTP/1.1 100 Continue\r\n\r\n");
}

#[test]
fn enforces_limits_and_framing_rules() {
    let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
    assert_eq!(
        rejected(conn(big.as_bytes()).read_request(10)),
        ApiError::HeadTooLarge
    );
    let many: String = (0..=MAX_HEADERS).map(|i| format!("H{i}: v\r\n")).collect();
    let many = format!("GET / HTTP/1.1\r\n{many}\r\n");
    assert_eq!(
        rejected(conn(many.as_bytes()).read_request(10)),
        ApiError::HeadTooLarge
    );
    let cases: &[(&[u8], ApiError)] = &[
        (
            b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n",
            ApiError::BodyTooLarge,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n",
            ApiError::BodyTooLarge,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            ApiError::LengthRequired,
        ),
    ];
    for (input, want) in cases {
        assert_eq!(&rejected(conn(input).read_request(10)), want);
    }
    let long_ext = format!(
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;{}\r\nx\r\n0\r\n\r\n",
        "e".repeat(crate::http::body::MAX_CHUNK_EXT + 1)
    );
    for bad in [
        long_ext.as_bytes(),
        &b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy0\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    ] {
        assert!(matches!(
            rejected(conn(bad).read_request(10)),
            ApiError::BadRequest(_)
        ));
    }
}

#[test]
fn truncated_body_is_an_io_error() {
    let r = conn(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab").read_request(10);
    assert!(matches!(r, Err(ReadError::Io(_))));
}

#[test]
fn writes_status_headers_and_length() {
    let mut c = conn(b"");
    c.write_response(
        &Response::json(201, &serde_json::json!({"a": 1})),
        "rid",
        true,
    )
    .unwrap();
    let text = String::from_utf8(c.stream.output).unwrap();
    assert!(text.starts_with("HTTP/1.1 201 Created\r\n"), "{text}");
    assert!(text.contains("Content-Type: application/json\r\n"));
    assert!(text.contains("Content-Length: 7\r\n"));
    assert!(text.contains("Connection: close\r\n"));
    assert!(text.ends_with("\r\n\r\n{\"a\":1}"));
}

#[test]
fn status_lines_use_the_rfc_9110_reason_phrases() {
    // Once `HTTP/1.1 429 Unknown`: the admin port had a reason table of its own.
    for (status, line) in [
        (403, "HTTP/1.1 403 Forbidden\r\n"),
        (404, "HTTP/1.1 404 Not Found\r\n"),
        (429, "HTTP/1.1 429 Too Many Requests\r\n"),
        (413, "HTTP/1.1 413 Content Too Large\r\n"),
        (202, "HTTP/1.1 202 Accepted\r\n"),
    ] {
        let mut c = conn(b"");
        c.write_response(&Response::empty(status), "rid", false)
            .unwrap();
        let text = String::from_utf8(c.stream.output).unwrap();
        assert!(text.starts_with(line), "{text}");
    }
}

#[test]
fn percent_decoding() {
    assert_eq!(percent_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
    assert_eq!(percent_decode("%zz"), None);
    assert_eq!(percent_decode("%2"), None);
}
