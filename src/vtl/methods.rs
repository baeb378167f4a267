//! Java methods callable on values: String, List, Map subsets API Gateway templates use.
//! Unknown methods (or wrong argument types) yield `None`, so the reference prints literally
//! as Velocity does for a failed invocation.

use super::value::{equals, Value};

/// Calls `name(args)` on `v`; list/map mutators change `v` in place (a borrowed container is
/// copied first, see `Value::owned`).
pub fn call<'d>(v: &mut Value<'d>, name: &str, args: &[Value<'d>]) -> Option<Value<'d>> {
    // `Object.toString()`, which templates use to test a whole map or list as text.
    if let ("toString", []) = (name, args) {
        return match v {
            Value::Null => None,
            Value::Str(_) | Value::Text(_) => Some(v.clone()),
            _ => Some(Value::str(&v.to_text())),
        };
    }
    match v {
        Value::JsonText(_) => *v = v.owned(),
        Value::Json(_) if matches!(name, "add" | "put") => *v = v.owned(),
        _ => {}
    }
    match v {
        Value::Str(s) => string(s, name, args),
        Value::Text(s) => string(s, name, args),
        Value::Json(n) => {
            let n = *n;
            match (name, args) {
                ("size", []) => Some(Value::Int(n.size().unwrap_or(0) as i64)),
                ("isEmpty", []) => Some(Value::Bool(n.size() == Some(0))),
                ("get", [Value::Int(i)]) if n.is_array() && *i >= 0 => {
                    n.index(*i).map(Value::from_node)
                }
                ("get", [k]) if n.is_object() => {
                    Some(n.field(&k.text()).map_or(Value::Null, Value::from_node))
                }
                ("containsKey", [k]) if n.is_object() => {
                    Some(Value::Bool(n.field(&k.text()).is_some()))
                }
                ("contains", [x]) if n.is_array() => Some(Value::Bool(
                    n.elements().any(|e| equals(x, &Value::from_node(e))),
                )),
                // Rarely used on request data: answered by the copied Java object.
                _ => call(&mut v.owned(), name, args),
            }
        }
        Value::List(l) => match (name, args) {
            ("size", []) => Some(Value::Int(l.len() as i64)),
            ("isEmpty", []) => Some(Value::Bool(l.is_empty())),
            ("get", [Value::Int(i)]) => l.get(usize::try_from(*i).ok()?).cloned(),
            ("contains", [x]) => Some(Value::Bool(l.iter().any(|y| equals(x, y)))),
            ("add", [x]) => {
                l.push(x.clone());
                Some(Value::Bool(true))
            }
            _ => None,
        },
        Value::Map(m) => match (name, args) {
            ("size", []) => Some(Value::Int(m.len() as i64)),
            ("isEmpty", []) => Some(Value::Bool(m.is_empty())),
            ("get", [k]) => {
                let k = k.text();
                Some(
                    m.iter()
                        .find(|(kk, _)| **kk == *k)
                        .map_or(Value::Null, |(_, v)| v.clone()),
                )
            }
            ("containsKey", [k]) => {
                let k = k.to_text();
                Some(Value::Bool(m.iter().any(|(kk, _)| *kk == k)))
            }
            ("keySet", []) => Some(Value::List(m.iter().map(|(k, _)| Value::str(k)).collect())),
            ("values", []) => Some(Value::List(m.iter().map(|(_, v)| v.clone()).collect())),
            ("entrySet", []) => Some(Value::List(
                m.iter()
                    .map(|(k, v)| {
                        Value::Map(vec![
                            ("key".into(), Value::str(k)),
                            ("value".into(), v.clone()),
                        ])
                    })
                    .collect(),
            )),
            ("put", [k, x]) => {
                let k = k.to_text();
                let old = match m.iter().position(|(kk, _)| *kk == k) {
                    Some(p) => std::mem::replace(&mut m[p].1, x.clone()),
                    None => {
                        m.push((k, x.clone()));
                        Value::Null
                    }
                };
                Some(old)
            }
            _ => None,
        },
        Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null | Value::JsonText(_) => None,
    }
}

fn int(v: &Value<'_>) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

/// Java String methods; indices are in UTF-16 units in Java, chars here (equal for BMP text).
fn string<'d>(s: &str, name: &str, args: &[Value<'d>]) -> Option<Value<'d>> {
    let chars = || s.chars().collect::<Vec<char>>();
    Some(match (name, args) {
        ("length", []) => Value::Int(s.chars().count() as i64),
        ("isEmpty", []) | ("empty", []) => Value::Bool(s.is_empty()),
        ("toLowerCase", []) => Value::str(&s.to_lowercase()),
        ("toUpperCase", []) => Value::str(&s.to_uppercase()),
        ("trim", []) => Value::str(s.trim_matches(|c: char| c <= ' ')),
        ("contains", [x]) => Value::Bool(s.contains(&*x.to_text())),
        ("startsWith", [x]) => Value::Bool(s.starts_with(&*x.to_text())),
        ("endsWith", [x]) => Value::Bool(s.ends_with(&*x.to_text())),
        ("equals", [x]) => Value::Bool(x.as_str() == Some(s)),
        ("equalsIgnoreCase", [x]) => Value::Bool(
            x.as_str()
                .is_some_and(|y| y.to_lowercase() == s.to_lowercase()),
        ),
        ("indexOf", [x]) => {
            let x = x.to_text();
            Value::Int(
                s.find(&*x)
                    .map(|b| s[..b].chars().count() as i64)
                    .unwrap_or(-1),
            )
        }
        ("charAt", [i]) => Value::str(&chars().get(usize::try_from(int(i)?).ok()?)?.to_string()),
        ("substring", [a]) => {
            let c = chars();
            let a = usize::try_from(int(a)?).ok()?;
            Value::str(&c.get(a..)?.iter().collect::<String>())
        }
        ("substring", [a, b]) => {
            let c = chars();
            let (a, b) = (
                usize::try_from(int(a)?).ok()?,
                usize::try_from(int(b)?).ok()?,
            );
            Value::str(&c.get(a..b)?.iter().collect::<String>())
        }
        ("replace", [a, b]) => Value::str(&s.replace(&*a.to_text(), &b.to_text())),
        ("replaceAll", [a, b]) => {
            let re = regex::Regex::new(&a.to_text()).ok()?;
            Value::str(&re.replace_all(s, java_replacement(&b.to_text())?.as_str()))
        }
        ("matches", [a]) => {
            let re = regex::Regex::new(&format!("^(?:{})$", a.to_text())).ok()?;
            Value::Bool(re.is_match(s))
        }
        ("split", [a]) => {
            let re = regex::Regex::new(&a.to_text()).ok()?;
            let mut parts: Vec<&str> = re.split(s).collect();
            // Java drops trailing empty strings.
            while parts.len() > 1 && parts.last() == Some(&"") {
                parts.pop();
            }
            Value::List(parts.into_iter().map(Value::str).collect())
        }
        _ => return None,
    })
}

/// Java `Matcher.replaceAll` replacement syntax -> the regex crate's: `$1` becomes `${1}` (the
/// crate would read `$1a` as a group named `1a`), `\\x` is a literal `x`, a literal `$` is `$$`.
/// A dangling `\\` or `$` is an error in Java, so the call fails (prints the reference).
fn java_replacement(r: &str) -> Option<String> {
    let mut out = String::with_capacity(r.len() + 4);
    let mut it = r.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next()? {
                '$' => out.push_str("$$"),
                x => out.push(x),
            },
            '$' => {
                let mut d = String::new();
                while let Some(x) = it.peek().filter(|x| x.is_ascii_digit()) {
                    d.push(*x);
                    it.next();
                }
                if d.is_empty() {
                    return None;
                }
                out.push_str("${");
                out.push_str(&d);
                out.push('}');
            }
            x => out.push(x),
        }
    }
    Some(out)
}
