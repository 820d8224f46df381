//! `/_sim/`: the simulator's own control endpoints, for demo scripts and users outside the
//! process (tests inside it use `SimHandle`). They need no token and are not logged.
//!
//! | request | effect |
//! |---|---|
//! | `GET /_sim/state` | organizers, meetings, sessions, cancelled meetings, seats, counters, faults |
//! | `GET /_sim/requests`, `DELETE /_sim/requests` | the request log (token endpoint and API) |
//! | `GET /_sim/exchanges`, `DELETE /_sim/exchanges` | whole v1 exchanges, when recording (`--record-exchanges`) |
//! | `PUT /_sim/recording` | `{"on": true}` starts keeping v1 exchanges, `{"on": false}` stops |
//! | `GET /_sim/faults`, `PUT /_sim/faults` | fault settings ([`Faults`] as JSON; 400 when out of range) |
//! | `POST /_sim/organizers` | add an organizer (seed form, checked) → 201 `{"organizerKey"}` |
//! | `PATCH /_sim/organizers/{key}` | change fields behind the operator's back (drift) |
//! | `DELETE /_sim/organizers/{key}` | delete out of band (future meetings cancelled, recorded) |
//! | `POST /_sim/organizers/{key}/meetings` | schedule a meeting → 201 `{"meetingId"}` |
//! | `POST /_sim/organizers/{key}/history` | add an ended session → 201 `{"meetingInstanceKey"}` |
//! | `DELETE /_sim/meetings/{id}` | remove a scheduled meeting |
//! | `PUT /_sim/seats` | `{"seats": N}` or `{"seats": null}` (unlimited) |
//! | `PUT /_sim/rate-limit` | `{"requestsPerSecond": R}` or `null` (unlimited) |
//! | `POST /_sim/tokens/expire` | every access token stops working |
//! | `POST /_sim/notify` | send a signed push notification: `{"url", "key", "organizerKey"}` → `{"status"}` (the receiver's answer) |
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::faults::Faults;
use super::keys::key_order;
use super::model::{CancelledVia, SeedMeeting, SeedOrganizer, SeedSession, SimOrganizer};
use super::reply::ApiError;
use super::world::Sim;

type Reply = Result<Response, ApiError>;

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/state", get(state))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/exchanges", get(exchanges).delete(clear_exchanges))
        .route("/recording", put(put_recording))
        .route("/faults", get(get_faults).put(put_faults))
        .route("/organizers", post(add_organizer))
        .route(
            "/organizers/{key}",
            delete(remove_organizer).patch(patch_organizer),
        )
        .route("/organizers/{key}/meetings", post(add_meeting))
        .route("/organizers/{key}/history", post(add_session))
        .route("/meetings/{id}", delete(remove_meeting))
        .route("/seats", put(put_seats))
        .route("/rate-limit", put(put_rate_limit))
        .route("/tokens/expire", post(expire_tokens))
        .route("/notify", post(notify))
        .fallback(|| async { ApiError::not_found("no such /_sim/ endpoint") })
}

fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(b)| b)
        .map_err(|e| ApiError::bad_request(e.body_text()))
}

/// The whole simulated GoTo account, as JSON.
pub(crate) fn state_json(sim: &Sim) -> Value {
    let world = sim.world();
    let dir = &world.dir;
    let mut organizers: Vec<_> = dir.organizers.values().collect();
    organizers.sort_by_key(|o| key_order(&o.organizer_key));
    let mut meetings: Vec<_> = dir.meetings.values().collect();
    meetings.sort_by_key(|m| (m.start_time, key_order(&m.meeting_id)));
    let mut sessions: Vec<_> = dir.sessions.values().collect();
    sessions.sort_by_key(|s| (s.start_time, key_order(&s.meeting_instance_key)));
    json!({
        "accountKey": dir.account_key,
        "groupKey": dir.group_key,
        "seats": dir.seats,
        "seatsUsed": dir.organizers.len(),
        "rateLimit": world.limiter.rate(),
        "organizers": organizers,
        "meetings": meetings,
        "sessions": sessions,
        "cancelledMeetings": dir.cancelled,
        "rateLimitedCount": world.limiter.limited,
        "retryAfterViolations": world.limiter.violations,
        "requestCount": world.log.len(),
        "recordingExchanges": world.recording,
        "exchangeCount": world.exchanges.len(),
        "faults": world.faults,
    })
}

async fn state(State(sim): State<Arc<Sim>>) -> Response {
    Json(state_json(&sim)).into_response()
}

async fn requests(State(sim): State<Arc<Sim>>) -> Response {
    let world = sim.world();
    Json(&world.log).into_response()
}

async fn clear_requests(State(sim): State<Arc<Sim>>) -> StatusCode {
    sim.world().log.clear();
    StatusCode::NO_CONTENT
}

async fn exchanges(State(sim): State<Arc<Sim>>) -> Response {
    let world = sim.world();
    Json(&world.exchanges).into_response()
}

async fn clear_exchanges(State(sim): State<Arc<Sim>>) -> StatusCode {
    sim.world().exchanges.clear();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordingBody {
    on: bool,
}

async fn put_recording(
    State(sim): State<Arc<Sim>>,
    on: Result<Json<RecordingBody>, JsonRejection>,
) -> Reply {
    let on = body(on)?.on;
    sim.world().recording = on;
    Ok(Json(json!({ "on": on })).into_response())
}

async fn get_faults(State(sim): State<Arc<Sim>>) -> Response {
    Json(sim.world().faults.clone()).into_response()
}

async fn put_faults(
    State(sim): State<Arc<Sim>>,
    faults: Result<Json<Faults>, JsonRejection>,
) -> Reply {
    let faults = body(faults)?;
    faults.validate().map_err(ApiError::bad_request)?;
    sim.world().faults = faults.clone();
    Ok(Json(faults).into_response())
}

async fn add_organizer(
    State(sim): State<Arc<Sim>>,
    organizer: Result<Json<SeedOrganizer>, JsonRejection>,
) -> Reply {
    let organizer = body(organizer)?;
    let key = sim
        .world()
        .dir
        .insert_checked(organizer)
        .map_err(ApiError::bad_request)?;
    Ok((StatusCode::CREATED, Json(json!({ "organizerKey": key }))).into_response())
}

/// Changes fields of an organizer behind the operator's back (drift), by merging a JSON object.
async fn patch_organizer(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    patch: Result<Json<serde_json::Map<String, Value>>, JsonRejection>,
) -> Reply {
    let patch = body(patch)?;
    let mut world = sim.world();
    let current = world.dir.organizer(&key)?.clone();
    let mut merged =
        serde_json::to_value(&current).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if let Value::Object(fields) = &mut merged {
        fields.extend(patch);
    }
    let updated: SimOrganizer = serde_json::from_value(merged)
        .map_err(|e| ApiError::bad_request(format!("patched organizer: {e}")))?;
    if updated.organizer_key != key {
        return Err(ApiError::bad_request("organizerKey cannot be patched"));
    }
    world.dir.organizers.insert(key, updated.clone());
    Ok(Json(updated).into_response())
}

async fn remove_organizer(State(sim): State<Arc<Sim>>, Path(key): Path<String>) -> Reply {
    let removed = sim
        .world()
        .dir
        .delete(&key, Timestamp::now(), CancelledVia::OutOfBand);
    match removed {
        Some(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        None => Err(ApiError::not_found(format!("organizer {key} not found"))),
    }
}

async fn add_meeting(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    meeting: Result<Json<SeedMeeting>, JsonRejection>,
) -> Reply {
    let meeting = body(meeting)?;
    if meeting.end_time <= meeting.start_time {
        return Err(ApiError::bad_request("endTime must be after startTime"));
    }
    let mut world = sim.world();
    world.dir.organizer(&key)?;
    let id = world.dir.add_meeting(&key, meeting);
    Ok((StatusCode::CREATED, Json(json!({ "meetingId": id }))).into_response())
}

async fn add_session(
    State(sim): State<Arc<Sim>>,
    Path(key): Path<String>,
    session: Result<Json<SeedSession>, JsonRejection>,
) -> Reply {
    let session = body(session)?;
    if session.end_time <= session.start_time {
        return Err(ApiError::bad_request("endTime must be after startTime"));
    }
    let mut world = sim.world();
    world.dir.organizer(&key)?;
    let instance = world.dir.add_session(&key, session);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "meetingInstanceKey": instance })),
    )
        .into_response())
}

async fn remove_meeting(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Reply {
    match sim.world().dir.meetings.remove(&id) {
        Some(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        None => Err(ApiError::not_found(format!("meeting {id} not found"))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeatsBody {
    seats: Option<u32>,
}

async fn put_seats(
    State(sim): State<Arc<Sim>>,
    seats: Result<Json<SeatsBody>, JsonRejection>,
) -> Reply {
    let seats = body(seats)?.seats;
    sim.world().dir.seats = seats;
    Ok(Json(json!({ "seats": seats })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RateBody {
    requests_per_second: Option<f64>,
}

async fn put_rate_limit(
    State(sim): State<Arc<Sim>>,
    rate: Result<Json<RateBody>, JsonRejection>,
) -> Reply {
    let rate = body(rate)?.requests_per_second;
    if rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err(ApiError::bad_request("requestsPerSecond must be positive"));
    }
    sim.world().limiter.set_rate(rate, Instant::now());
    Ok(Json(json!({ "requestsPerSecond": rate })).into_response())
}

async fn expire_tokens(State(sim): State<Arc<Sim>>) -> StatusCode {
    sim.world().tokens.expire_all();
    StatusCode::NO_CONTENT
}

async fn notify(
    State(sim): State<Arc<Sim>>,
    request: Result<Json<super::notify::NotifyRequest>, JsonRejection>,
) -> Reply {
    let request = body(request)?;
    let status = super::notify::send(&sim.account_key, &request)
        .await
        .map_err(ApiError::bad_request)?;
    Ok(Json(json!({ "status": status })).into_response())
}
