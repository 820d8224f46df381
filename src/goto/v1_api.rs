//! [`V1Client`] behind the seam: which of its operations answers which question of
//! [`GoToApi`] (the operations and their wire are in `v1`).
use futures::future::BoxFuture;
use reqwest::Method;

use super::client::ApiRequest;
use super::config::Dialect;
use super::directory::{Change, DirectorySnapshot};
use super::error::Error;
use super::models::{
    AccountKey, ListedOrganizer, Meeting, NewOrganizer, Organizer, OrganizerKey, OrganizerStatus,
    OrganizerUpdate,
};
use super::paging::decode_array_bounded;
use super::seam::{Capabilities, DeleteOutcome, GoToApi};
use super::v1::{AUDIT_MAX_MEETINGS, V1Client};
use super::v1_wire::{V1StatusChange, V1UpcomingMeeting};

impl GoToApi for V1Client {
    fn account_key(&self) -> &AccountKey {
        self.client.account_key()
    }

    fn seat_pool(&self) -> String {
        self.client.seat_pool().to_string()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            profile_updates: false,
        }
    }

    fn dialect(&self) -> Dialect {
        Dialect::V1
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.client.authenticate())
    }

    fn verify_dialect(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(super::dialect::verify(&self.client, Dialect::V1))
    }

    fn read<'a>(
        &'a self,
        key: &'a OrganizerKey,
    ) -> BoxFuture<'a, Result<Option<Organizer>, Error>> {
        Box::pin(self.read_one(key))
    }

    fn read_for_drift<'a>(
        &'a self,
        key: &'a OrganizerKey,
    ) -> BoxFuture<'a, Result<Option<Organizer>, Error>> {
        Box::pin(self.drift_read(key))
    }

    fn find_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<Organizer>, Error>> {
        // One listing of the whole account answers every lookup and, v1's listing being full,
        // the record too: importing N organizers costs one call, not N.
        Box::pin(async move {
            let directory = &self.client.inner.directory;
            let listed = directory
                .lookup(email, directory.fresh_enough(), || self.list_account())
                .await?;
            match listed {
                Some(listed) => match self.account.hit(&listed.organizer_key) {
                    Some(full) => Ok(Some(full)),
                    None => self.read_one(&listed.organizer_key).await,
                },
                None => Ok(None),
            }
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<ListedOrganizer>, Error>> {
        // The listing is full in v1: kept a moment for the reads that may follow (export).
        Box::pin(self.list_account())
    }

    fn known_organizers(&self) -> Option<DirectorySnapshot> {
        self.client.cached_directory()
    }

    fn create<'a>(&'a self, new: &'a NewOrganizer) -> BoxFuture<'a, Result<Organizer, Error>> {
        Box::pin(self.create_v1(new))
    }

    fn update<'a>(
        &'a self,
        _key: &'a OrganizerKey,
        _update: &'a OrganizerUpdate,
    ) -> BoxFuture<'a, Result<Organizer, Error>> {
        // Capabilities say so before anyone asks; a caller that asks anyway learns it here,
        // and nothing is sent.
        Box::pin(async {
            Err(Error::BadRequest(
                "GoTo's v1 API cannot change names, locale, time zone or roles; nothing sent"
                    .into(),
            ))
        })
    }

    fn suspend<'a>(&'a self, key: &'a OrganizerKey) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.set_status(key, V1StatusChange::SUSPEND, "suspend_organizer")
                .await?;
            self.learned(Change::Status(key.clone(), OrganizerStatus::Suspended));
            Ok(())
        })
    }

    fn resume<'a>(
        &'a self,
        key: &'a OrganizerKey,
        _update: &'a OrganizerUpdate,
    ) -> BoxFuture<'a, Result<Organizer, Error>> {
        // v1 re-activates by assigning the product again; the fields of `update` cannot be
        // written (see `capabilities`). The organizer is read back: 204 carries nothing.
        Box::pin(async move {
            self.set_status(key, V1StatusChange::RESUME, "update_organizer")
                .await?;
            self.learned(Change::Status(key.clone(), OrganizerStatus::Active));
            self.read_one(key).await?.ok_or(Error::NotFound)
        })
    }

    fn delete<'a>(&'a self, key: &'a OrganizerKey) -> BoxFuture<'a, Result<DeleteOutcome, Error>> {
        Box::pin(async move {
            self.wrote(key);
            let request = ApiRequest {
                operation: "delete_organizer",
                method: Method::DELETE,
                url: self.client.endpoint(&["organizers", key.as_str()])?,
                body: None,
            };
            let answer = self.client.call(&request).await;
            self.wrote(key);
            let outcome = match answer {
                Ok(_) => DeleteOutcome::Deleted,
                Err(Error::NotFound) => DeleteOutcome::AlreadyGone,
                Err(error) => return Err(error),
            };
            self.learned(Change::Remove(key.clone()));
            Ok(outcome)
        })
    }

    fn upcoming_meetings<'a>(
        &'a self,
        key: &'a OrganizerKey,
    ) -> BoxFuture<'a, Result<Vec<Meeting>, Error>> {
        // Strict, as the audit before a DELETE must be: the answer must be an array, every
        // entry readable; a 404 is an error, never "no meetings".
        Box::pin(async move {
            let url = self
                .client
                .endpoint(&["organizers", key.as_str(), "upcomingMeetings"])?;
            let raw = self.get("list_meetings", url).await?;
            let meetings = decode_array_bounded::<V1UpcomingMeeting>(
                &raw.body,
                "upcomingMeetings",
                AUDIT_MAX_MEETINGS,
            )?;
            Ok(meetings.into_iter().map(Meeting::from).collect())
        })
    }
}
