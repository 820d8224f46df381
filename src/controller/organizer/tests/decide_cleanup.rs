//! The decide table, continued: updates, outside changes, Observe, and the rules of a deletion.
use super::decide::{Row, row};
use super::*;

pub(super) fn cleanup_rows() -> Vec<Row> {
    let transient = || goto::Error::Transient("HTTP 503".into());
    vec![
        // Deletion.
        row(
            "delete: owned elsewhere releases, touches nothing",
            with(deleting(organizer("7"), &[]), |w| {
                w.ownership = Ownership::OwnedElsewhere {
                    owner: "it/jane".into(),
                }
            }),
            keep,
            "Release",
            "it/jane",
        ),
        row(
            "delete: nothing recorded releases (11.1)",
            with(world(), |w| {
                w.object.deleting = true;
                w.object.annotation_key = Some("7".into());
                w.organizer = Lookup::NotLooked
            }),
            keep,
            "Release",
            "never recorded",
        ),
        row(
            "delete: Orphan",
            deleting(organizer("7"), &[]),
            |s| s.deletion_policy = crate::crd::DeletionPolicy::Orphan,
            "Orphan",
            "deletionPolicy Orphan",
        ),
        row(
            "delete: Observe never deletes",
            deleting(organizer("7"), &[]),
            |s| s.management_policy = crate::crd::ManagementPolicy::Observe,
            "Orphan",
            "managementPolicy Observe",
        ),
        row(
            "delete: account gone",
            with(deleting(organizer("7"), &[]), |w| {
                w.account = AccountState::NotFound("acme".into())
            }),
            keep,
            "Fail AccountNotFound",
            "",
        ),
        row(
            "delete: already gone",
            with(deleting(organizer("7"), &[]), |w| {
                w.organizer = Lookup::RecordedGone { key: "7".into() }
            }),
            keep,
            "Gone",
            "already gone",
        ),
        row(
            "delete: read failed",
            with(deleting(organizer("7"), &[]), |w| {
                w.organizer = Lookup::Failed(transient())
            }),
            keep,
            "Fail GoToUnavailable",
            "",
        ),
        row(
            "delete: Suspend policy",
            deleting(organizer("7"), &[]),
            |s| s.deletion_policy = crate::crd::DeletionPolicy::Suspend,
            "SuspendAndRelease",
            "suspend organizer 7",
        ),
        row(
            "delete: audit without meetings field",
            with(deleting(organizer("7"), &[]), |w| {
                w.audit =
                    Audit::Failed(goto::Error::Decode("the page has no meetings field".into()))
            }),
            keep,
            "Fail AuditFailed",
            "nothing deleted",
        ),
        row(
            "delete: audit page failed",
            with(deleting(organizer("7"), &[]), |w| {
                w.audit = Audit::Failed(transient())
            }),
            keep,
            "Fail AuditFailed",
            "could not be read completely",
        ),
        row(
            "delete: meetings list 404 while the organizer exists",
            with(deleting(organizer("7"), &[]), |w| {
                w.audit = Audit::Failed(goto::Error::NotFound)
            }),
            keep,
            "Fail AuditFailed",
            "404",
        ),
        row(
            "delete: audit rate limited",
            with(deleting(organizer("7"), &[]), |w| {
                w.audit = Audit::Failed(goto::Error::RateLimited { retry_after: None })
            }),
            keep,
            "Fail RateLimited",
            "",
        ),
        row(
            "delete: meetings and Block",
            deleting(organizer("7"), &["1", "2"]),
            keep,
            "Block",
            "2 upcoming",
        ),
        row(
            "delete: no meetings, active: suspend first",
            deleting(organizer("7"), &[]),
            keep,
            "SuspendBeforeDelete",
            "suspend organizer 7, audit again",
        ),
        row(
            "delete: no meetings, suspended: delete",
            deleting(suspended("7"), &[]),
            keep,
            "Delete",
            "cancelling 0",
        ),
        row(
            "delete: meetings and Cancel, active: suspend first",
            deleting(organizer("7"), &["1"]),
            |s| s.on_upcoming_meetings = crate::crd::OnUpcomingMeetings::Cancel,
            "SuspendBeforeDelete",
            "cancelling 1",
        ),
        row(
            "delete: meetings and Cancel, suspended: delete",
            deleting(suspended("7"), &["1"]),
            |s| s.on_upcoming_meetings = crate::crd::OnUpcomingMeetings::Cancel,
            "Delete",
            "cancelling 1",
        ),
        row(
            "delete: the create this process started counts as recorded",
            with(deleting(organizer("7"), &[]), |w| {
                w.object.recorded_key = None;
                w.object.remembered_key = Some("7".into())
            }),
            keep,
            "SuspendBeforeDelete",
            "",
        ),
        // Seat waits: only the oldest waiter of an account tries the create.
        row(
            "seat: older objects wait, not looked up: wait for them",
            behind(),
            keep,
            "WaitForSeat",
            "number 2 of 3 in the queue",
        ),
        row(
            "seat: older objects wait, absent: wait for them",
            with(behind(), |w| w.organizer = Lookup::Absent),
            keep,
            "WaitForSeat",
            "account 4200000000000000001",
        ),
        row(
            "seat: older objects wait, deleted outside: wait to re-create",
            with(behind(), |w| {
                w.organizer = Lookup::RecordedGone { key: "7".into() }
            }),
            keep,
            "WaitForSeat",
            "paid seat",
        ),
        row(
            "seat: the oldest waiter (or nobody waiting) creates",
            with(world(), |w| w.seat = SeatTurn::First),
            keep,
            "Create",
            "create organizer",
        ),
        row(
            "seat: a waiter found by email adopts (needs no seat)",
            with(behind(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            keep,
            "Adopt by email",
            "",
        ),
        row(
            "seat: a waiter whose spec no longer creates (AdoptOnly) does not wait",
            with(behind(), |w| w.organizer = Lookup::Absent),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::AdoptOnly,
            "Fail OrganizerNotFound",
            "AdoptOnly",
        ),
        row(
            "seat: a bad spec fails before any wait",
            with(behind(), |w| w.object.invalid = Some("bad email".into())),
            keep,
            "Fail InvalidSpec",
            "bad email",
        ),
        row(
            "seat: a deleting waiter does not wait",
            with(deleting(organizer("7"), &[]), |w| {
                w.seat = SeatTurn::Behind {
                    position: 2,
                    waiting: 2,
                }
            }),
            keep,
            "SuspendBeforeDelete",
            "",
        ),
    ]
}

pub(super) fn converge_rows() -> Vec<Row> {
    vec![
        // Update, suspend, resume.
        row(
            "in sync: nothing",
            recorded(organizer("7")),
            keep,
            "Nothing",
            "nothing",
        ),
        row(
            "spec change: one full PUT",
            recorded(organizer("7")),
            |s| s.first_name = "Janet".into(),
            "Update",
            "update firstName: Jane -> Janet",
        ),
        row(
            "drift corrected",
            recorded({
                let mut o = organizer("7");
                o.last_name = "Hacked".into();
                o
            }),
            keep,
            "Update",
            "lastName: Hacked -> Doe",
        ),
        row(
            "suspend",
            recorded(organizer("7")),
            |s| s.suspended = true,
            "Update",
            "suspend",
        ),
        row(
            "resume",
            with(recorded(suspended("7")), |w| {
                w.object.suspended_by_operator = true
            }),
            keep,
            "Update",
            "resume",
        ),
        row(
            "outside suspension resumed (Resume)",
            recorded(suspended("7")),
            keep,
            "Update",
            "resume",
        ),
        row(
            "outside suspension kept (Respect)",
            recorded(suspended("7")),
            |s| s.on_external_suspend = crate::crd::OnExternalSuspend::Respect,
            "Nothing",
            "kept",
        ),
        row(
            "Respect still resumes the operator's own suspension",
            with(recorded(suspended("7")), |w| {
                w.object.suspended_by_operator = true
            }),
            |s| s.on_external_suspend = crate::crd::OnExternalSuspend::Respect,
            "Update",
            "resume",
        ),
        row(
            "suspendAt passed: suspend as scheduled",
            recorded(organizer("7")),
            |s| s.suspend_at = Some(Time("2026-12-01T11:00:00Z".parse().expect("t"))),
            "Update",
            "suspend (suspendAt passed)",
        ),
        row(
            "suspendAt to come: nothing yet",
            recorded(organizer("7")),
            |s| s.suspend_at = Some(Time("2026-12-31T17:00:00Z".parse().expect("t"))),
            "Nothing",
            "",
        ),
        // Out-of-band delete.
        row(
            "deleted outside: recreate",
            with(world(), |w| {
                w.object.recorded_key = Some("7".into());
                w.organizer = Lookup::RecordedGone { key: "7".into() }
            }),
            keep,
            "Recreate",
            "organizer 7 was deleted outside",
        ),
        row(
            "deleted outside, Report: DeletedExternally",
            with(world(), |w| {
                w.organizer = Lookup::RecordedGone { key: "7".into() }
            }),
            |s| s.on_external_delete = crate::crd::OnExternalDelete::Report,
            "Fail DeletedExternally",
            "7",
        ),
        row(
            "deleted outside, AdoptOnly: OrganizerNotFound",
            with(world(), |w| {
                w.organizer = Lookup::RecordedGone { key: "7".into() }
            }),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::AdoptOnly,
            "Fail OrganizerNotFound",
            "",
        ),
        // Observe.
        row(
            "Observe: report drift, never write",
            recorded({
                let mut o = organizer("7");
                o.first_name = "Olive".into();
                o
            }),
            |s| s.management_policy = crate::crd::ManagementPolicy::Observe,
            "Observe",
            "firstName: Olive -> Jane",
        ),
        row(
            "Observe: adopt by email without writing",
            with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            |s| s.management_policy = crate::crd::ManagementPolicy::Observe,
            "Observe",
            "",
        ),
        row(
            "Observe: nothing there",
            world(),
            |s| s.management_policy = crate::crd::ManagementPolicy::Observe,
            "Fail OrganizerNotFound",
            "Observe",
        ),
        row(
            "Observe: recorded organizer gone",
            with(world(), |w| {
                w.organizer = Lookup::RecordedGone { key: "7".into() }
            }),
            |s| s.management_policy = crate::crd::ManagementPolicy::Observe,
            "Fail OrganizerNotFound",
            "",
        ),
    ]
}
