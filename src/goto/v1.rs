//! GoTo Meeting REST v1, the API GoTo publishes, behind the seam: [`V1Client`] as a
//! [`GoToApi`]. It shares the request pipeline (budget, token, retries, bounded bodies, write
//! fence) with the v2 client it wraps; only paths and shapes differ (`v1_wire`).
//!
//! | job | v1 |
//! |---|---|
//! | read one | `GET /organizers/{key}` (an array of one) |
//! | find by email | the account directory, filled by `GET /organizers` (the whole account in one call); after a 409 or an ambiguous create, `GET /organizers?email=` (404 = nobody) |
//! | create | `POST /organizers` `{organizerEmail, firstName, lastName, productType: G2M}`; 403 = no seat; 409 = the email exists, or no seat when nobody has it |
//! | suspend / resume | `PUT /organizers/{key}` `{"status":"suspended"}` / `{"productType":"G2M"}` |
//! | delete | `DELETE /organizers/{key}` |
//! | audit | `GET /organizers/{key}/upcomingMeetings` (no pages) |
//!
//! What v1 cannot do (names after the create, locale, time zone, roles) is said by
//! [`Capabilities`]: the controller never asks, and reports the difference instead.
use std::sync::Arc;

use reqwest::Method;

use super::client::{ApiRequest, GoToClient, body};
use super::directory::Change;
use super::error::Error;
use super::models::{
    Attendee, ListedOrganizer, MAX_EMAIL_BYTES, Meeting, NewOrganizer, Organizer, OrganizerKey,
    OrganizerStatus,
};
use super::paging::{MAX_LISTING_ENTRIES, decode_array_bounded};
use super::transport::{LIST_ACCOUNT, ORGANIZER_ATTENDEES, Raw};
use super::v1_account::AccountListing;
use super::v1_wire::{V1Attendee, V1Created, V1NewOrganizer, V1Organizer, V1StatusChange};
use crate::email;

/// A drift read that misses a listing younger than this reads its one organizer instead of
/// listing the whole account again.
const RELIST_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// Most meetings the audit reads from one answer (v1 does not paginate).
pub(super) const AUDIT_MAX_MEETINGS: usize = 100_000;

/// One GoTo account through REST v1. Clones share everything, as [`GoToClient`]'s do.
#[derive(Clone, Debug)]
pub struct V1Client {
    pub(super) client: GoToClient,
    /// The whole account, as one listing answered it a moment ago (drift reads).
    pub(super) account: Arc<AccountListing>,
}

impl V1Client {
    /// The v1 dialect over `client`'s request pipeline (its base URL is v1's, e.g.
    /// `https://api.getgo.com/G2M/rest`).
    pub fn new(client: GoToClient) -> Self {
        let max_age = client.inner.directory.max_age();
        Self {
            client,
            account: Arc::new(AccountListing::new(max_age)),
        }
    }

    /// A drift read: from a young listing of the whole account when it holds the key, listing
    /// the account (once, for every concurrent caller) when none is held; a miss, or a listing
    /// that fails, is one GET of the organizer.
    pub(super) async fn drift_read(&self, key: &OrganizerKey) -> Result<Option<Organizer>, Error> {
        if let Some(hit) = self.account.hit(key) {
            return Ok(Some(hit));
        }
        // No listing, one too old, or one that lacks the key (an organizer created since it
        // started): list again, unless a listing started moments ago; every concurrent caller
        // shares one listing.
        if !self.account.younger_than(RELIST_AFTER) {
            let _flight = self.account.flight.lock().await;
            if !self.account.younger_than(RELIST_AFTER)
                && let Err(e) = self.list_account().await
            {
                tracing::debug!(error = %e, "account listing for drift reads failed");
            }
            if let Some(hit) = self.account.hit(key) {
                return Ok(Some(hit));
            }
        }
        self.read_one(key).await
    }

    /// `GET /organizers`: every field of every organizer, kept for drift reads and adoptions
    /// (`account`), and returned slim for the email directory.
    pub(super) async fn list_account(&self) -> Result<Vec<ListedOrganizer>, Error> {
        let started = tokio::time::Instant::now();
        let url = self.client.endpoint(&["organizers"])?;
        let raw = self.get(LIST_ACCOUNT, url).await?;
        let all: Vec<Organizer> =
            decode_array_bounded::<V1Organizer>(&raw.body, "organizers", MAX_LISTING_ENTRIES)?
                .into_iter()
                .map(Organizer::from)
                .collect();
        // The directory holds every email of the account: bounded as v2's listings are.
        if all.iter().any(|o| o.email.len() > MAX_EMAIL_BYTES) {
            return Err(Error::Decode(format!(
                "organizers: an email is longer than {MAX_EMAIL_BYTES} bytes"
            )));
        }
        let listed = all.iter().map(ListedOrganizer::from).collect();
        self.account.keep(started, all);
        Ok(listed)
    }

    /// The request pipeline, for what does not depend on the dialect (the budget's rate).
    pub fn pipeline(&self) -> &GoToClient {
        &self.client
    }

    /// Every attendee of every session the organizer held between `start` and `end`, in one
    /// call (`GET /organizers/{key}/attendees?startDate&endDate`), each with its session (a
    /// past [`Meeting`] carrying its meetingInstanceKey). Sessions nobody attended do not
    /// appear: v1 lists attendees, not sessions.
    pub async fn organizer_attendees(
        &self,
        key: &OrganizerKey,
        start: jiff::Timestamp,
        end: jiff::Timestamp,
    ) -> Result<Vec<(Meeting, Attendee)>, Error> {
        let mut url = self
            .client
            .endpoint(&["organizers", key.as_str(), "attendees"])?;
        url.query_pairs_mut()
            .append_pair("startDate", &utc(start))
            .append_pair("endDate", &utc(end));
        let raw = self.get(ORGANIZER_ATTENDEES, url).await?;
        let rows = decode_array_bounded::<V1Attendee>(&raw.body, "attendees", MAX_LISTING_ENTRIES)?;
        Ok(rows
            .into_iter()
            .map(|row| (row.session(), row.attendee()))
            .collect())
    }

    pub(super) async fn get(&self, operation: &'static str, url: url::Url) -> Result<Raw, Error> {
        let request = ApiRequest {
            operation,
            method: Method::GET,
            url,
            body: None,
        };
        self.client.call(&request).await
    }

    /// `GET /organizers/{key}`: an array of one.
    pub(super) async fn read_one(&self, key: &OrganizerKey) -> Result<Option<Organizer>, Error> {
        let url = self.client.endpoint(&["organizers", key.as_str()])?;
        match self.get("get_organizer", url).await {
            Ok(raw) => {
                let organizer =
                    Organizer::from(only(raw.json::<Vec<V1Organizer>>("get_organizer")?)?);
                if organizer.organizer_key != *key {
                    return Err(Error::Decode(
                        "get_organizer: the answer names another organizer".into(),
                    ));
                }
                self.learned(Change::Upsert(ListedOrganizer::from(&organizer)));
                Ok(Some(organizer))
            }
            Err(Error::NotFound) => {
                self.learned(Change::Remove(key.clone()));
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// `GET /organizers?email=E`, asked of GoTo now (never the directory): 404 or `[]` is
    /// nobody.
    pub(super) async fn by_email_now(&self, email: &str) -> Result<Option<Organizer>, Error> {
        let mut url = self.client.endpoint(&["organizers"])?;
        url.query_pairs_mut().append_pair("email", email.trim());
        let organizers = match self.get("find_organizer", url).await {
            Ok(raw) => raw.json::<Vec<V1Organizer>>("find_organizer")?,
            Err(Error::NotFound) => Vec::new(),
            Err(error) => return Err(error),
        };
        let found = organizers
            .into_iter()
            .map(Organizer::from)
            .find(|o| email::same(&o.email, email));
        if let Some(organizer) = &found {
            self.learned(Change::Upsert(ListedOrganizer::from(organizer)));
        }
        Ok(found)
    }

    pub(super) fn learned(&self, change: Change) {
        self.client.inner.directory.record(change);
    }

    /// After a write to `key`: the kept listing no longer answers for it.
    pub(super) fn wrote(&self, key: &OrganizerKey) {
        self.account.forget(key);
    }

    pub(super) async fn set_status(
        &self,
        key: &OrganizerKey,
        change: V1StatusChange,
        operation: &'static str,
    ) -> Result<(), Error> {
        let request = ApiRequest {
            operation,
            method: Method::PUT,
            url: self.client.endpoint(&["organizers", key.as_str()])?,
            body: Some(body(&change)?),
        };
        // Before and after: no listing that may have seen the old state answers for it.
        self.wrote(key);
        let result = self.client.call(&request).await.map(drop);
        self.wrote(key);
        result
    }

    pub(super) async fn create_v1(&self, new: &NewOrganizer) -> Result<Organizer, Error> {
        let request = ApiRequest {
            operation: "create_organizer",
            method: Method::POST,
            url: self.client.endpoint(&["organizers"])?,
            body: Some(body(&V1NewOrganizer::from(new))?),
        };
        let raw = match self.client.send_once(&request).await {
            Ok(raw) => raw,
            Err(error @ Error::Transient(_)) => return self.settle(new, error).await,
            Err(error) => return Err(error),
        };
        match raw.status.as_u16() {
            200..=299 => match raw
                .json::<Vec<V1Created>>("create_organizer")
                .and_then(only)
            {
                Ok(created) => {
                    // v1 answers key and email only: the rest is what was sent.
                    let email = if created.email.is_empty() {
                        new.email.clone()
                    } else {
                        created.email
                    };
                    let organizer = Organizer {
                        first_name: new.first_name.clone(),
                        last_name: new.last_name.clone(),
                        ..ListedOrganizer {
                            organizer_key: OrganizerKey::new(created.key.0),
                            email,
                            status: Some(OrganizerStatus::Active),
                        }
                        .partial()
                    };
                    self.learned(Change::Upsert(ListedOrganizer::from(&organizer)));
                    Ok(organizer)
                }
                // Created, but the answer did not say as what: the email tells.
                Err(error) => self.settle(new, error).await,
            },
            // Published for "no seat left" (and by us for nothing else on a create).
            403 => Err(Error::SeatUnavailable { status: 403 }),
            // The email exists, or (GoTo's 409 may mean either) no seat is left.
            409 => match self.by_email_now(&new.email).await? {
                Some(existing) => Err(Error::AlreadyExists {
                    organizer: Box::new(existing),
                }),
                None => Err(Error::SeatUnavailable { status: 409 }),
            },
            _ => match raw.success() {
                Err(error @ Error::Transient(_)) => self.settle(new, error).await,
                Err(error) => Err(error),
                Ok(_) => Err(Error::Decode("create_organizer: unexpected status".into())),
            },
        }
    }

    /// After an answer that leaves the create unknown: GoTo's own answer for the email decides.
    pub(super) async fn settle(
        &self,
        new: &NewOrganizer,
        error: Error,
    ) -> Result<Organizer, Error> {
        match self.by_email_now(&new.email).await {
            Ok(Some(organizer)) => Ok(organizer),
            Ok(None) => Err(error),
            Err(lookup) => {
                tracing::debug!(error = %lookup, "lookup after an ambiguous create failed");
                Err(error)
            }
        }
    }
}

/// An instant as v1 asks for it: ISO-8601 in UTC, to the second (`2026-01-05T09:00:00Z`).
fn utc(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The one element of an array answer.
fn only<T>(items: Vec<T>) -> Result<T, Error> {
    let mut items = items.into_iter();
    match (items.next(), items.next()) {
        (Some(item), None) => Ok(item),
        (None, _) => Err(Error::Decode("the answer is an empty array".into())),
        (Some(_), Some(_)) => Err(Error::Decode(
            "the answer holds more than the one organizer asked for".into(),
        )),
    }
}

#[cfg(test)]
#[path = "v1_tests.rs"]
mod tests;
