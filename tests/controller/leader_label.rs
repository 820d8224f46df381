//! The webhook Service reaches only the leader (issue 23 item 6): the leader labels its own Pod
//! `goto-operator.dev/leader: "true"` (the label the chart's webhook Service selects), a standby's
//! Pod carries no such label (a stale one is removed when the standby starts), and a clean
//! handover moves the label to the new leader. The labelled replica is the one whose webhook
//! takes notifications; the other answers 503.
//!
//! The test control plane has no kubelet: the two Pods are plain objects, named as the replicas'
//! `--pod-name`.
use std::time::Duration;

use goto_operator::controller::leader_label::{LEADER_LABEL, LEADER_VALUE};
use goto_operator::simulator::{NotifyRequest, SimConfig};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, PostParams};
use serde_json::json;

use crate::harness::{Env, operator};
use crate::leader::{holder, wait_leader};
use crate::operator::Operator;
use crate::webhook::free_port;
use crate::webhook::{HMAC_KEY, enable_webhook};

/// A Pod object as the chart's Deployment would create it (but never run: there is no kubelet).
async fn create_pod(env: &Env, name: &str, stale_leader_label: bool) {
    let mut labels = json!({"app.kubernetes.io/name": "goto-operator"});
    if stale_leader_label {
        labels[LEADER_LABEL] = json!(LEADER_VALUE);
    }
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "operator", "image": "goto-operator:test"}]},
    }))
    .expect("pod");
    Api::<Pod>::namespaced(env.client.clone(), env.namespace())
        .create(&PostParams::default(), &pod)
        .await
        .expect("create Pod");
}

async fn leader_label(env: &Env, pod: &str) -> Option<String> {
    Api::<Pod>::namespaced(env.client.clone(), env.namespace())
        .get(pod)
        .await
        .expect("read Pod")
        .metadata
        .labels
        .and_then(|l| l.get(LEADER_LABEL).cloned())
}

/// Waits (up to 30 s) until `pod`'s leader label is `want`.
async fn wait_label(env: &Env, pod: &str, want: Option<&str>, replica: &mut Operator) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let label = leader_label(env, pod).await;
        if label.as_deref() == want {
            return;
        }
        replica.assert_running();
        assert!(
            tokio::time::Instant::now() < deadline,
            "Pod {pod}: leader label {label:?}, expected {want:?}\n{}",
            replica.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The Pods the webhook Service would select (besides the release's labels).
async fn selected(env: &Env) -> Vec<String> {
    let selector = format!("{LEADER_LABEL}={LEADER_VALUE}");
    Api::<Pod>::namespaced(env.client.clone(), env.namespace())
        .list_metadata(&ListParams::default().labels(&selector))
        .await
        .expect("list Pods")
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect()
}

/// A replica named like its Pod, labelling that Pod, with its webhook on `hook_port`.
fn replica(env: &Env, pod: &str, hook_port: u16) -> Operator {
    let bind = format!("127.0.0.1:{hook_port}");
    operator::start_elected_with(
        env.namespace(),
        pod,
        &[
            "--pod-name",
            pod,
            "--pod-namespace",
            env.namespace(),
            "--webhook-bind",
            &bind,
        ],
    )
}

/// A signed notification for the account, naming an organizer no object records: the leader
/// answers 202 (`unmatched`), a standby 503 (`not_leader`).
fn notification(env: &Env, hook_port: u16) -> NotifyRequest {
    NotifyRequest {
        url: format!(
            "http://127.0.0.1:{hook_port}/webhooks/goto/{}/acme",
            env.namespace()
        ),
        key: HMAC_KEY.into(),
        organizer_key: "4242".into(),
        event: "organizer.updated".into(),
        pad_to: None,
        sign_with: None,
    }
}

/// The answer of the webhook on `hook_port`, waiting until it answers at all (the process may
/// have just started).
async fn notify(env: &Env, hook_port: u16) -> u16 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(status) = env.sim.notify(&notification(env, hook_port)).await {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the webhook on port {hook_port} never answered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_leaders_pod_carries_the_leader_label_and_a_standbys_does_not() {
    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.kill_operator().await;
    // The account takes notifications, so that each replica's answer tells leader from standby.
    enable_webhook(&env).await;
    // replica-b's Pod still carries the label from a previous life (a container that restarted
    // after losing the Lease).
    create_pod(&env, "replica-a", false).await;
    create_pod(&env, "replica-b", true).await;
    let (port_a, port_b) = (free_port(), free_port());

    let mut a = replica(&env, "replica-a", port_a);
    wait_leader(&env, &mut a, "replica-a").await;
    wait_label(&env, "replica-a", Some(LEADER_VALUE), &mut a).await;

    let mut b = replica(&env, "replica-b", port_b);
    // The standby removes the stale label at its start, and never sets it while a leads.
    wait_label(&env, "replica-b", None, &mut b).await;
    assert_eq!(notify(&env, port_b).await, 503, "b is a standby");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(holder(&env).await.as_deref(), Some("replica-a"));
    assert_eq!(leader_label(&env, "replica-b").await, None, "{}", b.log());
    assert_eq!(selected(&env).await, ["replica-a"], "the leader alone");
    assert_eq!(notify(&env, port_a).await, 202, "the labelled replica acts");

    // A clean handover (SIGTERM, as on a rolling update): a removes its label before it releases
    // the Lease, b takes the Lease and the label.
    a.terminate().await;
    assert_eq!(
        leader_label(&env, "replica-a").await,
        None,
        "removed before exit:\n{}",
        a.log()
    );
    wait_leader(&env, &mut b, "replica-b").await;
    wait_label(&env, "replica-b", Some(LEADER_VALUE), &mut b).await;
    assert_eq!(selected(&env).await, ["replica-b"], "the new leader alone");
    assert_eq!(notify(&env, port_b).await, 202, "the new leader acts");
    b.assert_running();
    let log = b.log();
    assert!(
        !log.contains("could not update this pod's leader label"),
        "{log}"
    );
    drop(b);
    env.finish().await;
}

/// Labelling is never fatal: a replica whose Pod cannot be patched (here: no such Pod) logs it,
/// leads and reconciles all the same.
#[tokio::test]
async fn a_leader_that_cannot_label_its_pod_logs_it_and_works_on() {
    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.kill_operator().await;
    let mut only = replica(&env, "no-such-pod", free_port());
    wait_leader(&env, &mut only, "no-such-pod").await;
    env.apply_organizer("new-hire", json!({}))
        .await
        .expect("apply");
    let ready = env.wait_ready("new-hire", "True", "Reconciled");
    tokio::select! {
        _ = ready => {}
        () = only.exited() => unreachable!(),
    }
    let log = only.log();
    assert!(
        log.contains("could not update this pod's leader label") && log.contains("no-such-pod"),
        "{log}"
    );
    only.assert_running();
    drop(only);
    env.finish().await;
}
