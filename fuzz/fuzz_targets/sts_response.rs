//! STS AssumeRole answers (the AWS-protocol XML the role refresher reads): any bytes with any
//! status are read without panicking, and credentials come only from a 2xx answer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        Some((&s, rest)) => (if s & 1 == 0 { 200 } else { 400 + u16::from(s) }, rest),
        None => (200, data),
    };
    if let Ok(issued) = tollgate::aws::sts::parse(status, body) {
        assert!((200..300).contains(&status));
        let _ = issued.credentials.access_key_id.len();
    }
});
