//! The account-wide request budget: a token bucket over every API request, answering 429 with
//! `Retry-After` when empty, and counting clients that come back before Retry-After elapsed.
//!
//! A request arriving within [`IN_FLIGHT_GRACE`] of the 429 is not counted as a violation: it
//! was most likely sent by another worker of the same client before the 429 reached it. It is
//! still answered 429.
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

/// How long after a 429 an arriving request is presumed to have been in flight already.
pub(crate) const IN_FLIGHT_GRACE: Duration = Duration::from_millis(50);

/// Token bucket with a burst of one second's worth of requests (at least one).
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: Option<f64>,
    tokens: f64,
    last: Instant,
    /// When the last 429 was given, and until when it told the client to stay away.
    quiet: Option<(Instant, Instant)>,
    pub(crate) limited: u64,
    pub(crate) violations: u64,
}

impl RateLimiter {
    pub(crate) fn new(rate: Option<f64>, now: Instant) -> Self {
        RateLimiter {
            rate,
            tokens: burst(rate),
            last: now,
            quiet: None,
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

    /// Notes an API request arriving at `now`. While an earlier 429's Retry-After is still
    /// running it returns the seconds left, and counts a violation (past the grace period).
    pub(crate) fn arrival(&mut self, now: Instant) -> Option<u64> {
        let (given, until) = self.quiet?;
        if now >= until {
            self.quiet = None;
            return None;
        }
        if now.saturating_duration_since(given) >= IN_FLIGHT_GRACE {
            self.violations += 1;
        }
        Some(whole_seconds(until - now))
    }

    /// Decides one request against the bucket (after [`RateLimiter::arrival`] let it through).
    pub(crate) fn admit(&mut self, now: Instant) -> Admission {
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
        let until = now + Duration::from_secs(retry_after);
        let until = self.quiet.map_or(until, |(_, u)| u.max(until));
        self.quiet = Some((now, until));
    }
}

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
            assert_eq!(decide(&mut rl, now), Admission::Allowed);
        }
        assert_eq!(rl.limited, 0);
    }

    /// What the gate does: the quiet window first, then the bucket.
    fn decide(rl: &mut RateLimiter, now: Instant) -> Admission {
        match rl.arrival(now) {
            Some(retry_after) => {
                rl.limited += 1;
                Admission::Limited { retry_after }
            }
            None => rl.admit(now),
        }
    }

    #[test]
    fn burst_then_429_then_recovers_after_retry_after() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(Some(2.0), t0);
        assert_eq!(decide(&mut rl, t0), Admission::Allowed);
        assert_eq!(decide(&mut rl, t0), Admission::Allowed);
        assert_eq!(decide(&mut rl, t0), Admission::Limited { retry_after: 1 });
        assert_eq!((rl.limited, rl.violations), (1, 0));
        // In flight when the 429 was given: refused, not held against the client.
        let in_flight = t0 + Duration::from_millis(10);
        assert_eq!(
            decide(&mut rl, in_flight),
            Admission::Limited { retry_after: 1 }
        );
        assert_eq!((rl.limited, rl.violations), (2, 0));
        // Coming back early is a violation.
        let early = t0 + Duration::from_millis(300);
        assert_eq!(
            decide(&mut rl, early),
            Admission::Limited { retry_after: 1 }
        );
        assert_eq!((rl.limited, rl.violations), (3, 1));
        // Honouring Retry-After is fine: the bucket has refilled by then.
        let later = t0 + Duration::from_secs(1);
        assert_eq!(decide(&mut rl, later), Admission::Allowed);
        assert_eq!(rl.violations, 1);
    }

    #[test]
    fn slow_rates_give_longer_retry_after() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(Some(0.25), t0);
        assert_eq!(decide(&mut rl, t0), Admission::Allowed);
        assert_eq!(decide(&mut rl, t0), Admission::Limited { retry_after: 4 });
    }

    #[test]
    fn injected_wait_counts_violations_even_when_unlimited() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(None, t0);
        rl.told_to_wait(t0, 3);
        assert_eq!(rl.arrival(t0 + Duration::from_millis(1500)), Some(2));
        assert_eq!(rl.violations, 1);
        assert_eq!(rl.arrival(t0 + Duration::from_secs(3)), None);
        assert_eq!(rl.admit(t0 + Duration::from_secs(3)), Admission::Allowed);
    }

    #[test]
    fn rounding() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
    }
}
