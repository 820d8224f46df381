//! Crash safety, rate limits, GoTo outages, secret hygiene and leader election.
use std::time::Duration;

use goto_operator::simulator::{FaultRule, Faults, SimConfig};
use serde_json::json;

use crate::harness::{CLIENT_SECRET, Env, OperatorOptions, operator, organizer_key, through_v1};
use crate::wire::{self, Job};

#[tokio::test]
async fn a_crash_between_create_and_status_write_never_duplicates() {
    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    // The operator may create in GoTo but may not write status: the create succeeds and the
    // key can never be recorded, exactly as if it died right after the create. Then it dies.
    env.kill_operator().await;
    env.grant_operator_user(json!([
        {"apiGroups": ["goto-operator.dev"], "resources": ["gotoorganizers", "gotoaccounts"], "verbs": ["get", "list", "watch", "patch", "update"]},
        {"apiGroups": ["goto-operator.dev"], "resources": ["gotoaccounts/status"], "verbs": ["get", "patch", "update"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]},
    ]))
    .await;
    env.operator = Some(operator::start_as_operator_user(env.namespace()));
    env.apply_organizer("crash", json!({}))
        .await
        .expect("apply");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    // Wait until the operator has come back at least twice after the create (reading the
    // organizer it remembers creating, never creating again).
    loop {
        let requests = env.sim.requests();
        let create = requests
            .iter()
            .position(|r| r.method == "POST" && r.path.ends_with("/organizers"));
        let reads_after = create.map_or(0, |i| {
            requests[i..]
                .iter()
                .filter(|r| r.method == "GET" && r.path.contains("/organizers"))
                .count()
        });
        if reads_after >= 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "operator did not retry after the create\n{}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logs = env.kill_operator().await;
    assert!(
        logs.contains("forbidden") || logs.contains("403"),
        "the status write was refused:\n{logs}"
    );
    assert!(
        env.get("crash")
            .await
            .status
            .and_then(|s| s.organizer_key)
            .is_none(),
        "the key was never recorded"
    );

    env.start_operator().await;
    let o = env.wait_ready("crash", "True", "Reconciled").await;
    let creates = env
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/organizers"))
        .count();
    assert_eq!(creates, 1, "exactly one create across the crash");
    let matching: Vec<_> = env
        .sim
        .organizers()
        .into_iter()
        .filter(|s| s.email == "crash@example.com")
        .collect();
    assert_eq!(matching.len(), 1, "exactly one organizer for the email");
    assert_eq!(organizer_key(&o), matching[0].organizer_key);
    env.wait_event("GoToOrganizer", "crash", "Adopted").await;
    env.finish().await;
}

#[tokio::test]
async fn a_429_storm_is_ridden_out_without_retry_after_violations() {
    let config = SimConfig {
        rate_limit: Some(4.0),
        ..SimConfig::default()
    };
    let Some(env) = Env::start(config).await else {
        return;
    };
    let names: Vec<String> = (0..8).map(|i| format!("storm-{i}")).collect();
    for name in &names {
        env.apply_organizer(name, json!({"timeZone": "Europe/Madrid"}))
            .await
            .expect("apply");
    }
    for name in &names {
        env.wait_for(name, "Ready", |o| {
            crate::harness::condition(o, "Ready").is_some_and(|c| c.0 == "True")
        })
        .await;
    }
    assert!(
        env.sim.rate_limited_count() > 0,
        "the storm must actually hit the limit"
    );
    assert_eq!(
        env.sim.retry_after_violations(),
        0,
        "Retry-After was honoured"
    );
    assert_eq!(
        env.sim.organizers().len(),
        names.len(),
        "no duplicate from retries"
    );
    env.finish().await;
}

#[tokio::test]
async fn outages_and_rate_limits_are_reported_and_recovered() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.sim.set_faults(Faults {
        error_5xx_rate: 1.0,
        ..Faults::default()
    });
    env.apply_organizer("outage", json!({}))
        .await
        .expect("apply");
    env.wait_ready("outage", "False", "GoToUnavailable").await;
    env.sim.set_faults(Faults::default());
    let key = organizer_key(&env.wait_ready("outage", "True", "Reconciled").await);

    env.sim.set_faults(Faults {
        // Every read of an organizer: by key, or (v1's drift reads) in the account's listing.
        rules: [Job::Read, Job::List]
            .into_iter()
            .map(|job| {
                FaultRule::status("GET", &wire::glob(job), 429)
                    .with_retry_after(1)
                    .times(10_000)
            })
            .collect(),
        ..Faults::default()
    });
    env.patch_organizer("outage", json!({"spec": {"lastName": "Limited"}}))
        .await;
    env.wait_ready("outage", "False", "RateLimited").await;
    env.sim.set_faults(Faults::default());
    env.wait_ready("outage", "True", "Reconciled").await;
    if through_v1() {
        // v1 cannot rename: once GoTo answers, the change is reported, never sent.
        wire::wait_not_supported(&env, "outage", &["lastName"]).await;
        assert_eq!(
            env.sim.organizer(&key).expect("organizer").last_name,
            "Person"
        );
        assert_eq!(
            env.goto_writes().len(),
            1,
            "only the create: {:?}",
            env.goto_writes()
        );
    } else {
        assert_eq!(
            env.sim.organizer(&key).expect("organizer").last_name,
            "Limited"
        );
    }
    assert_eq!(env.sim.retry_after_violations(), 0);
    env.finish().await;
}

#[tokio::test]
async fn the_client_secret_never_appears_in_logs_events_status_or_metrics() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("visible", json!({}))
        .await
        .expect("apply");
    env.wait_ready("visible", "True", "Reconciled").await;
    env.create_secret("leaky", "wrong-secret-Zx9").await;
    env.apply_account("leaky", json!({"credentialsSecretRef": {"name": "leaky"}}))
        .await;
    env.wait_account("leaky", "False", "CredentialsInvalid")
        .await;
    env.apply_organizer("leaky-user", json!({"accountRef": {"name": "leaky"}}))
        .await
        .expect("apply");
    env.wait_ready("leaky-user", "False", "CredentialsInvalid")
        .await;

    let logs = env.logs();
    assert!(logs.contains("visible"), "logs were captured");
    let statuses = serde_json::to_string(
        &env.organizers()
            .list(&Default::default())
            .await
            .expect("list")
            .items,
    )
    .expect("json");
    let accounts = serde_json::to_string(
        &env.accounts()
            .list(&Default::default())
            .await
            .expect("list")
            .items,
    )
    .expect("json");
    let events = env.all_events_text().await;
    for secret in [CLIENT_SECRET, "wrong-secret-Zx9"] {
        assert!(!logs.contains(secret), "secret in logs");
        assert!(!statuses.contains(secret), "secret in organizer objects");
        assert!(!accounts.contains(secret), "secret in account objects");
        assert!(!events.contains(secret), "secret in events");
    }
    // No bearer token either.
    assert!(
        !logs.to_ascii_lowercase().contains("bearer "),
        "a token in the logs"
    );
    env.finish().await;
}

async fn lease_holder(env: &Env) -> Option<String> {
    let leases: kube::Api<k8s_openapi::api::coordination::v1::Lease> =
        kube::Api::namespaced(env.client.clone(), env.namespace());
    leases
        .get_opt("goto-operator-leader")
        .await
        .expect("read lease")
        .and_then(|l| l.spec)
        .and_then(|s| s.holder_identity)
}

async fn wait_holder_other_than(env: &Env, old: &str, within: Duration) -> String {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(holder) = lease_holder(env).await.filter(|h| h != old) {
            return holder;
        }
        if tokio::time::Instant::now() > deadline {
            let leases: kube::Api<k8s_openapi::api::coordination::v1::Lease> =
                kube::Api::namespaced(env.client.clone(), env.namespace());
            let lease = leases.get_opt("goto-operator-leader").await.ok().flatten();
            panic!(
                "no new leader within {within:?}; lease: {:?}\noperator logs:\n{}",
                lease.and_then(|l| l.spec),
                env.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn only_the_leader_acts_and_a_standby_takes_over() {
    let Some(mut env) = Env::start_with(SimConfig::default(), OperatorOptions::default()).await
    else {
        return;
    };
    // Replace the single operator by two replicas that elect a leader in the test namespace.
    env.kill_operator().await;
    let a = operator::start_elected(env.namespace(), "replica-a");
    let b = operator::start_elected(env.namespace(), "replica-b");
    env.apply_organizer("elected", json!({}))
        .await
        .expect("apply");
    env.wait_ready("elected", "True", "Reconciled").await;
    let creates = env
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/organizers"))
        .count();
    assert_eq!(creates, 1, "only the leader created");
    let holder = lease_holder(&env).await.expect("a leader");
    let leaders: Vec<&str> = [("replica-a", &a), ("replica-b", &b)]
        .into_iter()
        .filter(|(_, replica)| replica.log().contains("acquired the leader lease"))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        leaders,
        [holder.as_str()],
        "exactly one replica leads (replicas starting together must not both win)"
    );
    let (mut leader, standby) = if holder == "replica-a" {
        (a, b)
    } else {
        (b, a)
    };
    env.operator = Some(standby); // logs on failure, SIGKILL below

    // A clean shutdown (SIGTERM, as on a rolling update) exits 0 and gives the Lease up; the
    // standby takes over when it next looks (at the latest when the old lease would expire).
    leader.terminate().await;
    assert!(
        leader.log().contains("released the leader lease"),
        "{}",
        leader.log()
    );
    let second = wait_holder_other_than(&env, &holder, Duration::from_secs(40)).await;
    env.apply_organizer("after-handoff", json!({}))
        .await
        .expect("apply");
    env.wait_ready("after-handoff", "True", "Reconciled").await;

    // A standby that is stopped (scale-down, rolling update) exits cleanly without leading.
    let mut idle = operator::start_elected(env.namespace(), "replica-d");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !idle.log().contains("waiting for the leader lease") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "standby did not start:\n{}",
            idle.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    idle.terminate().await;
    assert!(
        !idle.log().contains("acquired the leader lease"),
        "{}",
        idle.log()
    );

    // A crash (SIGKILL) releases nothing: a fresh replica takes over once the lease expires.
    let third = operator::start_elected(env.namespace(), "replica-c");
    drop(env.operator.take()); // SIGKILL the second leader
    let holder = wait_holder_other_than(&env, &second, Duration::from_secs(30)).await;
    assert_eq!(holder, "replica-c");
    env.operator = Some(third);
    env.apply_organizer("after-crash", json!({}))
        .await
        .expect("apply");
    env.wait_ready("after-crash", "True", "Reconciled").await;
    env.finish().await;
}
