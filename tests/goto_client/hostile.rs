//! A GoToAccount's `apiBaseUrl` and `tokenUrl` are chosen by whoever may write it in some
//! namespace: these tests play a hostile or broken endpoint (a tiny axum app on a loopback
//! port) and check that the client stays bounded, refuses what it must, and never echoes
//! what the endpoint sent.
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use goto_operator::goto::{
    AccountKey, ClientConfig, Credentials, Error, GoToClient, OrganizerKey, RetryPolicy,
};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request the hostile endpoint received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: Method,
    pub path: String,
}

/// How the hostile endpoint answers: one function for the token endpoint, one for the API.
#[derive(Clone, Copy)]
pub struct Hostile {
    pub token: fn(&Uri) -> Response,
    pub api: fn(&Uri) -> Response,
}

/// A token endpoint that works.
pub fn good_token(_: &Uri) -> Response {
    json_response(
        StatusCode::OK,
        r#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#,
    )
}

pub fn json_response(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[derive(Clone)]
struct AppState {
    hostile: Hostile,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn answer(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    state.seen.lock().unwrap().push(Seen {
        method: method.clone(),
        path: uri.path().to_owned(),
    });
    if uri.path() == "/oauth/token" {
        (state.hostile.token)(&uri)
    } else {
        (state.hostile.api)(&uri)
    }
}

/// A running hostile endpoint; stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(hostile: Hostile) -> Server {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(answer).with_state(AppState {
            hostile,
            seen: seen.clone(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server { addr, seen, task }
    }

    pub fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::new(
            AccountKey::new("1"),
            Credentials {
                client_id: "id".into(),
                client_secret: SecretString::from("s3cr3t"),
            },
        );
        config.api_base_url = format!("http://{}/G2M/rest/v2", self.addr).parse().unwrap();
        config.token_url = format!("http://{}/oauth/token", self.addr).parse().unwrap();
        config.requests_per_second = NonZeroU32::new(1000).unwrap();
        config.request_timeout = Duration::from_secs(2);
        config.retry = RetryPolicy {
            max_retries: 1,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
        };
        config
    }

    pub fn client(&self) -> GoToClient {
        GoToClient::new(self.config()).unwrap()
    }

    /// Requests that could have changed something in GoTo.
    pub fn writes(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path != "/oauth/token" && s.method != Method::GET)
            .cloned()
            .collect()
    }

    pub fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn redirect_to(location: String) -> Response {
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, location)
        .body(Body::from("moved"))
        .unwrap()
}

fn unreachable_api(_: &Uri) -> Response {
    json_response(StatusCode::OK, r#"{"organizerKey":"1","email":"a@b.c"}"#)
}

#[test]
fn endpoints_are_https_or_loopback_http() {
    let credentials = Credentials {
        client_id: "id".into(),
        client_secret: SecretString::from("s3cr3t"),
    };
    let mut config = ClientConfig::new(AccountKey::new("1"), credentials);
    config.api_base_url = "http://api.example.com/G2M/rest/v2".parse().unwrap();
    let error = GoToClient::new(config.clone()).unwrap_err();
    assert!(matches!(&error, Error::Config(m) if m.contains("apiBaseUrl must use https")));
    config.api_base_url = "https://api.example.com/G2M/rest/v2".parse().unwrap();
    config.token_url = "http://169.254.169.254/oauth/token".parse().unwrap();
    let error = GoToClient::new(config.clone()).unwrap_err();
    assert!(matches!(&error, Error::Config(m) if m.contains("tokenUrl must use https")));
    config.token_url = "http://127.0.0.1:1/oauth/token".parse().unwrap();
    assert!(GoToClient::new(config).is_ok());
}

/// A redirect target that counts what reaches it.
async fn target() -> Server {
    Server::start(Hostile {
        token: good_token,
        api: unreachable_api,
    })
    .await
}

#[tokio::test]
async fn a_redirect_of_the_token_endpoint_is_not_followed() {
    let elsewhere = target().await;
    let location = format!("http://{}/oauth/token", elsewhere.addr);
    REDIRECT.lock().unwrap().clone_from(&location);
    let server = Server::start(Hostile {
        token: |_| redirect_to(REDIRECT.lock().unwrap().clone()),
        api: unreachable_api,
    })
    .await;
    let error = server.client().authenticate().await.unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("HTTP 302, a redirect")),
        "{error:?}"
    );
    assert_eq!(elsewhere.requests(), 0, "the redirect was followed");
    assert!(!error.to_string().contains(&location));
}

#[tokio::test]
async fn a_redirect_of_an_api_call_is_not_followed() {
    let elsewhere = target().await;
    REDIRECT_API.lock().unwrap().clone_from(&format!(
        "http://{}/G2M/rest/v2/organizers/1",
        elsewhere.addr
    ));
    let server = Server::start(Hostile {
        token: good_token,
        api: |_| redirect_to(REDIRECT_API.lock().unwrap().clone()),
    })
    .await;
    let error = server
        .client()
        .get_organizer(&OrganizerKey::new("1"))
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::Config(_)), "{error:?}");
    assert_eq!(elsewhere.requests(), 0, "the redirect was followed");
    assert!(server.writes().is_empty());
}

/// Where the redirecting handlers point (handlers are plain fns: they read it from here).
static REDIRECT: Mutex<String> = Mutex::new(String::new());
static REDIRECT_API: Mutex<String> = Mutex::new(String::new());

/// Headers, then a body that never comes.
fn silent(_: &Uri) -> Response {
    let stream = futures::stream::once(async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok::<_, std::io::Error>(axum::body::Bytes::new())
    });
    Response::new(Body::from_stream(stream))
}

#[tokio::test]
async fn a_silent_endpoint_costs_one_timeout_then_fails_fast() {
    let server = Server::start(Hostile {
        token: good_token,
        api: silent,
    })
    .await;
    let mut config = server.config();
    config.request_timeout = Duration::from_millis(500);
    config.retry.max_retries = 4;
    let client = GoToClient::new(config).unwrap();
    let key = OrganizerKey::new("1");
    let started = std::time::Instant::now();
    let first = client.get_organizer(&key).await.unwrap_err();
    assert!(
        matches!(&first, Error::Transient(m) if m == "timed out"),
        "{first:?}"
    );
    // One timeout, not one per retry.
    assert!(
        started.elapsed() < Duration::from_millis(1_400),
        "{:?}",
        started.elapsed()
    );
    // Every caller after it fails at once, without a request.
    let requests = server.requests();
    let started = std::time::Instant::now();
    let calls = (0..20).map(|_| client.get_organizer(&key));
    for result in futures::future::join_all(calls).await {
        assert!(
            matches!(&result, Err(Error::Transient(m)) if m.starts_with("not asked again")),
            "{result:?}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        server.requests(),
        requests,
        "nothing was sent during the cool-off"
    );
}

#[tokio::test]
async fn another_account_is_served_while_one_endpoint_is_silent() {
    let silent_server = Server::start(Hostile {
        token: good_token,
        api: silent,
    })
    .await;
    let healthy = Server::start(Hostile {
        token: good_token,
        api: unreachable_api,
    })
    .await;
    let mut config = silent_server.config();
    config.request_timeout = Duration::from_secs(3);
    let stalled = GoToClient::new(config).unwrap();
    let key = OrganizerKey::new("1");
    let hanging = tokio::spawn(async move { stalled.get_organizer(&key).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    healthy
        .client()
        .get_organizer(&OrganizerKey::new("1"))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(
        !hanging.is_finished(),
        "the silent endpoint is still being waited for"
    );
    hanging.abort();
}
