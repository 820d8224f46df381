//! Push notifications end to end: the simulator signs and sends them, the operator's webhook
//! endpoint verifies them, and a verified one makes a blocked deletion re-audit at once instead
//! of after the (here 10-minute) re-audit period. Bad ones change nothing and are counted.

use futures::StreamExt;
use goto_operator::simulator::{NotifyRequest, SeedMeeting, SimConfig};
use jiff::{Timestamp, ToSpan};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::harness::{Env, OperatorOptions, organizer_key};

pub const HMAC_KEY: &str = "whk-5d1c0ffee-not-a-real-key";

/// The account `acme` takes push notifications signed with [`HMAC_KEY`] (from the Secret
/// `goto-webhook`).
pub async fn enable_webhook(env: &Env) {
    let secret: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "goto-webhook"},
        "stringData": {"hmacKey": HMAC_KEY},
    }))
    .expect("secret");
    Api::<Secret>::namespaced(env.client.clone(), env.namespace())
        .patch(
            "goto-webhook",
            &PatchParams::apply("e2e-test").force(),
            &Patch::Apply(&secret),
        )
        .await
        .expect("webhook secret");
    env.apply_account(
        "acme",
        json!({"webhook": {"secretRef": {"name": "goto-webhook", "key": "hmacKey"}}}),
    )
    .await;
}

pub use crate::common::free_port;

pub async fn metrics(port: u16) -> String {
    reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text")
}

fn counter(text: &str, result: &str) -> u64 {
    let prefix = format!("goto_operator_webhook_requests_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_signed_notification_re_audits_a_blocked_deletion_at_once_and_bad_ones_do_nothing() {
    let (hook_port, metrics_port) = (free_port(), free_port());
    let options = OperatorOptions {
        reaudit_seconds: 600,
        extra_args: vec![
            "--webhook-bind".into(),
            format!("127.0.0.1:{hook_port}"),
            "--metrics-bind".into(),
            format!("127.0.0.1:{metrics_port}"),
        ],
        ..OperatorOptions::default()
    };
    let Some(env) = Env::start_with(SimConfig::default(), options).await else {
        return;
    };
    enable_webhook(&env).await;

    env.apply_organizer("leaver", json!({}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("leaver", "True", "Reconciled").await);
    let start = Timestamp::now() + 72.hours();
    let meeting = env
        .sim
        .add_meeting(&key, SeedMeeting::new("Handover", start, start + 1.hour()));
    env.delete_organizer("leaver").await;
    env.wait_ready("leaver", "False", "DeletionBlocked").await;
    // The meeting is reassigned; without a notification the next audit is 10 minutes away.
    assert!(env.sim.remove_meeting(&meeting));

    let url = format!(
        "http://127.0.0.1:{hook_port}/webhooks/goto/{}/acme",
        env.namespace()
    );
    let request = |url: &str| NotifyRequest {
        url: url.to_string(),
        key: HMAC_KEY.into(),
        organizer_key: key.clone(),
        event: "organizer.updated".into(),
        pad_to: None,
        sign_with: None,
    };
    let bad_signature = NotifyRequest {
        sign_with: Some("guessed".into()),
        ..request(&url)
    };
    assert_eq!(env.sim.notify(&bad_signature).await, Ok(401));
    let oversized = NotifyRequest {
        pad_to: Some(70 * 1024),
        ..request(&url)
    };
    assert_eq!(env.sim.notify(&oversized).await, Ok(413));
    let unknown = request(&format!(
        "http://127.0.0.1:{hook_port}/webhooks/goto/{}/nope",
        env.namespace()
    ));
    // The same answer as a bad signature: the endpoint does not tell which accounts exist.
    assert_eq!(env.sim.notify(&unknown).await, Ok(401));
    // None of them moved anything (and `accepted == 1` below proves none triggered a re-read).
    env.wait_ready("leaver", "False", "DeletionBlocked").await;
    assert!(
        env.sim.organizer(&key).is_some(),
        "a bad notification deleted"
    );

    // The simulator's control endpoint signs and sends the real one.
    let sent: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{}/_sim/notify", env.sim.addr()))
        .json(&json!({"url": url, "key": HMAC_KEY, "organizerKey": key}))
        .send()
        .await
        .expect("POST /_sim/notify")
        .json()
        .await
        .expect("JSON");
    assert_eq!(sent["status"], 202, "{sent}");
    env.wait_gone("leaver").await;
    assert!(env.sim.organizer(&key).is_none(), "deleted in GoTo");

    // A flood is cut off. Ten at a time: far faster than the endpoint's 20/s (burst 40), without
    // 120 simultaneous connections that a loaded CI machine may refuse. Meanwhile another
    // account's notifications (same namespace, its own URL) all go through: each account's URL
    // has its own limiter (issue 21: one limiter for all tenants let one silence the others).
    env.apply_account(
        "other",
        json!({"webhook": {"secretRef": {"name": "goto-webhook", "key": "hmacKey"}}}),
    )
    .await;
    let other = request(&format!(
        "http://127.0.0.1:{hook_port}/webhooks/goto/{}/other",
        env.namespace()
    ));
    // Rounds of 40, ten at a time, until one is cut off: on a loaded machine one round may take
    // longer than the bucket needs to refill (a single round of 120 once saw no 429), but no
    // machine sends 600 this slowly.
    let mut statuses: Vec<u16> = Vec::new();
    while !statuses.contains(&429) && statuses.len() < 600 {
        let round = (0..40).map(|_| env.sim.notify(&bad_signature));
        let answers: Vec<_> = futures::stream::iter(round)
            .buffer_unordered(10)
            .collect()
            .await;
        statuses.extend(answers.into_iter().map(|r| r.expect("sent")));
    }
    assert!(statuses.contains(&429), "no 429 in {statuses:?}");
    // Right after the flood emptied its bucket, a burst for the other account.
    let neighbour: Vec<u16> = futures::future::join_all((0..8).map(|_| env.sim.notify(&other)))
        .await
        .into_iter()
        .map(|r| r.expect("sent"))
        .collect();
    assert_eq!(
        neighbour,
        vec![202; 8],
        "another account's notifications were limited by this one's flood"
    );

    let text = metrics(metrics_port).await;
    assert_eq!(counter(&text, "accepted"), 1, "{text}");
    assert!(counter(&text, "bad_signature") >= 1, "{text}");
    assert_eq!(counter(&text, "too_large"), 1, "{text}");
    assert_eq!(counter(&text, "unknown_account"), 1, "{text}");
    assert!(counter(&text, "rate_limited") >= 1, "{text}");
    assert!(!text.contains(HMAC_KEY));
    assert!(
        !env.logs().contains(HMAC_KEY),
        "the HMAC key leaked into the logs"
    );
    env.finish().await;
}
