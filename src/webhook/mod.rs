//! Push notifications: `goto-operator run --webhook-bind ADDR` serves
//! `POST /webhooks/goto/{namespace}/{account}`.
//!
//! A notification is only a hint. Once its HMAC signature checks out under the account's
//! `spec.webhook.secretRef` key ([`signature`]), the operator re-reads the organizer it names
//! (`{"organizerKey": "..."}`) by triggering that GoToOrganizer's reconcile, exactly as the
//! resync would, only sooner: a blocked deletion re-audits at once. Nothing else in the body is
//! read, and nothing in it is trusted as state.
//!
//! Every request is answered and counted in `goto_operator_webhook_requests_total{result}`:
//!
//! | answer | result | when |
//! |---|---|---|
//! | 429 | `rate_limited` | more than [`RATE_PER_SECOND`] a second (burst [`BURST`]), whatever the account |
//! | 413 | `too_large` | the body exceeds [`MAX_BODY`] bytes |
//! | 404 | `unknown_account` | no such GoToAccount, or it has no `spec.webhook` |
//! | 401 | `bad_signature` | the signature is missing or wrong (or the key cannot be read) |
//! | 400 | `bad_request` | the signed body names no organizer key |
//! | 503 | `not_leader` | this replica does not lead: the sender retries, maybe on the leader |
//! | 202 | `accepted` / `unmatched` | the named organizer was / no object records that key |
//! | 500 | `error` | the Kubernetes API could not be read |
pub mod signature;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::Stream;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use k8s_openapi::api::core::v1::Secret;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client, ResourceExt};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::crd::{GoToAccount, GoToOrganizer};
use crate::metrics::Metrics;

/// Largest accepted body: notifications are small; anything bigger is refused unread.
pub const MAX_BODY: usize = 64 * 1024;
/// Notifications accepted per second, all accounts together.
pub const RATE_PER_SECOND: u32 = 20;
/// Notifications accepted at once after a quiet period.
pub const BURST: u32 = 40;
/// Re-reads waiting for the controller; beyond this a hint is dropped (the resync still comes).
const QUEUE: usize = 1024;

/// The webhook endpoint's shared state.
pub struct Webhooks {
    kube: Client,
    metrics: Arc<Metrics>,
    limiter: DefaultDirectRateLimiter,
    target: OnceLock<Target>,
}

/// Where accepted notifications go once this replica leads.
struct Target {
    organizers: Store<GoToOrganizer>,
    trigger: mpsc::Sender<ObjectRef<GoToOrganizer>>,
}

/// The signed body: only the organizer key is read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    organizer_key: String,
}

impl Webhooks {
    /// The endpoint's state; it answers 503 until [`Webhooks::activate`].
    pub fn new(kube: Client, metrics: Arc<Metrics>) -> Self {
        let rate = NonZeroU32::new(RATE_PER_SECOND).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(BURST).unwrap_or(NonZeroU32::MIN);
        Self {
            kube,
            metrics,
            limiter: RateLimiter::direct(Quota::per_second(rate).allow_burst(burst)),
            target: OnceLock::new(),
        }
    }

    /// Called by the leader once its controllers run: returns the stream of objects to re-read,
    /// for `Controller::reconcile_on`.
    pub fn activate(
        &self,
        organizers: Store<GoToOrganizer>,
    ) -> impl Stream<Item = ObjectRef<GoToOrganizer>> + Send + 'static {
        let (trigger, receiver) = mpsc::channel(QUEUE);
        let _ = self.target.set(Target {
            organizers,
            trigger,
        });
        futures::stream::unfold(receiver, |mut rx| async move {
            rx.recv().await.map(|obj| (obj, rx))
        })
    }

    async fn handle(
        &self,
        namespace: &str,
        account: &str,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> (StatusCode, &'static str) {
        if self.limiter.check().is_err() {
            return (StatusCode::TOO_MANY_REQUESTS, "rate_limited");
        }
        let body = match body {
            Ok(body) => body,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return (StatusCode::PAYLOAD_TOO_LARGE, "too_large");
            }
            Err(_) => return (StatusCode::BAD_REQUEST, "bad_request"),
        };
        let key = match self.key(namespace, account).await {
            Ok(Some(key)) => key,
            Ok(None) => return (StatusCode::NOT_FOUND, "unknown_account"),
            Err(KeyProblem::Unreadable) => return (StatusCode::UNAUTHORIZED, "bad_signature"),
            Err(KeyProblem::Kube) => return (StatusCode::INTERNAL_SERVER_ERROR, "error"),
        };
        let signed = headers
            .get(signature::HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|sig| signature::verify(&key, &body, sig));
        if !signed {
            return (StatusCode::UNAUTHORIZED, "bad_signature");
        }
        let Ok(notification) = serde_json::from_slice::<Notification>(&body) else {
            return (StatusCode::BAD_REQUEST, "bad_request");
        };
        let Some(target) = self.target.get() else {
            return (StatusCode::SERVICE_UNAVAILABLE, "not_leader");
        };
        let named: Vec<ObjectRef<GoToOrganizer>> = target
            .organizers
            .state()
            .iter()
            .filter(|o| {
                o.namespace().as_deref() == Some(namespace)
                    && o.spec.account_ref.name == account
                    && o.recorded_organizer_key() == Some(notification.organizer_key.as_str())
            })
            .map(|o| ObjectRef::from_obj(o.as_ref()))
            .collect();
        if named.is_empty() {
            return (StatusCode::ACCEPTED, "unmatched");
        }
        for obj in named {
            tracing::info!(organizer = %obj, "push notification: re-reading the organizer");
            // A full queue drops the hint: the periodic resync re-reads the organizer anyway.
            let _ = target.trigger.try_send(obj);
        }
        (StatusCode::ACCEPTED, "accepted")
    }

    /// The account's HMAC key; `None` when there is no such account or it takes no notifications.
    async fn key(&self, namespace: &str, account: &str) -> Result<Option<Vec<u8>>, KeyProblem> {
        let accounts: Api<GoToAccount> = Api::namespaced(self.kube.clone(), namespace);
        let Some(account) = accounts.get_opt(account).await.map_err(|e| {
            tracing::warn!(namespace, account, error = %e, "webhook: reading the GoToAccount failed");
            KeyProblem::Kube
        })?
        else {
            return Ok(None);
        };
        let Some(webhook) = account.spec.webhook.clone() else {
            return Ok(None);
        };
        let secrets: Api<Secret> = Api::namespaced(self.kube.clone(), namespace);
        let secret = secrets
            .get_opt(&webhook.secret_ref.name)
            .await
            .map_err(|e| {
                tracing::warn!(namespace, error = %e, "webhook: reading the Secret failed");
                KeyProblem::Kube
            })?;
        let key = secret
            .and_then(|s| s.data)
            .and_then(|mut data| data.remove(&webhook.secret_ref.key))
            .map(|value| value.0.trim_ascii().to_vec())
            .filter(|key| !key.is_empty());
        match key {
            Some(key) => Ok(Some(key)),
            None => {
                tracing::warn!(
                    namespace,
                    account = %account.name_any(),
                    secret = %webhook.secret_ref.name,
                    "webhook: the Secret or its key is missing; notifications are refused"
                );
                Err(KeyProblem::Unreadable)
            }
        }
    }
}

enum KeyProblem {
    /// The Secret or its key is missing or empty.
    Unreadable,
    /// The Kubernetes API failed.
    Kube,
}

/// Serves the endpoint until `shutdown` resolves.
pub async fn serve(
    bind: SocketAddr,
    hooks: Arc<Webhooks>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::Result<()> {
    let app = Router::new()
        .route("/webhooks/goto/{namespace}/{account}", post(notify))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(hooks);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| crate::Error::io(format!("binding the webhook server to {bind}"), e))?;
    tracing::info!(%bind, "serving push notifications on /webhooks/goto/{{namespace}}/{{account}}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| crate::Error::io("serving webhooks", e))
}

async fn notify(
    State(hooks): State<Arc<Webhooks>>,
    Path((namespace, account)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> (StatusCode, &'static str) {
    let (status, result) = hooks.handle(&namespace, &account, &headers, body).await;
    hooks.metrics.webhook_request(result);
    (status, result)
}
