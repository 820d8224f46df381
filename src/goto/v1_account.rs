//! v1's whole account, as one `GET /organizers` answers it (every organizer, full, no pages),
//! kept for a short while so that reads made only to look for drift are answered from it: a
//! resync of N organizers costs about one call per `max_age`, not N.
//!
//! Only a hit is answered from here. A key the listing lacks is read from GoTo (it may have been
//! created after the listing started), and every write the client makes drops its key, so the
//! next read of it asks GoTo. A listing that fails is not kept: the read falls back to one GET.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::models::{Organizer, OrganizerKey};

/// The kept listing of one account.
#[derive(Debug)]
pub(crate) struct AccountListing {
    max_age: Duration,
    state: Mutex<Held>,
    /// Held by the one caller listing the account.
    pub(crate) flight: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Held {
    started: Option<Instant>,
    by_key: HashMap<OrganizerKey, Organizer>,
    /// When the client last wrote each key: a listing that started before a write never
    /// answers for that key.
    written: HashMap<OrganizerKey, Instant>,
}

impl AccountListing {
    pub(crate) fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            state: Mutex::new(Held::default()),
            flight: tokio::sync::Mutex::new(()),
        }
    }

    /// The organizer from a listing younger than `max_age`: `None` when there is no such
    /// listing or it lacks the key (then GoTo is asked).
    pub(crate) fn hit(&self, key: &OrganizerKey) -> Option<Organizer> {
        let held = self.lock();
        let young = held.started.is_some_and(|at| at.elapsed() <= self.max_age);
        young.then(|| held.by_key.get(key).cloned()).flatten()
    }

    /// Whether a listing younger than `max_age` is held.
    #[cfg(test)]
    pub(crate) fn fresh(&self) -> bool {
        self.younger_than(self.max_age)
    }

    /// Whether the listing held started less than `age` ago (and is still usable).
    pub(crate) fn younger_than(&self, age: Duration) -> bool {
        self.lock()
            .started
            .is_some_and(|at| at.elapsed() <= age.min(self.max_age))
    }

    /// Keeps a listing that started at `started`, without the keys written since.
    pub(crate) fn keep(&self, started: Instant, organizers: Vec<Organizer>) {
        let mut held = self.lock();
        let written = std::mem::take(&mut held.written);
        held.by_key = organizers
            .into_iter()
            .filter(|o| written.get(&o.organizer_key).is_none_or(|at| *at < started))
            .map(|o| (o.organizer_key.clone(), o))
            .collect();
        held.started = Some(started);
        // Writes older than this listing say nothing about the next one.
        held.written = written
            .into_iter()
            .filter(|(_, at)| *at >= started)
            .collect();
    }

    /// Forgets what the listing says of `key`: the client is writing it.
    pub(crate) fn forget(&self, key: &OrganizerKey) {
        let mut held = self.lock();
        held.by_key.remove(key);
        held.written.insert(key.clone(), Instant::now());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // Every change is one assignment or removal: a panic cannot leave it half-written.
        crate::sync::lock(&self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organizer(key: &str) -> Organizer {
        crate::goto::ListedOrganizer {
            organizer_key: OrganizerKey::new(key),
            email: format!("{key}@example.com"),
            status: None,
        }
        .partial()
    }

    #[tokio::test(start_paused = true)]
    async fn only_hits_of_a_young_listing_are_answered_and_writes_drop_their_key() {
        let listing = AccountListing::new(Duration::from_secs(60));
        let (one, two) = (OrganizerKey::new("1"), OrganizerKey::new("2"));
        assert!(listing.hit(&one).is_none(), "nothing listed yet");
        listing.keep(Instant::now(), vec![organizer("1"), organizer("2")]);
        assert!(listing.fresh());
        assert_eq!(listing.hit(&one).unwrap().organizer_key, one);
        assert!(
            listing.hit(&OrganizerKey::new("3")).is_none(),
            "a miss asks GoTo"
        );
        listing.forget(&two);
        assert!(listing.hit(&two).is_none(), "written: asked again");
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(!listing.fresh());
        assert!(listing.hit(&one).is_none(), "too old");
    }

    #[tokio::test(start_paused = true)]
    async fn a_listing_that_started_before_a_write_never_answers_for_that_key() {
        let listing = AccountListing::new(Duration::from_secs(60));
        let (one, two) = (OrganizerKey::new("1"), OrganizerKey::new("2"));
        let started = Instant::now();
        tokio::time::advance(Duration::from_millis(10)).await;
        listing.forget(&one); // written while the listing was on its way
        listing.keep(started, vec![organizer("1"), organizer("2")]);
        assert!(listing.hit(&one).is_none());
        assert!(listing.hit(&two).is_some());
        tokio::time::advance(Duration::from_millis(10)).await;
        listing.keep(Instant::now(), vec![organizer("1")]);
        assert!(
            listing.hit(&one).is_some(),
            "a listing after the write answers again"
        );
    }
}
