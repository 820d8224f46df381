//! The middleware every request passes: it logs the request, adds latency, applies injected
//! faults (before or after the handler), checks the bearer token and the account's request
//! budget, for v2 (`/G2M/rest/v2/...`) and v1 (`/G2M/rest/...`) alike. When recording is on it
//! also keeps every v1 exchange whole, request and answer, for the conformance judge.
//! `/_sim/` requests pass straight through, unlogged.
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngExt;
use serde_json::Value;
use tokio::time::Instant;

use super::api_v1::V1_PREFIX;
use super::auth::bearer;
use super::conn::ConnKill;
use super::faults::Verdict;
use super::limits::Admission;
use super::model::{Exchange, RecordedRequest};
use super::reply::{ApiError, fault_response, invalid_token, rate_limited};
use super::world::Sim;

/// The v2 API's path prefix.
pub(crate) const API_PREFIX: &str = "/G2M/rest/v2";
/// The token endpoint's path.
pub(crate) const TOKEN_PATH: &str = "/oauth/token";
/// Bodies above this are refused (413).
const MAX_BODY: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Api,
    Token,
    Control,
    Other,
}

fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A v1 path: under `/G2M/rest` but not under v2's `/G2M/rest/v2`.
pub(crate) fn is_v1(path: &str) -> bool {
    under(path, V1_PREFIX) && !under(path, API_PREFIX)
}

fn classify(path: &str) -> Class {
    // v2's prefix lies under v1's: both dialects are the API.
    if under(path, V1_PREFIX) {
        Class::Api
    } else if path == TOKEN_PATH {
        Class::Token
    } else if path.starts_with("/_sim/") {
        Class::Control
    } else {
        Class::Other
    }
}

/// Runs one request through logging, latency, faults, auth and the request budget.
pub(crate) async fn gate(State(sim): State<Arc<Sim>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let class = classify(&path);
    if class == Class::Control {
        return next.run(req).await;
    }
    let mut record = RecordedRequest {
        method: req.method().to_string(),
        path,
        query: req.uri().query().map(redact_query),
        status: 0,
        at: jiff::Timestamp::now(),
        body: None,
        dropped: false,
    };
    let kill = req
        .extensions()
        .get::<ConnectInfo<ConnKill>>()
        .map(|c| c.0.clone());
    let mut exchange = exchange_of(&sim, class, &record, &req);
    let (req, body, too_large) = buffer(req).await;
    if let Some(exchange) = &mut exchange {
        exchange.request_body = body.clone();
    }
    // The token endpoint's body holds the client secret: it is never kept.
    if class == Class::Api && record.method != Method::GET.as_str() {
        record.body = body;
    }
    // Whether this request came back during a 429's Retry-After, whatever answer it gets.
    let early = match class {
        Class::Api => sim.world().limiter.arrival(Instant::now()),
        _ => None,
    };
    let answered = answer(&sim, class, early, too_large, &record, req, next).await;
    let response = match (answered, kill) {
        (Some(resp), _) => resp,
        (None, Some(kill)) => {
            kill.kill();
            record.dropped = true;
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        // Not served through the killable listener: the closest thing is an empty 500.
        (None, None) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if !record.dropped {
        record.status = response.status().as_u16();
    }
    let response = match exchange {
        Some(exchange) => keep_exchange(&sim, exchange, &record, response).await,
        None => response,
    };
    log(&sim, record);
    response
}

/// A v1 exchange to keep, when the simulator records them (the conformance judge reads them).
fn exchange_of(
    sim: &Sim,
    class: Class,
    record: &RecordedRequest,
    req: &Request,
) -> Option<Exchange> {
    (class == Class::Api && is_v1(&record.path) && sim.world().recording).then(|| Exchange {
        method: record.method.clone(),
        path: record.path.clone(),
        query: record.query.clone(),
        request_headers: req
            .headers()
            .keys()
            .map(|k| k.as_str().to_string())
            .collect(),
        request_body: None,
        status: 0,
        response_content_type: None,
        response_body: None,
        response_text: String::new(),
        dropped: false,
    })
}

/// The answer after latency and faults (before and after the handler); `None`: the connection
/// is dropped without one.
async fn answer(
    sim: &Sim,
    class: Class,
    early: Option<u64>,
    too_large: bool,
    record: &RecordedRequest,
    req: Request,
    next: Next,
) -> Option<Response> {
    let latency = sim.world().faults.latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let plan = sim
        .world()
        .faults
        .plan(&record.method, &record.path, class == Class::Api, |p| {
            rand::rng().random_bool(p)
        });
    let answered = match plan.before {
        Verdict::Drop => None,
        Verdict::Respond {
            status,
            retry_after,
        } => Some(forced(sim, status, retry_after)),
        Verdict::Pass if too_large => Some(
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PayloadTooLarge",
                "body too large",
            )
            .into_response(),
        ),
        Verdict::Pass => Some(admit_and_run(sim, class, early, req, next).await),
    };
    match (answered, plan.after) {
        (Some(resp), Verdict::Pass) => Some(resp),
        (
            Some(_),
            Verdict::Respond {
                status,
                retry_after,
            },
        ) => Some(forced(sim, status, retry_after)),
        (Some(_), Verdict::Drop) | (None, _) => None,
    }
}

/// Completes a v1 exchange with the answer (read whole, then rebuilt) and keeps it.
async fn keep_exchange(
    sim: &Sim,
    mut exchange: Exchange,
    record: &RecordedRequest,
    response: Response,
) -> Response {
    exchange.dropped = record.dropped;
    exchange.status = record.status;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if !record.dropped {
        exchange.response_content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        exchange.response_text = String::from_utf8_lossy(&bytes).into_owned();
        exchange.response_body = (!bytes.is_empty()).then(|| {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(exchange.response_text.clone()))
        });
    }
    sim.world().record_exchange(exchange);
    Response::from_parts(parts, Body::from(bytes))
}

/// Reads the whole body (so it can be logged) and rebuilds the request around it. Returns the
/// body as JSON (a string when it is not JSON), and whether it was too large.
async fn buffer(req: Request) -> (Request, Option<Value>, bool) {
    let (parts, body) = req.into_parts();
    let (bytes, too_large) = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => (bytes, false),
        Err(_) => (Bytes::new(), true),
    };
    let json = (!bytes.is_empty()).then(|| {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    });
    (
        Request::from_parts(parts, Body::from(bytes)),
        json,
        too_large,
    )
}

/// Keeps the request in the log and shows it on stderr (never a body or a token).
fn log(sim: &Sim, record: RecordedRequest) {
    tracing::info!(
        target: "goto_simulator",
        method = %record.method,
        path = %record.path,
        query = record.query.as_deref().unwrap_or(""),
        status = record.status,
        dropped = record.dropped,
        "request"
    );
    sim.world().record(record);
}

/// Query parameters whose values are secrets, should a client put one in a URL.
const SECRET_PARAMS: [&str; 5] = [
    "access_token",
    "refresh_token",
    "client_secret",
    "token",
    "code",
];

/// The query string with the values of secret parameters replaced, for the request log.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMS.contains(&name.to_ascii_lowercase().as_str()) => {
                format!("{name}=[redacted]")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Checks the bearer token and the request budget of API requests (`early`: the seconds left
/// of a running Retry-After), then runs the handler.
async fn admit_and_run(
    sim: &Sim,
    class: Class,
    early: Option<u64>,
    req: Request,
    next: Next,
) -> Response {
    if class == Class::Api {
        let now = Instant::now();
        let mut world = sim.world();
        match bearer(req.headers()) {
            None => return invalid_token("missing bearer token"),
            Some(token) if !world.tokens.is_valid(token, now) => {
                return invalid_token("unknown or expired access token");
            }
            Some(_) => {}
        }
        if let Some(retry_after) = early {
            world.limiter.limited += 1;
            return rate_limited(retry_after);
        }
        if let Admission::Limited { retry_after } = world.limiter.admit(now) {
            return rate_limited(retry_after);
        }
    }
    next.run(req).await
}

/// An injected status; an injected 429 counts like a real one.
fn forced(sim: &Sim, status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == StatusCode::TOO_MANY_REQUESTS {
        let mut world = sim.world();
        match retry_after {
            Some(secs) => world.limiter.told_to_wait(Instant::now(), secs),
            None => world.limiter.limited += 1,
        }
    }
    fault_response(status, retry_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(classify("/G2M/rest/v2/organizers/1"), Class::Api);
        assert_eq!(classify("/G2M/rest/v2"), Class::Api);
        // v1 lives under /G2M/rest: an unknown path there is still the API (token, 404).
        assert_eq!(classify("/G2M/rest/v20"), Class::Api);
        assert_eq!(classify("/G2M/rest/organizers"), Class::Api);
        assert_eq!(classify("/G2M/restful"), Class::Other);
        assert!(is_v1("/G2M/rest/organizers/1") && is_v1("/G2M/rest/v20"));
        assert!(!is_v1("/G2M/rest/v2/organizers/1") && !is_v1("/G2M/rest/v2"));
        assert_eq!(classify("/oauth/token"), Class::Token);
        assert_eq!(classify("/_sim/state"), Class::Control);
        assert_eq!(classify("/"), Class::Other);
    }

    #[test]
    fn secrets_in_queries_are_redacted() {
        assert_eq!(
            redact_query("limit=5&pageToken=abc"),
            "limit=5&pageToken=abc"
        );
        assert_eq!(
            redact_query("access_token=xyz&limit=5&Client_Secret=s"),
            "access_token=[redacted]&limit=5&Client_Secret=[redacted]"
        );
    }
}
