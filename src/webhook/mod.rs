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
//! | 429 | `rate_limited` | more than [`RATE_PER_SECOND`] a second (burst [`BURST`]) for one account's URL, or [`TOTAL_PER_SECOND`] for all together |
//! | 413 | `too_large` | the body exceeds [`MAX_BODY`] bytes |
//! | 401 | `bad_signature` | the signature is missing, malformed or wrong (or the key cannot be read) |
//! | 401 | `unknown_account` | no such GoToAccount, or it has no `spec.webhook` (the same answer as a bad signature: the endpoint does not tell which accounts take notifications) |
//!
//! Checks that cost nothing come first: a request without a well-formed signature is refused
//! before anything is read for it, and an account's key is read from its Secret at most once
//! per [`KEY_TTL`] (absent keys too), so a flood of forged requests costs the API server
//! nothing. Each account's URL has its own limiter: one tenant's flood does not silence
//! another's notifications.
//! | 400 | `bad_request` | the signed body names no organizer key |
//! | 503 | `not_leader` | this replica does not lead: the sender retries (the chart's webhook Service routes to the leader alone, whose Pod carries [`crate::controller::leader_label::LEADER_LABEL`]) |
//! | 202 | `accepted` / `unmatched` | the named organizer was / no object records that key |
//! | 500 | `error` | the Kubernetes API could not be read |
pub mod signature;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::Stream;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use k8s_openapi::api::core::v1::Secret;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client, ResourceExt};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::controller::organizer::spread::FirstReads;
use crate::crd::{GoToAccount, GoToOrganizer};
use crate::metrics::Metrics;

/// Largest accepted body: notifications are small; anything bigger is refused unread.
pub const MAX_BODY: usize = 64 * 1024;
/// Notifications accepted per second for one account's URL.
pub const RATE_PER_SECOND: u32 = 20;
/// Notifications accepted at once for one account's URL after a quiet period.
pub const BURST: u32 = 40;
/// Requests accepted per second, all accounts together (an outer bound on the endpoint's work).
pub const TOTAL_PER_SECOND: u32 = 200;
/// How long an account's key (or its absence) is remembered.
pub const KEY_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// Accounts whose keys are remembered at most (beyond, the memory starts over).
const KEYS_REMEMBERED: usize = 1024;
/// Re-reads waiting for the controller; beyond this a hint is dropped (the resync still comes).
const QUEUE: usize = 1024;

/// The webhook endpoint's shared state.
pub struct Webhooks {
    kube: Client,
    metrics: Arc<Metrics>,
    total: DefaultDirectRateLimiter,
    per_account: DefaultKeyedRateLimiter<AccountUrl>,
    keys: Mutex<HashMap<AccountUrl, RememberedKey>>,
    target: OnceLock<Target>,
}

/// An account's URL: (namespace, account).
type AccountUrl = (String, String);
/// An account's HMAC key (`None`: it takes no notifications) and when it was read.
type RememberedKey = (Option<Vec<u8>>, Instant);

/// Where accepted notifications go once this replica leads.
struct Target {
    organizers: Store<GoToOrganizer>,
    /// A named organizer is read at once, even right after a restart.
    first_reads: Arc<FirstReads>,
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
        let total = NonZeroU32::new(TOTAL_PER_SECOND).unwrap_or(NonZeroU32::MIN);
        Self {
            kube,
            metrics,
            total: RateLimiter::direct(Quota::per_second(total)),
            per_account: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            keys: Mutex::new(HashMap::new()),
            target: OnceLock::new(),
        }
    }

    /// Called by the leader once its controllers run: returns the stream of objects to re-read,
    /// for `Controller::reconcile_on`.
    pub fn activate(
        &self,
        organizers: Store<GoToOrganizer>,
        first_reads: Arc<FirstReads>,
    ) -> impl Stream<Item = ObjectRef<GoToOrganizer>> + Send + 'static {
        let (trigger, receiver) = mpsc::channel(QUEUE);
        let _ = self.target.set(Target {
            organizers,
            first_reads,
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
        if self.total.check().is_err() {
            return (StatusCode::TOO_MANY_REQUESTS, "rate_limited");
        }
        let body = match body {
            Ok(body) => body,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return (StatusCode::PAYLOAD_TOO_LARGE, "too_large");
            }
            Err(_) => return (StatusCode::BAD_REQUEST, "bad_request"),
        };
        let Some(sig) = headers
            .get(signature::HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|sig| signature::well_formed(sig))
        else {
            return (StatusCode::UNAUTHORIZED, "bad_signature");
        };
        let url = (namespace.to_string(), account.to_string());
        if self.per_account.check_key(&url).is_err() {
            return (StatusCode::TOO_MANY_REQUESTS, "rate_limited");
        }
        if self.per_account.len() > KEYS_REMEMBERED {
            self.per_account.retain_recent();
        }
        let key = match self.key(namespace, account).await {
            Ok(Some(key)) => key,
            Ok(None) => return (StatusCode::UNAUTHORIZED, "unknown_account"),
            Err(KeyProblem::Unreadable) => return (StatusCode::UNAUTHORIZED, "bad_signature"),
            Err(KeyProblem::Kube) => return (StatusCode::INTERNAL_SERVER_ERROR, "error"),
        };
        if !signature::verify(&key, &body, sig) {
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
            target
                .first_reads
                .read_now(obj.namespace.as_deref().unwrap_or_default(), &obj.name);
            // A full queue drops the hint: the periodic resync re-reads the organizer anyway.
            let _ = target.trigger.try_send(obj);
        }
        (StatusCode::ACCEPTED, "accepted")
    }

    /// The account's HMAC key, remembered for [`KEY_TTL`]; `None` when there is no such account
    /// or it takes no notifications.
    async fn key(&self, namespace: &str, account: &str) -> Result<Option<Vec<u8>>, KeyProblem> {
        let url = (namespace.to_string(), account.to_string());
        if let Some((key, read)) = self.remembered().get(&url)
            && read.elapsed() < KEY_TTL
        {
            return Ok(key.clone());
        }
        let key = match self.read_key(namespace, account).await {
            Ok(key) => key,
            // Not remembered: the next request reads again.
            Err(KeyProblem::Unreadable) => return Err(KeyProblem::Unreadable),
            Err(KeyProblem::Kube) => return Err(KeyProblem::Kube),
        };
        let mut keys = self.remembered();
        if keys.len() >= KEYS_REMEMBERED {
            keys.clear();
        }
        keys.insert(url, (key.clone(), Instant::now()));
        Ok(key)
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<AccountUrl, RememberedKey>> {
        crate::sync::lock(&self.keys)
    }

    /// Reads the account's HMAC key from the Kubernetes API.
    async fn read_key(
        &self,
        namespace: &str,
        account: &str,
    ) -> Result<Option<Vec<u8>>, KeyProblem> {
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
