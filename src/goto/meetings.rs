//! Meeting and attendee listings: the offboarding audit and the attendance report.
use super::client::GoToClient;
use super::error::Error;
use super::models::{Attendee, Meeting, MeetingInstanceKey, MeetingQuery, OrganizerKey};
use super::paging::paginate;
use futures::stream::BoxStream;
use url::Url;

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

    /// The attendees of one ended session; [`Error::NotFound`] while it has not ended.
    pub fn list_attendees(
        &self,
        instance: &MeetingInstanceKey,
    ) -> BoxStream<'static, Result<Attendee, Error>> {
        let url = self.endpoint(&["meetings", instance.as_str(), "attendees"]);
        paginate(self.clone(), "list_attendees", url, "attendees")
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
