//! Decide: every rule of API.md "Behaviour" as a branch of one pure, total function from what was
//! observed (and the spec, and the clock) to one [`Plan`]. Apply and cleanup share the enum; every
//! failure is a value with its reason. `goto-operator plan` prints the same plans.
mod after;

use std::time::Duration;

use jiff::Timestamp;

use super::consent;
use super::diff::{self, Seat};
use super::observe::{AccountState, Audit, Lookup, ObjectFacts, Observed};
use super::plan::{Plan, Via};
use super::seat_queue::SeatTurn;
use crate::controller::error::Error;
use crate::controller::ownership::Ownership;
use crate::crd::{
    AdoptionPolicy, DeletionPolicy, GoToOrganizerSpec, ManagementPolicy, OnExternalDelete,
    OnExternalSuspend,
};
use crate::email;
use crate::goto::{self, NewOrganizer, Organizer, OrganizerStatus};
pub use after::{after, after_conflict, after_create, may_delete};

/// Decides what one reconcile does. Pure and total.
pub fn decide(observed: &Observed, spec: &GoToOrganizerSpec, now: Timestamp) -> Plan {
    if observed.object.paused {
        return Plan::Paused;
    }
    if observed.object.deleting {
        cleanup(observed, spec)
    } else {
        apply(observed, spec, now)
    }
}

fn apply(observed: &Observed, spec: &GoToOrganizerSpec, now: Timestamp) -> Plan {
    if let Some(why) = &observed.object.invalid {
        return Plan::Fail(Error::InvalidSpec(why.clone()));
    }
    if let Ownership::OwnedElsewhere { owner } = &observed.ownership {
        return Plan::Fail(owned_elsewhere(spec, owner));
    }
    if let Some(fail) = account_failure(&observed.account, &spec.account_ref.name) {
        return Plan::Fail(fail);
    }
    if let SeatTurn::Behind { position, waiting } = observed.seat
        && would_create(observed, spec)
    {
        return Plan::WaitForSeat {
            account: account_key(&observed.account),
            position,
            waiting,
        };
    }
    match &observed.organizer {
        Lookup::NotLooked => Plan::Fail(Error::Internal(
            "the organizer was not looked up".to_string(),
        )),
        Lookup::Failed(e) => Plan::Fail(Error::GoTo(e.clone())),
        Lookup::Recorded(o) => converge(observed, spec, o, None, now),
        Lookup::RecordedGone { key } => recorded_gone(key, spec),
        Lookup::AnnotatedMissing { key } => Plan::Fail(Error::InvalidSpec(format!(
            "annotation goto-operator.dev/organizer-key names organizer {key}, which does not exist in account {}",
            account_key(&observed.account)
        ))),
        Lookup::Annotated(o) => {
            if let Some(why) = annotation_mismatch(o, spec, &observed.account) {
                return Plan::Fail(Error::InvalidSpec(why));
            }
            if spec.adoption_policy == AdoptionPolicy::CreateOnly {
                return Plan::Fail(Error::InvalidSpec(format!(
                    "annotation goto-operator.dev/organizer-key asks to adopt organizer {}, but adoptionPolicy CreateOnly never adopts",
                    o.organizer_key
                )));
            }
            converge(observed, spec, o, Some(Via::Annotation), now)
        }
        Lookup::ByEmail(o) if spec.adoption_policy == AdoptionPolicy::CreateOnly => {
            Plan::Fail(Error::AlreadyExists(format!(
                "organizer {} with email {} already exists in account {} (adoptionPolicy CreateOnly: not adopted)",
                o.organizer_key,
                o.email,
                account_key(&observed.account)
            )))
        }
        Lookup::ByEmail(o) => converge(observed, spec, o, Some(Via::Email), now),
        Lookup::Absent => absent(observed, spec, now),
    }
}

/// The organizer the object recorded is gone from GoTo: re-create it, unless a policy says not.
fn recorded_gone(key: &str, spec: &GoToOrganizerSpec) -> Plan {
    if spec.management_policy != ManagementPolicy::Manage {
        return Plan::Fail(Error::OrganizerNotFound(format!(
            "organizer {key} no longer exists in GoTo (Observe: the operator does not re-create it)"
        )));
    }
    if spec.on_external_delete == OnExternalDelete::Report {
        return Plan::Fail(Error::DeletedExternally(format!(
            "organizer {key} was deleted in GoTo outside the operator (onExternalDelete: Report: not re-created)"
        )));
    }
    if spec.adoption_policy == AdoptionPolicy::AdoptOnly {
        return Plan::Fail(Error::OrganizerNotFound(format!(
            "organizer {key} no longer exists in GoTo (adoptionPolicy AdoptOnly: the operator never creates)"
        )));
    }
    Plan::Recreate {
        previous: key.to_string(),
        new: new_organizer(spec),
    }
}

/// Nobody in GoTo has the spec's email: create it, unless a policy says not.
fn absent(observed: &Observed, spec: &GoToOrganizerSpec, now: Timestamp) -> Plan {
    if spec.management_policy != ManagementPolicy::Manage {
        return Plan::Fail(Error::OrganizerNotFound(format!(
            "no organizer with email {} in account {} (Observe: the operator does not create it)",
            spec.email,
            account_key(&observed.account)
        )));
    }
    if spec.adoption_policy == AdoptionPolicy::AdoptOnly {
        return Plan::Fail(Error::OrganizerNotFound(format!(
            "no organizer with email {} in account {} (adoptionPolicy AdoptOnly: the operator does not create it)",
            spec.email,
            account_key(&observed.account)
        )));
    }
    // What the create cannot carry is written after it, where the dialect can; where it cannot
    // (v1), the next pass reports it as NotSupportedByApi.
    let writable = capabilities(&observed.account).profile_updates;
    let mut then = Vec::new();
    if writable && spec.locale.is_some() {
        then.push("locale");
    }
    if writable && spec.time_zone.is_some() {
        then.push("timeZone");
    }
    if writable && spec.admin_roles.as_ref().is_some_and(|r| !r.is_empty()) {
        then.push("adminRoles");
    }
    Plan::Create {
        new: new_organizer(spec),
        then,
        suspend: matches!(
            seat(spec, &observed.object, None, now),
            Seat::Suspended { .. }
        ),
    }
}

/// Whether the plan would be a create (or re-create), the one thing a seat queue holds back.
fn would_create(observed: &Observed, spec: &GoToOrganizerSpec) -> bool {
    super::reads::creates(spec)
        && match &observed.organizer {
            Lookup::NotLooked | Lookup::Absent => true,
            Lookup::RecordedGone { .. } => spec.on_external_delete != OnExternalDelete::Report,
            _ => false,
        }
}

/// What the spec asks of an existing organizer.
fn converge(
    observed: &Observed,
    spec: &GoToOrganizerSpec,
    o: &Organizer,
    found: Option<Via>,
    now: Timestamp,
) -> Plan {
    let changes = diff::changes(spec, o, seat(spec, &observed.object, Some(o), now));
    if spec.management_policy == ManagementPolicy::Observe {
        // Observe writes nothing, so what the dialect could write does not matter: every
        // difference is drift to report (through v1 too, names included).
        return Plan::Observe {
            organizer: o.clone(),
            found,
            drift: changes,
        };
    }
    let changes = changes.within(capabilities(&observed.account));
    match found {
        Some(via) => Plan::Adopt {
            organizer: o.clone(),
            via,
            changes,
        },
        None if changes.is_empty() => Plan::Nothing {
            organizer: o.clone(),
            changes,
        },
        None => Plan::Update {
            organizer: o.clone(),
            changes,
        },
    }
}

/// The seat status the spec asks for: `suspended`, `suspendAt` once passed, and
/// `onExternalSuspend: Respect` for a suspension the operator did not make.
pub fn seat(
    spec: &GoToOrganizerSpec,
    facts: &ObjectFacts,
    observed: Option<&Organizer>,
    now: Timestamp,
) -> Seat {
    if spec.suspended {
        return Seat::Suspended { scheduled: false };
    }
    if spec.suspend_at.as_ref().is_some_and(|t| t.0 <= now) {
        return Seat::Suspended { scheduled: true };
    }
    let suspended_outside = observed.is_some_and(|o| o.status == Some(OrganizerStatus::Suspended))
        && !facts.suspended_by_operator;
    if spec.on_external_suspend == OnExternalSuspend::Respect && suspended_outside {
        return Seat::KeepOutsideSuspension;
    }
    Seat::Active
}

fn cleanup(observed: &Observed, spec: &GoToOrganizerSpec) -> Plan {
    let own = observed.object.own_key().map(str::to_string);
    if let Ownership::OwnedElsewhere { owner } = &observed.ownership {
        return Plan::Release {
            why: format!("GoToOrganizer {owner} owns the organizer"),
        };
    }
    if spec.management_policy == ManagementPolicy::Observe {
        return Plan::Orphan {
            key: own,
            why: "managementPolicy Observe",
        };
    }
    if spec.deletion_policy == DeletionPolicy::Orphan {
        return Plan::Orphan {
            key: own,
            why: "deletionPolicy Orphan",
        };
    }
    let Some(key) = own else {
        return Plan::Release {
            why: "this object never recorded an organizer".to_string(),
        };
    };
    if let Some(fail) = account_failure(&observed.account, &spec.account_ref.name) {
        return Plan::Fail(fail);
    }
    let organizer = match &observed.organizer {
        Lookup::Recorded(o) => o,
        Lookup::RecordedGone { key } => return Plan::Gone { key: key.clone() },
        Lookup::Failed(e) => return Plan::Fail(Error::GoTo(e.clone())),
        _ => {
            return Plan::Fail(Error::Internal(format!(
                "organizer {key} was not looked up"
            )));
        }
    };
    if spec.deletion_policy == DeletionPolicy::Suspend {
        return Plan::SuspendAndRelease {
            organizer: organizer.clone(),
        };
    }
    let meetings = match &observed.audit {
        Audit::Complete(meetings) => meetings.clone(),
        Audit::Failed(e) => return Plan::Fail(audit_failure(&key, e)),
        Audit::NotRun => {
            return Plan::Fail(Error::AuditFailed(format!(
                "organizer {key}: the meeting audit did not run; nothing deleted"
            )));
        }
    };
    if !consent::allows(spec, observed.object.consent.as_deref(), &meetings) {
        return Plan::Block { key, meetings };
    }
    if organizer.status == Some(OrganizerStatus::Suspended) {
        Plan::Delete { key, meetings }
    } else {
        Plan::SuspendBeforeDelete { key, meetings }
    }
}

/// The failure of an audit that could not be read completely: `AuditFailed`, except for
/// answers that have their own reason (rate limit, refused credentials).
pub fn audit_failure(key: &str, e: &goto::Error) -> Error {
    match e {
        goto::Error::RateLimited { .. } | goto::Error::Unauthorized | goto::Error::Forbidden => {
            Error::GoTo(e.clone())
        }
        goto::Error::NotFound => Error::AuditFailed(format!(
            "organizer {key} exists but its meeting list answered 404; the audit is incomplete, nothing deleted"
        )),
        other => Error::AuditFailed(format!(
            "organizer {key}: the meeting audit could not be read completely ({other}); nothing deleted"
        )),
    }
}

fn account_failure(account: &AccountState, name: &str) -> Option<Error> {
    match account {
        AccountState::Usable { .. } => None,
        AccountState::NotFound(_) => Some(Error::AccountNotFound(name.to_string())),
        AccountState::NotReady(m) => Some(Error::AccountNotReady(m.clone())),
        AccountState::Token(e) => Some(Error::TokenEndpoint(e.clone())),
        AccountState::Unreachable(m) => Some(Error::Kube(m.clone())),
        AccountState::NotRead => Some(Error::Internal(format!(
            "GoToAccount {name:?} was not read"
        ))),
    }
}

fn owned_elsewhere(spec: &GoToOrganizerSpec, owner: &str) -> Error {
    Error::OwnedElsewhere(format!(
        "the GoTo organizer for {} is owned by GoToOrganizer {owner}; this object writes nothing to GoTo and its deletion touches nothing",
        spec.email
    ))
}

fn annotation_mismatch(
    o: &Organizer,
    spec: &GoToOrganizerSpec,
    account: &AccountState,
) -> Option<String> {
    let account = account_key(account);
    if let Some(theirs) = &o.account_key
        && theirs.as_str() != account
    {
        return Some(format!(
            "annotation goto-operator.dev/organizer-key names organizer {}, which belongs to account {theirs}, not to {account}",
            o.organizer_key
        ));
    }
    if !email::same(&o.email, &spec.email) {
        return Some(format!(
            "annotation goto-operator.dev/organizer-key names organizer {}, whose email {} is not the spec's {}; nothing adopted",
            o.organizer_key, o.email, spec.email
        ));
    }
    None
}

/// What the account's dialect can write; everything when the account was not read.
fn capabilities(account: &AccountState) -> goto::Capabilities {
    match account {
        AccountState::Usable { capabilities, .. } => *capabilities,
        _ => goto::Capabilities::ALL,
    }
}

fn account_key(account: &AccountState) -> String {
    match account {
        AccountState::Usable { account_key, .. } => account_key.clone(),
        _ => "(unknown)".to_string(),
    }
}

fn new_organizer(spec: &GoToOrganizerSpec) -> NewOrganizer {
    NewOrganizer {
        email: spec.email.clone(),
        first_name: spec.first_name.clone(),
        last_name: spec.last_name.clone(),
    }
}

/// When to look again after a successful reconcile: at the object's next drift read
/// (`next_read`, from `spread::next_read`), or the `suspendAt` instant if that comes first
/// (timed, not polled).
pub fn next_look(spec: &GoToOrganizerSpec, now: Timestamp, next_read: Duration) -> Duration {
    let resync = next_read;
    match spec.suspend_at.as_ref().map(|t| t.0) {
        Some(at) if at > now && !spec.suspended => {
            let until = Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO);
            // A moment after the instant, so the next look finds it passed.
            resync.min(until + Duration::from_millis(500))
        }
        _ => resync,
    }
}
