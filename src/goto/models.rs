//! GoTo's wire types: what the REST API sends and accepts.
//!
//! These are GoTo's shapes, not the operator's: the CRD types live in `crate::crd` and
//! may evolve on their own. Every key is a string newtype because GoTo's numeric keys
//! exceed 2^53 and even 2^64; parsing them as numbers anywhere would corrupt them.
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest key taken from GoTo (GoTo's keys are 64-bit today; 40 digits leave room).
pub const MAX_KEY_DIGITS: usize = 40;
/// The longest status word kept from GoTo (an unknown one is kept, cut to this).
pub const MAX_STATUS_CHARS: usize = 64;

/// Declares a key newtype that is a string on the wire and in memory.
macro_rules! string_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        /// Only digits, at most [`MAX_KEY_DIGITS`] of them, are taken from GoTo: a key lands
        /// in statuses, claims and URLs.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let key = String::deserialize(deserializer)?;
                if key.is_empty()
                    || key.len() > MAX_KEY_DIGITS
                    || !key.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(serde::de::Error::custom(format!(
                        "{} {:?} is not 1 to {MAX_KEY_DIGITS} digits",
                        stringify!($name),
                        crate::text::bounded(key, 24)
                    )));
                }
                Ok(Self(key))
            }
        }

        impl $name {
            /// Wraps a key exactly as GoTo spells it.
            pub fn new(key: impl Into<String>) -> Self {
                Self(key.into())
            }

            /// The key as GoTo spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(key: String) -> Self {
                Self(key)
            }
        }

        impl From<&str> for $name {
            fn from(key: &str) -> Self {
                Self(key.to_owned())
            }
        }
    };
}

string_key!(
    /// Primary key of an organizer (a seat holder).
    OrganizerKey
);
string_key!(
    /// Key of a GoTo account: the unit that owns seats and shares one rate limit.
    AccountKey
);
string_key!(
    /// Key of a (possibly recurring) meeting.
    MeetingId
);
string_key!(
    /// Key of one session of a meeting; attendee lists hang off this, not the meeting id.
    MeetingInstanceKey
);

/// Whether an organizer may host. Suspension keeps data and meetings.
///
/// A status this client does not know is kept verbatim (`Other`), so that a full PUT restates
/// it instead of resetting it (GoTo resets what a PUT omits).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrganizerStatus {
    /// The organizer holds a usable seat.
    Active,
    /// The organizer cannot host; its data is kept.
    Suspended,
    /// A status this client does not know yet, exactly as GoTo spelled it.
    Other(String),
}

impl OrganizerStatus {
    /// The status as GoTo spells it.
    pub fn as_str(&self) -> &str {
        match self {
            OrganizerStatus::Active => "ACTIVE",
            OrganizerStatus::Suspended => "SUSPENDED",
            OrganizerStatus::Other(s) => s,
        }
    }
}

impl Serialize for OrganizerStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OrganizerStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(match s.as_str() {
            "ACTIVE" => OrganizerStatus::Active,
            "SUSPENDED" => OrganizerStatus::Suspended,
            _ => OrganizerStatus::Other(crate::text::bounded(s, MAX_STATUS_CHARS)),
        })
    }
}

/// An organizer as GoTo returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organizer {
    /// GoTo's key for this organizer.
    pub organizer_key: OrganizerKey,
    /// The account holding the seat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_key: Option<AccountKey>,
    /// Login id; GoTo matches it case-insensitively.
    #[serde(default)]
    pub email: String,
    /// Given name.
    #[serde(default)]
    pub first_name: String,
    /// Family name.
    #[serde(default)]
    pub last_name: String,
    /// Active or suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OrganizerStatus>,
    /// Locale such as `en_US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// IANA time zone such as `America/New_York`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Set by the plan, not by us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_participants: Option<u32>,
    /// Admin roles held in the account.
    #[serde(default)]
    pub admin_roles: Vec<String>,
    /// Every field this client does not know, kept verbatim so that a full PUT carries it
    /// through instead of resetting it.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The longest email kept from a listing (RFC 5321 allows 254 characters in a path; 320 leaves
/// room): a listing holds every email of the account, so a longer one is a decode error.
pub const MAX_EMAIL_BYTES: usize = 320;

/// An organizer as a listing needs it: key, email and status, nothing else.
///
/// A directory listing is read whole (up to `MAX_LISTING_BYTES` over all its pages) and kept
/// as the account's index, so it must hold only what its users need: the email lookups, the
/// seat inventory, `report` and `export`. Every other field GoTo sends is skipped while the
/// page is parsed (no unknown-field map, unlike [`Organizer`]): what a full PUT must restate
/// comes from the full record, read with `GET /organizers/{key}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedOrganizer {
    /// GoTo's key for this organizer.
    pub organizer_key: OrganizerKey,
    /// Login id; GoTo matches it case-insensitively. At most [`MAX_EMAIL_BYTES`] bytes.
    #[serde(default, deserialize_with = "listed_email")]
    pub email: String,
    /// Active or suspended, when GoTo said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OrganizerStatus>,
}

impl From<&Organizer> for ListedOrganizer {
    fn from(organizer: &Organizer) -> Self {
        Self {
            organizer_key: organizer.organizer_key.clone(),
            email: organizer.email.clone(),
            status: organizer.status.clone(),
        }
    }
}

impl ListedOrganizer {
    /// The organizer as far as the listing knows it: names and every other field empty. Fit
    /// to name or compare it, never to plan a full PUT from (read the full record for that).
    pub fn partial(&self) -> Organizer {
        Organizer {
            organizer_key: self.organizer_key.clone(),
            account_key: None,
            email: self.email.clone(),
            first_name: String::new(),
            last_name: String::new(),
            status: self.status.clone(),
            locale: None,
            time_zone: None,
            max_participants: None,
            admin_roles: Vec::new(),
            extra: serde_json::Map::new(),
        }
    }
}

fn listed_email<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let email = String::deserialize(deserializer)?;
    if email.len() > MAX_EMAIL_BYTES {
        return Err(serde::de::Error::custom(format!(
            "an email is longer than {MAX_EMAIL_BYTES} bytes"
        )));
    }
    Ok(email)
}

/// The body of a create: GoTo assigns the key and the status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewOrganizer {
    /// Login id.
    pub email: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
}

/// The COMPLETE representation sent by a full PUT.
///
/// GoTo resets every field a PUT omits, so there is no "patch" type: callers build the
/// whole desired organizer. `None` fields are omitted, which GoTo reads as "default".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizerUpdate {
    /// Login id.
    pub email: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Locale; omitted (reset to default) when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Time zone; omitted (reset to default) when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Always sent, even empty, so the body is complete.
    #[serde(default)]
    pub admin_roles: Vec<String>,
    /// Omitted when `None`; `resume_organizer` sets it to `Active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OrganizerStatus>,
    /// Fields of the observed organizer this client does not know, restated as GoTo sent them
    /// (a full PUT that omitted them would reset them).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl OrganizerUpdate {
    /// The update that keeps `organizer` exactly as it is: a base to change one field on.
    pub fn from_organizer(organizer: &Organizer) -> Self {
        Self {
            email: organizer.email.clone(),
            first_name: organizer.first_name.clone(),
            last_name: organizer.last_name.clone(),
            locale: organizer.locale.clone(),
            time_zone: organizer.time_zone.clone(),
            admin_roles: organizer.admin_roles.clone(),
            status: None,
            // What GoTo sent that this client does not model (the modelled keys it assigns,
            // such as organizerKey, are never in here).
            extra: organizer.extra.clone(),
        }
    }
}

/// Which meetings to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MeetingStatus {
    /// Meetings in progress.
    Active,
    /// Scheduled meetings not in progress.
    Inactive,
    /// Past sessions, with their meetingInstanceKeys.
    History,
}

impl MeetingStatus {
    /// The value of the `status` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingStatus::Active => "ACTIVE",
            MeetingStatus::Inactive => "INACTIVE",
            MeetingStatus::History => "HISTORY",
        }
    }
}

/// Filter of a meeting listing. The default (no status) lists upcoming meetings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MeetingQuery {
    /// No status = upcoming only.
    pub status: Option<MeetingStatus>,
    /// Start of the range (HISTORY).
    pub start_date: Option<jiff::Timestamp>,
    /// End of the range (HISTORY).
    pub end_date: Option<jiff::Timestamp>,
}

impl MeetingQuery {
    /// Past sessions between two instants: the compliance report's query.
    pub fn history(start: jiff::Timestamp, end: jiff::Timestamp) -> Self {
        Self {
            status: Some(MeetingStatus::History),
            start_date: Some(start),
            end_date: Some(end),
        }
    }
}

/// A meeting or, for HISTORY, one past session of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    /// The (possibly recurring) meeting.
    pub meeting_id: MeetingId,
    /// The session; present on HISTORY entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_instance_key: Option<MeetingInstanceKey>,
    /// Title, without control characters and cut to [`MAX_SUBJECT_CHARS`]: it is shown in
    /// status and Events, and the endpoint that sends it may be hostile.
    #[serde(default, deserialize_with = "shown_text")]
    pub subject: String,
    /// Scheduled or actual start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<jiff::Timestamp>,
    /// Scheduled or actual end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<jiff::Timestamp>,
}

/// One attendee of an ended session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendee {
    /// Email the attendee joined with.
    pub attendee_email: String,
    /// Display name, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendee_name: Option<String>,
    /// When the attendee joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_time: Option<jiff::Timestamp>,
    /// When the attendee left; absent if unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_time: Option<jiff::Timestamp>,
}

/// Longest meeting subject kept.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// Text from GoTo that ends up in status or Events: control characters dropped, cut to
/// [`MAX_SUBJECT_CHARS`] characters.
fn shown_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    Ok(shown(&text))
}

/// `text` as it may be shown: control characters dropped, cut to [`MAX_SUBJECT_CHARS`].
pub(crate) fn shown(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_SUBJECT_CHARS)
        .collect()
}

#[cfg(test)]
#[path = "models_tests.rs"]
mod tests;
