//! Issue 22: people's changes before background drift reads. An account whose organizers would
//! need more than half its rate for drift reads at `--resync-seconds` gets its period stretched
//! (`status.effectiveResyncSeconds`, `goto_operator_effective_resync_seconds`), its drift reads
//! stay within half the rate, a new hire is Ready at once, and a seat the operator frees by an
//! offboarding reaches the waiting organizer within 10 s of the DELETE.
use std::time::Duration;

use tokio::time::Instant;

use goto_operator::simulator::SimConfig;
use serde_json::json;

use crate::harness::{ACCOUNT, Env, OperatorOptions, organizer_key, through_v1};
use crate::webhook::{free_port, metrics};
use crate::wire::{self, Job};

const SETTLED: usize = 24;
const RATE: u32 = 4;
const RESYNC_SECONDS: u64 = 5;
/// How long the drift reads are counted: longer than the longest gap between two reads of one
/// organizer (one and a half stretched periods: one read out of turn waits at least half a
/// period for its place).
const WINDOW: Duration = Duration::from_secs(20);

/// The account's `status.effectiveResyncSeconds` once it is `want`, within the default timeout.
async fn effective_resync(env: &Env, want: impl Fn(u64) -> bool) -> u64 {
    let deadline = Instant::now() + crate::common::DEFAULT_TIMEOUT;
    loop {
        let account = env.accounts().get(ACCOUNT).await.expect("account");
        let seconds = account
            .status
            .as_ref()
            .and_then(|s| s.effective_resync_seconds);
        if let Some(seconds) = seconds
            && want(seconds)
        {
            return seconds;
        }
        assert!(
            Instant::now() < deadline,
            "effectiveResyncSeconds is {seconds:?}\n{}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn drift_reads_stretch_to_half_the_rate_and_people_go_first() {
    let port = free_port();
    let options = OperatorOptions {
        resync_seconds: RESYNC_SECONDS,
        extra_args: vec!["--metrics-bind".into(), format!("127.0.0.1:{port}")],
        ..OperatorOptions::default()
    };
    let config = SimConfig {
        rate_limit: Some(f64::from(RATE)),
        // Every seat taken once the new hire is in: the next one waits.
        seats: Some(SETTLED as u32 + 1),
        ..SimConfig::default()
    };
    let Some(env) = Env::start_with(config, options).await else {
        return;
    };
    env.apply_account(ACCOUNT, json!({"requestsPerSecond": RATE}))
        .await;
    let names: Vec<String> = (0..SETTLED).map(|i| format!("settled-{i:02}")).collect();
    for name in &names {
        env.apply_organizer(name, json!({"deletionPolicy": "Delete"}))
            .await
            .expect("apply");
    }
    for name in &names {
        env.wait_synced(name, "True", "InSync").await;
    }
    let keys: Vec<String> = futures::future::join_all(names.iter().map(|n| env.get(n)))
        .await
        .iter()
        .map(organizer_key)
        .collect();

    // 24 reads every 5 s would be 4.8 a second, the whole budget: the period stretches to what
    // half of 4 a second reads (24 / 1.94 = 12.4 s). v1 reads the account in one listing.
    let expected = if through_v1() { 5..=5 } else { 11..=13 };
    let period = effective_resync(&env, |s| expected.contains(&s)).await;
    let text = metrics(port).await;
    let series = format!(
        "goto_operator_effective_resync_seconds{{namespace=\"{}\",account=\"{ACCOUNT}\"}} {period}",
        env.namespace()
    );
    assert!(text.lines().any(|l| l == series), "no {series}:\n{text}");

    // A quiet window: every settled organizer read, at most half the rate.
    env.sim.clear_requests();
    tokio::time::sleep(WINDOW).await;
    let requests = env.sim.requests();
    let reads: Vec<&str> = requests
        .iter()
        .filter(|r| wire::is(Job::Read, r))
        .map(|r| r.path.as_str())
        .collect();
    if through_v1() {
        assert!(
            requests.iter().any(|r| wire::is(Job::List, r)),
            "v1 resyncs by listing"
        );
    } else {
        let read_keys = keys
            .iter()
            .filter(|k| reads.iter().any(|p| p.ends_with(k.as_str())))
            .count();
        assert!(
            read_keys >= SETTLED - 2,
            "only {read_keys} of {SETTLED} settled organizers were read in {WINDOW:?}"
        );
        // Half of 4 a second over the window, plus the reads already granted at its edges.
        let most = (f64::from(RATE) / 2.0 * WINDOW.as_secs_f64()) as usize + 2;
        assert!(
            reads.len() <= most,
            "{} drift reads in {WINDOW:?} (at most {most}: half the rate)",
            reads.len()
        );
    }
    assert_eq!(env.sim.rate_limited_count(), 0, "no 429");

    // A new hire goes before the drift reads.
    let applied = Instant::now();
    env.apply_organizer("new-hire", json!({}))
        .await
        .expect("apply");
    let took = env
        .ready_within("new-hire", applied, Duration::from_secs(5))
        .await;
    eprintln!("new hire Ready {took:?} after it was applied");

    // Every seat is taken: the next one waits, until an offboarding by the operator frees one.
    env.apply_organizer("waiter", json!({}))
        .await
        .expect("apply");
    env.wait_ready("waiter", "False", "SeatUnavailable").await;
    let leaving = &names[0];
    env.delete_organizer(leaving).await;
    let deleted = Instant::now();
    let took = env
        .ready_within("waiter", deleted, Duration::from_secs(10))
        .await;
    eprintln!("the waiter was Ready {took:?} after the offboarding's DELETE was asked");
    env.wait_gone(leaving).await;
    env.finish().await;
}
