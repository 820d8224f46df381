//! Tenant isolation at the controller level: a GoToAccount whose token endpoint never answers
//! (a tenant can point `tokenUrl` anywhere) must not hold back another tenant's organizers,
//! although both share the operator's workers.
use std::time::{Duration, Instant};

use axum::Router;
use goto_operator::simulator::SimConfig;
use serde_json::json;

use crate::harness::{Env, OperatorOptions};

/// A token endpoint that takes the request and never answers.
async fn silent_endpoint() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let app = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        "never"
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

#[tokio::test]
async fn a_silent_tenant_endpoint_does_not_hold_back_other_accounts() {
    // One worker per kind, and a short timeout: without the cool-off every reconcile of the
    // silent account holds that worker for 5 timeouts (the first try and 4 retries).
    let options = OperatorOptions {
        extra_args: vec![
            "--concurrency".into(),
            "1".into(),
            "--request-timeout-seconds".into(),
            "2".into(),
        ],
        ..OperatorOptions::default()
    };
    let Some(env) = Env::start_with(SimConfig::default(), options).await else {
        return;
    };
    let (silent, server) = silent_endpoint().await;
    env.apply_account(
        "silent",
        json!({"tokenUrl": format!("http://{silent}/oauth/token")}),
    )
    .await;
    for i in 0..4 {
        env.apply_organizer(
            &format!("stuck-{i}"),
            json!({"accountRef": {"name": "silent"}}),
        )
        .await
        .expect("apply");
    }
    // Let the silent account's organizers take the worker first.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    env.apply_organizer("served", json!({}))
        .await
        .expect("apply");
    env.wait_ready("served", "True", "Reconciled").await;
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(15),
        "the healthy account's organizer waited {waited:?} behind the silent endpoint"
    );
    let message = env.wait_account("silent", "False", "GoToUnavailable").await;
    assert!(
        message.contains("timed out") || message.contains("not asked again"),
        "{message}"
    );
    server.abort();
    env.finish().await;
}
