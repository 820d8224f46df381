//! When settled organizers are read again for drift (issue 22): spread evenly, within the
//! budget's drift lane, and never all at once after a restart.
//!
//! **The period** is the account's drift period (`controller::drift_periods`): `--resync-seconds`,
//! stretched when the account's organizers would need more than half its rate, reported as the
//! account's `status.effectiveResyncSeconds` and `goto_operator_effective_resync_seconds`.
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
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use kube::ResourceExt;

use crate::controller::context::key_of;
use crate::crd::GoToOrganizer;
use crate::crd::conditions::{self, READY, SYNCED, reason};
use crate::crd::organizer::FINALIZER;
use crate::sync::lock;

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
}
