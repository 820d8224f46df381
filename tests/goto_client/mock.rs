//! A few tests need a GoTo that misbehaves in ways the simulator, which keeps the contract,
//! never does (a repeated page token), or that shows what the simulator does not log (which
//! OAuth grant a token request used). A tiny axum app on a loopback port plays that GoTo.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use futures::StreamExt;
use goto_operator::goto::{AccountKey, ClientConfig, Credentials, Error, GoToClient, OrganizerKey};
use secrecy::SecretString;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

/// Serves `app` on a free loopback port until the returned guard is dropped.
async fn serve(app: Router) -> (SocketAddr, AbortOnDrop) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, AbortOnDrop(server))
}

struct AbortOnDrop(tokio::task::JoinHandle<std::io::Result<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn client(addr: SocketAddr) -> GoToClient {
    let mut config = ClientConfig::new(
        AccountKey::new("1"),
        Credentials {
            client_id: "id".into(),
            client_secret: SecretString::from("x"),
        },
    );
    config.api_base_url = format!("http://{addr}/G2M/rest/v2").parse().unwrap();
    config.token_url = format!("http://{addr}/oauth/token").parse().unwrap();
    config.requests_per_second = NonZeroU32::new(1000).unwrap();
    GoToClient::new(config).unwrap()
}

#[tokio::test]
async fn a_repeated_page_token_ends_the_stream_with_an_error() {
    let app = Router::new()
        .route(
            "/oauth/token",
            post(|| async { Json(json!({"access_token":"t","expires_in":3600})) }),
        )
        .route(
            "/G2M/rest/v2/accounts/{account}/organizers",
            get(|| async {
                Json(json!({"organizers":[{"organizerKey":"1"}],"nextPageToken":"again"}))
            }),
        );
    let (addr, _server) = serve(app).await;
    let items: Vec<_> = client(addr).list_organizers().collect().await;
    assert_eq!(items.len(), 2, "the first page, then the error: {items:?}");
    assert!(matches!(items[1], Err(Error::Decode(_))));
}

/// A GoTo whose access tokens each work for exactly one request, and whose second refresh
/// token is refused: every call after the first must renew, by refresh_token when it can.
#[derive(Default)]
struct OneShotTokens {
    grants: Vec<String>,
    issued: usize,
    used: Vec<String>,
}

async fn token(
    State(state): State<Arc<Mutex<OneShotTokens>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().unwrap();
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    state.grants.push(grant.clone());
    if grant == "refresh_token" && form.get("refresh_token").map(String::as_str) != Some("r1") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error":"invalid_grant"})),
        )
            .into_response();
    }
    state.issued += 1;
    let n = state.issued;
    Json(json!({"access_token": format!("t{n}"), "expires_in": 3600, "refresh_token": format!("r{n}")}))
        .into_response()
}

async fn organizer(State(state): State<Arc<Mutex<OneShotTokens>>>, headers: HeaderMap) -> Response {
    let mut state = state.lock().unwrap();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if state.used.contains(&bearer) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    state.used.push(bearer);
    Json(json!({"organizerKey":"7","email":"a@example.com"})).into_response()
}

#[tokio::test]
async fn renewal_uses_the_refresh_token_and_falls_back_to_client_credentials() {
    let state = Arc::new(Mutex::new(OneShotTokens::default()));
    let app = Router::new()
        .route("/oauth/token", post(token))
        .route("/G2M/rest/v2/organizers/{key}", get(organizer))
        .with_state(state.clone());
    let (addr, _server) = serve(app).await;
    let client = client(addr);
    for _ in 0..3 {
        client.get_organizer(&OrganizerKey::new("7")).await.unwrap();
    }
    // t1 works once; then r1 gives t2; then r2 is refused and client credentials give t3.
    assert_eq!(
        state.lock().unwrap().grants,
        [
            "client_credentials",
            "refresh_token",
            "refresh_token",
            "client_credentials"
        ]
    );
}
