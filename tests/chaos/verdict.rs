//! The invariants, checked against the workload's book and the simulator's state.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use goto_operator::crd::GoToOrganizer;
use goto_operator::crd::conditions::READY;
use goto_operator::simulator::{OrganizerStatus, SimOrganizer};
use kube::ResourceExt;
use kube::api::ListParams;
use tokio::time::Instant;

use crate::fleet::Fleet;
use crate::harness::Env;
use crate::monkey::Figures;
use crate::profile::Profile;
use crate::workload::{Book, Desired};

/// What is still wrong; empty lists mean the invariant holds.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Verdict {
    /// Live objects not (yet) Ready=True at their generation, or differing from GoTo.
    pub not_converged: Vec<String>,
    /// Deleted objects still present (finalizer not resolved).
    pub finalizers_pending: Vec<String>,
    /// Deleted objects whose seat still exists in GoTo.
    pub lost_deletes: Vec<String>,
    /// Emails with more than one seat in GoTo.
    pub duplicates: Vec<String>,
    /// Seats in GoTo that no object wants (created for nothing, or re-created after a delete).
    pub stray_seats: Vec<String>,
    /// Meetings GoTo cancelled (nobody consented to any cancellation in this workload).
    pub cancelled_meetings: Vec<String>,
    /// Objects in the cluster with a pending deletion or a generation not yet observed
    /// (`metadata.generation` ahead of `status.observedGeneration`): what the operator has not
    /// (yet) acted on.
    pub behind: Vec<String>,
    /// Live objects checked.
    pub live: usize,
    /// Deleted objects checked.
    pub deleted: usize,
}

impl Verdict {
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (what, list) in [
            ("not converged", &self.not_converged),
            ("finalizer not resolved", &self.finalizers_pending),
            ("pending deletion or generation not observed", &self.behind),
            ("lost delete", &self.lost_deletes),
            ("duplicate seat", &self.duplicates),
            ("stray seat", &self.stray_seats),
            (
                "meeting cancelled without consent",
                &self.cancelled_meetings,
            ),
        ] {
            if !list.is_empty() {
                out.push(format!(
                    "{what} ({}): {}",
                    list.len(),
                    list.iter().take(10).cloned().collect::<Vec<_>>().join("; ")
                ));
            }
        }
        out
    }

    fn holds(&self) -> bool {
        self.failures().is_empty()
    }
}

/// Checks until every invariant holds or `within` has passed; returns the last verdict.
pub async fn converge(env: &Env, book: &Book, within: Duration, fleet: &mut Fleet) -> Verdict {
    let deadline = Instant::now() + within;
    loop {
        let verdict = check(env, book).await;
        if verdict.holds() || Instant::now() > deadline {
            return verdict;
        }
        if let Some(first) = verdict.failures().first() {
            eprintln!("chaos: waiting: {first}");
        }
        crate::monkey::tending(fleet, tokio::time::sleep(Duration::from_secs(2))).await;
    }
}

async fn check(env: &Env, book: &Book) -> Verdict {
    let objects: BTreeMap<String, GoToOrganizer> = loop {
        match env.organizers().list(&ListParams::default()).await {
            Ok(list) => break list.items.into_iter().map(|o| (o.name_any(), o)).collect(),
            Err(e) => {
                eprintln!("chaos: listing organizers: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    let cancelled = env
        .sim
        .cancelled_meetings()
        .into_iter()
        .map(|m| format!("{} of {} ({:?})", m.subject, m.organizer_key, m.via))
        .collect();
    judge(&book.snapshot(), &objects, &env.sim.organizers(), cancelled)
}

/// The invariants over one observation: what the workload wants, the objects in the cluster, the
/// seats in GoTo, and the meetings GoTo cancelled.
fn judge(
    book: &BTreeMap<String, Desired>,
    objects: &BTreeMap<String, GoToOrganizer>,
    seats: &[SimOrganizer],
    cancelled: Vec<String>,
) -> Verdict {
    let mut by_email: BTreeMap<String, Vec<&SimOrganizer>> = BTreeMap::new();
    for seat in seats {
        by_email
            .entry(seat.email.to_lowercase())
            .or_default()
            .push(seat);
    }
    let mut verdict = Verdict {
        behind: objects.values().filter_map(behind).collect(),
        ..Verdict::default()
    };
    let mut wanted = BTreeSet::new();
    for (name, desired) in book {
        let email = format!("{name}@example.com");
        if desired.deleted {
            verdict.deleted += 1;
            if objects.contains_key(name) {
                verdict.finalizers_pending.push(name.clone());
            }
            if by_email.contains_key(&email) {
                verdict.lost_deletes.push(name.clone());
            }
            continue;
        }
        verdict.live += 1;
        wanted.insert(email.clone());
        let Some(object) = objects.get(name) else {
            verdict.not_converged.push(format!("{name}: no object"));
            continue;
        };
        if let Some(problem) = not_converged(object, &desired.last_name, by_email.get(&email)) {
            verdict.not_converged.push(format!("{name}: {problem}"));
        }
    }
    for (email, seats) in &by_email {
        if seats.len() > 1 {
            verdict.duplicates.push(format!("{email} x{}", seats.len()));
        }
        let deleted_one = book
            .get(email.trim_end_matches("@example.com"))
            .is_some_and(|d| d.deleted);
        if !wanted.contains(email) && !deleted_one {
            verdict.stray_seats.push(email.clone());
        }
    }
    verdict.cancelled_meetings = cancelled;
    verdict
}

/// `name: why` when the object has a pending deletion or an unobserved generation.
fn behind(object: &GoToOrganizer) -> Option<String> {
    let observed = object.status.as_ref().and_then(|s| s.observed_generation);
    let name = object.name_any();
    if object.metadata.deletion_timestamp.is_some() {
        return Some(format!("{name}: deletion pending"));
    }
    (observed < object.metadata.generation).then(|| {
        format!(
            "{name}: generation {:?}, observed {observed:?}",
            object.metadata.generation
        )
    })
}

fn not_converged(
    object: &GoToOrganizer,
    last_name: &str,
    seats: Option<&Vec<&SimOrganizer>>,
) -> Option<String> {
    let Some(status) = object.status.as_ref() else {
        return Some("no status".into());
    };
    if status.observed_generation != object.metadata.generation {
        return Some(format!(
            "observedGeneration {:?} of {:?}",
            status.observed_generation, object.metadata.generation
        ));
    }
    let ready = status.conditions.iter().find(|c| c.type_ == READY);
    if ready.is_none_or(|c| c.status != "True") {
        return Some(format!(
            "Ready {:?}",
            ready.map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
        ));
    }
    let Some(seat) = seats.and_then(|s| s.first()) else {
        return Some("no seat in GoTo".into());
    };
    if status.organizer_key.as_deref() != Some(seat.organizer_key.as_str()) {
        return Some(format!(
            "status.organizerKey {:?}, GoTo has {}",
            status.organizer_key, seat.organizer_key
        ));
    }
    if seat.last_name != last_name || seat.status != OrganizerStatus::Active {
        return Some(format!(
            "GoTo has lastName {} status {:?}, want {last_name}",
            seat.last_name, seat.status
        ));
    }
    None
}

/// The figures docs/reliability.md records.
#[derive(serde::Serialize)]
pub struct Report {
    pub profile: Profile,
    pub faults: Figures,
    pub window_seconds: u64,
    pub converged_seconds_after_last_fault: f64,
    pub organizers_created: usize,
    pub organizers_deleted: usize,
    pub organizers_live: usize,
    pub organizers_adopted: usize,
    pub meetings_blocking_deletions: usize,
    pub meetings_reassigned: usize,
    /// Objects with a pending deletion or a generation not yet observed at the end: must be 0.
    pub pending_deletions_or_generations_behind: usize,
    pub goto_requests: usize,
    pub goto_writes: usize,
    pub goto_5xx_answers: usize,
    pub goto_dropped_connections: usize,
    pub goto_429_answers: u64,
    pub retry_after_violations: u64,
    pub workload_calls_retried: usize,
    pub verdict: Verdict,
    pub failures: Vec<String>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        profile: &Profile,
        env: &Env,
        book: &Book,
        figures: &Figures,
        verdict: &Verdict,
        started: Instant,
        last_fault: Instant,
        converged_after: Duration,
        reassigned: usize,
        workload_errors: usize,
    ) -> Self {
        let snapshot = book.snapshot();
        let requests = env.sim.requests();
        Report {
            profile: profile.clone(),
            faults: figures.clone(),
            window_seconds: last_fault.duration_since(started).as_secs(),
            converged_seconds_after_last_fault: converged_after.as_secs_f64(),
            organizers_created: snapshot.values().filter(|d| d.created).count(),
            organizers_deleted: snapshot.values().filter(|d| d.deleted).count(),
            organizers_live: verdict.live,
            organizers_adopted: snapshot.values().filter(|d| d.adopted).count(),
            meetings_blocking_deletions: snapshot
                .values()
                .filter(|d| d.deleted)
                .map(|d| d.meetings.len())
                .sum(),
            meetings_reassigned: reassigned,
            pending_deletions_or_generations_behind: verdict.behind.len(),
            goto_requests: requests.len(),
            goto_writes: env.sim.writes().len(),
            goto_5xx_answers: requests.iter().filter(|r| r.status >= 500).count(),
            goto_dropped_connections: requests.iter().filter(|r| r.status == 0).count(),
            goto_429_answers: env.sim.rate_limited_count(),
            retry_after_violations: env.sim.retry_after_violations(),
            workload_calls_retried: workload_errors,
            verdict: verdict.clone(),
            failures: verdict.failures(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(name: &str, generation: i64, observed: i64, ready: &str, key: &str) -> GoToOrganizer {
        serde_json::from_value(json!({
            "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
            "metadata": {"name": name, "generation": generation},
            "spec": {"accountRef": {"name": "acme"}, "email": format!("{name}@example.com"),
                     "firstName": "Test", "lastName": "Gen0"},
            "status": {"organizerKey": key, "observedGeneration": observed, "conditions": [{
                "type": "Ready", "status": ready, "reason": "Reconciled", "message": "",
                "lastTransitionTime": "2026-12-02T00:00:00Z"}]},
        }))
        .unwrap()
    }

    fn seat(name: &str, key: &str, last_name: &str) -> SimOrganizer {
        SimOrganizer {
            organizer_key: key.into(),
            account_key: "1".into(),
            email: format!("{name}@example.com"),
            first_name: "Test".into(),
            last_name: last_name.into(),
            status: OrganizerStatus::Active,
            locale: "en_US".into(),
            time_zone: "UTC".into(),
            max_participants: 250,
            admin_roles: vec![],
        }
    }

    fn want(last_name: &str, deleted: bool) -> Desired {
        Desired {
            last_name: last_name.into(),
            created: true,
            deleted,
            ..Desired::default()
        }
    }

    /// A converged world, then one broken invariant at a time: each is caught, and only it.
    #[test]
    fn the_verdict_catches_every_broken_invariant() {
        let book: BTreeMap<String, Desired> = [
            ("kept".to_string(), want("Gen1", false)),
            ("gone".to_string(), want("Gen0", true)),
        ]
        .into();
        let objects: BTreeMap<String, GoToOrganizer> =
            [("kept".to_string(), object("kept", 2, 2, "True", "1"))].into();
        let seats = vec![seat("kept", "1", "Gen1")];
        let good = judge(&book, &objects, &seats, vec![]);
        assert!(good.failures().is_empty(), "{:?}", good.failures());
        assert_eq!((good.live, good.deleted), (1, 1));

        // Each broken invariant is caught; an object left behind is also counted as behind.
        let caught = |v: Verdict, what: &str| {
            let failures = v.failures();
            let others: Vec<_> = failures
                .iter()
                .filter(|f| {
                    !f.starts_with(what) && !f.starts_with("pending deletion or generation")
                })
                .collect();
            assert!(
                failures.iter().any(|f| f.starts_with(what)),
                "{what}: {failures:?}"
            );
            assert!(others.is_empty(), "{what}: {failures:?}");
        };
        // Not converged: an older generation, not Ready, the wrong key, a stale field, no seat.
        for (objects, seats) in [
            (object("kept", 2, 1, "True", "1"), seats.clone()),
            (object("kept", 2, 2, "False", "1"), seats.clone()),
            (object("kept", 2, 2, "True", "9"), seats.clone()),
            (
                object("kept", 2, 2, "True", "1"),
                vec![seat("kept", "1", "Gen0")],
            ),
        ] {
            let objects = [("kept".to_string(), objects)].into();
            caught(judge(&book, &objects, &seats, vec![]), "not converged");
        }
        caught(
            judge(&book, &BTreeMap::new(), &seats, vec![]),
            "not converged",
        );
        // A deleted object still there: its finalizer is stuck.
        let mut stuck = objects.clone();
        stuck.insert("gone".into(), object("gone", 1, 1, "True", "2"));
        caught(
            judge(&book, &stuck, &seats, vec![]),
            "finalizer not resolved",
        );
        // Its seat still in GoTo: a lost delete.
        let mut kept_seat = seats.clone();
        kept_seat.push(seat("gone", "2", "Gen0"));
        caught(judge(&book, &objects, &kept_seat, vec![]), "lost delete");
        // A seat nobody wants.
        let mut stray = seats.clone();
        stray.push(seat("nobody", "3", "Gen0"));
        caught(judge(&book, &objects, &stray, vec![]), "stray seat");
        // Two seats for one email (the object records the first).
        let mut twice = seats.clone();
        twice.push(seat("kept", "4", "Gen1"));
        caught(judge(&book, &objects, &twice, vec![]), "duplicate seat");
        // The issue-18 stall: deleted (generation bumped), never acted on, old status kept.
        let mut stalled = objects.clone();
        let mut leaver = object("gone", 2, 1, "True", "2");
        leaver.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                "2026-12-02T00:00:00Z".parse().unwrap(),
            ));
        stalled.insert("gone".into(), leaver);
        let verdict = judge(&book, &stalled, &seats, vec![]);
        assert_eq!(verdict.behind, vec!["gone: deletion pending".to_string()]);
        let edited = [("kept".to_string(), object("kept", 3, 2, "True", "1"))].into();
        let verdict = judge(&book, &edited, &seats, vec![]);
        assert_eq!(
            verdict.behind,
            vec!["kept: generation Some(3), observed Some(2)".to_string()]
        );
        // A cancelled meeting.
        caught(
            judge(&book, &objects, &seats, vec!["standup of 1".into()]),
            "meeting cancelled without consent",
        );
    }
}
