//! Integration URI renderer: for any client values (a path capture, a query string, a header),
//! the rendered target is one request-target token that parses as one request line, its path
//! stays under the template's literal prefix once decoded and normalised (RFC 3986 §5.2.4, with
//! `\` read as `/`), and without a passed-through query every query item is a mapped name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::deploy::snapshot::{ParamSource, UriPart};
use tollgate::http::request::{parse, RequestHead};
use tollgate::http::uri::{self, Form};
use tollgate::http::Limits;
use tollgate::pipeline::params::query_pairs;
use tollgate::pipeline::target::{render, RawValues, Template};

const PREFIXES: [&str; 4] = ["/", "/base/", "/a/b-c/", "/v1/x%20y/"];

/// Percent-decodes once and reads `\` as `/`, then removes dot-segments (RFC 3986 §5.2.4).
fn normalised(path: &[u8]) -> Vec<u8> {
    let decoded: Vec<u8> = uri::decoded(path, Form::Path)
        .map(|b| if b == b'\\' { b'/' } else { b })
        .collect();
    let mut out: Vec<&[u8]> = Vec::new();
    let segments: Vec<&[u8]> = decoded.split(|&b| b == b'/').collect();
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            b"." => {}
            b".." => {
                out.pop();
            }
            s => out.push(s),
        }
        // A trailing dot-segment leaves a trailing slash.
        if i + 1 == segments.len() && (*seg == b"." || *seg == b"..") {
            out.push(b"");
        }
    }
    out.join(&b'/')
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (flags, lens, rest) = (data[0], [data[1] as usize, data[2] as usize], &data[3..]);
    let (capture, rest) = rest.split_at(lens[0].min(rest.len()));
    let (query, header) = rest.split_at(lens[1].min(rest.len()));
    let prefix = PREFIXES[(flags & 3) as usize];
    let greedy = flags & 4 != 0;
    let mut path = vec![
        UriPart::Literal(prefix.into()),
        UriPart::Param {
            name: "proxy".into(),
            source: ParamSource::PathCapture(0),
            greedy,
        },
    ];
    if flags & 8 != 0 {
        path.push(UriPart::Literal("/end".into()));
    }
    let params: Vec<(Box<str>, ParamSource)> = vec![
        ("q".into(), ParamSource::Query("q".into())),
        ("h".into(), ParamSource::Header("h".into())),
        ("m".into(), ParamSource::MultiQuery("m".into())),
        (
            "lit".into(),
            ParamSource::Literal(String::from_utf8_lossy(header).into()),
        ),
    ];
    let pass_client_query = flags & 16 != 0;
    let t = Template {
        path: &path,
        fixed_query: (flags & 32 != 0).then_some("k=v"),
        query_params: &params,
        pass_client_query,
    };
    let values = RawValues {
        capture,
        query,
        header,
    };
    let mut out = b"GET ".to_vec();
    if render(&t, &values, &mut out).is_err() {
        assert_eq!(out, b"GET ", "a refused render leaves the buffer as it was");
        return;
    }
    let target = out[4..].to_vec();
    assert!(uri::is_target_text(&target), "{:?}", String::from_utf8_lossy(&target));

    // One request line, whose target is exactly what was rendered.
    out.extend_from_slice(b" HTTP/1.1\r\nHost: h\r\n\r\n");
    let limits = Limits {
        max_url: 1 << 20,
        max_head: 1 << 20,
        max_headers: 10,
        max_body: 0,
        ..Limits::default()
    };
    let mut head = RequestHead::new();
    let n = parse(&out, &limits, &mut head);
    assert!(matches!(n, Ok(Some(n)) if n == out.len()), "{n:?}: {:?}", String::from_utf8_lossy(&out));
    assert_eq!(head.target.get(&out), &target[..]);

    // The path stays under the prefix whatever a normalising backend does with it.
    let path_end = target.iter().position(|&b| b == b'?').unwrap_or(target.len());
    let norm = normalised(&target[..path_end]);
    let norm_prefix = normalised(prefix.as_bytes());
    assert!(
        norm.starts_with(&norm_prefix),
        "{:?} left {prefix}",
        String::from_utf8_lossy(&target)
    );

    // Without the client's own query, every item is a mapped name: no value added one.
    if !pass_client_query {
        let q = &target[(path_end + 1).min(target.len())..];
        for (name, _) in query_pairs(q) {
            assert!(
                matches!(name, b"q" | b"h" | b"m" | b"lit" | b"k"),
                "{:?}",
                String::from_utf8_lossy(&target)
            );
        }
    }
});
