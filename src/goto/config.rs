//! What a client is told: where GoTo is, the credentials, the bounds of its requests and
//! retries, and who observes them.
//!
//! These types are shared by every layer of the client (transport, auth, retry and the
//! request pipeline), so they live below all of them: each layer imports from here and
//! none imports from a layer above it.
use super::models::AccountKey;
use secrecy::SecretString;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Default REST base URL of the GoTo Meeting API v2 (the seed guide's dialect).
pub const DEFAULT_API_BASE_URL: &str = "https://api.getgo.com/G2M/rest/v2";
/// Default REST base URL of GoTo Meeting REST v1, the API GoTo publishes.
pub const DEFAULT_V1_API_BASE_URL: &str = "https://api.getgo.com/G2M/rest";

/// Which dialect of the GoTo Meeting admin API an account's endpoint speaks.
///
/// `v2` is the seed guide's `/G2M/rest/v2`; `v1` is GoTo Meeting REST v1 exactly as GoTo
/// publishes it (OpenAPI 1.0.0), which cannot change names, locale, time zone or roles.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub enum Dialect {
    /// GoTo Meeting REST v1 at `https://api.getgo.com/G2M/rest`, as GoTo publishes it.
    #[serde(rename = "v1")]
    V1,
    /// The seed guide's `/G2M/rest/v2` (the default, so manifests written before `api` existed
    /// keep their meaning).
    #[default]
    #[serde(rename = "v2")]
    V2,
}

impl Dialect {
    /// The value of `spec.api` that names this dialect.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::V1 => "v1",
            Dialect::V2 => "v2",
        }
    }

    /// Whether a resync reads the whole account in one listing (v1's `GET /organizers`), so
    /// drift reads never need their period stretched; v2 reads each organizer on its own.
    pub fn reads_account_at_once(self) -> bool {
        matches!(self, Dialect::V1)
    }

    /// GoTo's own base URL for this dialect.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Dialect::V1 => DEFAULT_V1_API_BASE_URL,
            Dialect::V2 => DEFAULT_API_BASE_URL,
        }
    }

    /// The other dialect.
    pub fn other(self) -> Dialect {
        match self {
            Dialect::V1 => Dialect::V2,
            Dialect::V2 => Dialect::V1,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
/// Default OAuth token URL: the unified LogMeIn/GoTo issuer.
pub const DEFAULT_TOKEN_URL: &str = "https://authentication.logmeininc.com/oauth/token";

/// Requests per second an OAuth application may send when nothing else is configured: GoTo's
/// published default limit (10 requests per second per API).
const DEFAULT_REQUESTS_PER_SECOND: NonZeroU32 = NonZeroU32::MIN.saturating_add(9); // 10
/// How old the account directory may be before a lookup lists the account again.
const DEFAULT_DIRECTORY_MAX_AGE: Duration = Duration::from_secs(60);
/// Upper bound of one HTTP exchange when nothing else is configured.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection that cannot be opened within this is as good as down.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
/// is "ok", "conflict" or an [`super::Error::metric_label`].
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

/// The observer of a one-shot command (`plan`, `export`, `report`): it exports no metrics.
pub struct Unobserved;

impl Observer for Unobserved {
    fn request(&self, _operation: &'static str, _outcome: &'static str, _elapsed: Duration) {}
}

/// Asked right before every request that can change GoTo (any method but GET); `false` refuses
/// the request unsent. The operator closes it the moment this replica can no longer prove it holds
/// the leader Lease, so a stale leader never writes after a new one may have started.
pub type WriteFence = Arc<dyn Fn() -> bool + Send + Sync>;

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
    /// Checked right before every write; `None` lets every write through.
    pub write_fence: Option<WriteFence>,
    /// Whether drift reads take the budget's drift lane (the controller, which reads in the
    /// background); off, every request is people's work (the CLI, where a person waits).
    pub drift_lane: bool,
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
            directory_max_age: DEFAULT_DIRECTORY_MAX_AGE,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            scope: None,
            observer: None,
            write_fence: None,
            drift_lane: false,
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
            .field("directory_max_age", &self.directory_max_age)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("scope", &self.scope)
            .field("observer", &self.observer.is_some())
            .field("write_fence", &self.write_fence.is_some())
            .finish()
    }
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
        for dialect in [Dialect::V1, Dialect::V2] {
            Url::parse(dialect.default_base_url()).expect("default base URL");
            assert_eq!(dialect.other().other(), dialect);
        }
    }

    #[test]
    fn dialects_are_spelt_as_the_crd_spells_them() {
        assert_eq!(serde_json::to_string(&Dialect::V1).unwrap(), "\"v1\"");
        assert_eq!(
            serde_json::from_str::<Dialect>("\"v2\"").unwrap(),
            Dialect::V2
        );
        assert_eq!(Dialect::default(), Dialect::V2);
        assert!(serde_json::from_str::<Dialect>("\"V1\"").is_err());
    }
}
