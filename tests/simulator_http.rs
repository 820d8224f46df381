//! The GoTo API simulator probed over plain HTTP/JSON, one test per sharp edge of the contract
//! (goto-api.md). These tests deliberately do not use `goto_operator::goto`: they are the
//! "client nobody here wrote" that checks the simulator itself.
use std::collections::HashSet;
use std::time::Duration;

use goto_operator::simulator::{
    FaultRule, Faults, OrganizerStatus, SeedMeeting, SeedOrganizer, SeedSession, SimAttendee,
    SimConfig, SimHandle, Simulator,
};
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ACCOUNT: &str = "4200000000000000001";

/// A running simulator, an HTTP client and a valid access token.
struct Env {
    sim: SimHandle,
    http: reqwest::Client,
    token: String,
}

fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn start(config: SimConfig) -> Env {
    let sim = Simulator::start(config).await.unwrap();
    let http = http_client();
    let token = fetch_token(&http, &sim).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    Env { sim, http, token }
}

async fn env() -> Env {
    start(SimConfig::default()).await
}

async fn fetch_token(http: &reqwest::Client, sim: &SimHandle) -> Value {
    let resp = http
        .post(sim.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

/// A response reduced to what the tests look at.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl Env {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.base_url()))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let text = resp.text().await.unwrap();
        Answer {
            status,
            retry_after,
            text,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    async fn create(&self, email: &str) -> Answer {
        let body = json!({"email": email, "firstName": "New", "lastName": "Hire"});
        self.call(
            Method::POST,
            &format!("/accounts/{ACCOUNT}/organizers"),
            Some(body),
        )
        .await
    }

    fn seed_many(&self, n: usize) {
        for i in 0..n {
            let email = format!("user{i:03}@example.com");
            self.sim
                .insert_organizer(SeedOrganizer::new(&email, "User", &format!("{i}")));
        }
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

// ---------- token endpoint ----------

#[tokio::test]
async fn token_with_basic_auth_and_with_form_fields() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let http = http_client();
    let body = fetch_token(&http, &sim).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));
    assert!(body["refresh_token"].is_string());

    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "demo-client"),
        ("client_secret", "demo-secret"),
    ];
    let resp = http.post(sim.token_url()).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        sim.requests()
            .iter()
            .filter(|r| r.path == "/oauth/token")
            .count(),
        2
    );
}

#[tokio::test]
async fn token_bad_secret_is_401_invalid_client() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let http = http_client();
    let resp = http
        .post(sim.token_url())
        .basic_auth("demo-client", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let anonymous = http
        .post(sim.token_url())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_bad_requests_are_400() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let http = http_client();
    let post = |form: Vec<(&'static str, &'static str)>| {
        http.post(sim.token_url())
            .basic_auth("demo-client", Some("demo-secret"))
            .form(&form)
            .send()
    };
    let cases = [
        (vec![], "invalid_request"),
        (vec![("grant_type", "password")], "unsupported_grant_type"),
        (vec![("grant_type", "refresh_token")], "invalid_request"),
        (
            vec![("grant_type", "refresh_token"), ("refresh_token", "nope")],
            "invalid_grant",
        ),
        (
            vec![("grant_type", "client_credentials"), ("scope", "root")],
            "invalid_scope",
        ),
    ];
    for (form, error) in cases {
        let resp = post(form).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(resp.json::<Value>().await.unwrap()["error"], error);
    }
    let json_body = http
        .post(sim.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn expired_unknown_or_missing_bearer_is_401() {
    let mut e = env().await;
    assert_eq!(
        e.get(&format!("/accounts/{ACCOUNT}/organizers"))
            .await
            .status,
        200
    );
    e.sim.expire_all_tokens();
    assert_eq!(
        e.get(&format!("/accounts/{ACCOUNT}/organizers"))
            .await
            .status,
        401
    );
    e.token = "not-a-token".into();
    assert_eq!(
        e.get(&format!("/accounts/{ACCOUNT}/organizers"))
            .await
            .status,
        401
    );
    let bare = e
        .http
        .get(format!(
            "{}/accounts/{ACCOUNT}/organizers",
            e.sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tokens_expire_after_their_ttl() {
    let config = SimConfig {
        token_ttl: Duration::from_secs(1),
        ..SimConfig::default()
    };
    let e = start(config).await;
    assert_eq!(e.get("/organizers/18446744073709551617").await.status, 404);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(e.get("/organizers/18446744073709551617").await.status, 401);
}

#[tokio::test]
async fn refresh_token_renews_and_rotates() {
    let e = env().await;
    let first = fetch_token(&e.http, &e.sim).await;
    let refresh = first["refresh_token"].as_str().unwrap().to_string();
    let renew = |token: String| {
        e.http
            .post(e.sim.token_url())
            .basic_auth("demo-client", Some("demo-secret"))
            .form(&[
                ("grant_type", "refresh_token".to_string()),
                ("refresh_token", token),
            ])
            .send()
    };
    let resp = renew(refresh.clone()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let renewed: Value = resp.json().await.unwrap();
    assert_ne!(renewed["access_token"], first["access_token"]);
    assert_ne!(renewed["refresh_token"], first["refresh_token"]);
    // The old refresh token was rotated away.
    assert_eq!(
        renew(refresh).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    // Refresh needs client authentication too.
    let unauthenticated = e
        .http
        .post(e.sim.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", renewed["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
}

// ---------- keys ----------

#[tokio::test]
async fn keys_above_2_pow_64_are_json_strings() {
    let e = env().await;
    let created = e.create("jordan.lee@example.com").await;
    assert_eq!(created.status, 201);
    assert!(
        created
            .text
            .contains(r#""organizerKey":"18446744073709551617""#),
        "{}",
        created.text
    );
    assert!(
        created
            .text
            .contains(&format!(r#""accountKey":"{ACCOUNT}""#))
    );
    let key = created.json()["organizerKey"].as_str().unwrap().to_string();
    assert!(key.parse::<u128>().unwrap() > u128::from(u64::MAX));
    let listed = e.get(&format!("/accounts/{ACCOUNT}/organizers")).await;
    assert!(
        listed
            .text
            .contains(r#""organizerKey":"18446744073709551617""#)
    );
    // A key that went through an f64 no longer finds the organizer.
    let as_float = key.parse::<f64>().unwrap();
    assert_eq!(as_float.to_string(), "18446744073709552000");
    assert_eq!(e.get(&format!("/organizers/{as_float}")).await.status, 404);
    assert_eq!(
        e.get(&format!("/organizers/{as_float:e}")).await.status,
        400
    );
    assert_eq!(e.get(&format!("/organizers/{key}")).await.status, 200);
}

// ---------- paging ----------

#[tokio::test]
async fn paging_default_10_max_100_and_bad_limits() {
    let e = env().await;
    e.seed_many(25);
    let list = format!("/accounts/{ACCOUNT}/organizers");
    let first = e.get(&list).await.json();
    assert_eq!(first["organizers"].as_array().unwrap().len(), 10);
    assert!(first["nextPageToken"].is_string());
    let all = e.get(&format!("{list}?limit=100")).await.json();
    assert_eq!(all["organizers"].as_array().unwrap().len(), 25);
    assert!(
        all.get("nextPageToken").is_none(),
        "no token on the last page"
    );
    for bad in ["101", "0", "-1", "ten", "1.5", ""] {
        assert_eq!(
            e.get(&format!("{list}?limit={bad}")).await.status,
            400,
            "limit={bad}"
        );
    }
    assert_eq!(e.get(&format!("{list}?pageToken=forged")).await.status, 400);
    assert_eq!(
        e.get(&format!("{list}?page_token=x")).await.status,
        400,
        "misspelt parameter"
    );
    assert_eq!(e.get(&format!("{list}?limit=5&limit=6")).await.status, 400);
}

#[tokio::test]
async fn next_page_token_walks_260_organizers_without_duplicates() {
    let e = env().await;
    e.seed_many(260);
    let mut seen = HashSet::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/accounts/{ACCOUNT}/organizers?limit=100");
        if let Some(t) = &token {
            path.push_str(&format!("&pageToken={t}"));
        }
        let page = e.get(&path).await.json();
        pages += 1;
        for o in page["organizers"].as_array().unwrap() {
            assert!(seen.insert(o["organizerKey"].as_str().unwrap().to_string()));
        }
        match page.get("nextPageToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!((seen.len(), pages), (260, 3));
    // A token of one listing is refused by another.
    let first = e
        .get(&format!("/accounts/{ACCOUNT}/organizers?limit=1"))
        .await
        .json();
    let t = first["nextPageToken"].as_str().unwrap();
    let key = first["organizers"][0]["organizerKey"].as_str().unwrap();
    assert_eq!(
        e.get(&format!("/organizers/{key}/meetings?pageToken={t}"))
            .await
            .status,
        400
    );
}

// ---------- organizers ----------

#[tokio::test]
async fn full_put_resets_every_omitted_field() {
    let e = env().await;
    let body = json!({"email": "jordan.lee@example.com", "firstName": "Jordan", "lastName": "Lee",
                      "locale": "en_US", "timeZone": "America/New_York", "adminRoles": ["MANAGE_USERS"]});
    let created = e
        .call(
            Method::POST,
            &format!("/accounts/{ACCOUNT}/organizers"),
            Some(body.clone()),
        )
        .await
        .json();
    let key = created["organizerKey"].as_str().unwrap();
    let path = format!("/organizers/{key}");
    let full = e.call(Method::PUT, &path, Some(body)).await;
    assert_eq!(full.status, 200);
    assert_eq!(full.json()["timeZone"], "America/New_York");
    // A partial PUT is caught: everything it left out is gone.
    let partial = e
        .call(
            Method::PUT,
            &path,
            Some(json!({"timeZone": "Europe/Paris"})),
        )
        .await;
    assert_eq!(partial.status, 200);
    let o = e.sim.organizer(key).unwrap();
    assert_eq!(o.time_zone, "Europe/Paris");
    assert_eq!(
        (
            o.email.as_str(),
            o.first_name.as_str(),
            o.last_name.as_str()
        ),
        ("", "", "")
    );
    assert_eq!(o.locale, "");
    assert!(o.admin_roles.is_empty());
    // The write log keeps the body the client sent.
    let puts: Vec<_> = e
        .sim
        .writes()
        .into_iter()
        .filter(|w| w.method == "PUT")
        .collect();
    assert_eq!(
        puts.last().unwrap().body,
        Some(json!({"timeZone": "Europe/Paris"}))
    );
}

#[tokio::test]
async fn suspend_then_resume_with_full_put() {
    let e = env().await;
    let key = e.create("sam.taylor@example.com").await.json()["organizerKey"]
        .as_str()
        .unwrap()
        .to_string();
    let suspend = format!("/accounts/{ACCOUNT}/organizers/{key}/suspend");
    let answer = e.call(Method::PUT, &suspend, None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({"organizerKey": key, "status": "SUSPENDED"})
    );
    assert_eq!(
        e.sim.organizer(&key).unwrap().status,
        OrganizerStatus::Suspended
    );
    let body = json!({"email": "sam.taylor@example.com", "firstName": "New", "lastName": "Hire", "status": "ACTIVE"});
    let resumed = e
        .call(Method::PUT, &format!("/organizers/{key}"), Some(body))
        .await;
    assert_eq!(resumed.json()["status"], "ACTIVE");
    let wrong_account = format!("/accounts/4200000000000000002/organizers/{key}/suspend");
    assert_eq!(e.call(Method::PUT, &wrong_account, None).await.status, 404);
    let absent = format!("/accounts/{ACCOUNT}/organizers/18446744073709559999/suspend");
    assert_eq!(e.call(Method::PUT, &absent, None).await.status, 404);
}

#[tokio::test]
async fn no_seat_is_402_and_duplicate_email_is_409() {
    let e = start(SimConfig {
        seats: Some(1),
        ..SimConfig::default()
    })
    .await;
    assert_eq!(e.create("jordan.lee@example.com").await.status, 201);
    assert_eq!(e.create("Jordan.Lee@Example.com").await.status, 409);
    let no_seat = e.create("sam.taylor@example.com").await;
    assert_eq!(no_seat.status, 402);
    e.sim.set_seats(Some(2));
    assert_eq!(e.create("sam.taylor@example.com").await.status, 201);

    let conflict = start(SimConfig {
        seats: Some(0),
        seat_error_status: 409,
        ..SimConfig::default()
    })
    .await;
    assert_eq!(conflict.create("riley.chen@example.com").await.status, 409);
}

#[tokio::test]
async fn delete_cancels_future_meetings_records_them_then_404() {
    let e = env().await;
    let mut sam = SeedOrganizer::new("sam.taylor@example.com", "Sam", "Taylor");
    let soon = Timestamp::now() + SignedDuration::from_hours(24);
    let running_start = Timestamp::now() - SignedDuration::from_mins(10);
    sam.meetings = vec![
        SeedMeeting::new("weekly sync", soon, soon + SignedDuration::from_mins(30)),
        SeedMeeting::new(
            "running now",
            running_start,
            running_start + SignedDuration::from_hours(1),
        ),
    ];
    let key = e.sim.insert_organizer(sam);
    let path = format!("/accounts/{ACCOUNT}/organizers/{key}");
    let wrong_account = format!("/accounts/4200000000000000002/organizers/{key}");
    assert_eq!(
        e.call(Method::DELETE, &wrong_account, None).await.status,
        404
    );
    let deleted = e.call(Method::DELETE, &path, None).await;
    assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
    let cancelled = e.sim.cancelled_meetings();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(
        (
            cancelled[0].subject.as_str(),
            cancelled[0].organizer_key.as_str()
        ),
        ("weekly sync", key.as_str())
    );
    assert!(e.sim.meetings().is_empty());
    let state: Value = e
        .http
        .get(format!("http://{}/_sim/state", e.sim.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["cancelledMeetings"][0]["organizerKey"], key.as_str());
    assert!(state["cancelledMeetings"][0]["cancelledAt"].is_string());
    assert_eq!(e.call(Method::DELETE, &path, None).await.status, 404);
    assert_eq!(e.get(&format!("/organizers/{key}")).await.status, 404);
}

// ---------- meetings and attendees ----------

fn attendee(email: &str, join: &str) -> SimAttendee {
    SimAttendee {
        attendee_email: email.into(),
        attendee_name: None,
        join_time: at(join),
        leave_time: None,
    }
}

#[tokio::test]
async fn history_by_range_and_attendees_by_instance_key_only() {
    let e = env().await;
    let mut jordan = SeedOrganizer::new("jordan.lee@example.com", "Jordan", "Lee");
    let session = |start: &str, end: &str, attendees| SeedSession {
        meeting_id: Some("18446744073709560001".into()),
        subject: "weekly".into(),
        start_time: at(start),
        end_time: at(end),
        attendees,
        ..SeedSession::default()
    };
    let people = vec![
        attendee("a@example.com", "2026-03-10T10:00:00Z"),
        attendee("b@example.com", "2026-03-10T10:05:00Z"),
        attendee("c@example.com", "2026-03-10T10:09:00Z"),
    ];
    jordan.history = vec![
        session("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", people),
        session("2026-05-10T10:00:00Z", "2026-05-10T11:00:00Z", vec![]),
    ];
    let now = Timestamp::now();
    let ongoing = session("2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", vec![]);
    jordan.history.push(SeedSession {
        start_time: now - SignedDuration::from_mins(5),
        end_time: now + SignedDuration::from_hours(1),
        ..ongoing
    });
    let key = e.sim.insert_organizer(jordan);

    let march = e
        .get(&format!(
            "/organizers/{key}/meetings?status=HISTORY&startDate=2026-03-01&endDate=2026-03-31"
        ))
        .await;
    assert_eq!(march.status, 200);
    let meetings = march.json()["meetings"].as_array().unwrap().clone();
    assert_eq!(meetings.len(), 1);
    let instance = meetings[0]["meetingInstanceKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(meetings[0]["meetingId"], "18446744073709560001");
    let all = e
        .get(&format!("/organizers/{key}/meetings?status=HISTORY"))
        .await
        .json();
    assert_eq!(
        all["meetings"].as_array().unwrap().len(),
        2,
        "the running session is not history yet"
    );

    let attendees = e
        .get(&format!("/meetings/{instance}/attendees"))
        .await
        .json();
    let emails: Vec<_> = attendees["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attendeeEmail"].clone())
        .collect();
    assert_eq!(emails, ["a@example.com", "b@example.com", "c@example.com"]);
    let paged = e
        .get(&format!("/meetings/{instance}/attendees?limit=2"))
        .await
        .json();
    assert_eq!(paged["attendees"].as_array().unwrap().len(), 2);
    let next = paged["nextPageToken"].as_str().unwrap();
    let rest = e
        .get(&format!(
            "/meetings/{instance}/attendees?limit=2&pageToken={next}"
        ))
        .await
        .json();
    assert_eq!(rest["attendees"][0]["attendeeEmail"], "c@example.com");

    assert_eq!(
        e.get("/meetings/18446744073709560001/attendees")
            .await
            .status,
        404,
        "meetingId is not a session key"
    );
    assert_eq!(
        e.get("/meetings/18446744073709599999/attendees")
            .await
            .status,
        404
    );
    let running = e.sim.state_json()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["startTime"].as_str().unwrap() > "2026-06")
        .map(|s| s["meetingInstanceKey"].as_str().unwrap().to_string())
        .unwrap();
    assert_eq!(
        e.get(&format!("/meetings/{running}/attendees"))
            .await
            .status,
        404,
        "not ended"
    );
}

#[tokio::test]
async fn upcoming_meetings_without_status() {
    let e = env().await;
    let mut sam = SeedOrganizer::new("sam.taylor@example.com", "Sam", "Taylor");
    let soon = Timestamp::now() + SignedDuration::from_hours(2);
    sam.meetings = vec![SeedMeeting::new(
        "1:1",
        soon,
        soon + SignedDuration::from_mins(30),
    )];
    let key = e.sim.insert_organizer(sam);
    let upcoming = e.get(&format!("/organizers/{key}/meetings")).await;
    assert_eq!(upcoming.status, 200);
    let m = &upcoming.json()["meetings"][0];
    assert_eq!(m["subject"], "1:1");
    assert!(m["meetingId"].is_string() && m.get("meetingInstanceKey").is_none());
    let inactive = e
        .get(&format!("/organizers/{key}/meetings?status=INACTIVE"))
        .await
        .json();
    assert_eq!(inactive["meetings"].as_array().unwrap().len(), 1);
    let active = e
        .get(&format!("/organizers/{key}/meetings?status=ACTIVE"))
        .await
        .json();
    assert!(active["meetings"].as_array().unwrap().is_empty());
    let id = m["meetingId"].as_str().unwrap();
    assert!(e.sim.remove_meeting(id));
    assert!(
        e.get(&format!("/organizers/{key}/meetings")).await.json()["meetings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

// ---------- rate limit and faults ----------

#[tokio::test]
async fn over_the_rate_429_with_retry_after_and_violations_counted() {
    let e = start(SimConfig {
        rate_limit: Some(2.0),
        ..SimConfig::default()
    })
    .await;
    let path = format!("/accounts/{ACCOUNT}/organizers");
    assert_eq!(e.get(&path).await.status, 200);
    assert_eq!(e.get(&path).await.status, 200);
    let limited = e.get(&path).await;
    assert_eq!(limited.status, 429);
    let retry_after: u64 = limited.retry_after.as_deref().unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    assert_eq!(
        (e.sim.rate_limited_count(), e.sim.retry_after_violations()),
        (1, 0)
    );
    // Honouring Retry-After: no violation.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    assert_eq!(e.get(&path).await.status, 200);
    assert_eq!(e.sim.retry_after_violations(), 0);
    // Ignoring it: caught.
    assert_eq!(e.get(&path).await.status, 200);
    assert_eq!(e.get(&path).await.status, 429);
    assert_eq!(e.get(&path).await.status, 429);
    assert_eq!(
        (e.sim.rate_limited_count(), e.sim.retry_after_violations()),
        (3, 1)
    );
}

#[tokio::test]
async fn injected_429_has_retry_after_and_counts_violations() {
    let e = env().await;
    let rule = FaultRule::status("GET", "/G2M/rest/v2/organizers/*", 429).with_retry_after(30);
    e.sim.set_faults(Faults {
        rules: vec![rule],
        ..Faults::default()
    });
    let limited = e.get("/organizers/18446744073709551617").await;
    assert_eq!(
        (limited.status, limited.retry_after.as_deref()),
        (429, Some("30"))
    );
    assert_eq!(e.get("/organizers/18446744073709551617").await.status, 429);
    assert_eq!(e.sim.retry_after_violations(), 1);
}

#[tokio::test]
async fn injected_5xx_and_latency() {
    let e = start(SimConfig {
        fault_5xx_rate: 1.0,
        ..SimConfig::default()
    })
    .await;
    let path = format!("/accounts/{ACCOUNT}/organizers");
    assert_eq!(e.get(&path).await.status, 503);
    e.sim.set_faults(Faults {
        latency_ms: 150,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    assert_eq!(e.get(&path).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn ambiguous_create_commits_then_answers_500() {
    let e = env().await;
    let rule = FaultRule::status("POST", "/G2M/rest/v2/accounts/*/organizers", 500).after_commit();
    e.sim.set_faults(Faults {
        rules: vec![rule],
        ..Faults::default()
    });
    assert_eq!(e.create("jordan.lee@example.com").await.status, 500);
    assert!(
        e.sim.organizer_by_email("JORDAN.LEE@example.com").is_some(),
        "the write happened"
    );
    assert_eq!(
        e.create("jordan.lee@example.com").await.status,
        409,
        "a blind retry is caught"
    );
}

#[tokio::test]
async fn dropped_connections_get_no_answer() {
    let e = env().await;
    let path = format!("{}/accounts/{ACCOUNT}/organizers", e.sim.base_url());
    e.sim.set_faults(Faults {
        drop_next: 1,
        ..Faults::default()
    });
    let dropped = e.http.get(&path).bearer_auth(&e.token).send().await;
    assert!(
        dropped.is_err(),
        "expected a connection error, got {dropped:?}"
    );
    assert_eq!(
        e.get(&format!("/accounts/{ACCOUNT}/organizers"))
            .await
            .status,
        200
    );

    let rule =
        FaultRule::drop_connection("POST", "/G2M/rest/v2/accounts/*/organizers").after_commit();
    e.sim.set_faults(Faults {
        rules: vec![rule],
        ..Faults::default()
    });
    let body = json!({"email": "sam.taylor@example.com", "firstName": "Sam", "lastName": "Taylor"});
    assert!(
        e.http
            .post(&path)
            .bearer_auth(&e.token)
            .json(&body)
            .send()
            .await
            .is_err()
    );
    assert!(e.sim.organizer_by_email("sam.taylor@example.com").is_some());
    let dropped_log: Vec<_> = e.sim.requests().into_iter().filter(|r| r.dropped).collect();
    assert_eq!(dropped_log.len(), 2);
    assert!(dropped_log.iter().all(|r| r.status == 0));
}

// ---------- every bad input ----------

#[tokio::test]
async fn every_bad_input_gets_its_4xx() {
    let e = env().await;
    let key = e.create("jordan.lee@example.com").await.json()["organizerKey"]
        .as_str()
        .unwrap()
        .to_string();
    let org = format!("/organizers/{key}");
    let create = format!("/accounts/{ACCOUNT}/organizers");
    let person = |extra: Value| {
        let mut body = json!({"email": "x@example.com", "firstName": "X", "lastName": "Y"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let cases: Vec<(Method, String, Option<Value>, u16)> = vec![
        (Method::GET, "/organizers/abc".into(), None, 400),
        (
            Method::GET,
            "/organizers/18446744073709559999".into(),
            None,
            404,
        ),
        (
            Method::GET,
            "/accounts/4200000000000000002/organizers".into(),
            None,
            404,
        ),
        (
            Method::GET,
            "/accounts/not-digits/organizers".into(),
            None,
            400,
        ),
        (Method::GET, "/no/such/thing".into(), None, 404),
        (
            Method::POST,
            create.clone(),
            Some(json!({"email": "x@example.com", "firstName": "X"})),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(json!({"email": "", "firstName": "X", "lastName": "Y"})),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(person(json!({"email": "not-an-email"}))),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(person(json!({"email": 42}))),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(person(json!({"timezone": "UTC"}))),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(person(json!({"timeZone": "Mars/Base"}))),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(person(json!({"locale": "english"}))),
            400,
        ),
        (
            Method::POST,
            "/accounts/4200000000000000002/organizers".into(),
            Some(person(json!({}))),
            404,
        ),
        (
            Method::PUT,
            org.clone(),
            Some(person(json!({"status": "PAUSED"}))),
            400,
        ),
        (
            Method::PUT,
            org.clone(),
            Some(person(json!({"organizerKey": "1"}))),
            400,
        ),
        (
            Method::PUT,
            org.clone(),
            Some(person(json!({"organizerKey": 18446744073709551615u64}))),
            400,
        ),
        (
            Method::PUT,
            org.clone(),
            Some(person(json!({"maxParticipants": 3000}))),
            400,
        ),
        (
            Method::PUT,
            org.clone(),
            Some(person(json!({"adminRoles": "ADMIN"}))),
            400,
        ),
        (
            Method::PUT,
            "/organizers/18446744073709559999".into(),
            Some(person(json!({}))),
            404,
        ),
        (
            Method::GET,
            format!("{org}/meetings?status=history"),
            None,
            400,
        ),
        (
            Method::GET,
            format!("{org}/meetings?status=HISTORY&startDate=yesterday"),
            None,
            400,
        ),
        (
            Method::GET,
            format!("{org}/meetings?status=HISTORY&startDate=2026-05-02&endDate=2026-05-01"),
            None,
            400,
        ),
        (Method::GET, format!("{org}/meetings?limit=101"), None, 400),
        (
            Method::GET,
            format!("{org}/meetings?from=2026-01-01"),
            None,
            400,
        ),
        (
            Method::GET,
            "/organizers/18446744073709559999/meetings".into(),
            None,
            404,
        ),
        (Method::GET, "/meetings/abc/attendees".into(), None, 400),
        (
            Method::GET,
            "/meetings/18446744073709559999/attendees?limit=0".into(),
            None,
            400,
        ),
        (
            Method::DELETE,
            format!("/accounts/{ACCOUNT}/organizers/18446744073709559999"),
            None,
            404,
        ),
        (
            Method::DELETE,
            format!("/accounts/{ACCOUNT}/organizers/xyz"),
            None,
            400,
        ),
    ];
    for (method, path, body, expected) in cases {
        let answer = e.call(method.clone(), &path, body.clone()).await;
        assert_eq!(
            answer.status, expected,
            "{method} {path} {body:?}: {}",
            answer.text
        );
        assert!(
            answer.json().is_object(),
            "{method} {path}: the error body is JSON"
        );
    }
    let not_json = e
        .http
        .post(format!("{}{create}", e.sim.base_url()))
        .bearer_auth(&e.token)
        .body("email=x@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let broken = e
        .http
        .post(format!("{}{create}", e.sim.base_url()))
        .bearer_auth(&e.token)
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
}

// ---------- control endpoints, secrets, lifecycle ----------

#[tokio::test]
async fn sim_endpoints_need_no_token() {
    let e = env().await;
    let base = format!("http://{}/_sim", e.sim.addr());
    let http = &e.http;
    let added: Value = http
        .post(format!("{base}/organizers"))
        .json(&json!({"email": "riley.chen@example.com", "firstName": "Riley", "lastName": "Chen"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = added["organizerKey"].as_str().unwrap().to_string();
    let meeting = json!({"subject": "demo", "startTime": "2030-01-01T10:00:00Z", "endTime": "2030-01-01T11:00:00Z"});
    let resp = http
        .post(format!("{base}/organizers/{key}/meetings"))
        .json(&meeting)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let meeting_id = resp.json::<Value>().await.unwrap()["meetingId"]
        .as_str()
        .unwrap()
        .to_string();
    let patched = http
        .patch(format!("{base}/organizers/{key}"))
        .json(&json!({"timeZone": "UTC"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(e.sim.organizer(&key).unwrap().time_zone, "UTC");
    let bad_faults = http
        .put(format!("{base}/faults"))
        .json(&json!({"dropRate": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_faults.status(), StatusCode::BAD_REQUEST);
    let faults = http
        .put(format!("{base}/faults"))
        .json(&json!({"error5xxRate": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), StatusCode::OK);
    assert_eq!(e.get(&format!("/organizers/{key}")).await.status, 503);
    http.put(format!("{base}/faults"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let seats = http
        .put(format!("{base}/seats"))
        .json(&json!({"seats": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(seats.status(), StatusCode::OK);
    assert_eq!(e.create("new.hire@example.com").await.status, 402);
    let state: Value = http
        .get(format!("{base}/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (state["seats"].as_u64(), state["seatsUsed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(state["meetings"][0]["meetingId"], meeting_id.as_str());
    let gone = http
        .delete(format!("{base}/meetings/{meeting_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let log = http
        .get(format!("{base}/requests"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("/G2M/rest/v2/organizers/"));
    assert!(
        !log.contains("demo-secret") && !log.contains(&e.token),
        "no secret in the request log"
    );
    let cleared = http
        .delete(format!("{base}/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert!(e.sim.requests().is_empty());
    let removed = http
        .delete(format!("{base}/organizers/{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(e.sim.organizer(&key).is_none());
}

#[tokio::test]
async fn secret_never_in_debug_output() {
    let config = SimConfig {
        client_secret: "s3cr3t-value".into(),
        ..SimConfig::default()
    };
    assert!(!format!("{config:?}").contains("s3cr3t-value"));
    let sim = Simulator::start(config).await.unwrap();
    assert!(!format!("{sim:?}").contains("s3cr3t-value"));
}

#[tokio::test]
async fn server_stops_when_the_last_handle_is_dropped() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let addr = sim.addr();
    let clone = sim.clone();
    drop(sim);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_ok(),
        "a clone keeps it running"
    );
    drop(clone);
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        refused,
        "the simulator kept listening after its handles were dropped"
    );
}

/// Kills the spawned simulator process even when the test fails.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn simulate_command_prints_its_urls_and_serves_the_seed() {
    use std::io::BufRead;
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/simulator-seed.yaml");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_goto-operator"))
        .args([
            "simulate",
            "--bind",
            "127.0.0.1:0",
            "--seed",
            seed,
            "--client-secret",
            "cli-secret",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Child(child);
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let rest = line
        .trim()
        .strip_prefix("goto simulator listening: api=")
        .unwrap();
    let (api, token_url) = rest.split_once(" token=").unwrap();
    assert!(
        api.starts_with("http://127.0.0.1:") && api.ends_with("/G2M/rest/v2"),
        "{line}"
    );
    assert!(token_url.ends_with("/oauth/token"));
    assert!(!api.contains(":0/"), "the real port is printed");

    let http = http_client();
    let token: Value = http
        .post(token_url)
        .basic_auth("demo-client", Some("cli-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list: Value = http
        .get(format!("{api}/accounts/{ACCOUNT}/organizers"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emails: Vec<_> = list["organizers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["email"].clone())
        .collect();
    assert!(
        emails.contains(&json!("jordan.lee@example.com"))
            && emails.contains(&json!("sam.taylor@example.com"))
    );
}
