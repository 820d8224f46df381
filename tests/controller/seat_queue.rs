//! Seat waits: per account only the oldest waiting organizer probes GoTo for a seat, a seat the
//! operator frees goes to it at once, and a seat freed outside the operator reaches it within
//! 35 s (the longest probe interval, 30 s, plus a reconcile).
use std::time::Duration;

use goto_operator::simulator::{SeedOrganizer, SimConfig};
use serde_json::json;

use crate::harness::{Env, OperatorOptions, condition};
use crate::wire::{self, Job};

/// Creates in the simulator's request log, by email.
fn creates(env: &Env) -> Vec<String> {
    env.sim
        .requests()
        .into_iter()
        .filter(|r| wire::is(Job::Create, r))
        .map(|r| wire::created_email(&r).unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn only_the_oldest_waiter_probes_and_a_freed_seat_goes_to_it_at_once() {
    // The slow requeue is 2 s: before seat queues, every waiter retried its create that often.
    let options = OperatorOptions::default();
    let config = SimConfig {
        seats: Some(1),
        ..SimConfig::default()
    };
    let Some(env) = Env::start_with(config, options).await else {
        return;
    };
    let policy = json!({"deletionPolicy": "Delete"});
    env.apply_organizer("first", policy.clone())
        .await
        .expect("apply");
    env.wait_ready("first", "True", "Reconciled").await;
    env.apply_organizer("second", policy.clone())
        .await
        .expect("apply");
    env.wait_ready("second", "False", "SeatUnavailable").await;
    env.apply_organizer("third", policy.clone())
        .await
        .expect("apply");
    let third = env.wait_ready("third", "False", "SeatUnavailable").await;
    let (_, _, message) = condition(&third, "Ready").expect("Ready");
    assert!(message.contains("number 2 of 2"), "{message}");

    // Two waiters, one probe per interval (5 s doubling to 30 s), and only from the oldest.
    env.sim.clear_requests();
    let window = Duration::from_secs(16);
    tokio::time::sleep(window).await;
    let probes = creates(&env);
    assert!(
        !probes.is_empty() && probes.len() <= 4,
        "{} create probes in {window:?}: {probes:?}\n{}",
        probes.len(),
        env.logs()
    );
    assert!(
        probes.iter().all(|e| e == "second@example.com"),
        "a waiter other than the oldest probed: {probes:?}"
    );

    // The operator frees the seat: the oldest waiter gets it at once, not at its next probe.
    env.delete_organizer("first").await;
    env.wait_gone("first").await;
    env.ready_within(
        "second",
        tokio::time::Instant::now(),
        Duration::from_secs(5),
    )
    .await;
    // The last waiter is now the oldest and waits its turn.
    env.wait_ready("third", "False", "SeatUnavailable").await;
    env.finish().await;
}

#[tokio::test]
async fn a_seat_freed_outside_the_operator_reaches_the_oldest_waiter_within_35_s() {
    let config = SimConfig {
        seats: Some(1),
        ..SimConfig::default()
    };
    let Some(env) = Env::start_with(config, OperatorOptions::default()).await else {
        return;
    };
    // The only seat belongs to someone the operator does not manage.
    let contractor = env.sim.insert_organizer(SeedOrganizer::new(
        "contractor@example.com",
        "Con",
        "Tractor",
    ));
    env.apply_organizer("waiter", json!({}))
        .await
        .expect("apply");
    env.wait_ready("waiter", "False", "SeatUnavailable").await;

    // The worst case: the seat frees just after a probe once the backoff reached its 30 s cap.
    // The refused create and the probes 5, 10 and 20 s apart make four creates; the next one
    // comes 30 s later.
    let probing = tokio::time::Instant::now();
    while creates(&env).len() < 4 {
        assert!(
            probing.elapsed() < Duration::from_secs(60),
            "the waiter did not probe on its backoff: creates {:?}\n{}",
            creates(&env),
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        env.sim.remove_organizer_out_of_band(&contractor),
        "the contractor's seat was not in GoTo"
    );
    env.ready_within(
        "waiter",
        tokio::time::Instant::now(),
        Duration::from_secs(35),
    )
    .await;
    // One probe found the seat: no burst of creates when it freed.
    assert_eq!(
        creates(&env)
            .iter()
            .filter(|e| *e == "waiter@example.com")
            .count(),
        5,
        "creates: {:?}",
        creates(&env)
    );
    env.finish().await;
}
