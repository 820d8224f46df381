//! The seam: everything the controller asks of GoTo, as one trait ([`GoToApi`]) in the
//! operator's own terms, after Crossplane's `ExternalClient`. The reconciler never sees HTTP.
//!
//! Implementations: [`GoToClient`](super::GoToClient), the seed's v2 dialect (`v2.rs`),
//! [`V1Client`](super::V1Client), GoTo Meeting REST v1 as GoTo publishes it (`v1.rs`, its wire
//! shapes private to `v1_wire.rs`), and [`MemoryGoTo`](super::MemoryGoTo), an in-memory GoTo
//! that makes `observe` and `act` testable without a network.
//!
//! In the seam, keys are string newtypes ([`OrganizerKey`], [`AccountKey`]: GoTo's keys exceed
//! 2^64), an organizer's state is [`OrganizerStatus`], and answers are values: a key nobody has
//! is `Ok(None)` from [`GoToApi::read`], a DELETE that finds nothing is
//! [`DeleteOutcome::AlreadyGone`]. A write to an organizer that is gone fails with
//! [`Error::NotFound`]; a create refused for want of a seat with [`Error::SeatUnavailable`];
//! a create that meets the email with [`Error::AlreadyExists`] carrying that organizer. What a
//! dialect cannot do at all is told by [`GoToApi::capabilities`], before anyone asks.
//!
//! Why boxed futures and not `async fn` in the trait: the dialect is chosen per GoToAccount at
//! run time (its `api` field), so the controller holds `Arc<dyn GoToApi>`, and a trait with
//! `async fn` is not dyn-compatible. Each method returns a [`BoxFuture`] instead: one allocation
//! per call, nothing next to an HTTP round trip, no macro crate, and the futures are `Send`, as
//! the controller's runtime needs. An implementation writes `Box::pin(async move { .. })`.
use futures::future::BoxFuture;

use super::config::Dialect;
use super::directory::DirectorySnapshot;
use super::error::Error;
use super::models::{
    AccountKey, ListedOrganizer, Meeting, NewOrganizer, Organizer, OrganizerKey, OrganizerUpdate,
};

/// What a delete found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// GoTo deleted the organizer now (204).
    Deleted,
    /// There was nothing to delete (404): someone else already did.
    AlreadyGone,
}

/// What a dialect of the GoTo API can do beyond reading, creating, suspending, resuming and
/// deleting organizers (which every dialect does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Names, locale, time zone and admin roles can be changed after the create, with one full
    /// PUT (v2 can; GoTo's published v1 cannot).
    pub profile_updates: bool,
}

impl Capabilities {
    /// Everything (the seed's v2).
    pub const ALL: Capabilities = Capabilities {
        profile_updates: true,
    };
}

/// What the controller asks of one GoTo account. See the module documentation.
pub trait GoToApi: Send + Sync {
    /// The account this client manages.
    fn account_key(&self) -> &AccountKey;

    /// Which seats this client's creates compete for (the account key as reached through its
    /// endpoints and credentials); objects wait for a seat per pool. By default the account key.
    fn seat_pool(&self) -> String {
        self.account_key().to_string()
    }

    /// What this dialect can do.
    fn capabilities(&self) -> Capabilities;

    /// Which dialect of GoTo's API this client speaks.
    fn dialect(&self) -> Dialect {
        Dialect::V2
    }

    /// Makes sure a valid token is held: proves the credentials work.
    fn authenticate(&self) -> BoxFuture<'_, Result<(), Error>>;

    /// Makes sure the endpoint speaks this client's dialect (asked of GoTo once per client):
    /// [`Error::WrongApi`] when it answers like the other one.
    fn verify_dialect(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }

    /// The full record of one organizer; `None` when GoTo has no such key.
    fn read<'a>(&'a self, key: &'a OrganizerKey)
    -> BoxFuture<'a, Result<Option<Organizer>, Error>>;

    /// The full record of the organizer whose email matches, ignoring case and surrounding
    /// spaces; `None` when nobody in the account has it.
    fn find_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<Organizer>, Error>>;

    /// The record of one organizer read only to look for drift (the object's last pass succeeded
    /// at its generation): a dialect that lists the whole account in one call may answer from a
    /// listing younger than its directory bound, so a resync of N organizers costs about one
    /// call per bound, not N. Never answers "gone" from a listing: a key a listing lacks is
    /// read. By default the same as [`GoToApi::read`].
    fn read_for_drift<'a>(
        &'a self,
        key: &'a OrganizerKey,
    ) -> BoxFuture<'a, Result<Option<Organizer>, Error>> {
        self.read(key)
    }

    /// Every organizer of the account: keys, emails and states only (a listing is held whole,
    /// so it keeps nothing else; [`GoToApi::read`] gives the full record).
    fn list(&self) -> BoxFuture<'_, Result<Vec<ListedOrganizer>, Error>>;

    /// What the client already knows of the account's organizers, without a request; `None`
    /// before it listed the account.
    fn known_organizers(&self) -> Option<DirectorySnapshot>;

    /// Creates an organizer, taking a paid seat. Never creates twice: an answer that leaves it
    /// unknown whether GoTo created it is settled by the email before this returns.
    fn create<'a>(&'a self, new: &'a NewOrganizer) -> BoxFuture<'a, Result<Organizer, Error>>;

    /// Replaces the organizer with `update`, the complete desired representation.
    fn update<'a>(
        &'a self,
        key: &'a OrganizerKey,
        update: &'a OrganizerUpdate,
    ) -> BoxFuture<'a, Result<Organizer, Error>>;

    /// Suspends the organizer: it can no longer host; data and meetings are kept.
    fn suspend<'a>(&'a self, key: &'a OrganizerKey) -> BoxFuture<'a, Result<(), Error>>;

    /// Reactivates a suspended organizer, writing `update` with it.
    fn resume<'a>(
        &'a self,
        key: &'a OrganizerKey,
        update: &'a OrganizerUpdate,
    ) -> BoxFuture<'a, Result<Organizer, Error>>;

    /// Deletes the organizer; GoTo cancels all its future meetings at once, without notice.
    fn delete<'a>(&'a self, key: &'a OrganizerKey) -> BoxFuture<'a, Result<DeleteOutcome, Error>>;

    /// Every upcoming meeting of the organizer, read strictly for the audit before a DELETE: an
    /// answer that cannot be read completely is an error, never "no meetings".
    fn upcoming_meetings<'a>(
        &'a self,
        key: &'a OrganizerKey,
    ) -> BoxFuture<'a, Result<Vec<Meeting>, Error>>;
}
