//! Report: a pure function from (what was observed, the plan, what acting on it did, the previous
//! status, the clock) to the new status and the Events to publish. The reconcile writes that
//! status once (server-side apply through `controller::status`), and not at all when nothing but
//! timestamps would change.
//!
//! `lastSyncedAt` moves only when the operator changed something: a write to GoTo, or a change of
//! the status other than timestamps. `meetingAudit.auditedAt` moves only when the audit's result
//! changes. So a reconcile that finds everything as recorded costs no status write.
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::runtime::events::EventType;

use super::act::{Outcome, Step};
use super::decide::{self, Plan};
use super::diff::Changes;
use super::observe::{Observed, account_key_of, state};
use super::plan;
use crate::controller::error::Error;
use crate::crd::conditions::{self, READY, SYNCED, event, reason};
use crate::crd::organizer::AUDIT_LIST_LIMIT;
use crate::crd::{AuditedMeeting, GoToOrganizerSpec, GoToOrganizerStatus, MeetingAudit};
use crate::goto::{Meeting, Organizer, OrganizerStatus};

/// One Event to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Normal or Warning.
    pub type_: EventType,
    /// One of `conditions::event` (or, for a failure, its condition reason).
    pub reason: &'static str,
    /// The Event's action (kube-runtime folds Events with the same reason and action).
    pub action: &'static str,
    /// The text a person reads.
    pub note: String,
}

/// The failure a plan and its outcome end in, if any (it keeps the finalizer and picks the
/// requeue).
pub fn failure(plan: &Plan, outcome: &Outcome) -> Option<Error> {
    if let Some(e) = &outcome.error {
        return Some(e.clone());
    }
    match plan {
        Plan::Paused => Some(Error::Paused),
        Plan::Fail(e) => Some(e.clone()),
        Plan::Block { key, meetings } => Some(decide::blocked(key, meetings)),
        Plan::WaitForSeat {
            account,
            position,
            waiting,
        } => Some(Error::WaitingForSeat(super::plan::waiting_message(
            account, *position, *waiting,
        ))),
        _ => None,
    }
}

/// The new status and the Events of one reconcile.
pub fn report(
    observed: &Observed,
    spec: &GoToOrganizerSpec,
    plan: &Plan,
    outcome: &Outcome,
    previous: &GoToOrganizerStatus,
    now: Timestamp,
) -> (GoToOrganizerStatus, Vec<Note>) {
    let generation = observed.object.generation;
    let mut next = previous.clone();
    next.observed_generation = generation;
    let mut notes = Vec::new();

    // A recorded key is never dropped: the status is written by forced server-side apply, which
    // removes what it does not name. A pass that started from a cached object older than the
    // key's recording (this process remembers it) and then failed would otherwise erase it, and
    // an object that recorded no key touches nothing in GoTo when deleted.
    if next.organizer_key.is_none() {
        next.organizer_key = observed.object.own_key().map(str::to_string);
    }
    if let Some(o) = &outcome.organizer {
        next.organizer_key = Some(o.organizer_key.to_string());
        next.account_key = Some(account_key_of(o, observed, previous));
        next.state = Some(state(o).to_string());
        next.max_participants = o.max_participants.or(previous.max_participants);
    }

    if let Some(meetings) = audit_of(plan, outcome) {
        let audit = meeting_audit(meetings, previous.meeting_audit.as_ref(), now);
        if previous.meeting_audit.as_ref() != Some(&audit) {
            notes.push(normal(
                event::MEETINGS_AUDITED,
                format!(
                    "organizer {} has {} upcoming meeting(s){}",
                    plan_key(plan).unwrap_or_default(),
                    meetings.len(),
                    plan::subjects(meetings)
                ),
            ));
        }
        next.meeting_audit = Some(audit);
    }

    notes.extend(plan_notes(plan));
    notes.extend(step_notes(plan, outcome, previous, generation));

    match failure(plan, outcome) {
        Some(err) => {
            if let Some(reason) = err.reason() {
                let was = conditions::find(&previous.conditions, READY).map(|c| c.reason.as_str());
                let message = err.to_string();
                if was != Some(reason) {
                    let type_ = if reason == reason::PAUSED {
                        EventType::Normal
                    } else {
                        EventType::Warning
                    };
                    notes.push(Note {
                        type_,
                        reason,
                        action: reason,
                        note: message.clone(),
                    });
                }
                next.conditions = conditions::merge(
                    &previous.conditions,
                    vec![conditions::at(
                        READY, false, reason, message, generation, now,
                    )],
                );
            }
        }
        None => {
            if let Some(updates) = success_conditions(plan, outcome, spec, generation, now) {
                next.conditions = conditions::merge(&previous.conditions, updates);
            }
        }
    }

    let changed = !same_but_timestamps(&next, previous);
    next.last_synced_at = if changed || !outcome.steps.is_empty() {
        Some(Time(now))
    } else {
        previous.last_synced_at.clone()
    };
    (next, notes)
}

/// Whether two statuses differ only in timestamps (`lastSyncedAt`, condition transition times,
/// `auditedAt`): such a status is not written.
pub fn same_but_timestamps(a: &GoToOrganizerStatus, b: &GoToOrganizerStatus) -> bool {
    normalised(a) == normalised(b)
}

fn normalised(s: &GoToOrganizerStatus) -> GoToOrganizerStatus {
    let mut s = s.clone();
    s.last_synced_at = None;
    for c in &mut s.conditions {
        c.last_transition_time = Time(Timestamp::UNIX_EPOCH);
    }
    if let Some(a) = &mut s.meeting_audit {
        a.audited_at = Time(Timestamp::UNIX_EPOCH);
    }
    s
}

/// The audit this reconcile made: the second one of a suspend-then-delete, else the first.
fn audit_of<'a>(plan: &'a Plan, outcome: &'a Outcome) -> Option<&'a Vec<Meeting>> {
    if let Some(m) = &outcome.reaudit {
        return Some(m);
    }
    match plan {
        Plan::Block { meetings, .. }
        | Plan::SuspendBeforeDelete { meetings, .. }
        | Plan::Delete { meetings, .. } => Some(meetings),
        _ => None,
    }
}

fn meeting_audit(
    meetings: &[Meeting],
    previous: Option<&MeetingAudit>,
    now: Timestamp,
) -> MeetingAudit {
    let mut audit = MeetingAudit {
        audited_at: Time(now),
        upcoming_meeting_count: u32::try_from(meetings.len()).unwrap_or(u32::MAX),
        upcoming_meetings: meetings
            .iter()
            .take(AUDIT_LIST_LIMIT)
            .map(|m| AuditedMeeting {
                meeting_id: m.meeting_id.to_string(),
                subject: m.subject.clone(),
                start_time: m.start_time.map(|t| t.to_string()),
            })
            .collect(),
    };
    if let Some(p) = previous
        && p.upcoming_meeting_count == audit.upcoming_meeting_count
        && p.upcoming_meetings == audit.upcoming_meetings
    {
        audit.audited_at = p.audited_at.clone();
    }
    audit
}

/// Events a plan makes whatever the writes: adoption, release, orphaning.
fn plan_notes(plan: &Plan) -> Vec<Note> {
    match plan {
        Plan::Adopt { organizer, .. }
        | Plan::Observe {
            organizer,
            found: Some(_),
            ..
        } => vec![normal(
            event::ADOPTED,
            format!(
                "adopted existing organizer {} ({})",
                organizer.organizer_key, organizer.email
            ),
        )],
        Plan::Release { why } => vec![normal(
            event::RELEASED,
            format!("released the finalizer without touching GoTo: {why}"),
        )],
        Plan::Orphan { key, why } => vec![normal(
            event::ORPHANED,
            match key {
                Some(key) => format!("left organizer {key} untouched in GoTo ({why})"),
                None => format!("left GoTo untouched ({why})"),
            },
        )],
        _ => Vec::new(),
    }
}

/// Events of the writes that happened.
fn step_notes(
    plan: &Plan,
    outcome: &Outcome,
    previous: &GoToOrganizerStatus,
    generation: Option<i64>,
) -> Vec<Note> {
    let key = outcome
        .organizer
        .as_ref()
        .map(|o| o.organizer_key.to_string())
        .or_else(|| plan_key(plan))
        .unwrap_or_default();
    let email = outcome
        .organizer
        .as_ref()
        .map(|o| o.email.clone())
        .unwrap_or_default();
    // Writing to an organizer already recorded under the same generation corrects drift; any
    // other write sets what the spec (new or changed) asks for.
    let correcting = matches!(plan, Plan::Update { .. })
        && previous.observed_generation == generation
        && previous.organizer_key.is_some();
    let changes = plan_changes(plan);
    outcome
        .steps
        .iter()
        .map(|step| match step {
            Step::Created => normal(
                event::CREATED,
                format!("created organizer {key} for {email}"),
            ),
            Step::Recreated { previous } => normal(
                event::RECREATED,
                format!(
                    "organizer {previous} was deleted outside the operator; created {key} in its place"
                ),
            ),
            Step::AdoptedOnConflict => normal(
                event::ADOPTED,
                format!("adopted existing organizer {key} ({email}): GoTo already had this email"),
            ),
            Step::Updated { fields } => {
                let (what, action) = if correcting {
                    ("corrected", event::ACTION_CORRECT_DRIFT)
                } else {
                    ("set", event::ACTION_UPDATE)
                };
                Note {
                    type_: EventType::Normal,
                    reason: event::UPDATED,
                    action,
                    note: format!(
                        "{what} {} on organizer {key} with one full PUT",
                        fields.join(", ")
                    ),
                }
            }
            Step::Resumed => normal(event::RESUMED, format!("resumed organizer {key}")),
            Step::Suspended => normal(event::SUSPENDED, suspended_note(plan, changes, &key)),
            Step::Deleted {
                already_gone: true, ..
            } => normal(
                event::DELETED,
                format!("organizer {key} was already gone from GoTo; 0 meetings cancelled"),
            ),
            Step::Deleted { cancelled: 0, .. } => normal(
                event::DELETED,
                format!("deleted organizer {key}; it had no upcoming meetings, 0 cancelled"),
            ),
            Step::Deleted { cancelled, .. } => normal(
                event::DELETED,
                format!(
                    "deleted organizer {key}; GoTo cancelled its {cancelled} upcoming meeting(s) (onUpcomingMeetings: Cancel)"
                ),
            ),
        })
        .collect()
}

fn suspended_note(plan: &Plan, changes: Option<&Changes>, key: &str) -> String {
    match plan {
        Plan::SuspendAndRelease { .. } => {
            format!("suspended organizer {key} (deletionPolicy Suspend): data and meetings kept")
        }
        Plan::SuspendBeforeDelete { .. } => format!(
            "suspended organizer {key} before deleting it, so no meeting can be booked between the audit and the DELETE"
        ),
        _ if changes.is_some_and(|c| c.scheduled) => format!(
            "suspended organizer {key} as scheduled (suspendAt): cannot host, meetings kept"
        ),
        _ => format!("suspended organizer {key}: cannot host, meetings kept"),
    }
}

fn success_conditions(
    plan: &Plan,
    outcome: &Outcome,
    spec: &GoToOrganizerSpec,
    generation: Option<i64>,
    now: Timestamp,
) -> Option<Vec<Condition>> {
    let o = outcome.organizer.as_ref()?;
    let in_sync = || {
        conditions::at(
            SYNCED,
            true,
            reason::IN_SYNC,
            "GoTo matches the spec",
            generation,
            now,
        )
    };
    let (ready_message, synced) = match plan {
        Plan::Observe { drift, .. } => {
            let synced = if drift.fields.is_empty() {
                in_sync()
            } else {
                let fields: Vec<String> = drift.fields.iter().map(ToString::to_string).collect();
                conditions::at(
                    SYNCED,
                    false,
                    reason::DRIFTED,
                    format!(
                        "GoTo differs from the spec in: {} (Observe: not corrected)",
                        fields.join(", ")
                    ),
                    generation,
                    now,
                )
            };
            (
                format!(
                    "observing organizer {} (Observe: nothing is written to GoTo)",
                    o.organizer_key
                ),
                synced,
            )
        }
        Plan::Create { .. }
        | Plan::Recreate { .. }
        | Plan::Adopt { .. }
        | Plan::Update { .. }
        | Plan::Nothing { .. } => {
            let kept = plan_changes(plan).is_some_and(|c| c.kept_outside_suspension);
            let synced = if kept {
                conditions::at(
                    SYNCED,
                    false,
                    reason::SUSPENDED_EXTERNALLY,
                    format!(
                        "organizer {} was suspended in GoTo outside the operator; kept (onExternalSuspend: Respect)",
                        o.organizer_key
                    ),
                    generation,
                    now,
                )
            } else {
                in_sync()
            };
            let mut message = format!("organizer {} is {}", o.organizer_key, state(o));
            if let Some(at) = pending_suspend_at(spec, o, now) {
                message.push_str(&format!("; it will be suspended at {at} (suspendAt)"));
            }
            (message, synced)
        }
        _ => return None,
    };
    Some(vec![
        conditions::at(
            READY,
            true,
            reason::RECONCILED,
            ready_message,
            generation,
            now,
        ),
        synced,
    ])
}

/// The `suspendAt` still to come, for the Ready message.
fn pending_suspend_at(spec: &GoToOrganizerSpec, o: &Organizer, now: Timestamp) -> Option<String> {
    let at = spec.suspend_at.as_ref()?.0;
    (at > now && !spec.suspended && o.status != Some(OrganizerStatus::Suspended))
        .then(|| at.to_string())
}

fn plan_changes(plan: &Plan) -> Option<&Changes> {
    match plan {
        Plan::Adopt { changes, .. }
        | Plan::Update { changes, .. }
        | Plan::Nothing { changes, .. } => Some(changes),
        Plan::Observe { drift, .. } => Some(drift),
        _ => None,
    }
}

fn plan_key(plan: &Plan) -> Option<String> {
    match plan {
        Plan::Block { key, .. }
        | Plan::SuspendBeforeDelete { key, .. }
        | Plan::Delete { key, .. }
        | Plan::Gone { key } => Some(key.clone()),
        Plan::Adopt { organizer, .. }
        | Plan::Update { organizer, .. }
        | Plan::Nothing { organizer, .. }
        | Plan::Observe { organizer, .. }
        | Plan::SuspendAndRelease { organizer } => Some(organizer.organizer_key.to_string()),
        Plan::Orphan { key, .. } => key.clone(),
        _ => None,
    }
}

fn normal(reason: &'static str, note: String) -> Note {
    Note {
        type_: EventType::Normal,
        reason,
        action: reason,
        note,
    }
}
