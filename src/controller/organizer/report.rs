//! Report: a pure function from (what was observed, the plan, what acting on it did, the previous
//! status, the clock) to the new status and the Events to publish. The reconcile writes that
//! status at its end (server-side apply through `controller::status`), and not at all when
//! nothing but timestamps would change; the only earlier write is `act` recording the key of a
//! create that more writes follow.
//!
//! `lastSyncedAt` moves only when the operator changed something: a write to GoTo, or a change of
//! the status other than timestamps. `meetingAudit.auditedAt` moves only when the audit's result
//! changes. So a reconcile that finds everything as recorded costs no status write.
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::runtime::events::EventType;

use super::act::{Outcome, Step};
use super::diff;
use super::observe::{Observed, account_key_of, state};
use super::plan::{self, Plan};
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
    outcome.error.clone().or_else(|| plan.failure())
}

/// The longest meeting subject kept in `status.meetingAudit` (the CRD schema's bound too).
pub const MAX_SUBJECT: usize = 256;

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

    // The second audit of a suspend-then-delete, else the first.
    if let Some(meetings) = outcome.reaudit.as_deref().or(plan.audit()) {
        let audit = meeting_audit(meetings, previous.meeting_audit.as_deref(), now);
        if previous.meeting_audit.as_deref() != Some(&audit) {
            notes.push(normal(
                event::MEETINGS_AUDITED,
                format!(
                    "organizer {} has {} upcoming meeting(s){}",
                    plan.subject_key().unwrap_or_default(),
                    meetings.len(),
                    plan::subjects(meetings)
                ),
            ));
        }
        next.meeting_audit = Some(Box::new(audit));
    }

    notes.extend(plan.event().map(|(reason, note)| normal(reason, note)));
    notes.extend(step_notes(plan, outcome, previous, generation));
    if let (Plan::Gone { key }, true) = (plan, observed.object.deleting) {
        // Found gone while deleting: a DELETE of ours whose answer was lost (a timeout that
        // succeeded), or someone else's. Either way the person is offboarded: say so.
        let audited = previous
            .meeting_audit
            .as_ref()
            .map_or(0, |a| a.upcoming_meeting_count as usize);
        notes.push(normal(event::DELETED, gone_message(key, audited)));
    }

    let conditions = match failure(plan, outcome) {
        Some(err) => failed(&err, previous, generation, now).map(|(ready, note)| {
            notes.extend(note);
            vec![ready]
        }),
        None => success_conditions(plan, outcome, spec, generation, now),
    };
    if let Some(updates) = conditions {
        next.conditions = conditions::merge(&previous.conditions, updates);
    }

    let changed = !same_but_timestamps(&next, previous);
    next.last_synced_at = if changed || !outcome.steps.is_empty() {
        Some(Time(now))
    } else {
        previous.last_synced_at.clone()
    };
    (next, notes)
}

/// The Ready condition of a failure that has a reason (others are retried without a word), and
/// its Event when the reason is new.
fn failed(
    err: &Error,
    previous: &GoToOrganizerStatus,
    generation: Option<i64>,
    now: Timestamp,
) -> Option<(Condition, Option<Note>)> {
    let reason = err.reason()?;
    let message = err.to_string();
    let was = conditions::find(&previous.conditions, READY).map(|c| c.reason.as_str());
    let note = (was != Some(reason)).then(|| Note {
        type_: if reason == reason::PAUSED {
            EventType::Normal
        } else {
            EventType::Warning
        },
        reason,
        action: reason,
        note: message.clone(),
    });
    let ready = conditions::at(READY, false, reason, message, generation, now);
    Some((ready, note))
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

fn meeting_audit(
    meetings: &[Meeting],
    previous: Option<&MeetingAudit>,
    now: Timestamp,
) -> MeetingAudit {
    let mut audit = MeetingAudit {
        audited_at: Time(now),
        upcoming_meeting_count: u32::try_from(meetings.len()).unwrap_or(u32::MAX),
        digest: Some(super::consent::digest(meetings)),
        upcoming_meetings: meetings
            .iter()
            .take(AUDIT_LIST_LIMIT)
            .map(|m| AuditedMeeting {
                meeting_id: m.meeting_id.to_string(),
                subject: crate::text::bounded(m.subject.clone(), MAX_SUBJECT),
                start_time: m.start_time.map(|t| t.to_string()),
            })
            .collect(),
    };
    if let Some(p) = previous
        && p.upcoming_meeting_count == audit.upcoming_meeting_count
        && p.digest == audit.digest
        && p.upcoming_meetings == audit.upcoming_meetings
    {
        audit.audited_at = p.audited_at.clone();
    }
    audit
}

/// What a `Deleted` Event says of an organizer found gone when it was to be deleted, given how
/// many upcoming meetings the last audit found.
fn gone_message(key: &str, audited: usize) -> String {
    if audited == 0 {
        format!(
            "organizer {key} was already gone from GoTo; the last audit found no upcoming meeting"
        )
    } else {
        format!(
            "organizer {key} was already gone from GoTo (a DELETE whose answer was lost, or someone else's); up to {audited} upcoming meeting(s) of the last audit were cancelled"
        )
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
        .or_else(|| plan.subject_key())
        .unwrap_or_default();
    let email = outcome
        .organizer
        .as_ref()
        .map(|o| o.email.clone())
        .unwrap_or_default();
    // Writing to an organizer already recorded under the same generation corrects drift; any
    // other write sets what the spec (new or changed) asks for.
    let correcting = plan.updates_recorded()
        && previous.observed_generation == generation
        && previous.organizer_key.is_some();
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
            Step::Suspended => normal(event::SUSPENDED, plan.suspended_message(&key)),
            Step::Deleted {
                already_gone: true,
                cancelled,
            } => normal(event::DELETED, gone_message(&key, *cancelled)),
            Step::Deleted { cancelled: 0, .. } => normal(
                event::DELETED,
                format!("deleted organizer {key}; it had no upcoming meetings, 0 cancelled"),
            ),
            Step::Deleted { cancelled, .. } => normal(
                event::DELETED,
                format!(
                    "deleted organizer {key}; GoTo cancelled its {cancelled} upcoming meeting(s) (consented: onUpcomingMeetings: Cancel, or the cancel-meetings annotation naming the audit)"
                ),
            ),
        })
        .collect()
}

fn success_conditions(
    plan: &Plan,
    outcome: &Outcome,
    spec: &GoToOrganizerSpec,
    generation: Option<i64>,
    now: Timestamp,
) -> Option<Vec<Condition>> {
    let o = outcome.organizer.as_ref()?;
    let key = &o.organizer_key;
    // The Ready message, and why GoTo is not in sync with the spec, if it is not.
    let (ready, out_of_sync) = if let Some(drift) = plan.observed_drift() {
        let drifted = (!drift.fields.is_empty()).then(|| {
            let fields: Vec<String> = drift.fields.iter().map(ToString::to_string).collect();
            (
                reason::DRIFTED,
                format!(
                    "GoTo differs from the spec in: {} (Observe: not corrected)",
                    fields.join(", ")
                ),
            )
        });
        let ready = format!("observing organizer {key} (Observe: nothing is written to GoTo)");
        (ready, drifted)
    } else if plan.manages() {
        let kept = plan
            .changes()
            .is_some_and(|c| c.kept_outside_suspension)
            .then(|| {
                (
                    reason::SUSPENDED_EXTERNALLY,
                    format!(
                        "organizer {key} was suspended in GoTo outside the operator; kept (onExternalSuspend: Respect)"
                    ),
                )
            })
            .or_else(|| plan.changes().and_then(|c| not_supported(&c.unsupported)))
            .or_else(|| not_supported(&outcome.not_sent));
        let mut ready = format!("organizer {key} is {}", state(o));
        if let Some(at) = pending_suspend_at(spec, o, now) {
            ready.push_str(&format!("; it will be suspended at {at} (suspendAt)"));
        }
        (ready, kept)
    } else {
        return None;
    };
    let synced = match out_of_sync {
        Some((reason, message)) => conditions::at(SYNCED, false, reason, message, generation, now),
        None => conditions::at(
            SYNCED,
            true,
            reason::IN_SYNC,
            "GoTo matches the spec",
            generation,
            now,
        ),
    };
    let ready = conditions::at(READY, true, reason::RECONCILED, ready, generation, now);
    Some(vec![ready, synced])
}

/// Synced=False `NotSupportedByApi` when the spec differs from GoTo in fields the account's
/// dialect cannot change (GoTo's v1).
fn not_supported(unsupported: &[diff::FieldChange]) -> Option<(&'static str, String)> {
    if unsupported.is_empty() {
        return None;
    }
    let fields: Vec<String> = unsupported.iter().map(ToString::to_string).collect();
    Some((
        reason::NOT_SUPPORTED_BY_API,
        format!(
            "the account's API (v1) cannot change {}; not sent. Change them in GoTo's admin \
             center, or use an endpoint of the v2 API",
            fields.join(", ")
        ),
    ))
}

/// The `suspendAt` still to come, for the Ready message.
fn pending_suspend_at(spec: &GoToOrganizerSpec, o: &Organizer, now: Timestamp) -> Option<String> {
    let at = spec.suspend_at.as_ref()?.0;
    (at > now && !spec.suspended && o.status != Some(OrganizerStatus::Suspended))
        .then(|| at.to_string())
}

fn normal(reason: &'static str, note: String) -> Note {
    Note {
        type_: EventType::Normal,
        reason,
        action: reason,
        note,
    }
}
