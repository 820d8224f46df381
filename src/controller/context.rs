//! What every reconcile shares: the Kubernetes client, the per-account GoTo clients, metrics,
//! the event recorder, timing policy, and per-object failure counts for backoff.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::runtime::events::{Event, EventType, Reporter};
use kube::runtime::reflector::Store;
use kube::{Client, Resource, ResourceExt};

use super::clients::AccountClients;
use super::error::{Error, RequeuePolicy, Retry};
use super::events::Events;
use super::offboarding::{Change, Offboarding};
use super::organizer::claim_index::ClaimIndex;
use super::organizer::seat_queue::SeatQueue;
use super::organizer::spread::{self, DriftPeriods, FirstReads};
use crate::crd::{GoToAccount, GoToOrganizer};
use crate::metrics::Metrics;

/// Shared state of the controllers.
pub struct Context {
    /// Kubernetes API client.
    pub kube: Client,
    /// One GoTo client per GoToAccount.
    pub accounts: AccountClients,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Kubernetes Event recorders, with a bounded cache.
    pub events: Events,
    /// Requeue timing.
    pub requeue: RequeuePolicy,
    /// How often each organizer is re-read from GoTo.
    pub resync: Duration,
    /// Every GoToOrganizer the controller watches (its reflector), to find claims.
    pub organizers: Store<GoToOrganizer>,
    /// The same objects by what they claim (email, organizer key), kept beside `organizers`
    /// by whoever fills that store.
    pub claim_index: ClaimIndex,
    /// Every GoToAccount the organizer controller watches (its reflector): an organizer's account
    /// is read from here, not fetched, and so is the GoTo account key behind another object's
    /// claim.
    pub accounts_store: Store<GoToAccount>,
    /// Per GoTo account, the organizers waiting for a paid seat.
    pub seat_queue: SeatQueue,
    /// Which organizers this process has read once (first reads after a restart are spread).
    pub first_reads: Arc<FirstReads>,
    /// Per GoToAccount, the organizers whose deletion waits for a person.
    pub offboarding: Offboarding,
    /// Per GoToAccount, the period its drift reads are spread over (see `spread`).
    pub drift_periods: DriftPeriods,
    failures: Mutex<HashMap<String, u32>>,
    /// Organizer keys recorded by this process, by object uid: `observe::facts` reads them as
    /// the remembered key, which the watch cache may not show yet (see `act::Ledger`).
    keys: Mutex<HashMap<String, String>>,
}

impl Context {
    /// Builds the shared context.
    pub fn new(
        kube: Client,
        metrics: Arc<Metrics>,
        requeue: RequeuePolicy,
        resync: Duration,
        reporter: Reporter,
        organizers: Store<GoToOrganizer>,
        accounts_store: Store<GoToAccount>,
    ) -> Self {
        Self {
            accounts: AccountClients::with_metrics(metrics.clone(), Duration::from_secs(30)),
            events: Events::new(kube.clone(), reporter),
            kube,
            metrics,
            requeue,
            resync,
            organizers,
            claim_index: ClaimIndex::default(),
            accounts_store,
            seat_queue: SeatQueue::default(),
            first_reads: Arc::new(FirstReads::default()),
            offboarding: Offboarding::default(),
            drift_periods: DriftPeriods::default(),
            failures: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Publishes an Event about `obj`. A failure to publish is logged, never fatal: the status
    /// conditions carry the same information.
    pub async fn event<K>(&self, obj: &K, type_: EventType, reason: &str, note: String)
    where
        K: Resource<DynamicType = ()>,
    {
        self.event_as(obj, type_, reason, reason, note).await;
    }

    /// Like [`Context::event`] with an explicit action. kube-runtime folds Events with the same
    /// reason and action into one series (keeping the first note), so distinct actions under one
    /// reason (setting fields vs correcting drift) need distinct action names.
    pub async fn event_as<K>(
        &self,
        obj: &K,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) where
        K: Resource<DynamicType = ()>,
    {
        let event = Event {
            type_,
            reason: reason.to_string(),
            note: Some(note),
            action: action.to_string(),
            secondary: None,
        };
        if let Err(e) = self
            .events
            .recorder()
            .publish(&event, &obj.object_ref(&()))
            .await
        {
            tracing::warn!(object = %obj.name_any(), reason, error = %e, "could not publish event");
        }
    }

    /// The requeue delay after `err` for the object identified by `key`.
    pub fn retry_after(&self, key: &str, err: &Error) -> Option<Duration> {
        match err.retry(&self.requeue) {
            Retry::After(d) => Some(d),
            Retry::OnChange => None,
            // Not the object's fault: neither grows nor resets its streak.
            Retry::Soon => Some(self.requeue.soon()),
            Retry::Backoff => {
                let mut failures = lock(&self.failures);
                let n = failures.entry(key.to_string()).or_insert(0);
                let delay = self.requeue.backoff(*n);
                *n = n.saturating_add(1);
                Some(delay)
            }
        }
    }

    /// Forgets the failure streak of an object that reconciled.
    pub fn succeeded(&self, key: &str) {
        lock(&self.failures).remove(key);
    }

    /// Remembers the organizer key just recorded in an object's status.
    pub fn remember_key<K: Resource>(&self, obj: &K, key: &str) {
        if let Some(uid) = obj.meta().uid.clone() {
            lock(&self.keys).insert(uid, key.to_string());
        }
    }

    /// The organizer key this process recorded for the object, if any.
    pub fn remembered_key<K: Resource>(&self, obj: &K) -> Option<String> {
        let uid = obj.meta().uid.as_deref()?;
        lock(&self.keys).get(uid).cloned()
    }

    /// Forgets an object that is gone.
    pub fn forget_key<K: Resource>(&self, obj: &K) {
        if let Some(uid) = obj.meta().uid.as_deref() {
            lock(&self.keys).remove(uid);
        }
    }

    /// The period the drift reads of GoToAccount `namespace/account` are spread over now:
    /// `--resync-seconds`, or longer when its organizers need more than half its rate. A fresh
    /// count that moves an account's period sets its metric and reconciles the account, whose
    /// `status.effectiveResyncSeconds` shows it.
    pub fn drift_period(&self, namespace: &str, account: &str) -> Duration {
        let (periods, moved) = self.drift_periods.all(
            self.resync,
            || self.accounts_store.state(),
            || self.organizers.state(),
        );
        for (key, period) in moved {
            if let Some((ns, name)) = key.split_once('/') {
                self.metrics
                    .set_effective_resync(ns, name, period.as_secs());
                self.offboarding.trigger(ns, name);
            }
        }
        periods
            .get(&spread::key_of(namespace, account))
            .copied()
            .unwrap_or(self.resync)
    }

    /// Records whether the organizer's deletion waits for a person (`Some(upcoming meetings)`),
    /// for the gauge and for its GoToAccount's `OffboardingBlocked`.
    pub fn set_blocked(&self, obj: &GoToOrganizer, upcoming_meetings: Option<u32>) {
        let change = self.offboarding.set(
            obj.meta().namespace.as_deref().unwrap_or_default(),
            obj.meta().name.as_deref().unwrap_or_default(),
            &obj.spec.account_ref.name,
            upcoming_meetings,
        );
        match change {
            Change::Blocked => self.metrics.deletion_blocked(1),
            Change::Released => self.metrics.deletion_blocked(-1),
            Change::Same => {}
        }
    }
}

/// The key used for per-object bookkeeping.
pub fn object_key<K: Resource>(obj: &K) -> String {
    format!(
        "{}/{}",
        obj.meta().namespace.as_deref().unwrap_or_default(),
        obj.meta().name.as_deref().unwrap_or_default()
    )
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
