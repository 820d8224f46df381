//! The OAuth token endpoint (`POST /oauth/token`): client credentials with HTTP Basic auth
//! (form fields accepted too), expiring opaque access tokens, and rotating refresh tokens.
//! Neither the request body nor any token is ever logged.
use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use tokio::time::Instant;

use super::world::Sim;

/// Scopes an admin client-credentials token may carry (goto-api.md).
const SCOPES: [&str; 5] = [
    "admin:org.read",
    "admin:org.manage",
    "identity:scim.user.management",
    "collab:meeting:read",
    "collab:meeting:manage",
];

/// The bearer token of a request, if it has one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `POST /oauth/token`.
pub(crate) async fn token(
    State(sim): State<Arc<Sim>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.query().is_some() {
        // Credentials in a URL end up in proxy and server logs: refuse them outright.
        return OAuthError::request("parameters belong in the form body, not the URL")
            .into_response();
    }
    match grant(&sim, &headers, &body) {
        Ok(resp) => resp,
        Err(err) => err.into_response(),
    }
}

fn grant(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(OAuthError::request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let mut form = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if form.insert(name.to_string(), value.to_string()).is_some() {
            return Err(OAuthError::request("a parameter is repeated"));
        }
    }
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::request("grant_type is required"))?;
    let (id, secret) = client_credentials(headers, &form)?;
    if !sim.client_matches(&id, &secret) {
        return Err(OAuthError::client());
    }
    let scope = scope(form.get("scope"))?;
    let now = Instant::now();
    let mut world = sim.world();
    match grant_type.as_str() {
        "client_credentials" => {}
        "refresh_token" => {
            let given = form
                .get("refresh_token")
                .ok_or_else(|| OAuthError::request("refresh_token is required"))?;
            if !world.tokens.redeem_refresh(given) {
                return Err(OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant"));
            }
        }
        _ => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
            ));
        }
    }
    let (access, refresh) = world.tokens.issue(sim.token_ttl, now);
    drop(world);
    let body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": sim.token_ttl.as_secs(),
        "refresh_token": refresh,
        "scope": scope,
    });
    let mut resp = Json(body).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Client id and secret from HTTP Basic auth or (not both) the form.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(String, String), OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, b64)| b64.trim());
    let in_form = form.contains_key("client_secret");
    match (basic, in_form) {
        (Some(_), true) => Err(OAuthError::request(
            "use one client authentication method, not two",
        )),
        (Some(b64), false) => {
            let decoded = STANDARD.decode(b64).map_err(|_| OAuthError::client())?;
            let text = String::from_utf8(decoded).map_err(|_| OAuthError::client())?;
            let (id, secret) = text.split_once(':').ok_or_else(OAuthError::client)?;
            Ok((id.to_string(), secret.to_string()))
        }
        (None, true) => {
            let id = form.get("client_id").cloned().unwrap_or_default();
            let secret = form.get("client_secret").cloned().unwrap_or_default();
            Ok((id, secret))
        }
        (None, false) => Err(OAuthError::client()),
    }
}

fn scope(requested: Option<&String>) -> Result<String, OAuthError> {
    let Some(requested) = requested.filter(|s| !s.trim().is_empty()) else {
        return Ok(SCOPES.join(" "));
    };
    if requested.split_whitespace().all(|s| SCOPES.contains(&s)) {
        Ok(requested.split_whitespace().collect::<Vec<_>>().join(" "))
    } else {
        Err(OAuthError::new(StatusCode::BAD_REQUEST, "invalid_scope"))
    }
}

/// An OAuth error answer (`{"error": ...}`), RFC 6749 section 5.2.
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: Option<&'static str>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str) -> Self {
        OAuthError {
            status,
            error,
            description: None,
        }
    }

    fn request(description: &'static str) -> Self {
        OAuthError {
            description: Some(description),
            ..OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request")
        }
    }

    fn client() -> Self {
        OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client")
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = match self.description {
            Some(d) => json!({ "error": self.error, "error_description": d }),
            None => json!({ "error": self.error }),
        };
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"goto-simulator\""),
            );
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn scopes() {
        assert_eq!(scope(None).ok(), Some(SCOPES.join(" ")));
        let one = "admin:org.read".to_string();
        assert_eq!(scope(Some(&one)).ok(), Some(one.clone()));
        assert!(scope(Some(&"admin:everything".to_string())).is_err());
    }
}
