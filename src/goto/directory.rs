//! The account directory: one listing of the account answers every email lookup.
//!
//! GoTo has no filter by email, so a lookup means listing the whole account
//! (⌈organizers/100⌉ pages). Done per organizer, onboarding N people costs O(N²) calls. The
//! directory lists once and indexes the result by normalised email (trimmed, lowercased),
//! holding per organizer only its key, email and status ([`ListedOrganizer`]: the listing
//! skips every other field while it parses, so what an account's index costs is bounded by
//! its number of organizers, not by what GoTo sends with each):
//!
//! - **single flight**: concurrent lookups that find the index missing or stale queue on one
//!   lock; the first lists, the others find its fresh index (or share its failure) when they
//!   get the lock, so N concurrent lookups cost one listing pass;
//! - **kept current** by the client's own writes: a create, an adoption after 409, a PUT, a
//!   suspend and a delete update it, and a `get_organizer` answer (or its 404) too. Changes
//!   made while a listing runs are replayed on top of that listing when it lands;
//! - **bounded age**: an index older than `max_age` is listed again on the next lookup, so
//!   organizers created or deleted outside the operator show up within that bound;
//! - **bypassed** when a stale answer could cost a seat: after a 409 or an ambiguous create the
//!   client asks for a listing that started after the question ([`Directory::lookup`] with
//!   `fresh_since` = now). GoTo's own 409 on a duplicate email stays the last line against
//!   duplicates, as before.
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::error::Error;
use super::models::{ListedOrganizer, OrganizerKey, OrganizerStatus};
use crate::email::NormalEmail;

/// A read-only view of the directory, for seat inventories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectorySnapshot {
    /// How long ago the listing behind it started.
    pub age: Duration,
    /// Organizers in the account.
    pub count: usize,
    /// Of which suspended.
    pub suspended: usize,
    /// Every organizer's key and email, ordered by key.
    pub entries: Vec<DirectoryEntry>,
}

/// One organizer in a [`DirectorySnapshot`]: the listing's own slim type (key, email, status).
pub type DirectoryEntry = ListedOrganizer;

impl DirectorySnapshot {
    /// The snapshot of these organizers, from a listing that started `age` ago: ordered by key,
    /// counted.
    pub fn of(organizers: impl IntoIterator<Item = ListedOrganizer>, age: Duration) -> Self {
        let mut entries: Vec<DirectoryEntry> = organizers.into_iter().collect();
        // Keys are unique, so an unstable sort orders them the same, without the stable sort's
        // scratch copy of every entry (1.3 MiB at 20,000 organizers, each account reconcile).
        entries.sort_unstable_by(|a, b| {
            let (a, b) = (a.organizer_key.as_str(), b.organizer_key.as_str());
            (a.len(), a).cmp(&(b.len(), b))
        });
        let suspended = entries
            .iter()
            .filter(|e| e.status == Some(OrganizerStatus::Suspended))
            .count();
        DirectorySnapshot {
            age,
            count: entries.len(),
            suspended,
            entries,
        }
    }
}

/// A change the client made to the account.
#[derive(Clone, Debug)]
pub(crate) enum Change {
    /// The organizer exists with these fields (an empty email keeps the known one).
    Upsert(ListedOrganizer),
    /// The organizer's status is now this.
    Status(OrganizerKey, OrganizerStatus),
    /// The organizer is gone.
    Remove(OrganizerKey),
}

#[derive(Debug, Default)]
struct Index {
    by_key: HashMap<OrganizerKey, ListedOrganizer>,
    by_email: HashMap<NormalEmail, OrganizerKey>,
}

impl Index {
    /// Replaces what the index holds with a listing, in the tables it already has: a listing
    /// again (every `max_age` while lookups come) then never holds the old index and the new
    /// one side by side (at 20,000 organizers, 6 MiB more for the moment). Sized once: grown
    /// entry by entry, each doubling briefly held the old table and the new one.
    fn refill(&mut self, organizers: Vec<ListedOrganizer>) {
        self.by_key.clear();
        self.by_email.clear();
        self.by_key.reserve(organizers.len());
        self.by_email.reserve(organizers.len());
        for organizer in organizers {
            // GoTo keeps emails unique; should a listing repeat one, the first listed wins,
            // as the old linear search did.
            self.by_email
                .entry(NormalEmail::new(&organizer.email))
                .or_insert_with(|| organizer.organizer_key.clone());
            self.by_key
                .insert(organizer.organizer_key.clone(), organizer);
        }
    }

    fn find(&self, email: &NormalEmail) -> Option<ListedOrganizer> {
        let key = self.by_email.get(email)?;
        self.by_key.get(key).cloned()
    }

    fn apply(&mut self, change: &Change) {
        match change {
            Change::Upsert(organizer) => {
                let key = &organizer.organizer_key;
                let mut organizer = organizer.clone();
                if let Some(known) = self.by_key.get(key) {
                    if organizer.email.is_empty() {
                        organizer.email = known.email.clone();
                    }
                    let old = NormalEmail::new(&known.email);
                    if self.by_email.get(&old) == Some(key) {
                        self.by_email.remove(&old);
                    }
                }
                if organizer.email.is_empty() {
                    return; // nothing to index it by
                }
                self.by_email
                    .insert(NormalEmail::new(&organizer.email), key.clone());
                self.by_key.insert(key.clone(), organizer);
            }
            Change::Status(key, status) => {
                if let Some(known) = self.by_key.get_mut(key) {
                    known.status = Some(status.clone());
                }
            }
            Change::Remove(key) => {
                if let Some(known) = self.by_key.remove(key) {
                    let email = NormalEmail::new(&known.email);
                    if self.by_email.get(&email) == Some(key) {
                        self.by_email.remove(&email);
                    }
                }
            }
        }
    }
}

#[derive(Default)]
struct State {
    index: Option<Index>,
    /// When the listing behind `index` started.
    listed_at: Option<Instant>,
    /// While a listing runs: the changes to replay on top of it.
    pending: Option<Vec<Change>>,
    /// Listings finished (successfully or not), and how the latest one failed, with its start.
    finished: u64,
    failure: Option<(Instant, Error)>,
}

/// The directory of one account. See the module documentation.
pub(crate) struct Directory {
    max_age: Duration,
    state: Mutex<State>,
    /// Held by the one caller listing the account.
    flight: tokio::sync::Mutex<()>,
}

impl Directory {
    pub(crate) fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            state: Mutex::new(State::default()),
            flight: tokio::sync::Mutex::new(()),
        }
    }

    /// How old a listing may get before a lookup lists again.
    pub(crate) fn max_age(&self) -> Duration {
        self.max_age
    }

    /// The oldest listing start a normal lookup accepts now.
    pub(crate) fn fresh_enough(&self) -> Instant {
        let now = Instant::now();
        now.checked_sub(self.max_age).unwrap_or(now)
    }

    /// The organizer whose normalised email is `email`'s, from a listing that started at or
    /// after `fresh_since`; `list` lists the account when no such listing is held.
    pub(crate) async fn lookup<F, Fut>(
        &self,
        email: &str,
        fresh_since: Instant,
        list: F,
    ) -> Result<Option<ListedOrganizer>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<ListedOrganizer>, Error>>,
    {
        let wanted = NormalEmail::new(email);
        self.ensure(fresh_since, list).await?;
        Ok(self.lock().index.as_ref().and_then(|i| i.find(&wanted)))
    }

    /// A snapshot from a listing that started at or after `fresh_since`, listing if needed.
    pub(crate) async fn snapshot<F, Fut>(
        &self,
        fresh_since: Instant,
        list: F,
    ) -> Result<DirectorySnapshot, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<ListedOrganizer>, Error>>,
    {
        self.ensure(fresh_since, list).await?;
        self.cached_snapshot()
            .ok_or_else(|| Error::Decode("the account directory is empty after a listing".into()))
    }

    /// What the directory holds now, without asking GoTo; `None` before the first listing.
    pub(crate) fn cached_snapshot(&self) -> Option<DirectorySnapshot> {
        let state = self.lock();
        let index = state.index.as_ref()?;
        let age = state.listed_at.map_or(Duration::ZERO, |at| at.elapsed());
        Some(DirectorySnapshot::of(index.by_key.values().cloned(), age))
    }

    /// Records a change the client made (or learned) in GoTo.
    pub(crate) fn record(&self, change: Change) {
        let mut state = self.lock();
        if let Some(index) = &mut state.index {
            index.apply(&change);
        }
        if let Some(pending) = &mut state.pending {
            pending.push(change);
        }
    }

    /// Makes sure the index comes from a listing started at or after `fresh_since`.
    async fn ensure<F, Fut>(&self, fresh_since: Instant, list: F) -> Result<(), Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<ListedOrganizer>, Error>>,
    {
        if self.fresh(fresh_since) {
            return Ok(());
        }
        let finished_before = self.lock().finished;
        let _flight = self.flight.lock().await;
        // Whoever listed while we queued may have brought a fresh enough index...
        if self.fresh(fresh_since) {
            return Ok(());
        }
        // ...or failed: share its answer rather than list again, so N waiters behind a failed
        // listing cost one listing, not N.
        {
            let state = self.lock();
            if state.finished != finished_before
                && let Some((started, error)) = &state.failure
                && *started >= fresh_since
            {
                return Err(error.clone());
            }
        }
        let started = Instant::now();
        self.lock().pending = Some(Vec::new());
        let abandoned = StopRecording(self);
        let listed = list().await;
        std::mem::forget(abandoned);
        let mut state = self.lock();
        let pending = state.pending.take().unwrap_or_default();
        state.finished += 1;
        match listed {
            Ok(organizers) => {
                let index = state.index.get_or_insert_with(Index::default);
                index.refill(organizers);
                for change in &pending {
                    index.apply(change);
                }
                state.listed_at = Some(started);
                state.failure = None;
                Ok(())
            }
            Err(error) => {
                state.failure = Some((started, error.clone()));
                Err(error)
            }
        }
    }

    fn fresh(&self, fresh_since: Instant) -> bool {
        let state = self.lock();
        state.index.is_some() && state.listed_at.is_some_and(|at| at >= fresh_since)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Whole values are swapped in under the lock: a panic cannot leave it half-written.
        crate::sync::lock(&self.state)
    }
}

/// Stops collecting pending changes when a listing is abandoned (its caller was cancelled).
struct StopRecording<'a>(&'a Directory);

impl Drop for StopRecording<'_> {
    fn drop(&mut self) {
        self.0.lock().pending = None;
    }
}

#[cfg(test)]
#[path = "directory_tests.rs"]
mod tests;
