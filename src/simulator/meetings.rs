//! Meetings and sessions: the upcoming list (`ACTIVE`, `INACTIVE`, or both when no status is
//! given), `HISTORY` sessions with their meetingInstanceKey, and attendees, which exist only
//! for a session that has ended and only under its meetingInstanceKey.
use jiff::Timestamp;
use serde::Serialize;

use super::directory::{Directory, check_key};
use super::keys::{parse_bound, time_key_order};
use super::model::{SeedMeeting, SeedSession, SimAttendee, SimMeeting, SimSession};
use super::reply::ApiError;

/// Which meetings `GET /organizers/{k}/meetings` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MeetingFilter {
    /// No status: every meeting that has not ended.
    Upcoming,
    /// In progress now.
    Active,
    /// Scheduled, not started.
    Inactive,
    /// Ended sessions.
    History,
}

impl MeetingFilter {
    pub(crate) fn parse(status: Option<&str>) -> Result<Self, ApiError> {
        match status {
            None => Ok(MeetingFilter::Upcoming),
            Some("ACTIVE") => Ok(MeetingFilter::Active),
            Some("INACTIVE") => Ok(MeetingFilter::Inactive),
            Some("HISTORY") => Ok(MeetingFilter::History),
            Some(other) => Err(ApiError::bad_request(format!(
                "status must be ACTIVE, INACTIVE or HISTORY, got {other:?}"
            ))),
        }
    }
}

/// The time window of a listing, from `startDate` and `endDate` (start inclusive, end
/// exclusive after [`parse_bound`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Window {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl Window {
    pub(crate) fn parse(start: Option<&str>, end: Option<&str>) -> Result<Self, ApiError> {
        let bound = |name: &str, raw: Option<&str>, is_end: bool| {
            raw.map(|raw| {
                parse_bound(raw, is_end).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{name} must be an ISO-8601 date or timestamp, got {raw:?}"
                    ))
                })
            })
            .transpose()
        };
        let window = Window {
            from: bound("startDate", start, false)?,
            to: bound("endDate", end, true)?,
        };
        if let (Some(from), Some(to)) = (window.from, window.to)
            && to <= from
        {
            return Err(ApiError::bad_request("endDate is before startDate"));
        }
        Ok(window)
    }

    fn contains(&self, at: Timestamp) -> bool {
        self.from.is_none_or(|f| at >= f) && self.to.is_none_or(|t| at < t)
    }
}

/// One meeting as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MeetingItem {
    meeting_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    meeting_instance_key: Option<String>,
    subject: String,
    start_time: Timestamp,
    end_time: Timestamp,
}

impl Directory {
    /// An organizer's meetings for `filter` within `window`, with their sort keys.
    pub(crate) fn meeting_items(
        &self,
        organizer_key: &str,
        filter: MeetingFilter,
        window: Window,
        now: Timestamp,
    ) -> Result<Vec<(String, MeetingItem)>, ApiError> {
        self.organizer(organizer_key)?;
        if filter == MeetingFilter::History {
            return Ok(self
                .sessions
                .values()
                .filter(|s| s.organizer_key == organizer_key && s.end_time <= now)
                .filter(|s| window.contains(s.start_time))
                .map(|s| {
                    let item = MeetingItem {
                        meeting_id: s.meeting_id.clone(),
                        meeting_instance_key: Some(s.meeting_instance_key.clone()),
                        subject: s.subject.clone(),
                        start_time: s.start_time,
                        end_time: s.end_time,
                    };
                    (time_key_order(s.start_time, &s.meeting_instance_key), item)
                })
                .collect());
        }
        let wanted = |m: &SimMeeting| match filter {
            MeetingFilter::Active => m.start_time <= now && now < m.end_time,
            MeetingFilter::Inactive => m.start_time > now,
            _ => m.end_time > now,
        };
        Ok(self
            .meetings
            .values()
            .filter(|m| m.organizer_key == organizer_key && wanted(m))
            .filter(|m| window.contains(m.start_time))
            .map(|m| {
                let item = MeetingItem {
                    meeting_id: m.meeting_id.clone(),
                    meeting_instance_key: None,
                    subject: m.subject.clone(),
                    start_time: m.start_time,
                    end_time: m.end_time,
                };
                (time_key_order(m.start_time, &m.meeting_id), item)
            })
            .collect())
    }

    /// The attendees of an ended session, in join order. A meetingId, an unknown key, or a
    /// session that has not ended yet is a 404.
    pub(crate) fn attendee_items(
        &self,
        instance_key: &str,
        now: Timestamp,
    ) -> Result<Vec<(String, SimAttendee)>, ApiError> {
        check_key("meetingInstanceKey", instance_key)?;
        let session = self
            .sessions
            .get(instance_key)
            .filter(|s| s.end_time <= now)
            .ok_or_else(|| ApiError::not_found(format!("no ended session {instance_key}")))?;
        Ok(session
            .attendees
            .iter()
            .enumerate()
            .map(|(i, a)| (time_key_order(a.join_time, &i.to_string()), a.clone()))
            .collect())
    }

    /// Schedules a meeting for an organizer (it need not exist: out-of-band data may be odd).
    pub(crate) fn add_meeting(&mut self, organizer_key: &str, seed: SeedMeeting) -> String {
        let meeting_id = match seed.meeting_id {
            Some(id) => {
                self.keys.reserve(&id);
                id
            }
            None => self.keys.next_key(),
        };
        let meeting = SimMeeting {
            meeting_id: meeting_id.clone(),
            organizer_key: organizer_key.to_string(),
            subject: seed.subject,
            start_time: seed.start_time,
            end_time: seed.end_time,
        };
        self.meetings.insert(meeting_id.clone(), meeting);
        meeting_id
    }

    /// Records a held session of a meeting.
    pub(crate) fn add_session(&mut self, organizer_key: &str, seed: SeedSession) -> String {
        let mut key = |given: Option<String>| match given {
            Some(k) => {
                self.keys.reserve(&k);
                k
            }
            None => self.keys.next_key(),
        };
        let meeting_id = key(seed.meeting_id);
        let instance_key = key(seed.meeting_instance_key);
        let session = SimSession {
            meeting_id,
            meeting_instance_key: instance_key.clone(),
            organizer_key: organizer_key.to_string(),
            subject: seed.subject,
            start_time: seed.start_time,
            end_time: seed.end_time,
            attendees: seed.attendees,
        };
        self.sessions.insert(instance_key.clone(), session);
        instance_key
    }
}
