//! The account-wide request budget: a token bucket over every API request, answering 429 with
//! `Retry-After` when empty, and counting clients that come back before Retry-After elapsed.
//!
//! It runs on `tokio::time::Instant`, so a test that pauses tokio's clock controls it too.
use std::time::Duration;

use tokio::time::Instant;

/// What the bucket says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    Allowed,
    /// Answer 429 with this `Retry-After` (whole seconds, at least 1).
    Limited {
        retry_after: u64,
    },
}

/// Token bucket with a burst of one second's worth of requests (at least one).
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: Option<f64>,
    tokens: f64,
    last: Instant,
    /// Until when the last 429 told the client to stay away.
    quiet_until: Option<Instant>,
    /// When the latest 429 was answered: requests already in flight then are not violations.
    told_at: Option<Instant>,
    pub(crate) limited: u64,
    pub(crate) violations: u64,
}

impl RateLimiter {
    pub(crate) fn new(rate: Option<f64>, now: Instant) -> Self {
        RateLimiter {
            rate,
            tokens: burst(rate),
            last: now,
            quiet_until: None,
            told_at: None,
            limited: 0,
            violations: 0,
        }
    }

    /// Changes the rate (None: unlimited); the bucket starts full.
    pub(crate) fn set_rate(&mut self, rate: Option<f64>, now: Instant) {
        self.rate = rate;
        self.tokens = burst(rate);
        self.last = now;
    }

    pub(crate) fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Decides one request arriving at `now`. A request that arrives while an earlier 429's
    /// Retry-After is still running is a violation, and gets another 429.
    pub(crate) fn admit(&mut self, now: Instant) -> Admission {
        if let Some(until) = self.quiet_until {
            if now < until {
                // A request sent by a concurrent caller before the 429 reached the client is
                // in flight, not a client ignoring Retry-After.
                if self
                    .told_at
                    .is_none_or(|t| now.saturating_duration_since(t) > IN_FLIGHT_GRACE)
                {
                    self.violations += 1;
                }
                self.limited += 1;
                return Admission::Limited {
                    retry_after: whole_seconds(until - now),
                };
            }
            self.quiet_until = None;
        }
        let Some(rate) = self.rate else {
            return Admission::Allowed;
        };
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * rate).min(burst(Some(rate)));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Admission::Allowed;
        }
        let retry_after = whole_seconds(Duration::from_secs_f64((1.0 - self.tokens) / rate));
        self.told_to_wait(now, retry_after);
        Admission::Limited { retry_after }
    }

    /// Records a 429 with `retry_after` seconds (also used for injected 429s).
    pub(crate) fn told_to_wait(&mut self, now: Instant, retry_after: u64) {
        self.limited += 1;
        self.told_at = Some(now);
        let until = now + Duration::from_secs(retry_after);
        self.quiet_until = Some(self.quiet_until.map_or(until, |u| u.max(until)));
    }
}

/// How long after a 429 other requests count as already in flight rather than as violations.
const IN_FLIGHT_GRACE: Duration = Duration::from_millis(50);

fn burst(rate: Option<f64>) -> f64 {
    rate.map_or(0.0, |r| r.max(1.0))
}

/// Rounds up to whole seconds, at least 1 (Retry-After has no fractions).
fn whole_seconds(d: Duration) -> u64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_always_allows() {
        let now = Instant::now();
        let mut rl = RateLimiter::new(None, now);
        for _ in 0..1000 {
            assert_eq!(rl.admit(now), Admission::Allowed);
        }
        assert_eq!(rl.limited, 0);
    }

    #[test]
    fn burst_then_429_then_recovers_after_retry_after() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(Some(2.0), t0);
        assert_eq!(rl.admit(t0), Admission::Allowed);
        assert_eq!(rl.admit(t0), Admission::Allowed);
        assert_eq!(rl.admit(t0), Admission::Limited { retry_after: 1 });
        assert_eq!((rl.limited, rl.violations), (1, 0));
        // Coming back early is a violation.
        let in_flight = t0 + Duration::from_millis(10);
        assert_eq!(rl.admit(in_flight), Admission::Limited { retry_after: 1 });
        assert_eq!(
            rl.violations, 0,
            "a request in flight when the 429 went out is no violation"
        );
        let early = t0 + Duration::from_millis(300);
        assert_eq!(rl.admit(early), Admission::Limited { retry_after: 1 });
        assert_eq!((rl.limited, rl.violations), (3, 1));
        // Honouring Retry-After is fine: the bucket has refilled by then.
        let later = t0 + Duration::from_secs(1);
        assert_eq!(rl.admit(later), Admission::Allowed);
        assert_eq!(rl.violations, 1);
    }

    #[test]
    fn slow_rates_give_longer_retry_after() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(Some(0.25), t0);
        assert_eq!(rl.admit(t0), Admission::Allowed);
        assert_eq!(rl.admit(t0), Admission::Limited { retry_after: 4 });
    }

    #[test]
    fn injected_wait_counts_violations_even_when_unlimited() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(None, t0);
        rl.told_to_wait(t0, 3);
        assert_eq!(
            rl.admit(t0 + Duration::from_millis(1500)),
            Admission::Limited { retry_after: 2 }
        );
        assert_eq!(rl.violations, 1);
        assert_eq!(rl.admit(t0 + Duration::from_secs(3)), Admission::Allowed);
    }

    #[test]
    fn rounding() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
    }
}
