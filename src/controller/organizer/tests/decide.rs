//! The decide table: one row per rule.
use super::*;

struct Row {
    rule: &'static str,
    observed: Observed,
    spec: fn(&mut GoToOrganizerSpec),
    plan: &'static str,
    /// Part of `plan.describe()`.
    says: &'static str,
}

fn row(
    rule: &'static str,
    observed: Observed,
    spec: fn(&mut GoToOrganizerSpec),
    plan: &'static str,
    says: &'static str,
) -> Row {
    Row {
        rule,
        observed,
        spec,
        plan,
        says,
    }
}

fn decide_rows() -> Vec<Row> {
    let transient = || goto::Error::Transient("HTTP 503".into());
    vec![
        // Paused.
        row(
            "paused: act on nothing",
            with(world(), |w| w.object.paused = true),
            keep,
            "Paused",
            "paused",
        ),
        row(
            "paused while deleting",
            with(deleting(organizer("7"), &[]), |w| w.object.paused = true),
            keep,
            "Paused",
            "",
        ),
        // Bad input and accounts.
        row(
            "invalid spec",
            with(world(), |w| {
                w.object.invalid = Some("timeZone \"Mars\" is not an IANA time zone".into())
            }),
            keep,
            "Fail InvalidSpec",
            "IANA",
        ),
        row(
            "account missing",
            with(world(), |w| {
                w.account = AccountState::NotFound("acme".into())
            }),
            keep,
            "Fail AccountNotFound",
            "acme",
        ),
        row(
            "account not ready",
            with(world(), |w| {
                w.account = AccountState::NotReady("Secret \"absent\" not found".into())
            }),
            keep,
            "Fail AccountNotReady",
            "absent",
        ),
        row(
            "token endpoint down",
            with(world(), |w| w.account = AccountState::Token(transient())),
            keep,
            "Fail GoToUnavailable",
            "token endpoint",
        ),
        row(
            "credentials refused",
            with(world(), |w| {
                w.account = AccountState::Token(goto::Error::Unauthorized)
            }),
            keep,
            "Fail CredentialsInvalid",
            "",
        ),
        row(
            "kubernetes API unreachable",
            with(world(), |w| {
                w.account = AccountState::Unreachable("connection refused".into())
            }),
            keep,
            "Fail (no reason)",
            "",
        ),
        // Ownership.
        row(
            "owned elsewhere: never writes",
            with(world(), |w| {
                w.claim = Claim::OwnedElsewhere {
                    owner: "sales/jane".into(),
                }
            }),
            keep,
            "Fail OwnedElsewhere",
            "sales/jane",
        ),
        // Reading GoTo failed.
        row(
            "GoTo 5xx on read",
            with(world(), |w| w.organizer = Lookup::Failed(transient())),
            keep,
            "Fail GoToUnavailable",
            "",
        ),
        row(
            "GoTo 429 on read",
            with(world(), |w| {
                w.organizer = Lookup::Failed(goto::Error::RateLimited { retry_after: None })
            }),
            keep,
            "Fail RateLimited",
            "",
        ),
        // Create or adopt.
        row(
            "nothing in GoTo: create",
            world(),
            keep,
            "Create",
            "create organizer for jane.doe@example.com",
        ),
        row(
            "create carries what POST cannot in one PUT",
            world(),
            |s| {
                s.locale = Some("fr_FR".into());
                s.time_zone = Some("Europe/Paris".into())
            },
            "Create",
            "then set locale, timeZone",
        ),
        row(
            "create suspended",
            world(),
            |s| s.suspended = true,
            "Create",
            "then suspend",
        ),
        row(
            "email match: adopt",
            with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            keep,
            "Adopt by email",
            "adopt key 7",
        ),
        row(
            "adopt then correct",
            with(world(), |w| {
                let mut o = organizer("7");
                o.first_name = "J".into();
                w.organizer = Lookup::ByEmail(o)
            }),
            keep,
            "Adopt by email",
            "update firstName: J -> Jane",
        ),
        row(
            "annotation match: adopt",
            with(world(), |w| {
                w.object.annotation_key = Some("7".into());
                w.organizer = Lookup::Annotated(organizer("7"))
            }),
            keep,
            "Adopt by annotation",
            "by annotation",
        ),
        row(
            "annotation of another email: InvalidSpec",
            with(world(), |w| {
                let mut o = organizer("7");
                o.email = "someone.else@example.com".into();
                w.organizer = Lookup::Annotated(o)
            }),
            keep,
            "Fail InvalidSpec",
            "someone.else",
        ),
        row(
            "annotation email differs only in case: adopt",
            with(world(), |w| {
                let mut o = organizer("7");
                o.email = "Jane.Doe@Example.com".into();
                w.organizer = Lookup::Annotated(o)
            }),
            keep,
            "Adopt by annotation",
            "",
        ),
        row(
            "annotation of another account: InvalidSpec",
            with(world(), |w| {
                let mut o = organizer("7");
                o.account_key = Some("99".into());
                w.organizer = Lookup::Annotated(o)
            }),
            keep,
            "Fail InvalidSpec",
            "belongs to account 99",
        ),
        row(
            "annotation names nothing: InvalidSpec",
            with(world(), |w| {
                w.organizer = Lookup::AnnotatedMissing { key: "999".into() }
            }),
            keep,
            "Fail InvalidSpec",
            "does not exist",
        ),
        // Adoption policy.
        row(
            "AdoptOnly, no match: OrganizerNotFound",
            world(),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::AdoptOnly,
            "Fail OrganizerNotFound",
            "AdoptOnly",
        ),
        row(
            "AdoptOnly, match: adopt",
            with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::AdoptOnly,
            "Adopt by email",
            "",
        ),
        row(
            "CreateOnly, match exists: AlreadyExists",
            with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::CreateOnly,
            "Fail AlreadyExists",
            "CreateOnly",
        ),
        row(
            "CreateOnly, annotation: InvalidSpec",
            with(world(), |w| w.organizer = Lookup::Annotated(organizer("7"))),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::CreateOnly,
            "Fail InvalidSpec",
            "CreateOnly",
        ),
        row(
            "CreateOnly, no match: create",
            world(),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::CreateOnly,
            "Create",
            "",
        ),
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
        // Deletion.
        row(
            "delete: owned elsewhere releases, touches nothing",
            with(deleting(organizer("7"), &[]), |w| {
                w.claim = Claim::OwnedElsewhere {
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

#[test]
fn decide_table() {
    let rows = decide_rows();
    for r in &rows {
        let mut s = spec();
        (r.spec)(&mut s);
        let plan = decide(&r.observed, &s, now());
        assert_eq!(kind(&plan), r.plan, "{}: {plan}", r.rule);
        assert!(
            plan.describe().contains(r.says),
            "{}: {:?} lacks {:?}",
            r.rule,
            plan.describe(),
            r.says
        );
    }
    assert!(rows.len() >= 60, "{} rows", rows.len());
}

#[test]
fn only_plans_that_write_say_so() {
    let write = |w: Observed, f: fn(&mut GoToOrganizerSpec)| {
        let mut s = spec();
        f(&mut s);
        decide(&w, &s, now()).writes()
    };
    assert!(write(world(), keep), "create");
    assert!(!write(recorded(organizer("7")), keep), "in sync");
    assert!(
        !write(
            with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            keep
        ),
        "plain adoption"
    );
    assert!(!write(deleting(organizer("7"), &["1"]), keep), "block");
    assert!(
        write(deleting(organizer("7"), &[]), keep),
        "suspend before delete"
    );
    assert!(!write(deleting(organizer("7"), &[]), |s| s
        .deletion_policy =
        crate::crd::DeletionPolicy::Orphan));
}

#[test]
fn every_failure_reason_is_a_decision_and_retries_by_class() {
    let p = RequeuePolicy {
        slow: std::time::Duration::from_secs(300),
        reaudit: std::time::Duration::from_secs(60),
        backoff_base: std::time::Duration::from_secs(2),
        backoff_max: std::time::Duration::from_secs(300),
        soon: std::time::Duration::from_secs(4),
    };
    let mut seen = std::collections::BTreeSet::new();
    for r in decide_rows() {
        let mut s = spec();
        (r.spec)(&mut s);
        if let Plan::Fail(e) = decide(&r.observed, &s, now()) {
            if let Some(reason) = e.reason() {
                seen.insert(reason);
            }
            match &e {
                Error::AuditFailed(_) => assert_eq!(e.retry(&p), Retry::Backoff, "{}", r.rule),
                Error::Kube(_) | Error::TokenEndpoint(goto::Error::Transient(_)) => {
                    assert_eq!(e.retry(&p), Retry::Soon, "{}", r.rule)
                }
                _ => assert_ne!(e.retry(&p), Retry::Soon, "{}", r.rule),
            }
        }
    }
    for reason in [
        reason::INVALID_SPEC,
        reason::ACCOUNT_NOT_FOUND,
        reason::ACCOUNT_NOT_READY,
        reason::CREDENTIALS_INVALID,
        reason::RATE_LIMITED,
        reason::GOTO_UNAVAILABLE,
        reason::AUDIT_FAILED,
        reason::OWNED_ELSEWHERE,
        reason::ALREADY_EXISTS,
        reason::DELETED_EXTERNALLY,
        reason::ORGANIZER_NOT_FOUND,
    ] {
        assert!(seen.contains(reason), "no decide row fails with {reason}");
    }
}

#[test]
fn the_requeue_is_timed_to_suspend_at_not_polled() {
    let resync = std::time::Duration::from_secs(600);
    let mut s = spec();
    s.suspend_at = Some(Time(now() + 30.seconds()));
    let d = next_look(&s, now(), resync);
    assert!(
        d >= std::time::Duration::from_secs(30) && d <= std::time::Duration::from_secs(31),
        "{d:?}"
    );
    s.suspend_at = Some(Time(now() + 2.hours()));
    assert!(next_look(&s, now(), resync) <= resync);
    s.suspend_at = Some(Time(now() - 1.hours()));
    assert!(next_look(&s, now(), resync) >= std::time::Duration::from_secs(500));
}
