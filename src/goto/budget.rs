//! The request budget of one OAuth application.
//!
//! GoTo publishes a default limit of 10 requests per second per OAuth application and, as far
//! as a client can tell, counts a sliding one-second window: a burst of 10 in 100 ms followed by
//! silence is rejected. So the budget *paces*: requests leave one at a time, at least
//! `1 / rate` apart (plus [`JITTER_HEADROOM`]), in the order callers asked (a FIFO turn), never
//! in bursts.
//!
//! A 429 does two things. It pauses the whole budget until its Retry-After has passed, and the
//! pause is checked by the caller whose turn it is *after* its pacing slot came, so requests
//! already queued, or already granted a slot, do not leave during it. And it halves the
//! effective rate (never below [`MIN_RATE`]); each clean [`RECOVERY_INTERVAL`] after the pause
//! gives back [`RECOVERY_STEP`] of the ceiling until the configured rate is reached again.
//! Several 429s for requests sent at the old rate lower it once, not once each.
//!
//! A pause longer than [`MAX_INLINE_WAIT`] is never waited out inside a call: the caller gets
//! `RateLimited{retry_after}` at once and requeues, so no worker is parked on a long or hostile
//! Retry-After. Retry-After is clamped to [`MAX_RETRY_AFTER`], so no deadline can overflow.
//!
//! Two lanes (issue 22). Work a person asked for (an object created, changed or deleted, a seat
//! freed for a waiter, a push notification) takes [`RequestBudget::acquire`]; a background drift
//! read takes [`RequestBudget::acquire_drift`], which never queues: it goes only when no
//! person's request is waiting or left less than [`USER_FOLLOW_UP`] ago (a listing's next page,
//! the PUT after a create, is that request's follow-up: a drift read slipped in between would
//! put every page one slot later, halving a listing's pace), no pause runs, and the last drift
//! read left at least two
//! spacings ago (so drift reads use at most half the rate). Otherwise it is handed the next free
//! drift slot, one after the other, and comes back then (`Error::Deferred`) instead of holding a
//! worker. The rate itself is shared and never exceeded.
//!
//! [`Budgets`] hands out one budget per OAuth application (token URL, client id, account key),
//! so every client built for the same application (a second GoToAccount object, or a new
//! client after a Secret edit) draws on the same budget and honours the same pauses.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::error::Error;

/// Wait after a 429 that came without a Retry-After.
pub(crate) const DEFAULT_RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);
/// Longest pause a call waits out; a longer one returns `RateLimited` to the caller at once.
pub(crate) const MAX_INLINE_WAIT: Duration = Duration::from_secs(5);
/// Longest Retry-After honoured: a larger (or hostile) value is clamped to this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// The lowest rate a run of 429s can push the budget down to, in requests per second.
pub(crate) const MIN_RATE: f64 = 1.0;
/// A stretch of this long without a 429 gives back one recovery step.
pub(crate) const RECOVERY_INTERVAL: Duration = Duration::from_secs(1);
/// The share of the ceiling one clean interval gives back.
pub(crate) const RECOVERY_STEP: f64 = 0.1;
/// Longest wait a drift read takes inline for its slot; a later slot is booked instead, and the
/// read comes back then without holding a worker.
pub(crate) const DRIFT_INLINE_WAIT: Duration = Duration::from_millis(250);
/// After a person's request leaves, how long drift reads wait for its follow-up (the next page
/// of a listing, the PUT after a create) to ask: the round trip of one GoTo call.
pub(crate) const USER_FOLLOW_UP: Duration = Duration::from_millis(500);
/// Requests are spaced this fraction more than `1 / rate` apart, so that network jitter of up
/// to 3% of a second (30 ms) cannot put `rate + 1` arrivals into one of the server's seconds.
pub(crate) const JITTER_HEADROOM: f64 = 0.03;

/// Which work a request serves: a person's change, or a background drift read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lane {
    /// An object created, changed or deleted, a seat freed, a push notification, a CLI call.
    User,
    /// A settled organizer read again only to look for drift.
    Drift,
}

/// Proof that a request may leave now.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Permit {
    /// When the request was let go: a 429 to it lowers the rate only if the rate was not
    /// lowered since (the 429 of a request sent at the old rate says nothing new).
    pub(crate) sent_at: Instant,
    /// How long the caller waited for its turn, its slot and any pause.
    pub(crate) waited: Duration,
}

/// One OAuth application's budget; shared by every client of that application.
pub(crate) struct RequestBudget {
    /// Held by the caller whose request leaves next: tokio's mutex is fair (FIFO), so callers
    /// leave in the order they asked and only the head of the queue sleeps.
    turn: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The configured rate, never exceeded.
    ceiling: f64,
    /// The rate requests leave at now: the ceiling, or lower after 429s.
    rate: f64,
    last_sent: Option<Instant>,
    paused_until: Option<Instant>,
    /// Recovery counts clean intervals from here (the end of the latest pause, or the last step).
    clean_since: Instant,
    /// When the rate was last lowered.
    lowered_at: Option<Instant>,
    /// When the drift lane lets the next drift read in.
    drift_next: Option<Instant>,
    /// The latest drift slot handed to a deferred read: the next deferral gets the one after.
    drift_booked: Option<Instant>,
    /// Callers of [`RequestBudget::acquire`] waiting for their turn or slot.
    users_waiting: usize,
    /// When the last of their requests left.
    user_sent: Option<Instant>,
}

/// What the caller at the head of the queue does next.
enum Next {
    Go,
    SleepUntil(Instant),
    GiveUp(Duration),
}

impl State {
    /// Gives back one step per clean interval since `clean_since`.
    fn recover(&mut self, now: Instant) {
        if self.rate >= self.ceiling {
            self.rate = self.ceiling;
            return;
        }
        let Some(clean) = now.checked_duration_since(self.clean_since) else {
            return;
        };
        let steps = (clean.as_secs_f64() / RECOVERY_INTERVAL.as_secs_f64()).floor();
        if steps < 1.0 {
            return;
        }
        self.rate = (self.rate + steps * RECOVERY_STEP * self.ceiling).min(self.ceiling);
        self.clean_since += RECOVERY_INTERVAL.mul_f64(steps);
    }

    fn spacing(&self) -> Duration {
        Duration::from_secs_f64((1.0 + JITTER_HEADROOM) / self.rate)
    }

    /// Drift reads leave at least this far apart: half the rate.
    fn drift_spacing(&self) -> Duration {
        self.spacing() * 2
    }

    /// Lets a drift read in now, or books it the next free drift slot.
    ///
    /// The drift lane keeps a schedule, not the instant of its last read: a read let in a few
    /// milliseconds after its slot moves the next slot by one spacing from the slot, not from
    /// the late read, so a deferred read coming back at its booked slot finds the lane free.
    ///
    /// `Ok(at)`: the read goes at `at`, at most [`DRIFT_INLINE_WAIT`] from now (reads asked at
    /// once by several workers take the next few slots rather than a round trip through the
    /// queue each). `Err(slot)`: come back at `slot`.
    fn admit_drift(&mut self, now: Instant) -> Result<Instant, Instant> {
        self.recover(now);
        let spacing = self.drift_spacing();
        let paused = self.paused_until.is_some_and(|until| until > now);
        let follow_up = self.user_sent.map(|sent| sent + USER_FOLLOW_UP);
        let people_busy = self.users_waiting > 0 || follow_up.is_some_and(|end| end > now);
        if !paused && !people_busy {
            // A lane idle for a while saves up nothing: a read after a quiet stretch goes now and
            // the next one a drift spacing later. (It had saved up one read, so two reads asked
            // together after a pause left at once: 6 drift reads in one second after a restart,
            // against the lane's 4.85.)
            let slot = self.drift_next.map_or(now, |next| next.max(now));
            if slot <= now + DRIFT_INLINE_WAIT {
                self.drift_next = Some(slot + spacing);
                return Ok(slot.max(now));
            }
        }
        let slot = [
            Some(now),
            self.drift_booked.map(|booked| booked + spacing),
            self.drift_next,
            self.paused_until,
            follow_up,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(now);
        self.drift_booked = Some(slot);
        Err(slot)
    }

    fn next(&mut self, now: Instant) -> Next {
        self.recover(now);
        if let Some(until) = self.paused_until {
            if until > now {
                let left = until - now;
                if left > MAX_INLINE_WAIT {
                    return Next::GiveUp(left);
                }
                return Next::SleepUntil(until);
            }
            self.paused_until = None;
        }
        if let Some(last) = self.last_sent {
            let slot = last + self.spacing();
            if slot > now {
                return Next::SleepUntil(slot);
            }
        }
        self.last_sent = Some(now);
        Next::Go
    }
}

impl RequestBudget {
    /// A budget of `per_second` requests a second, paced evenly.
    pub(crate) fn new(per_second: f64) -> Self {
        let ceiling = sanitize(per_second);
        Self {
            turn: tokio::sync::Mutex::new(()),
            state: Mutex::new(State {
                ceiling,
                rate: ceiling,
                last_sent: None,
                paused_until: None,
                clean_since: Instant::now(),
                lowered_at: None,
                drift_next: None,
                drift_booked: None,
                users_waiting: 0,
                user_sent: None,
            }),
        }
    }

    /// Waits for this caller's turn and slot; `RateLimited` at once when a pause longer than
    /// [`MAX_INLINE_WAIT`] is running (the caller should requeue rather than wait). The lane of
    /// a person's work: drift reads give way while it waits.
    pub(crate) async fn acquire(&self) -> Result<Permit, Error> {
        let _waiting = UserWaiting::new(self);
        let permit = self.take_turn().await?;
        self.lock().user_sent = Some(permit.sent_at);
        Ok(permit)
    }

    /// A background drift read: a permit when the drift lane is free and no person's request
    /// waits, else at once `Deferred` with the drift slot booked for it (see the module docs).
    pub(crate) async fn acquire_drift(&self) -> Result<Permit, Error> {
        let now = Instant::now();
        let at = self
            .lock()
            .admit_drift(now)
            .map_err(|slot| Error::Deferred {
                retry_after: slot - now,
            })?;
        tokio::time::sleep_until(at).await;
        self.take_turn().await
    }

    async fn take_turn(&self) -> Result<Permit, Error> {
        let asked = Instant::now();
        let _turn = self.turn.lock().await;
        loop {
            let now = Instant::now();
            // The decision re-reads the pause every time: a 429 that arrived while this caller
            // slept for its slot holds it too.
            let next = self.lock().next(now);
            match next {
                Next::Go => {
                    return Ok(Permit {
                        sent_at: now,
                        waited: now - asked,
                    });
                }
                Next::SleepUntil(at) => tokio::time::sleep_until(at).await,
                Next::GiveUp(left) => {
                    return Err(Error::RateLimited {
                        retry_after: Some(left),
                    });
                }
            }
        }
    }

    /// GoTo answered 429 to the request sent under `permit`: pauses every caller for
    /// `retry_after` (clamped to [`MAX_RETRY_AFTER`]; [`DEFAULT_RATE_LIMIT_PAUSE`] without one)
    /// and lowers the rate. Returns the wait it applied.
    pub(crate) fn rate_limited(&self, permit: Permit, retry_after: Option<Duration>) -> Duration {
        let wait = clamp_retry_after(retry_after.unwrap_or(DEFAULT_RATE_LIMIT_PAUSE));
        let now = Instant::now();
        let until = now + wait;
        let mut state = self.lock();
        if state.paused_until.is_none_or(|current| current < until) {
            state.paused_until = Some(until);
        }
        if state.lowered_at.is_none_or(|at| permit.sent_at > at) {
            state.rate = (state.rate / 2.0).max(MIN_RATE.min(state.ceiling));
            state.lowered_at = Some(now);
        }
        state.clean_since = state.clean_since.max(until);
        wait
    }

    /// The rate requests leave at now, in requests per second.
    pub(crate) fn effective_rate(&self) -> f64 {
        let mut state = self.lock();
        state.recover(Instant::now());
        state.rate
    }

    /// Changes the configured rate. A budget running at its ceiling moves to the new one; a
    /// throttled budget keeps its lower rate (capped by the new ceiling) and recovers towards it.
    pub(crate) fn set_ceiling(&self, per_second: f64) {
        let ceiling = sanitize(per_second);
        let mut state = self.lock();
        let throttled = state.rate < state.ceiling;
        state.ceiling = ceiling;
        state.rate = if throttled {
            state.rate.min(ceiling)
        } else {
            ceiling
        };
    }

    /// Whether a pause is still running: a budget holding one must outlive its clients.
    fn paused(&self) -> bool {
        self.lock()
            .paused_until
            .is_some_and(|until| until > Instant::now())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The guarded values are plain numbers and deadlines: a panic elsewhere cannot leave
        // them torn.
        crate::sync::lock(&self.state)
    }
}

/// The most drift reads a second a budget of `per_second` lets out: half its rate, at the
/// spacing [`RequestBudget::acquire_drift`] keeps.
pub fn drift_reads_per_second(per_second: f64) -> f64 {
    sanitize(per_second) / (2.0 * (1.0 + JITTER_HEADROOM))
}

/// Counts a caller of the user lane as waiting until it has its permit (or gave up).
struct UserWaiting<'a>(&'a RequestBudget);

impl<'a> UserWaiting<'a> {
    fn new(budget: &'a RequestBudget) -> Self {
        budget.lock().users_waiting += 1;
        Self(budget)
    }
}

impl Drop for UserWaiting<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.users_waiting = state.users_waiting.saturating_sub(1);
    }
}

/// A Retry-After bounded to [`MAX_RETRY_AFTER`].
pub(crate) fn clamp_retry_after(wait: Duration) -> Duration {
    wait.min(MAX_RETRY_AFTER)
}

fn sanitize(per_second: f64) -> f64 {
    if per_second.is_finite() && per_second > 0.0 {
        per_second
    } else {
        MIN_RATE
    }
}

/// Which OAuth application a budget belongs to, and who may use it: the application's
/// credentials are part of the key (as a SHA-256 digest of the client secret), so only a
/// client holding the same secret joins or shapes the budget. Knowing a client id and an
/// account key is not enough (issue 21: a tenant naming a victim's client id with junk
/// credentials set the victim's ceiling to 1 request per second).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct BudgetKey {
    pub(crate) token_url: String,
    pub(crate) client_id: String,
    pub(crate) account_key: String,
    pub(crate) secret_digest: [u8; 32],
}

impl BudgetKey {
    /// The digest of a client secret, as [`BudgetKey::secret_digest`] holds it.
    pub(crate) fn digest(client_secret: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(client_secret.as_bytes()).into()
    }
}

/// The process-wide registry of request budgets: one per OAuth application (token URL, client
/// id, account key). Clones share the registry.
#[derive(Clone, Default)]
pub struct Budgets {
    budgets: Arc<Mutex<HashMap<BudgetKey, Arc<RequestBudget>>>>,
}

impl std::fmt::Debug for Budgets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budgets")
            .field("applications", &self.lock().len())
            .finish()
    }
}

impl Budgets {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The budget of the application `key`, created at `per_second` if there is none; an
    /// existing budget takes `per_second` as its new ceiling (the latest configuration wins).
    pub(crate) fn get(&self, key: BudgetKey, per_second: f64) -> Arc<RequestBudget> {
        let mut budgets = self.lock();
        // Forget budgets no client uses any more, unless a pause is running: a client built
        // later for the same application must still honour it.
        budgets.retain(|_, budget| Arc::strong_count(budget) > 1 || budget.paused());
        match budgets.get(&key) {
            Some(budget) => {
                budget.set_ceiling(per_second);
                budget.clone()
            }
            None => {
                let budget = Arc::new(RequestBudget::new(per_second));
                budgets.insert(key, budget.clone());
                budget
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BudgetKey, Arc<RequestBudget>>> {
        // Single inserts and removals: a panic cannot leave the map inconsistent.
        crate::sync::lock(&self.budgets)
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "budget_lane_tests.rs"]
mod lane_tests;
