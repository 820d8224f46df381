//! The simulator's error answers: a status and a small JSON body saying what was wrong, so a
//! client author can see at once which rule of the contract was broken.
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An API error: status, a stable code, and a human description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        description: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            description: description.into(),
        }
    }

    pub(crate) fn bad_request(description: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "InvalidRequest", description)
    }

    pub(crate) fn not_found(description: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "NotFound", description)
    }

    pub(crate) fn conflict(description: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, "Conflict", description)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "errorCode": self.code, "description": self.description });
        (self.status, Json(body)).into_response()
    }
}

/// A bare status with a JSON body, for injected faults.
pub(crate) fn fault_response(status: StatusCode, retry_after: Option<u64>) -> Response {
    let mut resp =
        ApiError::new(status, "InjectedFault", "fault injected by the simulator").into_response();
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// 429 Too Many Requests with `Retry-After` in whole seconds.
pub(crate) fn rate_limited(retry_after: u64) -> Response {
    let mut resp = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        format!("rate limit exceeded: retry after {retry_after} s"),
    )
    .into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    resp
}

/// 401 for a missing, unknown or expired bearer token.
pub(crate) fn invalid_token(description: &str) -> Response {
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": "invalid_token", "error_description": description })),
    )
        .into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    resp
}
