//! `SimHandle`: what a test holds to reach a running simulator, read its state and the requests
//! it received, and change it behind the client's back. The server stops when the last clone
//! of the handle is dropped (or on `shutdown()`), so tests never leak servers.
use std::net::SocketAddr;
use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::watch;
use tokio::time::Instant;

use super::api_v1::V1_PREFIX;
use super::faults::Faults;
use super::gate::{API_PREFIX, TOKEN_PATH, is_v1};
use super::keys::key_order;
use super::model::{
    CancelledMeeting, CancelledVia, Exchange, RecordedRequest, SeedMeeting, SeedOrganizer,
    SeedSession, SimMeeting, SimOrganizer,
};
use super::world::Sim;

/// A running simulator. Cheap to clone; the server stops when the last clone is dropped.
#[derive(Clone)]
pub struct SimHandle {
    inner: Arc<Inner>,
}

struct Inner {
    sim: Arc<Sim>,
    addr: SocketAddr,
    /// Dropping it (with the last handle) or sending `true` stops the server.
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.inner.addr)
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    pub(crate) fn new(sim: Arc<Sim>, addr: SocketAddr, stop: watch::Sender<bool>) -> Self {
        SimHandle {
            inner: Arc::new(Inner { sim, addr, stop }),
        }
    }

    fn sim(&self) -> &Sim {
        &self.inner.sim
    }

    /// The REST base URL, e.g. `http://127.0.0.1:PORT/G2M/rest/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.inner.addr)
    }

    /// The base URL of GoTo's published v1 API, e.g. `http://127.0.0.1:PORT/G2M/rest`, served
    /// from the same world as [`SimHandle::base_url`].
    pub fn v1_base_url(&self) -> String {
        format!("http://{}{V1_PREFIX}", self.inner.addr)
    }

    /// Sends a signed push notification (see `notify.rs`); returns the receiver's HTTP status.
    pub async fn notify(&self, request: &super::notify::NotifyRequest) -> Result<u16, String> {
        super::notify::send(&self.sim().account_key, request).await
    }

    /// The token URL, e.g. `http://127.0.0.1:PORT/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("http://{}{TOKEN_PATH}", self.inner.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    pub fn account_key(&self) -> String {
        self.sim().account_key.clone()
    }

    /// Every organizer, in key order.
    pub fn organizers(&self) -> Vec<SimOrganizer> {
        let world = self.sim().world();
        let mut all: Vec<_> = world.dir.organizers.values().cloned().collect();
        all.sort_by_key(|o| key_order(&o.organizer_key));
        all
    }

    pub fn organizer(&self, key: &str) -> Option<SimOrganizer> {
        self.sim().world().dir.organizers.get(key).cloned()
    }

    /// The organizer with this email, compared case-insensitively as GoTo does.
    pub fn organizer_by_email(&self, email: &str) -> Option<SimOrganizer> {
        let world = self.sim().world();
        world
            .dir
            .organizers
            .values()
            .find(|o| o.email.eq_ignore_ascii_case(email))
            .cloned()
    }

    /// Adds an organizer (with its meetings and history) out of band, without the API's checks
    /// (seats, duplicates): tests arrange odd states this way. A given key replaces whatever
    /// organizer had it. Returns the organizer key.
    pub fn insert_organizer(&self, organizer: SeedOrganizer) -> String {
        self.sim().world().dir.insert_seed(organizer)
    }

    /// Changes an organizer out of band (someone used GoTo's admin UI). False when absent.
    pub fn update_organizer_out_of_band(
        &self,
        key: &str,
        change: impl FnOnce(&mut SimOrganizer),
    ) -> bool {
        let mut world = self.sim().world();
        match world.dir.organizers.get_mut(key) {
            Some(organizer) => {
                change(organizer);
                organizer.organizer_key = key.to_string();
                true
            }
            None => false,
        }
    }

    /// Deletes an organizer out of band; its future meetings are cancelled and recorded with
    /// `via: OutOfBand`. False when absent.
    pub fn remove_organizer_out_of_band(&self, key: &str) -> bool {
        let mut world = self.sim().world();
        world
            .dir
            .delete(key, Timestamp::now(), CancelledVia::OutOfBand)
            .is_some()
    }

    /// Schedules a meeting for an organizer; returns its meetingId.
    pub fn add_meeting(&self, organizer_key: &str, meeting: SeedMeeting) -> String {
        self.sim().world().dir.add_meeting(organizer_key, meeting)
    }

    /// Records a held session (HISTORY) with attendees; returns its meetingInstanceKey.
    pub fn add_session(&self, organizer_key: &str, session: SeedSession) -> String {
        self.sim().world().dir.add_session(organizer_key, session)
    }

    /// Removes a scheduled meeting (not recorded as cancelled). False when absent.
    pub fn remove_meeting(&self, meeting_id: &str) -> bool {
        self.sim().world().dir.meetings.remove(meeting_id).is_some()
    }

    /// Every scheduled meeting, by start time.
    pub fn meetings(&self) -> Vec<SimMeeting> {
        let world = self.sim().world();
        let mut all: Vec<_> = world.dir.meetings.values().cloned().collect();
        all.sort_by_key(|m| (m.start_time, key_order(&m.meeting_id)));
        all
    }

    /// Meetings cancelled by organizer deletions, in the order they happened.
    pub fn cancelled_meetings(&self) -> Vec<CancelledMeeting> {
        self.sim().world().dir.cancelled.clone()
    }

    /// Every logged request (token endpoint and API), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.sim().world().log.iter().cloned().collect()
    }

    pub fn clear_requests(&self) {
        self.sim().world().log.clear();
    }

    /// The API requests (v2 and v1) that were not GETs (the token endpoint excluded).
    pub fn writes(&self) -> Vec<RecordedRequest> {
        let world = self.sim().world();
        world
            .log
            .iter()
            .filter(|r| r.method != "GET" && r.path.starts_with(&format!("{V1_PREFIX}/")))
            .cloned()
            .collect()
    }

    /// Starts (true) or stops keeping whole v1 exchanges (see [`SimHandle::exchanges`]).
    pub fn set_recording(&self, on: bool) {
        self.sim().world().recording = on;
    }

    /// Every v1 exchange (request and answer) since recording started, oldest first: the input
    /// of the conformance judge (`tests/conformance/judge.rs`, `judge::violations`). Recording
    /// is off unless [`SimConfig::record_exchanges`](super::SimConfig) or
    /// [`SimHandle::set_recording`] turned it on.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.sim().world().exchanges.iter().cloned().collect()
    }

    pub fn clear_exchanges(&self) {
        self.sim().world().exchanges.clear();
    }

    /// The logged requests that went to v1 (`/G2M/rest/...`, not `/G2M/rest/v2/...`).
    pub fn v1_requests(&self) -> Vec<RecordedRequest> {
        let world = self.sim().world();
        world
            .log
            .iter()
            .filter(|r| is_v1(&r.path))
            .cloned()
            .collect()
    }

    /// Replaces the fault settings. Out-of-range rates are clamped to 0..=1 and rules with a
    /// status outside 100..=599 are dropped (`PUT /_sim/faults` refuses them instead).
    pub fn set_faults(&self, mut faults: Faults) {
        let clamp = |r: f64| if r.is_nan() { 0.0 } else { r.clamp(0.0, 1.0) };
        faults.error_5xx_rate = clamp(faults.error_5xx_rate);
        faults.drop_rate = clamp(faults.drop_rate);
        faults.rules.retain(|r| match r.action {
            super::faults::FaultAction::Status(s) => (100..=599).contains(&s),
            super::faults::FaultAction::Drop => true,
        });
        self.sim().world().faults = faults;
    }

    pub fn faults(&self) -> Faults {
        self.sim().world().faults.clone()
    }

    /// Requests that came back while an earlier 429's Retry-After was still running.
    pub fn retry_after_violations(&self) -> u64 {
        self.sim().world().limiter.violations
    }

    /// 429 answers given so far.
    pub fn rate_limited_count(&self) -> u64 {
        self.sim().world().limiter.limited
    }

    /// Paid seats (None: unlimited).
    pub fn set_seats(&self, seats: Option<u32>) {
        self.sim().world().dir.seats = seats;
    }

    /// Requests per second above which the API answers 429 (None: unlimited).
    pub fn set_rate_limit(&self, rate: Option<f64>) {
        let rate = rate.filter(|r| r.is_finite() && *r > 0.0);
        self.sim().world().limiter.set_rate(rate, Instant::now());
    }

    /// Every access token stops working now; refresh tokens keep working.
    pub fn expire_all_tokens(&self) {
        self.sim().world().tokens.expire_all();
    }

    /// The state as `GET /_sim/state` shows it.
    pub fn state_json(&self) -> serde_json::Value {
        super::control::state_json(self.sim())
    }

    /// Stops the server (open connections finish their current request).
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
    }
}
