//! Issue 20 (4) / issue 22 (3): through GoTo Meeting REST v1 a resync of the whole account's
//! drift is one `GET /organizers`, not one GET per organizer.
use std::time::Duration;

use serde_json::json;

use crate::harness::{ACCOUNT, Env, OperatorOptions, condition};
use goto_operator::simulator::{SimConfig, V1_FIRST_KEY};

const ORGANIZERS: usize = 20;
const RESYNC_SECONDS: u64 = 5;

#[tokio::test]
async fn a_v1_resync_of_twenty_settled_organizers_is_one_listing_not_twenty_reads() {
    let config = SimConfig {
        first_key: V1_FIRST_KEY,
        ..SimConfig::default()
    };
    let options = OperatorOptions {
        resync_seconds: RESYNC_SECONDS,
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
    // Three resync periods of 20 settled organizers: 60 drift reads, one GET each before.
    env.sim.clear_requests();
    tokio::time::sleep(Duration::from_secs(3 * RESYNC_SECONDS)).await;
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
        per_organizer == 0 && (1..=2).contains(&listings),
        "{per_organizer} per-organizer reads and {listings} listings in three resyncs of \
         {ORGANIZERS} organizers: {reads:?}"
    );
    assert!(
        env.sim.v1_requests().iter().all(|r| r.method == "GET"),
        "a quiet resync writes nothing to GoTo"
    );
    env.finish().await;
}
