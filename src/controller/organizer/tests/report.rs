//! The report table: statuses and Events.
use super::*;

pub(super) fn ready(status: &GoToOrganizerStatus) -> (String, String, String) {
    let c = conditions::find(&status.conditions, READY).expect("Ready");
    (c.status.clone(), c.reason.clone(), c.message.clone())
}

pub(super) fn synced(status: &GoToOrganizerStatus) -> (String, String, String) {
    let c = conditions::find(&status.conditions, SYNCED).expect("Synced");
    (c.status.clone(), c.reason.clone(), c.message.clone())
}

pub(super) fn reasons(notes: &[Note]) -> Vec<&'static str> {
    notes.iter().map(|n| n.reason).collect()
}

pub(super) fn run(
    w: &Observed,
    s: &GoToOrganizerSpec,
    outcome: Outcome,
    previous: &GoToOrganizerStatus,
) -> (Plan, GoToOrganizerStatus, Vec<Note>) {
    let plan = decide(w, s, now());
    let (status, notes) = report(w, s, &plan, &outcome, previous, now());
    (plan, status, notes)
}

pub(super) fn done(o: Organizer, steps: Vec<Step>) -> Outcome {
    Outcome {
        organizer: Some(o),
        steps,
        ..Outcome::default()
    }
}

/// The status a quiet reconcile of organizer 7 leaves.
pub(super) fn settled() -> GoToOrganizerStatus {
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

/// A failing world, how its spec differs from the usual one, and the reason and Event type.
type FailureCase = (
    Observed,
    fn(&mut GoToOrganizerSpec),
    &'static str,
    EventType,
);

/// The table of failures: each sets Ready=False with its reason.
fn failure_rows() -> Vec<FailureCase> {
    vec![
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
                w.ownership = Ownership::OwnedElsewhere {
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
    ]
}

#[test]
fn failures_set_ready_false_with_one_event_per_transition() {
    for (w, f, want, type_) in failure_rows() {
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
            w.ownership = Ownership::OwnedElsewhere {
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
fn every_event_reason_is_a_constant_the_readme_lists() {
    let readme = include_str!("../../../../README.md");
    for reason in event::ALL {
        assert!(
            readme.contains(&format!("`{reason}`")),
            "README lacks Event {reason}"
        );
    }
}

/// Issue 21 (7): a pass that starts from a cached object older than its key's recording (the
/// process remembers the key) and fails must not write a status without the key: the forced
/// apply would erase it, and the object's deletion would then touch nothing in GoTo.
#[test]
fn a_failed_pass_from_a_stale_cache_keeps_the_remembered_key() {
    let w = with(world(), |w| {
        w.object.remembered_key = Some("7".into());
        w.organizer = Lookup::Failed(goto::Error::Transient("503".into()));
    });
    let (_, status, _) = run(
        &w,
        &spec(),
        Outcome::default(),
        &GoToOrganizerStatus::default(),
    );
    assert_eq!(status.organizer_key.as_deref(), Some("7"));
    assert_eq!(ready(&status).1, reason::GOTO_UNAVAILABLE);
}

/// Issue 21 (5): the account key comes from the GoToAccount, never from GoTo's answer (a hostile
/// endpoint naming another account would otherwise claim that account's organizers).
#[test]
fn the_account_key_is_the_go_to_accounts_not_the_answers() {
    let mut answer = organizer("7");
    answer.account_key = Some(crate::goto::AccountKey::new("999"));
    let w = recorded(answer.clone());
    let (_, status, _) = run(
        &w,
        &spec(),
        done(answer, vec![]),
        &GoToOrganizerStatus::default(),
    );
    assert_eq!(status.account_key.as_deref(), Some(ACCOUNT));
}
