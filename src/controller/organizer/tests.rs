//! Table tests of `decide` and `report`: every rule of API.md "Behaviour" and every reason, each
//! row an observed world, a spec, and the plan (or status and Events) it must give. No cluster,
//! no network.
use jiff::{Timestamp, ToSpan};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::events::EventType;
use serde_json::json;

use super::act::{Outcome, Step};
use super::decide::{Plan, Via, decide, next_look};
use super::observe::{AccountState, Audit, Claim, Lookup, ObjectFacts, Observed};
use super::report::{Note, failure, report, same_but_timestamps};
use crate::controller::error::{Error, RequeuePolicy, Retry};
use crate::crd::conditions::{self, READY, SYNCED, event, reason};
use crate::crd::{GoToOrganizerSpec, GoToOrganizerStatus};
use crate::goto::{self, Meeting, Organizer, OrganizerStatus};

const ACCOUNT: &str = "4200000000000000001";

fn spec() -> GoToOrganizerSpec {
    serde_json::from_value(json!({
        "accountRef": {"name": "acme"}, "email": "jane.doe@example.com",
        "firstName": "Jane", "lastName": "Doe",
    }))
    .expect("spec")
}

fn organizer(key: &str) -> Organizer {
    serde_json::from_value(json!({
        "organizerKey": key, "accountKey": ACCOUNT, "email": "jane.doe@example.com",
        "firstName": "Jane", "lastName": "Doe", "status": "ACTIVE", "adminRoles": [],
    }))
    .expect("organizer")
}

fn suspended(key: &str) -> Organizer {
    let mut o = organizer(key);
    o.status = Some(OrganizerStatus::Suspended);
    o
}

fn meeting(id: &str) -> Meeting {
    serde_json::from_value(json!({"meetingId": id, "subject": format!("m{id}"),
        "startTime": "2030-01-01T10:00:00Z"}))
    .expect("meeting")
}

/// A live object that recorded nothing yet, in a usable account, owning its claim.
fn world() -> Observed {
    Observed {
        object: ObjectFacts {
            generation: Some(1),
            ..ObjectFacts::default()
        },
        account: AccountState::Usable {
            account_key: ACCOUNT.into(),
        },
        claim: Claim::Owner,
        organizer: Lookup::Absent,
        audit: Audit::NotRun,
    }
}

/// A live object that recorded organizer 7.
fn recorded(o: Organizer) -> Observed {
    let mut w = world();
    w.object.recorded_key = Some(o.organizer_key.to_string());
    w.organizer = Lookup::Recorded(o);
    w
}

/// A deleting object that recorded organizer 7, audited with `meetings`.
fn deleting(o: Organizer, meetings: &[&str]) -> Observed {
    let mut w = recorded(o);
    w.object.deleting = true;
    w.audit = Audit::Complete(meetings.iter().map(|m| meeting(m)).collect());
    w
}

fn now() -> Timestamp {
    "2026-12-01T12:00:00Z".parse().expect("time")
}

/// The variant name, and the reason of a failure.
fn kind(plan: &Plan) -> String {
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

fn with(mut w: Observed, f: impl FnOnce(&mut Observed)) -> Observed {
    f(&mut w);
    w
}

fn keep(_: &mut GoToOrganizerSpec) {}

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

// ---- report ----

fn ready(status: &GoToOrganizerStatus) -> (String, String, String) {
    let c = conditions::find(&status.conditions, READY).expect("Ready");
    (c.status.clone(), c.reason.clone(), c.message.clone())
}

fn synced(status: &GoToOrganizerStatus) -> (String, String, String) {
    let c = conditions::find(&status.conditions, SYNCED).expect("Synced");
    (c.status.clone(), c.reason.clone(), c.message.clone())
}

fn reasons(notes: &[Note]) -> Vec<&'static str> {
    notes.iter().map(|n| n.reason).collect()
}

fn run(
    w: &Observed,
    s: &GoToOrganizerSpec,
    outcome: Outcome,
    previous: &GoToOrganizerStatus,
) -> (Plan, GoToOrganizerStatus, Vec<Note>) {
    let plan = decide(w, s, now());
    let (status, notes) = report(w, s, &plan, &outcome, previous, now());
    (plan, status, notes)
}

fn done(o: Organizer, steps: Vec<Step>) -> Outcome {
    Outcome {
        organizer: Some(o),
        steps,
        ..Outcome::default()
    }
}

/// The status a quiet reconcile of organizer 7 leaves.
fn settled() -> GoToOrganizerStatus {
    let w = recorded(organizer("7"));
    let (_, status, _) = run(
        &w,
        &spec(),
        done(organizer("7"), vec![]),
        &GoToOrganizerStatus::default(),
    );
    status
}

#[test]
fn a_reconcile_that_finds_everything_as_recorded_writes_no_status_and_no_event() {
    let previous = settled();
    let later = now() + 10.minutes();
    let w = recorded(organizer("7"));
    let plan = decide(&w, &spec(), later);
    let (next, notes) = report(
        &w,
        &spec(),
        &plan,
        &done(organizer("7"), vec![]),
        &previous,
        later,
    );
    assert!(same_but_timestamps(&next, &previous));
    assert_eq!(
        next.last_synced_at, previous.last_synced_at,
        "lastSyncedAt does not move"
    );
    assert!(notes.is_empty(), "{notes:?}");
}

#[test]
fn create_reports_key_state_ready_and_events() {
    let mut s = spec();
    s.locale = Some("fr_FR".into());
    let (_, status, notes) = run(
        &world(),
        &s,
        done(
            organizer("7"),
            vec![
                Step::Created,
                Step::Updated {
                    fields: vec!["locale"],
                },
            ],
        ),
        &GoToOrganizerStatus::default(),
    );
    assert_eq!(status.organizer_key.as_deref(), Some("7"));
    assert_eq!(status.account_key.as_deref(), Some(ACCOUNT));
    assert_eq!(status.state.as_deref(), Some("ACTIVE"));
    assert_eq!(status.observed_generation, Some(1));
    assert_eq!(status.last_synced_at, Some(Time(now())));
    assert_eq!(ready(&status).1, reason::RECONCILED);
    assert_eq!(synced(&status).1, reason::IN_SYNC);
    assert_eq!(reasons(&notes), [event::CREATED, event::UPDATED]);
    assert_eq!(notes[1].action, event::ACTION_UPDATE);
    assert!(notes[1].note.contains("set locale"), "{}", notes[1].note);
}

#[test]
fn updates_say_whether_they_corrected_drift_or_set_a_new_spec() {
    let previous = settled();
    let mut drifted = organizer("7");
    drifted.last_name = "Hacked".into();
    let (_, _, notes) = run(
        &recorded(drifted),
        &spec(),
        done(
            organizer("7"),
            vec![Step::Updated {
                fields: vec!["lastName"],
            }],
        ),
        &previous,
    );
    assert_eq!(notes[0].action, event::ACTION_CORRECT_DRIFT);
    assert!(notes[0].note.starts_with("corrected lastName"));
    let w = with(recorded(organizer("7")), |w| w.object.generation = Some(2));
    let mut s = spec();
    s.first_name = "Janet".into();
    let (_, _, notes) = run(
        &w,
        &s,
        done(
            organizer("7"),
            vec![Step::Updated {
                fields: vec!["firstName"],
            }],
        ),
        &previous,
    );
    assert_eq!(notes[0].action, event::ACTION_UPDATE);
}

#[test]
fn adoption_recreation_suspension_and_resume_are_announced() {
    let base = GoToOrganizerStatus::default();
    let (_, _, notes) = run(
        &with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
        &spec(),
        done(organizer("7"), vec![]),
        &base,
    );
    assert_eq!(reasons(&notes), [event::ADOPTED]);
    let gone = with(world(), |w| {
        w.organizer = Lookup::RecordedGone { key: "6".into() }
    });
    let (_, status, notes) = run(
        &gone,
        &spec(),
        done(
            organizer("7"),
            vec![Step::Recreated {
                previous: "6".into(),
            }],
        ),
        &base,
    );
    assert_eq!(reasons(&notes), [event::RECREATED]);
    assert!(notes[0].note.contains('6') && notes[0].note.contains('7'));
    assert_eq!(status.organizer_key.as_deref(), Some("7"));
    let mut s = spec();
    s.suspend_at = Some(Time(now() - 1.hours()));
    let (_, status, notes) = run(
        &recorded(organizer("7")),
        &s,
        done(suspended("7"), vec![Step::Suspended]),
        &settled(),
    );
    assert_eq!(reasons(&notes), [event::SUSPENDED]);
    assert!(notes[0].note.contains("as scheduled"), "{}", notes[0].note);
    assert_eq!(status.state.as_deref(), Some("SUSPENDED"));
    let (_, _, notes) = run(
        &recorded(suspended("7")),
        &spec(),
        done(organizer("7"), vec![Step::Resumed]),
        &settled(),
    );
    assert_eq!(reasons(&notes), [event::RESUMED]);
}

#[test]
fn a_suspend_at_to_come_is_shown_in_the_ready_message() {
    let mut s = spec();
    s.suspend_at = Some(Time("2026-12-31T17:00:00Z".parse().expect("t")));
    let (_, status, _) = run(
        &recorded(organizer("7")),
        &s,
        done(organizer("7"), vec![]),
        &GoToOrganizerStatus::default(),
    );
    assert!(
        ready(&status).2.contains("2026-12-31T17:00:00Z"),
        "{:?}",
        ready(&status)
    );
}

#[test]
fn failures_set_ready_false_with_one_event_per_transition() {
    type Case = (
        Observed,
        fn(&mut GoToOrganizerSpec),
        &'static str,
        EventType,
    );
    let cases: Vec<Case> = vec![
        (
            with(world(), |w| w.object.invalid = Some("bad".into())),
            keep,
            reason::INVALID_SPEC,
            EventType::Warning,
        ),
        (
            with(world(), |w| {
                w.account = AccountState::NotFound("acme".into())
            }),
            keep,
            reason::ACCOUNT_NOT_FOUND,
            EventType::Warning,
        ),
        (
            with(world(), |w| w.account = AccountState::NotReady("x".into())),
            keep,
            reason::ACCOUNT_NOT_READY,
            EventType::Warning,
        ),
        (
            with(world(), |w| {
                w.claim = Claim::OwnedElsewhere {
                    owner: "sales/jane".into(),
                }
            }),
            keep,
            reason::OWNED_ELSEWHERE,
            EventType::Warning,
        ),
        (
            with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::CreateOnly,
            reason::ALREADY_EXISTS,
            EventType::Warning,
        ),
        (
            with(world(), |w| {
                w.organizer = Lookup::RecordedGone { key: "7".into() }
            }),
            |s| s.on_external_delete = crate::crd::OnExternalDelete::Report,
            reason::DELETED_EXTERNALLY,
            EventType::Warning,
        ),
        (
            world(),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::AdoptOnly,
            reason::ORGANIZER_NOT_FOUND,
            EventType::Warning,
        ),
        (
            with(deleting(organizer("7"), &[]), |w| {
                w.audit = Audit::Failed(goto::Error::NotFound)
            }),
            keep,
            reason::AUDIT_FAILED,
            EventType::Warning,
        ),
        (
            with(world(), |w| w.object.paused = true),
            keep,
            reason::PAUSED,
            EventType::Normal,
        ),
    ];
    for (w, f, want, type_) in cases {
        let mut s = spec();
        f(&mut s);
        let (_, status, notes) = run(&w, &s, Outcome::default(), &settled());
        assert_eq!(ready(&status).0, "False", "{want}");
        assert_eq!(ready(&status).1, want);
        assert_eq!(notes.len(), 1, "{want}: {notes:?}");
        assert_eq!((notes[0].reason, notes[0].type_), (want, type_));
        let (_, again, notes) = run(&w, &s, Outcome::default(), &status);
        assert!(notes.is_empty(), "{want}: no second event");
        assert!(
            same_but_timestamps(&again, &status),
            "{want}: no second write"
        );
    }
    let (_, status, notes) = run(
        &with(world(), |w| {
            w.claim = Claim::OwnedElsewhere {
                owner: "sales/jane".into(),
            }
        }),
        &spec(),
        Outcome::default(),
        &settled(),
    );
    assert!(ready(&status).2.contains("sales/jane"));
    assert!(notes[0].note.contains("sales/jane"));
}

#[test]
fn write_failures_report_their_goto_reason() {
    for (error, want) in [
        (
            goto::Error::SeatUnavailable { status: 402 },
            reason::SEAT_UNAVAILABLE,
        ),
        (goto::Error::Unauthorized, reason::CREDENTIALS_INVALID),
        (
            goto::Error::RateLimited { retry_after: None },
            reason::RATE_LIMITED,
        ),
        (
            goto::Error::Transient("HTTP 500".into()),
            reason::GOTO_UNAVAILABLE,
        ),
    ] {
        let outcome = Outcome {
            error: Some(Error::GoTo(error)),
            ..Outcome::default()
        };
        let (_, status, notes) = run(&world(), &spec(), outcome, &GoToOrganizerStatus::default());
        assert_eq!(ready(&status).1, want);
        assert_eq!(reasons(&notes), [want]);
    }
}

#[test]
fn a_kubernetes_failure_changes_no_condition() {
    let previous = settled();
    let w = with(world(), |w| {
        w.account = AccountState::Unreachable("refused".into())
    });
    let (_, status, notes) = run(&w, &spec(), Outcome::default(), &previous);
    assert!(same_but_timestamps(&status, &previous));
    assert!(notes.is_empty());
}

#[test]
fn observe_reports_drift_in_synced() {
    let mut o = organizer("7");
    o.first_name = "Olive".into();
    let mut s = spec();
    s.management_policy = crate::crd::ManagementPolicy::Observe;
    let (_, status, notes) = run(
        &recorded(o.clone()),
        &s,
        done(o, vec![]),
        &GoToOrganizerStatus::default(),
    );
    assert_eq!(ready(&status).1, reason::RECONCILED);
    let (st, r, m) = synced(&status);
    assert_eq!((st.as_str(), r.as_str()), ("False", reason::DRIFTED));
    assert!(m.contains("firstName: Olive -> Jane"), "{m}");
    assert!(notes.is_empty());
}

#[test]
fn a_kept_outside_suspension_is_synced_false_and_still_ready() {
    let mut s = spec();
    s.on_external_suspend = crate::crd::OnExternalSuspend::Respect;
    let (_, status, _) = run(
        &recorded(suspended("7")),
        &s,
        done(suspended("7"), vec![]),
        &settled(),
    );
    assert_eq!(ready(&status).0, "True");
    assert_eq!(synced(&status).1, reason::SUSPENDED_EXTERNALLY);
    assert_eq!(status.state.as_deref(), Some("SUSPENDED"));
}

#[test]
fn a_blocked_deletion_audits_once_and_warns_once() {
    let w = deleting(organizer("7"), &["1", "2"]);
    let (plan, status, notes) = run(&w, &spec(), done(organizer("7"), vec![]), &settled());
    assert!(matches!(
        failure(&plan, &Outcome::default()),
        Some(Error::DeletionBlocked(_))
    ));
    assert_eq!(
        reasons(&notes),
        [event::MEETINGS_AUDITED, reason::DELETION_BLOCKED]
    );
    let audit = status.meeting_audit.clone().expect("audit");
    assert_eq!(audit.upcoming_meeting_count, 2);
    assert_eq!(audit.upcoming_meetings[0].meeting_id, "1");
    assert_eq!(ready(&status).1, reason::DELETION_BLOCKED);
    // The periodic re-audit finds the same: no Event, no write.
    let later = now() + 1.minutes();
    let (again, notes) = report(
        &w,
        &spec(),
        &plan,
        &done(organizer("7"), vec![]),
        &status,
        later,
    );
    assert!(notes.is_empty(), "{notes:?}");
    assert!(same_but_timestamps(&again, &status));
    assert_eq!(
        again.meeting_audit, status.meeting_audit,
        "auditedAt kept for the same result"
    );
}

#[test]
fn suspend_then_delete_names_the_cancelled_meetings() {
    let mut s = spec();
    s.on_upcoming_meetings = crate::crd::OnUpcomingMeetings::Cancel;
    let w = deleting(organizer("7"), &["1"]);
    let outcome = Outcome {
        organizer: None,
        steps: vec![
            Step::Suspended,
            Step::Deleted {
                cancelled: 1,
                already_gone: false,
            },
        ],
        reaudit: Some(vec![meeting("1")]),
        error: None,
    };
    let (plan, _, notes) = run(&w, &s, outcome.clone(), &settled());
    assert!(
        failure(&plan, &outcome).is_none(),
        "the finalizer is released"
    );
    assert_eq!(
        reasons(&notes),
        [event::MEETINGS_AUDITED, event::SUSPENDED, event::DELETED]
    );
    assert!(
        notes[2].note.contains("cancelled its 1 upcoming"),
        "{}",
        notes[2].note
    );
    let outcome = Outcome {
        steps: vec![Step::Deleted {
            cancelled: 0,
            already_gone: false,
        }],
        ..Outcome::default()
    };
    let (_, _, notes) = run(&deleting(suspended("7"), &[]), &spec(), outcome, &settled());
    assert!(
        notes
            .iter()
            .any(|n| n.reason == event::DELETED && n.note.contains("0 cancelled")),
        "{notes:?}"
    );
}

#[test]
fn a_meeting_booked_before_the_second_audit_blocks_the_delete() {
    let w = deleting(organizer("7"), &[]);
    let outcome = Outcome {
        organizer: None,
        steps: vec![Step::Suspended],
        reaudit: Some(vec![meeting("9")]),
        error: Some(super::decide::blocked("7", &[meeting("9")])),
    };
    let (plan, status, notes) = run(&w, &spec(), outcome.clone(), &settled());
    assert!(matches!(
        failure(&plan, &outcome),
        Some(Error::DeletionBlocked(_))
    ));
    assert_eq!(
        reasons(&notes),
        [
            event::MEETINGS_AUDITED,
            event::SUSPENDED,
            reason::DELETION_BLOCKED
        ]
    );
    assert_eq!(
        status.meeting_audit.expect("audit").upcoming_meeting_count,
        1
    );
}

#[test]
fn releases_and_orphans_are_announced_and_keep_no_finalizer() {
    let w = with(world(), |w| {
        w.object.deleting = true;
        w.organizer = Lookup::NotLooked
    });
    let (plan, _, notes) = run(
        &w,
        &spec(),
        Outcome::default(),
        &GoToOrganizerStatus::default(),
    );
    assert!(failure(&plan, &Outcome::default()).is_none());
    assert_eq!(reasons(&notes), [event::RELEASED]);
    let mut s = spec();
    s.deletion_policy = crate::crd::DeletionPolicy::Orphan;
    let (_, _, notes) = run(
        &deleting(organizer("7"), &[]),
        &s,
        Outcome::default(),
        &settled(),
    );
    assert_eq!(reasons(&notes), [event::ORPHANED]);
    let owned = with(deleting(organizer("7"), &[]), |w| {
        w.claim = Claim::OwnedElsewhere {
            owner: "it/jane".into(),
        }
    });
    let (_, _, notes) = run(&owned, &spec(), Outcome::default(), &settled());
    assert_eq!(reasons(&notes), [event::RELEASED]);
    assert!(notes[0].note.contains("it/jane"));
}

#[test]
fn every_event_reason_is_a_constant_the_readme_lists() {
    let readme = include_str!("../../../README.md");
    for reason in event::ALL {
        assert!(
            readme.contains(&format!("`{reason}`")),
            "README lacks Event {reason}"
        );
    }
}
