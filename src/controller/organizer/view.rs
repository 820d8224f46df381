//! What `observe` reads besides the object itself: the cluster as the operator's watches hold it
//! (every GoToOrganizer and GoToAccount), who claims what (the claim index), the seat queues,
//! which objects this process has read, the organizer keys it recorded, and the account's GoTo
//! clients. The controller's watches, the pass and `act` (through its ledger) keep it; `observe`
//! only reads it, and `goto-operator plan` builds one from a single listing of the cluster.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kube::runtime::reflector::Store;
use kube::{Client, Resource};

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
    keys: Mutex<HashMap<String, String>>,
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
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers the organizer key just recorded in an object's status.
    pub fn remember_key<K: Resource>(&self, obj: &K, key: &str) {
        if let Some(uid) = obj.meta().uid.clone() {
            self.lock().insert(uid, key.to_string());
        }
    }

    /// The organizer key this process recorded for the object, if any.
    pub fn remembered_key<K: Resource>(&self, obj: &K) -> Option<String> {
        let uid = obj.meta().uid.as_deref()?;
        self.lock().get(uid).cloned()
    }

    /// Forgets an object that is gone.
    pub fn forget_key<K: Resource>(&self, obj: &K) {
        if let Some(uid) = obj.meta().uid.as_deref() {
            self.lock().remove(uid);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
