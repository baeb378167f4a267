//! The renderer against fixed values: each place, absent values, and the dot-segment refusal.

use super::*;
use crate::http::uri::Form;

/// Values as a client would have sent them: path captures (path text), query pairs (query
/// text) and headers (plain).
struct Fixed<'a> {
    captures: &'a [&'a str],
    query: &'a str,
    headers: &'a [(&'a str, &'a str)],
}

impl Values for Fixed<'_> {
    fn put(&self, src: &ParamSource, place: Place, out: &mut Vec<u8>) -> Result<bool, ValueError> {
        let (value, form) = match src {
            ParamSource::PathCapture(i) => match self.captures.get(*i as usize) {
                Some(v) => (*v, Form::Path),
                None => return Ok(false),
            },
            ParamSource::Query(n) => {
                match crate::pipeline::params::query_first(self.query.as_bytes(), n.as_bytes()) {
                    Some(v) => (std::str::from_utf8(v).unwrap(), Form::Query),
                    None => return Ok(false),
                }
            }
            ParamSource::Header(n) => match self.headers.iter().find(|(h, _)| h == &&**n) {
                Some((_, v)) => (*v, Form::Plain),
                None => return Ok(false),
            },
            ParamSource::Literal(v) => (&**v, Form::Plain),
            _ => return Ok(false),
        };
        put(out, value.as_bytes(), form, place)?;
        Ok(true)
    }

    fn each_query(&self, name: &[u8], f: &mut dyn FnMut(&[u8])) {
        for (n, v) in crate::pipeline::params::query_pairs(self.query.as_bytes()) {
            if n == name {
                f(v);
            }
        }
    }

    fn client_query(&self) -> &[u8] {
        self.query.as_bytes()
    }
}

fn lit(s: &str) -> UriPart {
    UriPart::Literal(s.into())
}

fn cap(i: u8, greedy: bool) -> UriPart {
    UriPart::Param {
        name: "p".into(),
        source: ParamSource::PathCapture(i),
        greedy,
    }
}

fn render_str(t: &Template<'_>, v: &Fixed<'_>) -> Result<String, TargetError> {
    let mut out = b"GET ".to_vec();
    render(t, v, &mut out).map(|()| String::from_utf8(out[4..].to_vec()).unwrap())
}

fn path_only(path: &[UriPart]) -> Template<'_> {
    Template {
        path,
        fixed_query: None,
        query_params: &[],
        pass_client_query: false,
    }
}

#[test]
fn a_path_value_is_one_segment() {
    let path = [lit("/base/"), cap(0, false), lit("/end")];
    let cases = [
        ("a%3Fb", "/base/a%3Fb/end"),
        ("a?b", "/base/a%3Fb/end"),
        ("a%20b", "/base/a%20b/end"),
        ("%252e%252e", "/base/%252e%252e/end"),
        ("caf%C3%A9", "/base/caf%C3%A9/end"),
        ("a\"<>{|}\\^`", "/base/a%22%3C%3E%7B%7C%7D%5C%5E%60/end"),
        ("...", "/base/.../end"),
    ];
    for (value, want) in cases {
        let v = Fixed {
            captures: &[value],
            query: "",
            headers: &[],
        };
        assert_eq!(
            render_str(&path_only(&path), &v).as_deref(),
            Ok(want),
            "{value}"
        );
    }
}

#[test]
fn dot_segments_in_any_spelling_are_refused() {
    let single = [lit("/base/"), cap(0, false)];
    let greedy = [lit("/base/"), cap(0, true)];
    for value in [
        "..",
        ".",
        "%2e%2e",
        "%2E.",
        ".%2e",
        "%2e",
        "x%2F..%2Fy",
        "..%5C",
    ] {
        let v = Fixed {
            captures: &[value],
            query: "",
            headers: &[],
        };
        assert_eq!(
            render_str(&path_only(&single), &v),
            Err(TargetError::DotSegment),
            "{value}"
        );
    }
    for value in [
        "a/../../etc/passwd",
        "../x",
        "a/%2e%2e/b",
        "a%2F..%2Fb",
        "a/.%2E/b",
        "a/./b",
        "a/..",
        "..\\..\\x",
        "a%5C..%5Cb",
    ] {
        let v = Fixed {
            captures: &[value],
            query: "",
            headers: &[],
        };
        assert_eq!(
            render_str(&path_only(&greedy), &v),
            Err(TargetError::DotSegment),
            "{value}"
        );
    }
    // A greedy value keeps its separators; double encoding stays text.
    let v = Fixed {
        captures: &["a/b%2Fc/%252e%252e/d e"],
        query: "",
        headers: &[],
    };
    assert_eq!(
        render_str(&path_only(&greedy), &v).as_deref(),
        Ok("/base/a/b/c/%252e%252e/d%20e")
    );
}

#[test]
fn query_separators_are_placed_whichever_values_are_absent() {
    let params: Vec<(Box<str>, ParamSource)> = vec![
        ("a".into(), ParamSource::Query("a".into())),
        ("b".into(), ParamSource::Query("b".into())),
        ("c".into(), ParamSource::Header("c".into())),
    ];
    let t = |fixed: Option<&'static str>, pass: bool| Template {
        path: &[],
        fixed_query: fixed,
        query_params: &params,
        pass_client_query: pass,
    };
    let run = |t: &Template<'_>, query: &str, headers: &[(&str, &str)]| {
        render_str(
            t,
            &Fixed {
                captures: &[],
                query,
                headers,
            },
        )
        .unwrap()
    };
    assert_eq!(run(&t(None, false), "", &[]), "/");
    assert_eq!(run(&t(None, false), "b=2", &[]), "/?b=2");
    assert_eq!(run(&t(None, false), "", &[("c", "3")]), "/?c=3");
    assert_eq!(run(&t(None, false), "a=1&b=2", &[]), "/?a=1&b=2");
    assert_eq!(run(&t(Some("k=v"), false), "b=2", &[]), "/?k=v&b=2");
    assert_eq!(run(&t(None, true), "z=9&b=2", &[]), "/?z=9&b=2&b=2");
    // Encoded separators stay encoded; `+` is a space; a header's `&` cannot add a parameter.
    assert_eq!(
        run(
            &t(None, false),
            "a=x%26y%3Dz&b=p+q",
            &[("c", "1&admin=true")]
        ),
        "/?a=x%26y%3Dz&b=p%20q&c=1%26admin%3Dtrue"
    );
    // The client's own query passes through with only what a target may not hold escaped.
    assert_eq!(
        run(&t(None, true), "x=\"<a>\"&y=%zz", &[]),
        "/?x=%22%3Ca%3E%22&y=%25zz"
    );
}

#[test]
fn multi_valued_query_repeats_the_pair() {
    let params: Vec<(Box<str>, ParamSource)> =
        vec![("to".into(), ParamSource::MultiQuery("m".into()))];
    let t = Template {
        path: &[],
        fixed_query: None,
        query_params: &params,
        pass_client_query: false,
    };
    let v = Fixed {
        captures: &[],
        query: "m=1&m=a%26b&x=0&m=c+d",
        headers: &[],
    };
    assert_eq!(
        render_str(&t, &v).as_deref(),
        Ok("/?to=1&to=a%26b&to=c%20d")
    );
}
