//! Deletion against the in-memory GoTo: the two audits, the suspend between them, 404 as done.
use super::desk::Desk;
use super::*;
use crate::controller::organizer::consent;
use crate::crd::{DeletionPolicy, OnUpcomingMeetings};
use crate::goto::{Op, OrganizerKey};

fn seven() -> OrganizerKey {
    OrganizerKey::new("7")
}

#[tokio::test]
async fn an_organizer_without_meetings_is_suspended_audited_again_and_deleted() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.delete();
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "SuspendBeforeDelete");
    assert!(pass.failure().is_none(), "{:?}", pass.failure());
    let ops: Vec<Op> = desk.goto.calls().iter().map(|c| c.op).collect();
    assert_eq!(
        ops,
        [
            Op::Read,
            Op::UpcomingMeetings,
            Op::Suspend,
            Op::UpcomingMeetings,
            Op::Delete
        ]
    );
    assert!(desk.goto.organizers().is_empty());
    assert_eq!(
        pass.outcome.steps,
        [
            Step::Suspended,
            Step::Deleted {
                cancelled: 0,
                already_gone: false
            }
        ]
    );
    assert!(pass.notes.iter().any(|n| n.reason == event::DELETED));
}

/// Someone books a meeting after the first audit, while the seat is being suspended: the second
/// audit sees it and nothing is deleted.
#[tokio::test]
async fn a_meeting_booked_after_the_suspend_blocks_the_delete() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.delete();
    desk.goto
        .after_next(Op::Suspend, |a| a.book(&seven(), meeting("555")));
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "SuspendBeforeDelete");
    assert!(matches!(pass.failure(), Some(Error::DeletionBlocked(_))));
    assert_eq!(desk.goto.count(Op::Delete), 0);
    assert!(desk.held("7").is_some());
    assert_eq!(pass.outcome.reaudit.as_ref().map(Vec::len), Some(1));
    let audit = desk
        .obj
        .status
        .as_ref()
        .and_then(|s| s.meeting_audit.clone())
        .expect("audit");
    assert_eq!(audit.upcoming_meeting_count, 1);
    assert_eq!(audit.upcoming_meetings[0].meeting_id, "555");
    // The next pass finds the organizer suspended and the meeting still there: blocked again,
    // without another write.
    let again = desk.pass().await;
    assert_eq!(kind(&again.plan), "Block");
    assert_eq!(desk.goto.writes().len(), 1, "{:?}", desk.goto.writes());
}

#[tokio::test]
async fn with_cancel_the_meetings_found_go_with_the_organizer() {
    let mut desk = Desk::recorded(
        |s| s.on_upcoming_meetings = OnUpcomingMeetings::Cancel,
        organizer("7"),
    );
    desk.goto.book(&seven(), meeting("1"));
    desk.goto.book(&seven(), meeting("2"));
    desk.delete();
    let pass = desk.pass().await;
    assert!(pass.failure().is_none(), "{:?}", pass.failure());
    assert_eq!(desk.goto.cancelled().len(), 2);
    assert_eq!(
        pass.outcome.steps.last(),
        Some(&Step::Deleted {
            cancelled: 2,
            already_gone: false
        })
    );
}

#[tokio::test]
async fn upcoming_meetings_block_before_any_write() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.goto.book(&seven(), meeting("1"));
    desk.delete();
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Block");
    assert!(matches!(pass.failure(), Some(Error::DeletionBlocked(_))));
    assert!(desk.goto.writes().is_empty());
}

/// The organizer is gone when the DELETE comes (someone else deleted it): done, not an error.
#[tokio::test]
async fn a_404_on_delete_counts_as_done() {
    let mut desk = Desk::recorded(keep, suspended("7"));
    desk.delete();
    desk.goto.after_next(Op::UpcomingMeetings, |a| {
        a.organizers.remove(&seven());
    });
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Delete");
    assert!(pass.failure().is_none(), "{:?}", pass.failure());
    assert_eq!(
        pass.outcome.steps,
        [Step::Deleted {
            cancelled: 0,
            already_gone: true
        }]
    );
    assert!(pass.notes.iter().any(|n| n.note.contains("already gone")));
}

#[tokio::test]
async fn a_404_on_the_suspend_before_delete_counts_as_done() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.delete();
    desk.goto.after_next(Op::UpcomingMeetings, |a| {
        a.organizers.remove(&seven());
    });
    let pass = desk.pass().await;
    assert!(pass.failure().is_none(), "{:?}", pass.failure());
    assert_eq!(desk.goto.count(Op::Delete), 0);
    assert!(matches!(
        pass.outcome.steps[..],
        [Step::Deleted {
            already_gone: true,
            ..
        }]
    ));
}

#[tokio::test]
async fn a_first_audit_that_fails_touches_nothing() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.delete();
    desk.goto.fail_next(
        Op::UpcomingMeetings,
        goto::Error::Decode("the page has no meetings field".into()),
    );
    let pass = desk.pass().await;
    assert!(matches!(pass.failure(), Some(Error::AuditFailed(_))));
    assert!(desk.goto.writes().is_empty());
    let ready = desk.condition(READY);
    assert_eq!(ready.reason, reason::AUDIT_FAILED);
}

#[tokio::test]
async fn a_second_audit_that_fails_deletes_nothing() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.delete();
    desk.goto.fail_after(
        Op::UpcomingMeetings,
        1,
        goto::Error::Transient("HTTP 503".into()),
    );
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "SuspendBeforeDelete");
    assert!(matches!(pass.failure(), Some(Error::AuditFailed(_))));
    assert_eq!(pass.outcome.steps, [Step::Suspended]);
    assert_eq!(desk.goto.count(Op::Delete), 0);
    // The retry finds the organizer suspended, audits once and deletes.
    let retry = desk.pass().await;
    assert_eq!(kind(&retry.plan), "Delete");
    assert!(retry.failure().is_none(), "{:?}", retry.failure());
    assert!(desk.goto.organizers().is_empty());
}

#[tokio::test]
async fn deletion_policy_suspend_suspends_and_keeps_the_organizer() {
    let mut desk = Desk::recorded(
        |s| s.deletion_policy = DeletionPolicy::Suspend,
        organizer("7"),
    );
    desk.delete();
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "SuspendAndRelease");
    assert_eq!(pass.outcome.steps, [Step::Suspended]);
    assert_eq!(
        desk.held("7").expect("kept").status,
        Some(OrganizerStatus::Suspended)
    );
    assert_eq!(
        desk.goto.count(Op::UpcomingMeetings),
        0,
        "no audit for a suspend"
    );
}

#[tokio::test]
async fn an_object_that_recorded_nothing_touches_nothing_when_deleted() {
    let mut desk = Desk::new(keep);
    desk.goto.insert(organizer("7"));
    desk.delete();
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "Release");
    assert!(desk.goto.calls().is_empty());
    assert!(desk.held("7").is_some());
}

/// Issue 21 (3): consent names the audit a person reviewed (`status.meetingAudit.digest`):
/// the blocked deletion then cancels exactly those meetings.
#[tokio::test]
async fn consent_naming_the_audit_deletes_and_cancels_exactly_those_meetings() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.goto.book(&seven(), meeting("1"));
    desk.delete();
    let blocked = desk.pass().await;
    assert_eq!(kind(&blocked.plan), "Block");
    let digest = desk
        .obj
        .status
        .as_ref()
        .and_then(|s| s.meeting_audit.as_ref())
        .and_then(|a| a.digest.clone())
        .expect("the block writes the audit's digest");
    desk.obj.metadata.annotations = Some(
        [(consent::ANNOTATION.to_string(), digest)]
            .into_iter()
            .collect(),
    );
    let pass = desk.pass().await;
    assert!(pass.failure().is_none(), "{:?}", pass.failure());
    assert_eq!(desk.goto.cancelled().len(), 1);
    assert_eq!(
        pass.outcome.steps.last(),
        Some(&Step::Deleted {
            cancelled: 1,
            already_gone: false
        })
    );
}

/// Issue 21 (3): a meeting booked after the person consented (here: after the suspend) changes
/// the digest: nothing is deleted, and the block is written again with the new list and digest.
#[tokio::test]
async fn consent_to_an_older_audit_deletes_nothing_and_blocks_with_the_new_digest() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.goto.book(&seven(), meeting("1"));
    let reviewed = consent::digest(&[meeting("1")]);
    desk.obj.metadata.annotations = Some(
        [(consent::ANNOTATION.to_string(), reviewed.clone())]
            .into_iter()
            .collect(),
    );
    desk.delete();
    desk.goto
        .after_next(Op::Suspend, |a| a.book(&seven(), meeting("555")));
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "SuspendBeforeDelete");
    assert!(matches!(pass.failure(), Some(Error::DeletionBlocked(_))));
    assert_eq!(desk.goto.count(Op::Delete), 0, "nothing deleted");
    assert!(desk.goto.cancelled().is_empty());
    let audit = desk
        .obj
        .status
        .as_ref()
        .and_then(|s| s.meeting_audit.clone())
        .expect("audit");
    assert_eq!(audit.upcoming_meeting_count, 2);
    assert_ne!(audit.digest.as_deref(), Some(reviewed.as_str()));
}

/// Issue 21 (8): a DELETE retried into a 404 (its first answer lost after GoTo acted) may well
/// have cancelled the audited meetings: the Event says "up to N", not "0 cancelled".
#[tokio::test]
async fn a_delete_retried_into_a_404_reports_up_to_the_audited_meetings() {
    let mut desk = Desk::recorded(
        |s| s.on_upcoming_meetings = OnUpcomingMeetings::Cancel,
        suspended("7"),
    );
    desk.goto.book(&seven(), meeting("1"));
    desk.goto.book(&seven(), meeting("2"));
    desk.delete();
    // The second audit (after the plan) still finds both; then the organizer is gone when the
    // DELETE arrives, as when an earlier DELETE's answer was lost.
    desk.goto.after_next(Op::UpcomingMeetings, |a| {
        a.organizers.remove(&seven());
    });
    let pass = desk.pass().await;
    assert!(pass.failure().is_none(), "{:?}", pass.failure());
    assert_eq!(
        pass.outcome.steps,
        [Step::Deleted {
            cancelled: 2,
            already_gone: true
        }]
    );
    let note = pass
        .notes
        .iter()
        .find(|n| n.reason == event::DELETED)
        .expect("Deleted");
    assert!(note.note.contains("up to 2"), "{}", note.note);
}

/// Issue 21 (8): a 404 on the suspend right after the organizer was read is not taken as
/// "already gone": it is read again, and while it exists nothing is deleted.
#[tokio::test]
async fn a_404_on_the_suspend_of_an_organizer_that_exists_deletes_nothing() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.delete();
    desk.goto
        .fail_next(Op::Suspend, crate::goto::Error::NotFound);
    let pass = desk.pass().await;
    assert!(
        matches!(pass.failure(), Some(Error::GoTo(e)) if e.is_transient()),
        "{:?}",
        pass.failure()
    );
    assert_eq!(desk.goto.count(Op::Delete), 0);
    assert!(desk.held("7").is_some(), "the organizer is still there");
    assert!(
        !pass
            .outcome
            .steps
            .iter()
            .any(|s| matches!(s, Step::Deleted { .. }))
    );
}

/// Issue 21 (8): a DELETE that timed out but succeeded leaves the next pass finding the
/// organizer gone: it still announces the deletion (`Deleted`), with the last audit's count.
#[tokio::test]
async fn an_organizer_found_gone_while_deleting_is_announced_as_deleted() {
    let mut desk = Desk::recorded(
        |s| s.on_upcoming_meetings = OnUpcomingMeetings::Cancel,
        organizer("7"),
    );
    desk.goto.book(&seven(), meeting("1"));
    desk.delete();
    desk.goto.fail_after(
        Op::Delete,
        0,
        crate::goto::Error::Transient("timed out".into()),
    );
    let first = desk.pass().await;
    assert!(first.failure().is_some(), "the DELETE's answer was lost");
    // GoTo had acted: the organizer is gone.
    desk.goto.edit(|a| {
        a.organizers.remove(&seven());
    });
    let second = desk.pass().await;
    assert_eq!(kind(&second.plan), "Gone");
    let note = second
        .notes
        .iter()
        .find(|n| n.reason == event::DELETED)
        .expect("a Deleted Event");
    assert!(note.note.contains("up to 1"), "{}", note.note);
}

/// Issue 21 (3): the object is read again right before the DELETE: a consent withdrawn (or a
/// policy changed) since the pass decided stops it.
#[tokio::test]
async fn a_consent_withdrawn_before_the_delete_stops_it() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.goto.book(&seven(), meeting("1"));
    let consent = consent::digest(&[meeting("1")]);
    desk.obj.metadata.annotations = Some(
        [(consent::ANNOTATION.to_string(), consent)]
            .into_iter()
            .collect(),
    );
    desk.delete();
    let mut withdrawn = desk.obj.clone();
    withdrawn.metadata.annotations = None;
    *desk.books.changed.lock().expect("lock") = Some(withdrawn);
    let pass = desk.pass().await;
    assert_eq!(kind(&pass.plan), "SuspendBeforeDelete");
    assert!(
        matches!(pass.failure(), Some(Error::DeletionBlocked(_))),
        "{:?}",
        pass.failure()
    );
    assert_eq!(desk.goto.count(Op::Delete), 0, "nothing deleted");
    assert!(desk.goto.cancelled().is_empty());

    let mut orphaned = desk.obj.clone();
    orphaned.spec.deletion_policy = DeletionPolicy::Orphan;
    *desk.books.changed.lock().expect("lock") = Some(orphaned);
    let again = desk.pass().await;
    assert!(
        matches!(again.failure(), Some(Error::Internal(m)) if m.contains("changed")),
        "{:?}",
        again.failure()
    );
    assert_eq!(desk.goto.count(Op::Delete), 0, "nothing deleted");
}
