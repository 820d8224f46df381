//! The client's configuration, its shared state, and the request pipeline every
//! operation goes through: budget → token → send → 401 renewal → retries.
use super::auth::{TokenCache, TokenContext, TokenEndpoint};
use super::budget::{BudgetKey, Budgets, RequestBudget};
use super::directory::Directory;
use super::error::Error;
use super::models::AccountKey;
use super::retry::with_retries;
use super::transport::{self, Raw};
use super::{DEFAULT_API_BASE_URL, DEFAULT_TOKEN_URL};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Requests per second an OAuth application may send when nothing else is configured: GoTo's
/// published default limit (10 requests per second per API).
const DEFAULT_REQUESTS_PER_SECOND: NonZeroU32 = NonZeroU32::MIN.saturating_add(9); // 10
/// How old the account directory may be before a lookup lists the account again.
const DEFAULT_DIRECTORY_MAX_AGE: Duration = Duration::from_secs(60);
/// Upper bound of one HTTP exchange when nothing else is configured.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection that cannot be opened within this is as good as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The OAuth application's id and secret. Debug output redacts the secret.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The OAuth client id (not secret).
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: SecretString,
}

/// Bounds of the retries of idempotent calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: usize,
    /// First backoff delay.
    pub min_delay: Duration,
    /// Largest backoff delay (Retry-After may ask for longer and is honoured).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Told about every HTTP request the client makes, for metrics.
///
/// `operation` is one of get_organizer, list_organizers, create_organizer, update_organizer,
/// suspend_organizer, delete_organizer, list_meetings, list_attendees, token; `outcome`
/// is "ok", "conflict" or an [`Error::metric_label`].
pub trait Observer: Send + Sync {
    /// One HTTP request finished (or failed without a status) after `elapsed`.
    fn request(&self, operation: &'static str, outcome: &'static str, elapsed: Duration);

    /// A request waited `waited` for the request budget, which now lets requests out at
    /// `effective_rate` per second.
    fn budget_waited(&self, waited: Duration, effective_rate: f64) {
        let _ = (waited, effective_rate);
    }

    /// GoTo answered 429; the budget now runs at `effective_rate` requests per second.
    fn rate_limited(&self, effective_rate: f64) {
        let _ = effective_rate;
    }
}

/// Everything a client needs to talk to one GoTo account.
#[derive(Clone)]
pub struct ClientConfig {
    /// REST base URL, e.g. `https://api.getgo.com/G2M/rest/v2`.
    pub api_base_url: Url,
    /// OAuth token URL.
    pub token_url: Url,
    /// The account whose organizers this client manages.
    pub account_key: AccountKey,
    /// OAuth client credentials.
    pub credentials: Credentials,
    /// The OAuth application's request budget: the most requests it sends in any second.
    pub requests_per_second: NonZeroU32,
    /// Where budgets are shared by OAuth application; `None` gives this client its own.
    pub budgets: Option<Budgets>,
    /// How old the account directory (the listing that answers email lookups) may get.
    pub directory_max_age: Duration,
    /// Upper bound of every HTTP exchange.
    pub request_timeout: Duration,
    /// Retries of idempotent calls.
    pub retry: RetryPolicy,
    /// OAuth scope to ask for; `None` takes the application's default scopes.
    pub scope: Option<String>,
    /// Receives one call per HTTP request.
    pub observer: Option<Arc<dyn Observer>>,
}

impl ClientConfig {
    /// A configuration for GoTo's public endpoints with conservative defaults.
    pub fn new(account_key: AccountKey, credentials: Credentials) -> Self {
        Self {
            api_base_url: default_url(DEFAULT_API_BASE_URL),
            token_url: default_url(DEFAULT_TOKEN_URL),
            account_key,
            credentials,
            requests_per_second: DEFAULT_REQUESTS_PER_SECOND,
            budgets: None,
            directory_max_age: DEFAULT_DIRECTORY_MAX_AGE,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            scope: None,
            observer: None,
        }
    }
}

fn default_url(text: &str) -> Url {
    // Both defaults are constant, valid URLs (a unit test parses them).
    Url::parse(text).unwrap_or_else(|_| unreachable!("default GoTo URL {text} is valid"))
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("api_base_url", &self.api_base_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("account_key", &self.account_key)
            .field("credentials", &self.credentials)
            .field("requests_per_second", &self.requests_per_second)
            .field("shared_budget", &self.budgets.is_some())
            .field("directory_max_age", &self.directory_max_age)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("scope", &self.scope)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

/// What a delete found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// GoTo deleted the organizer now (204).
    Deleted,
    /// There was nothing to delete (404): someone else already did.
    AlreadyGone,
}

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
    /// Builds the client; no request is sent until the first call.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        // reqwest is built without a default crypto provider; an error means one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        if config.api_base_url.cannot_be_a_base() {
            return Err(Error::Config("the API base URL cannot have paths".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(CONNECT_TIMEOUT.min(config.request_timeout))
            .user_agent(concat!("goto-operator/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("building the HTTP client: {e}")))?;
        let per_second = f64::from(config.requests_per_second.get());
        let budget = match &config.budgets {
            Some(budgets) => budgets.get(
                BudgetKey {
                    token_url: config.token_url.to_string(),
                    client_id: config.credentials.client_id.clone(),
                    account_key: config.account_key.as_str().to_owned(),
                },
                per_second,
            ),
            None => Arc::new(RequestBudget::new(per_second)),
        };
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
            }),
        })
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
        with_retries(&self.inner.retry, Error::is_transient, || async {
            self.attempt(request).await?.success()
        })
        .await
    }

    /// One attempt of `request`: any status comes back as [`Raw`], except that a 401
    /// renews the token and resends once, and a second 401 is [`Error::Unauthorized`].
    pub(crate) async fn attempt(&self, request: &ApiRequest) -> Result<Raw, Error> {
        let mut renewed = false;
        loop {
            let bearer = self.inner.tokens.bearer(&self.token_context()).await?;
            let http_request = self.build(request, &bearer.token)?;
            let permit = self.inner.budget.acquire().await?;
            let observer = self.inner.observer.as_deref();
            if let Some(observer) = observer {
                observer.budget_waited(permit.waited, self.inner.budget.effective_rate());
            }
            let mut raw =
                transport::send(&self.inner.http, http_request, request.operation, observer)
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
        }
    }
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

    #[test]
    fn default_urls_parse() {
        let config = ClientConfig::new(
            AccountKey::new("1"),
            Credentials {
                client_id: "id".into(),
                client_secret: SecretString::from("hunter2"),
            },
        );
        assert_eq!(config.api_base_url.as_str(), DEFAULT_API_BASE_URL);
        assert_eq!(config.token_url.as_str(), DEFAULT_TOKEN_URL);
        assert_eq!(config.requests_per_second.get(), 10);
        assert_eq!(config.request_timeout, Duration::from_secs(30));
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
