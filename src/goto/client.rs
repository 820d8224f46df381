//! The client's shared state and the request pipeline every operation goes through:
//! budget → token → send → 401 renewal → retries.
use super::auth::{TokenCache, TokenContext, TokenEndpoint};
use super::budget::{BudgetKey, Budgets, Lane, RequestBudget};
use super::config::{CONNECT_TIMEOUT, ClientConfig, Observer, RetryPolicy, WriteFence};
use super::directory::Directory;
use super::endpoint;
use super::error::Error;
use super::health::EndpointHealth;
use super::models::AccountKey;
use super::retry::with_retries;
use super::transport::{self, Raw};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;
use url::Url;

/// The error a fenced write fails with: nothing was sent, so it is safe to retry elsewhere.
pub(crate) const FENCED: &str = "not sent: this replica no longer holds the leader lease";

/// A GoTo client for one account. Clones are cheap and share the token, the request
/// budget, the account directory and the connection pool, so every caller of an account draws
/// on one budget (and, through [`Budgets`], every client of one OAuth application too).
#[derive(Clone)]
pub struct GoToClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) api_base_url: Url,
    pub(crate) account_key: AccountKey,
    pub(crate) http: reqwest::Client,
    pub(crate) budget: Arc<RequestBudget>,
    pub(crate) directory: Directory,
    pub(crate) tokens: TokenCache,
    pub(crate) retry: RetryPolicy,
    pub(crate) observer: Option<Arc<dyn Observer>>,
    /// Whether the account's endpoints answered in time lately (one tenant's silent endpoint
    /// must not hold the operator's workers).
    pub(crate) health: EndpointHealth,
    pub(crate) write_fence: Option<WriteFence>,
    /// Whether drift reads take the budget's drift lane (see `ClientConfig::drift_lane`).
    pub(crate) drift_lane: bool,
    /// The pool of seats this client draws from: the account key as reached through these
    /// endpoints with this OAuth application (see [`GoToClient::seat_pool`]).
    pub(crate) seat_pool: String,
    /// The endpoint's dialect, once checked (see `dialect`): `Some(message)` when it answers
    /// like the other one.
    pub(crate) dialect_verdict: std::sync::OnceLock<Option<String>>,
}

impl fmt::Debug for GoToClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoToClient")
            .field("api_base_url", &self.inner.api_base_url.as_str())
            .field("account_key", &self.inner.account_key)
            .finish_non_exhaustive()
    }
}

/// One API request, rebuilt for every attempt (each attempt may carry a new token).
pub(crate) struct ApiRequest {
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<serde_json::Value>,
}

impl GoToClient {
    /// Builds the client with a request budget of its own; no request is sent until the
    /// first call.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        Self::build_with(config, None)
    }

    /// Builds the client on the budget `budgets` holds for its OAuth application (token URL,
    /// client id, account key), shared with every other client of that application.
    pub fn new_in(config: ClientConfig, budgets: &Budgets) -> Result<Self, Error> {
        Self::build_with(config, Some(budgets))
    }

    fn build_with(config: ClientConfig, budgets: Option<&Budgets>) -> Result<Self, Error> {
        // reqwest is built without a default crypto provider; an error means one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        if config.api_base_url.cannot_be_a_base() {
            return Err(Error::Config("the API base URL cannot have paths".into()));
        }
        endpoint::check("apiBaseUrl", &config.api_base_url)?;
        endpoint::check("tokenUrl", &config.token_url)?;
        let http = reqwest::Client::builder()
            // A redirect could lead anywhere (plain http, another host): a 3xx is an error.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.request_timeout)
            .connect_timeout(CONNECT_TIMEOUT.min(config.request_timeout))
            .user_agent(concat!("goto-operator/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("building the HTTP client: {e}")))?;
        let per_second = f64::from(config.requests_per_second.get());
        let budget = match budgets {
            Some(budgets) => budgets.get(
                BudgetKey {
                    token_url: config.token_url.to_string(),
                    client_id: config.credentials.client_id.clone(),
                    account_key: config.account_key.as_str().to_owned(),
                    secret_digest: BudgetKey::digest(
                        config.credentials.client_secret.expose_secret(),
                    ),
                },
                per_second,
            ),
            None => Arc::new(RequestBudget::new(per_second)),
        };
        let seat_pool = format!(
            "{} at {} via {} as {}",
            config.account_key, config.api_base_url, config.token_url, config.credentials.client_id
        );
        let tokens = TokenCache::new(TokenEndpoint {
            url: config.token_url,
            credentials: config.credentials,
            scope: config.scope,
        });
        Ok(Self {
            inner: Arc::new(Inner {
                api_base_url: config.api_base_url,
                account_key: config.account_key,
                http,
                budget,
                directory: Directory::new(config.directory_max_age),
                tokens,
                retry: config.retry,
                observer: config.observer,
                health: EndpointHealth::new(),
                write_fence: config.write_fence,
                drift_lane: config.drift_lane,
                seat_pool,
                dialect_verdict: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Which seats this client's creates compete for, as far as the operator can tell: the
    /// account key as reached at these endpoints with this OAuth application. Objects wait for
    /// a seat per pool (issue 21: a GoToAccount naming another tenant's account key, with its
    /// own endpoint answering 402 forever, queued ahead of that tenant's new hires).
    pub fn seat_pool(&self) -> &str {
        &self.inner.seat_pool
    }

    /// The account this client manages.
    pub fn account_key(&self) -> &AccountKey {
        &self.inner.account_key
    }

    /// The rate the request budget lets requests out at now: the configured
    /// `requests_per_second`, or less while it recovers from 429s.
    pub fn effective_requests_per_second(&self) -> f64 {
        self.inner.budget.effective_rate()
    }

    /// Makes sure a valid token is held: proves the credentials work.
    pub async fn authenticate(&self) -> Result<(), Error> {
        with_retries(&self.inner.retry, Error::is_transient, || async {
            self.inner.tokens.bearer(&self.token_context()).await
        })
        .await
        .map(drop)
    }

    /// The API URL of `segments` under the base URL, each segment escaped.
    pub(crate) fn endpoint(&self, segments: &[&str]) -> Result<Url, Error> {
        endpoint(&self.inner.api_base_url, segments)
    }

    /// An idempotent request: retried on transient failures, non-2xx mapped to errors.
    pub(crate) async fn call(&self, request: &ApiRequest) -> Result<Raw, Error> {
        self.call_in(request, Lane::User).await
    }

    /// [`GoToClient::call`] in the budget's `lane`: a drift read that must give way comes back
    /// at once as [`Error::Deferred`], not retried (see `budget`).
    pub(crate) async fn call_in(&self, request: &ApiRequest, lane: Lane) -> Result<Raw, Error> {
        with_retries(&self.inner.retry, Error::is_transient, || async {
            self.attempt_in(request, lane).await?.success()
        })
        .await
    }

    /// A request GoTo may act on once only (a create): resent only after answers proving GoTo
    /// did not act (429, honouring Retry-After, and the 401 token renewal); any other answer,
    /// whatever its status, comes back as [`Raw`] for the caller to read.
    pub(crate) async fn send_once(&self, request: &ApiRequest) -> Result<Raw, Error> {
        with_retries(
            &self.inner.retry,
            |e| matches!(e, Error::RateLimited { .. }),
            || async {
                let raw = self.attempt(request).await?;
                match raw.status {
                    StatusCode::TOO_MANY_REQUESTS => Err(Error::RateLimited {
                        retry_after: raw.retry_after,
                    }),
                    _ => Ok(raw),
                }
            },
        )
        .await
    }

    /// One attempt of `request`: any status comes back as [`Raw`], except that a 401
    /// renews the token and resends once, and a second 401 is [`Error::Unauthorized`].
    pub(crate) async fn attempt(&self, request: &ApiRequest) -> Result<Raw, Error> {
        self.attempt_in(request, Lane::User).await
    }

    async fn attempt_in(&self, request: &ApiRequest, lane: Lane) -> Result<Raw, Error> {
        let mut renewed = false;
        loop {
            let bearer = self.inner.tokens.bearer(&self.token_context()).await?;
            let http_request = self.build(request, &bearer.token)?;
            let budget = &self.inner.budget;
            let permit = match lane {
                Lane::Drift if self.inner.drift_lane => budget.acquire_drift().await?,
                Lane::Drift | Lane::User => budget.acquire().await?,
            };
            // Checked last, after every wait: the fence may have closed while this request queued.
            if !self.may_send(&request.method) {
                return Err(Error::Transient(FENCED.into()));
            }
            let observer = self.inner.observer.as_deref();
            if let Some(observer) = observer {
                observer.budget_waited(permit.waited, self.inner.budget.effective_rate());
            }
            let health = &self.inner.health;
            let mut raw = transport::send(
                &self.inner.http,
                http_request,
                request.operation,
                observer,
                health,
            )
            .await?;
            match raw.status {
                StatusCode::UNAUTHORIZED if !renewed => {
                    self.inner.tokens.reject(bearer.generation);
                    renewed = true;
                }
                StatusCode::UNAUTHORIZED => return Err(Error::Unauthorized),
                StatusCode::TOO_MANY_REQUESTS => {
                    // The wait actually applied (clamped) is what callers see from here on.
                    let wait = self.inner.budget.rate_limited(permit, raw.retry_after);
                    raw.retry_after = raw.retry_after.map(|_| wait);
                    if let Some(observer) = observer {
                        observer.rate_limited(self.inner.budget.effective_rate());
                    }
                    return Ok(raw);
                }
                _ => return Ok(raw),
            }
        }
    }

    /// Reads are always allowed; writes only while the write fence (if any) is open.
    fn may_send(&self, method: &Method) -> bool {
        *method == Method::GET || self.inner.write_fence.as_ref().is_none_or(|open| open())
    }

    fn build(&self, request: &ApiRequest, token: &SecretString) -> Result<reqwest::Request, Error> {
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), request.url.clone())
            .bearer_auth(token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        builder.build().map_err(|e| Error::from_transport(&e))
    }

    fn token_context(&self) -> TokenContext<'_> {
        TokenContext {
            http: &self.inner.http,
            budget: &self.inner.budget,
            observer: self.inner.observer.as_ref(),
            health: &self.inner.health,
        }
    }
}

/// A request body as JSON.
pub(crate) fn body<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::Decode(format!("encoding the request: {e}")))
}

/// `base` with `segments` appended as escaped path segments.
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Result<Url, Error> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| Error::Config("the API base URL cannot have paths".into()))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goto::config::Credentials;

    /// Issue 21 (4): a GoToAccount naming another tenant's account key through its own
    /// endpoint (answering 402 forever) waits for seats in a pool of its own.
    #[test]
    fn the_seat_pool_is_the_account_as_reached_through_its_endpoints_and_application() {
        let pool = |api: &str, client_id: &str| {
            let mut config = ClientConfig::new(
                AccountKey::new("42"),
                Credentials {
                    client_id: client_id.into(),
                    client_secret: SecretString::from("hunter2"),
                },
            );
            config.api_base_url = Url::parse(api).unwrap();
            GoToClient::new(config).unwrap().seat_pool().to_string()
        };
        let victim = pool("https://api.getgo.com/G2M/rest/v2", "app");
        assert_eq!(victim, pool("https://api.getgo.com/G2M/rest/v2", "app"));
        assert_ne!(victim, pool("https://evil.example/G2M/rest/v2", "app"));
        assert_ne!(
            victim,
            pool("https://api.getgo.com/G2M/rest/v2", "other-app")
        );
        assert!(
            !victim.contains('s') || !victim.ends_with(" s"),
            "no secret in the pool name"
        );
    }

    #[test]
    fn debug_output_redacts_the_secret() {
        let config = ClientConfig::new(
            AccountKey::new("1"),
            Credentials {
                client_id: "id".into(),
                client_secret: SecretString::from("hunter2"),
            },
        );
        let client = GoToClient::new(config.clone()).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        assert!(!format!("{client:?}").contains("hunter2"));
    }

    #[test]
    fn endpoints_append_escaped_segments() {
        let base = Url::parse("http://127.0.0.1:1/G2M/rest/v2").unwrap();
        let url = endpoint(
            &base,
            &[
                "accounts",
                "340282366920938463463374607431768211457",
                "organizers",
            ],
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/G2M/rest/v2/accounts/340282366920938463463374607431768211457/organizers"
        );
        let slash = Url::parse("http://h/G2M/rest/v2/").unwrap();
        assert_eq!(
            endpoint(&slash, &["organizers", "a/b"]).unwrap().as_str(),
            "http://h/G2M/rest/v2/organizers/a%2Fb"
        );
    }

    #[test]
    fn base_urls_without_paths_are_refused() {
        let base = Url::parse("mailto:x@y.z").unwrap();
        assert!(matches!(endpoint(&base, &["a"]), Err(Error::Config(_))));
    }
}
