//! The plan: the one thing a reconcile does, for apply and cleanup alike, as a value that prints
//! as one line (`update firstName: Jane -> Janet`, `adopt key 7 (by email)`), so that a preview
//! (`goto-operator plan`) shows exactly what the controller would do.
//!
//! The plan owns its meaning: what it writes, which organizer and audit it is about, the failure
//! it ends in and the Event it makes are methods here, and its words (the line it prints as, the
//! messages of its failures) are in `plan/text.rs`; `act`, `report`, the seat queue and the
//! preview ask the plan rather than match its variants. Only `decide` builds plans, and the
//! writes a plan makes start in one place, `Next::first` (`plan/task.rs`, with the pauses where a
//! GoTo answer needs `decide` again). The organizer module exports it (`organizer::Plan`).
mod task;
mod text;

use super::diff::Changes;
use crate::controller::error::Error;
use crate::crd::conditions::event;
use crate::goto::{Meeting, NewOrganizer, Organizer, OrganizerStatus};

pub use task::{After, Next, Pause, Task};
pub use text::{blocked, subjects, waiting_message};

/// How an existing organizer was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The organizer-key annotation.
    Annotation,
    /// The spec's email.
    Email,
}

/// The one thing a reconcile does.
#[derive(Clone, Debug)]
pub enum Plan {
    /// The paused annotation: act on nothing, keep status.
    Paused,
    /// A failure, with its reason (`Error::reason`); nothing is written to GoTo.
    Fail(Error),
    /// Create the organizer; then one full PUT for what a create cannot carry (locale, time
    /// zone, admin roles) and a suspend, if the spec asks.
    Create {
        /// The create body.
        new: NewOrganizer,
        /// Fields the follow-up PUT will set (for the preview; the PUT is planned from GoTo's
        /// answer).
        then: Vec<&'static str>,
        /// The spec asks for a suspended seat.
        suspend: bool,
    },
    /// The recorded organizer was deleted out of band: create it again.
    Recreate {
        /// The key that was recorded.
        previous: String,
        /// The create body.
        new: NewOrganizer,
    },
    /// Take over an existing organizer, then bring it in line.
    Adopt {
        /// The organizer.
        organizer: Organizer,
        /// How it was matched.
        via: Via,
        /// The writes that follow.
        changes: Changes,
    },
    /// Bring the recorded organizer in line: one full PUT, a resume, a suspend.
    Update {
        /// The organizer as observed.
        organizer: Organizer,
        /// The writes.
        changes: Changes,
    },
    /// GoTo already matches the spec.
    Nothing {
        /// The organizer as observed.
        organizer: Organizer,
        /// Empty writes; carries notes (an outside suspension kept).
        changes: Changes,
    },
    /// `managementPolicy: Observe`: report how GoTo differs, write nothing.
    Observe {
        /// The organizer as observed.
        organizer: Organizer,
        /// Found just now (annotation or email) rather than recorded before.
        found: Option<Via>,
        /// How it differs from the spec.
        drift: Changes,
    },
    /// Older objects of the account wait for a paid seat: wait for them, no GoTo call (see
    /// `seat_queue`).
    WaitForSeat {
        /// GoTo's account key.
        account: String,
        /// 1-based place in the account's seat queue.
        position: usize,
        /// How many wait, this object included.
        waiting: usize,
    },
    /// Deleting: release the finalizer and touch nothing (nothing recorded, or owned elsewhere).
    Release {
        /// Why nothing is touched.
        why: String,
    },
    /// Deleting with Orphan (or Observe): release, touch nothing.
    Orphan {
        /// The organizer left behind, if one was recorded.
        key: Option<String>,
        /// Which policy said so.
        why: &'static str,
    },
    /// Deleting: the recorded organizer is already gone from GoTo.
    Gone {
        /// The recorded key.
        key: String,
    },
    /// Deleting with `deletionPolicy: Suspend`: suspend (unless already), then release.
    SuspendAndRelease {
        /// The organizer.
        organizer: Organizer,
    },
    /// Deleting: upcoming meetings and `onUpcomingMeetings: Block`.
    Block {
        /// The organizer's key.
        key: String,
        /// The audit.
        meetings: Vec<Meeting>,
    },
    /// Deleting: the audit allows it; suspend the seat first, audit again, and DELETE only if
    /// that second audit still allows it.
    SuspendBeforeDelete {
        /// The organizer's key.
        key: String,
        /// The first audit.
        meetings: Vec<Meeting>,
    },
    /// Deleting: the organizer is suspended and an audit made after that allows the DELETE.
    Delete {
        /// The organizer's key.
        key: String,
        /// The audit: these meetings are cancelled (only with `onUpcomingMeetings: Cancel`).
        meetings: Vec<Meeting>,
    },
}

impl Plan {
    /// Whether carrying the plan out writes to GoTo (a `plan` preview exits 2 on these).
    pub fn writes(&self) -> bool {
        match self {
            Plan::Create { .. }
            | Plan::Recreate { .. }
            | Plan::SuspendBeforeDelete { .. }
            | Plan::Delete { .. } => true,
            Plan::Adopt { changes, .. } | Plan::Update { changes, .. } => !changes.is_empty(),
            Plan::SuspendAndRelease { organizer } => {
                organizer.status != Some(OrganizerStatus::Suspended)
            }
            _ => false,
        }
    }

    /// One line saying what the plan does, e.g. `update firstName: Jane -> Janet`.
    pub fn describe(&self) -> String {
        self.to_string()
    }

    /// The existing organizer the plan starts from, if it names one.
    pub fn organizer(&self) -> Option<&Organizer> {
        match self {
            Plan::Adopt { organizer, .. }
            | Plan::Update { organizer, .. }
            | Plan::Nothing { organizer, .. }
            | Plan::Observe { organizer, .. }
            | Plan::SuspendAndRelease { organizer } => Some(organizer),
            _ => None,
        }
    }

    /// The key of the organizer the plan is about, if it names one.
    pub fn subject_key(&self) -> Option<String> {
        match self {
            Plan::Block { key, .. }
            | Plan::SuspendBeforeDelete { key, .. }
            | Plan::Delete { key, .. }
            | Plan::Gone { key } => Some(key.clone()),
            Plan::Orphan { key, .. } => key.clone(),
            _ => self.organizer().map(|o| o.organizer_key.to_string()),
        }
    }

    /// How GoTo differs from the spec, for plans that compared them (for `Observe`: the drift
    /// that is reported, not corrected).
    pub fn changes(&self) -> Option<&Changes> {
        match self {
            Plan::Adopt { changes, .. }
            | Plan::Update { changes, .. }
            | Plan::Nothing { changes, .. } => Some(changes),
            Plan::Observe { drift, .. } => Some(drift),
            _ => None,
        }
    }

    /// The drift an `Observe` plan reports.
    pub fn observed_drift(&self) -> Option<&Changes> {
        match self {
            Plan::Observe { drift, .. } => Some(drift),
            _ => None,
        }
    }

    /// The meeting audit a deletion plan was made from.
    pub fn audit(&self) -> Option<&[Meeting]> {
        match self {
            Plan::Block { meetings, .. }
            | Plan::SuspendBeforeDelete { meetings, .. }
            | Plan::Delete { meetings, .. } => Some(meetings),
            _ => None,
        }
    }

    /// Whether the plan keeps an organizer as the spec says (creates, adopts, updates or finds
    /// nothing to do), as opposed to observing it, failing, waiting or deleting.
    pub fn manages(&self) -> bool {
        self.creates()
            || matches!(
                self,
                Plan::Adopt { .. } | Plan::Update { .. } | Plan::Nothing { .. }
            )
    }

    /// Whether the plan creates an organizer (a create or a re-create).
    pub fn creates(&self) -> bool {
        matches!(self, Plan::Create { .. } | Plan::Recreate { .. })
    }

    /// Whether the plan brings the organizer this object recorded in line (rather than one it
    /// creates or adopts now): its writes correct drift when the spec did not change.
    pub fn updates_recorded(&self) -> bool {
        matches!(self, Plan::Update { .. })
    }

    /// Whether the object waits for older objects of its account to get a paid seat.
    pub fn waits_for_seat(&self) -> bool {
        matches!(self, Plan::WaitForSeat { .. })
    }

    /// Whether the plan is a failure to read (GoTo or its token endpoint unavailable or rate
    /// limited, the Kubernetes API, an internal error): what the object needs is not known.
    pub fn undecided(&self) -> bool {
        match self {
            Plan::Fail(Error::GoTo(e) | Error::TokenEndpoint(e)) => e.is_transient(),
            Plan::Fail(Error::Kube(_) | Error::Internal(_)) => true,
            _ => false,
        }
    }

    /// The failure the plan itself ends in, before anything is carried out (it keeps the
    /// finalizer and picks the requeue).
    pub fn failure(&self) -> Option<Error> {
        match self {
            Plan::Paused => Some(Error::Paused),
            Plan::Fail(e) => Some(e.clone()),
            Plan::Block { key, meetings } => Some(blocked(key, meetings)),
            Plan::WaitForSeat {
                account,
                position,
                waiting,
            } => Some(Error::WaitingForSeat(waiting_message(
                account, *position, *waiting,
            ))),
            _ => None,
        }
    }

    /// The Event the plan makes whatever its writes (adopting, releasing, orphaning): its reason
    /// and note.
    pub fn event(&self) -> Option<(&'static str, String)> {
        match self {
            Plan::Adopt { organizer, .. }
            | Plan::Observe {
                organizer,
                found: Some(_),
                ..
            } => Some((
                event::ADOPTED,
                format!(
                    "adopted existing organizer {} ({})",
                    organizer.organizer_key, organizer.email
                ),
            )),
            Plan::Release { why } => Some((
                event::RELEASED,
                format!("released the finalizer without touching GoTo: {why}"),
            )),
            Plan::Orphan { key, why } => Some((
                event::ORPHANED,
                match key {
                    Some(key) => format!("left organizer {key} untouched in GoTo ({why})"),
                    None => format!("left GoTo untouched ({why})"),
                },
            )),
            _ => None,
        }
    }

    /// The note of the `Suspended` Event when this plan suspended organizer `key`.
    pub fn suspended_message(&self, key: &str) -> String {
        match self {
            Plan::SuspendAndRelease { .. } => {
                format!(
                    "suspended organizer {key} (deletionPolicy Suspend): data and meetings kept"
                )
            }
            Plan::SuspendBeforeDelete { .. } => format!(
                "suspended organizer {key} before deleting it, so no meeting can be booked between the audit and the DELETE"
            ),
            _ if self.changes().is_some_and(|c| c.scheduled) => format!(
                "suspended organizer {key} as scheduled (suspendAt): cannot host, meetings kept"
            ),
            _ => format!("suspended organizer {key}: cannot host, meetings kept"),
        }
    }
}
