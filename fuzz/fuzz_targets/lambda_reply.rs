//! Lambda proxy replies: any bytes from a function are read without panicking, and what a
//! well-formed reply's headers become is always a valid HTTP header block (no CR/LF smuggled in,
//! no framing header the gateway owns).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::json::Parsed;
use tollgate::pipeline::lambda::{reply, write_reply_headers};

fuzz_target!(|data: &[u8]| {
    let parsed = Parsed::parse(data);
    let Ok(r) = reply::read(parsed.as_ref().ok().map(Parsed::root)) else {
        return;
    };
    assert!((100..=599).contains(&r.status));
    let mut block = Vec::new();
    write_reply_headers(&r, &mut block);
    block.extend_from_slice(b"\r\n");
    let mut headers = [httparse::EMPTY_HEADER; 256];
    match httparse::parse_headers(&block, &mut headers) {
        Ok(httparse::Status::Complete((n, hs))) => {
            assert_eq!(n, block.len());
            for h in hs {
                for owned in ["content-length", "transfer-encoding", "connection", "content-type"] {
                    assert!(!h.name.eq_ignore_ascii_case(owned), "{}", h.name);
                }
            }
        }
        // More than 256 headers is fine; anything else is a broken block.
        Err(httparse::Error::TooManyHeaders) => {}
        other => panic!("invalid header block {other:?}: {:?}", String::from_utf8_lossy(&block)),
    }
});
