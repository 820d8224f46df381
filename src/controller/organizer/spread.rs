//! When settled organizers are read again for drift (issue 22): spread evenly, within the
//! budget's drift lane, and never all at once after a restart.
//!
//! **The period.** A quiet resync of a v2 account costs one GET per organizer. The budget lets
//! drift reads use at most half of the account's rate (see `goto::budget`), so an account of N
//! organizers needs at least `N / drift_reads_per_second` for one round: when that is longer
//! than `--resync-seconds`, the period is stretched to it ([`stretched`]), reported as the
//! account's `status.effectiveResyncSeconds` and `goto_operator_effective_resync_seconds`. A v1
//! account reads the whole account in one listing and is never stretched. [`DriftPeriods`]
//! counts each account's organizers from the watch cache, at most every [`RECOUNT`].
//!
//! **The place.** Each object has a fixed place in the period (a hash of its `namespace/name`,
//! uniform), measured on the wall clock, and is read again when the clock next reaches it
//! ([`next_read`]). So the reads of an account arrive evenly, at the rate the period allows, and
//! stay so across restarts.
//!
//! **No thundering herd after a restart.** A freshly started operator lists every organizer;
//! reconciling them all at once would spend the account's budget on drift reads (5,000 reads at
//! 10 requests a second: more than eight minutes) while a new hire waited behind them. An object
//! that is settled (Ready and in sync at its generation, with its organizer recorded and nothing
//! scheduled) needs no read before its place comes, so the first time this process sees one, it
//! waits for its place ([`FirstReads`]). Anything that is not settled (new, changed, being
//! deleted, failing, waiting for a seat) is reconciled at once, and so is a settled object a
//! push notification names.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use kube::ResourceExt;

use crate::crd::conditions::{self, READY, SYNCED, reason};
use crate::crd::organizer::FINALIZER;
use crate::crd::{GoToAccount, GoToOrganizer};

/// Which objects this process has read at least once, and which a push notification named
/// (by `namespace/name`).
#[derive(Debug, Default)]
pub struct FirstReads {
    read: Mutex<HashSet<String>>,
    named: Mutex<HashSet<String>>,
}

impl FirstReads {
    /// How long to wait before the first read of `obj`, when it is settled and this process has
    /// not read it yet: until its place in `period` comes; `None`: read it now. Either way the
    /// object counts as seen from now on, so its next reconcile reads.
    pub fn defer(&self, obj: &GoToOrganizer, period: Duration, now: Timestamp) -> Option<Duration> {
        let key = key_of(&obj.namespace().unwrap_or_default(), &obj.name_any());
        let first = lock(&self.read).insert(key.clone());
        (first && settled(obj)).then(|| next_read(&key, period, now, Duration::ZERO))
    }

    /// A push notification names the object: it is read at once, in the budget's lane of
    /// people's work (see [`FirstReads::take_named`]).
    pub fn read_now(&self, namespace: &str, name: &str) {
        let key = key_of(namespace, name);
        lock(&self.read).insert(key.clone());
        lock(&self.named).insert(key);
    }

    /// Whether a push notification named `obj` since its last reconcile (asked once).
    pub fn take_named(&self, obj: &GoToOrganizer) -> bool {
        let key = key_of(&obj.namespace().unwrap_or_default(), &obj.name_any());
        lock(&self.named).remove(&key)
    }

    /// Forgets an object that is gone.
    pub fn forget(&self, namespace: &str, name: &str) {
        let key = key_of(namespace, name);
        lock(&self.read).remove(&key);
        lock(&self.named).remove(&key);
    }
}

fn lock(set: &Mutex<HashSet<String>>) -> std::sync::MutexGuard<'_, HashSet<String>> {
    set.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How often [`DriftPeriods`] counts each account's organizers again.
pub const RECOUNT: Duration = Duration::from_secs(5);

/// Every account's drift period, by `namespace/name`.
pub type Periods = Arc<HashMap<String, Duration>>;

/// Per GoToAccount (`namespace/name`), the period its organizers' drift reads are spread over.
#[derive(Debug, Default)]
pub struct DriftPeriods {
    state: Mutex<Counted>,
}

#[derive(Debug, Default)]
struct Counted {
    at: Option<Instant>,
    periods: Periods,
    /// The periods last reported (status, metric), to report only a change worth showing.
    reported: HashMap<String, Duration>,
}

impl DriftPeriods {
    /// Every account's period, counted again when the last count is older than [`RECOUNT`];
    /// with it, the accounts whose period moved from what was last reported (see [`moved`]),
    /// now counted as reported.
    pub fn all(
        &self,
        resync: Duration,
        accounts: impl FnOnce() -> Vec<Arc<GoToAccount>>,
        organizers: impl FnOnce() -> Vec<Arc<GoToOrganizer>>,
    ) -> (Periods, Vec<(String, Duration)>) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.at.is_some_and(|at| at.elapsed() < RECOUNT) {
            return (state.periods.clone(), Vec::new());
        }
        let periods = Arc::new(periods(&accounts(), &organizers(), resync));
        let moved: Vec<(String, Duration)> = periods
            .iter()
            .filter(|(key, now)| state.reported.get(*key).is_none_or(|b| moved(*b, **now)))
            .map(|(key, now)| (key.clone(), *now))
            .collect();
        state.reported.retain(|key, _| periods.contains_key(key));
        state.reported.extend(moved.iter().cloned());
        state.at = Some(Instant::now());
        state.periods = periods.clone();
        (periods, moved)
    }
}

/// Whether a period moved enough to report: by more than a twentieth (whole seconds).
pub fn moved(before: Duration, now: Duration) -> bool {
    let (b, n) = (before.as_secs(), now.as_secs());
    b.abs_diff(n) * 20 > b.min(n)
}

/// The drift-read period of every account (`namespace/name`): `resync`, stretched to what its
/// organizers with a recorded key need at its drift rate (v2), or `resync` as is (v1).
pub fn periods(
    accounts: &[Arc<GoToAccount>],
    organizers: &[Arc<GoToOrganizer>],
    resync: Duration,
) -> HashMap<String, Duration> {
    let mut read: HashMap<String, usize> = HashMap::new();
    for o in organizers {
        if o.metadata.deletion_timestamp.is_none() && o.recorded_organizer_key().is_some() {
            let account = key_of(&o.namespace().unwrap_or_default(), &o.spec.account_ref.name);
            *read.entry(account).or_default() += 1;
        }
    }
    accounts
        .iter()
        .map(|a| {
            let key = key_of(&a.namespace().unwrap_or_default(), &a.name_any());
            let n = if a.spec.api.reads_account_at_once() {
                0
            } else {
                read.get(&key).copied().unwrap_or(0)
            };
            let period = stretched(resync, n, f64::from(a.spec.requests_per_second));
            (key, period)
        })
        .collect()
}

/// `resync`, or longer when `organizers` drift reads at the drift rate of a budget of
/// `requests_per_second` need longer: the rate is never exceeded, the period stretches.
pub fn stretched(resync: Duration, organizers: usize, requests_per_second: f64) -> Duration {
    let per_second = crate::goto::drift_reads_per_second(requests_per_second);
    let needed = Duration::from_secs_f64(organizers as f64 / per_second);
    resync.max(needed)
}

/// How long from `now` until `key` is read again: until the wall clock next reaches its place
/// in `period`, and at least `at_least` (an object just read waits for a later round).
pub fn next_read(key: &str, period: Duration, now: Timestamp, at_least: Duration) -> Duration {
    let period_ms = i64::try_from(period.as_millis()).unwrap_or(i64::MAX).max(1);
    let place_ms = (place(key) * period_ms as f64) as i64;
    let mut delay = (place_ms - now.as_millisecond()).rem_euclid(period_ms);
    let at_least_ms = i64::try_from(at_least.as_millis()).unwrap_or(i64::MAX);
    if delay < at_least_ms {
        delay = delay.saturating_add(period_ms);
    }
    Duration::from_millis(u64::try_from(delay).unwrap_or(0))
}

/// `key`'s place in any period, as a fraction in [0, 1): a stable hash, uniform.
fn place(key: &str) -> f64 {
    use sha2::Digest;
    // SHA-256, not std's hasher: the place stays the same across operator versions too.
    let digest = sha2::Sha256::digest(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % 1_000_000) as f64 / 1_000_000.0
}

/// `namespace/name`: how objects and accounts are named here.
pub fn key_of(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// Whether nothing about `obj` waits for the operator: Ready=True and Synced=True for its
/// current generation, its organizer recorded, the finalizer in place, not being deleted, not
/// paused, and no `suspendAt` ahead.
pub fn settled(obj: &GoToOrganizer) -> bool {
    let Some(status) = obj.status.as_ref() else {
        return false;
    };
    let generation = obj.metadata.generation;
    let at_generation = |type_: &str, reason: &str| {
        conditions::find(&status.conditions, type_).is_some_and(|c| {
            c.status == "True" && c.reason == reason && c.observed_generation == generation
        })
    };
    obj.metadata.deletion_timestamp.is_none()
        && !obj.is_paused()
        && obj.finalizers().iter().any(|f| f == FINALIZER)
        && status.organizer_key.is_some()
        && status.observed_generation == generation
        && at_generation(READY, reason::RECONCILED)
        && at_generation(SYNCED, reason::IN_SYNC)
        && obj.spec.suspend_at.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn organizer(name: &str, ready: &str, synced: &str) -> GoToOrganizer {
        let email = format!("{name}@example.com");
        let mut o = crate::crd::fixtures::organizer("it", name, "acme", &email);
        o.metadata.generation = Some(2);
        o.metadata.finalizers = Some(vec![FINALIZER.into()]);
        o.status = serde_json::from_value(json!(
            {"organizerKey": "7", "observedGeneration": 2, "conditions": [
                {"type": "Ready", "status": if ready == "Reconciled" {"True"} else {"False"},
                 "reason": ready, "message": "", "observedGeneration": 2,
                 "lastTransitionTime": "2026-12-02T10:00:00Z"},
                {"type": "Synced", "status": if synced == "InSync" {"True"} else {"False"},
                 "reason": synced, "message": "", "observedGeneration": 2,
                 "lastTransitionTime": "2026-12-02T10:00:00Z"}]}))
        .expect("status");
        o
    }

    #[test]
    fn only_a_settled_object_waits_for_its_place_and_only_the_first_time() {
        let period = Duration::from_secs(600);
        let reads = FirstReads::default();
        let now = Timestamp::now();
        let quiet = organizer("quiet", "Reconciled", "InSync");
        let delay = reads.defer(&quiet, period, now).expect("deferred");
        assert!(delay < period);
        assert_eq!(
            delay,
            next_read("it/quiet", period, now, Duration::ZERO),
            "its place in the period"
        );
        assert_eq!(
            reads.defer(&quiet, period, now),
            None,
            "the next reconcile reads"
        );

        for (name, ready, synced) in [
            ("failing", "GoToUnavailable", "InSync"),
            ("drifted", "Reconciled", "Drifted"),
            ("waiting", "SeatUnavailable", "InSync"),
        ] {
            let o = organizer(name, ready, synced);
            assert_eq!(reads.defer(&o, period, now), None, "{name} is read at once");
        }
        let mut changed = organizer("changed", "Reconciled", "InSync");
        changed.metadata.generation = Some(3);
        assert_eq!(reads.defer(&changed, period, now), None, "a new generation");
        let mut leaving = organizer("leaving", "Reconciled", "InSync");
        leaving.metadata.deletion_timestamp = Some(
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::now()),
        );
        assert_eq!(reads.defer(&leaving, period, now), None, "a deletion");
        let notified = organizer("notified", "Reconciled", "InSync");
        reads.read_now("it", "notified");
        assert_eq!(
            reads.defer(&notified, period, now),
            None,
            "a push notification"
        );
        assert!(reads.take_named(&notified), "its read is people's work");
        assert!(!reads.take_named(&notified), "once");
    }

    #[test]
    fn reads_spread_evenly_over_the_period_on_the_wall_clock() {
        let period = Duration::from_secs(100);
        let now = Timestamp::now();
        let mut per_tenth = [0usize; 10];
        for i in 0..5_000 {
            let key = format!("it/chaos-{i}");
            let delay = next_read(&key, period, now, Duration::ZERO);
            assert!(delay < period);
            per_tenth[(delay.as_secs_f64() / 10.0) as usize] += 1;
            // Read again from its place, the next read is a whole period later.
            let at_place = now + jiff::SignedDuration::try_from(delay).expect("delay");
            let again = next_read(&key, period, at_place, period / 2);
            assert!(
                again.abs_diff(period) <= Duration::from_millis(1),
                "{again:?}"
            );
        }
        // 500 expected in each tenth of the period.
        assert!(
            per_tenth.iter().all(|n| (400..600).contains(n)),
            "{per_tenth:?}"
        );
        // Read out of turn (a new hire, a change), it waits at least `at_least`.
        for i in 0..100 {
            let delay = next_read(&format!("it/x-{i}"), period, now, period / 2);
            assert!(
                delay >= period / 2 && delay < period + period / 2,
                "{delay:?}"
            );
        }
    }

    fn account(name: &str, api: &str, rate: u32) -> Arc<GoToAccount> {
        let mut a = crate::crd::fixtures::account("it", name, "1");
        a.spec.api = serde_json::from_value(json!(api)).expect("api");
        a.spec.requests_per_second = rate;
        Arc::new(a)
    }

    fn of_account(name: &str, account: &str) -> Arc<GoToOrganizer> {
        let mut o = organizer(name, "Reconciled", "InSync");
        o.spec.account_ref.name = account.into();
        Arc::new(o)
    }

    #[test]
    fn the_period_stretches_to_what_half_the_rate_reads_and_never_for_v1() {
        let resync = Duration::from_secs(30);
        // 1,000 reads at 10 requests a second, half of it for drift: about 200 s, not 30.
        let stretched_1000 = stretched(resync, 1_000, 10.0);
        assert!(
            (200..=210).contains(&stretched_1000.as_secs()),
            "{stretched_1000:?}"
        );
        assert_eq!(stretched(resync, 100, 10.0), resync, "fits: not stretched");
        assert_eq!(
            stretched(resync, 0, 0.0),
            resync,
            "a bad rate is not a panic"
        );

        let accounts = [account("big", "v2", 10), account("listed", "v1", 10)];
        let mut organizers: Vec<_> = (0..1_000)
            .map(|i| of_account(&format!("b{i}"), "big"))
            .chain((0..1_000).map(|i| of_account(&format!("l{i}"), "listed")))
            .collect();
        // Not read for drift: being deleted, or nothing recorded yet.
        let mut leaving = organizer("leaving", "Reconciled", "InSync");
        leaving.spec.account_ref.name = "big".into();
        leaving.metadata.deletion_timestamp = Some(
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(Timestamp::now()),
        );
        organizers.push(Arc::new(leaving));
        let periods = periods(&accounts, &organizers, resync);
        assert_eq!(periods["it/big"], stretched_1000);
        assert_eq!(periods["it/listed"], resync, "one listing a resync");

        // The tracker counts at most every RECOUNT and reports only a move worth showing.
        let tracker = DriftPeriods::default();
        let (all, moved) = tracker.all(resync, || accounts.to_vec(), || organizers.clone());
        assert_eq!(all["it/big"], stretched_1000);
        assert_eq!(moved.len(), 2, "the first count reports every account");
        let (_, moved) = tracker.all(resync, || panic!("counted again"), Vec::new);
        assert!(moved.is_empty());
        assert!(!super::moved(
            Duration::from_secs(206),
            Duration::from_secs(210)
        ));
        assert!(super::moved(
            Duration::from_secs(206),
            Duration::from_secs(30)
        ));
    }
}
