//! The simulator's live tokens: access tokens with their expiry, and rotating refresh tokens.
//!
//! Kept apart from the token endpoint (`auth`) because the world owns the store and the
//! endpoint reads the world: this module depends on neither.
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;

use super::keys::random_token;

/// Live access tokens (with their expiry) and refresh tokens.
#[derive(Default)]
pub(crate) struct TokenStore {
    access: HashMap<String, Instant>,
    refresh: HashSet<String>,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("access", &self.access.len())
            .field("refresh", &self.refresh.len())
            .finish()
    }
}

impl TokenStore {
    /// A new access token living `ttl` from `now`, and a refresh token for it.
    pub(crate) fn issue(&mut self, ttl: Duration, now: Instant) -> (String, String) {
        self.access.retain(|_, expiry| *expiry > now);
        let (access, refresh) = (random_token(), random_token());
        self.access.insert(access.clone(), now + ttl);
        self.refresh.insert(refresh.clone());
        (access, refresh)
    }

    /// Whether `token` is a live access token at `now`.
    pub(crate) fn is_valid(&self, token: &str, now: Instant) -> bool {
        self.access.get(token).is_some_and(|expiry| *expiry > now)
    }

    /// Every access token stops working (refresh tokens keep working).
    pub(crate) fn expire_all(&mut self) {
        self.access.clear();
    }

    /// Consumes a refresh token (they rotate): false when it was never issued or is spent.
    pub(crate) fn redeem_refresh(&mut self, token: &str) -> bool {
        self.refresh.remove(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire() {
        let t0 = Instant::now();
        let mut store = TokenStore::default();
        let (access, _) = store.issue(Duration::from_secs(10), t0);
        assert!(store.is_valid(&access, t0 + Duration::from_secs(9)));
        assert!(!store.is_valid(&access, t0 + Duration::from_secs(10)));
        assert!(!store.is_valid("other", t0));
        store.expire_all();
        assert!(!store.is_valid(&access, t0));
    }

    #[test]
    fn debug_shows_no_token() {
        let mut store = TokenStore::default();
        let (access, refresh) = store.issue(Duration::from_secs(10), Instant::now());
        let debug = format!("{store:?}");
        assert!(!debug.contains(&access) && !debug.contains(&refresh));
    }
}
