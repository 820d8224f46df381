//! Prometheus metrics. Every label value is a fixed `&'static str` (never built from user input
//! or error text), so cardinality stays bounded and no secret can leak into a label; the only
//! exceptions are the `namespace` and `account` labels of the per-account families
//! (`goto_operator_organizers`, `goto_operator_seats`, and the request-budget families
//! `goto_operator_rate_limit_wait_seconds`, `goto_operator_rate_limited`,
//! `goto_operator_effective_requests_per_second`), bounded by the GoToAccounts that exist,
//! and the condition `reason`, one of the operator's own stable strings.
//!
//! Beside them: `goto_operator_build_info` (the version and git commit this binary was built
//! from) and the standard `process_*` metrics ([`process`]), for memory and restart alerts.
mod account;
pub mod process;
mod requests;

use account::AccountFamilies;
pub use account::{AccountObserver, SEAT_KINDS};
use requests::RequestFamilies;

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::goto;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReconcileLabels {
    controller: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ControllerLabels {
    controller: &'static str,
}

/// Labels of `goto_operator_organizers`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct OrganizerLabels {
    /// The objects' namespace.
    pub namespace: String,
    /// The GoToAccount they name.
    pub account: String,
    /// `True`, `False` or `Unknown` (no Ready condition yet).
    pub ready: &'static str,
    /// The Ready condition's reason (empty when there is none).
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    git_commit: &'static str,
}

/// The version this binary was built as (Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit this binary was built from: `GOTO_GIT_COMMIT` at build time
/// (hack/image.sh and the Dockerfile's build argument set it), else `unknown`.
pub fn git_commit() -> &'static str {
    match option_env!("GOTO_GIT_COMMIT") {
        Some(commit) if !commit.trim().is_empty() => commit.trim_ascii(),
        _ => "unknown",
    }
}

/// The operator's metrics and the registry that exposes them on /metrics.
pub struct Metrics {
    /// The root: `goto_operator_*` in a sub-registry, `process_*` in another.
    registry: Registry,
    reconciliations: Family<ReconcileLabels, Counter>,
    reconcile_duration: Family<ControllerLabels, Histogram>,
    /// The families of requests and writes to GoTo.
    requests: RequestFamilies,
    /// The per-GoToAccount families.
    accounts: AccountFamilies,
    drift_deferred: Counter,
    deletions_blocked: Gauge,
    stalled_objects: Gauge,
    leader: Gauge,
    webhook_requests: Family<ResultLabels, Counter>,
    organizers: Family<OrganizerLabels, Gauge>,
    time_to_ready: Histogram,
}

fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut root = Registry::default();
        let registry = root.sub_registry_with_prefix("goto_operator");
        register_build_info(registry);
        let metrics = Self {
            reconciliations: registered(
                registry,
                "reconciliations",
                "Reconciliations by controller and result (ok or a fixed error label)",
                Family::<ReconcileLabels, Counter>::default(),
            ),
            reconcile_duration: registered(
                registry,
                "reconcile_duration_seconds",
                "Time spent in one reconciliation",
                Family::<ControllerLabels, Histogram>::new_with_constructor(
                    duration_histogram as fn() -> Histogram,
                ),
            ),
            requests: RequestFamilies::registered(registry),
            accounts: AccountFamilies::registered(registry),
            drift_deferred: registered(
                registry,
                "drift_reads_deferred",
                "Drift reads that gave way to people's work (or to the drift lane's half of the rate) and were booked a later slot",
                Counter::default(),
            ),
            deletions_blocked: registered(
                registry,
                "deletions_blocked",
                "GoToOrganizers whose deletion waits for upcoming meetings",
                Gauge::default(),
            ),
            stalled_objects: registered(
                registry,
                "stalled_objects",
                "GoToOrganizers the operator has not acted on for longer than the stall period (generation not observed, or a deletion pending without DeletionBlocked/AuditFailed)",
                Gauge::default(),
            ),
            leader: registered(
                registry,
                "leader",
                "1 while this replica holds the leader lease",
                Gauge::default(),
            ),
            webhook_requests: registered(
                registry,
                "webhook_requests",
                "Push notifications received, by result (accepted, unmatched, bad_signature, too_large, unknown_account, rate_limited, bad_request, not_leader, error)",
                Family::<ResultLabels, Counter>::default(),
            ),
            organizers: registered(
                registry,
                "organizers",
                "GoToOrganizers by namespace, account, Ready status and reason",
                Family::<OrganizerLabels, Gauge>::default(),
            ),
            time_to_ready: registered(
                registry,
                "time_to_ready_seconds",
                "Time from a GoToOrganizer's creation to its first Ready=True",
                Histogram::new(exponential_buckets(1.0, 2.0, 14)),
            ),
            registry: Registry::default(),
        };
        root.sub_registry_with_prefix("process")
            .register_collector(Box::new(process::ProcessCollector));
        Self {
            registry: root,
            ..metrics
        }
    }
}

/// `goto_operator_build_info`: always 1, labelled with this binary's version and commit.
fn register_build_info(registry: &mut Registry) {
    let build_info = Family::<BuildLabels, Gauge>::default();
    build_info
        .get_or_create(&BuildLabels {
            version: VERSION,
            git_commit: git_commit(),
        })
        .set(1);
    registry.register(
        "build_info",
        "Always 1; the labels say which version and git commit the operator was built from",
        build_info,
    );
}

/// Registers `metric` as `goto_operator_{name}` and hands it back (a clone shares its values).
fn registered<M: prometheus_client::registry::Metric + Clone>(
    registry: &mut Registry,
    name: &str,
    help: &str,
    metric: M,
) -> M {
    registry.register(name, help, metric.clone());
    metric
}

impl Metrics {
    /// Counts one reconciliation and its duration.
    pub fn reconciled(&self, controller: &'static str, result: &'static str, elapsed: Duration) {
        self.reconciliations
            .get_or_create(&ReconcileLabels { controller, result })
            .inc();
        self.reconcile_duration
            .get_or_create(&ControllerLabels { controller })
            .observe(elapsed.as_secs_f64());
    }

    /// Moves the blocked-deletions gauge.
    pub fn deletion_blocked(&self, delta: i64) {
        self.deletions_blocked.inc_by(delta);
    }

    /// Sets how many objects the liveness guard finds stalled.
    pub fn set_stalled(&self, count: usize) {
        self.stalled_objects
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// Counts one push notification by its result.
    pub fn webhook_request(&self, result: &'static str) {
        self.webhook_requests
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    /// Replaces the organizer counts: series in `previous` but not in `current` are removed.
    pub fn set_organizers(
        &self,
        previous: &std::collections::BTreeMap<OrganizerLabels, i64>,
        current: &std::collections::BTreeMap<OrganizerLabels, i64>,
    ) {
        for labels in previous.keys().filter(|l| !current.contains_key(*l)) {
            self.organizers.remove(labels);
        }
        for (labels, count) in current {
            self.organizers.get_or_create(labels).set(*count);
        }
    }

    /// Observes one object's time from creation to its first Ready.
    pub fn time_to_ready(&self, seconds: f64) {
        self.time_to_ready.observe(seconds);
    }

    /// Counts a drift read deferred by the request budget.
    pub fn drift_read_deferred(&self) {
        self.drift_deferred.inc();
    }

    /// Sets one account's seat inventory (`kind` as in [`SEAT_KINDS`]).
    pub fn set_seats(&self, namespace: &str, account: &str, kinds: &[(&'static str, i64)]) {
        self.accounts.set_seats(namespace, account, kinds);
    }

    /// Drops the seat inventory of a deleted account.
    pub fn forget_seats(&self, namespace: &str, account: &str) {
        self.accounts.forget_seats(namespace, account);
    }

    /// Sets the drift-read period of GoToAccount `namespace/account`.
    pub fn set_effective_resync(&self, namespace: &str, account: &str, seconds: u64) {
        self.accounts
            .set_effective_resync(namespace, account, seconds);
    }

    /// An observer for the GoTo client of the GoToAccount `namespace/account`: request metrics
    /// as [`Metrics`] records them, plus the account's budget metrics.
    pub fn for_account(self: &Arc<Self>, namespace: &str, account: &str) -> AccountObserver {
        AccountObserver::new(self.clone(), namespace, account)
    }

    /// Drops the series of a deleted GoToAccount.
    pub fn forget_account(&self, namespace: &str, account: &str) {
        self.accounts.forget(namespace, account);
    }

    /// Counts one write to GoTo.
    pub fn goto_write(&self, action: &'static str) {
        self.requests.wrote(action);
    }

    /// Records whether this replica leads.
    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl goto::Observer for Metrics {
    fn request(&self, operation: &'static str, outcome: &'static str, elapsed: Duration) {
        self.requests.request(operation, outcome, elapsed);
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
