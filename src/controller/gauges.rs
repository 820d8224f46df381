//! Gauges read off the watch cache rather than counted in reconciles: how many organizers are in
//! each Ready state, by namespace, account and reason (`goto_operator_organizers`), and how long
//! each object took from creation to its first `Ready=True` (`goto_operator_time_to_ready_seconds`).
//!
//! Reading the cache every few seconds keeps the numbers right whatever path changed a status
//! (a reconcile, a restart, another replica before this one led), and keeps the reconciler free
//! of bookkeeping. The tallies are pure functions, tested without a cluster.
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kube::ResourceExt;
use kube::runtime::reflector::Store;

use crate::crd::GoToOrganizer;
use crate::crd::conditions::{self, READY};
use crate::metrics::{Metrics, OrganizerLabels};

/// How often the gauges are refreshed from the cache.
pub const PERIOD: Duration = Duration::from_secs(5);

/// Refreshes the gauges from `store` every [`PERIOD`], until the task is dropped.
pub async fn run(store: Store<GoToOrganizer>, metrics: Arc<Metrics>) {
    // Objects that were Ready before this process started were timed by whoever saw them then.
    // Truncated to the second, as Kubernetes stores condition times: an object that became Ready
    // within this process's first second must not look older than the process.
    let now = jiff::Timestamp::now();
    let started = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
    let mut seen = HashSet::new();
    let mut shown = BTreeMap::new();
    loop {
        let objects = store.state();
        let counts = tally(objects.iter().map(AsRef::as_ref));
        metrics.set_organizers(&shown, &counts);
        shown = counts;
        for seconds in newly_ready(objects.iter().map(AsRef::as_ref), &mut seen, started) {
            metrics.time_to_ready(seconds);
        }
        tokio::time::sleep(PERIOD).await;
    }
}

/// How many objects are in each (namespace, account, ready, reason).
pub fn tally<'a>(
    objects: impl IntoIterator<Item = &'a GoToOrganizer>,
) -> BTreeMap<OrganizerLabels, i64> {
    let mut counts = BTreeMap::new();
    for o in objects {
        let ready = o
            .status
            .as_ref()
            .and_then(|s| conditions::find(&s.conditions, READY));
        let labels = OrganizerLabels {
            namespace: o.namespace().unwrap_or_default(),
            account: o.spec.account_ref.name.clone(),
            ready: match ready.map(|c| c.status.as_str()) {
                Some("True") => "True",
                Some("False") => "False",
                _ => "Unknown",
            },
            reason: ready.map(|c| c.reason.clone()).unwrap_or_default(),
        };
        *counts.entry(labels).or_insert(0) += 1;
    }
    counts
}

/// Seconds from creation to the Ready transition of every object Ready for the first time since
/// the last call (remembered by uid in `seen`). An object whose Ready transition lies before
/// `since` (this process's start) is only remembered: its first Ready may be long past. Objects
/// that are gone are forgotten, so `seen` holds at most the objects that exist.
pub fn newly_ready<'a>(
    objects: impl IntoIterator<Item = &'a GoToOrganizer>,
    seen: &mut HashSet<String>,
    since: jiff::Timestamp,
) -> Vec<f64> {
    let mut out = Vec::new();
    let mut alive = HashSet::with_capacity(seen.len());
    for o in objects {
        let Some(uid) = o.metadata.uid.as_deref() else {
            continue;
        };
        alive.insert(uid);
        let uid = uid.to_string();
        let ready = o
            .status
            .as_ref()
            .and_then(|s| conditions::find(&s.conditions, READY))
            .filter(|c| c.status == "True");
        let Some(ready) = ready else { continue };
        // Condition times have whole seconds: compare at that precision, or an object Ready in
        // the second the process started would be taken for one Ready before it.
        let since_second = since.as_second();
        if !seen.insert(uid) || ready.last_transition_time.0.as_second() < since_second {
            continue;
        }
        let Some(created) = o.metadata.creation_timestamp.as_ref() else {
            continue;
        };
        let took = ready.last_transition_time.0.duration_since(created.0);
        out.push(took.as_secs_f64().max(0.0));
    }
    seen.retain(|uid| alive.contains(uid.as_str()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn organizer(name: &str, account: &str, ready: Option<(bool, &str, i64)>) -> GoToOrganizer {
        let mut o = crate::crd::fixtures::organizer("it", name, account, "a@b.co");
        o.metadata.uid = Some(format!("uid-{name}"));
        o.metadata.creation_timestamp =
            Some(Time(jiff::Timestamp::from_second(1_000).expect("time")));
        if let Some((ok, reason, at)) = ready {
            let mut c = conditions::new(READY, ok, reason, "m", Some(1));
            c.last_transition_time = Time(jiff::Timestamp::from_second(at).expect("time"));
            o.status = Some(crate::crd::GoToOrganizerStatus {
                conditions: vec![c],
                ..Default::default()
            });
        }
        o
    }

    #[test]
    fn organizers_are_counted_by_account_state_and_reason() {
        let objects = [
            organizer("a", "acme", Some((true, "Reconciled", 1_010))),
            organizer("b", "acme", Some((true, "Reconciled", 1_020))),
            organizer("c", "acme", Some((false, "SeatUnavailable", 1_020))),
            organizer("d", "beta", None),
        ];
        let counts = tally(&objects);
        let get = |account: &str, ready: &'static str, reason: &str| {
            counts
                .get(&OrganizerLabels {
                    namespace: "it".into(),
                    account: account.into(),
                    ready,
                    reason: reason.into(),
                })
                .copied()
        };
        assert_eq!(get("acme", "True", "Reconciled"), Some(2));
        assert_eq!(get("acme", "False", "SeatUnavailable"), Some(1));
        assert_eq!(get("beta", "Unknown", ""), Some(1));
        assert_eq!(counts.len(), 3);
    }

    #[test]
    fn time_to_ready_is_measured_once_per_object_and_not_for_objects_ready_before_start() {
        let mut seen = HashSet::new();
        let start = jiff::Timestamp::from_second(1_030).expect("time");
        let before = [organizer("old", "acme", Some((true, "Reconciled", 1_020)))];
        assert!(newly_ready(&before, &mut seen, start).is_empty());
        let later = [
            organizer("old", "acme", Some((true, "Reconciled", 1_020))),
            organizer("new", "acme", Some((true, "Reconciled", 1_042))),
            organizer("waiting", "acme", Some((false, "SeatUnavailable", 1_042))),
        ];
        assert_eq!(newly_ready(&later, &mut seen, start), vec![42.0]);
        assert!(
            newly_ready(&later, &mut seen, start).is_empty(),
            "measured once"
        );
    }

    /// Issue 21 (8): the uids of deleted objects were kept forever (a slow leak with churn).
    #[test]
    fn objects_that_are_gone_are_forgotten() {
        let mut seen = HashSet::new();
        let start = jiff::Timestamp::from_second(1_030).expect("time");
        let both = [
            organizer("stays", "acme", Some((true, "Reconciled", 1_042))),
            organizer("leaves", "acme", Some((true, "Reconciled", 1_042))),
        ];
        assert_eq!(newly_ready(&both, &mut seen, start).len(), 2);
        let one = [organizer(
            "stays",
            "acme",
            Some((true, "Reconciled", 1_042)),
        )];
        assert!(newly_ready(&one, &mut seen, start).is_empty());
        assert_eq!(seen, HashSet::from(["uid-stays".to_string()]));
    }

    #[test]
    fn an_object_ready_in_the_second_the_process_started_is_measured() {
        let mut seen = HashSet::new();
        let start = jiff::Timestamp::new(1_030, 700_000_000).expect("time");
        let same_second = [organizer("fast", "acme", Some((true, "Reconciled", 1_030)))];
        assert_eq!(newly_ready(&same_second, &mut seen, start), vec![30.0]);
    }
}
