use super::*;

fn parse_default(buf: &[u8]) -> (Result<Option<usize>, HeadError>, RequestHead) {
    let mut head = RequestHead::new();
    let r = parse(buf, &Limits::default(), &mut head);
    (r, head)
}

fn status_of(buf: &[u8]) -> u16 {
    match parse_default(buf).0 {
        Ok(Some(_)) => 200,
        Ok(None) => 0,
        Err(e) => e.status(),
    }
}

#[test]
fn accepts_a_typical_request() {
    let buf = b"GET /prod/pets?limit=2&x=%20 HTTP/1.1\r\nHost: api.example.com\r\n\
        User-Agent: curl/8.0\r\nAccept: */*\r\nX-Dup: a\r\nx-dup: b\r\n\r\nBODY";
    let (r, h) = parse_default(buf);
    let n = r.unwrap().unwrap();
    assert_eq!(&buf[n..], b"BODY");
    assert_eq!(h.method, Method::Get);
    assert_eq!(h.method_span.get(buf), b"GET");
    assert_eq!(h.target.get(buf), b"/prod/pets?limit=2&x=%20");
    assert_eq!(h.path.get(buf), b"/prod/pets");
    assert_eq!(h.query.get(buf), b"limit=2&x=%20");
    assert_eq!(h.minor_version, 1);
    assert_eq!(h.host.unwrap().get(buf), b"api.example.com");
    assert_eq!(h.framing, Framing::None);
    assert!(h.keep_alive);
    assert!(!h.expect_continue);
    assert_eq!(h.n_headers, 5);
    assert_eq!(h.header(buf, b"user-agent"), Some(&b"curl/8.0"[..]));
    assert_eq!(
        h.header(buf, b"x-dup"),
        Some(&b"b"[..]),
        "last occurrence wins"
    );
    assert_eq!(h.header(buf, b"missing"), None);
    let names: Vec<&[u8]> = h.headers(buf).map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [&b"Host"[..], b"User-Agent", b"Accept", b"X-Dup", b"x-dup"]
    );
}

#[test]
fn incomplete_heads_ask_for_more_at_every_split() {
    let buf = b"POST /a?b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX: y \r\n\r\n";
    for i in 0..buf.len() {
        assert_eq!(parse_default(&buf[..i]).0, Ok(None), "split at {i}");
    }
    let (r, h) = parse_default(buf);
    assert_eq!(r, Ok(Some(buf.len())));
    assert_eq!(h.framing, Framing::ContentLength(3));
    assert_eq!(
        h.header(buf, b"x"),
        Some(&b"y"[..]),
        "trailing OWS is trimmed"
    );
}

#[test]
fn methods_are_case_sensitive_tokens() {
    let cases: &[(&[u8], Method)] = &[
        (b"GET", Method::Get),
        (b"POST", Method::Post),
        (b"PUT", Method::Put),
        (b"DELETE", Method::Delete),
        (b"PATCH", Method::Patch),
        (b"HEAD", Method::Head),
        (b"OPTIONS", Method::Options),
        (b"get", Method::Other),
        (b"PROPFIND", Method::Other),
    ];
    for (m, want) in cases {
        let mut buf = m.to_vec();
        buf.extend_from_slice(b" / HTTP/1.1\r\nHost: h\r\n\r\n");
        let (r, h) = parse_default(&buf);
        assert!(matches!(r, Ok(Some(_))), "{r:?}");
        assert_eq!(h.method, *want);
    }
}

#[test]
fn framing_keep_alive_and_expect() {
    let cases: &[(&[u8], Framing, bool, bool)] = &[
        (
            b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            Framing::None,
            true,
            false,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
            Framing::None,
            false,
            false,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n",
            Framing::None,
            false,
            false,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n",
            Framing::None,
            true,
            false,
        ),
        (b"GET / HTTP/1.0\r\n\r\n", Framing::None, false, false),
        (
            b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            Framing::None,
            true,
            false,
        ),
        (
            b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
            Framing::None,
            false,
            false,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
            Framing::ContentLength(0),
            true,
            false,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
            Framing::Chunked,
            true,
            false,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n",
            Framing::Chunked,
            true,
            false,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n",
            Framing::ContentLength(5),
            true,
            true,
        ),
        // RFC 9110 §10.1.1: ignored in HTTP/1.0.
        (
            b"POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
            Framing::ContentLength(5),
            false,
            false,
        ),
    ];
    for (buf, framing, keep_alive, expect) in cases {
        let (r, h) = parse_default(buf);
        assert_eq!(r, Ok(Some(buf.len())), "{}", String::from_utf8_lossy(buf));
        assert_eq!(
            (h.framing, h.keep_alive, h.expect_continue),
            (*framing, *keep_alive, *expect)
        );
    }
}

#[test]
fn target_forms() {
    // (method, target as sent, target recorded, path, query, host)
    type Case = (
        &'static [u8],
        &'static [u8],
        &'static [u8],
        &'static [u8],
        &'static [u8],
        &'static [u8],
    );
    let cases: &[Case] = &[
        (b"GET", b"/", b"/", b"/", b"", b"h"),
        (b"GET", b"/a?", b"/a?", b"/a", b"", b"h"),
        (b"GET", b"/a?b?c", b"/a?b?c", b"/a", b"b?c", b"h"),
        (
            b"GET",
            b"http://o.example:8080/p?q=1",
            b"/p?q=1",
            b"/p",
            b"q=1",
            b"o.example:8080",
        ),
        (b"GET", b"HTTPS://x/", b"/", b"/", b"", b"x"),
        (b"OPTIONS", b"*", b"*", b"*", b"", b"h"),
    ];
    for (method, sent, target, path, query, host) in cases {
        let buf = [*method, b" ", sent, b" HTTP/1.1\r\nHost: h\r\n\r\n"].concat();
        let (r, h) = parse_default(&buf);
        assert!(
            matches!(r, Ok(Some(_))),
            "{r:?} {}",
            String::from_utf8_lossy(sent)
        );
        assert_eq!(h.target.get(&buf), *target);
        assert_eq!(h.path.get(&buf), *path);
        assert_eq!(h.query.get(&buf), *query);
        assert_eq!(h.host.unwrap().get(&buf), *host);
    }
}

/// Every rejection the gateway promises, with the status it answers.
#[test]
fn rejections() {
    let long_target = [
        b"GET /".as_slice(),
        &[b'a'; 10 * 1024],
        b" HTTP/1.1\r\nHost: h\r\n\r\n",
    ]
    .concat();
    let too_many = {
        let mut b = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
        for i in 0..MAX_HEADERS {
            b.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        b.extend_from_slice(b"\r\n");
        b
    };
    let cases: &[(&str, &[u8], u16)] = &[
        // Framing ambiguity (request smuggling).
        ("CL and TE", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("TE and CL", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
        ("duplicate CL, equal", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 400),
        ("duplicate CL, differing", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ncontent-length: 4\r\n\r\n", 400),
        ("CL comma list", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\n", 400),
        ("CL non-digit", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3a\r\n\r\n", 400),
        ("CL plus sign", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\n", 400),
        ("CL minus sign", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -3\r\n\r\n", 400),
        ("CL empty", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400),
        ("CL hex", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x3\r\n\r\n", 400),
        ("CL overflow", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551616\r\n\r\n", 400),
        ("CL over max_body", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10485761\r\n\r\n", 413),
        ("TE chunked, gzip", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        ("TE identity", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", 400),
        ("TE empty", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n", 400),
        ("TE chunked twice", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        ("TE chunked twice, two lines", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("TE split: chunked then gzip", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        ("TE malformed", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", 400),
        ("TE on HTTP/1.0", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("TE gzip, chunked", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        // Line structure.
        ("obs-fold", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n", 400),
        ("obs-fold with tab", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", 400),
        ("leading whitespace before first header", b"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400),
        ("bare LF after request line", b"GET / HTTP/1.1\nHost: h\r\n\r\n", 400),
        ("bare LF after header", b"GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400),
        ("bare LF after header with OWS", b"GET / HTTP/1.1\r\nHost: h \nX: y\r\n\r\n", 400),
        ("bare LF after empty value", b"GET / HTTP/1.1\r\nHost: h\r\nX:\nY: z\r\n\r\n", 400),
        ("bare LF ending the head", b"GET / HTTP/1.1\r\nHost: h\r\n\n", 400),
        ("only bare LFs", b"GET / HTTP/1.1\nHost: h\n\n", 400),
        ("bare LF before request line", b"\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("bare CR in value", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400),
        ("bare CR ending header", b"GET / HTTP/1.1\r\nHost: h\rX: b\r\n\r\n", 400),
        ("bare CR after request line", b"GET / HTTP/1.1\rHost: h\r\n\r\n", 400),
        ("CR in target", b"GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("NUL in value", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 400),
        ("NUL in name", b"GET / HTTP/1.1\r\nHost: h\r\nX\0: a\r\n\r\n", 400),
        ("SP before colon", b"GET / HTTP/1.1\r\nHost: h\r\nX : a\r\n\r\n", 400),
        ("HTAB before colon", b"GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400),
        ("empty header name", b"GET / HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n", 400),
        // Host.
        ("two Host", b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
        ("two Host, different case", b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400),
        ("no Host on 1.1", b"GET / HTTP/1.1\r\nX: y\r\n\r\n", 400),
        ("Host with space", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        ("Host with userinfo", b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400),
        ("Host with slash", b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        // Request line.
        ("authority-form", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 400),
        ("asterisk without OPTIONS", b"GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("relative target", b"GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("absolute-form without path", b"GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("absolute-form query without path", b"GET http://h?x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("absolute-form with userinfo", b"GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("absolute-form empty authority", b"GET http:/// HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("other scheme", b"GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("fragment", b"GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("invalid method token", b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("empty method", b" / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("two spaces", b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("missing version", b"GET /\r\nHost: h\r\n\r\n", 400),
        ("lowercase version", b"GET / http/1.1\r\nHost: h\r\n\r\n", 400),
        ("garbage version", b"GET / HTTP/x.y\r\nHost: h\r\n\r\n", 400),
        ("HTTP/1.10", b"GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400),
        ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("HTTP/1.2", b"GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505),
        ("HTTP/0.9", b"GET / HTTP/0.9\r\n\r\n", 505),
        ("h2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        ("HTTP/3 partial", b"GET / HTTP/3", 505),
        ("Expect other", b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n", 417),
        // Limits.
        ("target over max_url", &long_target, 414),
        ("target over max_url, no CRLF yet", &long_target[..10 * 1024 + 10], 414),
        ("more headers than max_headers", &too_many, 431),
    ];
    for (name, buf, want) in cases {
        assert_eq!(status_of(buf), *want, "{name}: {:?}", parse_default(buf).0);
    }
}

#[test]
fn limits_apply_early_and_exactly() {
    let buf = b"GET /abcd HTTP/1.1\r\nHost: h\r\nX: 0123456789\r\n\r\n";
    let mut head = RequestHead::new();
    let limits = |max_url, max_head, max_headers| Limits {
        max_url,
        max_head,
        max_headers,
        max_body: 10,
        ..Limits::default()
    };
    let n = buf.len();
    type Case<'a> = (Limits, &'a [u8], Result<Option<usize>, HeadError>);
    let cases: &[Case] = &[
        (limits(5, n, 2), buf, Ok(Some(n))),
        (limits(4, n, 2), buf, Err(HeadError::UriTooLong)),
        // The request line is not complete, but the target already has 5 bytes.
        (limits(4, n, 2), &buf[..9], Err(HeadError::UriTooLong)),
        (limits(4, n, 2), &buf[..8], Ok(None)),
        (limits(5, n - 1, 2), buf, Err(HeadError::HeadersTooLarge)),
        // Incomplete, and already longer than max_head.
        (
            limits(5, 20, 2),
            &buf[..21],
            Err(HeadError::HeadersTooLarge),
        ),
        (limits(5, 20, 2), &buf[..20], Ok(None)),
        (limits(5, n, 1), buf, Err(HeadError::TooManyHeaders)),
        (
            limits(5, n, 1),
            &buf[..n - 2],
            Err(HeadError::TooManyHeaders),
        ),
        (limits(5, n, 0), buf, Err(HeadError::TooManyHeaders)),
    ];
    for (i, (l, b, want)) in cases.iter().enumerate() {
        assert_eq!(parse(b, l, &mut head), *want, "case {i}");
    }
    // max_body: Content-Length equal to the limit passes, one more is 413.
    let ok = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n";
    let big = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n";
    assert!(parse(ok, &limits(5, 100, 5), &mut head).is_ok());
    assert_eq!(
        parse(big, &limits(5, 100, 5), &mut head),
        Err(HeadError::BodyTooLarge)
    );
}

#[test]
fn leading_empty_lines_and_whitespace() {
    let buf = b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nX:\r\nY:   \r\nZ: \t v \t\r\n\r\n";
    let (r, h) = parse_default(buf);
    assert_eq!(r, Ok(Some(buf.len())));
    assert_eq!(h.method_span.get(buf), b"GET");
    assert_eq!(h.header(buf, b"x"), Some(&b""[..]));
    assert_eq!(h.header(buf, b"y"), Some(&b""[..]));
    assert_eq!(h.header(buf, b"z"), Some(&b"v"[..]));
}

#[test]
fn empty_host_on_http11_is_accepted_but_recorded_as_none() {
    let buf = b"GET / HTTP/1.1\r\nHost:\r\n\r\n";
    let (r, h) = parse_default(buf);
    assert_eq!(r, Ok(Some(buf.len())));
    assert_eq!(h.host, None);
}

#[test]
fn reused_head_is_fully_overwritten() {
    let mut head = RequestHead::new();
    let a = b"GET http://a/x?q HTTP/1.1\r\nHost: b\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
    let b = b"GET /y HTTP/1.1\r\nHost: c\r\n\r\n";
    parse(a, &Limits::default(), &mut head).unwrap();
    parse(b, &Limits::default(), &mut head).unwrap();
    assert_eq!(head.host.unwrap().get(b), b"c");
    assert_eq!(head.query.get(b), b"");
    assert_eq!(head.framing, Framing::None);
    assert!(head.keep_alive);
    assert_eq!(head.n_headers, 1);
}
