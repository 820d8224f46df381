//! The account-wide request budget.
//!
//! GoTo rate-limits per OAuth application, so every caller of one account must draw from
//! one budget: a `governor` limiter for the steady rate, plus a pause that a 429 sets so
//! that concurrent callers wait out Retry-After together instead of each hitting 429.
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Wait after a 429 that came without a Retry-After.
pub(crate) const DEFAULT_RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);

/// Shared by every clone of one client.
pub(crate) struct RequestBudget {
    limiter: DefaultDirectRateLimiter,
    paused_until: Mutex<Option<Instant>>,
}

impl RequestBudget {
    /// A budget of `per_second` requests a second, bursting up to that many.
    pub(crate) fn new(per_second: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::direct(Quota::per_second(per_second)),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits until the account may send one more request.
    pub(crate) async fn acquire(&self) {
        // Re-check after sleeping: another caller may have extended the pause meanwhile.
        while let Some(until) = self.pause_deadline() {
            tokio::time::sleep_until(until).await;
        }
        self.limiter.until_ready().await;
    }

    /// Stops the whole account from sending until `wait` has elapsed (after a 429).
    pub(crate) fn pause_for(&self, wait: Option<Duration>) {
        let until = Instant::now() + wait.unwrap_or(DEFAULT_RATE_LIMIT_PAUSE);
        let mut paused = self.lock();
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    /// The end of the current pause, if one is still running.
    fn pause_deadline(&self) -> Option<Instant> {
        let mut paused = self.lock();
        match *paused {
            Some(until) if until > Instant::now() => Some(until),
            _ => {
                *paused = None;
                None
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // The guarded value is a plain deadline: a panic elsewhere cannot leave it torn.
        self.paused_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_caller_until_it_ends() {
        let budget = RequestBudget::new(NonZeroU32::new(1000).unwrap());
        let start = Instant::now();
        budget.pause_for(Some(Duration::from_secs(2)));
        // A shorter pause must not cut the longer one.
        budget.pause_for(Some(Duration::from_millis(10)));
        budget.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn no_pause_without_a_429() {
        let budget = RequestBudget::new(NonZeroU32::new(1000).unwrap());
        let start = Instant::now();
        budget.acquire().await;
        assert!(start.elapsed() < Duration::from_millis(1));
    }
}
