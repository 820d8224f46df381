//! The GoTo Meeting REST API v2 routes, under `/G2M/rest/v2`. Bearer tokens, faults and the
//! request budget are checked before these handlers run (see `gate`).
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::directory::{CreateBody, UpdateBody};
use super::meetings::{MeetingFilter, Window};
use super::model::CancelledVia;
use super::paging::parse_limit;
use super::reply::ApiError;
use super::world::Sim;

type Reply = Result<Response, ApiError>;

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route(
            "/organizers/{key}",
            get(get_organizer).put(update_organizer),
        )
        .route("/organizers/{key}/meetings", get(list_meetings))
        .route(
            "/accounts/{account}/organizers",
            get(list_organizers).post(create_organizer),
        )
        .route(
            "/accounts/{account}/organizers/{key}",
            delete(delete_organizer),
        )
        .route(
            "/accounts/{account}/organizers/{key}/suspend",
            put(suspend_organizer),
        )
        .route("/meetings/{key}/attendees", get(list_attendees))
        .fallback(|| async { ApiError::not_found("no such API resource") })
}

/// `limit` and `pageToken`; any other parameter is refused, so a misspelt name is caught.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PageQuery {
    limit: Option<String>,
    page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MeetingsQuery {
    status: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    limit: Option<String>,
    page_token: Option<String>,
}

pub(crate) fn path_err(r: PathRejection) -> ApiError {
    ApiError::bad_request(r.body_text())
}

pub(crate) fn query_err(r: QueryRejection) -> ApiError {
    ApiError::bad_request(format!("bad query: {}", r.body_text()))
}

pub(crate) fn json_err(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "the body must be application/json",
        ),
        other => ApiError::bad_request(format!("bad JSON body: {}", other.body_text())),
    }
}

/// A page of items under `field`, with `nextPageToken` only when more remain.
fn page_body(field: &str, items: Vec<Value>, next: Option<String>) -> Response {
    let mut body = serde_json::Map::new();
    body.insert(field.to_string(), Value::Array(items));
    if let Some(next) = next {
        body.insert("nextPageToken".into(), Value::String(next));
    }
    Json(Value::Object(body)).into_response()
}

fn to_values<T: serde::Serialize>(items: Vec<T>) -> Vec<Value> {
    items
        .into_iter()
        .filter_map(|i| serde_json::to_value(i).ok())
        .collect()
}

async fn get_organizer(
    State(sim): State<Arc<Sim>>,
    key: Result<Path<String>, PathRejection>,
) -> Reply {
    let Path(key) = key.map_err(path_err)?;
    let world = sim.world();
    Ok(Json(world.dir.organizer(&key)?).into_response())
}

async fn list_organizers(
    State(sim): State<Arc<Sim>>,
    account: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Reply {
    let Path(account) = account.map_err(path_err)?;
    let Query(query) = query.map_err(query_err)?;
    let limit = parse_limit(query.limit.as_deref())?;
    let mut world = sim.world();
    world.dir.check_account(&account)?;
    let scope = format!("organizers:{account}");
    let after = world.pages.resolve(query.page_token.as_deref(), &scope)?;
    let items = world.dir.organizer_items();
    let (page, next) = world.pages.page(&scope, items, after.as_deref(), limit);
    Ok(page_body("organizers", to_values(page), next))
}

async fn create_organizer(
    State(sim): State<Arc<Sim>>,
    account: Result<Path<String>, PathRejection>,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Reply {
    let Path(account) = account.map_err(path_err)?;
    let mut world = sim.world();
    world.dir.check_account(&account)?;
    let Json(body) = body.map_err(json_err)?;
    let organizer = world.dir.create(body)?;
    Ok((StatusCode::CREATED, Json(organizer)).into_response())
}

async fn update_organizer(
    State(sim): State<Arc<Sim>>,
    key: Result<Path<String>, PathRejection>,
    body: Result<Json<UpdateBody>, JsonRejection>,
) -> Reply {
    let Path(key) = key.map_err(path_err)?;
    let mut world = sim.world();
    world.dir.organizer(&key)?;
    let Json(body) = body.map_err(json_err)?;
    Ok(Json(world.dir.update(&key, body)?).into_response())
}

async fn suspend_organizer(
    State(sim): State<Arc<Sim>>,
    keys: Result<Path<(String, String)>, PathRejection>,
) -> Reply {
    let Path((account, key)) = keys.map_err(path_err)?;
    sim.world().dir.suspend(&account, &key)?;
    Ok(Json(json!({ "organizerKey": key, "status": "SUSPENDED" })).into_response())
}

async fn delete_organizer(
    State(sim): State<Arc<Sim>>,
    keys: Result<Path<(String, String)>, PathRejection>,
) -> Reply {
    let Path((account, key)) = keys.map_err(path_err)?;
    let mut world = sim.world();
    world.dir.check_account(&account)?;
    world.dir.organizer(&key)?;
    world.dir.delete(&key, Timestamp::now(), CancelledVia::Api);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_meetings(
    State(sim): State<Arc<Sim>>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<MeetingsQuery>, QueryRejection>,
) -> Reply {
    let Path(key) = key.map_err(path_err)?;
    let Query(q) = query.map_err(query_err)?;
    let filter = MeetingFilter::parse(q.status.as_deref())?;
    let window = Window::parse(q.start_date.as_deref(), q.end_date.as_deref())?;
    let limit = parse_limit(q.limit.as_deref())?;
    let mut world = sim.world();
    let items = world
        .dir
        .meeting_items(&key, filter, window, Timestamp::now())?;
    let scope = format!(
        "meetings:{key}:{:?}:{:?}:{:?}",
        q.status, q.start_date, q.end_date
    );
    let after = world.pages.resolve(q.page_token.as_deref(), &scope)?;
    let (page, next) = world.pages.page(&scope, items, after.as_deref(), limit);
    Ok(page_body("meetings", to_values(page), next))
}

async fn list_attendees(
    State(sim): State<Arc<Sim>>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Reply {
    let Path(key) = key.map_err(path_err)?;
    let Query(q) = query.map_err(query_err)?;
    let limit = parse_limit(q.limit.as_deref())?;
    let mut world = sim.world();
    let items = world.dir.attendee_items(&key, Timestamp::now())?;
    let scope = format!("attendees:{key}");
    let after = world.pages.resolve(q.page_token.as_deref(), &scope)?;
    let (page, next) = world.pages.page(&scope, items, after.as_deref(), limit);
    Ok(page_body("attendees", to_values(page), next))
}
