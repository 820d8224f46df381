//! The GoToAccount's status from what its reconcile found: pure, with the clock passed in, as
//! the organizer reconcile's report is. The reconcile gathers [`Facts`], this says what the
//! status becomes and which Event (if any) says so, and the reconcile writes them.
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::runtime::events::EventType;

use crate::controller::error::Error;
use crate::controller::offboarding;
use crate::crd::BlockedDeletion;
use crate::crd::conditions::{self, READY, reason};
use crate::crd::{GoToAccount, GoToAccountStatus, SeatInventory};
use crate::goto;

/// What the account's status reports besides its Ready condition, as this reconcile found it.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The organizers of the account whose deletion waits for a person.
    pub blocked: Vec<BlockedDeletion>,
    /// The rate the account's request budget lets requests out at, if a client was built.
    pub effective_rate: Option<f64>,
    /// The period its organizers' drift reads are spread over.
    pub drift_period: Duration,
    /// A fresh seat inventory, if this reconcile took one.
    pub seats: Option<SeatInventory>,
}

/// An Event to publish with the status.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    /// Normal for Authenticated, Warning otherwise.
    pub type_: EventType,
    /// The Ready reason.
    pub reason: String,
    /// The Ready message.
    pub message: String,
}

/// `Ready`: Authenticated when a token was obtained (and the endpoint speaks the account's
/// dialect), else the failure's reason.
pub fn ready(account: &GoToAccount, outcome: &Result<(), Error>, now: Timestamp) -> Condition {
    let generation = account.metadata.generation;
    match outcome {
        Ok(()) => conditions::at(
            READY,
            true,
            reason::AUTHENTICATED,
            format!("obtained a token for account {}", account.spec.account_key),
            generation,
            now,
        ),
        Err(e) => conditions::at(
            READY,
            false,
            ready_reason(e),
            e.to_string(),
            generation,
            now,
        ),
    }
}

/// GoToAccount reasons: Authenticated, SecretNotFound, CredentialsInvalid, GoToUnavailable,
/// WrongApi, DeletionBlocked.
fn ready_reason(e: &Error) -> &'static str {
    match e {
        Error::AccountNotReady(_) => reason::SECRET_NOT_FOUND,
        Error::GoTo(goto::Error::WrongApi(_)) => reason::WRONG_API,
        Error::GoTo(goto::Error::Unauthorized | goto::Error::Forbidden) => {
            reason::CREDENTIALS_INVALID
        }
        Error::DeletionBlocked(_) => reason::DELETION_BLOCKED,
        _ => reason::GOTO_UNAVAILABLE,
    }
}

/// The next status, and the Event to publish when Ready's reason changed.
pub fn report(
    account: &GoToAccount,
    ready: Condition,
    facts: Facts,
    now: Timestamp,
) -> (GoToAccountStatus, Option<Note>) {
    let current = account.status.clone().unwrap_or_default();
    let previous = conditions::find(&current.conditions, READY).map(|c| c.reason.clone());
    let note = (previous.as_deref() != Some(ready.reason.as_str())).then(|| Note {
        type_: if ready.status == "True" {
            EventType::Normal
        } else {
            EventType::Warning
        },
        reason: ready.reason.clone(),
        message: ready.message.clone(),
    });
    let generation = account.metadata.generation;
    let (offboarding, blocked_deletions) = offboarding::status(&facts.blocked, generation, now);
    let next = GoToAccountStatus {
        observed_generation: generation,
        conditions: conditions::merge(&current.conditions, vec![ready, offboarding]),
        blocked_deletions: Some(blocked_deletions),
        // Rounded so that float noise never causes a status write.
        effective_requests_per_second: facts
            .effective_rate
            .map(|rate| (rate * 100.0).round() / 100.0),
        effective_resync_seconds: Some(facts.drift_period.as_secs()),
        seats: facts.seats.or(current.seats),
    };
    (next, note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::fixtures;

    #[test]
    fn the_status_says_what_the_reconcile_found_and_an_event_only_on_a_new_reason() {
        let mut account = fixtures::account("it", "acme", "42");
        account.metadata.generation = Some(2);
        let now = Timestamp::now();
        let facts = Facts {
            effective_rate: Some(9.876),
            drift_period: Duration::from_secs(206),
            ..Facts::default()
        };
        let ok = ready(&account, &Ok(()), now);
        assert_eq!(ok.reason, reason::AUTHENTICATED);
        let (status, note) = report(&account, ok.clone(), facts.clone(), now);
        assert_eq!(status.effective_requests_per_second, Some(9.88));
        assert_eq!(status.effective_resync_seconds, Some(206));
        assert_eq!(status.observed_generation, Some(2));
        let note = note.expect("a first Ready is announced");
        assert_eq!(
            (note.type_, note.reason.as_str()),
            (EventType::Normal, "Authenticated")
        );

        // The same reason again: no Event, and the transition time kept.
        account.status = Some(status.clone());
        let later = now + jiff::SignedDuration::from_secs(60);
        let (again, note) = report(
            &account,
            ready(&account, &Ok(()), later),
            facts.clone(),
            later,
        );
        assert_eq!(note, None);
        assert_eq!(again.conditions, status.conditions);

        for (err, want) in [
            (
                Error::AccountNotReady("no Secret".into()),
                reason::SECRET_NOT_FOUND,
            ),
            (
                Error::GoTo(goto::Error::Unauthorized),
                reason::CREDENTIALS_INVALID,
            ),
            (
                Error::GoTo(goto::Error::WrongApi("set api: v1".into())),
                reason::WRONG_API,
            ),
            (
                Error::GoTo(goto::Error::Transient("503".into())),
                reason::GOTO_UNAVAILABLE,
            ),
        ] {
            let failed = ready(&account, &Err(err), later);
            assert_eq!(failed.reason, want);
            let (_, note) = report(&account, failed, facts.clone(), later);
            assert_eq!(note.map(|n| n.type_), Some(EventType::Warning), "{want}");
        }
    }
}
