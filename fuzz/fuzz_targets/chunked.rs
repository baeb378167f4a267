//! Chunked decoder: feeding the input in pieces (sizes derived from the data itself) gives exactly
//! the one-shot result, `scan` agrees with `decode`, and nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::http::body::{BodyError, ChunkedDecoder};

const MAX_BODY: usize = 64 * 1024;

/// Decodes `input` in pieces; bytes offered but not consumed are offered again, as a connection
/// would. Returns (consumed, done, decoded) or the error.
fn split_decode(
    input: &[u8],
    mut sizes: impl Iterator<Item = usize>,
) -> Result<(usize, bool, Vec<u8>), BodyError> {
    let mut d = ChunkedDecoder::new(MAX_BODY);
    let mut out = Vec::new();
    let (mut pos, mut pending) = (0, 0);
    while pos < input.len() {
        pending = (pending + sizes.next().unwrap_or(1).max(1)).min(input.len() - pos);
        let (n, done) = d.decode(&input[pos..pos + pending], &mut out)?;
        assert!(n <= pending);
        pos += n;
        pending -= n;
        if done {
            return Ok((pos, true, out));
        }
    }
    Ok((pos, d.is_done(), out))
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let mut one = ChunkedDecoder::new(MAX_BODY);
    let mut out = Vec::new();
    let whole = one.decode(input, &mut out).map(|(n, done)| (n, done, out));
    if let Ok((n, _, ref decoded)) = whole {
        assert!(n <= input.len());
        assert!(decoded.len() <= MAX_BODY);
    }

    let mut scanner = ChunkedDecoder::new(MAX_BODY);
    assert_eq!(
        scanner.scan(input),
        whole
            .as_ref()
            .map(|(n, done, _)| (*n, *done))
            .map_err(|e| *e)
    );

    // Split sizes come from the input bytes themselves, rotated by the seed.
    let sizes = input
        .iter()
        .cycle()
        .skip(usize::from(seed))
        .map(|&b| usize::from(b % 17));
    let split = split_decode(input, sizes);
    match (&whole, &split) {
        // An incomplete one-shot decode consumed everything; so did the split one.
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("one-shot {whole:?} != split {split:?}"),
    }
    let bytewise = split_decode(input, std::iter::repeat(1));
    assert_eq!(format!("{whole:?}"), format!("{bytewise:?}"));
});
