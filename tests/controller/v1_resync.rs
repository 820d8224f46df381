//! Issue 20 (4) / issue 22 (3): through GoTo Meeting REST v1 a resync of the whole account's
//! drift is one `GET /organizers`, not one GET per organizer.
use std::time::Duration;

use serde_json::json;

use crate::harness::{ACCOUNT, Env, OperatorOptions, condition};
use crate::webhook::{free_port, metrics};

/// Organizer reconciles so far, from the operator's /metrics.
async fn reconciles(port: u16) -> f64 {
    let text = metrics(port).await;
    text.lines()
        .find_map(|l| {
            l.strip_prefix(
                "goto_operator_reconcile_duration_seconds_count{controller=\"organizer\"}",
            )
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no organizer reconcile count in /metrics:\n{text}"))
}
use goto_operator::simulator::{SimConfig, V1_FIRST_KEY};

const ORGANIZERS: usize = 20;
const RESYNC_SECONDS: u64 = 5;

#[tokio::test]
async fn a_v1_resync_of_twenty_settled_organizers_is_one_listing_not_twenty_reads() {
    let config = SimConfig {
        first_key: V1_FIRST_KEY,
        ..SimConfig::default()
    };
    let port = free_port();
    let options = OperatorOptions {
        resync_seconds: RESYNC_SECONDS,
        extra_args: vec!["--metrics-bind".into(), format!("127.0.0.1:{port}")],
        ..OperatorOptions::default()
    };
    let Some(env) = Env::start_with(config, options).await else {
        return;
    };
    env.apply_account(
        ACCOUNT,
        json!({"api": "v1", "apiBaseUrl": env.sim.v1_base_url()}),
    )
    .await;
    env.wait_account(ACCOUNT, "True", "Authenticated").await;
    let names: Vec<String> = (0..ORGANIZERS).map(|i| format!("settled-{i:02}")).collect();
    for name in &names {
        env.apply_organizer(name, json!({})).await.expect("apply");
    }
    for name in &names {
        env.wait_for(name, "Ready", |o| {
            condition(o, "Ready").is_some_and(|c| c.0 == "True")
        })
        .await;
    }
    // One period to settle (the listing made for the creates' email lookups does not hold the
    // new organizers), then three resync periods of 20 settled organizers: 60 drift reads, one
    // GET each before.
    tokio::time::sleep(Duration::from_secs(RESYNC_SECONDS + 1)).await;
    let before = reconciles(port).await;
    env.sim.clear_requests();
    tokio::time::sleep(Duration::from_secs(3 * RESYNC_SECONDS)).await;
    let done = reconciles(port).await - before;
    assert!(
        done >= 2.0 * ORGANIZERS as f64,
        "the resyncs ran: {done} organizer reconciles"
    );
    let reads = env.sim.v1_requests();
    let per_organizer = reads
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/G2M/rest/organizers/"))
        .count();
    let listings = reads
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/G2M/rest/organizers")
        .count();
    assert!(
        per_organizer == 0 && listings <= 2,
        "{per_organizer} per-organizer reads and {listings} listings in three resyncs of \
         {ORGANIZERS} organizers: {reads:?}"
    );
    assert!(
        env.sim.v1_requests().iter().all(|r| r.method == "GET"),
        "a quiet resync writes nothing to GoTo"
    );
    env.finish().await;
}

/// Issue 20 (6): an account whose endpoint answers like the other dialect is `Ready=False
/// WrongApi` with the value to set, and its organizers wait as `AccountNotReady` instead of
/// collecting 404s; setting the right `api` makes everything Ready.
#[tokio::test]
async fn an_account_pointed_at_the_other_dialect_says_which_api_to_set() {
    let config = SimConfig {
        first_key: V1_FIRST_KEY,
        ..SimConfig::default()
    };
    let Some(env) = Env::start(config).await else {
        return;
    };
    // The suite's dialect, pointed at the other dialect's endpoint.
    let (api, wrong_base, right) = if crate::harness::through_v1() {
        ("v1", env.sim.base_url(), "v2")
    } else {
        ("v2", env.sim.v1_base_url(), "v1")
    };
    env.apply_account(ACCOUNT, json!({"api": api, "apiBaseUrl": wrong_base}))
        .await;
    let message = env.wait_account(ACCOUNT, "False", "WrongApi").await;
    assert!(
        message.contains(&format!("set spec.api: {right}")),
        "{message}"
    );
    env.apply_organizer("waits", json!({}))
        .await
        .expect("apply");
    env.wait_ready("waits", "False", "AccountNotReady").await;
    assert!(env.goto_writes().is_empty(), "{:?}", env.goto_writes());
    env.apply_account(ACCOUNT, json!({"api": right, "apiBaseUrl": wrong_base}))
        .await;
    env.wait_account(ACCOUNT, "True", "Authenticated").await;
    env.wait_ready("waits", "True", "Reconciled").await;
    env.finish().await;
}
