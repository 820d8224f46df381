//! What remains of a plan while `act` carries it out ([`Next`]): a GoTo write ([`Task`]), or a
//! point where a write's answer (or the DELETE to come) needs a decision before the plan goes on
//! ([`Pause`]); and that decision ([`After`], made by `decide::after`). The writer (`write`)
//! carries tasks out and decides nothing; `act` runs the loop between the two.
use super::Plan;
use crate::controller::organizer::diff::{Changes, FieldChange};
use crate::goto::{Meeting, NewOrganizer, Organizer, OrganizerKey};

/// One step of GoTo writes.
#[derive(Clone, Debug)]
pub enum Task {
    /// Create the organizer (in place of `previous`, deleted out of band).
    Create {
        /// The create body.
        new: NewOrganizer,
        /// The recorded key of the organizer deleted out of band.
        previous: Option<String>,
    },
    /// A create met the organizer that has the email: read it in full and take it.
    TakeOver {
        /// The organizer GoTo's 409 named.
        key: OrganizerKey,
    },
    /// One full PUT (which may resume), then a suspend.
    Converge {
        /// The organizer as it stands.
        organizer: Box<Organizer>,
        /// The writes.
        changes: Changes,
    },
    /// Suspend and release the seat (`deletionPolicy: Suspend`); already gone is fine.
    Suspend {
        /// The organizer.
        key: OrganizerKey,
    },
    /// Suspend, then read the upcoming meetings again (the second audit).
    SuspendAndAudit {
        /// The organizer.
        key: String,
        /// How many meetings the first audit found.
        audited: usize,
    },
    /// The DELETE, which cancels `meetings`; only as `decide` confirmed it against the object
    /// read right before ([`Pause::BeforeDelete`]).
    Delete {
        /// The organizer.
        key: String,
        /// The upcoming meetings it cancels.
        meetings: Vec<Meeting>,
    },
}

/// What carrying a plan out does next.
#[derive(Clone, Debug)]
pub enum Next {
    /// Carry this task out.
    Write(Task),
    /// Ask `decide` about this pause.
    Ask(Pause),
}

impl Next {
    /// Where carrying `plan` out starts, if it writes to GoTo.
    pub fn first(plan: &Plan) -> Option<Next> {
        if !plan.writes() {
            return None;
        }
        let task = match plan {
            Plan::Create { new, .. } => Task::Create {
                new: new.clone(),
                previous: None,
            },
            Plan::Recreate { previous, new } => Task::Create {
                new: new.clone(),
                previous: Some(previous.clone()),
            },
            Plan::Adopt {
                organizer, changes, ..
            }
            | Plan::Update { organizer, changes } => Task::Converge {
                organizer: Box::new(organizer.clone()),
                changes: changes.clone(),
            },
            Plan::SuspendAndRelease { organizer } => Task::Suspend {
                key: organizer.organizer_key.clone(),
            },
            Plan::SuspendBeforeDelete { key, meetings } => Task::SuspendAndAudit {
                key: key.clone(),
                audited: meetings.len(),
            },
            Plan::Delete { key, meetings } => {
                return Some(Next::Ask(Pause::BeforeDelete {
                    key: key.clone(),
                    meetings: meetings.clone(),
                }));
            }
            _ => return None,
        };
        Some(Next::Write(task))
    }
}

/// Where a task's answer needs a decision before the plan goes on.
#[derive(Clone, Debug)]
pub enum Pause {
    /// The create answered 409: GoTo has an organizer with the email (another process created
    /// it a moment ago).
    Conflict(Organizer),
    /// The organizer was created (or taken over): what does it still need?
    Created(Organizer),
    /// The organizer is suspended and its meetings were read again.
    Audited {
        /// The organizer.
        key: String,
        /// The upcoming meetings the second audit found.
        meetings: Vec<Meeting>,
    },
    /// Right before a DELETE: the object is read again and must still ask for it.
    BeforeDelete {
        /// The organizer.
        key: String,
        /// The upcoming meetings it cancels.
        meetings: Vec<Meeting>,
    },
}

/// What follows a pause.
#[derive(Clone, Debug)]
pub enum After {
    /// The plan is carried out. `not_sent`: what the created organizer keeps different from the
    /// spec because the account's dialect cannot write it.
    Done {
        /// Fields the dialect cannot write.
        not_sent: Vec<FieldChange>,
    },
    /// Go on with this task.
    Then(Task),
    /// Record the created organizer's key in status first (a crash from then on resumes from
    /// it), then converge it ([`Task::Converge`]).
    RecordKeyThen {
        /// The organizer created.
        organizer: Box<Organizer>,
        /// What it still needs.
        changes: Changes,
    },
    /// Read the object as the Kubernetes API has it now, then ask about the pause again.
    ReadObjectThen(Pause),
}
