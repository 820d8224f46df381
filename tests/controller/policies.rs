//! The day-2 policies of issue 13: adoptionPolicy, onExternalDelete, onExternalSuspend, suspendAt.
use goto_operator::simulator::{OrganizerStatus, SeedOrganizer, SimConfig};
use jiff::{Timestamp, ToSpan};
use serde_json::json;

use crate::harness::{Env, OperatorOptions, condition, organizer_key};

#[tokio::test]
async fn adoption_policies_refuse_what_they_forbid() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.sim
        .insert_organizer(SeedOrganizer::new("taken@example.com", "Tak", "En"));
    env.apply_organizer(
        "only-new",
        json!({"email": "taken@example.com", "adoptionPolicy": "CreateOnly"}),
    )
    .await
    .expect("apply");
    env.apply_organizer(
        "only-existing",
        json!({"email": "nobody@example.com", "adoptionPolicy": "AdoptOnly"}),
    )
    .await
    .expect("apply");
    env.wait_ready("only-new", "False", "AlreadyExists").await;
    env.wait_ready("only-existing", "False", "OrganizerNotFound")
        .await;
    assert!(env.goto_writes().is_empty(), "{:?}", env.goto_writes());
    env.finish().await;
}

#[tokio::test]
async fn outside_deletes_and_suspensions_can_be_reported_instead_of_undone() {
    let options = OperatorOptions {
        resync_seconds: 2,
        ..OperatorOptions::default()
    };
    let Some(env) = Env::start_with(SimConfig::default(), options).await else {
        return;
    };
    env.apply_organizer(
        "respect",
        json!({"onExternalSuspend": "Respect", "onExternalDelete": "Report"}),
    )
    .await
    .expect("apply");
    let key = organizer_key(&env.wait_ready("respect", "True", "Reconciled").await);
    env.sim.clear_requests();
    env.sim
        .update_organizer_out_of_band(&key, |o| o.status = OrganizerStatus::Suspended);
    // Outside changes are seen on a resync; under v1 its reads come from a listing up to 60 s old.
    let within = crate::wire::outside_change_seen_within();
    let o = env
        .wait_for_within(
            "respect",
            "Synced=False (SuspendedExternally)",
            within,
            |o| {
                condition(o, "Synced")
                    .is_some_and(|(s, r, _)| s == "False" && r == "SuspendedExternally")
            },
        )
        .await;
    assert_eq!(condition(&o, "Ready").expect("Ready").0, "True");
    assert_eq!(
        env.sim.organizer(&key).expect("organizer").status,
        OrganizerStatus::Suspended,
        "the outside suspension is kept"
    );
    assert!(env.sim.remove_organizer_out_of_band(&key));
    env.wait_for_within("respect", "Ready=False (DeletedExternally)", within, |o| {
        condition(o, "Ready").is_some_and(|(s, r, _)| s == "False" && r == "DeletedExternally")
    })
    .await;
    assert!(
        env.goto_writes().is_empty(),
        "neither resumed nor re-created: {:?}",
        env.goto_writes()
    );
    env.finish().await;
}

#[tokio::test]
async fn suspend_at_suspends_on_time_without_polling() {
    // A resync far away: only the timed requeue can make the suspension happen on time.
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    let at = Timestamp::now() + 6.seconds();
    env.apply_organizer("leaver", json!({"suspendAt": at.to_string()}))
        .await
        .expect("apply");
    let o = env.wait_ready("leaver", "True", "Reconciled").await;
    let key = organizer_key(&o);
    let message = condition(&o, "Ready").expect("Ready").2;
    assert!(message.contains("suspendAt"), "{message}");
    assert_eq!(
        env.sim.organizer(&key).expect("organizer").status,
        OrganizerStatus::Active,
        "not before its time"
    );
    let note = env
        .wait_event_with("GoToOrganizer", "leaver", "Suspended", "scheduled")
        .await;
    assert!(Timestamp::now() >= at, "suspended early: {note}");
    assert_eq!(
        env.sim.organizer(&key).expect("organizer").status,
        OrganizerStatus::Suspended
    );
    env.finish().await;
}
