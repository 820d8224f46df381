//! The account-wide rate limit, as GoTo is assumed to count it: a sliding one-second window over
//! every admitted API request. A request that would make the window hold more than the limit is
//! answered 429 with `Retry-After` (whole seconds until the oldest request in the window leaves
//! it, at least 1). So a client that bursts `rate` requests in 100 ms is refused for the rest of
//! the second, and only a client that paces evenly gets the whole rate. Below 1 request per
//! second the window is `1 / rate` seconds long and holds one request.
//!
//! Clients that come back while a Retry-After the simulator sent is still running are counted
//! as violations. A request arriving within [`IN_FLIGHT_GRACE`] of the 429 is not: it was most
//! likely sent by another worker of the same client before the 429 reached it. It is still
//! answered 429.
//!
//! It runs on `tokio::time::Instant`, so a test that pauses tokio's clock controls it too.
use std::collections::VecDeque;
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
pub(crate) const IN_FLIGHT_GRACE: Duration = Duration::from_millis(25);

/// A sliding-window limiter over admitted requests.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: Option<f64>,
    /// When each request still inside the window was admitted, oldest first.
    window: VecDeque<Instant>,
    /// When the last 429 was given, and until when it told the client to stay away.
    quiet: Option<(Instant, Instant)>,
    pub(crate) limited: u64,
    pub(crate) violations: u64,
}

impl RateLimiter {
    pub(crate) fn new(rate: Option<f64>, _now: Instant) -> Self {
        RateLimiter {
            rate,
            window: VecDeque::new(),
            quiet: None,
            limited: 0,
            violations: 0,
        }
    }

    /// Changes the rate (None: unlimited); the window starts empty.
    pub(crate) fn set_rate(&mut self, rate: Option<f64>, _now: Instant) {
        self.rate = rate;
        self.window.clear();
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

    /// Decides one request against the window (after [`RateLimiter::arrival`] let it through).
    pub(crate) fn admit(&mut self, now: Instant) -> Admission {
        let Some(rate) = self.rate else {
            return Admission::Allowed;
        };
        let (capacity, length) = window(rate);
        while self
            .window
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= length)
        {
            self.window.pop_front();
        }
        if self.window.len() < capacity {
            self.window.push_back(now);
            return Admission::Allowed;
        }
        let frees_at = self.window.front().map_or(now, |oldest| *oldest + length);
        let retry_after = whole_seconds(frees_at.saturating_duration_since(now));
        self.told_to_wait(now, retry_after);
        Admission::Limited { retry_after }
    }

    /// Records a 429 with `retry_after` seconds (also used for injected 429s).
    pub(crate) fn told_to_wait(&mut self, now: Instant, retry_after: u64) {
        self.limited += 1;
        // An injected Retry-After can be absurd (u64::MAX): a year is "forever" here.
        let wait = Duration::from_secs(retry_after.min(365 * 24 * 3600));
        let until = now.checked_add(wait).unwrap_or(now);
        let until = self.quiet.map_or(until, |(_, u)| u.max(until));
        self.quiet = Some((now, until));
    }
}

/// How many requests the window holds and how long it is: `floor(rate)` in one second, or one
/// request in `1 / rate` seconds below 1 request per second.
fn window(rate: f64) -> (usize, Duration) {
    if rate >= 1.0 {
        // Bounded by the control API's checks; a huge rate is simply "a lot".
        (rate.floor().min(1e9) as usize, Duration::from_secs(1))
    } else {
        (1, Duration::from_secs_f64((1.0 / rate).min(86_400.0)))
    }
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
    fn the_window_slides_a_burst_is_refused_an_even_pace_is_not() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut burst = RateLimiter::new(Some(10.0), t0);
        for i in 0..10 {
            assert_eq!(decide(&mut burst, ms(i)), Admission::Allowed);
        }
        assert!(matches!(
            burst.admit(ms(500)),
            Admission::Limited { retry_after: 1 }
        ));
        let mut paced = RateLimiter::new(Some(10.0), t0);
        for i in 0..50 {
            assert_eq!(paced.admit(ms(i * 100)), Admission::Allowed, "request {i}");
        }
        // One more while the window (4.0 s to 4.9 s) is full is refused.
        assert!(matches!(paced.admit(ms(4950)), Admission::Limited { .. }));
        assert_eq!(paced.admit(ms(5000)), Admission::Allowed);
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
    fn an_absurd_injected_retry_after_does_not_overflow() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(None, t0);
        rl.told_to_wait(t0, u64::MAX);
        assert!(rl.arrival(t0 + Duration::from_secs(3600)).is_some());
    }

    #[test]
    fn rounding() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
    }
}
