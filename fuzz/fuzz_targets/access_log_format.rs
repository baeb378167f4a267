//! Access log formats: any text compiles or is refused with AWS's message, and a compiled format
//! renders for a fixed request (values with quotes, markup, control bytes and empty ones) within
//! a bound set by the format's size, with every `responseLatency` place inside the line and the
//! latency filled in by the core exactly where the places are.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::core::access_log::{Pending, HOLES};
use tollgate::deploy::compile::access_log::{compile, LogVar, MAX_FORMAT};
use tollgate::pipeline::access_log::render_pieces;
use tollgate::runtime::access_log::DestId;

/// The fixed request's values: each variable gets one, some awkward, some empty.
fn value(v: &LogVar, out: &mut Vec<u8>) {
    let s: &[u8] = match v {
        LogVar::Status => b"200",
        LogVar::UserAgent => b"curl/8 \"quoted\" <tag> & 'apos' \\ \x01\n",
        LogVar::ErrorMessage => b"Internal \"server\" error",
        LogVar::RequestTime => b"27/Nov/2026:10:00:00 +0000",
        LogVar::Absent => b"",
        _ => b"v",
    };
    out.extend_from_slice(s);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(text);
    // Most random text lacks the request id every format needs: try it with one too, so the
    // renderer meets the fuzzer's variables.
    check(&format!("$context.requestId {text}"));
});

fn check(text: &str) {
    let Ok(format) = compile(text) else {
        return;
    };
    assert!(text.len() <= MAX_FORMAT);
    let mut p = Pending {
        dest: DestId(1),
        line: Vec::new(),
        holes: [0; HOLES],
        n_holes: 0,
    };
    render_pieces(&format, &mut p, value);
    // Each variable is at most its value escaped (6 bytes a byte) plus quotes.
    assert!(p.line.len() <= text.len() + format.pieces.len() * 6 * 64);
    let mut last = 0;
    for &h in &p.holes[..p.n_holes as usize] {
        assert!(h as usize >= last && h as usize <= p.line.len());
        last = h as usize;
    }
    assert!(!p.line.contains(&b'\n'), "a line never breaks");
}
