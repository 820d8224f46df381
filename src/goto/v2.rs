//! The seed's v2 dialect behind the seam: [`GoToClient`] as a [`GoToApi`]. Each operation is
//! the client's own (`organizers`, `meetings`); this only says which one answers which question.
use futures::TryStreamExt;
use futures::future::BoxFuture;

use super::budget::Lane;
use super::client::GoToClient;
use super::config::Dialect;
use super::directory::DirectorySnapshot;
use super::error::Error;
use super::models::{
    AccountKey, ListedOrganizer, Meeting, NewOrganizer, Organizer, OrganizerKey, OrganizerUpdate,
};
use super::seam::{Capabilities, DeleteOutcome, GoToApi};

impl GoToApi for GoToClient {
    fn account_key(&self) -> &AccountKey {
        GoToClient::account_key(self)
    }

    fn seat_pool(&self) -> String {
        GoToClient::seat_pool(self).to_string()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(GoToClient::authenticate(self))
    }

    fn verify_dialect(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(super::dialect::verify(self, Dialect::V2))
    }

    fn read<'a>(
        &'a self,
        key: &'a OrganizerKey,
    ) -> BoxFuture<'a, Result<Option<Organizer>, Error>> {
        Box::pin(read_in(self, key, Lane::User))
    }

    /// One GET per organizer in the budget's drift lane: it gives way to people's work.
    fn read_for_drift<'a>(
        &'a self,
        key: &'a OrganizerKey,
    ) -> BoxFuture<'a, Result<Option<Organizer>, Error>> {
        Box::pin(read_in(self, key, Lane::Drift))
    }

    fn find_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<Organizer>, Error>> {
        Box::pin(async move {
            // The listing may carry only the key and email: planning a full PUT from a partial
            // organizer would reset what it lacks, so the full record is read.
            match self.find_organizer_by_email(email).await? {
                Some(listed) => self.get_organizer(&listed.organizer_key).await.map(Some),
                None => Ok(None),
            }
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<ListedOrganizer>, Error>> {
        Box::pin(self.list_organizers().try_collect())
    }

    fn known_organizers(&self) -> Option<DirectorySnapshot> {
        self.cached_directory()
    }

    fn create<'a>(&'a self, new: &'a NewOrganizer) -> BoxFuture<'a, Result<Organizer, Error>> {
        Box::pin(self.create_organizer(new))
    }

    fn update<'a>(
        &'a self,
        key: &'a OrganizerKey,
        update: &'a OrganizerUpdate,
    ) -> BoxFuture<'a, Result<Organizer, Error>> {
        Box::pin(self.update_organizer(key, update))
    }

    fn suspend<'a>(&'a self, key: &'a OrganizerKey) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.suspend_organizer(key))
    }

    fn resume<'a>(
        &'a self,
        key: &'a OrganizerKey,
        update: &'a OrganizerUpdate,
    ) -> BoxFuture<'a, Result<Organizer, Error>> {
        Box::pin(self.resume_organizer(key, update))
    }

    fn delete<'a>(&'a self, key: &'a OrganizerKey) -> BoxFuture<'a, Result<DeleteOutcome, Error>> {
        Box::pin(self.delete_organizer(key))
    }

    fn upcoming_meetings<'a>(
        &'a self,
        key: &'a OrganizerKey,
    ) -> BoxFuture<'a, Result<Vec<Meeting>, Error>> {
        Box::pin(self.audit_upcoming_meetings(key))
    }
}

async fn read_in(
    client: &GoToClient,
    key: &OrganizerKey,
    lane: Lane,
) -> Result<Option<Organizer>, Error> {
    match client.get_organizer_in(key, lane).await {
        Ok(organizer) => Ok(Some(organizer)),
        Err(Error::NotFound) => Ok(None),
        Err(error) => Err(error),
    }
}
