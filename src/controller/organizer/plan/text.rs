//! The plan's words: the line it prints as, and the messages of its failures.
use std::fmt;

use super::{Plan, Via};
use crate::controller::error::Error;
use crate::controller::organizer::consent;
use crate::controller::organizer::diff::{self, Changes};
use crate::goto::Meeting;

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
                if !changes.is_empty() || !changes.unsupported.is_empty() {
                    write!(f, ", then {}", changes_text(changes))?;
                }
                Ok(())
            }
            Plan::WaitForSeat {
                account,
                position,
                waiting,
            } => write!(f, "{}", waiting_message(account, *position, *waiting)),
            _ => self.fmt_existing(f),
        }
    }
}

impl Plan {
    /// The line of a plan about an organizer that exists, or did.
    fn fmt_existing(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plan::Update { changes, .. } => write!(f, "{}", changes_text(changes)),
            Plan::Nothing { changes, .. } if changes.kept_outside_suspension => {
                write!(f, "nothing (suspended outside the operator; kept)")
            }
            Plan::Nothing { changes, .. } if !changes.unsupported.is_empty() => {
                write!(f, "nothing to send; {}", changes_text(changes))
            }
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
                "block: organizer {key} has {} upcoming meeting(s){} (audit digest {}: the {} annotation naming it consents to cancelling exactly these)",
                meetings.len(),
                subjects(meetings),
                consent::digest(meetings),
                consent::ANNOTATION
            ),
            Plan::SuspendBeforeDelete { key, meetings } => write!(
                f,
                "suspend organizer {key}, audit again, then delete it (cancelling {} meeting(s){}; audit digest {})",
                meetings.len(),
                subjects(meetings),
                consent::digest(meetings)
            ),
            Plan::Delete { key, meetings } => write!(
                f,
                "delete organizer {key} (cancelling {} meeting(s){}; audit digest {})",
                meetings.len(),
                subjects(meetings),
                consent::digest(meetings)
            ),
            _ => write!(f, "nothing"),
        }
    }
}

/// The failure of a deletion that waits for meetings.
pub fn blocked(key: &str, meetings: &[Meeting]) -> Error {
    Error::DeletionBlocked(format!(
        "organizer {key} still has {} upcoming meeting(s){}; reassign them, or consent to cancelling exactly these with the annotation {}={} (GoTo cancels them without notice)",
        meetings.len(),
        subjects(meetings),
        consent::ANNOTATION,
        consent::digest(meetings)
    ))
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
    if !changes.unsupported.is_empty() {
        parts.push(format!(
            "report what the API (v1) cannot change: {}",
            join(&changes.unsupported)
        ));
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
