//! The simulator's shared state. Everything mutable sits behind ONE mutex: the simulator is a
//! test double, and a single lock makes every request atomic, which keeps its answers exact.
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::SimConfig;
use super::directory::Directory;
use super::faults::Faults;
use super::limits::RateLimiter;
use super::model::{Exchange, RecordedRequest};
use super::paging::PageTokens;
use super::tokens::TokenStore;

/// How many requests the log keeps (the oldest are dropped first).
const LOG_CAPACITY: usize = 100_000;

/// The simulator: fixed settings plus the mutable world.
pub(crate) struct Sim {
    pub(crate) account_key: String,
    client_id: String,
    client_secret: SecretString,
    pub(crate) token_ttl: Duration,
    world: Mutex<World>,
}

/// Everything that changes while the simulator runs.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) dir: Directory,
    pub(crate) pages: PageTokens,
    pub(crate) tokens: TokenStore,
    pub(crate) faults: Faults,
    pub(crate) limiter: RateLimiter,
    pub(crate) log: VecDeque<RecordedRequest>,
    /// Whether whole v1 exchanges are kept in `exchanges` (the conformance judge reads them).
    pub(crate) recording: bool,
    pub(crate) exchanges: VecDeque<Exchange>,
}

impl Sim {
    /// Builds the simulator from its configuration, seed included.
    pub(crate) fn new(config: &SimConfig) -> crate::Result<Sim> {
        let seat_error = match config.seat_error_status {
            402 => StatusCode::PAYMENT_REQUIRED,
            409 => StatusCode::CONFLICT,
            other => {
                return Err(crate::Error::Invalid(format!(
                    "seat_error_status must be 402 or 409, got {other}"
                )));
            }
        };
        if !super::keys::is_key(&config.account_key) {
            return Err(crate::Error::Invalid(format!(
                "account key {:?} must be a numeric string",
                config.account_key
            )));
        }
        if config
            .rate_limit
            .is_some_and(|r| !(r.is_finite() && r > 0.0))
        {
            return Err(crate::Error::Invalid(
                "rate limit must be a positive number".into(),
            ));
        }
        let faults = Faults {
            error_5xx_rate: config.fault_5xx_rate,
            latency_ms: u64::try_from(config.latency.as_millis()).unwrap_or(u64::MAX),
            ..Faults::default()
        };
        faults.validate().map_err(crate::Error::Invalid)?;
        let mut dir = Directory::new(config.account_key.clone(), config.seats, seat_error);
        dir.start_keys_at(config.first_key)
            .map_err(|e| crate::Error::Invalid(e.to_string()))?;
        if let Some(seed) = &config.seed {
            for organizer in seed.organizers.clone() {
                dir.insert_checked(organizer)
                    .map_err(|e| crate::Error::Invalid(format!("simulator seed: {e}")))?;
            }
        }
        let world = World {
            dir,
            pages: PageTokens::default(),
            tokens: TokenStore::default(),
            faults,
            limiter: RateLimiter::new(config.rate_limit, Instant::now()),
            log: VecDeque::new(),
            recording: config.record_exchanges,
            exchanges: VecDeque::new(),
        };
        Ok(Sim {
            account_key: config.account_key.clone(),
            client_id: config.client_id.clone(),
            client_secret: SecretString::from(config.client_secret.clone()),
            token_ttl: config.token_ttl,
            world: Mutex::new(world),
        })
    }

    /// The world, locked. Never held across an `.await`.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        crate::sync::lock(&self.world)
    }

    pub(crate) fn client_matches(&self, id: &str, secret: &str) -> bool {
        id == self.client_id && secret == self.client_secret.expose_secret()
    }
}

impl World {
    pub(crate) fn record(&mut self, request: RecordedRequest) {
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(request);
    }

    /// Keeps one v1 exchange (the oldest are dropped first, like the request log).
    pub(crate) fn record_exchange(&mut self, exchange: Exchange) {
        if self.exchanges.len() >= LOG_CAPACITY {
            self.exchanges.pop_front();
        }
        self.exchanges.push_back(exchange);
    }
}
