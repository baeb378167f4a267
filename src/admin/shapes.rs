//! What every family's JSON shapes share: request bodies (`parse_body`: empty is `{}`, unknown
//! members refused where the shape says `deny_unknown_fields`, as AWS does), collections
//! (`Page` under `item`, `Items`) and pagination (`page_of`: AWS's `position` and `limit`).
//!
//! Each family keeps its own shapes beside its operations (`restapis::shapes`,
//! `deployments::shapes`, `keys::shapes`): output shapes are views built from `deploy::model` so
//! only AWS's members go out (never our resource tree or `extra`); timestamps are epoch seconds
//! as JSON numbers.

use super::error::ApiError;
use super::http::Request;
use serde::{Deserialize, Serialize};

/// A paginated collection (`RestApis`, `Deployments`): `{"item": [...], "position": ...}`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    pub item: Vec<T>,
}

/// `Stages`: not paginated.
#[derive(Debug, Serialize)]
pub struct Items<T> {
    pub item: Vec<T>,
}

/// Parses a JSON request body; an empty body is `{}` (botocore sends none when no member is set).
pub fn parse_body<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))
}

pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 500;

/// Reads the `limit` query value: default 25, 1..=500.
pub fn parse_limit(limit: Option<&str>) -> Result<usize, ApiError> {
    let Some(raw) = limit else {
        return Ok(DEFAULT_LIMIT);
    };
    match raw.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "Invalid limit {raw}: the limit must be between 1 and {MAX_LIMIT}"
        ))),
    }
}

/// One page of `items` (sorted by `key`): those from `position` (the key of the first item to
/// return, as handed out by the previous page) on, at most `limit`, and the next page's position.
pub fn paginate<'a, T>(
    items: &'a [T],
    key: impl Fn(&T) -> &str,
    position: Option<&str>,
    limit: usize,
) -> (&'a [T], Option<String>) {
    let start = match position {
        Some(p) => items.partition_point(|t| key(t) < p),
        None => 0,
    };
    let end = (start + limit).min(items.len());
    let next = items.get(end).map(|t| key(t).to_string());
    (&items[start..end], next)
}

/// One page of a listing, as every AWS `Get*s` collection answers: `position` and `limit` from the
/// request's query, `items` sorted by `key`, each item on the page encoded by `out`.
pub fn page_of<'a, T, O>(
    req: &Request,
    items: &'a [T],
    key: impl Fn(&T) -> &str,
    out: impl FnMut(&'a T) -> O,
) -> Result<Page<O>, ApiError> {
    let limit = parse_limit(req.query("limit"))?;
    let (page, position) = paginate(items, key, req.query("position"), limit);
    Ok(Page {
        position,
        item: page.iter().map(out).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_walks_every_item_once() {
        let items: Vec<String> = (0..7).map(|i| format!("id{i}")).collect();
        let mut seen = Vec::new();
        let mut position: Option<String> = None;
        loop {
            let (page, next) = paginate(&items, |s| s, position.as_deref(), 3);
            seen.extend(page.iter().cloned());
            match next {
                Some(n) => position = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, items);
        // A position past everything (the item was deleted meanwhile) gives an empty last page.
        assert_eq!(paginate(&items, |s| s, Some("zzz"), 3), (&items[7..], None));
        // A deleted position resumes at the next key.
        assert_eq!(paginate(&items, |s| s, Some("id2a"), 2).0, &items[3..5]);
    }

    #[test]
    fn page_of_reads_position_and_limit_from_the_query() {
        let items: Vec<String> = (0..5).map(|i| format!("id{i}")).collect();
        let req = |q: &[(&str, &str)]| Request {
            query: q
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        };
        let p = page_of(&req(&[("limit", "2")]), &items, |s| s, String::len).unwrap();
        assert_eq!((p.item, p.position.as_deref()), (vec![3, 3], Some("id2")));
        let p = page_of(&req(&[("position", "id2")]), &items, |s| s, Clone::clone).unwrap();
        assert_eq!((p.item, p.position), (items[2..].to_vec(), None));
        assert!(page_of(&req(&[("limit", "0")]), &items, |s| s, String::len).is_err());
    }

    #[test]
    fn limit_defaults_and_bounds() {
        assert_eq!(parse_limit(None).unwrap(), 25);
        assert_eq!(parse_limit(Some("500")).unwrap(), 500);
        for bad in ["0", "501", "x", "-1"] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
