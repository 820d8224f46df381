//! The liveness guard: no object stalls silently.
//!
//! Every reconcile writes `status.observedGeneration`, failures included, and a deletion either
//! finishes (the object goes away) or says why it waits (`DeletionBlocked`, `AuditFailed`). So an
//! object whose generation stays ahead of its `observedGeneration`, or whose deletion stays pending
//! without one of those reasons, for longer than a few resync periods, is one the operator failed
//! to act on (issue 18: deletions left for a whole resync period after a watch gap). The guard
//! reads the watch cache every [`PERIOD`], counts such objects in
//! `goto_operator_stalled_objects`, logs each once when it stalls (and once when it recovers), and
//! triggers its reconcile again, once when it stalls and then once per stall period.
//!
//! A generation not observed for [`NUDGE_AFTER`] is nudged sooner, long before it counts as
//! stalled: every reconcile, failed or not, records the generation it saw, so such an object has
//! not been reconciled since its change, whatever the reason (a trigger lost in a watch gap, a
//! requeue lost with a process); the nudge (a reconcile, logged) costs one pass. Deletions that
//! keep failing are not nudged: their own backoff already retries them.
//!
//! [`Guard::check`] is pure over (objects, now), tested without a cluster; [`run`] drives it.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::channel::mpsc::UnboundedSender;
use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::time::Instant;

use crate::crd::GoToOrganizer;
use crate::crd::conditions::{self, READY, reason};
use crate::metrics::Metrics;

/// How often the guard reads the cache.
pub const PERIOD: Duration = Duration::from_secs(10);
/// How long a generation may stay unobserved before the guard triggers a reconcile.
pub const NUDGE_AFTER: Duration = Duration::from_secs(30);

/// Reasons a pending deletion is waiting on a person or on GoTo, by design.
const WAITING_DELETION: [&str; 3] = [
    reason::DELETION_BLOCKED,
    reason::AUDIT_FAILED,
    reason::PAUSED,
];

/// How an object is behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lag {
    /// `metadata.generation` is ahead of `status.observedGeneration`.
    Generation {
        /// `metadata.generation`.
        generation: i64,
        /// `status.observedGeneration` (none before the first status).
        observed: Option<i64>,
    },
    /// Deletion requested, and the Ready reason does not say why it waits.
    Deletion {
        /// The Ready reason, if any.
        reason: Option<String>,
    },
}

impl std::fmt::Display for Lag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lag::Generation {
                generation,
                observed,
            } => write!(
                f,
                "generation {generation} not observed (status.observedGeneration {})",
                observed.map_or_else(|| "unset".to_string(), |g| g.to_string())
            ),
            Lag::Deletion { reason } => write!(
                f,
                "deletion pending (Ready reason {})",
                reason.as_deref().unwrap_or("unset")
            ),
        }
    }
}

/// How `o` is behind, if it is.
pub fn lag(o: &GoToOrganizer) -> Option<Lag> {
    let status = o.status.as_ref();
    let observed = status.and_then(|s| s.observed_generation);
    if let Some(generation) = o.metadata.generation
        && observed.is_none_or(|seen| seen < generation)
    {
        return Some(Lag::Generation {
            generation,
            observed,
        });
    }
    if o.metadata.deletion_timestamp.is_some() {
        let reason = status
            .and_then(|s| conditions::find(&s.conditions, READY))
            .map(|c| c.reason.clone());
        if !reason
            .as_deref()
            .is_some_and(|r| WAITING_DELETION.contains(&r))
        {
            return Some(Lag::Deletion { reason });
        }
    }
    None
}

/// One object that is behind, since when.
#[derive(Clone, Debug)]
struct Behind {
    since: Instant,
    /// When it was last triggered by the guard.
    kicked: Option<Instant>,
    /// Whether its stall was logged.
    stalled: bool,
}

/// What one check found.
#[derive(Debug, Default, PartialEq)]
pub struct Findings {
    /// Objects behind for longer than the stall period.
    pub stalled: usize,
    /// Objects that stalled since the last check: log them.
    pub newly_stalled: Vec<(String, Lag, Duration)>,
    /// Objects whose generation was not observed for [`NUDGE_AFTER`], triggered (not stalled
    /// yet): `namespace/name`.
    pub nudged: Vec<String>,
    /// Objects stalled before that are no longer behind: log their recovery.
    pub recovered: Vec<String>,
    /// Objects to reconcile again.
    pub kick: Vec<ObjectRef<GoToOrganizer>>,
}

/// The guard's memory: which objects are behind, since when (by uid).
#[derive(Debug)]
pub struct Guard {
    stall_after: Duration,
    behind: HashMap<String, Behind>,
}

impl Guard {
    /// A guard that calls an object stalled once it has been behind for `stall_after`.
    pub fn new(stall_after: Duration) -> Self {
        Guard {
            stall_after,
            behind: HashMap::new(),
        }
    }

    /// Looks at every object once; remembers who is behind.
    pub fn check<'a>(
        &mut self,
        objects: impl IntoIterator<Item = &'a GoToOrganizer>,
        now: Instant,
    ) -> Findings {
        let mut findings = Findings::default();
        let mut still = HashMap::with_capacity(self.behind.len());
        for o in objects {
            let Some(uid) = o.uid() else { continue };
            let Some(lag) = lag(o) else { continue };
            let mut behind = self.behind.remove(&uid).unwrap_or(Behind {
                since: now,
                kicked: None,
                stalled: false,
            });
            let age = now.saturating_duration_since(behind.since);
            let key = || format!("{}/{}", o.namespace().unwrap_or_default(), o.name_any());
            // How often the guard triggers it: a generation not observed early and often, any
            // other lag once it stalls.
            let every = match lag {
                Lag::Generation { .. } => NUDGE_AFTER.min(self.stall_after),
                Lag::Deletion { .. } => self.stall_after,
            };
            let stalled = age >= self.stall_after;
            if stalled {
                findings.stalled += 1;
                if !behind.stalled {
                    behind.stalled = true;
                    findings.newly_stalled.push((key(), lag.clone(), age));
                }
            }
            let due = behind.kicked.map_or(age >= every, |at| {
                now.saturating_duration_since(at) >= every
            });
            if due {
                behind.kicked = Some(now);
                findings.kick.push(crate::controller::triggers::queued(o));
                if !stalled {
                    findings.nudged.push(key());
                }
            }
            still.insert(uid, behind);
        }
        // Whoever is left was behind and no longer is (or is gone).
        findings.recovered = self
            .behind
            .drain()
            .filter(|(_, b)| b.stalled)
            .map(|(uid, _)| uid)
            .collect();
        self.behind = still;
        findings
    }
}

/// Checks the cache every [`PERIOD`] until the task is dropped: the gauge, one log line per
/// stall and per recovery, and a trigger for each stalled object.
pub async fn run(
    store: Store<GoToOrganizer>,
    metrics: Arc<Metrics>,
    stall_after: Duration,
    kick: UnboundedSender<ObjectRef<GoToOrganizer>>,
) {
    let mut guard = Guard::new(stall_after);
    loop {
        tokio::time::sleep(PERIOD).await;
        let objects = store.state();
        let findings = guard.check(objects.iter().map(AsRef::as_ref), Instant::now());
        metrics.set_stalled(findings.stalled);
        for (object, lag, age) in &findings.newly_stalled {
            tracing::warn!(
                organizer = %object,
                stalled_for = ?age,
                "stalled: {lag}; the operator has not acted on this object for longer than {stall_after:?}; reconciling it again"
            );
        }
        if !findings.nudged.is_empty() {
            tracing::info!(
                count = findings.nudged.len(),
                first = ?findings.nudged.iter().take(10).collect::<Vec<_>>(),
                "reconciling again: generation not observed for {NUDGE_AFTER:?}"
            );
        }
        for uid in &findings.recovered {
            tracing::info!(uid = %uid, "a stalled object is no longer behind");
        }
        for reference in findings.kick {
            // The controller is gone only when the process is stopping.
            let _ = kick.unbounded_send(reference);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn organizer(
        generation: i64,
        observed: Option<i64>,
        deleting: bool,
        reason: &str,
    ) -> GoToOrganizer {
        let mut o = crate::crd::fixtures::organizer("it", "jane", "acme", "jane@example.com");
        o.metadata.uid = Some("u-1".into());
        o.metadata.generation = Some(generation);
        if deleting {
            o.metadata.deletion_timestamp =
                serde_json::from_value(json!("2026-12-02T10:00:00Z")).expect("time");
            o.metadata.finalizers = Some(vec!["goto-operator.dev/cleanup".into()]);
        }
        o.status = serde_json::from_value(json!({"observedGeneration": observed, "conditions": [
            {"type": "Ready", "status": if reason == "Reconciled" {"True"} else {"False"},
             "reason": reason, "message": "", "lastTransitionTime": "2026-12-02T10:00:00Z"}]}))
        .expect("status");
        o
    }

    #[test]
    fn what_counts_as_behind() {
        let cases = [
            (organizer(2, Some(2), false, "Reconciled"), None),
            (organizer(3, Some(3), false, "GoToUnavailable"), None),
            (
                organizer(2, Some(1), false, "Reconciled"),
                Some(Lag::Generation {
                    generation: 2,
                    observed: Some(1),
                }),
            ),
            (
                organizer(1, None, false, "Reconciled"),
                Some(Lag::Generation {
                    generation: 1,
                    observed: None,
                }),
            ),
            // The stall: deleted (generation bumped), never acted on.
            (
                organizer(2, Some(1), true, "Reconciled"),
                Some(Lag::Generation {
                    generation: 2,
                    observed: Some(1),
                }),
            ),
            (
                organizer(2, Some(2), true, "GoToUnavailable"),
                Some(Lag::Deletion {
                    reason: Some("GoToUnavailable".into()),
                }),
            ),
            (organizer(2, Some(2), true, "DeletionBlocked"), None),
            (organizer(2, Some(2), true, "AuditFailed"), None),
            (organizer(2, Some(2), true, "Paused"), None),
        ];
        for (o, want) in cases {
            assert_eq!(lag(&o), want, "{:?}", o.status);
        }
    }

    #[test]
    fn an_object_behind_is_stalled_after_the_period_logged_once_and_kicked_per_period() {
        let period = Duration::from_secs(60);
        let mut guard = Guard::new(period);
        let t0 = Instant::now();
        // A deletion that keeps failing (its own backoff retries it): not nudged before it stalls.
        let behind = organizer(2, Some(2), true, "GoToUnavailable");

        let first = guard.check([&behind], t0);
        assert_eq!((first.stalled, first.kick.len()), (0, 0), "not yet");
        let later = guard.check([&behind], t0 + Duration::from_secs(59));
        assert_eq!(later.stalled, 0);

        let stalled = guard.check([&behind], t0 + period);
        assert_eq!(stalled.stalled, 1);
        assert_eq!(stalled.newly_stalled.len(), 1, "logged once");
        assert_eq!(stalled.newly_stalled[0].0, "it/jane");
        assert_eq!(stalled.kick.len(), 1);

        let again = guard.check([&behind], t0 + period + Duration::from_secs(10));
        assert_eq!(again.stalled, 1, "still counted");
        assert!(again.newly_stalled.is_empty(), "not logged twice");
        assert!(again.kick.is_empty(), "kicked once per period");

        let next_period = guard.check([&behind], t0 + period * 2);
        assert_eq!(next_period.kick.len(), 1);

        let caught_up = organizer(2, Some(2), false, "Reconciled");
        let recovered = guard.check([&caught_up], t0 + period * 3);
        assert_eq!(recovered.stalled, 0);
        assert_eq!(recovered.recovered, vec!["u-1".to_string()]);
    }

    #[test]
    fn a_generation_not_observed_is_nudged_early_and_still_counted_once_it_stalls() {
        let stall = Duration::from_secs(600);
        let mut guard = Guard::new(stall);
        let t0 = Instant::now();
        // The issue-18 stall: deleted (generation bumped), never reconciled since.
        let leaver = organizer(2, Some(1), true, "Reconciled");
        assert!(guard.check([&leaver], t0).kick.is_empty());
        let early = guard.check([&leaver], t0 + Duration::from_secs(29));
        assert!(early.kick.is_empty(), "not before {NUDGE_AFTER:?}");
        let nudged = guard.check([&leaver], t0 + NUDGE_AFTER);
        assert_eq!(nudged.kick.len(), 1);
        assert_eq!(nudged.nudged, vec!["it/jane".to_string()]);
        assert_eq!(nudged.stalled, 0, "nudged, not stalled");
        let between = guard.check([&leaver], t0 + NUDGE_AFTER + Duration::from_secs(10));
        assert!(between.kick.is_empty(), "once per {NUDGE_AFTER:?}");
        let again = guard.check([&leaver], t0 + NUDGE_AFTER * 2);
        assert_eq!(again.kick.len(), 1);
        let stalled = guard.check([&leaver], t0 + stall);
        assert_eq!(stalled.stalled, 1);
        assert_eq!(stalled.newly_stalled.len(), 1);
        assert!(
            stalled.nudged.is_empty(),
            "a stalled object is logged as stalled"
        );
    }

    #[test]
    fn an_object_that_catches_up_in_time_is_never_counted_and_its_clock_restarts() {
        let period = Duration::from_secs(60);
        let mut guard = Guard::new(period);
        let t0 = Instant::now();
        guard.check([&organizer(2, Some(1), false, "Reconciled")], t0);
        let caught_up = guard.check([&organizer(2, Some(2), false, "Reconciled")], t0 + period);
        assert_eq!(
            caught_up,
            Findings::default(),
            "no recovery logged for a non-stall"
        );
        let behind_again = guard.check(
            [&organizer(3, Some(2), false, "Reconciled")],
            t0 + period + Duration::from_secs(1),
        );
        assert_eq!(behind_again.stalled, 0, "a new lag starts a new clock");
        let gone = guard.check([], t0 + period * 3);
        assert_eq!(gone.stalled, 0);
    }
}
