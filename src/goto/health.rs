//! Whether an account's endpoint answers in time, so that a silent endpoint costs one timeout,
//! not one per request.
//!
//! The operator reconciles a few objects at once (`--concurrency`), whatever their namespace. A
//! tenant whose `apiBaseUrl` or `tokenUrl` swallows requests would otherwise hold every worker
//! for a full timeout per request (and per retry), and every other tenant would wait. So each
//! client (one per GoToAccount) remembers a timeout: for a cool-off after it (15 s, doubling
//! while the endpoint stays silent, at most 5 min), requests fail at once with
//! [`Error::Transient`] ("not asked again ..."), and when the cool-off ends a single request
//! probes the endpoint while the others keep failing fast. Any answer, even an error status,
//! ends the cool-off. Only timeouts count: a refused connection or a 5xx costs no time.
use super::error::{Error, NOT_ASKED};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The first cool-off after a timeout.
pub(crate) const FIRST_COOL_OFF: Duration = Duration::from_secs(15);
/// The longest cool-off, reached after a few timeouts in a row.
pub(crate) const MAX_COOL_OFF: Duration = Duration::from_secs(300);

/// One account's endpoint health. Never held across an `.await`.
pub(crate) struct EndpointHealth {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Requests are refused until then (after a timeout).
    down_until: Option<Instant>,
    /// The next cool-off.
    cool_off: Duration,
    /// A request is probing the endpoint after a cool-off.
    probing: bool,
}

/// A request let through; tell [`Admission::finish`] how it went. Dropped unfinished (the
/// request was cancelled), it frees the probe slot so the next request may probe.
pub(crate) struct Admission<'a> {
    health: &'a EndpointHealth,
    probe: bool,
    finished: bool,
}

impl EndpointHealth {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                down_until: None,
                cool_off: FIRST_COOL_OFF,
                probing: false,
            }),
        }
    }

    /// Lets a request through, or refuses it at once during a cool-off or while another
    /// request probes.
    pub(crate) fn admit(&self) -> Result<Admission<'_>, Error> {
        let now = Instant::now();
        let mut state = self.lock();
        // One fixed message: a countdown in it would change the status at every reconcile.
        let refused = || {
            Error::Transient(format!(
                "{NOT_ASKED} for a while: the endpoint did not answer within the timeout"
            ))
        };
        let probe = match state.down_until {
            None => false,
            Some(until) if now < until => return Err(refused()),
            Some(_) if state.probing => return Err(refused()),
            Some(_) => {
                state.probing = true;
                true
            }
        };
        Ok(Admission {
            health: self,
            probe,
            finished: false,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Plain values, each write whole: a panic elsewhere cannot leave them torn.
        crate::sync::lock(&self.state)
    }
}

impl Admission<'_> {
    /// Records the request's fate: `timed_out` starts (or lengthens) a cool-off, anything
    /// else ends it.
    pub(crate) fn finish(mut self, timed_out: bool) {
        self.finished = true;
        let mut state = self.health.lock();
        if self.probe {
            state.probing = false;
        }
        if timed_out {
            let until = Instant::now() + state.cool_off;
            state.down_until = Some(state.down_until.map_or(until, |current| current.max(until)));
            state.cool_off = (state.cool_off * 2).min(MAX_COOL_OFF);
        } else {
            state.down_until = None;
            state.cool_off = FIRST_COOL_OFF;
        }
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        if self.probe && !self.finished {
            self.health.lock().probing = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(health: &EndpointHealth) -> bool {
        matches!(health.admit(), Err(Error::Transient(m)) if m.starts_with(NOT_ASKED))
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_refuses_requests_for_a_growing_cool_off() {
        let health = EndpointHealth::new();
        health.admit().unwrap().finish(false);
        health.admit().unwrap().finish(true);
        assert!(refused(&health));
        tokio::time::advance(FIRST_COOL_OFF - Duration::from_millis(1)).await;
        assert!(refused(&health));
        tokio::time::advance(Duration::from_millis(1)).await;
        // One probe goes through; while it runs, the others are refused.
        let probe = health.admit().unwrap();
        assert!(refused(&health));
        probe.finish(true);
        // The second cool-off is twice as long.
        tokio::time::advance(FIRST_COOL_OFF * 2 - Duration::from_millis(1)).await;
        assert!(refused(&health));
        tokio::time::advance(Duration::from_millis(1)).await;
        // An answer ends it, and resets the cool-off.
        health.admit().unwrap().finish(false);
        health.admit().unwrap().finish(false);
        health.admit().unwrap().finish(true);
        tokio::time::advance(FIRST_COOL_OFF).await;
        assert!(health.admit().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn the_cool_off_stops_growing_at_its_maximum() {
        let health = EndpointHealth::new();
        for _ in 0..20 {
            health.admit().unwrap().finish(true);
            tokio::time::advance(MAX_COOL_OFF).await;
        }
        health.admit().unwrap().finish(true);
        tokio::time::advance(MAX_COOL_OFF).await;
        assert!(health.admit().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_probe_lets_the_next_request_probe() {
        let health = EndpointHealth::new();
        health.admit().unwrap().finish(true);
        tokio::time::advance(FIRST_COOL_OFF).await;
        drop(health.admit().unwrap());
        assert!(health.admit().is_ok());
    }
}
