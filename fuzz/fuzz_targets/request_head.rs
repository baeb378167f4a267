//! Request head parser: no panic on any input and limits; a complete head lies within the input
//! and every span it records is in bounds. The response-head parser gets the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::http::request::{parse, RequestHead};
use tollgate::http::upstream::{parse_response, ResponseHead};
use tollgate::http::{Limits, Span};

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    // The first bytes choose the limits, so small limits (and their edges) get exercised.
    let limits = Limits {
        max_url: usize::from(data[0]) * 8,
        max_head: usize::from(u16::from_le_bytes([data[1], data[2]])),
        max_headers: usize::from(data[3] % 128),
        max_body: 1 << 20,
        ..Limits::default()
    };
    let buf = &data[4..];
    let in_bounds = |s: Span| s.start <= s.end && s.end as usize <= buf.len();

    let mut head = RequestHead::new();
    if let Ok(Some(n)) = parse(buf, &limits, &mut head) {
        assert!(n <= buf.len() && n <= limits.max_head);
        assert!(head.n_headers <= limits.max_headers);
        for s in [head.method_span, head.target, head.path, head.query] {
            assert!(in_bounds(s) && s.end as usize <= n);
        }
        assert!(head.host.is_none_or(in_bounds));
        assert!(head.target.end - head.target.start <= limits.max_url as u32);
        for h in &head.headers[..head.n_headers] {
            assert!(in_bounds(h.name) && in_bounds(h.value));
        }
        let _ = head.header(buf, b"host");
    }

    let mut res = ResponseHead::new();
    if let Ok(Some(n)) = parse_response(buf, limits.max_head, data[0] & 1 == 1, &mut res) {
        assert!(n <= buf.len() && n <= limits.max_head);
        assert!(in_bounds(res.reason));
        for h in &res.headers[..res.n_headers] {
            assert!(in_bounds(h.name) && in_bounds(h.value));
        }
    }
});
