//! The proof table of hostile endpoints (issue 11, "Tenant isolation"): every row is one bad
//! answer a tenant's `apiBaseUrl`/`tokenUrl` can give, the error the client must end with, and
//! the checks every row shares: the call ends (bounded time), nothing panicked, no write reached
//! GoTo (except the one create a create row sends), and the error's message, which becomes
//! status, Events and logs, quotes nothing of the answer (no `CANARY`), stays short and has
//! no control characters.
use crate::hostile::{Hostile, Server, good_token, json_response};
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, TryStreamExt};
use goto_operator::goto::{ClientConfig, Error, MeetingQuery, NewOrganizer, OrganizerKey};
use std::time::Duration;

/// What each row asks the client to do.
#[derive(Clone, Copy, Debug)]
enum Call {
    /// Get a token (the account reconcile's check).
    Authenticate,
    /// Read one organizer.
    Get,
    /// List every organizer (the email lookup before a create).
    List,
    /// List an organizer's upcoming meetings (the offboarding audit).
    Meetings,
    /// Create an organizer: one POST may reach GoTo, never a second.
    Create,
    /// The strict audit of upcoming meetings that precedes a DELETE.
    Audit,
}

/// The error a row must end with.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Ok,
    Decode(&'static str),
    Config(&'static str),
    TimedOut,
    Transient,
    /// Rate limited, Retry-After (when given) at most an hour.
    RateLimited,
    BadRequest(&'static str),
    Unauthorized,
    NotFound,
}

struct Row {
    name: &'static str,
    token: fn(&Uri) -> Response,
    api: fn(&Uri) -> Response,
    call: Call,
    expect: Expect,
}

const CANARY: &str = "CANARY-cluster-internal-data";
const API: fn(&Uri) -> Response = |_| ok_organizer();

fn ok_organizer() -> Response {
    json_response(
        StatusCode::OK,
        r#"{"organizerKey":"1","email":"a@example.com","status":"ACTIVE"}"#,
    )
}

fn with_body(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn sized(bytes: usize) -> Response {
    with_body(StatusCode::OK, "x".repeat(bytes))
}

/// A body that never ends, 64 KiB at a time.
fn endless() -> Response {
    let chunk = Bytes::from(vec![b' '; 64 * 1024]);
    let stream = futures::stream::repeat(chunk).map(Ok::<_, std::io::Error>);
    Response::new(Body::from_stream(stream))
}

/// One byte every 200 ms, forever.
fn trickle() -> Response {
    let stream = futures::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Some((Ok::<_, std::io::Error>(Bytes::from_static(b" ")), ()))
    });
    Response::new(Body::from_stream(stream))
}

/// A body that never comes: the headers arrive, then nothing for an hour.
fn stall() -> Response {
    let stream = futures::stream::once(async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok::<_, std::io::Error>(Bytes::new())
    });
    Response::new(Body::from_stream(stream))
}

fn too_many(retry_after: &'static str) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, retry_after)],
        CANARY,
    )
        .into_response()
}

fn token_with(body: &'static str) -> Response {
    json_response(StatusCode::OK, body)
}

fn page_token(uri: &Uri) -> u64 {
    uri.query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("pageToken=")))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// Every page names a new next page, for ever.
fn endless_pages(uri: &Uri) -> Response {
    let next = page_token(uri) + 1;
    with_body(
        StatusCode::OK,
        format!(r#"{{"organizers":[],"meetings":[],"nextPageToken":"{next}"}}"#),
    )
}

/// Pages of almost 1 MiB each, each naming a next one.
fn heavy_pages(uri: &Uri) -> Response {
    let next = page_token(uri) + 1;
    let pad = " ".repeat(1_000_000);
    with_body(
        StatusCode::OK,
        format!(r#"{{"organizers":[],{pad}"meetings":[],"nextPageToken":"{next}"}}"#),
    )
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "a listing of 1 MiB pages for ever",
            token: good_token,
            api: heavy_pages,
            call: Call::List,
            expect: Expect::Decode("passed 32 MiB"),
        },
        Row {
            name: "an audit of 1 MiB pages for ever",
            token: good_token,
            api: heavy_pages,
            call: Call::Audit,
            expect: Expect::Decode("passed 32 MiB"),
        },
        Row {
            name: "an audit whose page tokens never end",
            token: good_token,
            api: endless_pages,
            call: Call::Audit,
            expect: Expect::Decode("more than 1000 pages"),
        },
        Row {
            name: "an audit page without a meetings array",
            token: good_token,
            api: |_| with_body(StatusCode::OK, format!(r#"{{"items":"{CANARY}"}}"#)),
            call: Call::Audit,
            expect: Expect::Decode("meetings"),
        },
        // Oversized and endless bodies.
        Row {
            name: "API body of 2 MiB with a Content-Length",
            token: good_token,
            api: |_| sized(2 * 1024 * 1024),
            call: Call::Get,
            expect: Expect::Decode("larger than 1024 KiB"),
        },
        Row {
            name: "API body that never ends (chunked)",
            token: good_token,
            api: |_| endless(),
            call: Call::Get,
            expect: Expect::Decode("larger than 1024 KiB"),
        },
        Row {
            name: "listing page that never ends",
            token: good_token,
            api: |_| endless(),
            call: Call::List,
            expect: Expect::Decode("larger than 1024 KiB"),
        },
        Row {
            name: "token body of 100 KiB",
            token: |_| sized(100 * 1024),
            api: API,
            call: Call::Authenticate,
            expect: Expect::Decode("larger than 64 KiB"),
        },
        Row {
            name: "token body that never ends",
            token: |_| endless(),
            api: API,
            call: Call::Authenticate,
            expect: Expect::Decode("larger than 64 KiB"),
        },
        // Slow endpoints: the per-request timeout ends them.
        Row {
            name: "API body trickling a byte at a time",
            token: good_token,
            api: |_| trickle(),
            call: Call::Get,
            expect: Expect::TimedOut,
        },
        Row {
            name: "API that never sends its body",
            token: good_token,
            api: |_| stall(),
            call: Call::Meetings,
            expect: Expect::TimedOut,
        },
        Row {
            name: "token endpoint trickling its body",
            token: |_| trickle(),
            api: API,
            call: Call::Authenticate,
            expect: Expect::TimedOut,
        },
        // Retry-After in every absurd form.
        Row {
            name: "Retry-After of u64::MAX seconds",
            token: good_token,
            api: |_| too_many("18446744073709551615"),
            call: Call::Get,
            expect: Expect::RateLimited,
        },
        Row {
            name: "Retry-After longer than any integer",
            token: good_token,
            api: |_| too_many("99999999999999999999999999999999"),
            call: Call::Meetings,
            expect: Expect::RateLimited,
        },
        Row {
            name: "Retry-After as an HTTP date in 2200",
            token: good_token,
            api: |_| too_many("Wed, 01 Jan 2200 00:00:00 GMT"),
            call: Call::List,
            expect: Expect::RateLimited,
        },
        Row {
            name: "Retry-After negative",
            token: good_token,
            api: |_| too_many("-1"),
            call: Call::Get,
            expect: Expect::RateLimited,
        },
        Row {
            name: "Retry-After garbage",
            token: good_token,
            api: |_| too_many("soon, maybe"),
            call: Call::Get,
            expect: Expect::RateLimited,
        },
        Row {
            name: "token endpoint 429 with a huge Retry-After",
            token: |_| too_many("18446744073709551615"),
            api: API,
            call: Call::Authenticate,
            expect: Expect::RateLimited,
        },
        Row {
            name: "create answered 429 with a huge Retry-After: one POST, no resend",
            token: good_token,
            api: |_| too_many("18446744073709551615"),
            call: Call::Create,
            expect: Expect::RateLimited,
        },
        // Token responses.
        Row {
            name: "expires_in of u64::MAX",
            token: |_| token_with(r#"{"access_token":"t","expires_in":18446744073709551615}"#),
            api: API,
            call: Call::Get,
            expect: Expect::Ok,
        },
        Row {
            name: "expires_in negative",
            token: |_| token_with(r#"{"access_token":"t","expires_in":-3600}"#),
            api: API,
            call: Call::Get,
            expect: Expect::Ok,
        },
        Row {
            name: "expires_in as a word",
            token: |_| token_with(r#"{"access_token":"t","expires_in":"forever"}"#),
            api: API,
            call: Call::Get,
            expect: Expect::Ok,
        },
        Row {
            name: "expires_in beyond f64",
            token: |_| token_with(r#"{"access_token":"t","expires_in":1e400}"#),
            api: API,
            call: Call::Authenticate,
            expect: Expect::Decode("token response"),
        },
        Row {
            name: "token response without access_token",
            token: |_| {
                token_with(r#"{"token_type":"Bearer","note":"CANARY-cluster-internal-data"}"#)
            },
            api: API,
            call: Call::Authenticate,
            expect: Expect::Decode("token response"),
        },
        Row {
            name: "token response that is HTML",
            token: |_| with_body(StatusCode::OK, format!("<html>{CANARY}</html>")),
            api: API,
            call: Call::Authenticate,
            expect: Expect::Decode("token response"),
        },
        Row {
            name: "token endpoint 500 echoing the request",
            token: |_| with_body(StatusCode::INTERNAL_SERVER_ERROR, CANARY.to_owned()),
            api: API,
            call: Call::Authenticate,
            expect: Expect::Transient,
        },
        Row {
            name: "token endpoint 400 with an OAuth error",
            token: |_| {
                with_body(
                    StatusCode::BAD_REQUEST,
                    format!(r#"{{"error":"invalid_client","error_description":"{CANARY}"}}"#),
                )
            },
            api: API,
            call: Call::Authenticate,
            expect: Expect::Unauthorized,
        },
        Row {
            name: "API 401 for every token",
            token: good_token,
            api: |_| with_body(StatusCode::UNAUTHORIZED, CANARY.to_owned()),
            call: Call::Get,
            expect: Expect::Unauthorized,
        },
        // Pages.
        Row {
            name: "the same page token again and again",
            token: good_token,
            api: |_| {
                json_response(
                    StatusCode::OK,
                    r#"{"organizers":[],"nextPageToken":"again"}"#,
                )
            },
            call: Call::List,
            expect: Expect::Decode("repeated a page token"),
        },
        Row {
            name: "a new page token for ever",
            token: good_token,
            api: endless_pages,
            call: Call::Meetings,
            expect: Expect::Decode("more than 10000 pages"),
        },
        Row {
            name: "a page token of 10 KiB",
            token: good_token,
            api: |_| {
                with_body(
                    StatusCode::OK,
                    format!(
                        r#"{{"organizers":[],"nextPageToken":"{}"}}"#,
                        CANARY.repeat(400)
                    ),
                )
            },
            call: Call::List,
            expect: Expect::Decode("longer than 2048 bytes"),
        },
        Row {
            name: "a page token that is an object",
            token: good_token,
            api: |_| {
                with_body(
                    StatusCode::OK,
                    format!(r#"{{"meetings":[],"nextPageToken":{{"x":"{CANARY}"}}}}"#),
                )
            },
            call: Call::Meetings,
            expect: Expect::Decode("is not a string"),
        },
        Row {
            name: "page items that are a string",
            token: good_token,
            api: |_| with_body(StatusCode::OK, format!(r#"{{"organizers":"{CANARY}"}}"#)),
            call: Call::List,
            expect: Expect::Decode("unexpected shape"),
        },
        // Bodies that must not be echoed.
        Row {
            name: "organizer answer that is an HTML page",
            token: good_token,
            api: |_| {
                with_body(
                    StatusCode::OK,
                    format!("<html><body>{CANARY}</body></html>"),
                )
            },
            call: Call::Get,
            expect: Expect::Decode("not JSON"),
        },
        Row {
            name: "organizer field of the wrong type quoting data",
            token: good_token,
            api: |_| {
                with_body(
                    StatusCode::OK,
                    format!(r#"{{"organizerKey":"1","email":"a@b.c","status":{{"{CANARY}":1}}}}"#),
                )
            },
            call: Call::Get,
            expect: Expect::Decode("unexpected shape"),
        },
        Row {
            name: "400 with a description",
            token: good_token,
            api: |_| {
                with_body(
                    StatusCode::BAD_REQUEST,
                    format!(r#"{{"errorCode":"InvalidRequest","description":"{CANARY}"}}"#),
                )
            },
            call: Call::Get,
            expect: Expect::BadRequest("HTTP 400, error code InvalidRequest"),
        },
        Row {
            name: "422 with an HTML body",
            token: good_token,
            api: |_| {
                with_body(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("<pre>{CANARY}</pre>"),
                )
            },
            call: Call::Get,
            expect: Expect::BadRequest("HTTP 422"),
        },
        Row {
            name: "an error code with control characters and markup",
            token: good_token,
            api: |_| {
                json_response(
                    StatusCode::BAD_REQUEST,
                    "{\"errorCode\":\"Bad\\u001b[31m\\r\\nInjected: <b>x</b>\"}",
                )
            },
            call: Call::Get,
            expect: Expect::BadRequest("error code Bad31mInjected:bxb"),
        },
        Row {
            name: "a body that is not UTF-8",
            token: good_token,
            api: |_| (StatusCode::OK, vec![0xff_u8, 0xfe, 0x00, 0x1b]).into_response(),
            call: Call::Get,
            expect: Expect::Decode("not JSON"),
        },
        Row {
            name: "a 404 with a body",
            token: good_token,
            api: |_| with_body(StatusCode::NOT_FOUND, CANARY.to_owned()),
            call: Call::Get,
            expect: Expect::NotFound,
        },
        Row {
            name: "5xx for ever",
            token: good_token,
            api: |_| with_body(StatusCode::BAD_GATEWAY, CANARY.to_owned()),
            call: Call::Meetings,
            expect: Expect::Transient,
        },
        // Redirects.
        Row {
            name: "API 307 to another host",
            token: good_token,
            api: |_| {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(header::LOCATION, "https://evil.example/steal")],
                    CANARY,
                )
                    .into_response()
            },
            call: Call::Get,
            expect: Expect::Config("HTTP 307, a redirect"),
        },
        Row {
            name: "create answered 308: one POST, not followed",
            token: good_token,
            api: |_| {
                (
                    StatusCode::PERMANENT_REDIRECT,
                    [(header::LOCATION, "http://10.0.0.1/")],
                )
                    .into_response()
            },
            call: Call::Create,
            expect: Expect::Config("HTTP 308, a redirect"),
        },
        Row {
            name: "token endpoint 301 to plain http",
            token: |_| {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "http://10.0.0.1/oauth/token")],
                )
                    .into_response()
            },
            api: API,
            call: Call::Authenticate,
            expect: Expect::Config("HTTP 301, a redirect"),
        },
    ]
}

async fn run(call: Call, mut config: ClientConfig) -> Result<(), Error> {
    config.request_timeout = Duration::from_millis(1_000);
    // An endless listing is 10,000 quick pages: the budget must not be what bounds it.
    config.requests_per_second = std::num::NonZeroU32::new(1_000_000).unwrap();
    let client = goto_operator::goto::GoToClient::new(config)?;
    let key = OrganizerKey::new("1");
    match call {
        Call::Authenticate => client.authenticate().await,
        Call::Get => client.get_organizer(&key).await.map(drop),
        Call::List => client
            .list_organizers()
            .try_collect::<Vec<_>>()
            .await
            .map(drop),
        Call::Meetings => client
            .list_meetings(&key, MeetingQuery::default())
            .try_collect::<Vec<_>>()
            .await
            .map(drop),
        Call::Audit => client.audit_upcoming_meetings(&key).await.map(drop),
        Call::Create => client
            .create_organizer(&NewOrganizer {
                email: "new@example.com".into(),
                first_name: "New".into(),
                last_name: "Hire".into(),
            })
            .await
            .map(drop),
    }
}

fn matches(expect: Expect, result: &Result<(), Error>) -> bool {
    let text = |e: &Error| e.to_string();
    match (expect, result) {
        (Expect::Ok, Ok(())) => true,
        (Expect::Decode(part), Err(e @ Error::Decode(_))) => text(e).contains(part),
        (Expect::Config(part), Err(e @ Error::Config(_))) => text(e).contains(part),
        (Expect::TimedOut, Err(Error::Transient(m))) => m.contains("timed out"),
        (Expect::Transient, Err(Error::Transient(_))) => true,
        (Expect::RateLimited, Err(Error::RateLimited { retry_after })) => {
            retry_after.is_none_or(|wait| wait <= Duration::from_secs(3600))
        }
        (Expect::BadRequest(part), Err(e @ Error::BadRequest(_))) => text(e).contains(part),
        (Expect::Unauthorized, Err(Error::Unauthorized)) => true,
        (Expect::NotFound, Err(Error::NotFound)) => true,
        _ => false,
    }
}

#[tokio::test]
async fn hostile_endpoints_end_in_the_expected_error_without_writes_panics_or_echo() {
    let rows = rows();
    assert!(rows.len() >= 30, "the table has {} rows", rows.len());
    let mut failures = Vec::new();
    for row in rows {
        let server = Server::start(Hostile {
            token: row.token,
            api: row.api,
        })
        .await;
        let call = row.call;
        let started = std::time::Instant::now();
        // Spawned, so that a panic anywhere in the client shows up as a JoinError.
        let task = tokio::spawn(run(call, server.config()));
        let outcome = tokio::time::timeout(Duration::from_secs(60), task).await;
        let elapsed = started.elapsed();
        let result = match outcome {
            Err(_) => {
                failures.push(format!("{}: did not end within 60 s", row.name));
                continue;
            }
            Ok(Err(join)) => {
                failures.push(format!("{}: panicked: {join}", row.name));
                continue;
            }
            Ok(Ok(result)) => result,
        };
        if !matches(row.expect, &result) {
            failures.push(format!(
                "{}: expected {:?}, got {result:?}",
                row.name, row.expect
            ));
        }
        if let Err(error) = &result {
            let message = error.to_string();
            if message.contains("CANARY")
                || message.len() > 300
                || message.contains(char::is_control)
            {
                failures.push(format!(
                    "{}: message echoes the body: {message:?}",
                    row.name
                ));
            }
        }
        let writes = server.writes();
        let allowed = usize::from(matches!(row.call, Call::Create));
        if writes.len() > allowed {
            failures.push(format!("{}: GoTo saw writes {writes:?}", row.name));
        }
        if elapsed > Duration::from_secs(30) {
            failures.push(format!("{}: took {elapsed:?}", row.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
