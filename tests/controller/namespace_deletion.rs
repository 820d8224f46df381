//! Deleting a whole namespace (Secret, GoToAccount and GoToOrganizers at once) finalizes
//! completely, even across operator restarts (issue 11.8). The test control plane has no
//! namespace controller, so the test deletes the objects the way it would: everything at once.
use std::time::Duration;

use goto_operator::controller::credentials::FINALIZER as SECRET_FINALIZER;
use goto_operator::simulator::SimConfig;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::DeleteParams;
use serde_json::json;

use crate::common;
use crate::harness::{ACCOUNT, Env, organizer_key};

/// Polls `check` until it holds; panics with `what` and the operator's logs after `within`.
async fn until<F, Fut>(env: &Env, what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} not reached within {within:?}\noperator logs:\n{}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn secret_finalizers(env: &Env, name: &str) -> Option<Vec<String>> {
    Api::<Secret>::namespaced(env.client.clone(), env.namespace())
        .get_metadata_opt(name)
        .await
        .expect("read secret")
        .map(|s| s.metadata.finalizers.unwrap_or_default())
}

#[tokio::test]
async fn a_deleted_namespace_finalizes_completely_across_restarts() {
    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    let names = ["leaver-a", "leaver-b", "leaver-c"];
    for name in names {
        env.apply_organizer(name, json!({})).await.expect("apply");
    }
    let mut keys = Vec::new();
    for name in names {
        keys.push(organizer_key(
            &env.wait_ready(name, "True", "Reconciled").await,
        ));
    }
    // The account reconciled (Env::start waited for it), so its Secret is protected by now.
    // The operator is down when the namespace goes: nothing is cached when it comes back.
    env.kill_operator().await;
    let dp = DeleteParams::default();
    Api::<Secret>::namespaced(env.client.clone(), env.namespace())
        .delete("goto-oauth", &dp)
        .await
        .expect("delete secret");
    env.accounts()
        .delete(ACCOUNT, &dp)
        .await
        .expect("delete account");
    for name in names {
        env.delete_organizer(name).await;
    }
    env.start_operator().await;
    // Killed again as soon as the first seat is offboarded, then back.
    until(
        &env,
        "first seat offboarded",
        Duration::from_secs(30),
        || async { env.sim.organizers().len() < names.len() },
    )
    .await;
    env.kill_operator().await;
    env.start_operator().await;

    for name in names {
        env.wait_gone(name).await;
    }
    for key in &keys {
        assert!(
            env.sim.organizer(key).is_none(),
            "{key} was offboarded in GoTo"
        );
    }
    let deadline = tokio::time::Instant::now() + common::DEFAULT_TIMEOUT;
    loop {
        let account = env.accounts().get_opt(ACCOUNT).await.expect("get");
        let secret = secret_finalizers(&env, "goto-oauth").await;
        if account.is_none() && secret.is_none() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "left over: account {:?}, secret finalizers {secret:?}\noperator logs:\n{}",
            account.map(|a| a.metadata.finalizers),
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    env.finish().await;
}

#[tokio::test]
async fn a_secret_is_released_when_no_account_references_it_any_more() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.create_secret("rotated", crate::harness::CLIENT_SECRET)
        .await;
    env.apply_account(
        ACCOUNT,
        json!({"credentialsSecretRef": {"name": "rotated"}}),
    )
    .await;
    until(
        &env,
        "finalizer moved to the new Secret",
        Duration::from_secs(20),
        || async {
            let old = secret_finalizers(&env, "goto-oauth")
                .await
                .unwrap_or_default();
            let new = secret_finalizers(&env, "rotated").await.unwrap_or_default();
            !old.iter().any(|f| f == SECRET_FINALIZER) && new.iter().any(|f| f == SECRET_FINALIZER)
        },
    )
    .await;
    env.finish().await;
}
