//! The organizer operations: get, list, find, create, full-PUT update, suspend, resume, delete.
use super::budget::Lane;
use super::client::{ApiRequest, GoToClient, body};
use super::directory::{Change, DirectorySnapshot};
use super::error::Error;
use super::models::{
    ListedOrganizer, NewOrganizer, Organizer, OrganizerKey, OrganizerStatus, OrganizerUpdate,
};
use super::paging::paginate;
use super::seam::DeleteOutcome;
use super::transport::Raw;
use futures::stream::{BoxStream, TryStreamExt};
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

impl GoToClient {
    /// One organizer; [`Error::NotFound`] when GoTo has no such key.
    pub async fn get_organizer(&self, key: &OrganizerKey) -> Result<Organizer, Error> {
        self.get_organizer_in(key, Lane::User).await
    }

    /// [`GoToClient::get_organizer`] in the budget's `lane`: a drift read may come back as
    /// [`Error::Deferred`] without a request.
    pub(crate) async fn get_organizer_in(
        &self,
        key: &OrganizerKey,
        lane: Lane,
    ) -> Result<Organizer, Error> {
        let request = ApiRequest {
            operation: "get_organizer",
            method: Method::GET,
            url: self.endpoint(&["organizers", key.as_str()])?,
            body: None,
        };
        match self
            .call_in(&request, lane)
            .await
            .and_then(|raw| raw.json::<Organizer>("get_organizer"))
        {
            Ok(organizer) => {
                self.learned(Change::Upsert(ListedOrganizer::from(&organizer)));
                Ok(organizer)
            }
            Err(Error::NotFound) => {
                self.learned(Change::Remove(key.clone()));
                Err(Error::NotFound)
            }
            Err(error) => Err(error),
        }
    }

    /// Every organizer of the account, 100 a page: key, email and status only (the rest of
    /// each entry is skipped as it is parsed; read the full record with
    /// [`GoToClient::get_organizer`]). At most `MAX_LISTING_ENTRIES` organizers.
    pub fn list_organizers(&self) -> BoxStream<'static, Result<ListedOrganizer, Error>> {
        let url = self.endpoint(&["accounts", self.account_key().as_str(), "organizers"]);
        paginate(self.clone(), "list_organizers", url, "organizers")
    }

    /// The organizer whose email matches, ignoring case and surrounding spaces, if any.
    ///
    /// Answered from the account directory: one listing of the account serves every lookup
    /// until it is older than the client's `directory_max_age` (see `directory`).
    /// The listing carries key, email and status only: read the full record before planning
    /// a write from it.
    pub async fn find_organizer_by_email(
        &self,
        email: &str,
    ) -> Result<Option<ListedOrganizer>, Error> {
        let directory = &self.inner.directory;
        directory
            .lookup(email, directory.fresh_enough(), || self.list_all())
            .await
    }

    /// Like [`GoToClient::find_organizer_by_email`], from a listing that started after this
    /// call: for answers a stale directory must not give (after a 409 or an ambiguous create).
    async fn find_organizer_by_email_fresh(
        &self,
        email: &str,
    ) -> Result<Option<ListedOrganizer>, Error> {
        let since = Instant::now();
        self.inner
            .directory
            .lookup(email, since, || self.list_all())
            .await
    }

    /// The account's organizers (count, suspended, keys and emails) as the directory holds
    /// them, listing the account first when the directory is older than its bound.
    pub async fn directory(&self) -> Result<DirectorySnapshot, Error> {
        let directory = &self.inner.directory;
        directory
            .snapshot(directory.fresh_enough(), || self.list_all())
            .await
    }

    /// What the directory holds now, without a request; `None` before the first listing.
    pub fn cached_directory(&self) -> Option<DirectorySnapshot> {
        self.inner.directory.cached_snapshot()
    }

    async fn list_all(&self) -> Result<Vec<ListedOrganizer>, Error> {
        self.list_organizers().try_collect().await
    }

    /// Tells the directory what a call learned about the account.
    fn learned(&self, change: Change) {
        self.inner.directory.record(change);
    }

    /// Creates an organizer, taking a paid seat.
    ///
    /// A POST is never blindly retried: only answers proving GoTo did not act (429, and
    /// the 401 token renewal) are resent. 402 is [`Error::SeatUnavailable`]; on 409 the
    /// email is looked up: taken → [`Error::AlreadyExists`], else no seat. After an
    /// ambiguous failure (5xx, timeout, reset) the email is looked up too: if GoTo did
    /// create the organizer it is returned, else the transient error.
    pub async fn create_organizer(&self, new: &NewOrganizer) -> Result<Organizer, Error> {
        let request = ApiRequest {
            operation: "create_organizer",
            method: Method::POST,
            url: self.endpoint(&["accounts", self.account_key().as_str(), "organizers"])?,
            body: Some(body(new)?),
        };
        let raw = match self.send_once(&request).await {
            Ok(raw) => raw,
            Err(error @ Error::Transient(_)) => {
                return self.resolve_ambiguous_create(new, error).await;
            }
            Err(error) => return Err(error),
        };
        match raw.status.as_u16() {
            200..=299 => match raw.json::<Organizer>("create_organizer") {
                Ok(organizer) => {
                    let mut indexed = ListedOrganizer::from(&organizer);
                    if indexed.email.is_empty() {
                        indexed.email = new.email.clone();
                    }
                    self.learned(Change::Upsert(indexed));
                    Ok(organizer)
                }
                // It was created; the lookup recovers the organizer the body failed to give.
                Err(error) => self.resolve_ambiguous_create(new, error).await,
            },
            402 => Err(Error::SeatUnavailable { status: 402 }),
            // The listed fields only: whoever adopts it reads the full record.
            409 => match self.find_organizer_by_email_fresh(&new.email).await? {
                Some(listed) => Err(Error::AlreadyExists {
                    organizer: Box::new(listed.partial()),
                }),
                None => Err(Error::SeatUnavailable { status: 409 }),
            },
            _ => match raw.success() {
                Err(error @ Error::Transient(_)) => self.resolve_ambiguous_create(new, error).await,
                Err(error) => Err(error),
                Ok(_) => Err(Error::Decode("create_organizer: unexpected status".into())),
            },
        }
    }

    /// GoTo may or may not have created the organizer: the email decides, and the full record
    /// is then read (a write planned from the listing alone would reset what it lacks).
    async fn resolve_ambiguous_create(
        &self,
        new: &NewOrganizer,
        error: Error,
    ) -> Result<Organizer, Error> {
        match self.find_organizer_by_email_fresh(&new.email).await {
            Ok(Some(listed)) => {
                tracing::debug!(organizer_key = %listed.organizer_key, "ambiguous create had succeeded");
                self.get_organizer(&listed.organizer_key).await
            }
            Ok(None) => Err(error),
            Err(lookup) => {
                tracing::debug!(error = %lookup, "lookup after an ambiguous create failed");
                Err(error)
            }
        }
    }

    /// Replaces the organizer with `update`: a full PUT, so every field is sent.
    pub async fn update_organizer(
        &self,
        key: &OrganizerKey,
        update: &OrganizerUpdate,
    ) -> Result<Organizer, Error> {
        self.put_organizer(key, update, "update_organizer").await
    }

    /// Suspends the organizer: it can no longer host; data and meetings are kept.
    pub async fn suspend_organizer(&self, key: &OrganizerKey) -> Result<(), Error> {
        let account = self.account_key().as_str();
        let request = ApiRequest {
            operation: "suspend_organizer",
            method: Method::PUT,
            url: self.endpoint(&["accounts", account, "organizers", key.as_str(), "suspend"])?,
            body: None,
        };
        self.call(&request).await?;
        self.learned(Change::Status(key.clone(), OrganizerStatus::Suspended));
        Ok(())
    }

    /// Reactivates a suspended organizer: a full PUT of `update` with status ACTIVE
    /// (**assumed**: GoTo documents no resume endpoint). Observed as `update_organizer`.
    pub async fn resume_organizer(
        &self,
        key: &OrganizerKey,
        update: &OrganizerUpdate,
    ) -> Result<Organizer, Error> {
        let update = OrganizerUpdate {
            status: Some(OrganizerStatus::Active),
            ..update.clone()
        };
        self.put_organizer(key, &update, "update_organizer").await
    }

    /// Deletes the organizer. GoTo cancels all its future meetings at once, without notice.
    pub async fn delete_organizer(&self, key: &OrganizerKey) -> Result<DeleteOutcome, Error> {
        let account = self.account_key().as_str();
        let request = ApiRequest {
            operation: "delete_organizer",
            method: Method::DELETE,
            url: self.endpoint(&["accounts", account, "organizers", key.as_str()])?,
            body: None,
        };
        let outcome = match self.call(&request).await {
            Ok(_) => DeleteOutcome::Deleted,
            Err(Error::NotFound) => DeleteOutcome::AlreadyGone,
            Err(error) => return Err(error),
        };
        self.learned(Change::Remove(key.clone()));
        Ok(outcome)
    }

    async fn put_organizer(
        &self,
        key: &OrganizerKey,
        update: &OrganizerUpdate,
        operation: &'static str,
    ) -> Result<Organizer, Error> {
        let request = ApiRequest {
            operation,
            method: Method::PUT,
            url: self.endpoint(&["organizers", key.as_str()])?,
            body: Some(body(update)?),
        };
        let raw = self.call(&request).await?;
        if answered_without_body(&raw) {
            return self.get_organizer(key).await;
        }
        let organizer: Organizer = raw.json(operation)?;
        self.learned(Change::Upsert(ListedOrganizer::from(&organizer)));
        Ok(organizer)
    }
}

/// A 204 or an empty 200 says "done" without the organizer: it must be read back.
fn answered_without_body(raw: &Raw) -> bool {
    raw.status == StatusCode::NO_CONTENT || raw.body.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_answers_are_read_back() {
        let raw = |status: u16, body: &[u8]| Raw {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            body: body.to_vec(),
        };
        assert!(answered_without_body(&raw(204, b"")));
        assert!(answered_without_body(&raw(200, b" \n")));
        assert!(!answered_without_body(&raw(200, b"{}")));
    }
}
