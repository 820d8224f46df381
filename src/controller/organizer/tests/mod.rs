//! Tests of the reconcile's stages without a cluster or a network. Table tests of `decide` and
//! `report` (every rule of API.md "Behaviour" and every reason, each row an observed world, a
//! spec, and the plan, or status and Events, it must give) and of what a `Plan` says about
//! itself; and `observe`'s GoTo half and `act` against the in-memory GoTo (`desk.rs` runs one
//! reconcile there). Fixtures here; the tables and cases in the modules below.
mod act;
mod decide;
mod decide_after;
mod decide_cleanup;
mod delete;
mod desk;
mod observe;
mod plan;
mod report;
mod report_deletion;
mod seat_membership;
use jiff::{Timestamp, ToSpan};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::events::EventType;
use serde_json::json;

use super::act::{Outcome, Step};
use super::decide::{decide, next_look};
use super::observe::{AccountState, Audit, Lookup, ObjectFacts, Observed};
use super::plan::{Plan, Via};
use super::report::{Note, failure, report, same_but_timestamps};
use super::seat_queue::SeatTurn;
use crate::controller::error::{Error, RequeuePolicy, Retry};
use crate::controller::ownership::Ownership;
use crate::crd::conditions::{self, READY, SYNCED, event, reason};
use crate::crd::{GoToOrganizerSpec, GoToOrganizerStatus};
use crate::goto::{self, Meeting, Organizer, OrganizerStatus};

pub(super) const ACCOUNT: &str = "4200000000000000001";

pub(super) fn spec() -> GoToOrganizerSpec {
    serde_json::from_value(json!({
        "accountRef": {"name": "acme"}, "email": "jane.doe@example.com",
        "firstName": "Jane", "lastName": "Doe",
    }))
    .expect("spec")
}

/// An organizer as GoTo answers it; an empty `key` leaves the key for `MemoryGoTo` to assign
/// (GoTo itself always sends one: only digits are taken from it).
pub(super) fn organizer(key: &str) -> Organizer {
    let mut o: Organizer = serde_json::from_value(json!({
        "organizerKey": "1", "accountKey": ACCOUNT, "email": "jane.doe@example.com",
        "firstName": "Jane", "lastName": "Doe", "status": "ACTIVE", "adminRoles": [],
    }))
    .expect("organizer");
    o.organizer_key = crate::goto::OrganizerKey::new(key);
    o
}

pub(super) fn suspended(key: &str) -> Organizer {
    let mut o = organizer(key);
    o.status = Some(OrganizerStatus::Suspended);
    o
}

pub(super) fn meeting(id: &str) -> Meeting {
    serde_json::from_value(json!({"meetingId": id, "subject": format!("m{id}"),
        "startTime": "2030-01-01T10:00:00Z"}))
    .expect("meeting")
}

/// A live object that recorded nothing yet, in a usable account, owning its claim.
pub(super) fn world() -> Observed {
    Observed {
        object: ObjectFacts {
            generation: Some(1),
            ..ObjectFacts::default()
        },
        account: AccountState::Usable {
            account_key: ACCOUNT.into(),
            seat_pool: ACCOUNT.into(),
            capabilities: crate::goto::Capabilities::ALL,
        },
        ownership: Ownership::Owner,
        organizer: Lookup::Absent,
        audit: Audit::NotRun,
        seat: SeatTurn::First,
    }
}

/// A live object behind an older one in its account's seat queue, not looked up.
pub(super) fn behind() -> Observed {
    with(world(), |w| {
        w.organizer = Lookup::NotLooked;
        w.seat = SeatTurn::Behind {
            position: 2,
            waiting: 3,
        };
    })
}

/// A live object that recorded organizer 7.
pub(super) fn recorded(o: Organizer) -> Observed {
    let mut w = world();
    w.object.recorded_key = Some(o.organizer_key.to_string());
    w.organizer = Lookup::Recorded(o);
    w
}

/// A deleting object that recorded organizer 7, audited with `meetings`.
pub(super) fn deleting(o: Organizer, meetings: &[&str]) -> Observed {
    let mut w = recorded(o);
    w.object.deleting = true;
    w.audit = Audit::Complete(meetings.iter().map(|m| meeting(m)).collect());
    w
}

pub(super) fn with(mut w: Observed, f: impl FnOnce(&mut Observed)) -> Observed {
    f(&mut w);
    w
}

pub(super) fn keep(_: &mut GoToOrganizerSpec) {}

pub(super) fn now() -> Timestamp {
    "2026-12-01T12:00:00Z".parse().expect("time")
}

/// The variant name, and the reason of a failure.
pub(super) fn kind(plan: &Plan) -> String {
    let name = match plan {
        Plan::Paused => "Paused",
        Plan::Fail(e) => return format!("Fail {}", e.reason().unwrap_or("(no reason)")),
        Plan::Create { .. } => "Create",
        Plan::Recreate { .. } => "Recreate",
        Plan::Adopt {
            via: Via::Annotation,
            ..
        } => "Adopt by annotation",
        Plan::Adopt {
            via: Via::Email, ..
        } => "Adopt by email",
        Plan::Update { .. } => "Update",
        Plan::Nothing { .. } => "Nothing",
        Plan::Observe { .. } => "Observe",
        Plan::WaitForSeat { .. } => "WaitForSeat",
        Plan::Release { .. } => "Release",
        Plan::Orphan { .. } => "Orphan",
        Plan::Gone { .. } => "Gone",
        Plan::SuspendAndRelease { .. } => "SuspendAndRelease",
        Plan::Block { .. } => "Block",
        Plan::SuspendBeforeDelete { .. } => "SuspendBeforeDelete",
        Plan::Delete { .. } => "Delete",
    };
    name.to_string()
}
