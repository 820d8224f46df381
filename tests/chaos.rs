//! `make chaos`: a soak of the operator against the GoTo simulator and a real kube-apiserver under
//! every fault at once: 10% 5xx, dropped connections, 429 storms, token revocation, ambiguous
//! writes (the answer lost after GoTo acted), out-of-band meetings appearing during offboarding,
//! `kill -9` of the operator at random points (many right after a create or a suspend, that is
//! between a create and its status write, and between the audit and the DELETE), and kube-apiserver
//! restarts, over organizers being created, updated and deleted. Then, within 2 minutes of the last
//! fault: every object converged, no duplicate seat, no meeting cancelled without consent, no lost
//! delete, every finalizer resolved.
//!
//! `GOTO_CHAOS=full` is the soak of docs/reliability.md (`make chaos`); anything else the CI-sized
//! run `make test` does (hack/test.sh). Ignored by a plain `cargo test`: it takes minutes.
#[path = "common/mod.rs"]
mod common;
#[allow(dead_code)] // the controller suites use the rest of the harness
#[path = "controller/harness.rs"]
mod harness;
#[path = "operator/mod.rs"]
mod operator;

#[path = "chaos/fleet.rs"]
mod fleet;
#[path = "chaos/monkey.rs"]
mod monkey;
#[path = "chaos/profile.rs"]
mod profile;
#[path = "chaos/verdict.rs"]
mod verdict;
#[path = "chaos/workload.rs"]
mod workload;

use std::sync::Arc;
use std::time::Duration;

use goto_operator::simulator::SimConfig;
use harness::{Env, OperatorOptions};
use tokio::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "minutes long: `make chaos` runs the soak, hack/test.sh the CI-sized run"]
async fn chaos_soak() {
    let profile = profile::Profile::from_env();
    eprintln!("chaos: {profile:?}");
    let Some(mut env) = Env::start_with(SimConfig::default(), OperatorOptions::default()).await
    else {
        return;
    };
    // Two replicas electing a leader, as the chart installs the operator; the monkey owns them
    // from here on (it kills and restarts them).
    drop(env.operator.take());
    let fleet = fleet::Fleet::start(env.namespace());
    let env = Arc::new(env);
    let started = Instant::now();

    let book = workload::Book::default();
    workload::seed_adopted(&env, &book, &profile);
    let driver = tokio::spawn(workload::drive(env.clone(), book.clone(), profile.clone()));
    let monkey = monkey::Monkey::new(env.clone(), book.clone(), profile.clone(), fleet);
    let (mut fleet, figures) = monkey.run(started).await;
    let workload_errors = driver.await.expect("workload task");
    let last_fault = Instant::now();

    // A person reassigns the meetings that appeared during offboarding: the blocked deletions may
    // now go ahead (nobody ever consented to cancelling them).
    let reassigned = workload::reassign_meetings(&env, &book);
    let verdict = verdict::converge(&env, &book, profile.converge_within, &mut fleet).await;
    let converged_after = last_fault.elapsed();
    let report = verdict::Report::new(
        &profile,
        &env,
        &book,
        &figures,
        &verdict,
        started,
        last_fault,
        converged_after,
        reassigned,
        workload_errors,
    );
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
    if let Ok(path) = std::env::var("GOTO_CHAOS_REPORT") {
        std::fs::write(&path, serde_json::to_string_pretty(&report).expect("json"))
            .unwrap_or_else(|e| panic!("write {path}: {e}"));
    }
    let failures = verdict.failures();
    let logs = fleet.log();
    if let Ok(path) = std::env::var("GOTO_CHAOS_REPORT") {
        let path = format!("{path}.operator.log");
        std::fs::write(&path, &logs).unwrap_or_else(|e| panic!("write {path}: {e}"));
    }
    drop(fleet);
    assert!(
        failures.is_empty(),
        "chaos invariants broken {:.0?} after the last fault:\n{}\n\nthe replicas' logs (tail):\n{}",
        converged_after,
        failures.join("\n"),
        tail(&logs, 80)
    );
    assert!(
        converged_after <= profile.converge_within + Duration::from_secs(5),
        "converged only after {converged_after:?}"
    );
    match Arc::try_unwrap(env) {
        Ok(env) => env.finish().await,
        Err(_) => panic!("a chaos task still holds the environment"),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
