//! One GoTo client per GoToAccount, shared by every organizer of that account, so the token cache
//! and the account directory are account-wide. A client is rebuilt only when the account's spec
//! or its Secret changes. Request budgets go further: they come from one process-wide
//! [`Budgets`] registry keyed by OAuth application (token URL, client id, account key), so a
//! rebuilt client (a Secret edit) and a second GoToAccount naming the same application keep
//! drawing on the same budget and honour the same Retry-After.
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client, ResourceExt};

use super::secret_versions::{SecretVersions, version_of};
use crate::crd::GoToAccount;
use crate::goto::{
    AccountKey, Budgets, ClientConfig, Credentials, Dialect, GoToApi, GoToClient, Observer,
    V1Client, WriteFence,
};
use crate::metrics::Metrics;

/// Why an account cannot give a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The GoToAccount does not exist.
    AccountNotFound(String),
    /// The Secret or one of its keys is missing.
    SecretNotFound(String),
    /// The account's endpoints are unusable.
    BadEndpoint(String),
    /// Reading from the Kubernetes API failed.
    Kube(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::AccountNotFound(m)
            | Problem::SecretNotFound(m)
            | Problem::BadEndpoint(m)
            | Problem::Kube(m) => f.write_str(m),
        }
    }
}

#[derive(Clone)]
struct Cached {
    fingerprint: u64,
    /// The request pipeline (budget, token, retries) the dialect speaks through.
    client: GoToClient,
    /// The account's GoTo, in the dialect its `api` names.
    api: Arc<dyn GoToApi>,
}

/// The account's GoTo in the dialect its `spec.api` names, over `client`'s pipeline.
fn speaking(dialect: Dialect, client: GoToClient) -> Arc<dyn GoToApi> {
    match dialect {
        Dialect::V2 => Arc::new(client),
        Dialect::V1 => Arc::new(V1Client::new(client)),
    }
}

/// The per-account client cache.
pub struct AccountClients {
    clients: Mutex<HashMap<(String, String), Cached>>,
    observer: Arc<dyn Observer>,
    /// When set, each account's client reports its budget metrics under the account's name.
    metrics: Option<Arc<Metrics>>,
    budgets: Budgets,
    request_timeout: Duration,
    write_fence: Option<WriteFence>,
    drift_lane: bool,
    /// The credentials Secrets' versions, from the account controller's watch.
    secrets: SecretVersions,
}

impl AccountClients {
    /// An empty cache whose clients report requests to `observer`.
    pub fn new(observer: Arc<dyn Observer>, request_timeout: Duration) -> Self {
        Self {
            clients: Mutex::new(HashMap::new()),
            observer,
            metrics: None,
            budgets: Budgets::new(),
            request_timeout,
            write_fence: None,
            drift_lane: false,
            secrets: SecretVersions::default(),
        }
    }

    /// An empty cache whose clients report to `metrics`, budget metrics labelled by account.
    pub fn with_metrics(metrics: Arc<Metrics>, request_timeout: Duration) -> Self {
        let observer: Arc<dyn Observer> = metrics.clone();
        Self {
            metrics: Some(metrics),
            ..Self::new(observer, request_timeout)
        }
    }

    /// The effective request rate of the account's client, if one was built.
    pub fn effective_rate(&self, namespace: &str, name: &str) -> Option<f64> {
        self.cached(namespace, name)
            .map(|cached| cached.client.effective_requests_per_second())
    }

    /// Makes every client built from now on check `fence` before each GoTo write (the leader
    /// lease's fence: a replica that may have been deposed writes nothing).
    pub fn set_write_fence(&mut self, fence: WriteFence) {
        self.write_fence = Some(fence);
    }

    /// Lets the clients built from now on read for drift in the budget's drift lane, behind
    /// people's work (the controller; the CLI's reads are a person's and never give way).
    pub fn use_drift_lane(&mut self) {
        self.drift_lane = true;
    }

    /// Bounds every request of the clients built from now on (`--request-timeout-seconds`).
    pub fn set_request_timeout(&mut self, timeout: Duration) {
        self.request_timeout = timeout;
    }

    /// Reads the GoToAccount `name` in `namespace` and returns it with its client.
    ///
    /// `allow_cached`: when the Secret is gone but a client was built before, use that client.
    /// Cleanup sets it, so that deleting a whole namespace (Secret first) does not strand the
    /// organizers' finalizers.
    pub async fn resolve(
        &self,
        kube: &Client,
        namespace: &str,
        name: &str,
        allow_cached: bool,
    ) -> Result<(GoToAccount, Arc<dyn GoToApi>), Problem> {
        let account = self.account(kube, namespace, name).await?;
        let client = self.client_with(kube, &account, allow_cached).await?;
        Ok((account, client))
    }

    /// Like [`AccountClients::resolve`], with the account's request pipeline itself (budget,
    /// token, retries), for a caller that speaks the account's dialect on its own
    /// (`report attendance`, which reads meetings and attendees the seam does not offer).
    pub async fn resolve_pipeline(
        &self,
        kube: &Client,
        namespace: &str,
        name: &str,
    ) -> Result<(GoToAccount, GoToClient), Problem> {
        let account = self.account(kube, namespace, name).await?;
        self.client_for(kube, &account).await?;
        let client = self
            .cached(namespace, name)
            .map(|c| c.client)
            .ok_or_else(|| Problem::Kube(format!("the client of GoToAccount {name:?} is gone")))?;
        Ok((account, client))
    }

    async fn account(
        &self,
        kube: &Client,
        namespace: &str,
        name: &str,
    ) -> Result<GoToAccount, Problem> {
        let accounts: Api<GoToAccount> = Api::namespaced(kube.clone(), namespace);
        let account = accounts
            .get_opt(name)
            .await
            .map_err(|e| Problem::Kube(format!("reading GoToAccount {name}: {e}")))?
            .ok_or_else(|| {
                Problem::AccountNotFound(format!(
                    "GoToAccount {name:?} not found in namespace {namespace}"
                ))
            })?;
        Ok(account)
    }

    /// The Secret versions the account controller's watch keeps (see [`SecretVersions`]).
    pub fn secrets(&self) -> &SecretVersions {
        &self.secrets
    }

    /// The client of an account already read (from a cache, say). `allow_cached` as in
    /// [`AccountClients::resolve`]. The Secret is read only when the watch does not show that
    /// the cached client was built from its current version.
    pub async fn client_with(
        &self,
        kube: &Client,
        account: &GoToAccount,
        allow_cached: bool,
    ) -> Result<Arc<dyn GoToApi>, Problem> {
        if let Some(current) = self.current(account) {
            return Ok(current);
        }
        let namespace = account.namespace().unwrap_or_default();
        let name = account.name_any();
        match self.client_for(kube, account).await {
            Err(Problem::SecretNotFound(msg)) if allow_cached => {
                match self.cached(&namespace, &name) {
                    Some(cached) => {
                        tracing::warn!(
                            namespace,
                            account = name,
                            "{msg}; using the client built before"
                        );
                        Ok(cached.api)
                    }
                    None => Err(Problem::SecretNotFound(msg)),
                }
            }
            other => other,
        }
    }

    /// The client of an account already read, built from its Secret (or the cached one when
    /// nothing changed).
    pub async fn client_for(
        &self,
        kube: &Client,
        account: &GoToAccount,
    ) -> Result<Arc<dyn GoToApi>, Problem> {
        let namespace = account.namespace().unwrap_or_default();
        let secret_ref = &account.spec.credentials_secret_ref;
        let secrets: Api<Secret> = Api::namespaced(kube.clone(), &namespace);
        let secret = secrets
            .get_opt(&secret_ref.name)
            .await
            .map_err(|e| Problem::Kube(format!("reading Secret {}: {e}", secret_ref.name)))?
            .ok_or_else(|| {
                Problem::SecretNotFound(format!(
                    "Secret {:?} not found in namespace {namespace}",
                    secret_ref.name
                ))
            })?;
        self.built_from(account, &secret)
    }

    /// The client of `account` built from `secret` (or the cached one when neither changed).
    fn built_from(
        &self,
        account: &GoToAccount,
        secret: &Secret,
    ) -> Result<Arc<dyn GoToApi>, Problem> {
        let secret_ref = &account.spec.credentials_secret_ref;
        let fingerprint = fingerprint(account, version_of(&secret.metadata));
        let key = (account.namespace().unwrap_or_default(), account.name_any());
        if let Some(cached) = self.lock().get(&key)
            && cached.fingerprint == fingerprint
        {
            return Ok(cached.api.clone());
        }
        let client_id = secret_value(secret, &secret_ref.client_id_key)?;
        let client_secret = secret_value(secret, &secret_ref.client_secret_key)?;
        let config = self.config(account, client_id, client_secret)?;
        let client = GoToClient::new_in(config, &self.budgets)
            .map_err(|e| Problem::BadEndpoint(e.to_string()))?;
        let api = speaking(account.spec.api, client.clone());
        self.lock().insert(
            key,
            Cached {
                fingerprint,
                client,
                api: api.clone(),
            },
        );
        Ok(api)
    }

    /// Drops the cached client of a deleted account.
    pub fn forget(&self, namespace: &str, name: &str) {
        self.lock()
            .remove(&(namespace.to_string(), name.to_string()));
        if let Some(metrics) = &self.metrics {
            metrics.forget_account(namespace, name);
        }
    }

    /// The cached client of `account` when the watch shows its Secret unchanged since.
    fn current(&self, account: &GoToAccount) -> Option<Arc<dyn GoToApi>> {
        let namespace = account.namespace().unwrap_or_default();
        let secret = &account.spec.credentials_secret_ref.name;
        let version = self.secrets.version(&namespace, secret)?;
        let cached = self.cached(&namespace, &account.name_any())?;
        (cached.fingerprint == fingerprint(account, version)).then_some(cached.api)
    }

    fn cached(&self, namespace: &str, name: &str) -> Option<Cached> {
        self.lock()
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Cached>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts).
        crate::sync::lock(&self.clients)
    }

    fn config(
        &self,
        account: &GoToAccount,
        client_id: String,
        client_secret: String,
    ) -> Result<ClientConfig, Problem> {
        let spec = &account.spec;
        let parse = |what: &str, value: &str| {
            url::Url::parse(value)
                .map_err(|e| Problem::BadEndpoint(format!("{what} {value:?} is not a URL: {e}")))
        };
        let mut config = ClientConfig::new(
            AccountKey::new(spec.account_key.clone()),
            Credentials {
                client_id,
                client_secret: client_secret.into(),
            },
        );
        config.api_base_url = parse("apiBaseUrl", spec.base_url())?;
        config.token_url = parse("tokenUrl", &spec.token_url)?;
        config.requests_per_second =
            NonZeroU32::new(spec.requests_per_second).unwrap_or(NonZeroU32::MIN);
        config.request_timeout = self.request_timeout;
        config.observer = Some(match &self.metrics {
            Some(metrics) => Arc::new(metrics.for_account(
                &account.namespace().unwrap_or_default(),
                &account.name_any(),
            )),
            None => self.observer.clone(),
        });
        config.write_fence = self.write_fence.clone();
        config.drift_lane = self.drift_lane;
        Ok(config)
    }
}

fn secret_value(secret: &Secret, key: &str) -> Result<String, Problem> {
    let name = secret.name_any();
    let bytes = secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| b.0.clone())
        .or_else(|| {
            secret
                .string_data
                .as_ref()
                .and_then(|d| d.get(key))
                .map(|s| s.clone().into_bytes())
        })
        .ok_or_else(|| Problem::SecretNotFound(format!("Secret {name:?} has no key {key:?}")))?;
    let value = String::from_utf8(bytes).map_err(|_| {
        Problem::SecretNotFound(format!("Secret {name:?} key {key:?} is not UTF-8 text"))
    })?;
    let value = value.trim().to_string();
    if value.is_empty() {
        return Err(Problem::SecretNotFound(format!(
            "Secret {name:?} key {key:?} is empty"
        )));
    }
    Ok(value)
}

/// Changes whenever anything that shapes the client changes; holds no secret material.
fn fingerprint(account: &GoToAccount, secret_version: u64) -> u64 {
    let mut h = DefaultHasher::new();
    let spec = &account.spec;
    (
        &spec.account_key,
        spec.api,
        spec.base_url(),
        &spec.token_url,
        spec.requests_per_second,
        &spec.credentials_secret_ref,
    )
        .hash(&mut h);
    secret_version.hash(&mut h);
    h.finish()
}

#[cfg(test)]
#[path = "clients_tests.rs"]
mod tests;
