//! What both controllers share at run time: the Kubernetes client, the per-account GoTo
//! clients, the watch caches, metrics, the event recorder, timing policy, per-object failure
//! counts for backoff, the blocked deletions and the accounts' drift periods. What only the
//! organizer reconcile reads lives beside it, in `organizer::view`.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::runtime::events::{Event, EventType, Reporter};
use kube::runtime::reflector::Store;
use kube::{Client, Resource, ResourceExt};

use super::clients::AccountClients;
use super::drift_periods::DriftPeriods;
use super::error::{Error, RequeuePolicy, Retry};
use super::events::Events;
use super::offboarding::{Change, Offboarding};
use crate::crd::{GoToAccount, GoToOrganizer};
use crate::metrics::Metrics;
use crate::sync::lock;

/// Shared state of the controllers.
pub struct Context {
    /// Kubernetes API client.
    pub kube: Client,
    /// One GoTo client per GoToAccount (shared with the organizer reconcile's view).
    pub accounts: Arc<AccountClients>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Kubernetes Event recorders, with a bounded cache.
    pub events: Events,
    /// Requeue timing.
    pub requeue: RequeuePolicy,
    /// How often each organizer is re-read from GoTo.
    pub resync: Duration,
    /// Every GoToOrganizer the controller watches (its reflector).
    pub organizers: Store<GoToOrganizer>,
    /// Every GoToAccount the organizer controller watches (its reflector).
    pub accounts_store: Store<GoToAccount>,
    /// Per GoToAccount, the organizers whose deletion waits for a person.
    pub offboarding: Offboarding,
    /// Per GoToAccount, the period its drift reads are spread over (see `drift_periods`).
    pub drift_periods: DriftPeriods,
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    /// Builds the shared context.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kube: Client,
        accounts: Arc<AccountClients>,
        metrics: Arc<Metrics>,
        requeue: RequeuePolicy,
        resync: Duration,
        reporter: Reporter,
        organizers: Store<GoToOrganizer>,
        accounts_store: Store<GoToAccount>,
    ) -> Self {
        Self {
            accounts,
            events: Events::new(kube.clone(), reporter),
            kube,
            metrics,
            requeue,
            resync,
            organizers,
            accounts_store,
            offboarding: Offboarding::default(),
            drift_periods: DriftPeriods::default(),
            failures: Mutex::new(HashMap::new()),
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
            .get(&key_of(namespace, account))
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

/// The key used for per-object bookkeeping: `namespace/name`.
pub fn object_key<K: Resource>(obj: &K) -> String {
    key_of(
        obj.meta().namespace.as_deref().unwrap_or_default(),
        obj.meta().name.as_deref().unwrap_or_default(),
    )
}

/// `namespace/name`: how objects and accounts are named in the operator's own maps.
pub fn key_of(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}
