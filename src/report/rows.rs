//! One row of the attendance report and its order.
//!
//! The field order and names ARE the CSV header and the JSON keys: compliance tools import this
//! file, so [`COLUMNS`] is fixed and a unit test holds the struct to it.
use std::cmp::Ordering;

use jiff::Timestamp;
use serde::Serialize;

use crate::goto::{Attendee, Meeting, MeetingInstanceKey};

/// The CSV header, in order.
pub const COLUMNS: [&str; 12] = [
    "organizerKey",
    "organizerEmail",
    "meetingId",
    "meetingInstanceKey",
    "subject",
    "startTime",
    "endTime",
    "attendeeEmail",
    "attendeeName",
    "joinTime",
    "leaveTime",
    "durationSeconds",
];

/// One attendee of one session. Keys stay the exact strings GoTo sent; timestamps serialize as
/// RFC 3339 in UTC; unknown values are empty in CSV and `null` in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttendanceRow {
    pub organizer_key: String,
    pub organizer_email: String,
    pub meeting_id: String,
    pub meeting_instance_key: String,
    pub subject: String,
    pub start_time: Option<Timestamp>,
    pub end_time: Option<Timestamp>,
    pub attendee_email: String,
    pub attendee_name: Option<String>,
    pub join_time: Option<Timestamp>,
    pub leave_time: Option<Timestamp>,
    pub duration_seconds: Option<i64>,
}

/// The organizer a session belongs to, as the report names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizerRef {
    pub key: String,
    pub email: String,
}

impl AttendanceRow {
    /// The row of `attendee` in `session` (which must carry `instance`).
    pub fn new(
        organizer: &OrganizerRef,
        session: &Meeting,
        instance: &MeetingInstanceKey,
        attendee: Attendee,
    ) -> Self {
        Self {
            organizer_key: organizer.key.clone(),
            organizer_email: organizer.email.clone(),
            meeting_id: session.meeting_id.as_str().to_owned(),
            meeting_instance_key: instance.as_str().to_owned(),
            subject: session.subject.clone(),
            start_time: session.start_time,
            end_time: session.end_time,
            duration_seconds: duration_seconds(attendee.join_time, attendee.leave_time),
            attendee_email: attendee.attendee_email,
            attendee_name: attendee.attendee_name,
            join_time: attendee.join_time,
            leave_time: attendee.leave_time,
        }
    }
}

/// Whole seconds between join and leave; unknown when either is missing or leave precedes join.
pub fn duration_seconds(join: Option<Timestamp>, leave: Option<Timestamp>) -> Option<i64> {
    let seconds = leave?.duration_since(join?).as_secs();
    (seconds >= 0).then_some(seconds)
}

/// Orders numeric-string keys as the numbers they spell, without parsing them (they exceed
/// 2^64): a shorter run of digits is smaller. Leading zeros are not expected from GoTo.
pub fn key_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The report's order: organizer key, session start, instance key, join time, attendee email;
/// then the remaining fields so that equal-looking rows still sort the same way every run.
pub fn sort_rows(rows: &mut [AttendanceRow]) {
    rows.sort_by(|a, b| {
        key_cmp(&a.organizer_key, &b.organizer_key)
            .then_with(|| a.start_time.cmp(&b.start_time))
            .then_with(|| key_cmp(&a.meeting_instance_key, &b.meeting_instance_key))
            .then_with(|| a.join_time.cmp(&b.join_time))
            .then_with(|| a.attendee_email.cmp(&b.attendee_email))
            .then_with(|| a.leave_time.cmp(&b.leave_time))
            .then_with(|| a.attendee_name.cmp(&b.attendee_name))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goto::MeetingId;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn serialized_keys_are_the_columns_in_order() {
        let row = AttendanceRow {
            organizer_key: "1".into(),
            organizer_email: String::new(),
            meeting_id: String::new(),
            meeting_instance_key: String::new(),
            subject: String::new(),
            start_time: None,
            end_time: None,
            attendee_email: String::new(),
            attendee_name: None,
            join_time: None,
            leave_time: None,
            duration_seconds: None,
        };
        let value = serde_json::to_value(&row).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut sorted = COLUMNS.to_vec();
        sorted.sort_unstable();
        let mut seen = keys.clone();
        seen.sort_unstable();
        assert_eq!(seen, sorted);
        // serde_json's map is sorted; the CSV writer uses the struct's order, checked here.
        let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
        csv.serialize(&row).unwrap();
        let text = String::from_utf8(csv.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), COLUMNS.join(","));
    }

    #[test]
    fn durations_come_from_join_and_leave() {
        let join = Some(ts("2026-01-05T10:00:00Z"));
        assert_eq!(
            duration_seconds(join, Some(ts("2026-01-05T10:45:30.9Z"))),
            Some(2730)
        );
        assert_eq!(duration_seconds(join, None), None);
        assert_eq!(duration_seconds(None, join), None);
        assert_eq!(
            duration_seconds(join, Some(ts("2026-01-05T09:00:00Z"))),
            None
        );
        assert_eq!(duration_seconds(join, join), Some(0));
    }

    #[test]
    fn keys_sort_as_numbers_beyond_u64() {
        let mut keys = vec![
            "340282366920938463463374607431768211457",
            "18446744073709551617",
            "9",
            "18446744073709551616",
            "10",
        ];
        keys.sort_by(|a, b| key_cmp(a, b));
        assert_eq!(
            keys,
            [
                "9",
                "10",
                "18446744073709551616",
                "18446744073709551617",
                "340282366920938463463374607431768211457"
            ]
        );
    }

    #[test]
    fn rows_keep_exact_keys_and_sort_deterministically() {
        let organizer = OrganizerRef {
            key: "18446744073709551617".into(),
            email: "ada@example.com".into(),
        };
        let session = Meeting {
            meeting_id: MeetingId::new("18446744073709551618"),
            meeting_instance_key: None,
            subject: "Standup".into(),
            start_time: Some(ts("2026-01-05T10:00:00Z")),
            end_time: Some(ts("2026-01-05T11:00:00Z")),
        };
        let instance = MeetingInstanceKey::new("340282366920938463463374607431768211457");
        let attendee = |email: &str, join: &str| Attendee {
            attendee_email: email.into(),
            attendee_name: None,
            join_time: Some(ts(join)),
            leave_time: None,
        };
        let mut rows = vec![
            AttendanceRow::new(
                &organizer,
                &session,
                &instance,
                attendee("b@x.io", "2026-01-05T10:01:00Z"),
            ),
            AttendanceRow::new(
                &organizer,
                &session,
                &instance,
                attendee("a@x.io", "2026-01-05T10:01:00Z"),
            ),
            AttendanceRow::new(
                &organizer,
                &session,
                &instance,
                attendee("c@x.io", "2026-01-05T10:00:00Z"),
            ),
        ];
        sort_rows(&mut rows);
        let emails: Vec<&str> = rows.iter().map(|r| r.attendee_email.as_str()).collect();
        assert_eq!(emails, ["c@x.io", "a@x.io", "b@x.io"]);
        assert_eq!(
            rows[0].meeting_instance_key,
            "340282366920938463463374607431768211457"
        );
        assert_eq!(rows[0].meeting_id, "18446744073709551618");
    }
}
