//! The per-GoToAccount families, labelled by the GoToAccount's namespace and name: its request
//! budget (waits, 429s, effective rate), its drift period and its seat inventory.
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::{Metrics, registered};
use crate::goto;

/// One GoToAccount object.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AccountLabels {
    namespace: String,
    account: String,
}

impl AccountLabels {
    fn of(namespace: &str, account: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            account: account.to_owned(),
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeatLabels {
    namespace: String,
    account: String,
    kind: &'static str,
}

/// The `kind` label values of `goto_operator_seats`.
pub const SEAT_KINDS: [&str; 5] = [
    "in_goto",
    "managed",
    "unmanaged",
    "suspended",
    "waiting_for_seat",
];

/// Budget waits: from no wait at all (most requests) to the 5 s a call waits out at most.
fn wait_histogram() -> Histogram {
    Histogram::new([0.001, 0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
}

/// The per-account families.
pub(super) struct AccountFamilies {
    budget_wait: Family<AccountLabels, Histogram>,
    rate_limited: Family<AccountLabels, Counter>,
    effective_rate: Family<AccountLabels, Gauge<f64, AtomicU64>>,
    effective_resync: Family<AccountLabels, Gauge>,
    seats: Family<SeatLabels, Gauge>,
}

impl AccountFamilies {
    /// The families, registered in `registry`.
    pub(super) fn registered(registry: &mut Registry) -> Self {
        Self {
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
                Family::default(),
            ),
            effective_rate: registered(
                registry,
                "effective_requests_per_second",
                "The rate the account's request budget lets requests out at (requestsPerSecond, or less after 429s)",
                Family::default(),
            ),
            effective_resync: registered(
                registry,
                "effective_resync_seconds",
                "The period the account's drift reads are spread over: --resync-seconds, or longer when its organizers need more than half its rate",
                Family::default(),
            ),
            seats: registered(
                registry,
                "seats",
                "Seat inventory of each GoToAccount (kind: in_goto, managed, unmanaged, suspended, waiting_for_seat)",
                Family::default(),
            ),
        }
    }

    pub(super) fn set_seats(&self, namespace: &str, account: &str, kinds: &[(&'static str, i64)]) {
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

    pub(super) fn forget_seats(&self, namespace: &str, account: &str) {
        for kind in SEAT_KINDS {
            self.seats.remove(&SeatLabels {
                namespace: namespace.to_string(),
                account: account.to_string(),
                kind,
            });
        }
    }

    pub(super) fn set_effective_resync(&self, namespace: &str, account: &str, seconds: u64) {
        self.effective_resync
            .get_or_create(&AccountLabels::of(namespace, account))
            .set(i64::try_from(seconds).unwrap_or(i64::MAX));
    }

    /// Drops the budget and drift-period series of a deleted GoToAccount.
    pub(super) fn forget(&self, namespace: &str, account: &str) {
        let labels = AccountLabels::of(namespace, account);
        self.budget_wait.remove(&labels);
        self.rate_limited.remove(&labels);
        self.effective_rate.remove(&labels);
        self.effective_resync.remove(&labels);
    }
}

/// The observer of one GoToAccount's client (see [`Metrics::for_account`]).
pub struct AccountObserver {
    metrics: Arc<Metrics>,
    labels: AccountLabels,
}

impl AccountObserver {
    pub(super) fn new(metrics: Arc<Metrics>, namespace: &str, account: &str) -> Self {
        Self {
            metrics,
            labels: AccountLabels::of(namespace, account),
        }
    }

    fn families(&self) -> &AccountFamilies {
        &self.metrics.accounts
    }
}

impl goto::Observer for AccountObserver {
    fn request(&self, operation: &'static str, outcome: &'static str, elapsed: Duration) {
        goto::Observer::request(self.metrics.as_ref(), operation, outcome, elapsed);
    }

    fn budget_waited(&self, waited: Duration, effective_rate: f64) {
        let families = self.families();
        families
            .budget_wait
            .get_or_create(&self.labels)
            .observe(waited.as_secs_f64());
        families
            .effective_rate
            .get_or_create(&self.labels)
            .set(effective_rate);
    }

    fn rate_limited(&self, effective_rate: f64) {
        let families = self.families();
        families.rate_limited.get_or_create(&self.labels).inc();
        families
            .effective_rate
            .get_or_create(&self.labels)
            .set(effective_rate);
    }
}
