//! Seat waits: per account only the oldest waiting organizer probes GoTo for a seat, and a seat
//! the operator frees goes to it at once.
use std::time::Duration;

use goto_operator::simulator::SimConfig;
use serde_json::json;

use crate::harness::{Env, OperatorOptions, condition};

/// Creates (POST .../organizers) in the simulator's request log, by email.
fn creates(env: &Env) -> Vec<String> {
    env.sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/organizers"))
        .map(|r| {
            r.body
                .and_then(|b| b.get("email").and_then(|e| e.as_str().map(str::to_string)))
                .unwrap_or_default()
        })
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
    let freed = tokio::time::Instant::now();
    loop {
        let second = env.get("second").await;
        if condition(&second, "Ready").is_some_and(|(status, _, _)| status == "True") {
            break;
        }
        assert!(
            freed.elapsed() < Duration::from_secs(5),
            "second not Ready within 5 s of the freed seat: {:?}\n{}",
            condition(&second, "Ready"),
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The last waiter is now the oldest and waits its turn.
    env.wait_ready("third", "False", "SeatUnavailable").await;
    env.finish().await;
}
