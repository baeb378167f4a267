//! Payload compression (`minimumCompressionSize`): `Accept-Encoding` negotiation, gzip and
//! deflate encoding of method responses, and bounded decoding of compressed method requests.
//!
//! The codings are API Gateway's ("Content codings supported by API Gateway"): `gzip`, `deflate`
//! and `identity`, the first two compressing. `deflate` is the zlib format (RFC 9110 §8.4.1.2).
//! Negotiation follows the developer guide's note: the client's highest-priority coding (largest
//! `q`, the first listed on a tie; `*` stands for gzip) must be one API Gateway supports, else
//! the response is not compressed.
//!
//! Invariant: the deflate and inflate states (about 300 KB for miniz's compressor) are created
//! once per core and reset per payload, so neither direction allocates once warm but the
//! output's growth; decoding stops
//! as soon as the output passes its limit, so a small "zip bomb" costs at most that limit.

use flate2::{Compress, Compression, Crc, Decompress, FlushCompress, FlushDecompress, Status};
use std::cell::RefCell;

/// A compressing content coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Deflate,
}

impl Coding {
    pub fn name(self) -> &'static [u8] {
        match self {
            Coding::Gzip => b"gzip",
            Coding::Deflate => b"deflate",
        }
    }

    /// A request's `Content-Encoding`: `Ok(None)` for none or `identity`, `Err` for a coding
    /// API Gateway does not decode.
    pub fn of_content_encoding(value: Option<&[u8]>) -> Result<Option<Coding>, UnknownCoding> {
        let Some(v) = value.map(<[u8]>::trim_ascii).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if v.eq_ignore_ascii_case(b"gzip") || v.eq_ignore_ascii_case(b"x-gzip") {
            Ok(Some(Coding::Gzip))
        } else if v.eq_ignore_ascii_case(b"deflate") {
            Ok(Some(Coding::Deflate))
        } else if v.eq_ignore_ascii_case(b"identity") {
            Ok(None)
        } else {
            Err(UnknownCoding)
        }
    }
}

/// A `Content-Encoding` the gateway does not decode (its body passes through as it came).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownCoding;

/// `q` of one `Accept-Encoding` item in thousandths (1000 when absent or unreadable).
fn quality(params: &[u8]) -> u16 {
    for p in params.split(|&b| b == b';') {
        let p = p.trim_ascii();
        if p.len() >= 2 && p[..2].eq_ignore_ascii_case(b"q=") {
            let v = std::str::from_utf8(&p[2..]).unwrap_or("1");
            return v
                .parse::<f32>()
                .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16);
        }
    }
    1000
}

/// The coding to compress a response with for this `Accept-Encoding`, if any.
pub fn negotiate(accept_encoding: Option<&[u8]>) -> Option<Coding> {
    let mut best: Option<(&[u8], u16)> = None;
    for item in accept_encoding?.split(|&b| b == b',') {
        let end = item.iter().position(|&b| b == b';').unwrap_or(item.len());
        let name = item[..end].trim_ascii();
        let q = quality(&item[end..]);
        if name.is_empty() || q == 0 {
            continue;
        }
        if best.is_none_or(|(_, bq)| q > bq) {
            best = Some((name, q));
        }
    }
    let (name, _) = best?;
    if name.eq_ignore_ascii_case(b"gzip") || name.eq_ignore_ascii_case(b"x-gzip") || name == b"*" {
        Some(Coding::Gzip)
    } else if name.eq_ignore_ascii_case(b"deflate") {
        Some(Coding::Deflate)
    } else {
        None
    }
}

thread_local! {
    /// Raw deflate (gzip wraps it itself) and zlib, kept per core and reset per payload.
    static RAW: RefCell<Option<Compress>> = const { RefCell::new(None) };
    static ZLIB: RefCell<Option<Compress>> = const { RefCell::new(None) };
    /// The inflate state (raw for gzip, zlib for deflate), reset per request body.
    static INFLATE_RAW: RefCell<Option<Decompress>> = const { RefCell::new(None) };
    static INFLATE_ZLIB: RefCell<Option<Decompress>> = const { RefCell::new(None) };
}

/// Runs `f` with this core's inflate state for the format, reset.
fn with_inflater<R>(zlib: bool, f: impl FnOnce(&mut Decompress) -> R) -> R {
    let slot = if zlib { &INFLATE_ZLIB } else { &INFLATE_RAW };
    slot.with_borrow_mut(|d| {
        let d = d.get_or_insert_with(|| Decompress::new(zlib));
        d.reset(zlib);
        f(d)
    })
}

/// Level 6, zlib's default: API Gateway does not say which it uses.
fn level() -> Compression {
    Compression::new(6)
}

fn run_deflate(c: &mut Compress, input: &[u8], out: &mut Vec<u8>) {
    c.reset();
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(input.len() / 2 + 64);
        }
        let consumed = c.total_in() as usize;
        // An in-memory deflate with room to write cannot fail (flate2 returns Ok for it).
        let status = c
            .compress_vec(&input[consumed..], out, FlushCompress::Finish)
            .unwrap_or(Status::StreamEnd);
        if status == Status::StreamEnd {
            break;
        }
    }
}

const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// Appends `input` compressed with `coding` to `out`.
pub fn compress(coding: Coding, input: &[u8], out: &mut Vec<u8>) {
    match coding {
        Coding::Gzip => {
            out.extend_from_slice(&GZIP_HEADER);
            RAW.with_borrow_mut(|c| {
                run_deflate(
                    c.get_or_insert_with(|| Compress::new(level(), false)),
                    input,
                    out,
                )
            });
            let mut crc = Crc::new();
            crc.update(input);
            out.extend_from_slice(&crc.sum().to_le_bytes());
            out.extend_from_slice(&(input.len() as u32).to_le_bytes());
        }
        Coding::Deflate => ZLIB.with_borrow_mut(|c| {
            run_deflate(
                c.get_or_insert_with(|| Compress::new(level(), true)),
                input,
                out,
            )
        }),
    }
}

/// Why a compressed request body could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// Decoded, it is larger than the limit.
    TooLarge,
    /// Not a valid stream of its coding (bad header, data, checksum, or truncated).
    Corrupt,
}

/// The gzip member header's length (RFC 1952 §2.3), or `Corrupt`.
fn gzip_header_len(b: &[u8]) -> Result<usize, InflateError> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if b.len() < 10 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 || b[3] & 0xe0 != 0 {
        return Err(InflateError::Corrupt);
    }
    let flags = b[3];
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let n = b.get(at..at + 2).ok_or(InflateError::Corrupt)?;
        at += 2 + usize::from(u16::from_le_bytes([n[0], n[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = b.get(at..).ok_or(InflateError::Corrupt)?;
            at += 1 + rest
                .iter()
                .position(|&c| c == 0)
                .ok_or(InflateError::Corrupt)?;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    if at > b.len() {
        return Err(InflateError::Corrupt);
    }
    Ok(at)
}

/// Inflates `input` (zlib or raw deflate) into `out`, at most `limit` bytes; returns how much
/// of `input` the stream used.
fn run_inflate(
    d: &mut Decompress,
    input: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<usize, InflateError> {
    let start = out.len();
    loop {
        let room = limit + 1 - (out.len() - start);
        if out.capacity() - out.len() < 4096.min(room) {
            out.reserve((input.len() * 4).clamp(4096, 1 << 20).min(room));
        }
        let (before_in, before_out) = (d.total_in(), d.total_out());
        let status = d
            .decompress_vec(&input[before_in as usize..], out, FlushDecompress::None)
            .map_err(|_| InflateError::Corrupt)?;
        if out.len() - start > limit {
            return Err(InflateError::TooLarge);
        }
        if status == Status::StreamEnd {
            return Ok(d.total_in() as usize);
        }
        if d.total_in() == before_in && d.total_out() == before_out {
            // No progress with input and room left: the stream is truncated.
            return Err(InflateError::Corrupt);
        }
    }
}

/// Appends `input` decoded from `coding` to `out`, refusing output over `limit` bytes.
pub fn decompress(
    coding: Coding,
    input: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), InflateError> {
    let start = out.len();
    match coding {
        Coding::Gzip => {
            let at = gzip_header_len(input)?;
            let used = with_inflater(false, |d| run_inflate(d, &input[at..], limit, out))?;
            let trailer = input.get(at + used..).ok_or(InflateError::Corrupt)?;
            let [c0, c1, c2, c3, s0, s1, s2, s3] = *trailer else {
                return Err(InflateError::Corrupt);
            };
            let mut crc = Crc::new();
            crc.update(&out[start..]);
            let size = (out.len() - start) as u32;
            if crc.sum() != u32::from_le_bytes([c0, c1, c2, c3])
                || size != u32::from_le_bytes([s0, s1, s2, s3])
            {
                return Err(InflateError::Corrupt);
            }
        }
        Coding::Deflate => {
            let used = with_inflater(true, |d| run_inflate(d, input, limit, out))?;
            if used != input.len() {
                return Err(InflateError::Corrupt);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn negotiation_takes_the_highest_priority_coding() {
        assert_eq!(negotiate(Some(b"gzip")), Some(Coding::Gzip));
        assert_eq!(negotiate(Some(b"deflate, gzip")), Some(Coding::Deflate));
        assert_eq!(
            negotiate(Some(b"gzip;q=0.5, deflate")),
            Some(Coding::Deflate)
        );
        assert_eq!(
            negotiate(Some(b"br, gzip")),
            None,
            "br is first and unsupported"
        );
        assert_eq!(negotiate(Some(b"identity")), None);
        assert_eq!(negotiate(Some(b"gzip;q=0, identity")), None);
        assert_eq!(negotiate(Some(b"*")), Some(Coding::Gzip));
        assert_eq!(negotiate(Some(b"br;q=0.1, GZIP;q=0.9")), Some(Coding::Gzip));
        assert_eq!(negotiate(None), None);
        assert_eq!(negotiate(Some(b"")), None);
    }

    #[test]
    fn gzip_and_deflate_round_trip_through_flate2_readers() {
        let input: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        for _ in 0..2 {
            let mut gz = Vec::new();
            compress(Coding::Gzip, &input, &mut gz);
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, input);
            let mut z = Vec::new();
            compress(Coding::Deflate, &input, &mut z);
            let mut back = Vec::new();
            flate2::read::ZlibDecoder::new(&z[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, input);
        }
    }

    #[test]
    fn decompress_reads_flate2_streams_with_optional_gzip_fields() {
        let input = b"{\"pet\":\"dog\"}".repeat(100);
        let mut w = flate2::GzBuilder::new()
            .filename("x.json")
            .comment("c")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), flate2::Compression::default());
        w.write_all(&input).unwrap();
        let gz = w.finish().unwrap();
        let mut out = Vec::new();
        decompress(Coding::Gzip, &gz, 1 << 20, &mut out).unwrap();
        assert_eq!(out, input);
        let mut z = Vec::new();
        compress(Coding::Deflate, &input, &mut z);
        let mut out = Vec::new();
        decompress(Coding::Deflate, &z, 1 << 20, &mut out).unwrap();
        assert_eq!(out, input);
    }

    #[test]
    fn decompress_refuses_corrupt_truncated_and_oversized_streams() {
        let input = vec![b'a'; 100_000];
        let mut gz = Vec::new();
        compress(Coding::Gzip, &input, &mut gz);
        let mut out = Vec::new();
        assert_eq!(
            decompress(Coding::Gzip, &gz, 99_999, &mut out),
            Err(InflateError::TooLarge)
        );
        assert!(decompress(Coding::Gzip, &gz, 100_000, &mut Vec::new()).is_ok());
        let truncated = &gz[..gz.len() - 4];
        assert_eq!(
            decompress(Coding::Gzip, truncated, 1 << 20, &mut Vec::new()),
            Err(InflateError::Corrupt)
        );
        let mut bad_crc = gz.clone();
        let n = bad_crc.len();
        bad_crc[n - 6] ^= 0xff;
        assert_eq!(
            decompress(Coding::Gzip, &bad_crc, 1 << 20, &mut Vec::new()),
            Err(InflateError::Corrupt)
        );
        for junk in [&b"not gzip at all"[..], b"", &gz[..12]] {
            assert_eq!(
                decompress(Coding::Gzip, junk, 1 << 20, &mut Vec::new()),
                Err(InflateError::Corrupt)
            );
            assert_eq!(
                decompress(Coding::Deflate, junk, 1 << 20, &mut Vec::new()),
                Err(InflateError::Corrupt)
            );
        }
        assert_eq!(
            Coding::of_content_encoding(Some(b" GZIP ")),
            Ok(Some(Coding::Gzip))
        );
        assert_eq!(Coding::of_content_encoding(Some(b"identity")), Ok(None));
        assert_eq!(Coding::of_content_encoding(Some(b"br")), Err(UnknownCoding));
    }
}
