//! The report table, continued: what deletions report.
use super::report::{done, ready, reasons, run, settled};
use super::*;

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
        not_sent: Vec::new(),
        writes: Vec::new(),
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
        error: Some(crate::controller::organizer::plan::blocked(
            "7",
            &[meeting("9")],
        )),
        not_sent: Vec::new(),
        writes: Vec::new(),
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
        w.ownership = Ownership::OwnedElsewhere {
            owner: "it/jane".into(),
        }
    });
    let (_, _, notes) = run(&owned, &spec(), Outcome::default(), &settled());
    assert_eq!(reasons(&notes), [event::RELEASED]);
    assert!(notes[0].note.contains("it/jane"));
}
