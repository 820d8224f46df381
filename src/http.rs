//! The operator's HTTP endpoints: `/metrics` (Prometheus), `/healthz` (process alive) and
//! `/readyz` (connected to the Kubernetes API and watching).
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::metrics::Metrics;

/// Shared by the HTTP handlers and the controllers.
#[derive(Clone)]
pub struct Health {
    /// Set once the controllers have started watching.
    pub ready: Arc<AtomicBool>,
    /// The registry served on /metrics.
    pub metrics: Arc<Metrics>,
}

/// Serves the endpoints until `shutdown` resolves.
pub async fn serve(
    bind: SocketAddr,
    health: Health,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(health);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| crate::Error::io(format!("binding the metrics server to {bind}"), e))?;
    tracing::info!(%bind, "serving /metrics, /healthz and /readyz");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| crate::Error::io("serving /metrics", e))
}

async fn metrics(
    State(health): State<Health>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        health.metrics.encode(),
    )
}

async fn readyz(State(health): State<Health>) -> (StatusCode, &'static str) {
    if health.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "starting")
    }
}
