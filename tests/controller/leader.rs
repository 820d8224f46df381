//! A leader that can no longer prove it holds the Lease stops writing to GoTo at once and exits
//! non-zero (issue 11.6): a stale leader must never resend a write after a new leader may have
//! started.
use std::time::Duration;

use goto_operator::simulator::{FaultRule, Faults, SimConfig};
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::harness::{Env, operator};
use crate::operator::Operator;
use crate::proxy::Proxy;
use crate::wire::{self, Job};

const LEASE: &str = "goto-operator-leader";

pub async fn holder(env: &Env) -> Option<String> {
    Api::<Lease>::namespaced(env.client.clone(), env.namespace())
        .get_opt(LEASE)
        .await
        .expect("read lease")
        .and_then(|l| l.spec)
        .and_then(|s| s.holder_identity)
}

pub async fn wait_leader(env: &Env, replica: &mut Operator, identity: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while holder(env).await.as_deref() != Some(identity) {
        replica.assert_running();
        assert!(
            tokio::time::Instant::now() < deadline,
            "{identity} did not lead:\n{}",
            replica.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Another identity takes the Lease by force, as `kubectl` or a confused replica could.
async fn usurp(env: &Env) {
    let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(jiff::Timestamp::now());
    Api::<Lease>::namespaced(env.client.clone(), env.namespace())
        .patch(
            LEASE,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {
                "holderIdentity": "usurper", "renewTime": now, "acquireTime": now,
                "leaseDurationSeconds": 15,
            }})),
        )
        .await
        .expect("take the lease");
}

/// The leader's create is answered 429 "retry after `seconds`": it waits inline and would then
/// resend the POST. Returns once the first POST was refused.
async fn hold_a_create_in_flight(env: &Env, name: &str, seconds: u64) {
    env.sim.set_faults(Faults {
        rules: vec![
            FaultRule::status("POST", &wire::glob(Job::Create), 429)
                .with_retry_after(seconds)
                .times(1),
        ],
        ..Faults::default()
    });
    env.apply_organizer(name, json!({})).await.expect("apply");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !env
        .sim
        .requests()
        .iter()
        .any(|r| wire::is(Job::Create, r) && r.status == 429)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the leader never tried the create\n{}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Writes to GoTo the simulator received after the first `seen` requests.
fn writes_after(env: &Env, seen: usize) -> Vec<String> {
    env.sim.requests()[seen..]
        .iter()
        .filter(|r| r.method != "GET" && r.path.starts_with("/G2M/"))
        .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
        .collect()
}

#[tokio::test]
async fn a_partitioned_leader_stops_writing_and_exits_non_zero() {
    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.kill_operator().await;
    let proxy = Proxy::start().await;
    let mut stale = operator::start_elected_via(proxy.kubeconfig(), env.namespace(), "stale");
    wait_leader(&env, &mut stale, "stale").await;
    hold_a_create_in_flight(&env, "contested", 25).await;

    // Cut the leader off the API server: it can no longer renew, but the lease library keeps
    // believing it leads. A new leader takes the Lease once it would have expired (here: at once).
    let seen = env.sim.requests().len();
    proxy.cut();
    let cut_at = tokio::time::Instant::now();
    usurp(&env).await;

    // Its renewal deadline passes within 10 s of the cut (it renews every 5 s).
    let status = stale.exit_within(Duration::from_secs(20)).await;
    let exited_after = cut_at.elapsed();
    let log = stale.log();
    let status = status.unwrap_or_else(|| {
        panic!("the partitioned leader is still running 20 s after the cut:\n{log}")
    });
    assert!(!status.success(), "it must exit non-zero: {status}\n{log}");
    assert!(
        log.contains("GoTo writes stopped"),
        "the fence closed first:\n{log}"
    );
    // Past the moment the held create would have been resent.
    tokio::time::sleep(Duration::from_secs(26).saturating_sub(exited_after)).await;
    assert_eq!(
        writes_after(&env, seen),
        Vec::<String>::new(),
        "the stale leader wrote to GoTo after losing the API server:\n{log}"
    );
    assert!(env.sim.organizers().is_empty(), "no seat was created");
    env.finish().await;
}

#[tokio::test]
async fn a_deposed_leader_stops_writing_at_once() {
    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.kill_operator().await;
    let mut old = operator::start_elected(env.namespace(), "old");
    wait_leader(&env, &mut old, "old").await;
    hold_a_create_in_flight(&env, "contested", 12).await;

    let seen = env.sim.requests().len();
    usurp(&env).await;
    // It reads the Lease every second; 10 s leaves room for a loaded machine.
    let status = old.exit_within(Duration::from_secs(10)).await;
    let log = old.log();
    let status =
        status.unwrap_or_else(|| panic!("the deposed leader is still running 10 s later:\n{log}"));
    assert!(!status.success(), "it must exit non-zero: {status}\n{log}");
    assert!(
        log.contains("GoTo writes stopped"),
        "the fence closed:\n{log}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        writes_after(&env, seen),
        Vec::<String>::new(),
        "the deposed leader wrote to GoTo:\n{log}"
    );
    env.finish().await;
}
