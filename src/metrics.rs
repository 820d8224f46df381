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
pub mod process;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

/// One GoToAccount object.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AccountLabels {
    namespace: String,
    account: String,
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
struct SeatLabels {
    namespace: String,
    account: String,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
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
    goto_requests: Family<RequestLabels, Counter>,
    goto_request_duration: Family<OperationLabels, Histogram>,
    goto_writes: Family<ActionLabels, Counter>,
    budget_wait: Family<AccountLabels, Histogram>,
    rate_limited: Family<AccountLabels, Counter>,
    effective_rate: Family<AccountLabels, Gauge<f64, AtomicU64>>,
    effective_resync: Family<AccountLabels, Gauge>,
    drift_deferred: Counter,
    deletions_blocked: Gauge,
    stalled_objects: Gauge,
    leader: Gauge,
    webhook_requests: Family<ResultLabels, Counter>,
    organizers: Family<OrganizerLabels, Gauge>,
    time_to_ready: Histogram,
    seats: Family<SeatLabels, Gauge>,
}

fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// Budget waits: from no wait at all (most requests) to the 5 s a call waits out at most.
fn wait_histogram() -> Histogram {
    Histogram::new([0.001, 0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
}

impl Default for Metrics {
    fn default() -> Self {
        let mut root = Registry::default();
        let registry = root.sub_registry_with_prefix("goto_operator");
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
            goto_requests: registered(
                registry,
                "goto_requests",
                "HTTP requests sent to the GoTo API, by operation and outcome",
                Family::<RequestLabels, Counter>::default(),
            ),
            goto_request_duration: registered(
                registry,
                "goto_request_duration_seconds",
                "Latency of GoTo API requests",
                Family::<OperationLabels, Histogram>::new_with_constructor(
                    duration_histogram as fn() -> Histogram,
                ),
            ),
            goto_writes: registered(
                registry,
                "goto_writes",
                "Writes the operator made to GoTo (create, update, suspend, resume, delete)",
                Family::<ActionLabels, Counter>::default(),
            ),
            budget_wait: registered(
                registry,
                "rate_limit_wait_seconds",
                "Time a GoTo request waited for its account's request budget (pacing and Retry-After)",
                Family::<AccountLabels, Histogram>::new_with_constructor(
                    wait_histogram as fn() -> Histogram,
                ),
            ),
            rate_limited: registered(
                registry,
                "rate_limited",
                "429 answers from GoTo, by GoToAccount",
                Family::<AccountLabels, Counter>::default(),
            ),
            effective_rate: registered(
                registry,
                "effective_requests_per_second",
                "The rate the account's request budget lets requests out at (requestsPerSecond, or less after 429s)",
                Family::<AccountLabels, Gauge<f64, AtomicU64>>::default(),
            ),
            effective_resync: registered(
                registry,
                "effective_resync_seconds",
                "The period the account's drift reads are spread over: --resync-seconds, or longer when its organizers need more than half its rate",
                Family::<AccountLabels, Gauge>::default(),
            ),
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
            seats: registered(
                registry,
                "seats",
                "Seat inventory of each GoToAccount (kind: in_goto, managed, unmanaged, suspended, waiting_for_seat)",
                Family::<SeatLabels, Gauge>::default(),
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

    /// Counts one write to GoTo.
    pub fn goto_write(&self, action: &'static str) {
        self.goto_writes
            .get_or_create(&ActionLabels { action })
            .inc();
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

    /// Sets one account's seat inventory (`kind` as in [`SEAT_KINDS`]).
    pub fn set_seats(&self, namespace: &str, account: &str, kinds: &[(&'static str, i64)]) {
        for (kind, value) in kinds {
            self.seats
                .get_or_create(&SeatLabels {
                    namespace: namespace.to_string(),
                    account: account.to_string(),
                    kind,
                })
                .set(*value);
        }
    }

    /// Counts a drift read deferred by the request budget.
    pub fn drift_read_deferred(&self) {
        self.drift_deferred.inc();
    }

    /// Sets the drift-read period of GoToAccount `namespace/account`.
    pub fn set_effective_resync(&self, namespace: &str, account: &str, seconds: u64) {
        self.effective_resync
            .get_or_create(&AccountLabels {
                namespace: namespace.to_owned(),
                account: account.to_owned(),
            })
            .set(i64::try_from(seconds).unwrap_or(i64::MAX));
    }

    /// Drops the seat inventory of a deleted account.
    pub fn forget_seats(&self, namespace: &str, account: &str) {
        for kind in SEAT_KINDS {
            self.seats.remove(&SeatLabels {
                namespace: namespace.to_string(),
                account: account.to_string(),
                kind,
            });
        }
    }

    /// Records whether this replica leads.
    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// An observer for the GoTo client of the GoToAccount `namespace/account`: request metrics
    /// as [`Metrics`] records them, plus the account's budget metrics.
    pub fn for_account(self: &Arc<Self>, namespace: &str, account: &str) -> AccountObserver {
        AccountObserver {
            metrics: self.clone(),
            labels: AccountLabels {
                namespace: namespace.to_owned(),
                account: account.to_owned(),
            },
        }
    }

    /// Drops the series of a deleted GoToAccount.
    pub fn forget_account(&self, namespace: &str, account: &str) {
        let labels = AccountLabels {
            namespace: namespace.to_owned(),
            account: account.to_owned(),
        };
        self.budget_wait.remove(&labels);
        self.rate_limited.remove(&labels);
        self.effective_rate.remove(&labels);
        self.effective_resync.remove(&labels);
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The `kind` label values of `goto_operator_seats`.
pub const SEAT_KINDS: [&str; 5] = [
    "in_goto",
    "managed",
    "unmanaged",
    "suspended",
    "waiting_for_seat",
];

impl goto::Observer for Metrics {
    fn request(&self, operation: &'static str, outcome: &'static str, elapsed: Duration) {
        self.goto_requests
            .get_or_create(&RequestLabels { operation, outcome })
            .inc();
        self.goto_request_duration
            .get_or_create(&OperationLabels { operation })
            .observe(elapsed.as_secs_f64());
    }
}

/// The observer of one GoToAccount's client (see [`Metrics::for_account`]).
pub struct AccountObserver {
    metrics: Arc<Metrics>,
    labels: AccountLabels,
}

impl goto::Observer for AccountObserver {
    fn request(&self, operation: &'static str, outcome: &'static str, elapsed: Duration) {
        goto::Observer::request(self.metrics.as_ref(), operation, outcome, elapsed);
    }

    fn budget_waited(&self, waited: Duration, effective_rate: f64) {
        self.metrics
            .budget_wait
            .get_or_create(&self.labels)
            .observe(waited.as_secs_f64());
        self.metrics
            .effective_rate
            .get_or_create(&self.labels)
            .set(effective_rate);
    }

    fn rate_limited(&self, effective_rate: f64) {
        self.metrics.rate_limited.get_or_create(&self.labels).inc();
        self.metrics
            .effective_rate
            .get_or_create(&self.labels)
            .set(effective_rate);
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
