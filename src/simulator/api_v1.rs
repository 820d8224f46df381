//! GoTo Meeting REST v1, the API GoTo publishes (`shared/published/gotomeeting-rest-v1.openapi.json`
//! in the project's notes; a trimmed copy is `tests/openapi/gotomeeting-rest-v1.json`), under
//! `/G2M/rest`. It answers from the same world as v2: the same organizers, seats, meetings and
//! sessions. Bearer tokens, faults and the request budget are checked before these handlers run
//! (see `gate`), exactly as for v2.
//!
//! | request | answer |
//! |---|---|
//! | `GET /organizers` | 200 array of every `Organizer`, no pagination |
//! | `GET /organizers?email=E` | 200 array of one; 404 when nobody has E |
//! | `POST /organizers` `{organizerEmail, firstName, lastName, productType}` | 201 `[{key, email}]`; 409 email taken; 403 no seat (409 when v2 is set to answer 409) |
//! | `GET /organizers/{k}` | 200 array of one `Organizer`; 404 |
//! | `PUT /organizers/{k}` `{"status":"suspended"}` or `{"productType":"G2M"}` | 204; 404 |
//! | `DELETE /organizers/{k}` | 204, future meetings cancelled and recorded as v2 does; 404 |
//! | `GET /organizers/{k}/upcomingMeetings` | 200 array of `UpcomingMeeting` |
//! | `GET /organizers/{k}/historicalMeetings?startDate&endDate` | 200 array of `HistoricalMeeting` |
//! | `GET /organizers/{k}/attendees?startDate&endDate` | 200 array of `AttendeeByOrganizer` |
//! | `GET /meetings/{meetingId}/attendees` | 200 array of `AttendeeByMeeting`; 404 |
//!
//! Strict where v2 is: unknown query parameters and body fields are a 400, keys in paths must be
//! digits (400), `startDate`/`endDate` must be UTC timestamps like `2026-07-01T22:00:00Z` (400).
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jiff::Timestamp;
use serde::Deserialize;

use super::api::{json_err, path_err, query_err};
use super::directory::{NewOrganizer, check_key, required};
use super::meetings::Window;
use super::model::{CancelledVia, OrganizerStatus};
use super::reply::ApiError;
use super::world::Sim;

/// v1's path prefix.
pub(crate) const V1_PREFIX: &str = "/G2M/rest";

/// The products an organizer can be given (the document's `Product`).
const PRODUCTS: [&str; 4] = ["G2M", "G2T", "G2W", "OPENVOICE"];

type Reply = Result<Response, ApiError>;

pub(crate) fn routes() -> Router<Arc<Sim>> {
    let at = |path: &str| format!("{V1_PREFIX}{path}");
    Router::new()
        .route(
            &at("/organizers"),
            get(get_organizers).post(create_organizer),
        )
        .route(
            &at("/organizers/{key}"),
            get(get_organizer)
                .put(update_organizer)
                .delete(delete_organizer),
        )
        .route(
            &at("/organizers/{key}/upcomingMeetings"),
            get(upcoming_meetings),
        )
        .route(
            &at("/organizers/{key}/historicalMeetings"),
            get(historical_meetings),
        )
        .route(
            &at("/organizers/{key}/attendees"),
            get(attendees_by_organizer),
        )
        .route(&at("/meetings/{id}/attendees"), get(attendees_by_meeting))
}

/// For operations that take no query parameter: any parameter is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoQuery {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailQuery {
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RangeQuery {
    start_date: Option<String>,
    end_date: Option<String>,
}

/// The document's `OrganizerReq`: every field required.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateBody {
    organizer_email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    product_type: Option<String>,
}

/// The document's `OrganizerStatus`: suspend with `status`, re-activate with `productType`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StatusBody {
    status: Option<String>,
    product_type: Option<String>,
}

fn no_query(query: Result<Query<NoQuery>, QueryRejection>) -> Result<(), ApiError> {
    query.map(|_| ()).map_err(query_err)
}

/// A path key: digits, else 400.
fn key_of(name: &str, key: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(key) = key.map_err(path_err)?;
    check_key(name, &key)?;
    Ok(key)
}

fn product(value: &str) -> Result<(), ApiError> {
    if PRODUCTS.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "productType must be one of {PRODUCTS:?}, got {value:?}"
        )))
    }
}

/// `startDate` and `endDate`, both required, each a UTC timestamp (`...Z`).
fn window(q: &RangeQuery) -> Result<Window, ApiError> {
    for (name, value) in [("startDate", &q.start_date), ("endDate", &q.end_date)] {
        let Some(value) = value else {
            return Err(ApiError::bad_request(format!("{name} is required")));
        };
        let utc = value.ends_with('Z') || value.ends_with('z');
        if !utc || value.parse::<Timestamp>().is_err() {
            return Err(ApiError::bad_request(format!(
                "{name} must be an ISO-8601 UTC timestamp like 2026-07-01T22:00:00Z, got {value:?}"
            )));
        }
    }
    Window::parse(q.start_date.as_deref(), q.end_date.as_deref())
}

fn range(query: Result<Query<RangeQuery>, QueryRejection>) -> Result<Window, ApiError> {
    let Query(q) = query.map_err(query_err)?;
    window(&q)
}

/// `GET /organizers` and `GET /organizers?email=E`.
async fn get_organizers(
    State(sim): State<Arc<Sim>>,
    query: Result<Query<EmailQuery>, QueryRejection>,
) -> Reply {
    let Query(q) = query.map_err(query_err)?;
    let world = sim.world();
    let Some(email) = q.email else {
        return Ok(Json(world.dir.v1_organizers()?).into_response());
    };
    let organizer = world
        .dir
        .by_email(&email)
        .ok_or_else(|| ApiError::not_found(format!("no organizer has email {email:?}")))?;
    Ok(Json([world.dir.v1_organizer(organizer)?]).into_response())
}

async fn create_organizer(
    State(sim): State<Arc<Sim>>,
    query: Result<Query<NoQuery>, QueryRejection>,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Reply {
    no_query(query)?;
    let Json(body) = body.map_err(json_err)?;
    let new = NewOrganizer {
        email: required("organizerEmail", body.organizer_email)?,
        first_name: required("firstName", body.first_name)?,
        last_name: required("lastName", body.last_name)?,
        ..NewOrganizer::default()
    };
    product(&required("productType", body.product_type)?)?;
    let mut world = sim.world();
    // v2's 402 (no paid seat) is a 403 in v1; a simulator set to answer 409 does so in both.
    let seat_error = match world.dir.seat_error {
        StatusCode::PAYMENT_REQUIRED => StatusCode::FORBIDDEN,
        other => other,
    };
    let organizer = world.dir.add_new(new, seat_error)?;
    let created = [world.dir.v1_short(&organizer)?];
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn get_organizer(
    State(sim): State<Arc<Sim>>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<NoQuery>, QueryRejection>,
) -> Reply {
    let key = key_of("organizerKey", key)?;
    no_query(query)?;
    let world = sim.world();
    let organizer = world.dir.organizer(&key)?;
    Ok(Json([world.dir.v1_organizer(organizer)?]).into_response())
}

/// Suspends (`{"status":"suspended"}`: the organizer loses every product) or re-activates
/// (`{"productType":"G2M"}`). Names, locale, time zone and roles cannot be changed in v1.
async fn update_organizer(
    State(sim): State<Arc<Sim>>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<NoQuery>, QueryRejection>,
    body: Result<Json<StatusBody>, JsonRejection>,
) -> Reply {
    let key = key_of("organizerKey", key)?;
    no_query(query)?;
    let mut world = sim.world();
    world.dir.organizer(&key)?;
    let Json(body) = body.map_err(json_err)?;
    let status = match (body.status.as_deref(), body.product_type.as_deref()) {
        (Some("suspended"), None) => OrganizerStatus::Suspended,
        (None, Some(p)) => {
            product(p)?;
            OrganizerStatus::Active
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "give either status or productType, not both",
            ));
        }
        (Some(other), None) => {
            return Err(ApiError::bad_request(format!(
                "status can only be \"suspended\" (assign a product to re-activate), got {other:?}"
            )));
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "give status \"suspended\" or a productType",
            ));
        }
    };
    world.dir.set_status(&key, status)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_organizer(
    State(sim): State<Arc<Sim>>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<NoQuery>, QueryRejection>,
) -> Reply {
    let key = key_of("organizerKey", key)?;
    no_query(query)?;
    let mut world = sim.world();
    world.dir.organizer(&key)?;
    world.dir.delete(&key, Timestamp::now(), CancelledVia::Api);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn upcoming_meetings(
    State(sim): State<Arc<Sim>>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<NoQuery>, QueryRejection>,
) -> Reply {
    let key = key_of("organizerKey", key)?;
    no_query(query)?;
    let meetings = sim.world().dir.v1_upcoming(&key, Timestamp::now())?;
    Ok(Json(meetings).into_response())
}

async fn historical_meetings(
    State(sim): State<Arc<Sim>>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Reply {
    let key = key_of("organizerKey", key)?;
    let window = range(query)?;
    let sessions = sim.world().dir.v1_history(&key, window, Timestamp::now())?;
    Ok(Json(sessions).into_response())
}

async fn attendees_by_organizer(
    State(sim): State<Arc<Sim>>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Reply {
    let key = key_of("organizerKey", key)?;
    let window = range(query)?;
    let rows = sim
        .world()
        .dir
        .v1_attendees_by_organizer(&key, window, Timestamp::now())?;
    Ok(Json(rows).into_response())
}

async fn attendees_by_meeting(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<NoQuery>, QueryRejection>,
) -> Reply {
    let id = key_of("meetingId", id)?;
    no_query(query)?;
    let rows = sim
        .world()
        .dir
        .v1_attendees_by_meeting(&id, Timestamp::now())?;
    Ok(Json(rows).into_response())
}
