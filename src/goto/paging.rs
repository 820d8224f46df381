//! Token pagination as a `futures::Stream`.
//!
//! GoTo pages with an opaque `nextPageToken`, absent or empty on the last page. The
//! stream asks for the largest page (100), follows the token, and ends with an error
//! rather than loop if the server ever hands back a token it already gave, hands out
//! tokens forever (at most [`MAX_PAGES`] pages, a million items at 100 a page), sends more
//! than [`MAX_LISTING_BYTES`] in all (what a listing holds in memory must stay bounded, and
//! an endpoint chosen by a tenant could otherwise send 10,000 pages of 1 MiB), or sends a
//! token longer than [`MAX_PAGE_TOKEN_LEN`], or more than [`MAX_LISTING_ENTRIES`] items (each
//! page is parsed item by item into the caller's slim type, and the item past the bound stops
//! it). Tokens already seen are remembered by hash, so
//! an endless listing costs a few bytes a page, not the tokens themselves. [`ListingGuard`]
//! holds these rules for every paginated read.
use super::client::{ApiRequest, GoToClient};
use super::error::Error;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use reqwest::Method;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor,
};
use std::cell::Cell;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use url::Url;

/// Largest page GoTo serves; above it answers 400.
pub(crate) const PAGE_LIMIT: u32 = 100;
/// Query parameter carrying the page token (**assumed** name, see goto-api.md).
pub(crate) const PAGE_TOKEN_PARAM: &str = "pageToken";
/// Response field carrying the next page's token.
const NEXT_PAGE_TOKEN_FIELD: &str = "nextPageToken";
/// Pages one listing may take; an endpoint that never stops ends with an error here.
pub(crate) const MAX_PAGES: usize = 10_000;
/// Longest page token followed (it is sent back in the URL).
pub(crate) const MAX_PAGE_TOKEN_LEN: usize = 2048;
/// Most bytes one listing reads over all its pages (some 60,000 organizers).
pub(crate) const MAX_LISTING_BYTES: usize = 32 * 1024 * 1024;
/// Most items one listing keeps over all its pages: an account's organizers (GoTo's largest
/// accounts hold a few thousand seats), or one organizer's meetings. Together with
/// [`MAX_LISTING_BYTES`] and the slim item types (`ListedOrganizer`), this bounds what a
/// listing from a hostile endpoint can make the operator hold: each item is counted as it
/// is parsed, and the one past the bound ends the listing with [`Error::Decode`].
pub(crate) const MAX_LISTING_ENTRIES: usize = 100_000;

/// What one listing has read so far: it ends with an error once it loops, passes its page
/// limit or [`MAX_LISTING_BYTES`].
pub(crate) struct ListingGuard {
    operation: &'static str,
    max_pages: usize,
    pages: usize,
    bytes: usize,
    /// Items kept so far.
    items: usize,
    /// Hashes of the tokens followed so far.
    seen: HashSet<u64>,
}

impl ListingGuard {
    pub(crate) fn new(operation: &'static str, max_pages: usize) -> Self {
        Self {
            operation,
            max_pages,
            pages: 0,
            bytes: 0,
            items: 0,
            seen: HashSet::new(),
        }
    }

    /// How many more items the listing may keep.
    pub(crate) fn items_left(&self) -> usize {
        MAX_LISTING_ENTRIES.saturating_sub(self.items)
    }

    /// Counts `items` kept from a page (at most [`ListingGuard::items_left`]).
    pub(crate) fn kept(&mut self, items: usize) {
        self.items = self.items.saturating_add(items);
    }

    /// Counts one page of `bytes` whose next page is `next`: an error when following it
    /// would loop or go past a limit.
    pub(crate) fn page(&mut self, bytes: usize, next: Option<&str>) -> Result<(), Error> {
        let operation = self.operation;
        self.pages += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        if self.bytes > MAX_LISTING_BYTES {
            return Err(Error::Decode(format!(
                "{operation}: the listing passed {} MiB; stopping",
                MAX_LISTING_BYTES / (1024 * 1024)
            )));
        }
        let Some(next) = next else { return Ok(()) };
        if !self.seen.insert(token_hash(next)) {
            return Err(Error::Decode(format!(
                "{operation}: GoTo repeated a page token; stopping instead of looping"
            )));
        }
        if self.pages >= self.max_pages {
            return Err(Error::Decode(format!(
                "{operation}: more than {} pages; stopping",
                self.max_pages
            )));
        }
        Ok(())
    }
}

/// One page's items and what comes after it.
#[derive(Debug, PartialEq)]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next: Option<String>,
}

/// Decodes a page whose items sit under `field` (e.g. `organizers`), at most
/// [`MAX_LISTING_ENTRIES`] of them (see [`decode_page_bounded`]).
#[cfg(test)]
pub(crate) fn decode_page<T: DeserializeOwned>(body: &[u8], field: &str) -> Result<Page<T>, Error> {
    decode_page_bounded(body, field, MAX_LISTING_ENTRIES)
}

/// Decodes a page straight into its items, as a stream over the body: each item is parsed
/// into `T` on its own (fields `T` does not name are skipped without being kept), and the
/// page ends with an error at its `max_items + 1`th item, before that item is kept. Other
/// fields of the page are skipped; the token is read as before.
pub(crate) fn decode_page_bounded<T: DeserializeOwned>(
    body: &[u8],
    field: &str,
    max_items: usize,
) -> Result<Page<T>, Error> {
    let what = format!("{field} page");
    let overflowed = Cell::new(false);
    let seed = PageSeed {
        field,
        max_items,
        overflowed: &overflowed,
        marker: PhantomData,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let decoded = seed
        .deserialize(&mut deserializer)
        .and_then(|page| deserializer.end().map(|()| page));
    if overflowed.get() {
        return Err(Error::Decode(format!(
            "{field} page: the listing has more than {max_items} more {field}; stopping \
             (at most {MAX_LISTING_ENTRIES} a listing)"
        )));
    }
    let (items, token) = decoded.map_err(|e| Error::decode(&what, &e))?;
    let next = match token {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(token)) if token.is_empty() => None,
        Some(serde_json::Value::String(token)) if token.len() > MAX_PAGE_TOKEN_LEN => {
            return Err(Error::Decode(format!(
                "{field} page: {NEXT_PAGE_TOKEN_FIELD} is longer than {MAX_PAGE_TOKEN_LEN} bytes"
            )));
        }
        Some(serde_json::Value::String(token)) => Some(token),
        Some(_) => {
            return Err(Error::Decode(format!(
                "{field} page: {NEXT_PAGE_TOKEN_FIELD} is not a string"
            )));
        }
    };
    Ok(Page {
        items: items.unwrap_or_default(),
        next,
    })
}

/// Decodes a body that is a bare JSON array (v1's listings), as a stream over the body like
/// [`decode_page_bounded`]: each item parsed on its own, an error at the `max_items + 1`th.
pub(crate) fn decode_array_bounded<T: DeserializeOwned>(
    body: &[u8],
    what: &str,
    max_items: usize,
) -> Result<Vec<T>, Error> {
    let overflowed = Cell::new(false);
    let seed = ItemsSeed {
        max_items,
        overflowed: &overflowed,
        marker: PhantomData,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let decoded = seed
        .deserialize(&mut deserializer)
        .and_then(|items| deserializer.end().map(|()| items));
    if overflowed.get() {
        return Err(Error::Decode(format!(
            "{what}: more than {max_items} entries; stopping"
        )));
    }
    decoded.map_err(|e| Error::decode(what, &e))
}

/// Reads one page object: the items under `field`, the token, and skips everything else.
struct PageSeed<'a, T> {
    field: &'a str,
    max_items: usize,
    overflowed: &'a Cell<bool>,
    marker: PhantomData<T>,
}

type PageParts<T> = (Option<Vec<T>>, Option<serde_json::Value>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for PageSeed<'_, T> {
    type Value = PageParts<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for PageSeed<'_, T> {
    type Value = PageParts<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a page object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut items, mut token) = (None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.field {
                if items.is_some() {
                    return Err(de::Error::custom("the items appear twice"));
                }
                items = Some(map.next_value_seed(ItemsSeed {
                    max_items: self.max_items,
                    overflowed: self.overflowed,
                    marker: PhantomData,
                })?);
            } else if key == NEXT_PAGE_TOKEN_FIELD {
                token = Some(map.next_value::<serde_json::Value>()?);
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        Ok((items, token))
    }
}

/// Reads the items array one item at a time, refusing the `max_items + 1`th.
struct ItemsSeed<'a, T> {
    max_items: usize,
    overflowed: &'a Cell<bool>,
    marker: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for ItemsSeed<'_, T> {
    type Value = Vec<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for ItemsSeed<'_, T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an array of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        loop {
            if items.len() == self.max_items {
                // One more item (rather than the end of the array) is one too many.
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    self.overflowed.set(true);
                    return Err(de::Error::custom("too many items"));
                }
                return Ok(items);
            }
            match seq.next_element::<T>()? {
                Some(item) => items.push(item),
                None => return Ok(items),
            }
        }
    }
}

/// The URL of one page: `base` plus the limit and, after the first page, the token.
pub(crate) fn page_url(base: &Url, token: Option<&str>) -> Url {
    let mut url = base.clone();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("limit", &PAGE_LIMIT.to_string());
        if let Some(token) = token {
            query.append_pair(PAGE_TOKEN_PARAM, token);
        }
    }
    url
}

enum Cursor {
    First,
    Next(String),
    Done,
}

struct State {
    client: GoToClient,
    cursor: Cursor,
    guard: ListingGuard,
}

fn token_hash(token: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    token.hash(&mut hasher);
    hasher.finish()
}

/// Streams every item of a paginated listing at `base` (which may carry filter parameters).
pub(crate) fn paginate<T>(
    client: GoToClient,
    operation: &'static str,
    base: Result<Url, Error>,
    field: &'static str,
) -> BoxStream<'static, Result<T, Error>>
where
    T: DeserializeOwned + Send + 'static,
{
    let base = match base {
        Ok(base) => base,
        Err(error) => return stream::once(async { Err(error) }).boxed(),
    };
    let state = State {
        client,
        cursor: Cursor::First,
        guard: ListingGuard::new(operation, MAX_PAGES),
    };
    stream::try_unfold(state, move |mut state| {
        let base = base.clone();
        async move {
            let token = match std::mem::replace(&mut state.cursor, Cursor::Done) {
                Cursor::Done => return Ok(None),
                Cursor::First => None,
                Cursor::Next(token) => Some(token),
            };
            let request = ApiRequest {
                operation,
                method: Method::GET,
                url: page_url(&base, token.as_deref()),
                body: None,
            };
            let raw = state.client.call(&request).await?;
            let page: Page<T> = decode_page_bounded(&raw.body, field, state.guard.items_left())?;
            state.guard.kept(page.items.len());
            state.guard.page(raw.body.len(), page.next.as_deref())?;
            if let Some(next) = page.next {
                state.cursor = Cursor::Next(next);
            }
            Ok(Some((stream::iter(page.items.into_iter().map(Ok)), state)))
        }
    })
    .try_flatten()
    .boxed()
}

#[cfg(test)]
#[path = "paging_tests.rs"]
mod tests;
