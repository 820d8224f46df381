//! Meeting and attendee listings: the offboarding audit and the attendance report.
use super::client::{ApiRequest, GoToClient};
use super::error::Error;
use super::models::{Attendee, Meeting, MeetingInstanceKey, MeetingQuery, OrganizerKey};
use super::paging::{ListingGuard, decode_page_bounded, page_url, paginate};
use futures::stream::BoxStream;
use reqwest::Method;
use url::Url;

/// Most pages the deletion audit reads before giving up (100 meetings a page).
const AUDIT_MAX_PAGES: usize = 1000;

/// Query parameter names of the meeting filter (`startDate`/`endDate` are **assumed**).
const STATUS_PARAM: &str = "status";
const START_DATE_PARAM: &str = "startDate";
const END_DATE_PARAM: &str = "endDate";

impl GoToClient {
    /// The organizer's meetings matching `query` (default: upcoming).
    pub fn list_meetings(
        &self,
        key: &OrganizerKey,
        query: MeetingQuery,
    ) -> BoxStream<'static, Result<Meeting, Error>> {
        let url = self
            .endpoint(&["organizers", key.as_str(), "meetings"])
            .map(|url| with_meeting_query(url, &query));
        paginate(self.clone(), "list_meetings", url, "meetings")
    }

    /// Every upcoming meeting of the organizer, read strictly for the audit that precedes a
    /// DELETE (which cancels them all): a page without a readable `meetings` array, a failing
    /// page, or a 404 is an error, never "no meetings".
    pub async fn audit_upcoming_meetings(&self, key: &OrganizerKey) -> Result<Vec<Meeting>, Error> {
        let base = self.endpoint(&["organizers", key.as_str(), "meetings"])?;
        let mut meetings = Vec::new();
        let mut token: Option<String> = None;
        let mut guard = ListingGuard::new("list_meetings", AUDIT_MAX_PAGES);
        loop {
            let request = ApiRequest {
                operation: "list_meetings",
                method: Method::GET,
                url: page_url(&base, token.as_deref()),
                body: None,
            };
            let raw = self.call(&request).await?;
            require_array(&raw.body, "meetings")?;
            let page = decode_page_bounded::<Meeting>(&raw.body, "meetings", guard.items_left())?;
            guard.kept(page.items.len());
            guard.page(raw.body.len(), page.next.as_deref())?;
            meetings.extend(page.items);
            match page.next {
                None => return Ok(meetings),
                Some(next) => token = Some(next),
            }
        }
    }

    /// The attendees of one ended session; [`Error::NotFound`] while it has not ended.
    pub fn list_attendees(
        &self,
        instance: &MeetingInstanceKey,
    ) -> BoxStream<'static, Result<Attendee, Error>> {
        let url = self.endpoint(&["meetings", instance.as_str(), "attendees"]);
        paginate(self.clone(), "list_attendees", url, "attendees")
    }
}

/// Fails unless `body` is a JSON object whose `field` is an array: a page that lacks it says
/// nothing about how many items there are.
fn require_array(body: &[u8], field: &str) -> Result<(), Error> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| Error::Decode(format!("{field} page is not JSON")))?;
    match value.get(field) {
        Some(serde_json::Value::Array(_)) => Ok(()),
        Some(_) => Err(Error::Decode(format!("{field} is not a list"))),
        None => Err(Error::Decode(format!("the page has no {field} field"))),
    }
}

/// Adds the filter of `query` to a meetings URL; dates are ISO-8601 instants in UTC.
pub(crate) fn with_meeting_query(mut url: Url, query: &MeetingQuery) -> Url {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(status) = query.status {
        pairs.push((STATUS_PARAM, status.as_str().to_owned()));
    }
    if let Some(start) = query.start_date {
        pairs.push((START_DATE_PARAM, start.to_string()));
    }
    if let Some(end) = query.end_date {
        pairs.push((END_DATE_PARAM, end.to_string()));
    }
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_page_must_carry_the_meetings_array() {
        assert!(require_array(br#"{"meetings":[]}"#, "meetings").is_ok());
        for bad in [
            &br#"{}"#[..],
            br#"{"meetings":null}"#,
            br#"{"meetings":{}}"#,
            br#"{"meeting":[]}"#,
            br#"not json"#,
            br#"[]"#,
        ] {
            assert!(
                matches!(require_array(bad, "meetings"), Err(Error::Decode(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn upcoming_is_the_bare_url() {
        let url = Url::parse("http://h/G2M/rest/v2/organizers/1/meetings").unwrap();
        assert_eq!(
            with_meeting_query(url.clone(), &MeetingQuery::default()),
            url
        );
    }

    #[test]
    fn history_carries_status_and_range() {
        let url = Url::parse("http://h/G2M/rest/v2/organizers/1/meetings").unwrap();
        let query = MeetingQuery::history(
            "2026-01-01T00:00:00Z".parse().unwrap(),
            "2026-02-01T00:00:00Z".parse().unwrap(),
        );
        assert_eq!(
            with_meeting_query(url, &query).as_str(),
            "http://h/G2M/rest/v2/organizers/1/meetings?status=HISTORY&startDate=2026-01-01T00%3A00%3A00Z&endDate=2026-02-01T00%3A00%3A00Z"
        );
    }
}
