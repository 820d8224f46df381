//! No thundering herd after a restart (issue 22): a freshly started operator lists every
//! organizer, and reconciling them all at once would spend the account's whole request budget
//! on drift reads (5,000 reads at 10 requests a second: more than eight minutes) while a new
//! hire applied meanwhile waited behind them.
//!
//! An object that is settled (Ready and in sync at its generation, with its organizer recorded
//! and nothing scheduled) needs no read before its next drift check, which is due within a resync
//! period anyway. So the first time this process sees such an object, it does not read GoTo: it
//! schedules that first read at the object's own place in the period (a hash of its
//! `namespace/name`, uniform over the period), so the reads after a restart arrive evenly.
//! Anything that is not settled (new, changed, being deleted, failing, waiting for a seat) is
//! reconciled at once, and so is a settled object a push notification names.
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use kube::ResourceExt;

use crate::crd::GoToOrganizer;
use crate::crd::conditions::{self, READY, SYNCED, reason};
use crate::crd::organizer::FINALIZER;

/// Which objects this process has read at least once (by `namespace/name`).
#[derive(Debug, Default)]
pub struct FirstReads {
    read: Mutex<HashSet<String>>,
}

impl FirstReads {
    /// How long to wait before the first read of `obj`, when it is settled and this process has
    /// not read it yet; `None`: read it now. Either way the object counts as seen from now on,
    /// so its next reconcile reads.
    pub fn defer(&self, obj: &GoToOrganizer, period: Duration) -> Option<Duration> {
        let key = key_of(&obj.namespace().unwrap_or_default(), &obj.name_any());
        let first = self.lock().insert(key.clone());
        (first && settled(obj)).then(|| place_in_period(&key, period))
    }

    /// Marks an object as read (a push notification names it: it is read at once).
    pub fn read_now(&self, namespace: &str, name: &str) {
        self.lock().insert(key_of(namespace, name));
    }

    /// Forgets an object that is gone.
    pub fn forget(&self, namespace: &str, name: &str) {
        self.lock().remove(&key_of(namespace, name));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn key_of(namespace: &str, name: &str) -> String {
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

/// `key`'s place in `period`: a stable hash, spread uniformly.
fn place_in_period(key: &str, period: Duration) -> Duration {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    let fraction = (h.finish() % 1_000_000) as f64 / 1_000_000.0;
    period.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn organizer(name: &str, ready: &str, synced: &str) -> GoToOrganizer {
        serde_json::from_value(json!({
            "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
            "metadata": {"name": name, "namespace": "it", "generation": 2,
                         "finalizers": [FINALIZER]},
            "spec": {"accountRef": {"name": "acme"}, "email": format!("{name}@example.com"),
                     "firstName": "A", "lastName": "B"},
            "status": {"organizerKey": "7", "observedGeneration": 2, "conditions": [
                {"type": "Ready", "status": if ready == "Reconciled" {"True"} else {"False"},
                 "reason": ready, "message": "", "observedGeneration": 2,
                 "lastTransitionTime": "2026-12-02T10:00:00Z"},
                {"type": "Synced", "status": if synced == "InSync" {"True"} else {"False"},
                 "reason": synced, "message": "", "observedGeneration": 2,
                 "lastTransitionTime": "2026-12-02T10:00:00Z"}]},
        }))
        .expect("organizer")
    }

    #[test]
    fn only_a_settled_object_waits_for_its_place_and_only_the_first_time() {
        let period = Duration::from_secs(600);
        let reads = FirstReads::default();
        let quiet = organizer("quiet", "Reconciled", "InSync");
        let delay = reads.defer(&quiet, period).expect("deferred");
        assert!(delay < period);
        assert_eq!(
            reads.defer(&quiet, period),
            None,
            "the next reconcile reads"
        );

        for (name, ready, synced) in [
            ("failing", "GoToUnavailable", "InSync"),
            ("drifted", "Reconciled", "Drifted"),
            ("waiting", "SeatUnavailable", "InSync"),
        ] {
            let o = organizer(name, ready, synced);
            assert_eq!(reads.defer(&o, period), None, "{name} is read at once");
        }
        let mut changed = organizer("changed", "Reconciled", "InSync");
        changed.metadata.generation = Some(3);
        assert_eq!(reads.defer(&changed, period), None, "a new generation");
        let mut leaving = organizer("leaving", "Reconciled", "InSync");
        leaving.metadata.deletion_timestamp = Some(
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::now()),
        );
        assert_eq!(reads.defer(&leaving, period), None, "a deletion");
        let notified = organizer("notified", "Reconciled", "InSync");
        reads.read_now("it", "notified");
        assert_eq!(reads.defer(&notified, period), None, "a push notification");
    }

    #[test]
    fn first_reads_spread_evenly_over_the_period() {
        let period = Duration::from_secs(100);
        let mut per_tenth = [0usize; 10];
        for i in 0..5_000 {
            let place = place_in_period(&format!("it/chaos-{i}"), period);
            per_tenth[(place.as_secs_f64() / 10.0) as usize] += 1;
        }
        // 500 expected in each tenth of the period.
        assert!(
            per_tenth.iter().all(|n| (400..600).contains(n)),
            "{per_tenth:?}"
        );
    }
}
