//! The shapes of GoTo Meeting REST v1, the API GoTo publishes (the OpenAPI document's schemas
//! `Organizer`, `OrganizerShort`, `UpcomingMeeting`, `HistoricalMeeting`, `AttendeeByOrganizer`
//! and `AttendeeByMeeting`), built from the same world v2 answers from. Every field the document
//! marks required is present. Keys the document types as int64 are JSON numbers whose digits are
//! copied from the world verbatim ([`json_number`]), never through a Rust number, so a world
//! whose keys exceed 2^63 can be served to check that a client refuses them clearly.
//!
//! Simplifications: every organizer is in one default group; only the G2M product is modelled
//! (an active organizer has `["G2M"]`, a suspended one none); meetings are `scheduled`, need no
//! password and use VoIP.
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::value::RawValue;

use super::directory::{DEFAULT_GROUP_NAME, Directory, check_key};
use super::keys::{json_number, key_order};
use super::meetings::Window;
use super::model::{OrganizerStatus, SimAttendee, SimOrganizer, SimSession};
use super::reply::ApiError;

/// What v1 answers for every meeting's `meetingType`.
const MEETING_TYPE: &str = "scheduled";
/// What v1 answers for every meeting's `conferenceCallInfo`.
const CONFERENCE_CALL_INFO: &str = "VoIP";
/// The locale shown when the world has none (v1 cannot set one).
const DEFAULT_LOCALE: &str = "en_US";

/// A key as a v1 int64 field; a 500 if the world holds something that is not a key.
fn num(key: &str) -> Result<Box<RawValue>, ApiError> {
    json_number(key).ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal",
            format!("{key:?} cannot be written as a JSON number"),
        )
    })
}

/// `Organizer`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Organizer {
    organizer_key: Box<RawValue>,
    email: String,
    first_name: String,
    last_name: String,
    group_id: Box<RawValue>,
    group_name: &'static str,
    status: &'static str,
    products: Vec<&'static str>,
    max_num_attendees_allowed: u32,
}

/// `OrganizerShort`, the answer of a create.
#[derive(Debug, Serialize)]
pub(crate) struct OrganizerShort {
    key: Box<RawValue>,
    email: String,
}

/// `UpcomingMeeting`: its keys are strings in the document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpcomingMeeting {
    meeting_id: String,
    subject: String,
    start_time: Timestamp,
    end_time: Timestamp,
    /// `ACTIVE` while it runs, `INACTIVE` before.
    status: &'static str,
    meeting_type: &'static str,
    password_required: bool,
    conference_call_info: &'static str,
    organizer_key: String,
    account_key: String,
    email: String,
    first_name: String,
    last_name: String,
    locale: String,
}

/// `HistoricalMeeting`: one ended session; keys and counts are strings in the document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoricalMeeting {
    meeting_id: String,
    session_id: String,
    subject: String,
    start_time: Timestamp,
    end_time: Timestamp,
    /// Minutes.
    duration: String,
    num_attendees: String,
    meeting_type: &'static str,
    conference_call_info: &'static str,
    organizer_key: String,
    account_key: String,
    email: String,
    first_name: String,
    last_name: String,
    locale: String,
}

/// `AttendeeByOrganizer` (with `newMeetingId`; `name` is the organizer's) or `AttendeeByMeeting`
/// (without it; `name` is the attendee's).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Attendee {
    meeting_id: Box<RawValue>,
    meeting_instance_key: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_meeting_id: Option<String>,
    subject: String,
    start_time: Timestamp,
    end_time: Timestamp,
    num_attendees: u32,
    meeting_type: &'static str,
    conference_call_info: &'static str,
    attendee_email: String,
    attendee_name: String,
    join_time: Timestamp,
    leave_time: Timestamp,
    /// Minutes attended.
    duration: u32,
    /// The document spells it with a lower-case k ("retained for backwards compatibility").
    #[serde(rename = "organizerkey")]
    organizer_key: Box<RawValue>,
    email: String,
    first_name: String,
    last_name: String,
    name: String,
    group_name: &'static str,
}

/// Which attendee listing an [`Attendee`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttendeeListing {
    ByOrganizer,
    ByMeeting,
}

/// Whole minutes from `from` to `to` (0 when backwards), as the document's int32 durations.
fn minutes(from: Timestamp, to: Timestamp) -> u32 {
    let secs = to.duration_since(from).as_secs().max(0) / 60;
    u32::try_from(secs).unwrap_or(u32::MAX).min(i32::MAX as u32)
}

/// A meeting id formatted as people read it: groups of three digits, e.g. `123-456-789`.
fn formatted(meeting_id: &str) -> String {
    let digits: Vec<char> = meeting_id.chars().collect();
    digits
        .chunks(3)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn locale(organizer: Option<&SimOrganizer>) -> String {
    match organizer {
        Some(o) if !o.locale.is_empty() => o.locale.clone(),
        _ => DEFAULT_LOCALE.to_string(),
    }
}

impl Directory {
    /// One organizer in v1's shape.
    pub(crate) fn v1_organizer(&self, o: &SimOrganizer) -> Result<Organizer, ApiError> {
        let active = o.status == OrganizerStatus::Active;
        Ok(Organizer {
            organizer_key: num(&o.organizer_key)?,
            email: o.email.clone(),
            first_name: o.first_name.clone(),
            last_name: o.last_name.clone(),
            group_id: num(&self.group_key)?,
            group_name: DEFAULT_GROUP_NAME,
            status: if active { "active" } else { "suspended" },
            products: if active { vec!["G2M"] } else { Vec::new() },
            max_num_attendees_allowed: o.max_participants,
        })
    }

    /// Every organizer in v1's shape, in key order.
    pub(crate) fn v1_organizers(&self) -> Result<Vec<Organizer>, ApiError> {
        let mut all: Vec<&SimOrganizer> = self.organizers.values().collect();
        all.sort_by_key(|o| key_order(&o.organizer_key));
        all.into_iter().map(|o| self.v1_organizer(o)).collect()
    }

    /// The answer of a v1 create.
    pub(crate) fn v1_short(&self, o: &SimOrganizer) -> Result<OrganizerShort, ApiError> {
        Ok(OrganizerShort {
            key: num(&o.organizer_key)?,
            email: o.email.clone(),
        })
    }

    /// An organizer's meetings that have not ended, by start time (404 for an unknown key).
    pub(crate) fn v1_upcoming(
        &self,
        organizer_key: &str,
        now: Timestamp,
    ) -> Result<Vec<UpcomingMeeting>, ApiError> {
        let o = self.organizer(organizer_key)?;
        let mut meetings: Vec<_> = self
            .meetings
            .values()
            .filter(|m| m.organizer_key == organizer_key && m.end_time > now)
            .collect();
        meetings.sort_by_key(|m| (m.start_time, key_order(&m.meeting_id)));
        Ok(meetings
            .into_iter()
            .map(|m| UpcomingMeeting {
                meeting_id: m.meeting_id.clone(),
                subject: m.subject.clone(),
                start_time: m.start_time,
                end_time: m.end_time,
                status: if m.start_time <= now {
                    "ACTIVE"
                } else {
                    "INACTIVE"
                },
                meeting_type: MEETING_TYPE,
                password_required: false,
                conference_call_info: CONFERENCE_CALL_INFO,
                organizer_key: o.organizer_key.clone(),
                account_key: self.account_key.clone(),
                email: o.email.clone(),
                first_name: o.first_name.clone(),
                last_name: o.last_name.clone(),
                locale: locale(Some(o)),
            })
            .collect())
    }

    /// An organizer's sessions that started in `window` and have ended, by start time.
    fn ended_sessions(
        &self,
        organizer_key: &str,
        window: Window,
        now: Timestamp,
    ) -> Vec<&SimSession> {
        let mut sessions: Vec<_> = self
            .sessions
            .values()
            .filter(|s| s.organizer_key == organizer_key && s.end_time <= now)
            .filter(|s| window.from.is_none_or(|f| s.start_time >= f))
            .filter(|s| window.to.is_none_or(|t| s.start_time < t))
            .collect();
        sessions.sort_by_key(|s| (s.start_time, key_order(&s.meeting_instance_key)));
        sessions
    }

    /// `GET /organizers/{k}/historicalMeetings`: ended sessions that started in the window.
    pub(crate) fn v1_history(
        &self,
        organizer_key: &str,
        window: Window,
        now: Timestamp,
    ) -> Result<Vec<HistoricalMeeting>, ApiError> {
        let o = self.organizer(organizer_key)?;
        Ok(self
            .ended_sessions(organizer_key, window, now)
            .into_iter()
            .map(|s| HistoricalMeeting {
                meeting_id: s.meeting_id.clone(),
                session_id: s.meeting_instance_key.clone(),
                subject: s.subject.clone(),
                start_time: s.start_time,
                end_time: s.end_time,
                duration: minutes(s.start_time, s.end_time).to_string(),
                num_attendees: s.attendees.len().to_string(),
                meeting_type: MEETING_TYPE,
                conference_call_info: CONFERENCE_CALL_INFO,
                organizer_key: o.organizer_key.clone(),
                account_key: self.account_key.clone(),
                email: o.email.clone(),
                first_name: o.first_name.clone(),
                last_name: o.last_name.clone(),
                locale: locale(Some(o)),
            })
            .collect())
    }

    /// `GET /organizers/{k}/attendees`: every attendee of every ended session of one organizer
    /// that started in the window, session by session, in join order.
    pub(crate) fn v1_attendees_by_organizer(
        &self,
        organizer_key: &str,
        window: Window,
        now: Timestamp,
    ) -> Result<Vec<Attendee>, ApiError> {
        self.organizer(organizer_key)?;
        let mut rows = Vec::new();
        for s in self.ended_sessions(organizer_key, window, now) {
            for a in sorted(&s.attendees) {
                rows.push(self.v1_attendee(s, a, AttendeeListing::ByOrganizer)?);
            }
        }
        Ok(rows)
    }

    /// `GET /meetings/{meetingId}/attendees`: the attendees of every ended session of one
    /// meeting; 404 when the meeting has no ended session (a meetingInstanceKey is not a
    /// meetingId, so it finds nothing either).
    pub(crate) fn v1_attendees_by_meeting(
        &self,
        meeting_id: &str,
        now: Timestamp,
    ) -> Result<Vec<Attendee>, ApiError> {
        check_key("meetingId", meeting_id)?;
        let mut sessions: Vec<_> = self
            .sessions
            .values()
            .filter(|s| s.meeting_id == meeting_id && s.end_time <= now)
            .collect();
        if sessions.is_empty() {
            return Err(ApiError::not_found(format!(
                "meeting {meeting_id} has no ended session"
            )));
        }
        sessions.sort_by_key(|s| (s.start_time, key_order(&s.meeting_instance_key)));
        let mut rows = Vec::new();
        for s in sessions {
            for a in sorted(&s.attendees) {
                rows.push(self.v1_attendee(s, a, AttendeeListing::ByMeeting)?);
            }
        }
        Ok(rows)
    }

    fn v1_attendee(
        &self,
        s: &SimSession,
        a: &SimAttendee,
        listing: AttendeeListing,
    ) -> Result<Attendee, ApiError> {
        // The organizer may have been deleted since: the session's data stays.
        let o = self.organizers.get(&s.organizer_key);
        let field = |f: fn(&SimOrganizer) -> &String| o.map(f).cloned().unwrap_or_default();
        let (first_name, last_name) = (field(|o| &o.first_name), field(|o| &o.last_name));
        let attendee_name = a.attendee_name.clone().unwrap_or_default();
        let leave_time = a.leave_time.unwrap_or(s.end_time);
        let (name, new_meeting_id) = match listing {
            AttendeeListing::ByOrganizer => (
                format!("{first_name} {last_name}").trim().to_string(),
                Some(formatted(&s.meeting_id)),
            ),
            AttendeeListing::ByMeeting => (attendee_name.clone(), None),
        };
        Ok(Attendee {
            meeting_id: num(&s.meeting_id)?,
            meeting_instance_key: num(&s.meeting_instance_key)?,
            new_meeting_id,
            subject: s.subject.clone(),
            start_time: s.start_time,
            end_time: s.end_time,
            num_attendees: u32::try_from(s.attendees.len()).unwrap_or(u32::MAX),
            meeting_type: MEETING_TYPE,
            conference_call_info: CONFERENCE_CALL_INFO,
            attendee_email: a.attendee_email.clone(),
            attendee_name,
            join_time: a.join_time,
            leave_time,
            duration: minutes(a.join_time, leave_time),
            organizer_key: num(&s.organizer_key)?,
            email: field(|o| &o.email),
            first_name,
            last_name,
            name,
            group_name: DEFAULT_GROUP_NAME,
        })
    }
}

/// A session's attendees in join order.
fn sorted(attendees: &[SimAttendee]) -> Vec<&SimAttendee> {
    let mut all: Vec<_> = attendees.iter().collect();
    all.sort_by_key(|a| a.join_time);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_ids_read_in_groups_of_three() {
        assert_eq!(formatted("123456789"), "123-456-789");
        assert_eq!(formatted("9007199254740993"), "900-719-925-474-099-3");
        assert_eq!(formatted(""), "");
    }

    #[test]
    fn minutes_are_whole_and_never_negative() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(
            minutes(t("2026-01-01T10:00:00Z"), t("2026-01-01T10:59:59Z")),
            59
        );
        assert_eq!(
            minutes(t("2026-01-01T10:00:00Z"), t("2026-01-01T09:00:00Z")),
            0
        );
    }
}
