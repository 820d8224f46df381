//! Fleet scale at a strict rate limit, sized for CI: 50 new hires under a simulator limited to
//! 5 requests per second (sliding window), with the account's budget at the same 5/s.
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Env, condition};
use goto_operator::simulator::SimConfig;

const ORGANIZERS: usize = 50;
const RATE: f64 = 5.0;

#[tokio::test]
async fn fifty_new_hires_at_five_requests_a_second_without_429_waste() {
    let config = SimConfig {
        rate_limit: Some(RATE),
        ..SimConfig::default()
    };
    let Some(env) = Env::start(config).await else {
        return;
    };
    env.apply_account(
        crate::harness::ACCOUNT,
        json!({"requestsPerSecond": RATE as u32}),
    )
    .await;
    env.sim.clear_requests();
    let started = Instant::now();
    let names: Vec<String> = (0..ORGANIZERS).map(|i| format!("hire-{i:02}")).collect();
    for name in &names {
        env.apply_organizer(name, json!({"timeZone": "Europe/Paris"}))
            .await
            .expect("apply");
    }
    for name in &names {
        env.wait_for(name, "Ready", |o| {
            condition(o, "Ready").is_some_and(|c| c.0 == "True")
        })
        .await;
    }
    let elapsed = started.elapsed();
    let api_calls = env
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/G2M/"))
        .count();
    let per_organizer = api_calls as f64 / ORGANIZERS as f64;
    let log = env.sim.requests();
    for (i, r) in log.iter().enumerate() {
        if r.status == 429 {
            for q in &log[i.saturating_sub(8)..(i + 3).min(log.len())] {
                eprintln!("{} {} {} {}", q.at, q.method, q.path, q.status);
            }
        }
    }
    eprintln!(
        "{ORGANIZERS} organizers Ready in {elapsed:?}: {api_calls} GoTo calls ({per_organizer:.2} each), {} 429s, {} violations",
        env.sim.rate_limited_count(),
        env.sim.retry_after_violations()
    );
    assert_eq!(
        env.sim.retry_after_violations(),
        0,
        "nothing was sent while a Retry-After ran"
    );
    assert!(
        per_organizer <= 2.2,
        "{api_calls} GoTo calls for {ORGANIZERS} organizers ({per_organizer:.2} each)"
    );
    assert_eq!(env.sim.organizers().len(), ORGANIZERS, "no duplicates");
    // The pace is the limit's: create + full PUT each, at most 5 a second, at no more than
    // about the rate-bound minimum plus the per-object latency of the pipeline.
    let minimum = Duration::from_secs_f64(api_calls as f64 / RATE);
    assert!(elapsed >= minimum.mul_f64(0.9), "{elapsed:?} < {minimum:?}");
    env.finish().await;
}

/// Issue 22 (2): no thundering herd after a restart. Settled organizers are read at their place
/// in the resync period, not all at once, so a new hire applied right after the restart is not
/// queued behind their drift reads; nothing is written to GoTo.
#[tokio::test]
async fn after_a_restart_settled_organizers_are_read_over_the_period_and_a_new_hire_goes_first() {
    const SETTLED: usize = 30;
    let options = crate::harness::OperatorOptions {
        resync_seconds: 120,
        ..crate::harness::OperatorOptions::default()
    };
    let config = SimConfig {
        rate_limit: Some(RATE),
        ..SimConfig::default()
    };
    let Some(mut env) = Env::start_with(config, options).await else {
        return;
    };
    env.apply_account(
        crate::harness::ACCOUNT,
        json!({"requestsPerSecond": RATE as u32}),
    )
    .await;
    let names: Vec<String> = (0..SETTLED).map(|i| format!("settled-{i:02}")).collect();
    for name in &names {
        env.apply_organizer(name, json!({})).await.expect("apply");
    }
    for name in &names {
        env.wait_synced(name, "True", "InSync").await;
    }
    let keys: Vec<String> = futures::future::join_all(names.iter().map(|n| env.get(n)))
        .await
        .iter()
        .map(crate::harness::organizer_key)
        .collect();

    env.kill_operator().await;
    env.sim.clear_requests();
    env.start_operator().await;
    let restarted = Instant::now();
    env.apply_organizer("new-hire", json!({}))
        .await
        .expect("apply");
    env.wait_ready("new-hire", "True", "Reconciled").await;
    let took = restarted.elapsed();
    let requests = env.sim.requests();
    let settled_reads = requests
        .iter()
        .filter(|r| r.method == "GET" && keys.iter().any(|k| r.path.ends_with(k.as_str())))
        .count();
    assert!(
        took < Duration::from_secs(10),
        "the new hire took {took:?} after the restart"
    );
    // At 5 requests a second, reading all 30 at once would take 6 s, ahead of the new hire.
    // Spread over 120 s, about 30 * took / 120 are due by now.
    let due = (SETTLED as f64 * took.as_secs_f64() / 120.0).ceil() as usize + 3;
    assert!(
        settled_reads <= due,
        "{settled_reads} of {SETTLED} settled organizers were read in the {took:?} after the restart (at most {due} were due)"
    );
    assert!(
        env.goto_writes()
            .iter()
            .all(|w| w.contains("new-hire") || !keys.iter().any(|k| w.contains(k.as_str()))),
        "a settled organizer was written to after the restart: {:?}",
        env.goto_writes()
    );
    env.finish().await;
}
