//! The plan: the one thing a reconcile does, for apply and cleanup alike, as a value that prints
//! as one line (`update firstName: Jane -> Janet`, `adopt key 7 (by email)`), so that a preview
//! (`goto-operator plan`) shows exactly what the controller would do.
use std::fmt;

use super::diff::{self, Changes};
use crate::controller::error::Error;
use crate::goto::{Meeting, NewOrganizer, Organizer, OrganizerStatus};

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
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plan::Paused => write!(f, "nothing (paused)"),
            Plan::Fail(e) => write!(
                f,
                "fail {}: {e}",
                e.reason().unwrap_or("(retried, not shown)")
            ),
            Plan::Create { new, then, suspend } => {
                write!(f, "create organizer for {}", new.email)?;
                if !then.is_empty() {
                    write!(f, ", then set {}", then.join(", "))?;
                }
                if *suspend {
                    write!(f, ", then suspend")?;
                }
                Ok(())
            }
            Plan::Recreate { previous, new } => write!(
                f,
                "re-create organizer for {} (organizer {previous} was deleted outside the operator)",
                new.email
            ),
            Plan::Adopt {
                organizer,
                changes,
                via,
            } => {
                let via = match via {
                    Via::Annotation => "annotation",
                    Via::Email => "email",
                };
                write!(f, "adopt key {} (by {via})", organizer.organizer_key)?;
                if !changes.is_empty() {
                    write!(f, ", then {}", changes_text(changes))?;
                }
                Ok(())
            }
            Plan::Update { changes, .. } => write!(f, "{}", changes_text(changes)),
            Plan::Nothing { changes, .. } if changes.kept_outside_suspension => {
                write!(f, "nothing (suspended outside the operator; kept)")
            }
            Plan::Nothing { .. } => write!(f, "nothing"),
            Plan::Observe {
                organizer, drift, ..
            } if drift.fields.is_empty() => {
                write!(
                    f,
                    "nothing (observing organizer {})",
                    organizer.organizer_key
                )
            }
            Plan::Observe { drift, .. } => write!(
                f,
                "report drift (Observe, not corrected): {}",
                join(&drift.fields)
            ),
            Plan::WaitForSeat {
                account,
                position,
                waiting,
            } => write!(f, "{}", waiting_message(account, *position, *waiting)),
            Plan::Release { why } => write!(f, "release the finalizer, touch nothing ({why})"),
            Plan::Orphan { key, why } => match key {
                Some(key) => write!(f, "leave organizer {key} untouched ({why})"),
                None => write!(f, "leave GoTo untouched ({why})"),
            },
            Plan::Gone { key } => write!(f, "nothing (organizer {key} is already gone)"),
            Plan::SuspendAndRelease { organizer } => {
                write!(f, "suspend organizer {}, keep it", organizer.organizer_key)
            }
            Plan::Block { key, meetings } => write!(
                f,
                "block: organizer {key} has {} upcoming meeting(s){}",
                meetings.len(),
                subjects(meetings)
            ),
            Plan::SuspendBeforeDelete { key, meetings } => write!(
                f,
                "suspend organizer {key}, audit again, then delete it (cancelling {} meeting(s){})",
                meetings.len(),
                subjects(meetings)
            ),
            Plan::Delete { key, meetings } => write!(
                f,
                "delete organizer {key} (cancelling {} meeting(s){})",
                meetings.len(),
                subjects(meetings)
            ),
        }
    }
}

/// What a waiting object says: its place in its account's seat queue.
pub fn waiting_message(account: &str, position: usize, waiting: usize) -> String {
    format!(
        "waiting for a paid seat in account {account}: number {position} of {waiting} in the queue (the oldest waiter retries; buy or free a seat)"
    )
}

fn changes_text(changes: &Changes) -> String {
    let mut parts = Vec::new();
    let fields: Vec<_> = changes
        .fields
        .iter()
        .filter(|c| c.field != "status")
        .cloned()
        .collect();
    if !fields.is_empty() {
        parts.push(format!("update {}", join(&fields)));
    }
    if changes.resume {
        parts.push("resume".to_string());
    }
    if changes.suspend {
        parts.push(if changes.scheduled {
            "suspend (suspendAt passed)".to_string()
        } else {
            "suspend".to_string()
        });
    }
    if parts.is_empty() {
        "nothing".to_string()
    } else {
        parts.join(", ")
    }
}

fn join(fields: &[diff::FieldChange]) -> String {
    fields
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A few meetings, for messages.
pub fn subjects(meetings: &[Meeting]) -> String {
    if meetings.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = meetings
        .iter()
        .take(3)
        .map(|m| match &m.start_time {
            Some(t) => format!("{:?} at {t}", m.subject),
            None => format!("{:?}", m.subject),
        })
        .collect();
    let more = meetings.len() - shown.len();
    if more > 0 {
        format!(": {} and {more} more", shown.join(", "))
    } else {
        format!(": {}", shown.join(", "))
    }
}
