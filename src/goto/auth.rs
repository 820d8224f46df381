//! OAuth client credentials with a per-account token cache.
//!
//! One [`TokenCache`] lives in a client's shared state. Renewal is single-flight: callers
//! that find the token stale queue on one async mutex, and all but the first find a fresh
//! token when they get it (re-check under the lock), so 50 concurrent callers cost one
//! token request.
use super::budget::RequestBudget;
use super::config::{Credentials, Observer};
use super::error::Error;
use super::health::EndpointHealth;
use super::transport;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

/// Token lifetime assumed when the token response has no readable `expires_in`.
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Lifetimes are held within these bounds, whatever `expires_in` says: a token endpoint chosen
/// by a tenant must not make every request renew (0, negative) nor overflow a deadline (huge).
const MIN_TOKEN_TTL: Duration = Duration::from_secs(1);
const MAX_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);
/// Renew at most this long before expiry...
const MAX_RENEWAL_MARGIN: Duration = Duration::from_secs(60);
/// ...and at most this fraction of the lifetime before it, so short-lived tokens still get used.
const RENEWAL_MARGIN_FRACTION: u32 = 10;

/// An access token handed to one request, with the generation it came from so a 401
/// invalidates that token and not a newer one another caller already fetched.
#[derive(Clone)]
pub(crate) struct Bearer {
    pub(crate) token: SecretString,
    pub(crate) generation: u64,
}

struct Cached {
    access: SecretString,
    refresh: Option<SecretString>,
    renew_at: Instant,
    expires_at: Instant,
    generation: u64,
    /// Set after a 401: the server no longer takes this token.
    rejected: bool,
}

impl Cached {
    fn fresh(&self, now: Instant) -> bool {
        !self.rejected && now < self.renew_at
    }

    /// Still accepted, though due for renewal: usable if renewal fails transiently.
    fn usable(&self, now: Instant) -> bool {
        !self.rejected && now < self.expires_at
    }

    fn bearer(&self) -> Bearer {
        Bearer {
            token: self.access.clone(),
            generation: self.generation,
        }
    }
}

/// Where and how to ask for tokens.
pub(crate) struct TokenEndpoint {
    pub(crate) url: Url,
    pub(crate) credentials: Credentials,
    pub(crate) scope: Option<String>,
}

/// The token of one account, and the lock that makes its renewal single-flight.
pub(crate) struct TokenCache {
    endpoint: TokenEndpoint,
    cached: RwLock<Option<Cached>>,
    renewal: tokio::sync::Mutex<Renewal>,
    /// Renewals finished; read before queueing on `renewal` to tell whether one ended meanwhile.
    completed: AtomicU64,
}

/// Guarded by the renewal lock.
#[derive(Default)]
struct Renewal {
    /// Generation of the newest token.
    generation: u64,
    /// How the latest renewal failed, if it did.
    last_failure: Option<Error>,
}

/// What the token endpoint answers. Tokens are moved into secrecy types right away.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default, deserialize_with = "lenient_seconds")]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// What a token request needs from the client's shared state.
pub(crate) struct TokenContext<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) budget: &'a RequestBudget,
    pub(crate) observer: Option<&'a Arc<dyn Observer>>,
    pub(crate) health: &'a EndpointHealth,
}

impl TokenCache {
    pub(crate) fn new(endpoint: TokenEndpoint) -> Self {
        Self {
            endpoint,
            cached: RwLock::new(None),
            renewal: tokio::sync::Mutex::new(Renewal::default()),
            completed: AtomicU64::new(0),
        }
    }

    /// A token that is valid now, renewing it first if it is due.
    pub(crate) async fn bearer(&self, ctx: &TokenContext<'_>) -> Result<Bearer, Error> {
        if let Some(bearer) = self.fresh_bearer() {
            return Ok(bearer);
        }
        let completed_before_waiting = self.completed.load(Ordering::Acquire);
        let mut renewal = self.renewal.lock().await;
        // Whoever held the lock before us may have renewed already...
        if let Some(bearer) = self.fresh_bearer() {
            return Ok(bearer);
        }
        let (refresh, fallback) = {
            let cached = self.read();
            let now = Instant::now();
            (
                cached.as_ref().and_then(|c| c.refresh.clone()),
                cached
                    .as_ref()
                    .filter(|c| c.usable(now))
                    .map(Cached::bearer),
            )
        };
        // ...or failed while we waited: share that answer rather than ask again, so 50
        // callers with a bad secret cost one token request, not 50.
        if self.completed.load(Ordering::Acquire) != completed_before_waiting
            && let Some(failure) = &renewal.last_failure
        {
            return settle(failure.clone(), fallback);
        }
        let result = self.request_token(ctx, refresh).await;
        self.completed.fetch_add(1, Ordering::AcqRel);
        match result {
            Ok(response) => {
                renewal.generation += 1;
                renewal.last_failure = None;
                let cached = cached_from(response, renewal.generation, Instant::now());
                let bearer = cached.bearer();
                *self.write() = Some(cached);
                Ok(bearer)
            }
            Err(error) => {
                renewal.last_failure = Some(error.clone());
                settle(error, fallback)
            }
        }
    }

    /// Marks the token of `generation` as refused, so the next caller renews it.
    pub(crate) fn reject(&self, generation: u64) {
        if let Some(cached) = self.write().as_mut()
            && cached.generation == generation
        {
            cached.rejected = true;
        }
    }

    fn fresh_bearer(&self) -> Option<Bearer> {
        self.read()
            .as_ref()
            .filter(|c| c.fresh(Instant::now()))
            .map(Cached::bearer)
    }

    /// Uses the refresh token when there is one, falling back to client credentials.
    async fn request_token(
        &self,
        ctx: &TokenContext<'_>,
        refresh: Option<SecretString>,
    ) -> Result<TokenResponse, Error> {
        if let Some(refresh) = refresh {
            let form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", refresh.expose_secret().to_owned()),
            ];
            match self.post_token_form(ctx, form).await {
                Ok(response) => return Ok(response),
                Err(error) => {
                    tracing::debug!(error = %error, "refresh_token grant failed; using client credentials")
                }
            }
        }
        let mut form = vec![("grant_type", "client_credentials".to_owned())];
        if let Some(scope) = &self.endpoint.scope {
            form.push(("scope", scope.clone()));
        }
        self.post_token_form(ctx, form).await
    }

    async fn post_token_form(
        &self,
        ctx: &TokenContext<'_>,
        form: Vec<(&'static str, String)>,
    ) -> Result<TokenResponse, Error> {
        let credentials = &self.endpoint.credentials;
        let request = ctx
            .http
            .post(self.endpoint.url.clone())
            .basic_auth(
                &credentials.client_id,
                Some(credentials.client_secret.expose_secret()),
            )
            .form(&form)
            .build()
            .map_err(|e| Error::from_transport(&e))?;
        let permit = ctx.budget.acquire().await?;
        let observer = ctx.observer.map(|o| o.as_ref());
        if let Some(observer) = observer {
            observer.budget_waited(permit.waited, ctx.budget.effective_rate());
        }
        let raw = transport::send(ctx.http, request, "token", observer, ctx.health).await?;
        match raw.status {
            status if status.is_success() => serde_json::from_slice::<TokenResponse>(&raw.body)
                // serde's message could quote the token: keep only the category.
                .map_err(|_| Error::Decode("token response is not the expected JSON".into())),
            StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED => Err(Error::Unauthorized),
            StatusCode::TOO_MANY_REQUESTS => {
                let wait = ctx.budget.rate_limited(permit, raw.retry_after);
                if let Some(observer) = observer {
                    observer.rate_limited(ctx.budget.effective_rate());
                }
                Err(Error::RateLimited {
                    retry_after: raw.retry_after.map(|_| wait),
                })
            }
            // The token endpoint's body may echo the request: never put it in the error.
            status => Err(Error::from_status(status, raw.retry_after, b"")),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<Cached>> {
        // The cache holds whole values; a panic elsewhere cannot leave one half-written.
        crate::sync::read(&self.cached)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Option<Cached>> {
        crate::sync::write(&self.cached)
    }
}

/// The answer to a failed renewal: a transient failure while the old token still works
/// should not stop callers, so they get the old token; anything else is the error.
fn settle(error: Error, fallback: Option<Bearer>) -> Result<Bearer, Error> {
    match fallback {
        Some(bearer) if error.is_transient() => Ok(bearer),
        _ => Err(error),
    }
}

/// When a token of lifetime `ttl` should be renewed: the smaller of 60 s and 10% early.
pub(crate) fn renewal_margin(ttl: Duration) -> Duration {
    MAX_RENEWAL_MARGIN.min(ttl / RENEWAL_MARGIN_FRACTION)
}

/// `expires_in` as whole seconds when it is a number or a numeric string (negative is 0,
/// fractions are cut); anything else (an object, "soon") is `None`, i.e. the default lifetime.
/// Never an error: a token that works must not be thrown away over its lifetime's spelling.
fn lenient_seconds<'de, D>(deserializer: D) -> Result<Option<u64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    let number = match &value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    };
    // `as` saturates: NaN is 0, +inf and huge values are u64::MAX.
    Ok(number.map(|seconds| seconds.max(0.0) as u64))
}

/// The lifetime a token is held for: `expires_in` within [`MIN_TOKEN_TTL`, `MAX_TOKEN_TTL`].
fn token_ttl(expires_in: Option<u64>) -> Duration {
    expires_in
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TOKEN_TTL)
        .clamp(MIN_TOKEN_TTL, MAX_TOKEN_TTL)
}

fn cached_from(response: TokenResponse, generation: u64, now: Instant) -> Cached {
    let ttl = token_ttl(response.expires_in);
    Cached {
        access: SecretString::from(response.access_token),
        refresh: response.refresh_token.map(SecretString::from),
        renew_at: now + (ttl - renewal_margin(ttl)),
        expires_at: now + ttl,
        generation,
        rejected: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_margin_is_60s_or_ten_percent() {
        assert_eq!(
            renewal_margin(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(300)),
            Duration::from_secs(30)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
        assert_eq!(renewal_margin(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn cached_token_is_fresh_until_the_margin_then_usable_until_expiry() {
        let now = Instant::now();
        let response = TokenResponse {
            access_token: "t".into(),
            expires_in: Some(100),
            refresh_token: None,
        };
        let cached = cached_from(response, 1, now);
        assert!(cached.fresh(now + Duration::from_secs(89)));
        assert!(!cached.fresh(now + Duration::from_secs(91)));
        assert!(cached.usable(now + Duration::from_secs(91)));
        assert!(!cached.usable(now + Duration::from_secs(100)));
    }

    #[test]
    fn any_expires_in_gives_a_bounded_lifetime() {
        let cases: &[(&str, Duration)] = &[
            (r#""expires_in":3600"#, Duration::from_secs(3600)),
            (r#""expires_in":"120""#, Duration::from_secs(120)),
            (r#""expires_in":90.7"#, Duration::from_secs(90)),
            (r#""expires_in":0"#, MIN_TOKEN_TTL),
            (r#""expires_in":-5"#, MIN_TOKEN_TTL),
            (r#""expires_in":18446744073709551615"#, MAX_TOKEN_TTL),
            (r#""expires_in":1e300"#, MAX_TOKEN_TTL),
            (r#""expires_in":"soon""#, DEFAULT_TOKEN_TTL),
            (r#""expires_in":{"a":1}"#, DEFAULT_TOKEN_TTL),
            (r#""expires_in":null"#, DEFAULT_TOKEN_TTL),
            (r#""x":1"#, DEFAULT_TOKEN_TTL),
        ];
        for (field, ttl) in cases {
            let json = format!(r#"{{"access_token":"a",{field}}}"#);
            let response: TokenResponse = serde_json::from_str(&json).expect(&json);
            assert_eq!(token_ttl(response.expires_in), *ttl, "{json}");
            // No deadline overflows, whatever the lifetime.
            let cached = cached_from(response, 1, Instant::now());
            assert!(cached.renew_at <= cached.expires_at);
        }
    }

    #[test]
    fn token_response_without_expiry_gets_the_default() {
        let response: TokenResponse =
            serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap();
        assert_eq!(response.expires_in, None);
        assert!(response.refresh_token.is_none());
    }
}
