//! Offboarding that never cancels a meeting without consent, and tenants that cannot hurt each
//! other (issue 11): each test here failed on the reconcile before observe/decide/act/report.
use std::time::Duration;

use goto_operator::simulator::{
    FaultRule, Faults, OrganizerStatus, SeedMeeting, SeedOrganizer, SimConfig,
};
use jiff::{Timestamp, ToSpan};
use serde_json::json;

use crate::harness::{Env, condition, organizer_key};

fn upcoming(subject: &str) -> SeedMeeting {
    let start = Timestamp::now() + 72.hours();
    SeedMeeting::new(subject, start, start + 1.hour())
}

fn deletes(env: &Env) -> usize {
    env.goto_writes()
        .iter()
        .filter(|w| w.starts_with("DELETE"))
        .count()
}

/// Waits until the simulator has seen a request matching `method` and a path containing `part`.
async fn wait_request(env: &Env, method: &str, part: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !env
        .sim
        .requests()
        .iter()
        .any(|r| r.method == method && r.path.contains(part))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {method} *{part}* request\n{}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn cleanup_of_an_object_that_never_recorded_an_organizer_touches_nothing() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    // Someone's seat, with a meeting, that this object never adopted (it only had InvalidSpec).
    let key = env
        .sim
        .insert_organizer(SeedOrganizer::new("never@example.com", "Nev", "Er"));
    env.sim.add_meeting(&key, upcoming("Board meeting"));
    env.apply_organizer("never", json!({"timeZone": "Mars/Olympus_Mons"}))
        .await
        .expect("apply");
    env.wait_ready("never", "False", "InvalidSpec").await;
    env.delete_organizer("never").await;
    env.wait_gone("never").await;
    env.wait_event("GoToOrganizer", "never", "Released").await;
    assert!(env.goto_writes().is_empty(), "{:?}", env.goto_writes());
    assert_eq!(
        env.sim.organizer(&key).expect("the seat survives").status,
        OrganizerStatus::Active
    );
    assert!(env.sim.cancelled_meetings().is_empty());
    env.finish().await;
}

#[tokio::test]
async fn a_second_account_object_on_the_same_goto_account_never_owns_the_seat() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    // Another GoToAccount object pointing at the same GoTo account.
    env.apply_account("acme-again", json!({})).await;
    env.wait_account("acme-again", "True", "Authenticated")
        .await;
    env.apply_organizer("first", json!({"email": "dana@example.com"}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("first", "True", "Reconciled").await);
    env.sim.add_meeting(&key, upcoming("Weekly"));
    env.sim.clear_requests();
    env.apply_organizer(
        "second",
        json!({"email": "DANA@example.com", "accountRef": {"name": "acme-again"}, "lastName": "Other"}),
    )
    .await
    .expect("apply");
    let o = env.wait_ready("second", "False", "OwnedElsewhere").await;
    let message = condition(&o, "Ready").expect("Ready").2;
    assert!(
        message.contains(&format!("{}/first", env.namespace())),
        "{message}"
    );
    env.wait_event("GoToOrganizer", "second", "OwnedElsewhere")
        .await;
    env.delete_organizer("second").await;
    env.wait_gone("second").await;
    env.wait_event("GoToOrganizer", "second", "Released").await;
    assert!(
        env.goto_writes().is_empty(),
        "the second claimant wrote nothing: {:?}",
        env.goto_writes()
    );
    let seat = env.sim.organizer(&key).expect("the seat survives");
    assert_eq!(
        seat.last_name, "Person",
        "not renamed by the second claimant"
    );
    assert!(env.sim.cancelled_meetings().is_empty());
    env.wait_ready("first", "True", "Reconciled").await;
    env.finish().await;
}

#[tokio::test]
async fn a_meeting_booked_between_the_audit_and_the_delete_blocks_it() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("late", json!({})).await.expect("apply");
    let key = organizer_key(&env.wait_ready("late", "True", "Reconciled").await);
    // The first audit finds nothing; the suspend that follows it fails for a while, and a
    // meeting is booked in that window.
    env.sim.set_faults(Faults {
        rules: vec![
            FaultRule::status("PUT", "/G2M/rest/v2/accounts/*/organizers/*/suspend", 503)
                .times(10_000),
        ],
        ..Faults::default()
    });
    env.sim.clear_requests();
    env.delete_organizer("late").await;
    wait_request(&env, "GET", "/meetings").await;
    wait_request(&env, "PUT", "/suspend").await;
    let booked = env
        .sim
        .add_meeting(&key, upcoming("Booked at the last minute"));
    env.sim.set_faults(Faults::default());
    let o = env.wait_ready("late", "False", "DeletionBlocked").await;
    let audit = o.status.and_then(|s| s.meeting_audit).expect("audit");
    assert_eq!(audit.upcoming_meeting_count, 1);
    assert_eq!(audit.upcoming_meetings[0].meeting_id, booked);
    assert_eq!(deletes(&env), 0, "{:?}", env.goto_writes());
    assert!(env.sim.organizer(&key).is_some(), "the seat is kept");
    assert!(env.sim.cancelled_meetings().is_empty());
    env.finish().await;
}

#[tokio::test]
async fn a_half_read_audit_deletes_nothing() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("partial", json!({}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("partial", "True", "Reconciled").await);
    env.sim.add_meeting(&key, upcoming("Hidden"));
    // The meeting list answers 404 while the organizer exists.
    env.sim.set_faults(Faults {
        rules: vec![
            FaultRule::status("GET", "/G2M/rest/v2/organizers/*/meetings", 404).times(10_000),
        ],
        ..Faults::default()
    });
    env.delete_organizer("partial").await;
    let o = env.wait_ready("partial", "False", "AuditFailed").await;
    assert!(
        condition(&o, "Ready")
            .expect("Ready")
            .2
            .contains("nothing deleted"),
        "{:?}",
        condition(&o, "Ready")
    );
    env.wait_event("GoToOrganizer", "partial", "AuditFailed")
        .await;
    assert_eq!(deletes(&env), 0);
    assert!(env.sim.organizer(&key).is_some());
    assert!(env.sim.cancelled_meetings().is_empty());
    // Once the list reads completely, the meeting it shows blocks the delete.
    env.sim.set_faults(Faults::default());
    env.wait_ready("partial", "False", "DeletionBlocked").await;
    assert_eq!(deletes(&env), 0);
    env.finish().await;
}
