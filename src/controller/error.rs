//! What a reconcile can fail with, and what each failure means for people and for requeueing.
//!
//! Every failure maps to one stable condition reason (shown in `Ready`) and one requeue policy:
//! rate limits wait for Retry-After, problems only a person can fix wait long, the object's own
//! transient failures back off exponentially per object, and failures that are not the object's
//! fault (the Kubernetes API unreachable, a watch reconnecting, the GoTo token endpoint down)
//! retry after a short fixed, jittered delay that does not grow, so that work resumes within
//! seconds once the shared dependency answers again. Nothing here loops hot.
use std::time::Duration;

use thiserror::Error;

use crate::crd::conditions::reason;
use crate::goto;

/// Why a reconcile did not reach its goal. `Clone`, so that a decision can carry a failure as a
/// value (see `organizer::decide`).
#[derive(Clone, Debug, Error)]
pub enum Error {
    /// The spec or an annotation cannot be acted on.
    #[error("{0}")]
    InvalidSpec(String),
    /// The referenced GoToAccount does not exist.
    #[error("GoToAccount {0:?} not found in this namespace")]
    AccountNotFound(String),
    /// The referenced GoToAccount exists but cannot be used (Secret missing, bad endpoint).
    #[error("{0}")]
    AccountNotReady(String),
    /// Observe mode (or `adoptionPolicy: AdoptOnly`) found no organizer.
    #[error("{0}")]
    OrganizerNotFound(String),
    /// Deletion waits for upcoming meetings to be reassigned.
    #[error("{0}")]
    DeletionBlocked(String),
    /// The meeting audit before a Delete could not be read completely: nothing is deleted.
    #[error("{0}")]
    AuditFailed(String),
    /// Another GoToOrganizer owns the organizer this one names.
    #[error("{0}")]
    OwnedElsewhere(String),
    /// `adoptionPolicy: CreateOnly` and a matching organizer exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// The organizer was deleted in GoTo and `onExternalDelete: Report`.
    #[error("{0}")]
    DeletedExternally(String),
    /// No paid seat is free and older objects of the account wait for one first.
    #[error("{0}")]
    WaitingForSeat(String),
    /// The paused annotation stops all action.
    #[error("paused by annotation goto-operator.dev/paused; nothing is written to GoTo")]
    Paused,
    /// GoTo refused or failed.
    #[error("GoTo: {0}")]
    GoTo(#[from] goto::Error),
    /// GoTo's token endpoint failed transiently: every organizer of the account shares it, so it
    /// is not this object's fault and does not grow its backoff.
    #[error("GoTo token endpoint: {0}")]
    TokenEndpoint(goto::Error),
    /// The Kubernetes API refused or failed (kept as text so that the error stays `Clone`).
    #[error("kubernetes API: {0}")]
    Kube(String),
    /// A failure that says nothing to a person: kube-runtime's finalizer helper failing to add
    /// or remove the finalizer, or a read from the Kubernetes API. Retried with backoff.
    #[error("{0}")]
    Internal(String),
}

impl From<kube::Error> for Error {
    fn from(e: kube::Error) -> Self {
        Error::Kube(e.to_string())
    }
}

/// How soon a failed object is looked at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// After this long, whatever happens.
    After(Duration),
    /// Exponentially per object: the Nth consecutive failure waits `base * 2^N`, capped.
    Backoff,
    /// Soon, after a short fixed jittered delay that does not grow: the failure is not the
    /// object's (a shared dependency was unreachable).
    Soon,
    /// Only when the object changes (a person must act).
    OnChange,
}

/// Requeue delays shared by every reconciler.
#[derive(Debug, Clone, Copy)]
pub struct RequeuePolicy {
    /// For problems only a person can fix (bad spec, credentials, no seat).
    pub slow: Duration,
    /// Between two meeting audits while a deletion is blocked.
    pub reaudit: Duration,
    /// First transient backoff step.
    pub backoff_base: Duration,
    /// Transient backoff ceiling.
    pub backoff_max: Duration,
    /// Retry delay after a failure that is not the object's fault (spread over its upper half).
    pub soon: Duration,
}

impl Error {
    /// The `Ready=False` reason this failure is reported with; `None` for internal failures that
    /// say nothing new to a person (a kube API hiccup is retried, not shown).
    pub fn reason(&self) -> Option<&'static str> {
        Some(match self {
            Error::InvalidSpec(_) => reason::INVALID_SPEC,
            Error::AccountNotFound(_) => reason::ACCOUNT_NOT_FOUND,
            Error::AccountNotReady(_) => reason::ACCOUNT_NOT_READY,
            Error::OrganizerNotFound(_) => reason::ORGANIZER_NOT_FOUND,
            Error::DeletionBlocked(_) => reason::DELETION_BLOCKED,
            Error::AuditFailed(_) => reason::AUDIT_FAILED,
            Error::OwnedElsewhere(_) => reason::OWNED_ELSEWHERE,
            Error::AlreadyExists(_) => reason::ALREADY_EXISTS,
            Error::DeletedExternally(_) => reason::DELETED_EXTERNALLY,
            Error::WaitingForSeat(_) => reason::SEAT_UNAVAILABLE,
            Error::Paused => reason::PAUSED,
            Error::GoTo(e) | Error::TokenEndpoint(e) => goto_reason(e),
            Error::Kube(_) | Error::Internal(_) => return None,
        })
    }

    /// How soon to try again.
    pub fn retry(&self, policy: &RequeuePolicy) -> Retry {
        match self {
            Error::Paused => Retry::OnChange,
            Error::DeletionBlocked(_) => Retry::After(policy.reaudit),
            Error::InvalidSpec(_)
            | Error::AccountNotFound(_)
            | Error::AccountNotReady(_)
            | Error::OrganizerNotFound(_)
            | Error::OwnedElsewhere(_)
            | Error::AlreadyExists(_)
            | Error::DeletedExternally(_)
            | Error::WaitingForSeat(_) => Retry::After(policy.slow),
            Error::AuditFailed(_) => Retry::Backoff,
            Error::TokenEndpoint(e) if e.is_transient() => Retry::Soon,
            Error::TokenEndpoint(e) => Error::GoTo(e.clone()).retry(policy),
            Error::GoTo(goto::Error::RateLimited { retry_after }) => Retry::After(
                retry_after
                    .unwrap_or(policy.backoff_base * 6)
                    .max(Duration::from_secs(1)),
            ),
            Error::GoTo(goto::Error::Deferred { retry_after }) => Retry::After(*retry_after),
            Error::GoTo(e) if e.is_transient() => Retry::Backoff,
            Error::GoTo(_) => Retry::After(policy.slow),
            Error::Kube(_) | Error::Internal(_) => Retry::Soon,
        }
    }

    /// A fixed, low-cardinality label for metrics.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::InvalidSpec(_) => "invalid_spec",
            Error::AccountNotFound(_) => "account_not_found",
            Error::AccountNotReady(_) => "account_not_ready",
            Error::OrganizerNotFound(_) => "organizer_not_found",
            Error::DeletionBlocked(_) => "deletion_blocked",
            Error::AuditFailed(_) => "audit_failed",
            Error::OwnedElsewhere(_) => "owned_elsewhere",
            Error::AlreadyExists(_) => "already_exists",
            Error::DeletedExternally(_) => "deleted_externally",
            Error::WaitingForSeat(_) => "waiting_for_seat",
            Error::Paused => "paused",
            Error::GoTo(e) => e.metric_label(),
            Error::TokenEndpoint(_) => "token_endpoint",
            Error::Kube(_) => "kube",
            Error::Internal(_) => "internal",
        }
    }

    /// Whether the failure is expected operation (paused, blocked, owned elsewhere) rather than
    /// a fault.
    pub fn is_expected(&self) -> bool {
        matches!(
            self,
            Error::Paused
                | Error::DeletionBlocked(_)
                | Error::OwnedElsewhere(_)
                | Error::WaitingForSeat(_)
        )
    }
}

fn goto_reason(e: &goto::Error) -> &'static str {
    match e {
        goto::Error::SeatUnavailable { .. } => reason::SEAT_UNAVAILABLE,
        goto::Error::Unauthorized | goto::Error::Forbidden => reason::CREDENTIALS_INVALID,
        goto::Error::RateLimited { .. } | goto::Error::Deferred { .. } => reason::RATE_LIMITED,
        goto::Error::BadRequest(_) => reason::INVALID_SPEC,
        goto::Error::Config(_) | goto::Error::WrongApi(_) => reason::ACCOUNT_NOT_READY,
        goto::Error::AlreadyExists { .. }
        | goto::Error::NotFound
        | goto::Error::Transient(_)
        | goto::Error::Decode(_) => reason::GOTO_UNAVAILABLE,
    }
}

impl RequeuePolicy {
    /// The delay of the `attempt`-th consecutive transient failure (0-based), with jitter
    /// so that objects failing together do not retry together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.backoff_base.saturating_mul(1u32 << attempt.min(16));
        jitter(exp.min(self.backoff_max))
    }

    /// The delay after a failure that is not the object's fault: fixed, spread over its upper
    /// half so that the objects a shared outage failed together do not all return together.
    pub fn soon(&self) -> Duration {
        self.soon.mul_f64(0.5 + rand::random::<f64>() * 0.5)
    }
}

/// Spreads a delay over its last 15% (85%..100%), so objects that failed or synced together do
/// not come back together, and a resync never comes later than the period promised.
pub fn jitter(d: Duration) -> Duration {
    let factor = 0.85 + rand::random::<f64>() * 0.15;
    d.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RequeuePolicy {
        RequeuePolicy {
            slow: Duration::from_secs(300),
            reaudit: Duration::from_secs(60),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(300),
            soon: Duration::from_secs(4),
        }
    }

    #[test]
    fn reasons_follow_the_contract() {
        let cases: Vec<(Error, Option<&str>)> = vec![
            (Error::InvalidSpec("x".into()), Some("InvalidSpec")),
            (Error::AccountNotFound("a".into()), Some("AccountNotFound")),
            (Error::AccountNotReady("a".into()), Some("AccountNotReady")),
            (
                Error::OrganizerNotFound("a".into()),
                Some("OrganizerNotFound"),
            ),
            (Error::DeletionBlocked("a".into()), Some("DeletionBlocked")),
            (Error::AuditFailed("a".into()), Some("AuditFailed")),
            (Error::OwnedElsewhere("a".into()), Some("OwnedElsewhere")),
            (Error::AlreadyExists("a".into()), Some("AlreadyExists")),
            (
                Error::DeletedExternally("a".into()),
                Some("DeletedExternally"),
            ),
            (
                Error::TokenEndpoint(goto::Error::Transient("503".into())),
                Some("GoToUnavailable"),
            ),
            (Error::Paused, Some("Paused")),
            (
                Error::GoTo(goto::Error::SeatUnavailable { status: 402 }),
                Some("SeatUnavailable"),
            ),
            (
                Error::GoTo(goto::Error::Unauthorized),
                Some("CredentialsInvalid"),
            ),
            (
                Error::GoTo(goto::Error::Forbidden),
                Some("CredentialsInvalid"),
            ),
            (
                Error::GoTo(goto::Error::RateLimited { retry_after: None }),
                Some("RateLimited"),
            ),
            (
                Error::GoTo(goto::Error::Transient("503".into())),
                Some("GoToUnavailable"),
            ),
            (
                Error::GoTo(goto::Error::BadRequest("tz".into())),
                Some("InvalidSpec"),
            ),
            (Error::Internal("x".into()), None),
        ];
        for (err, want) in cases {
            assert_eq!(err.reason(), want, "{err:?}");
        }
    }

    #[test]
    fn retries_never_loop_hot() {
        let p = policy();
        let ra = Error::GoTo(goto::Error::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
        });
        assert_eq!(ra.retry(&p), Retry::After(Duration::from_secs(7)));
        let ra0 = Error::GoTo(goto::Error::RateLimited {
            retry_after: Some(Duration::ZERO),
        });
        assert_eq!(ra0.retry(&p), Retry::After(Duration::from_secs(1)));
        assert_eq!(
            Error::InvalidSpec("x".into()).retry(&p),
            Retry::After(p.slow)
        );
        assert_eq!(
            Error::GoTo(goto::Error::Unauthorized).retry(&p),
            Retry::After(p.slow)
        );
        assert_eq!(
            Error::GoTo(goto::Error::Transient("x".into())).retry(&p),
            Retry::Backoff
        );
        assert_eq!(
            Error::DeletionBlocked("x".into()).retry(&p),
            Retry::After(p.reaudit)
        );
        assert_eq!(Error::Paused.retry(&p), Retry::OnChange);
        assert_eq!(Error::AuditFailed("x".into()).retry(&p), Retry::Backoff);
    }

    #[test]
    fn failures_that_are_not_the_objects_fault_retry_soon_without_backoff() {
        let p = policy();
        for err in [
            Error::Kube("connection refused".into()),
            Error::Internal("finalizer patch failed".into()),
            Error::TokenEndpoint(goto::Error::Transient("connection failed".into())),
        ] {
            assert_eq!(err.retry(&p), Retry::Soon, "{err:?}");
        }
        for _ in 0..100 {
            let d = p.soon();
            assert!(
                d >= Duration::from_secs(2) && d <= Duration::from_secs(4),
                "{d:?}"
            );
        }
        assert_eq!(
            Error::TokenEndpoint(goto::Error::Unauthorized).retry(&p),
            Retry::After(p.slow),
            "refused credentials are the account's problem, not an outage"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = policy();
        let first = p.backoff(0);
        assert!(first >= Duration::from_millis(4250) && first <= Duration::from_secs(5));
        let third = p.backoff(2);
        assert!(third >= Duration::from_secs(17) && third <= Duration::from_secs(20));
        assert!(p.backoff(40) <= Duration::from_secs(300));
    }
}
