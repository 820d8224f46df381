//! Tests of `paging`.
use super::*;

#[test]
fn pages_decode_items_and_token() {
    let page: Page<serde_json::Value> = decode_page(
        br#"{"organizers":[{"a":1},{"a":2}],"nextPageToken":"abc"}"#,
        "organizers",
    )
    .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next.as_deref(), Some("abc"));
}

#[test]
fn an_empty_or_missing_token_ends_the_listing() {
    for body in [
        &br#"{"organizers":[],"nextPageToken":""}"#[..],
        br#"{"organizers":[]}"#,
        br#"{"organizers":[],"nextPageToken":null}"#,
        br#"{}"#,
    ] {
        let page: Page<serde_json::Value> = decode_page(body, "organizers").unwrap();
        assert_eq!(page.next, None);
    }
}

#[test]
fn a_numeric_token_is_a_decode_error() {
    let result: Result<Page<serde_json::Value>, _> =
        decode_page(br#"{"nextPageToken":5}"#, "meetings");
    assert!(matches!(result, Err(Error::Decode(_))));
}

#[test]
fn an_overlong_token_is_a_decode_error_that_does_not_quote_it() {
    let body = format!(
        r#"{{"meetings":[],"nextPageToken":"{}"}}"#,
        "t".repeat(MAX_PAGE_TOKEN_LEN + 1)
    );
    let result: Result<Page<serde_json::Value>, _> = decode_page(body.as_bytes(), "meetings");
    let Err(Error::Decode(message)) = result else {
        panic!("{result:?}")
    };
    assert!(!message.contains("ttt"), "{message}");
    let result: Result<Page<serde_json::Value>, _> =
        decode_page(br#"{"nextPageToken":{"secret":"x"}}"#, "meetings");
    assert!(matches!(&result, Err(Error::Decode(m)) if !m.contains("secret")));
}

#[test]
fn a_listing_ends_when_it_loops_or_passes_a_limit() {
    let mut guard = ListingGuard::new("list_organizers", 3);
    assert!(guard.page(10, Some("a")).is_ok());
    let looped = guard.page(10, Some("a")).unwrap_err().to_string();
    assert!(looped.contains("repeated a page token"), "{looped}");
    let mut guard = ListingGuard::new("list_organizers", 3);
    assert!(guard.page(10, Some("a")).is_ok());
    assert!(guard.page(10, Some("b")).is_ok());
    let long = guard.page(10, Some("c")).unwrap_err().to_string();
    assert!(long.contains("more than 3 pages"), "{long}");
    let mut guard = ListingGuard::new("list_meetings", MAX_PAGES);
    assert!(guard.page(MAX_LISTING_BYTES, Some("a")).is_ok());
    let big = guard.page(1, None).unwrap_err().to_string();
    assert!(big.contains("passed 32 MiB"), "{big}");
    // The last page may be the limit's last page.
    let mut guard = ListingGuard::new("list_organizers", 1);
    assert!(guard.page(10, None).is_ok());
}

/// Issue 21 (2): a listing keeps at most its bound of items, counted as they are parsed.
#[test]
fn the_item_past_the_bound_ends_the_listing() {
    let body = br#"{"organizers":[{"a":1},{"a":2},{"a":3}],"nextPageToken":"n"}"#;
    let page: Page<serde_json::Value> = decode_page_bounded(body, "organizers", 3).unwrap();
    assert_eq!(page.items.len(), 3);
    let result: Result<Page<serde_json::Value>, _> = decode_page_bounded(body, "organizers", 2);
    let Err(Error::Decode(message)) = result else {
        panic!("{result:?}")
    };
    assert!(message.contains("more than 2 more organizers"), "{message}");
    // Across pages: the guard hands each page what is left.
    let mut guard = ListingGuard::new("list_organizers", MAX_PAGES);
    guard.kept(MAX_LISTING_ENTRIES - 2);
    assert_eq!(guard.items_left(), 2);
    assert!(
        decode_page_bounded::<serde_json::Value>(body, "organizers", guard.items_left()).is_err()
    );
    // Items that are not an array, or appear twice, are decode errors as before.
    for bad in [
        &br#"{"organizers":null}"#[..],
        br#"{"organizers":{}}"#,
        br#"{"organizers":[],"organizers":[]}"#,
        br#"{"organizers":[]} trailing"#,
    ] {
        let result: Result<Page<serde_json::Value>, _> = decode_page(bad, "organizers");
        assert!(matches!(result, Err(Error::Decode(_))), "{result:?}");
    }
}

/// Issue 21 (2): a listed organizer keeps key, email and status, nothing else; an email
/// longer than any real one is refused.
#[test]
fn listed_organizers_skip_unknown_fields_and_refuse_huge_emails() {
    use crate::goto::models::{ListedOrganizer, MAX_EMAIL_BYTES};
    let page: Page<ListedOrganizer> = decode_page(
        br#"{"organizers":[{"organizerKey":"7","email":"a@b.c","status":"SUSPENDED",
            "firstName":"A","flags":{"deep":[1,2,3]}}]}"#,
        "organizers",
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&page.items[0]).unwrap(),
        serde_json::json!({"organizerKey":"7","email":"a@b.c","status":"SUSPENDED"})
    );
    let huge = format!(
        r#"{{"organizers":[{{"organizerKey":"7","email":"{}"}}]}}"#,
        "a".repeat(MAX_EMAIL_BYTES + 1)
    );
    let result: Result<Page<ListedOrganizer>, _> = decode_page(huge.as_bytes(), "organizers");
    assert!(matches!(result, Err(Error::Decode(_))), "{result:?}");
}

#[test]
fn page_urls_carry_limit_and_token() {
    let base = Url::parse("http://h/G2M/rest/v2/organizers/1/meetings?status=HISTORY").unwrap();
    assert_eq!(
        page_url(&base, None).as_str(),
        "http://h/G2M/rest/v2/organizers/1/meetings?status=HISTORY&limit=100"
    );
    assert_eq!(
        page_url(&base, Some("a b&c")).as_str(),
        "http://h/G2M/rest/v2/organizers/1/meetings?status=HISTORY&limit=100&pageToken=a+b%26c"
    );
}
