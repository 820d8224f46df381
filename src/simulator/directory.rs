//! The account's organizers and the rules GoTo enforces on them: required fields, email shape,
//! case-insensitive unique emails, paid seats, full-PUT resets, suspension, and deletion that
//! cancels every future meeting.
use std::collections::HashMap;

use axum::http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;

use super::keys::{FIRST_KEY, KeyGen, is_email, is_key, is_locale, is_time_zone, key_order};
use super::model::{
    CancelledMeeting, CancelledVia, OrganizerStatus, SeedOrganizer, SimMeeting, SimOrganizer,
    SimSession,
};
use super::reply::ApiError;

/// Every organizer created through the API gets the Business plan's participant limit.
pub(crate) const MAX_PARTICIPANTS: u32 = 250;

/// Body of `POST /accounts/{a}/organizers`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateBody {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    locale: Option<String>,
    time_zone: Option<String>,
    admin_roles: Option<Vec<String>>,
}

/// Body of `PUT /organizers/{k}`: the complete representation. Read-only fields may be echoed
/// back but not changed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateBody {
    organizer_key: Option<String>,
    account_key: Option<String>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    status: Option<OrganizerStatus>,
    locale: Option<String>,
    time_zone: Option<String>,
    max_participants: Option<u32>,
    admin_roles: Option<Vec<String>>,
}

/// A new organizer, its fields checked for shape, as either dialect's create gives it.
#[derive(Debug, Default)]
pub(crate) struct NewOrganizer {
    pub(crate) email: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) locale: String,
    pub(crate) time_zone: String,
    pub(crate) admin_roles: Vec<String>,
}

/// The name of the one group every organizer belongs to (v1 shows `groupId` and `groupName`).
pub(crate) const DEFAULT_GROUP_NAME: &str = "Default group";

/// All the simulator's GoTo data.
#[derive(Debug)]
pub(crate) struct Directory {
    pub(crate) account_key: String,
    pub(crate) keys: KeyGen,
    /// The key of the default group: the one just below the first key, so it lies in the same
    /// range as every other key of the world.
    pub(crate) group_key: String,
    pub(crate) organizers: HashMap<String, SimOrganizer>,
    /// Upcoming meetings by meetingId.
    pub(crate) meetings: HashMap<String, SimMeeting>,
    /// Sessions by meetingInstanceKey.
    pub(crate) sessions: HashMap<String, SimSession>,
    pub(crate) cancelled: Vec<CancelledMeeting>,
    pub(crate) seats: Option<u32>,
    pub(crate) seat_error: StatusCode,
}

impl Directory {
    pub(crate) fn new(account_key: String, seats: Option<u32>, seat_error: StatusCode) -> Self {
        Directory {
            account_key,
            keys: KeyGen::starting_at(FIRST_KEY),
            group_key: (FIRST_KEY - 1).to_string(),
            organizers: HashMap::new(),
            meetings: HashMap::new(),
            sessions: HashMap::new(),
            cancelled: Vec::new(),
            seats,
            seat_error,
        }
    }

    /// Hands out keys from `first` on (at least 1: the default group takes the key below it).
    pub(crate) fn start_keys_at(&mut self, first: u128) -> Result<(), String> {
        let group = first
            .checked_sub(1)
            .ok_or("the first key must be at least 1 (the default group's key is below it)")?;
        self.keys = KeyGen::starting_at(first);
        self.group_key = group.to_string();
        Ok(())
    }

    /// 400 for a malformed account key, 404 for another account.
    pub(crate) fn check_account(&self, account_key: &str) -> Result<(), ApiError> {
        check_key("accountKey", account_key)?;
        if account_key != self.account_key {
            return Err(ApiError::not_found(format!(
                "account {account_key} not found"
            )));
        }
        Ok(())
    }

    pub(crate) fn organizer(&self, key: &str) -> Result<&SimOrganizer, ApiError> {
        check_key("organizerKey", key)?;
        self.organizers
            .get(key)
            .ok_or_else(|| ApiError::not_found(format!("organizer {key} not found")))
    }

    /// Organizers in key order, paired with their sort key.
    pub(crate) fn organizer_items(&self) -> Vec<(String, SimOrganizer)> {
        self.organizers
            .values()
            .map(|o| (key_order(&o.organizer_key), o.clone()))
            .collect()
    }

    fn email_taken(&self, email: &str, except: Option<&str>) -> bool {
        self.organizers.values().any(|o| {
            Some(o.organizer_key.as_str()) != except && o.email.eq_ignore_ascii_case(email)
        })
    }

    pub(crate) fn create(&mut self, body: CreateBody) -> Result<SimOrganizer, ApiError> {
        let new = NewOrganizer {
            email: required("email", body.email)?,
            first_name: required("firstName", body.first_name)?,
            last_name: required("lastName", body.last_name)?,
            locale: optional_locale(body.locale)?,
            time_zone: optional_time_zone(body.time_zone)?,
            admin_roles: roles(body.admin_roles)?,
        };
        self.add_new(new, self.seat_error)
    }

    /// Adds an organizer created through either dialect: 400 for a malformed email, 409 when
    /// the email is taken (case-insensitively), `seat_error` when every paid seat is in use.
    pub(crate) fn add_new(
        &mut self,
        new: NewOrganizer,
        seat_error: StatusCode,
    ) -> Result<SimOrganizer, ApiError> {
        check_email(&new.email)?;
        if self.email_taken(&new.email, None) {
            return Err(ApiError::conflict(format!(
                "an organizer with email {} already exists",
                new.email
            )));
        }
        if let Some(seats) = self.seats
            && self.organizers.len() >= seats as usize
        {
            return Err(ApiError::new(
                seat_error,
                "NoSeatAvailable",
                format!("all {seats} paid organizer seats are in use"),
            ));
        }
        let organizer = SimOrganizer {
            organizer_key: self.keys.next_key(),
            account_key: self.account_key.clone(),
            email: new.email,
            first_name: new.first_name,
            last_name: new.last_name,
            status: OrganizerStatus::Active,
            locale: new.locale,
            time_zone: new.time_zone,
            max_participants: MAX_PARTICIPANTS,
            admin_roles: new.admin_roles,
        };
        self.organizers
            .insert(organizer.organizer_key.clone(), organizer.clone());
        Ok(organizer)
    }

    /// The organizer with this email, compared case-insensitively as GoTo does.
    pub(crate) fn by_email(&self, email: &str) -> Option<&SimOrganizer> {
        self.organizers
            .values()
            .find(|o| o.email.eq_ignore_ascii_case(email))
    }

    /// Suspends or re-activates an organizer (404 when absent). Meetings and data are kept.
    pub(crate) fn set_status(
        &mut self,
        key: &str,
        status: OrganizerStatus,
    ) -> Result<(), ApiError> {
        self.organizer(key)?;
        if let Some(o) = self.organizers.get_mut(key) {
            o.status = status;
        }
        Ok(())
    }

    /// Full PUT: every updatable field missing from the body is reset to empty.
    pub(crate) fn update(&mut self, key: &str, body: UpdateBody) -> Result<SimOrganizer, ApiError> {
        let current = self.organizer(key)?.clone();
        immutable("organizerKey", body.organizer_key, &current.organizer_key)?;
        immutable("accountKey", body.account_key, &current.account_key)?;
        if let Some(max) = body.max_participants
            && max != current.max_participants
        {
            return Err(ApiError::bad_request(
                "maxParticipants is set by the plan and cannot be changed",
            ));
        }
        let email = body.email.unwrap_or_default();
        if !email.is_empty() {
            check_email(&email)?;
            if self.email_taken(&email, Some(key)) {
                return Err(ApiError::conflict(format!(
                    "an organizer with email {email} already exists"
                )));
            }
        }
        let updated = SimOrganizer {
            email,
            first_name: body.first_name.unwrap_or_default(),
            last_name: body.last_name.unwrap_or_default(),
            status: body.status.unwrap_or(current.status),
            locale: optional_locale(body.locale)?,
            time_zone: optional_time_zone(body.time_zone)?,
            admin_roles: roles(body.admin_roles)?,
            ..current
        };
        self.organizers.insert(key.to_string(), updated.clone());
        Ok(updated)
    }

    pub(crate) fn suspend(&mut self, account_key: &str, key: &str) -> Result<(), ApiError> {
        self.check_account(account_key)?;
        self.set_status(key, OrganizerStatus::Suspended)
    }

    /// Deletes an organizer and cancels (and records) every meeting of it that has not started.
    pub(crate) fn delete(
        &mut self,
        key: &str,
        now: Timestamp,
        via: CancelledVia,
    ) -> Option<SimOrganizer> {
        let organizer = self.organizers.remove(key)?;
        let mut ids: Vec<String> = self
            .meetings
            .values()
            .filter(|m| m.organizer_key == key)
            .map(|m| m.meeting_id.clone())
            .collect();
        ids.sort_by_key(|id| key_order(id));
        for id in ids {
            let Some(m) = self.meetings.remove(&id) else {
                continue;
            };
            if m.start_time > now {
                self.cancelled.push(CancelledMeeting {
                    meeting_id: m.meeting_id,
                    organizer_key: m.organizer_key,
                    subject: m.subject,
                    start_time: m.start_time,
                    cancelled_at: now,
                    via,
                });
            }
        }
        Some(organizer)
    }

    /// Checks a seed organizer like the API would, then adds it (seed files, `/_sim/`).
    pub(crate) fn insert_checked(&mut self, seed: SeedOrganizer) -> Result<String, String> {
        self.check_seed(&seed)?;
        Ok(self.insert_seed(seed))
    }

    /// Adds an organizer with its meetings and sessions, unchecked: out-of-band inserts may
    /// create odd states on purpose.
    pub(crate) fn insert_seed(&mut self, seed: SeedOrganizer) -> String {
        let key = match seed.organizer_key {
            Some(key) => {
                self.keys.reserve(&key);
                key
            }
            None => self.keys.next_key(),
        };
        let organizer = SimOrganizer {
            organizer_key: key.clone(),
            account_key: self.account_key.clone(),
            email: seed.email,
            first_name: seed.first_name,
            last_name: seed.last_name,
            status: seed.status,
            locale: seed.locale,
            time_zone: seed.time_zone,
            max_participants: seed.max_participants.unwrap_or(MAX_PARTICIPANTS),
            admin_roles: seed.admin_roles,
        };
        self.organizers.insert(key.clone(), organizer);
        for meeting in seed.meetings {
            self.add_meeting(&key, meeting);
        }
        for session in seed.history {
            self.add_session(&key, session);
        }
        key
    }

    fn check_seed(&self, seed: &SeedOrganizer) -> Result<(), String> {
        let who = &seed.email;
        if let Some(key) = &seed.organizer_key
            && (!is_key(key) || self.organizers.contains_key(key))
        {
            return Err(format!(
                "{who}: organizerKey {key:?} is not a new numeric string"
            ));
        }
        if !is_email(&seed.email) || self.email_taken(&seed.email, None) {
            return Err(format!("{who}: email is malformed or already used"));
        }
        if seed.first_name.is_empty() || seed.last_name.is_empty() {
            return Err(format!("{who}: firstName and lastName are required"));
        }
        if !(seed.locale.is_empty() || is_locale(&seed.locale)) {
            return Err(format!("{who}: bad locale {:?}", seed.locale));
        }
        if !(seed.time_zone.is_empty() || is_time_zone(&seed.time_zone)) {
            return Err(format!("{who}: unknown time zone {:?}", seed.time_zone));
        }
        let ids = seed
            .meetings
            .iter()
            .map(|m| (&m.meeting_id, m.start_time, m.end_time));
        let sessions = seed
            .history
            .iter()
            .map(|s| (&s.meeting_instance_key, s.start_time, s.end_time));
        for (id, start, end) in ids.chain(sessions) {
            if id.as_deref().is_some_and(|id| !is_key(id)) {
                return Err(format!("{who}: key {id:?} is not a numeric string"));
            }
            if end <= start {
                return Err(format!(
                    "{who}: a meeting ends before it starts ({start} .. {end})"
                ));
            }
        }
        Ok(())
    }
}

/// 400 unless `value` is a numeric string.
pub(crate) fn check_key(name: &str, value: &str) -> Result<(), ApiError> {
    if is_key(value) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{name} must be a numeric string, got {value:?}"
        )))
    }
}

pub(crate) fn required(name: &str, value: Option<String>) -> Result<String, ApiError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ApiError::bad_request(format!("{name} is required"))),
    }
}

fn immutable(name: &str, given: Option<String>, current: &str) -> Result<(), ApiError> {
    match given {
        Some(v) if v != current => Err(ApiError::bad_request(format!("{name} is immutable"))),
        _ => Ok(()),
    }
}

fn check_email(email: &str) -> Result<(), ApiError> {
    if is_email(email) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "email {email:?} is not a valid address"
        )))
    }
}

fn optional_locale(value: Option<String>) -> Result<String, ApiError> {
    let value = value.unwrap_or_default();
    if value.is_empty() || is_locale(&value) {
        Ok(value)
    } else {
        Err(ApiError::bad_request(format!(
            "locale {value:?} is not like en_US"
        )))
    }
}

fn optional_time_zone(value: Option<String>) -> Result<String, ApiError> {
    let value = value.unwrap_or_default();
    if value.is_empty() || is_time_zone(&value) {
        Ok(value)
    } else {
        Err(ApiError::bad_request(format!(
            "timeZone {value:?} is not an IANA time zone"
        )))
    }
}

fn roles(value: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let roles = value.unwrap_or_default();
    if roles.iter().any(|r| r.trim().is_empty()) {
        return Err(ApiError::bad_request(
            "adminRoles must not contain empty names",
        ));
    }
    Ok(roles)
}
