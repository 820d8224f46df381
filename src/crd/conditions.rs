//! Condition types and reasons: stable strings that Argo CD health checks and alerts key on.
//! Every condition is built here, so no reason string is typed anywhere else.
use crate::text::bounded;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// The object is in the state its spec asks for.
pub const READY: &str = "Ready";
/// GoTo matches the spec (only meaningful once the organizer exists).
pub const SYNCED: &str = "Synced";
/// GoToAccount: True while the deletion of any of its organizers waits for a person. Argo CD
/// never runs a health check on an object being deleted, so the account carries the signal.
pub const OFFBOARDING_BLOCKED: &str = "OffboardingBlocked";

/// The stable reasons, one constant each.
pub mod reason {
    /// Ready=True: GoTo matches the spec.
    pub const RECONCILED: &str = "Reconciled";
    /// Ready=False: GoTo answered 402/409 to a create: no paid seat left.
    pub const SEAT_UNAVAILABLE: &str = "SeatUnavailable";
    /// Ready=False: the spec or an annotation cannot be acted on.
    pub const INVALID_SPEC: &str = "InvalidSpec";
    /// Ready=False: the referenced GoToAccount does not exist in this namespace.
    pub const ACCOUNT_NOT_FOUND: &str = "AccountNotFound";
    /// Ready=False: the referenced GoToAccount cannot be used yet (Secret missing, not Ready).
    pub const ACCOUNT_NOT_READY: &str = "AccountNotReady";
    /// Ready=False: GoTo rejected the credentials (401/403 after one token renewal).
    pub const CREDENTIALS_INVALID: &str = "CredentialsInvalid";
    /// Ready=False: GoTo answered 429; the operator waits for Retry-After.
    pub const RATE_LIMITED: &str = "RateLimited";
    /// Ready=False: GoTo answered 5xx or timed out; the operator backs off and retries.
    pub const GOTO_UNAVAILABLE: &str = "GoToUnavailable";
    /// Ready=False: deletion waits because the organizer has upcoming meetings.
    pub const DELETION_BLOCKED: &str = "DeletionBlocked";
    /// Ready=False: the `goto-operator.dev/paused` annotation is set.
    pub const PAUSED: &str = "Paused";
    /// Ready=False: Observe mode or `adoptionPolicy: AdoptOnly`, and there is no such organizer
    /// in GoTo.
    pub const ORGANIZER_NOT_FOUND: &str = "OrganizerNotFound";
    /// Ready=False: the meeting audit before a Delete could not be read completely; nothing was
    /// deleted.
    pub const AUDIT_FAILED: &str = "AuditFailed";
    /// Ready=False: another GoToOrganizer (named in the message) owns this GoTo organizer.
    pub const OWNED_ELSEWHERE: &str = "OwnedElsewhere";
    /// Ready=False: `adoptionPolicy: CreateOnly` and an organizer with this email exists.
    pub const ALREADY_EXISTS: &str = "AlreadyExists";
    /// Ready=False: the organizer was deleted in GoTo and `onExternalDelete: Report`.
    pub const DELETED_EXTERNALLY: &str = "DeletedExternally";
    /// Synced=True.
    pub const IN_SYNC: &str = "InSync";
    /// Synced=False: GoTo differs from the spec (reported, and corrected unless Observe).
    pub const DRIFTED: &str = "Drifted";
    /// Synced=False: suspended in GoTo by someone else, kept (`onExternalSuspend: Respect`).
    pub const SUSPENDED_EXTERNALLY: &str = "SuspendedExternally";
    /// GoToAccount Ready=True: a token was obtained with the credentials.
    pub const AUTHENTICATED: &str = "Authenticated";
    /// GoToAccount Ready=False: the Secret or one of its keys is missing.
    pub const SECRET_NOT_FOUND: &str = "SecretNotFound";
    /// Account: the endpoint answers like the other dialect of GoTo's API (the message names
    /// the `api` to set).
    pub const WRONG_API: &str = "WrongApi";
    /// Synced: the spec asks for something the account's API dialect cannot change (GoTo's v1:
    /// names after the create, locale, time zone, roles); not sent, the fields named.
    pub const NOT_SUPPORTED_BY_API: &str = "NotSupportedByApi";
    /// GoToAccount OffboardingBlocked=True: the deletion of one or more of its organizers waits
    /// for a person (the message names them).
    pub const DELETIONS_BLOCKED: &str = "DeletionsBlocked";
    /// GoToAccount OffboardingBlocked=False: no deletion waits.
    pub const NONE: &str = "None";
}

/// The Event reasons, one constant each (API.md "Events"). Event `action`s are the same
/// strings, except where noted.
pub mod event {
    /// An organizer was created in GoTo.
    pub const CREATED: &str = "Created";
    /// An existing organizer was adopted (annotation or email match).
    pub const ADOPTED: &str = "Adopted";
    /// Fields were written with one full PUT.
    pub const UPDATED: &str = "Updated";
    /// The organizer was suspended (by the spec, `suspendAt`, or a deletion policy).
    pub const SUSPENDED: &str = "Suspended";
    /// The organizer was resumed.
    pub const RESUMED: &str = "Resumed";
    /// The organizer was deleted out of band and created again.
    pub const RECREATED: &str = "Recreated";
    /// The upcoming meetings were listed before a Delete.
    pub const MEETINGS_AUDITED: &str = "MeetingsAudited";
    /// A Delete waits for upcoming meetings to be reassigned.
    pub const DELETION_BLOCKED: &str = "DeletionBlocked";
    /// The organizer was deleted in GoTo.
    pub const DELETED: &str = "Deleted";
    /// The object went away leaving its organizer untouched (Orphan, Observe).
    pub const ORPHANED: &str = "Orphaned";
    /// No seat was free for a create.
    pub const SEAT_UNAVAILABLE: &str = "SeatUnavailable";
    /// GoTo refused the account's credentials.
    pub const CREDENTIALS_INVALID: &str = "CredentialsInvalid";
    /// The meeting audit could not be read completely.
    pub const AUDIT_FAILED: &str = "AuditFailed";
    /// Another object owns the organizer this one names.
    pub const OWNED_ELSEWHERE: &str = "OwnedElsewhere";
    /// The finalizer was released without touching GoTo (nothing recorded, or owned elsewhere).
    pub const RELEASED: &str = "Released";
    /// Event action of an `Updated` that set fields the spec asks for (create, adopt, spec change).
    pub const ACTION_UPDATE: &str = "Update";
    /// Event action of an `Updated` that corrected an out-of-band change.
    pub const ACTION_CORRECT_DRIFT: &str = "CorrectDrift";
    /// Every Event reason above, for the README check.
    pub const ALL: &[&str] = &[
        CREATED,
        ADOPTED,
        UPDATED,
        SUSPENDED,
        RESUMED,
        RECREATED,
        MEETINGS_AUDITED,
        DELETION_BLOCKED,
        DELETED,
        ORPHANED,
        SEAT_UNAVAILABLE,
        CREDENTIALS_INVALID,
        AUDIT_FAILED,
        OWNED_ELSEWHERE,
        RELEASED,
    ];
}

/// The longest condition message: Kubernetes allows 32 KiB, but a message can quote text from
/// GoTo (an error body, an unknown status), and no answer may grow every status it touches.
pub const MAX_MESSAGE: usize = 1024;

/// Builds a condition stamped now; [`merge`] keeps the old transition time when nothing changed.
pub fn new(
    type_: &str,
    status: bool,
    reason: &str,
    message: impl Into<String>,
    generation: Option<i64>,
) -> Condition {
    Condition {
        type_: type_.to_string(),
        status: if status { "True" } else { "False" }.to_string(),
        reason: reason.to_string(),
        message: bounded(message, MAX_MESSAGE),
        observed_generation: generation,
        last_transition_time: Time(jiff::Timestamp::now()),
    }
}

/// Builds a condition stamped `at` (pure: the reconcile's report passes its clock in).
pub fn at(
    type_: &str,
    status: bool,
    reason: &str,
    message: impl Into<String>,
    generation: Option<i64>,
    at: jiff::Timestamp,
) -> Condition {
    Condition {
        type_: type_.to_string(),
        status: if status { "True" } else { "False" }.to_string(),
        reason: reason.to_string(),
        message: bounded(message, MAX_MESSAGE),
        observed_generation: generation,
        last_transition_time: Time(at),
    }
}

/// Ready=True, reason Reconciled.
pub fn ready(message: impl Into<String>, generation: Option<i64>) -> Condition {
    new(READY, true, reason::RECONCILED, message, generation)
}

/// Ready=False with one of the reasons above.
pub fn not_ready(reason: &str, message: impl Into<String>, generation: Option<i64>) -> Condition {
    new(READY, false, reason, message, generation)
}

/// Synced=True (InSync) or Synced=False (Drifted).
pub fn synced(in_sync: bool, message: impl Into<String>, generation: Option<i64>) -> Condition {
    let reason = if in_sync {
        reason::IN_SYNC
    } else {
        reason::DRIFTED
    };
    new(SYNCED, in_sync, reason, message, generation)
}

/// A GoToAccount's OffboardingBlocked: True (`DeletionsBlocked`) while any of its organizers'
/// deletion waits for a person, False (`None`) otherwise.
pub fn offboarding_blocked(
    blocked: bool,
    message: impl Into<String>,
    generation: Option<i64>,
    now: jiff::Timestamp,
) -> Condition {
    let reason = if blocked {
        reason::DELETIONS_BLOCKED
    } else {
        reason::NONE
    };
    at(
        OFFBOARDING_BLOCKED,
        blocked,
        reason,
        message,
        generation,
        now,
    )
}

/// Replaces conditions of the same type in `current` by `updates`, keeping each condition's
/// `lastTransitionTime` when its status did not change, so that timestamps move only on
/// transitions and an unchanged status needs no write.
pub fn merge(current: &[Condition], updates: Vec<Condition>) -> Vec<Condition> {
    let mut out: Vec<Condition> = current
        .iter()
        .filter(|c| !updates.iter().any(|u| u.type_ == c.type_))
        .cloned()
        .collect();
    for mut update in updates {
        if let Some(old) = current.iter().find(|c| c.type_ == update.type_)
            && old.status == update.status
        {
            update.last_transition_time = old.last_transition_time.clone();
        }
        out.push(update);
    }
    out.sort_by(|a, b| a.type_.cmp(&b.type_));
    out
}

/// The condition of a type, if present.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 21 (5): text from GoTo (an error body, a 1 MiB status word) cannot grow a status.
    #[test]
    fn messages_are_bounded_on_a_character_boundary() {
        let huge = "é".repeat(1 << 20);
        let c = not_ready("GoToUnavailable", huge, Some(1));
        assert_eq!(c.message.chars().count(), MAX_MESSAGE);
        assert!(c.message.ends_with('…'));
    }

    #[test]
    fn merge_keeps_transition_time_when_status_is_unchanged() {
        let mut old = ready("first", Some(1));
        old.last_transition_time = Time(jiff::Timestamp::UNIX_EPOCH);
        let merged = merge(std::slice::from_ref(&old), vec![ready("second", Some(2))]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].last_transition_time, old.last_transition_time);
        assert_eq!(merged[0].message, "second");
        assert_eq!(merged[0].observed_generation, Some(2));
    }

    #[test]
    fn merge_moves_transition_time_on_a_status_change() {
        let mut old = ready("ok", Some(1));
        old.last_transition_time = Time(jiff::Timestamp::UNIX_EPOCH);
        let merged = merge(&[old], vec![not_ready(reason::PAUSED, "paused", Some(1))]);
        assert_ne!(
            merged[0].last_transition_time.0,
            jiff::Timestamp::UNIX_EPOCH
        );
        assert_eq!(merged[0].reason, reason::PAUSED);
    }

    #[test]
    fn merge_keeps_other_types_and_sorts() {
        let merged = merge(&[synced(true, "", None)], vec![ready("", None)]);
        let types: Vec<_> = merged.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(types, [READY, SYNCED]);
    }
}
