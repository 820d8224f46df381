//! The simulator's own data types: what it stores, what it shows in `/_sim/state`, and the seed
//! file. They are written independently of `crate::goto` on purpose: if the client and the
//! simulator shared their wire types, a mistake in them would hide on both sides.
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether an organizer can host meetings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganizerStatus {
    #[default]
    Active,
    Suspended,
}

/// An organizer as GoTo stores it. Its JSON form is exactly the wire form of the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimOrganizer {
    pub organizer_key: String,
    pub account_key: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: OrganizerStatus,
    pub locale: String,
    pub time_zone: String,
    pub max_participants: u32,
    pub admin_roles: Vec<String>,
}

/// A scheduled (upcoming) meeting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimMeeting {
    pub meeting_id: String,
    pub organizer_key: String,
    pub subject: String,
    pub start_time: Timestamp,
    pub end_time: Timestamp,
}

/// One held session of a meeting (HISTORY), keyed by its `meetingInstanceKey`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimSession {
    pub meeting_id: String,
    pub meeting_instance_key: String,
    pub organizer_key: String,
    pub subject: String,
    pub start_time: Timestamp,
    pub end_time: Timestamp,
    pub attendees: Vec<SimAttendee>,
}

/// One attendee of a session; also the wire form of the attendees endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimAttendee {
    pub attendee_email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendee_name: Option<String>,
    pub join_time: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_time: Option<Timestamp>,
}

/// How a meeting came to be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CancelledVia {
    /// `DELETE /accounts/{a}/organizers/{k}` through the API.
    Api,
    /// `remove_organizer_out_of_band` / `DELETE /_sim/organizers/{k}` (an admin in GoTo's UI).
    OutOfBand,
}

/// A future meeting that was cancelled because its organizer was deleted. Kept so tests and
/// demos can show exactly what an offboarding destroyed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelledMeeting {
    pub meeting_id: String,
    pub organizer_key: String,
    pub subject: String,
    pub start_time: Timestamp,
    pub cancelled_at: Timestamp,
    pub via: CancelledVia,
}

/// One request the simulator received (the token endpoint and the API; `/_sim/` is not logged).
/// Secrets never land here: neither the Authorization header nor the token endpoint's body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The status the client saw; 0 when the connection was dropped without an answer.
    pub status: u16,
    pub at: Timestamp,
    /// The JSON body of API writes (a string when the body was not JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The connection was closed without a response (the write may still have happened).
    #[serde(default)]
    pub dropped: bool,
}

/// One whole exchange with the v1 API (`/G2M/rest/...`), as the recorder keeps it when asked
/// ([`SimConfig::record_exchanges`](super::SimConfig), `SimHandle::set_recording`): what the
/// client sent and what it got back, so a judge can hold both sides against GoTo's published
/// document. The Authorization header's value and the token endpoint never land here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    pub method: String,
    /// The full path as received, e.g. `/G2M/rest/organizers/9007199254740993`.
    pub path: String,
    /// The raw query string, percent-encoding kept (secret-looking parameters redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Names of the request's headers, lower case (values are not kept).
    #[serde(default)]
    pub request_headers: Vec<String>,
    /// The request body: JSON, or a JSON string holding the text when it was not JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Value>,
    /// The status the client saw; 0 when the connection was dropped without an answer.
    pub status: u16,
    /// The response's Content-Type, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_content_type: Option<String>,
    /// The response body (None when empty), like `request_body`. Numbers above 2^64 lose
    /// precision here (serde_json's `Value`); `response_text` has the exact bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<Value>,
    /// The response body exactly as sent.
    #[serde(default)]
    pub response_text: String,
    #[serde(default)]
    pub dropped: bool,
}

/// The seed file: the account's organizers with their meetings and past sessions.
///
/// Keys are optional (the simulator allocates keys above 2^64). When given they are strings: a
/// JSON number is refused, and an unquoted YAML scalar is kept as its exact text, never parsed
/// as a number.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub organizers: Vec<SeedOrganizer>,
}

impl Seed {
    /// Parses YAML or JSON (JSON when the text starts with `{`).
    pub fn parse(text: &str) -> crate::Result<Seed> {
        let parsed = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| e.to_string())
        } else {
            serde_norway::from_str(text).map_err(|e| e.to_string())
        };
        parsed.map_err(|e| crate::Error::Invalid(format!("simulator seed: {e}")))
    }

    /// Reads and parses a seed file.
    pub fn from_path(path: &Path) -> crate::Result<Seed> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error::io(format!("reading seed {}", path.display()), e))?;
        Seed::parse(&text)
    }
}

/// An organizer of the seed file (also the body of `POST /_sim/organizers`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedOrganizer {
    #[serde(default)]
    pub organizer_key: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub status: OrganizerStatus,
    #[serde(default)]
    pub locale: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub max_participants: Option<u32>,
    #[serde(default)]
    pub admin_roles: Vec<String>,
    #[serde(default)]
    pub meetings: Vec<SeedMeeting>,
    #[serde(default)]
    pub history: Vec<SeedSession>,
}

impl SeedOrganizer {
    /// An active organizer with just the required fields.
    pub fn new(email: &str, first_name: &str, last_name: &str) -> Self {
        SeedOrganizer {
            email: email.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            ..SeedOrganizer::default()
        }
    }
}

/// An upcoming meeting of the seed (also the body of `POST /_sim/organizers/{k}/meetings`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedMeeting {
    #[serde(default)]
    pub meeting_id: Option<String>,
    pub subject: String,
    pub start_time: Timestamp,
    pub end_time: Timestamp,
}

impl SeedMeeting {
    /// A meeting with a simulator-allocated id.
    pub fn new(subject: &str, start_time: Timestamp, end_time: Timestamp) -> Self {
        SeedMeeting {
            meeting_id: None,
            subject: subject.into(),
            start_time,
            end_time,
        }
    }
}

/// A past session of the seed, with its attendees.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedSession {
    #[serde(default)]
    pub meeting_id: Option<String>,
    #[serde(default)]
    pub meeting_instance_key: Option<String>,
    pub subject: String,
    pub start_time: Timestamp,
    pub end_time: Timestamp,
    #[serde(default)]
    pub attendees: Vec<SimAttendee>,
}
