//! `act` against the in-memory GoTo: the writes each plan makes, and the sharp edges of the
//! contract (a crash after a create, 409, 402, 404, an audit that changes before a DELETE).
use super::desk::Desk;
use super::*;
use crate::controller::organizer::seat_membership;
use crate::controller::organizer::seat_queue::Membership;
use crate::goto::{Call, Op, OrganizerKey};

fn call(op: Op, subject: &str) -> Call {
    Call {
        op,
        subject: subject.into(),
    }
}

fn localized(s: &mut GoToOrganizerSpec) {
    s.locale = Some("en_US".into());
    s.time_zone = Some("America/New_York".into());
}

#[tokio::test]
async fn a_create_records_the_key_before_the_put_that_follows() {
    let mut desk = Desk::new(localized);
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Create");
    assert!(pass.failure().is_none(), "{:?}", pass.failure());
    let key = pass
        .outcome
        .organizer
        .as_ref()
        .expect("organizer")
        .organizer_key
        .to_string();
    assert_eq!(
        desk.goto.writes(),
        [
            call(Op::Create, "jane.doe@example.com"),
            call(Op::Update, &key)
        ]
    );
    assert_eq!(desk.books.recorded_keys(), std::slice::from_ref(&key));
    assert_eq!(desk.books.wrote(), ["create", "update"]);
    assert_eq!(pass.outcome.steps[0], Step::Created);
    let held = desk.held(&key).expect("held");
    assert_eq!(held.time_zone.as_deref(), Some("America/New_York"));
    assert_eq!(held.locale.as_deref(), Some("en_US"));
    let status = desk.obj.status.as_ref().expect("status");
    assert_eq!(status.organizer_key.as_deref(), Some(key.as_str()));
    assert_eq!(status.account_key.as_deref(), Some(ACCOUNT));
    // The next look finds everything as the spec says.
    assert_eq!(kind(&desk.pass().await.plan), "Nothing");
    assert_eq!(desk.goto.writes().len(), 2);
}

#[tokio::test]
async fn a_create_with_nothing_more_to_set_writes_no_status_of_its_own() {
    let mut desk = Desk::new(keep);
    let pass = desk.pass().await;
    assert_eq!(pass.outcome.steps, [Step::Created]);
    assert!(desk.books.recorded_keys().is_empty());
    assert_eq!(desk.goto.organizers().len(), 1);
}

/// The process dies between GoTo's create and the status write that records the key: the
/// restarted process finds the organizer by email and adopts it.
#[tokio::test]
async fn a_crash_between_create_and_key_record_adopts_on_retry() {
    let mut desk = Desk::new(localized);
    desk.books.api_down = true;
    let first = desk.pass().await;
    assert!(
        matches!(first.failure(), Some(Error::Kube(_))),
        "{:?}",
        first.failure()
    );
    assert_eq!(
        desk.goto.writes().len(),
        1,
        "nothing follows an unrecorded create"
    );
    desk.restart();
    assert!(
        desk.obj.status.is_none(),
        "the key never reached the cluster"
    );
    let retry = desk.pass().await;
    assert_eq!(kind(&retry.plan), "Adopt by email");
    assert_eq!(desk.goto.count(Op::Create), 1);
    assert_eq!(desk.goto.organizers().len(), 1);
    assert!(retry.failure().is_none(), "{:?}", retry.failure());
    assert_eq!(kind(&desk.pass().await.plan), "Nothing");
}

/// The status write fails but the process lives: the key it remembers leads it back to the
/// same organizer, never to a second create.
#[tokio::test]
async fn a_refused_key_record_resumes_from_the_remembered_key() {
    let mut desk = Desk::new(localized);
    desk.books.api_down = true;
    desk.pass().await;
    let key = desk.books.remembered().expect("remembered");
    desk.books.api_down = false;
    let retry = desk.pass().await;
    assert!(matches!(retry.observed.organizer, Lookup::Recorded(_)));
    assert_eq!(kind(&retry.plan), "Update");
    assert_eq!(desk.goto.count(Op::Create), 1);
    assert_eq!(
        desk.goto.count(Op::FindByEmail),
        1,
        "only the first pass looked by email"
    );
    assert_eq!(
        desk.obj
            .status
            .as_ref()
            .and_then(|s| s.organizer_key.clone()),
        Some(key)
    );
}

/// Someone created the organizer between the email lookup and the create: GoTo answers 409 and
/// the organizer with the email is adopted, never a second seat.
#[tokio::test]
async fn a_409_on_create_adopts_the_organizer_that_has_the_email() {
    let mut desk = Desk::new(keep);
    desk.goto.after_next(Op::FindByEmail, |account| {
        let mut theirs = organizer("99");
        theirs.email = "JANE.DOE@example.com".into();
        account.organizers.insert(OrganizerKey::new("99"), theirs);
    });
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Create");
    assert_eq!(pass.outcome.steps, [Step::AdoptedOnConflict]);
    assert_eq!(desk.goto.organizers().len(), 1);
    let status = desk.obj.status.as_ref().expect("status");
    assert_eq!(status.organizer_key.as_deref(), Some("99"));
    assert!(pass.notes.iter().any(|n| n.reason == event::ADOPTED));
}

#[tokio::test]
async fn a_409_on_create_with_create_only_adopts_nothing() {
    let mut desk = Desk::new(|s| s.adoption_policy = crate::crd::AdoptionPolicy::CreateOnly);
    desk.goto.after_next(Op::FindByEmail, |account| {
        account
            .organizers
            .insert(OrganizerKey::new("99"), organizer("99"));
    });
    let pass = desk.pass().await;
    assert!(matches!(pass.failure(), Some(Error::AlreadyExists(_))));
    assert!(pass.outcome.steps.is_empty());
    assert_eq!(desk.goto.count(Op::Read), 0);
}

#[tokio::test]
async fn no_seat_left_on_create_waits_for_one() {
    let mut desk = Desk::new(keep);
    let mut other = organizer("");
    other.email = "someone@example.com".into();
    desk.goto.insert(other);
    desk.goto.set_seats(1);
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Create");
    assert!(matches!(
        pass.outcome.error,
        Some(Error::GoTo(goto::Error::SeatUnavailable { status: 402 }))
    ));
    assert_eq!(seat_membership(&pass.plan, &pass.outcome), Membership::Wait);
    assert_eq!(desk.goto.organizers().len(), 1);
    let ready = desk.condition(READY);
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_str()),
        ("False", reason::SEAT_UNAVAILABLE)
    );
    // A freed seat: the next pass creates.
    desk.goto.set_seats(2);
    assert!(desk.pass().await.failure().is_none());
    assert_eq!(desk.goto.organizers().len(), 2);
}

#[tokio::test]
async fn drift_is_corrected_by_exactly_one_full_update() {
    let mut drifted = organizer("7");
    drifted.first_name = "Janet".into();
    drifted.last_name = "Dow".into();
    drifted.time_zone = Some("Europe/Paris".into());
    let mut desk = Desk::recorded(|s| s.locale = Some("en_US".into()), drifted);
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Update");
    assert_eq!(desk.goto.writes(), [call(Op::Update, "7")]);
    let held = desk.held("7").expect("held");
    assert_eq!(
        (held.first_name.as_str(), held.last_name.as_str()),
        ("Jane", "Doe")
    );
    assert_eq!(held.locale.as_deref(), Some("en_US"));
    // A field the spec leaves unset is restated, not reset by the full PUT.
    assert_eq!(held.time_zone.as_deref(), Some("Europe/Paris"));
    assert_eq!(
        pass.outcome.steps,
        [Step::Updated {
            fields: vec!["firstName", "lastName", "locale"]
        }]
    );
    assert!(
        pass.notes
            .iter()
            .any(|n| n.action == event::ACTION_CORRECT_DRIFT)
    );
    assert_eq!(kind(&desk.pass().await.plan), "Nothing");
    assert_eq!(desk.goto.writes().len(), 1);
}

#[tokio::test]
async fn observe_reports_drift_and_writes_nothing() {
    let mut drifted = organizer("7");
    drifted.first_name = "Janet".into();
    let mut desk = Desk::recorded(
        |s| s.management_policy = crate::crd::ManagementPolicy::Observe,
        drifted,
    );
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Observe");
    assert!(desk.goto.writes().is_empty());
    let synced = desk.condition(SYNCED);
    assert_eq!(synced.reason, reason::DRIFTED);
}

#[tokio::test]
async fn suspend_and_resume_follow_the_spec() {
    let mut desk = Desk::recorded(|s| s.suspended = true, organizer("7"));
    let pass = desk.pass().await;
    assert_eq!(pass.outcome.steps, [Step::Suspended]);
    assert_eq!(desk.goto.writes(), [call(Op::Suspend, "7")]);
    assert_eq!(
        desk.held("7").expect("held").status,
        Some(OrganizerStatus::Suspended)
    );
    assert_eq!(kind(&desk.pass().await.plan), "Nothing");

    desk.obj.spec.suspended = false;
    let pass = desk.pass().await;
    assert_eq!(pass.outcome.steps, [Step::Resumed]);
    assert_eq!(desk.goto.writes()[1], call(Op::Resume, "7"));
    assert_eq!(
        desk.held("7").expect("held").status,
        Some(OrganizerStatus::Active)
    );
    assert_eq!(desk.goto.writes().len(), 2);
}

#[tokio::test]
async fn a_suspension_made_outside_is_kept_when_the_spec_respects_it() {
    let mut desk = Desk::recorded(
        |s| s.on_external_suspend = crate::crd::OnExternalSuspend::Respect,
        organizer("7"),
    );
    desk.pass().await;
    desk.goto.edit(|a| {
        if let Some(o) = a.organizers.get_mut(&OrganizerKey::new("7")) {
            o.status = Some(OrganizerStatus::Suspended);
        }
    });
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Nothing");
    assert!(desk.goto.writes().is_empty());
    let synced = desk.condition(SYNCED);
    assert_eq!(synced.reason, reason::SUSPENDED_EXTERNALLY);
}

#[tokio::test]
async fn an_organizer_deleted_outside_is_created_again() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.goto.edit(|a| {
        a.organizers.remove(&OrganizerKey::new("7"));
    });
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Recreate");
    assert!(matches!(&pass.outcome.steps[..], [Step::Recreated { previous }] if previous == "7"));
    let key = desk
        .obj
        .status
        .as_ref()
        .and_then(|s| s.organizer_key.clone());
    assert_ne!(key.as_deref(), Some("7"));
    assert_eq!(desk.goto.organizers().len(), 1);
}

#[tokio::test]
async fn a_failed_write_is_the_outcome_error_and_changes_nothing() {
    let mut drifted = organizer("7");
    drifted.first_name = "Janet".into();
    let mut desk = Desk::recorded(keep, drifted);
    desk.goto
        .fail_next(Op::Update, goto::Error::Transient("HTTP 503".into()));
    let pass = desk.pass().await;
    assert!(matches!(
        pass.outcome.error,
        Some(Error::GoTo(goto::Error::Transient(_)))
    ));
    assert!(pass.outcome.steps.is_empty());
    assert_eq!(desk.held("7").expect("held").first_name, "Janet");
    assert!(desk.books.wrote().is_empty());
}

/// A desk whose account speaks GoTo's v1, which cannot change names, locale, time zone or
/// roles.
fn v1(desk: Desk) -> Desk {
    Desk {
        goto: desk.goto.with_capabilities(crate::goto::Capabilities {
            profile_updates: false,
        }),
        ..desk
    }
}

/// Issue 20 (2): what v1 cannot change is never sent; Synced=False NotSupportedByApi names the
/// fields, Ready stays True.
#[tokio::test]
async fn through_v1_a_name_change_is_reported_not_sent() {
    let mut desk = v1(Desk::recorded(
        |s| {
            s.first_name = "Janet".into();
            s.locale = Some("de_DE".into());
        },
        organizer("7"),
    ));
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Nothing", "{}", pass.plan);
    assert!(desk.goto.writes().is_empty(), "{:?}", desk.goto.writes());
    let synced = desk.condition(SYNCED);
    assert_eq!(synced.status, "False");
    assert_eq!(synced.reason, reason::NOT_SUPPORTED_BY_API);
    assert!(synced.message.contains("firstName"), "{}", synced.message);
    assert!(synced.message.contains("locale"), "{}", synced.message);
    assert_eq!(desk.condition(READY).status, "True");
    assert!(
        pass.plan.to_string().contains("cannot change"),
        "plan says so: {}",
        pass.plan
    );
}

/// Observe writes nothing in any dialect, so through v1 a name that differs is drift like any
/// other: Synced=False Drifted names it (not NotSupportedByApi, and never InSync).
#[tokio::test]
async fn through_v1_observe_reports_a_name_drift() {
    let mut drifted = organizer("7");
    drifted.first_name = "Janet".into();
    let mut desk = v1(Desk::recorded(
        |s| s.management_policy = crate::crd::ManagementPolicy::Observe,
        drifted,
    ));
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Observe");
    assert!(desk.goto.writes().is_empty());
    let synced = desk.condition(SYNCED);
    assert_eq!(synced.reason, reason::DRIFTED);
    assert!(synced.message.contains("firstName"), "{}", synced.message);
}

/// Through v1 a resume re-assigns the product and writes nothing else, even with names that
/// differ; a suspend is the one status write.
#[tokio::test]
async fn through_v1_suspend_and_resume_write_the_status_only() {
    let mut desk = v1(Desk::recorded(
        |s| {
            s.suspended = true;
            s.last_name = "Other".into();
        },
        organizer("7"),
    ));
    let pass = desk.pass().await;
    assert_eq!(pass.outcome.steps, [Step::Suspended]);
    desk.obj.spec.suspended = false;
    let pass = desk.pass().await;
    assert_eq!(pass.outcome.steps, [Step::Resumed]);
    assert_eq!(
        desk.goto.writes(),
        [call(Op::Suspend, "7"), call(Op::Resume, "7")]
    );
    let held = desk.held("7").expect("held");
    assert_eq!(held.status, Some(OrganizerStatus::Active));
    assert_ne!(held.last_name, "Other", "the name was not sent");
    assert_eq!(desk.condition(SYNCED).reason, reason::NOT_SUPPORTED_BY_API);
}

/// A create through v1 carries the names; locale and time zone, which v1 cannot write after
/// it, are reported by the create's own pass (a later pass may not come before the resync) and
/// by the next, rather than attempted.
#[tokio::test]
async fn through_v1_a_create_writes_nothing_after_it() {
    let mut desk = v1(Desk::new(localized));
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Create");
    assert_eq!(
        desk.goto.writes(),
        [call(Op::Create, "jane.doe@example.com")]
    );
    let synced = desk.condition(SYNCED);
    assert_eq!(synced.reason, reason::NOT_SUPPORTED_BY_API);
    assert!(synced.message.contains("timeZone"), "{}", synced.message);
    assert_eq!(desk.condition(READY).status, "True");
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Nothing");
    assert_eq!(desk.goto.writes().len(), 1);
    let synced = desk.condition(SYNCED);
    assert_eq!(synced.reason, reason::NOT_SUPPORTED_BY_API);
    assert!(synced.message.contains("timeZone"), "{}", synced.message);
}

/// Through v1 an adoption says what it cannot bring in line (the plan used to print only
/// "adopt key K", hiding the difference `goto-operator plan` must show).
#[tokio::test]
async fn through_v1_an_adoption_names_what_it_cannot_change() {
    let desk = Desk::new(|s| s.last_name = "Byron".into());
    desk.goto.insert(organizer(""));
    let mut desk = v1(desk);
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Adopt by email", "{}", pass.plan);
    assert!(
        pass.plan.to_string().contains("cannot change: lastName"),
        "{}",
        pass.plan
    );
    assert!(desk.goto.writes().is_empty(), "{:?}", desk.goto.writes());
}
