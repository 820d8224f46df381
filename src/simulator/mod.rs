//! The GoTo Meeting API simulator: an in-memory GoTo that keeps the contract of
//! `goto-api.md` strictly, so that it can judge our own client. A client that sends a partial
//! PUT, asks for 101 items, ignores `nextPageToken` or `Retry-After`, or parses keys as numbers
//! gets caught here rather than in production.
//!
//! One port serves the token endpoint (`/oauth/token`), the API in both dialects, the seed's v2
//! (`/G2M/rest/v2/...`) and the v1 GoTo publishes (`/G2M/rest/...`, see `api_v1`), answering
//! from one world, and the control endpoints (`/_sim/...`). Tests start it in-process with
//! [`Simulator::start`]; users and the demo run `goto-operator simulate`.
//!
//! It is written independently of `crate::goto` on purpose: sharing the wire types would let a
//! mistake hide on both sides.
//!
//! ```text
//! $ goto-operator simulate --bind 127.0.0.1:8089 --seed examples/simulator/seed.yaml
//! goto simulator listening: api=http://127.0.0.1:8089/G2M/rest/v2 token=http://127.0.0.1:8089/oauth/token
//! goto simulator v1 (published API): api=http://127.0.0.1:8089/G2M/rest
//! $ curl -s -u demo-client:demo-secret -d grant_type=client_credentials http://127.0.0.1:8089/oauth/token
//! $ curl -s -H "Authorization: Bearer $TOKEN" \
//!     http://127.0.0.1:8089/G2M/rest/v2/accounts/4200000000000000001/organizers
//! $ curl -s -X PUT -H 'content-type: application/json' -d '{"error5xxRate":0.2}' \
//!     http://127.0.0.1:8089/_sim/faults
//! ```
//!
//! What it enforces, beyond the happy path: keys are numeric strings above 2^64 (v1 writes them
//! as JSON numbers; [`SimConfig::first_key`] moves them, e.g. to [`V1_FIRST_KEY`]); `limit` is
//! 1..=100 (default 10) and unknown query parameters or body fields are a 400; a PUT resets
//! every updatable field it omits; creates answer 402 (or 409) without a free seat and 409 on a
//! duplicate email; DELETE cancels the organizer's future meetings and records them; attendees
//! exist only for ended sessions, by meetingInstanceKey; above the request rate it answers 429
//! with Retry-After and counts clients that come back early.
//!
//! Layers, bottom up, each importing only layers before it (tests/module_layers.rs checks):
//! `model` (its data types), `keys` (keys and input checks), `reply` (error answers), `conn`
//! (connections a handler can drop), `faults` (injected faults), `limits` (the rate limit),
//! `notify` (push notifications), `tokens` (live tokens), `directory` (the organizers and their
//! rules), `paging`, `meetings`, `wire_v1` (v1's shapes of the same data), `world` (the shared
//! state, behind one mutex), `auth` (the token endpoint), `api` (the v2 routes), `api_v1` (the v1
//! routes), `control` (`/_sim/`), `gate` (the middleware every request passes, and the v1
//! exchange recorder) and `handle` (what a test holds).
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::SimulateArgs;

mod api;
mod api_v1;
mod auth;
mod conn;
mod control;
mod directory;
mod faults;
mod gate;
mod handle;
mod keys;
mod limits;
mod meetings;
mod model;
mod notify;
mod paging;
mod reply;
mod tokens;
mod wire_v1;
mod world;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod v1_gate_tests;
#[cfg(test)]
mod v1_history_tests;
#[cfg(test)]
mod v1_tests;

pub use faults::{FaultAction, FaultRule, Faults};
pub use handle::SimHandle;
pub use keys::{FIRST_KEY, V1_FIRST_KEY};
pub use model::{
    CancelledMeeting, CancelledVia, Exchange, OrganizerStatus, RecordedRequest, Seed, SeedMeeting,
    SeedOrganizer, SeedSession, SimAttendee, SimMeeting, SimOrganizer, SimSession,
};
pub use notify::NotifyRequest;

/// How to start a simulator.
#[derive(Clone)]
pub struct SimConfig {
    /// Where to listen; `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// The one account the simulator hosts (digits).
    pub account_key: String,
    pub client_id: String,
    /// The accepted client secret (a test credential); never logged or shown in Debug.
    pub client_secret: String,
    /// Paid organizer seats; None means unlimited.
    pub seats: Option<u32>,
    /// The status of a create when no seat is left: 402 or 409.
    pub seat_error_status: u16,
    /// API requests per second above which the answer is 429 with Retry-After.
    pub rate_limit: Option<f64>,
    /// Lifetime of access tokens.
    pub token_ttl: Duration,
    pub seed: Option<Seed>,
    /// Fraction of API requests answered 503.
    pub fault_5xx_rate: f64,
    /// Latency added to every request.
    pub latency: Duration,
    /// The first key handed out to organizers, meetings and sessions; the default group takes
    /// the key below it. Default [`FIRST_KEY`] (2^64 + 1) catches v2 clients that parse keys as
    /// numbers; v1 sends keys as JSON int64 numbers, so a v1 world starts at [`V1_FIRST_KEY`]
    /// (2^53 + 1), or above 2^63 - 1 to check that a client refuses such keys clearly.
    pub first_key: u128,
    /// Keep every v1 exchange whole (request and answer) for `SimHandle::exchanges`, the input
    /// of the conformance judge (`tests/conformance/judge.rs`). Also `SimHandle::set_recording`.
    pub record_exchanges: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            account_key: "4200000000000000001".into(),
            client_id: "demo-client".into(),
            client_secret: "demo-secret".into(),
            seats: None,
            seat_error_status: 402,
            rate_limit: None,
            token_ttl: Duration::from_secs(3600),
            seed: None,
            fault_5xx_rate: 0.0,
            latency: Duration::ZERO,
            first_key: FIRST_KEY,
            record_exchanges: false,
        }
    }
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("bind", &self.bind)
            .field("account_key", &self.account_key)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("seats", &self.seats)
            .field("seat_error_status", &self.seat_error_status)
            .field("rate_limit", &self.rate_limit)
            .field("token_ttl", &self.token_ttl)
            .field(
                "seed_organizers",
                &self.seed.as_ref().map(|s| s.organizers.len()),
            )
            .field("fault_5xx_rate", &self.fault_5xx_rate)
            .field("latency", &self.latency)
            .field("first_key", &self.first_key)
            .field("record_exchanges", &self.record_exchanges)
            .finish()
    }
}

impl SimConfig {
    /// The configuration `goto-operator simulate` runs with (reads the seed file).
    pub fn from_args(args: &SimulateArgs) -> crate::Result<SimConfig> {
        let seed = args.seed.as_deref().map(Seed::from_path).transpose()?;
        Ok(SimConfig {
            bind: args.bind,
            account_key: args.account_key.clone(),
            client_id: args.client_id.clone(),
            client_secret: args.client_secret.clone(),
            seats: args.seats,
            rate_limit: args.rate_limit,
            token_ttl: Duration::from_secs(args.token_ttl),
            seed,
            fault_5xx_rate: args.fault_5xx_rate,
            latency: Duration::from_millis(args.latency_ms),
            first_key: args.first_key.unwrap_or(FIRST_KEY),
            record_exchanges: args.record_exchanges,
            ..SimConfig::default()
        })
    }
}

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Binds, spawns the server on the current tokio runtime, and returns its handle. The
    /// server stops when the last handle is dropped or the runtime ends.
    pub async fn start(config: SimConfig) -> crate::Result<SimHandle> {
        let sim = Arc::new(world::Sim::new(&config)?);
        let listener = TcpListener::bind(config.bind).await.map_err(|e| {
            crate::Error::io(format!("binding the simulator to {}", config.bind), e)
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| crate::Error::io("reading the simulator's address", e))?;
        let app = axum::Router::new()
            .nest("/G2M/rest/v2", api::routes())
            .merge(api_v1::routes())
            .route("/oauth/token", axum::routing::post(auth::token))
            .nest("/_sim", control::routes())
            .fallback(|| async { reply::ApiError::not_found("not a GoTo API path") })
            .layer(axum::middleware::from_fn_with_state(
                sim.clone(),
                gate::gate,
            ))
            .with_state(sim.clone());
        let (stop_tx, mut stop_rx) = watch::channel(false);
        let server = axum::serve(
            conn::KillableListener(listener),
            app.into_make_service_with_connect_info::<conn::ConnKill>(),
        )
        .with_graceful_shutdown(async move {
            // Ends on `shutdown()` or when every handle is gone (the sender is dropped).
            let _ = stop_rx.wait_for(|stop| *stop).await;
        });
        tokio::spawn(async move {
            if let Err(err) = server.await {
                tracing::warn!(error = %err, "GoTo simulator stopped with an error");
            }
        });
        Ok(SimHandle::new(sim, addr, stop_tx))
    }
}

/// `goto-operator simulate`: serves the simulator until Ctrl-C.
pub async fn serve(args: SimulateArgs) -> crate::Result<()> {
    let config = SimConfig::from_args(&args)?;
    let handle = Simulator::start(config).await?;
    println!(
        "goto simulator listening: api={} token={}",
        handle.base_url(),
        handle.token_url()
    );
    println!(
        "goto simulator v1 (published API): api={}",
        handle.v1_base_url()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| crate::Error::io("waiting for Ctrl-C", e))?;
    handle.shutdown();
    Ok(())
}
