//! Offboarding that never cancels a meeting without consent, and tenants that cannot hurt each
//! other (issue 11): each test here failed on the reconcile before observe/decide/act/report.
use std::time::Duration;

use goto_operator::simulator::{
    FaultRule, Faults, OrganizerStatus, SeedMeeting, SeedOrganizer, SimConfig,
};
use jiff::{Timestamp, ToSpan};
use serde_json::json;

use crate::harness::{Env, condition, organizer_key};
use crate::wire::{self, Job};

fn upcoming(subject: &str) -> SeedMeeting {
    let start = Timestamp::now() + 72.hours();
    SeedMeeting::new(subject, start, start + 1.hour())
}

fn deletes(env: &Env) -> usize {
    env.goto_writes()
        .iter()
        .filter(|w| w.starts_with("DELETE"))
        .count()
}

/// Waits until the simulator has seen a request of `job`.
async fn wait_request(env: &Env, job: Job) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !env.sim.requests().iter().any(|r| wire::is(job, r)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {job:?} request\n{}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn cleanup_of_an_object_that_never_recorded_an_organizer_touches_nothing() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    // Someone's seat, with a meeting, that this object never adopted (it only had InvalidSpec).
    let key = env
        .sim
        .insert_organizer(SeedOrganizer::new("never@example.com", "Nev", "Er"));
    env.sim.add_meeting(&key, upcoming("Board meeting"));
    env.apply_organizer("never", json!({"timeZone": "Mars/Olympus_Mons"}))
        .await
        .expect("apply");
    env.wait_ready("never", "False", "InvalidSpec").await;
    env.delete_organizer("never").await;
    env.wait_gone("never").await;
    env.wait_event("GoToOrganizer", "never", "Released").await;
    assert!(env.goto_writes().is_empty(), "{:?}", env.goto_writes());
    assert_eq!(
        env.sim.organizer(&key).expect("the seat survives").status,
        OrganizerStatus::Active
    );
    assert!(env.sim.cancelled_meetings().is_empty());
    env.finish().await;
}

#[tokio::test]
async fn a_second_account_object_on_the_same_goto_account_never_owns_the_seat() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    // Another GoToAccount object pointing at the same GoTo account.
    env.apply_account("acme-again", json!({})).await;
    env.wait_account("acme-again", "True", "Authenticated")
        .await;
    env.apply_organizer("first", json!({"email": "dana@example.com"}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("first", "True", "Reconciled").await);
    env.sim.add_meeting(&key, upcoming("Weekly"));
    env.sim.clear_requests();
    env.apply_organizer(
        "second",
        json!({"email": "DANA@example.com", "accountRef": {"name": "acme-again"}, "lastName": "Other"}),
    )
    .await
    .expect("apply");
    let o = env.wait_ready("second", "False", "OwnedElsewhere").await;
    let message = condition(&o, "Ready").expect("Ready").2;
    assert!(
        message.contains(&format!("{}/first", env.namespace())),
        "{message}"
    );
    env.wait_event("GoToOrganizer", "second", "OwnedElsewhere")
        .await;
    env.delete_organizer("second").await;
    env.wait_gone("second").await;
    env.wait_event("GoToOrganizer", "second", "Released").await;
    assert!(
        env.goto_writes().is_empty(),
        "the second claimant wrote nothing: {:?}",
        env.goto_writes()
    );
    let seat = env.sim.organizer(&key).expect("the seat survives");
    assert_eq!(
        seat.last_name, "Person",
        "not renamed by the second claimant"
    );
    assert!(env.sim.cancelled_meetings().is_empty());
    env.wait_ready("first", "True", "Reconciled").await;
    env.finish().await;
}

#[tokio::test]
async fn a_meeting_booked_between_the_audit_and_the_delete_blocks_it() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("late", json!({})).await.expect("apply");
    let key = organizer_key(&env.wait_ready("late", "True", "Reconciled").await);
    // The first audit finds nothing; the suspend that follows it fails for a while, and a
    // meeting is booked in that window.
    env.sim.set_faults(Faults {
        rules: vec![FaultRule::status("PUT", &wire::glob(Job::Suspend), 503).times(10_000)],
        ..Faults::default()
    });
    env.sim.clear_requests();
    env.delete_organizer("late").await;
    wait_request(&env, Job::Audit).await;
    wait_request(&env, Job::Suspend).await;
    let booked = env
        .sim
        .add_meeting(&key, upcoming("Booked at the last minute"));
    env.sim.set_faults(Faults::default());
    let o = env.wait_ready("late", "False", "DeletionBlocked").await;
    let audit = o.status.and_then(|s| s.meeting_audit).expect("audit");
    assert_eq!(audit.upcoming_meeting_count, 1);
    assert_eq!(audit.upcoming_meetings[0].meeting_id, booked);
    assert_eq!(deletes(&env), 0, "{:?}", env.goto_writes());
    assert!(env.sim.organizer(&key).is_some(), "the seat is kept");
    assert!(env.sim.cancelled_meetings().is_empty());
    env.finish().await;
}

#[tokio::test]
async fn a_half_read_audit_deletes_nothing() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("partial", json!({}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("partial", "True", "Reconciled").await);
    env.sim.add_meeting(&key, upcoming("Hidden"));
    // The meeting list answers 404 while the organizer exists.
    env.sim.set_faults(Faults {
        rules: vec![FaultRule::status("GET", &wire::glob(Job::Audit), 404).times(10_000)],
        ..Faults::default()
    });
    env.delete_organizer("partial").await;
    let o = env.wait_ready("partial", "False", "AuditFailed").await;
    assert!(
        condition(&o, "Ready")
            .expect("Ready")
            .2
            .contains("nothing deleted"),
        "{:?}",
        condition(&o, "Ready")
    );
    env.wait_event("GoToOrganizer", "partial", "AuditFailed")
        .await;
    assert_eq!(deletes(&env), 0);
    assert!(env.sim.organizer(&key).is_some());
    assert!(env.sim.cancelled_meetings().is_empty());
    // Once the list reads completely, the meeting it shows blocks the delete.
    env.sim.set_faults(Faults::default());
    env.wait_ready("partial", "False", "DeletionBlocked").await;
    assert_eq!(deletes(&env), 0);
    env.finish().await;
}

/// Applies a labelled object (so only the test's own cluster-wide operator sees it).
async fn apply_labelled<K>(client: &kube::Client, namespace: &str, obj: serde_json::Value)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let name = obj["metadata"]["name"].as_str().expect("name").to_string();
    kube::Api::<K>::namespaced(client.clone(), namespace)
        .patch(
            &name,
            &kube::api::PatchParams::apply("e2e-test").force(),
            &kube::api::Patch::Apply(&obj),
        )
        .await
        .unwrap_or_else(|e| panic!("apply {namespace}/{name}: {e}"));
}

#[tokio::test]
async fn two_namespaces_on_one_goto_account_have_one_owner() {
    use goto_operator::crd::{GoToAccount, GoToOrganizer};
    use k8s_openapi::api::core::v1::Secret;

    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    // One operator over every namespace, seeing only this test's objects (by label).
    env.kill_operator().await;
    let shard = format!("s{:08x}", rand::random::<u32>());
    let kubeconfig =
        crate::common::required_env(crate::common::KUBECONFIG_ENV).expect("kubeconfig");
    let selector = format!("goto-test-shard={shard}");
    env.operator = Some(crate::operator::Operator::start(
        kubeconfig.to_str().expect("utf-8 path"),
        "",
        &[
            "--leader-election",
            "false",
            "--label-selector",
            &selector,
            "--slow-requeue-seconds",
            "2",
        ],
    ));
    let other = crate::common::TestNamespace::new(&env.client).await;
    let labels = json!({"goto-test-shard": shard});
    let account = |name: &str| {
        json!({
            "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount",
            "metadata": {"name": name, "labels": labels},
            "spec": {"accountKey": env.sim.account_key(), "credentialsSecretRef": {"name": "goto-oauth"},
                "apiBaseUrl": env.sim.base_url(), "tokenUrl": env.sim.token_url(), "requestsPerSecond": 50},
        })
    };
    let organizer = |name: &str, account: &str| {
        json!({
            "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
            "metadata": {"name": name, "labels": labels},
            "spec": {"accountRef": {"name": account}, "email": "Dana@example.com",
                "firstName": "Dana", "lastName": format!("of {name}")},
        })
    };
    apply_labelled::<Secret>(&env.client, other.name(), json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "goto-oauth"},
        "stringData": {"clientId": crate::harness::CLIENT_ID, "clientSecret": crate::harness::CLIENT_SECRET},
    }))
    .await;
    apply_labelled::<GoToAccount>(&env.client, env.namespace(), account("team-a")).await;
    apply_labelled::<GoToAccount>(&env.client, other.name(), account("team-b")).await;
    apply_labelled::<GoToOrganizer>(&env.client, env.namespace(), organizer("first", "team-a"))
        .await;
    let key = organizer_key(&env.wait_ready("first", "True", "Reconciled").await);
    env.sim.add_meeting(&key, upcoming("Kept"));
    env.sim.clear_requests();

    apply_labelled::<GoToOrganizer>(&env.client, other.name(), organizer("second", "team-b")).await;
    let second: kube::Api<GoToOrganizer> = kube::Api::namespaced(env.client.clone(), other.name());
    let owner = format!("{}/first", env.namespace());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let o = second.get("second").await.expect("get second");
        if let Some((_, reason, message)) = condition(&o, "Ready")
            && reason == "OwnedElsewhere"
        {
            assert!(message.contains(&owner), "{message}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "second never became OwnedElsewhere: {:?}\n{}",
            o.status,
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second
        .delete("second", &Default::default())
        .await
        .expect("delete second");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while second.get_opt("second").await.expect("get").is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "second not released\n{}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(env.goto_writes().is_empty(), "{:?}", env.goto_writes());
    let seat = env.sim.organizer(&key).expect("the seat survives");
    assert_eq!(seat.last_name, "of first");
    assert_eq!(seat.status, OrganizerStatus::Active);
    assert!(env.sim.cancelled_meetings().is_empty());
    other.cleanup().await;
    env.finish().await;
}
