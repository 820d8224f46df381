//! Deletion policies, the meeting audit, and the Block/Cancel consent.
use goto_operator::simulator::{OrganizerStatus, SeedMeeting, SimConfig};
use jiff::{Timestamp, ToSpan};
use serde_json::json;

use crate::harness::{Env, organizer_key};

fn upcoming(subject: &str, days: i64) -> SeedMeeting {
    let start = Timestamp::now() + (days * 24).hours();
    SeedMeeting::new(subject, start, start + 1.hour())
}

fn deletes(env: &Env) -> usize {
    env.goto_writes()
        .iter()
        .filter(|w| w.starts_with("DELETE"))
        .count()
}

#[tokio::test]
async fn delete_without_meetings_audits_then_deletes() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("leaver", json!({}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("leaver", "True", "Reconciled").await);
    env.delete_organizer("leaver").await;
    env.wait_gone("leaver").await;
    assert!(env.sim.organizer(&key).is_none(), "deleted in GoTo");
    assert_eq!(deletes(&env), 1);
    let reasons = env.event_reasons("GoToOrganizer", "leaver").await;
    let audited = reasons
        .iter()
        .position(|r| r == "MeetingsAudited")
        .expect("MeetingsAudited event");
    let deleted = reasons
        .iter()
        .position(|r| r == "Deleted")
        .expect("Deleted event");
    assert!(audited < deleted, "audit comes before delete: {reasons:?}");
    env.finish().await;
}

#[tokio::test]
async fn upcoming_meetings_block_deletion_until_reassigned() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("busy", json!({})).await.expect("apply");
    let key = organizer_key(&env.wait_ready("busy", "True", "Reconciled").await);
    let standup = env.sim.add_meeting(&key, upcoming("Standup", 3));
    let review = env.sim.add_meeting(&key, upcoming("Design review", 5));
    env.delete_organizer("busy").await;
    let o = env.wait_ready("busy", "False", "DeletionBlocked").await;
    let audit = o
        .status
        .and_then(|s| s.meeting_audit)
        .expect("meetingAudit in status");
    assert_eq!(audit.upcoming_meeting_count, 2);
    let ids: Vec<_> = audit
        .upcoming_meetings
        .iter()
        .map(|m| m.meeting_id.clone())
        .collect();
    assert!(ids.contains(&standup) && ids.contains(&review), "{ids:?}");
    assert!(
        audit
            .upcoming_meetings
            .iter()
            .any(|m| m.subject == "Standup" && m.start_time.is_some())
    );
    let note = env
        .wait_event("GoToOrganizer", "busy", "DeletionBlocked")
        .await;
    assert!(note.contains("2 upcoming"), "{note}");
    env.wait_event("GoToOrganizer", "busy", "MeetingsAudited")
        .await;
    assert_eq!(deletes(&env), 0, "nothing deleted while blocked");
    assert!(env.sim.organizer(&key).is_some());

    // People reassign the meetings; the periodic re-audit sees none left and deletes.
    assert!(env.sim.remove_meeting(&standup));
    assert!(env.sim.remove_meeting(&review));
    env.wait_gone("busy").await;
    assert_eq!(deletes(&env), 1);
    assert!(
        env.sim.cancelled_meetings().is_empty(),
        "no meeting was cancelled"
    );
    let blocked = env
        .event_reasons("GoToOrganizer", "busy")
        .await
        .iter()
        .filter(|r| *r == "DeletionBlocked")
        .count();
    assert_eq!(blocked, 1, "one DeletionBlocked event for the whole wait");
    env.finish().await;
}

#[tokio::test]
async fn switching_to_cancel_consents_to_cancelling_meetings() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("quitter", json!({}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("quitter", "True", "Reconciled").await);
    let meeting = env.sim.add_meeting(&key, upcoming("All hands", 2));
    env.delete_organizer("quitter").await;
    env.wait_ready("quitter", "False", "DeletionBlocked").await;
    env.patch_organizer("quitter", json!({"spec": {"onUpcomingMeetings": "Cancel"}}))
        .await;
    env.wait_gone("quitter").await;
    let cancelled = env.sim.cancelled_meetings();
    assert_eq!(cancelled.len(), 1, "{cancelled:?}");
    assert_eq!(cancelled[0].meeting_id, meeting);
    let (_, note) = env
        .events("GoToOrganizer", "quitter")
        .await
        .into_iter()
        .find(|(r, _)| r == "Deleted")
        .expect("Deleted event");
    assert!(note.contains("cancelled its 1 upcoming"), "{note}");
    env.finish().await;
}

/// Issue 21 (3): a person consents to cancelling exactly the meetings they reviewed, by naming
/// the audit's digest; a meeting booked after that is not cancelled: the block comes back with
/// the new list and digest, and the next consent names it.
#[tokio::test]
async fn consent_naming_the_audit_digest_cancels_exactly_those_meetings() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("mover", json!({}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("mover", "True", "Reconciled").await);
    let first = env.sim.add_meeting(&key, upcoming("Handover", 2));
    env.delete_organizer("mover").await;
    let blocked = env.wait_ready("mover", "False", "DeletionBlocked").await;
    let digest = |o: &goto_operator::crd::GoToOrganizer| {
        o.status
            .as_ref()
            .and_then(|s| s.meeting_audit.as_ref())
            .and_then(|a| a.digest.clone())
            .expect("status.meetingAudit.digest")
    };
    let reviewed = digest(&blocked);
    let (_, _, message) = crate::harness::condition(&blocked, "Ready").expect("Ready");
    assert!(
        message.contains(&format!("goto-operator.dev/cancel-meetings={reviewed}")),
        "the block says how to consent: {message}"
    );

    // Someone books another meeting before the person's consent lands: it names the old audit.
    let second = env.sim.add_meeting(&key, upcoming("Booked later", 4));
    env.patch_organizer(
        "mover",
        json!({"metadata": {"annotations": {"goto-operator.dev/cancel-meetings": reviewed}}}),
    )
    .await;
    let renewed = env
        .wait_for("mover", "the audit of both meetings", |o| {
            o.status
                .as_ref()
                .and_then(|s| s.meeting_audit.as_ref())
                .is_some_and(|a| a.upcoming_meeting_count == 2)
        })
        .await;
    assert!(env.sim.cancelled_meetings().is_empty(), "nothing cancelled");
    assert!(env.sim.organizer(&key).is_some(), "nothing deleted");
    let both = digest(&renewed);
    assert_ne!(both, reviewed);

    // Consent to the new audit: exactly these two go.
    env.patch_organizer(
        "mover",
        json!({"metadata": {"annotations": {"goto-operator.dev/cancel-meetings": both}}}),
    )
    .await;
    env.wait_gone("mover").await;
    let mut cancelled: Vec<String> = env
        .sim
        .cancelled_meetings()
        .into_iter()
        .map(|m| m.meeting_id)
        .collect();
    cancelled.sort();
    let mut want = vec![first, second];
    want.sort();
    assert_eq!(cancelled, want);
    env.finish().await;
}

#[tokio::test]
async fn deletion_policy_suspend_keeps_the_organizer_suspended() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("contractor", json!({"deletionPolicy": "Suspend"}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("contractor", "True", "Reconciled").await);
    env.sim.add_meeting(&key, upcoming("Kept", 1));
    env.delete_organizer("contractor").await;
    env.wait_gone("contractor").await;
    let o = env.sim.organizer(&key).expect("still in GoTo");
    assert_eq!(o.status, OrganizerStatus::Suspended);
    assert_eq!(deletes(&env), 0);
    assert!(env.sim.cancelled_meetings().is_empty());
    env.wait_event("GoToOrganizer", "contractor", "Suspended")
        .await;
    env.finish().await;
}

#[tokio::test]
async fn deletion_policy_orphan_touches_nothing() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("keeper", json!({"deletionPolicy": "Orphan"}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("keeper", "True", "Reconciled").await);
    env.sim.clear_requests();
    env.delete_organizer("keeper").await;
    env.wait_gone("keeper").await;
    assert_eq!(
        env.sim.organizer(&key).expect("kept").status,
        OrganizerStatus::Active
    );
    assert!(env.goto_writes().is_empty(), "{:?}", env.goto_writes());
    env.wait_event("GoToOrganizer", "keeper", "Orphaned").await;
    env.finish().await;
}
