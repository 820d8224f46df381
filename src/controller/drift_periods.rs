//! The period over which each account's organizers are read again for drift (issue 22), shared
//! by the organizer reconcile (when to read again) and the account's status
//! (`effectiveResyncSeconds`).
//!
//! A quiet resync of a v2 account costs one GET per organizer. The budget lets drift reads use
//! at most half of the account's rate (see `goto::budget`), so an account of N organizers needs
//! at least `N / drift_reads_per_second` for one round: when that is longer than
//! `--resync-seconds`, the period is stretched to it ([`stretched`]). A v1 account reads the
//! whole account in one listing and is never stretched. [`DriftPeriods`] counts each account's
//! organizers from the watch cache, at most every [`RECOUNT`].
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kube::ResourceExt;

use super::context::key_of;
use crate::crd::{GoToAccount, GoToOrganizer};

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
        let mut state = crate::sync::lock(&self.state);
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn account(name: &str, api: &str, rate: u32) -> Arc<GoToAccount> {
        let mut a = crate::crd::fixtures::account("it", name, "1");
        a.spec.api = serde_json::from_value(json!(api)).expect("api");
        a.spec.requests_per_second = rate;
        Arc::new(a)
    }

    /// An organizer of `account` whose key is recorded: read for drift.
    fn of_account(name: &str, account: &str) -> Arc<GoToOrganizer> {
        Arc::new(recorded(name, account))
    }

    fn recorded(name: &str, account: &str) -> GoToOrganizer {
        let mut o = crate::crd::fixtures::organizer("it", name, account, "a@example.com");
        o.status = Some(crate::crd::GoToOrganizerStatus {
            organizer_key: Some("7".into()),
            ..Default::default()
        });
        o
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
        let mut leaving = recorded("leaving", "big");
        leaving.metadata.deletion_timestamp = Some(
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::now()),
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
