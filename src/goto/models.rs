//! TEMPORARY contract copy of the GoTo wire models (the client branch replaces this file).
use serde::{Deserialize, Serialize};

macro_rules! key {
    ($name:ident) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);
        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
key!(OrganizerKey);
key!(AccountKey);
key!(MeetingId);
key!(MeetingInstanceKey);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganizerStatus {
    Active,
    Suspended,
    #[serde(other)]
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organizer {
    pub organizer_key: OrganizerKey,
    #[serde(default)]
    pub account_key: Option<AccountKey>,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub status: Option<OrganizerStatus>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub max_participants: Option<u32>,
    #[serde(default)]
    pub admin_roles: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewOrganizer {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizerUpdate {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    pub admin_roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OrganizerStatus>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeetingStatus {
    Active,
    Inactive,
    History,
}

#[derive(Clone, Debug, Default)]
pub struct MeetingQuery {
    pub status: Option<MeetingStatus>,
    pub start_date: Option<jiff::Timestamp>,
    pub end_date: Option<jiff::Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    pub meeting_id: MeetingId,
    #[serde(default)]
    pub meeting_instance_key: Option<MeetingInstanceKey>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub start_time: Option<jiff::Timestamp>,
    #[serde(default)]
    pub end_time: Option<jiff::Timestamp>,
}
