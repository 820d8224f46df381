//! Token pagination as the contract describes it: `limit` (default 10, 1..=100, anything else
//! is a 400), an opaque `pageToken`, and `nextPageToken` only when more items remain.
//!
//! A page token stands for a cursor (the sort key of the last item served) and the listing it
//! belongs to, so items added or removed between pages never cause duplicates, and a token
//! replayed against another listing is refused.
use std::collections::HashMap;

use super::keys::random_token;
use super::reply::ApiError;

pub(crate) const DEFAULT_LIMIT: usize = 10;
pub(crate) const MAX_LIMIT: usize = 100;

/// Parses the `limit` query parameter.
pub(crate) fn parse_limit(raw: Option<&str>) -> Result<usize, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    let invalid = || {
        ApiError::bad_request(format!(
            "limit must be an integer from 1 to {MAX_LIMIT}, got {raw:?}"
        ))
    };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match raw.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(invalid()),
    }
}

#[derive(Debug, Clone)]
struct Cursor {
    scope: String,
    after: String,
}

/// The page tokens handed out so far.
#[derive(Debug, Default)]
pub(crate) struct PageTokens {
    cursors: HashMap<String, Cursor>,
}

impl PageTokens {
    /// The cursor a `pageToken` stands for (`None` for the first page). An empty token is the
    /// first page too; an unknown token, or one from another listing, is a 400.
    pub(crate) fn resolve(
        &self,
        token: Option<&str>,
        scope: &str,
    ) -> Result<Option<String>, ApiError> {
        match token {
            None | Some("") => Ok(None),
            Some(token) => match self.cursors.get(token) {
                Some(c) if c.scope == scope => Ok(Some(c.after.clone())),
                Some(_) => Err(ApiError::bad_request(
                    "pageToken belongs to another listing",
                )),
                None => Err(ApiError::bad_request("unknown pageToken")),
            },
        }
    }

    /// Cuts one page out of `items` (pairs of sort key and item, in any order) after `after`,
    /// and issues the token of the next page when items remain.
    pub(crate) fn page<T>(
        &mut self,
        scope: &str,
        mut items: Vec<(String, T)>,
        after: Option<&str>,
        limit: usize,
    ) -> (Vec<T>, Option<String>) {
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let mut rest = items
            .into_iter()
            .filter(|(key, _)| after.is_none_or(|after| key.as_str() > after))
            .peekable();
        let mut page = Vec::with_capacity(limit);
        let mut last = None;
        while page.len() < limit {
            let Some((key, item)) = rest.next() else {
                break;
            };
            last = Some(key);
            page.push(item);
        }
        let next = match (rest.peek(), last) {
            (Some(_), Some(after)) => {
                let token = random_token();
                let cursor = Cursor {
                    scope: scope.to_string(),
                    after,
                };
                self.cursors.insert(token.clone(), cursor);
                Some(token)
            }
            _ => None,
        };
        (page, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None), Ok(10));
        assert_eq!(parse_limit(Some("1")), Ok(1));
        assert_eq!(parse_limit(Some("100")), Ok(100));
        for bad in [
            "0",
            "101",
            "-1",
            "",
            "ten",
            "1.5",
            " 5",
            "99999999999999999999999",
        ] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_follow_cursor_without_duplicates() {
        let mut tokens = PageTokens::default();
        let items: Vec<(String, u32)> = (0..25).map(|i| (format!("{i:03}"), i)).collect();
        let (first, next) = tokens.page("s", items.clone(), None, 10);
        assert_eq!(first, (0..10).collect::<Vec<_>>());
        let after = tokens.resolve(next.as_deref(), "s");
        let after = after.ok().flatten();
        let (second, next) = tokens.page("s", items.clone(), after.as_deref(), 10);
        assert_eq!(second, (10..20).collect::<Vec<_>>());
        let after = tokens.resolve(next.as_deref(), "s").ok().flatten();
        let (third, next) = tokens.page("s", items, after.as_deref(), 10);
        assert_eq!(third, (20..25).collect::<Vec<_>>());
        assert_eq!(next, None);
    }

    #[test]
    fn exact_fit_has_no_next_token() {
        let mut tokens = PageTokens::default();
        let items: Vec<(String, u32)> = (0..10).map(|i| (format!("{i:03}"), i)).collect();
        let (page, next) = tokens.page("s", items, None, 10);
        assert_eq!(page.len(), 10);
        assert_eq!(next, None);
    }

    #[test]
    fn tokens_are_bound_to_their_listing() {
        let mut tokens = PageTokens::default();
        let items: Vec<(String, u32)> = (0..3).map(|i| (format!("{i}"), i)).collect();
        let (_, next) = tokens.page("a", items, None, 1);
        assert!(next.is_some());
        assert!(tokens.resolve(next.as_deref(), "a").is_ok());
        assert!(tokens.resolve(next.as_deref(), "b").is_err());
        assert!(tokens.resolve(Some("nope"), "a").is_err());
        assert_eq!(tokens.resolve(Some(""), "a"), Ok(None));
    }
}
