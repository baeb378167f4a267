use super::*;

const WIKI: &[u8] = b"4\r\nWiki\r\n5;name=\"va;l\"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n";
const WIKI_DECODED: &[u8] = b"Wikipedia in\r\n\r\nchunks.";

fn decode_all(input: &[u8], max_body: usize) -> Result<(usize, Vec<u8>), BodyError> {
    let mut d = ChunkedDecoder::new(max_body);
    let mut out = Vec::new();
    let (n, done) = d.decode(input, &mut out)?;
    assert!(done, "incomplete: {:?}", String::from_utf8_lossy(input));
    Ok((n, out))
}

/// Feeds `input` in pieces whose lengths come from `sizes` (cycled), the way reads arrive.
fn decode_split(
    input: &[u8],
    sizes: &mut impl Iterator<Item = usize>,
    max_body: usize,
) -> Result<(usize, bool, Vec<u8>), BodyError> {
    let mut d = ChunkedDecoder::new(max_body);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut pending = 0; // bytes offered but not consumed are offered again, as a caller would
    while pos < input.len() {
        pending = (pending + sizes.next().unwrap().max(1)).min(input.len() - pos);
        let (n, done) = d.decode(&input[pos..pos + pending], &mut out)?;
        pos += n;
        pending -= n;
        if done {
            return Ok((pos, true, out));
        }
    }
    Ok((pos, d.is_done(), out))
}

/// A small deterministic generator; the tests need variety, not statistical quality.
fn lcg(mut seed: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Some((seed >> 33) as usize % 23)
    })
}

#[test]
fn decodes_with_extensions_and_trailers() {
    let mut input = WIKI.to_vec();
    input.extend_from_slice(b"GET / HTTP/1.1\r\n");
    let (n, out) = decode_all(&input, 1024).unwrap();
    assert_eq!(n, WIKI.len(), "bytes after the message are left alone");
    assert_eq!(out, WIKI_DECODED);
}

#[test]
fn any_split_gives_the_one_shot_result() {
    let bodies: &[&[u8]] = &[
        WIKI,
        b"0\r\n\r\n",
        b"000A \t;ext\r\n0123456789\r\n1\r\nx\r\n0;last\r\n\r\n",
        b"10\r\n0123456789abcdef\r\n0\r\n\r\n",
    ];
    for body in bodies {
        let (n, want) = decode_all(body, 1 << 20).unwrap();
        assert_eq!(n, body.len());
        // One byte at a time.
        assert_eq!(
            decode_split(body, &mut std::iter::repeat(1), 1 << 20).unwrap(),
            (n, true, want.clone())
        );
        for seed in 0..200 {
            assert_eq!(
                decode_split(body, &mut lcg(seed), 1 << 20).unwrap(),
                (n, true, want.clone()),
                "seed {seed}"
            );
        }
        // Scan agrees on where the message ends, byte by byte too.
        let mut s = ChunkedDecoder::new(1 << 20);
        assert_eq!(s.scan(body), Ok((n, true)));
        let mut s = ChunkedDecoder::new(1 << 20);
        let mut done = false;
        for (i, b) in body.iter().enumerate() {
            let (c, d) = s.scan(std::slice::from_ref(b)).unwrap();
            assert_eq!(c, 1, "byte {i}");
            done = d;
        }
        assert!(done);
    }
}

#[test]
fn incomplete_input_is_not_done() {
    let mut d = ChunkedDecoder::new(100);
    let mut out = Vec::new();
    assert_eq!(d.decode(b"5\r\nab", &mut out), Ok((5, false)));
    assert_eq!(out, b"ab");
    assert_eq!(d.decode(b"cde\r\n0\r\n\r", &mut out), Ok((9, false)));
    assert_eq!(d.decode(b"\nNEXT", &mut out), Ok((1, true)));
    assert_eq!(
        d.decode(b"NEXT", &mut out),
        Ok((0, true)),
        "done stays done"
    );
    assert_eq!(out, b"abcde");
    assert_eq!(d.decoded_len(), 5);
    d.reset();
    assert!(!d.is_done());
    assert_eq!(d.decode(b"0\r\n\r\n", &mut out), Ok((5, true)));
}

#[test]
fn rejections() {
    let long_ext = [
        b"1;".as_slice(),
        &[b'a'; MAX_CHUNK_EXT + 1],
        b"\r\nx\r\n0\r\n\r\n",
    ]
    .concat();
    let long_trailer = [b"0\r\nX: ".as_slice(), &[b'a'; MAX_TRAILERS], b"\r\n\r\n"].concat();
    let m = |r| BodyError::Malformed(r);
    let cases: &[(&str, &[u8], usize, BodyError)] = &[
        ("bad hex", b"g\r\n", 100, m("missing chunk size")),
        (
            "bad hex after digit",
            b"1g\r\nx\r\n",
            100,
            m("invalid chunk size"),
        ),
        ("0x prefix", b"0x1\r\nx\r\n", 100, m("invalid chunk size")),
        ("sign", b"+1\r\nx\r\n", 100, m("missing chunk size")),
        ("empty size", b"\r\n", 100, m("missing chunk size")),
        (
            "extension without size",
            b";a\r\n",
            100,
            m("missing chunk size"),
        ),
        (
            "17 hex digits",
            b"00000000000000001\r\nx\r\n",
            usize::MAX,
            m("chunk size too long"),
        ),
        (
            "u64 overflow",
            b"10000000000000000\r\n",
            usize::MAX,
            m("chunk size too long"),
        ),
        (
            "whitespace then CRLF",
            b"1 \r\nx\r\n0\r\n\r\n",
            100,
            m("whitespace after chunk size"),
        ),
        (
            "data too long",
            b"3\r\nabcd\r\n0\r\n\r\n",
            100,
            m("missing CRLF after chunk data"),
        ),
        (
            "LF only after data",
            b"3\r\nabc\n0\r\n\r\n",
            100,
            m("missing CRLF after chunk data"),
        ),
        (
            "CR only after data",
            b"3\r\nabc\r0\r\n\r\n",
            100,
            m("missing CRLF after chunk data"),
        ),
        (
            "bare LF after size",
            b"3\nabc\r\n0\r\n\r\n",
            100,
            m("bare LF"),
        ),
        (
            "bare CR after size",
            b"3\rabc\r\n0\r\n\r\n",
            100,
            m("bare CR"),
        ),
        (
            "bare LF after extension",
            b"3;x\nabc\r\n0\r\n\r\n",
            100,
            m("bare LF"),
        ),
        (
            "control in extension",
            b"3;x\0\r\nabc\r\n0\r\n\r\n",
            100,
            m("control in chunk extension"),
        ),
        (
            "extension too long",
            &long_ext,
            100,
            m("chunk extension too long"),
        ),
        ("bare LF ending last chunk", b"0\n\r\n", 100, m("bare LF")),
        ("bare LF final line", b"0\r\n\n", 100, m("bare LF")),
        ("bare CR final line", b"0\r\n\rx", 100, m("bare CR")),
        ("bare LF in trailer", b"0\r\nX: 1\n\r\n", 100, m("bare LF")),
        (
            "obs-fold in trailer",
            b"0\r\nX: 1\r\n 2\r\n\r\n",
            100,
            m("obs-fold in trailer"),
        ),
        (
            "NUL in trailer",
            b"0\r\nX: \0\r\n\r\n",
            100,
            m("control in trailer"),
        ),
        (
            "trailers too long",
            &long_trailer,
            100,
            m("trailer section too long"),
        ),
        (
            "one chunk over max_body",
            b"65\r\n",
            100,
            BodyError::TooLarge,
        ),
        ("0x33 over max_body 50", b"33\r\n", 50, BodyError::TooLarge),
        (
            "chunks summing over max_body",
            b"1\r\na\r\n1\r\nb\r\n",
            1,
            BodyError::TooLarge,
        ),
        (
            "huge size",
            b"ffffffffffffffff\r\n",
            usize::MAX - 1,
            BodyError::TooLarge,
        ),
    ];
    for (name, input, max_body, want) in cases {
        let mut d = ChunkedDecoder::new(*max_body);
        let got = d.decode(input, &mut Vec::new());
        assert_eq!(got, Err(*want), "{name}");
        let mut s = ChunkedDecoder::new(*max_body);
        assert_eq!(s.scan(input), Err(*want), "{name} (scan)");
        // The same error whatever the split.
        assert_eq!(
            decode_split(input, &mut std::iter::repeat(1), *max_body),
            Err(*want),
            "{name} (bytewise)"
        );
    }
}

#[test]
fn exactly_max_body_is_allowed() {
    assert_eq!(
        decode_all(b"2\r\nab\r\n1\r\nc\r\n0\r\n\r\n", 3).unwrap().1,
        b"abc"
    );
}

#[test]
fn steady_state_does_not_grow_the_buffer() {
    let mut out = Vec::with_capacity(64);
    let cap = out.capacity();
    let mut d = ChunkedDecoder::new(64);
    for _ in 0..100 {
        out.clear();
        d.reset();
        assert_eq!(d.decode(WIKI, &mut out), Ok((WIKI.len(), true)));
    }
    assert_eq!(out.capacity(), cap);
}

#[test]
fn error_status_and_message() {
    assert_eq!(
        (BodyError::TooLarge.status(), BodyError::TooLarge.message()),
        (413, "Request Too Long")
    );
    let m = BodyError::Malformed("x");
    assert_eq!((m.status(), m.message()), (400, "Bad Request"));
}
