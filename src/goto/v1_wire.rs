//! GoTo Meeting REST v1's wire shapes, exactly as GoTo publishes them (OpenAPI 1.0.0, in
//! `tests/openapi/`), and their translation into the operator's terms (`models`).
//!
//! v1 sends `organizerKey`, `OrganizerShort.key`, `groupId` and `meetingInstanceKey` as JSON
//! **numbers** (int64), and real keys exceed 2^53, where an `f64` starts to round. They are
//! parsed here straight from the JSON text into digits ([`Int64Key`]): an integer up to
//! 2^63 - 1 is kept exactly, anything else (a fraction, a negative, a number past int64 that a
//! JSON parser can only hold as a float) is refused with a message saying so. Inside the
//! operator every key is a string, whichever dialect it came from.
use serde::{Deserialize, Serialize};

use super::models::{
    Attendee, MAX_STATUS_CHARS, Meeting, MeetingId, MeetingInstanceKey, NewOrganizer, Organizer,
    OrganizerKey, OrganizerStatus,
};

/// An int64 key as v1 sends it (a JSON number), held as its decimal digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Int64Key(pub(crate) String);

impl<'de> Deserialize<'de> for Int64Key {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Int64KeyVisitor)
    }
}

struct Int64KeyVisitor;

impl serde::de::Visitor<'_> for Int64KeyVisitor {
    type Value = Int64Key;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key: a non-negative int64 JSON number")
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Int64Key, E> {
        if v > i64::MAX as u64 {
            return Err(E::custom(
                "a key is above 2^63 - 1, beyond the int64 v1 publishes; refused",
            ));
        }
        Ok(Int64Key(v.to_string()))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Int64Key, E> {
        u64::try_from(v)
            .map_err(|_| E::custom("a key is negative; refused"))
            .and_then(|v| self.visit_u64(v))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Int64Key, E> {
        // serde_json hands over a float for a fraction, an exponent, or an integer past u64:
        // none of them is an int64 key, and rounding one would name another organizer.
        Err(E::custom(
            "a key is not an int64 (a fraction, or a number beyond 2^63 - 1); refused",
        ))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Int64Key, E> {
        // Not what v1 publishes, but unambiguous: digits that fit an int64.
        match v.parse::<u64>() {
            Ok(n) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => self.visit_u64(n),
            _ => Err(E::custom(
                "a key is a string that is not int64 digits; refused",
            )),
        }
    }
}

/// The status v1 spells in lowercase (`active`, `suspended`).
fn status(word: &str) -> OrganizerStatus {
    match word {
        "active" => OrganizerStatus::Active,
        "suspended" => OrganizerStatus::Suspended,
        other => OrganizerStatus::Other(crate::text::bounded(other.to_string(), MAX_STATUS_CHARS)),
    }
}

/// `Organizer`: what `GET /organizers`, `GET /organizers?email=` and
/// `GET /organizers/{organizerKey}` answer (each an array of these).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct V1Organizer {
    organizer_key: Int64Key,
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    max_num_attendees_allowed: Option<u32>,
    #[serde(default)]
    products: Vec<String>,
}

impl From<V1Organizer> for Organizer {
    fn from(o: V1Organizer) -> Self {
        let mut extra = serde_json::Map::new();
        if !o.products.is_empty() {
            extra.insert("products".into(), o.products.into());
        }
        Organizer {
            organizer_key: OrganizerKey::new(o.organizer_key.0),
            // v1's organizer carries no account key: the account is the GoToAccount's.
            account_key: None,
            email: o.email,
            first_name: o.first_name,
            last_name: o.last_name,
            status: o.status.as_deref().map(status),
            // v1 can neither read nor write these.
            locale: None,
            time_zone: None,
            max_participants: o.max_num_attendees_allowed,
            admin_roles: Vec::new(),
            extra,
        }
    }
}

/// `OrganizerShort`: what `POST /organizers` answers (an array of one).
#[derive(Debug, Deserialize)]
pub(crate) struct V1Created {
    pub(crate) key: Int64Key,
    #[serde(default)]
    pub(crate) email: String,
}

/// `OrganizerReq`: the body of `POST /organizers`. Every field is required.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct V1NewOrganizer<'a> {
    organizer_email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    product_type: &'static str,
}

/// The one product the operator manages.
pub(crate) const G2M: &str = "G2M";

impl<'a> From<&'a NewOrganizer> for V1NewOrganizer<'a> {
    fn from(new: &'a NewOrganizer) -> Self {
        Self {
            organizer_email: &new.email,
            first_name: &new.first_name,
            last_name: &new.last_name,
            product_type: G2M,
        }
    }
}

/// `OrganizerStatus`, the body of `PUT /organizers/{organizerKey}`: suspend with
/// `{"status":"suspended"}`, re-activate by assigning the product, `{"productType":"G2M"}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum V1StatusChange {
    /// `{"status":"suspended"}`: removes every product.
    #[serde(rename = "status")]
    Suspend(&'static str),
    /// `{"productType":"G2M"}`: re-activates.
    #[serde(rename = "productType")]
    Assign(&'static str),
}

impl V1StatusChange {
    pub(crate) const SUSPEND: V1StatusChange = V1StatusChange::Suspend("suspended");
    pub(crate) const RESUME: V1StatusChange = V1StatusChange::Assign(G2M);
}

/// `UpcomingMeeting`: what the audit reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct V1UpcomingMeeting {
    meeting_id: Int64Key,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    start_time: Option<jiff::Timestamp>,
    #[serde(default)]
    end_time: Option<jiff::Timestamp>,
}

impl From<V1UpcomingMeeting> for Meeting {
    fn from(m: V1UpcomingMeeting) -> Self {
        Meeting {
            meeting_id: MeetingId::new(m.meeting_id.0),
            meeting_instance_key: None,
            subject: super::models::shown(&m.subject),
            start_time: m.start_time,
            end_time: m.end_time,
        }
    }
}

/// `AttendeeByOrganizer`: one attendee of one session, from
/// `GET /organizers/{organizerKey}/attendees`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct V1Attendee {
    meeting_instance_key: Int64Key,
    #[serde(default)]
    meeting_id: Option<Int64Key>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    start_time: Option<jiff::Timestamp>,
    #[serde(default)]
    end_time: Option<jiff::Timestamp>,
    #[serde(default)]
    attendee_email: String,
    #[serde(default)]
    attendee_name: Option<String>,
    #[serde(default)]
    join_time: Option<jiff::Timestamp>,
    #[serde(default)]
    leave_time: Option<jiff::Timestamp>,
}

impl V1Attendee {
    /// The session this row belongs to, as the operator's [`Meeting`] (a past session).
    pub(crate) fn session(&self) -> Meeting {
        Meeting {
            meeting_id: MeetingId::new(
                self.meeting_id
                    .as_ref()
                    .map_or_else(|| self.meeting_instance_key.0.clone(), |k| k.0.clone()),
            ),
            meeting_instance_key: Some(MeetingInstanceKey::new(
                self.meeting_instance_key.0.clone(),
            )),
            subject: super::models::shown(&self.subject),
            start_time: self.start_time,
            end_time: self.end_time,
        }
    }

    /// The attendee of this row.
    pub(crate) fn attendee(self) -> Attendee {
        Attendee {
            attendee_email: self.attendee_email,
            attendee_name: self.attendee_name,
            join_time: self.join_time,
            leave_time: self.leave_time,
        }
    }
}

#[cfg(test)]
#[path = "v1_wire_tests.rs"]
mod tests;
