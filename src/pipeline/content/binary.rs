//! `contentHandling` and the base64 conversions of "Content type conversions in API Gateway".
//!
//! The two tables of that page reduce to one rule per side:
//! - request: CONVERT_TO_TEXT base64-encodes a binary payload (its `Content-Type` is one of
//!   `binaryMediaTypes`), CONVERT_TO_BINARY base64-decodes a text payload, unset passes through;
//! - response: CONVERT_TO_TEXT encodes a binary payload, CONVERT_TO_BINARY decodes a text payload,
//!   and unset converts only when payload and the client's first `Accept` type disagree: a binary
//!   payload to a text `Accept` is encoded, a text payload to a binary `Accept` is decoded.
//!
//! With no `binaryMediaTypes` every payload and every `Accept` is text, which gives the
//! "Undefined" rows of both tables. Base64 is RFC 4648's standard alphabet with padding, as
//! Java's `Base64` (which API Gateway runs) writes it; decoding accepts missing padding and
//! nothing else (no whitespace, no URL alphabet).

/// `contentHandling` of an integration (request) or an integration response (response).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContentHandling {
    /// Unset: pass through (response side: per the payload/`Accept` rule above).
    #[default]
    Passthrough,
    ConvertToText,
    ConvertToBinary,
}

impl ContentHandling {
    /// The model's value; the compiler has already refused anything but these two.
    pub fn parse(value: Option<&str>) -> ContentHandling {
        match value {
            Some("CONVERT_TO_TEXT") => ContentHandling::ConvertToText,
            Some("CONVERT_TO_BINARY") => ContentHandling::ConvertToBinary,
            _ => ContentHandling::Passthrough,
        }
    }
}

/// What to do to a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convert {
    None,
    /// Binary -> base64 text.
    Encode,
    /// Base64 text -> binary.
    Decode,
}

/// The request table.
pub fn request_conversion(handling: ContentHandling, payload_binary: bool) -> Convert {
    match (handling, payload_binary) {
        (ContentHandling::ConvertToText, true) => Convert::Encode,
        (ContentHandling::ConvertToBinary, false) => Convert::Decode,
        _ => Convert::None,
    }
}

/// The response table.
pub fn response_conversion(
    handling: ContentHandling,
    payload_binary: bool,
    accept_binary: bool,
) -> Convert {
    match (handling, payload_binary, accept_binary) {
        (ContentHandling::ConvertToText, true, _) => Convert::Encode,
        (ContentHandling::ConvertToBinary, false, _) => Convert::Decode,
        (ContentHandling::Passthrough, true, false) => Convert::Encode,
        (ContentHandling::Passthrough, false, true) => Convert::Decode,
        _ => Convert::None,
    }
}

// The `base64` crate (which `$util.base64*` uses too): standard alphabet, padding optional on
// decode but canonical when present, non-zero trailing bits refused.
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use base64::Engine as _;

/// Appends the base64 of `input` to `out`.
pub fn encode(input: &[u8], out: &mut Vec<u8>) {
    let mark = out.len();
    out.resize(mark + input.len().div_ceil(3) * 4, 0);
    // The slice was sized for padded output, so encoding into it cannot run out of room.
    let n = STANDARD.encode_slice(input, &mut out[mark..]).unwrap_or(0);
    out.truncate(mark + n);
}

/// The payload is not base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotBase64;

/// Appends the bytes `input` encodes to `out`; on error `out` is left as it was.
pub fn decode(input: &[u8], out: &mut Vec<u8>) -> Result<(), NotBase64> {
    // Padding, when present, must complete the last quantum (the engine would take `Zg=`).
    if input.last() == Some(&b'=') && input.len() % 4 != 0 {
        return Err(NotBase64);
    }
    let mark = out.len();
    STANDARD_PAD_INDIFFERENT
        .decode_vec(input, out)
        .map_err(|_| {
            out.truncate(mark);
            NotBase64
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContentHandling::*;

    fn enc(b: &[u8]) -> String {
        let mut v = Vec::new();
        encode(b, &mut v);
        String::from_utf8(v).unwrap()
    }
    fn dec(s: &str) -> Result<Vec<u8>, NotBase64> {
        let mut v = Vec::new();
        decode(s.as_bytes(), &mut v).map(|_| v)
    }

    #[test]
    fn base64_rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(enc(plain.as_bytes()), coded);
            assert_eq!(dec(coded).unwrap(), plain.as_bytes());
        }
        assert_eq!(dec("Zm8").unwrap(), b"fo");
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(dec(&enc(&all)).unwrap(), all);
    }

    #[test]
    fn base64_refuses_what_is_not_base64() {
        for bad in [
            "Zm9v!", "Z", "Zm9vY", "Zm 9v", "Zm9v-_", "Zg=", "=Zg=", "Zh==",
        ] {
            assert_eq!(dec(bad), Err(NotBase64), "{bad}");
        }
        let mut out = b"keep".to_vec();
        assert!(decode(b"***", &mut out).is_err());
        assert_eq!(out, b"keep");
    }

    #[test]
    fn request_table() {
        assert_eq!(request_conversion(Passthrough, false), Convert::None);
        assert_eq!(request_conversion(Passthrough, true), Convert::None);
        assert_eq!(request_conversion(ConvertToBinary, false), Convert::Decode);
        assert_eq!(request_conversion(ConvertToBinary, true), Convert::None);
        assert_eq!(request_conversion(ConvertToText, false), Convert::None);
        assert_eq!(request_conversion(ConvertToText, true), Convert::Encode);
    }

    #[test]
    fn response_table() {
        // (handling, binary payload, binary Accept) -> conversion, row by row of AWS's table.
        for (h, p, a, want) in [
            (Passthrough, false, false, Convert::None),
            (ConvertToBinary, false, false, Convert::Decode),
            (ConvertToText, false, false, Convert::None),
            (Passthrough, false, true, Convert::Decode),
            (ConvertToBinary, false, true, Convert::Decode),
            (ConvertToText, false, true, Convert::None),
            (Passthrough, true, false, Convert::Encode),
            (ConvertToBinary, true, false, Convert::None),
            (ConvertToText, true, false, Convert::Encode),
            (Passthrough, true, true, Convert::None),
            (ConvertToBinary, true, true, Convert::None),
            (ConvertToText, true, true, Convert::Encode),
        ] {
            assert_eq!(response_conversion(h, p, a), want, "{h:?} {p} {a}");
        }
        assert_eq!(
            ContentHandling::parse(Some("CONVERT_TO_TEXT")),
            ConvertToText
        );
        assert_eq!(ContentHandling::parse(None), Passthrough);
    }
}
