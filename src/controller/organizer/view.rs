//! What `observe` reads besides the object itself: the cluster as the operator's watches hold it
//! (every GoToOrganizer and GoToAccount), who claims what (the claim index), the seat queues,
//! which objects this process has read, the organizer keys it recorded, and the account's GoTo
//! clients. The controller's watches, the pass and `act` (through its ledger) keep it; `observe`
//! only reads it, and `goto-operator plan` builds one from a single listing of the cluster.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kube::runtime::reflector::Store;
use kube::{Client, Resource};

use super::observed::{ObjectFacts, facts};
use super::seat_queue::SeatQueue;
use super::spread::FirstReads;
use crate::controller::clients::AccountClients;
use crate::controller::ownership::ClaimIndex;
use crate::crd::{GoToAccount, GoToOrganizer};

/// See the module documentation.
pub struct View {
    /// Kubernetes API client (a GoToAccount's Secret is read through it).
    pub kube: Client,
    /// One GoTo client per GoToAccount, shared with the account controller.
    pub accounts: Arc<AccountClients>,
    /// Every GoToOrganizer watched (its reflector).
    pub organizers: Store<GoToOrganizer>,
    /// The same objects by what they claim (email, organizer key), kept beside `organizers`.
    pub claim_index: ClaimIndex,
    /// Every GoToAccount watched (its reflector).
    pub accounts_store: Store<GoToAccount>,
    /// Per seat pool, the organizers waiting for a paid seat.
    pub seat_queue: SeatQueue,
    /// Which organizers this process has read once, and which a push notification named.
    pub first_reads: Arc<FirstReads>,
    /// Organizer keys recorded by this process, by object uid: `observe` reads them as the
    /// remembered key, which the watch cache may not show yet (see `act::Ledger`).
    keys: RecordedKeys,
}

impl View {
    /// A view over these caches, with no seat waiting and nothing read or recorded yet.
    pub fn new(
        kube: Client,
        accounts: Arc<AccountClients>,
        organizers: Store<GoToOrganizer>,
        accounts_store: Store<GoToAccount>,
    ) -> Self {
        Self {
            kube,
            accounts,
            organizers,
            claim_index: ClaimIndex::default(),
            accounts_store,
            seat_queue: SeatQueue::default(),
            first_reads: Arc::new(FirstReads::default()),
            keys: RecordedKeys::default(),
        }
    }

    /// Remembers the organizer key just recorded in an object's status.
    pub fn remember_key<K: Resource>(&self, obj: &K, key: &str) {
        self.keys.remember(obj, key);
    }

    /// The object's own facts as this process sees them: its metadata and status, the key this
    /// process remembers for it, and whether a push notification named it (its read is then a
    /// person's news, not a drift check). Takes the notification: it is told once.
    pub fn facts(&self, obj: &GoToOrganizer) -> ObjectFacts {
        let mut facts = facts(obj, self.remembered_key(obj));
        if self.first_reads.take_named(obj) {
            facts.drift_check = false;
        }
        facts
    }

    /// The organizer key this process recorded for the object, if any (see [`RecordedKeys`]).
    pub fn remembered_key(&self, obj: &GoToOrganizer) -> Option<String> {
        self.keys.remembered(obj)
    }

    /// Forgets an object that is gone.
    pub fn forget_key<K: Resource>(&self, obj: &K) {
        self.keys.forget(obj);
    }

    /// The organizer watch saw `obj`: a key remembered for it that its status now shows is
    /// dropped at once, not at the object's next reconcile (a drift period later), so that an
    /// import's keys are not all held at its peak.
    pub fn seen_in_watch(&self, obj: &GoToOrganizer) {
        self.keys.remembered(obj);
    }
}

/// Organizer keys recorded by this process, by object uid, until the watch cache shows them.
#[derive(Default)]
pub struct RecordedKeys {
    keys: Mutex<HashMap<String, String>>,
}

impl RecordedKeys {
    fn remember<K: Resource>(&self, obj: &K, key: &str) {
        if let Some(uid) = obj.meta().uid.clone() {
            self.lock().insert(uid, key.to_string());
        }
    }

    /// The key remembered for `obj` (the cached object). Once the cache shows it recorded, the
    /// memory has done its work and is dropped: held for every organizer an import recorded,
    /// it cost about 130 bytes each for as long as the process ran (2.5 MiB at 20,000).
    fn remembered(&self, obj: &GoToOrganizer) -> Option<String> {
        let uid = obj.meta().uid.as_deref()?;
        let mut keys = self.lock();
        let key = keys.get(uid).cloned()?;
        if obj.recorded_organizer_key() == Some(key.as_str()) {
            keys.remove(uid);
            // A map never gives back what it grew to; after an import it would keep room for
            // every organizer.
            let left = keys.len();
            if keys.capacity() > 64 && left * 4 < keys.capacity() {
                keys.shrink_to(left * 2);
            }
        }
        Some(key)
    }

    fn forget<K: Resource>(&self, obj: &K) {
        if let Some(uid) = obj.meta().uid.as_deref() {
            self.lock().remove(uid);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        crate::sync::lock(&self.keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organizer(i: usize, recorded: Option<&str>) -> GoToOrganizer {
        let mut o = crate::crd::fixtures::organizer("it", &format!("o{i}"), "acme", "x@e.com");
        o.metadata.uid = Some(format!("uid-{i}"));
        o.status = recorded.map(|k| crate::crd::GoToOrganizerStatus {
            organizer_key: Some(k.into()),
            ..Default::default()
        });
        o
    }

    #[test]
    fn a_key_is_remembered_until_the_cache_shows_it_recorded() {
        let keys = RecordedKeys::default();
        keys.remember(&organizer(1, None), "7");
        assert_eq!(keys.remembered(&organizer(1, None)).as_deref(), Some("7"));
        assert_eq!(
            keys.remembered(&organizer(1, Some("6"))).as_deref(),
            Some("7")
        );
        assert_eq!(
            keys.remembered(&organizer(1, Some("7"))).as_deref(),
            Some("7")
        );
        assert_eq!(keys.remembered(&organizer(1, Some("7"))), None, "forgotten");
    }

    #[test]
    fn an_import_does_not_leave_room_for_every_organizer() {
        let keys = RecordedKeys::default();
        for i in 0..20_000 {
            keys.remember(&organizer(i, None), &i.to_string());
        }
        for i in 0..20_000 {
            keys.remembered(&organizer(i, Some(&i.to_string())));
        }
        let map = keys.lock();
        assert!(map.is_empty());
        assert!(map.capacity() <= 128, "capacity {}", map.capacity());
    }
}
