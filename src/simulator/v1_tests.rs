//! The v1 routes (`/G2M/rest/...`) over HTTP: each route, each error status, the keys as JSON
//! numbers, the gate (token, rate limit, faults) and the exchange recorder. Raw JSON on purpose:
//! no wire type is shared with the client.
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};

use super::model::{CancelledVia, OrganizerStatus, SeedMeeting, SeedOrganizer, SeedSession};
use super::{FaultRule, Faults, SimAttendee, SimConfig, SimHandle, Simulator, V1_FIRST_KEY};

struct V1 {
    sim: SimHandle,
    http: reqwest::Client,
    token: String,
}

/// A status and the body's exact text.
struct Answer {
    status: u16,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

fn v1_config() -> SimConfig {
    SimConfig {
        first_key: V1_FIRST_KEY,
        ..SimConfig::default()
    }
}

async fn start(config: SimConfig) -> V1 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Simulator::start(config).await.unwrap();
    let http = reqwest::Client::new();
    let token: Value = http
        .post(sim.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    V1 { sim, http, token }
}

impl V1 {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let url = format!("{}{path}", self.sim.v1_base_url());
        let mut req = self.http.request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        Answer { status, text }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    async fn create(&self, email: &str) -> Answer {
        let body = json!({"organizerEmail": email, "firstName": "New", "lastName": "Hire", "productType": "G2M"});
        self.call(Method::POST, "/organizers", Some(body)).await
    }

    async fn put(&self, key: &str, body: Value) -> Answer {
        self.call(Method::PUT, &format!("/organizers/{key}"), Some(body))
            .await
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn hours(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

fn attendee(email: &str, join: Timestamp, leave: Option<Timestamp>) -> SimAttendee {
    SimAttendee {
        attendee_email: email.into(),
        attendee_name: Some("Alex Kim".into()),
        join_time: join,
        leave_time: leave,
    }
}

const ORGANIZER_FIELDS: [&str; 9] = [
    "organizerKey",
    "email",
    "firstName",
    "lastName",
    "groupId",
    "groupName",
    "status",
    "products",
    "maxNumAttendeesAllowed",
];

#[tokio::test]
async fn get_organizers_lists_every_organizer_in_full_without_paging() {
    let e = start(v1_config()).await;
    for i in 0..12 {
        e.sim.insert_organizer(SeedOrganizer::new(
            &format!("user{i:02}@example.com"),
            "User",
            &format!("{i}"),
        ));
    }
    let all = e.get("/organizers").await;
    assert_eq!(all.status, 200, "{}", all.text);
    let items = all.json();
    let items = items.as_array().unwrap();
    assert_eq!(
        items.len(),
        12,
        "v2 pages by 10; v1 answers everything at once"
    );
    for item in items {
        for field in ORGANIZER_FIELDS {
            assert!(item.get(field).is_some(), "{field} missing in {item}");
        }
        assert!(
            item["organizerKey"].is_u64() && item["groupId"].is_u64(),
            "{item}"
        );
        assert_eq!(item["status"], "active");
        assert_eq!(item["products"], json!(["G2M"]));
        assert_eq!(item["maxNumAttendeesAllowed"], 250);
        assert_eq!(item["groupName"], "Default group");
    }
    // Keys are JSON numbers, digits verbatim, from 2^53 + 1 on; the group's key is 2^53.
    assert!(
        all.text.contains(r#""organizerKey":9007199254740993,"#),
        "{}",
        all.text
    );
    assert!(all.text.contains(r#""groupId":9007199254740992,"#));
    assert_eq!(e.get("/organizers?limit=5").await.status, 400);
}

#[tokio::test]
async fn get_organizers_by_email_answers_one_or_404() {
    let e = start(v1_config()).await;
    let key = e.sim.insert_organizer(SeedOrganizer::new(
        "jordan.lee@example.com",
        "Jordan",
        "Lee",
    ));
    let found = e.get("/organizers?email=JORDAN.LEE%40example.com").await;
    assert_eq!(found.status, 200);
    let found = found.json();
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["organizerKey"].to_string(), key);
    assert_eq!(found[0]["email"], "jordan.lee@example.com");
    assert_eq!(
        e.get("/organizers?email=nobody%40example.com").await.status,
        404
    );
    assert_eq!(e.get("/organizers?email=").await.status, 404);
    assert_eq!(
        e.get("/organizers?mail=jordan.lee%40example.com")
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn get_organizer_answers_an_array_of_one() {
    let e = start(v1_config()).await;
    let key = e.sim.insert_organizer(SeedOrganizer::new(
        "jordan.lee@example.com",
        "Jordan",
        "Lee",
    ));
    let one = e.get(&format!("/organizers/{key}")).await;
    assert_eq!(one.status, 200);
    assert!(
        one.text
            .starts_with(&format!(r#"[{{"organizerKey":{key},"#)),
        "{}",
        one.text
    );
    assert_eq!(one.json()[0]["firstName"], "Jordan");
    assert_eq!(e.get("/organizers/9007199254749999").await.status, 404);
    assert_eq!(e.get("/organizers/9.007199254740993e15").await.status, 400);
    assert_eq!(
        e.get(&format!("/organizers/{key}?fields=all")).await.status,
        400
    );
}

#[tokio::test]
async fn create_answers_key_and_email_and_refuses_bad_bodies() {
    let e = start(v1_config()).await;
    let created = e.create("sam.taylor@example.com").await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.text,
        r#"[{"key":9007199254740993,"email":"sam.taylor@example.com"}]"#
    );
    let o = e.sim.organizer("9007199254740993").unwrap();
    assert_eq!(
        (o.first_name.as_str(), o.status),
        ("New", OrganizerStatus::Active)
    );
    // The same world answers v2.
    let v2 = e
        .http
        .get(format!("{}/organizers/9007199254740993", e.sim.base_url()))
        .bearer_auth(&e.token)
        .send()
        .await
        .unwrap();
    assert_eq!(v2.status(), 200);
    assert_eq!(e.create("SAM.TAYLOR@example.com").await.status, 409);
    let body = |b: Value| e.call(Method::POST, "/organizers", Some(b));
    let v2_field =
        json!({"email": "a@b.co", "firstName": "A", "lastName": "B", "productType": "G2M"});
    assert_eq!(
        body(v2_field).await.status,
        400,
        "v1 names it organizerEmail"
    );
    let no_product = json!({"organizerEmail": "a@b.co", "firstName": "A", "lastName": "B"});
    assert_eq!(body(no_product).await.status, 400);
    let bad_product = json!({"organizerEmail": "a@b.co", "firstName": "A", "lastName": "B", "productType": "g2m"});
    assert_eq!(body(bad_product).await.status, 400);
    let no_name = json!({"organizerEmail": "a@b.co", "firstName": "A", "productType": "G2W"});
    assert_eq!(body(no_name).await.status, 400);
    let bad_email =
        json!({"organizerEmail": "nope", "firstName": "A", "lastName": "B", "productType": "G2M"});
    assert_eq!(body(bad_email).await.status, 400);
    assert_eq!(e.sim.organizers().len(), 1);
}

#[tokio::test]
async fn no_seat_left_is_403_or_409_as_v2_is_set() {
    for (v2_status, v1_status) in [(402, 403), (409, 409)] {
        let e = start(SimConfig {
            seats: Some(1),
            seat_error_status: v2_status,
            ..v1_config()
        })
        .await;
        assert_eq!(e.create("first@example.com").await.status, 201);
        let refused = e.create("second@example.com").await;
        assert_eq!(refused.status, v1_status, "{}", refused.text);
        // A duplicate is a 409 whatever the seats say.
        assert_eq!(e.create("first@example.com").await.status, 409);
    }
}

#[tokio::test]
async fn put_suspends_and_a_product_reactivates() {
    let e = start(v1_config()).await;
    let key = e.sim.insert_organizer(SeedOrganizer::new(
        "jordan.lee@example.com",
        "Jordan",
        "Lee",
    ));
    let suspended = e.put(&key, json!({"status": "suspended"})).await;
    assert_eq!((suspended.status, suspended.text.as_str()), (204, ""));
    let read = e.get(&format!("/organizers/{key}")).await.json();
    assert_eq!(read[0]["status"], "suspended");
    assert_eq!(read[0]["products"], json!([]));
    assert_eq!(
        e.sim.organizer(&key).unwrap().status,
        OrganizerStatus::Suspended
    );
    assert_eq!(e.put(&key, json!({"productType": "G2M"})).await.status, 204);
    let read = e.get(&format!("/organizers/{key}")).await.json();
    assert_eq!(
        (read[0]["status"].as_str(), read[0]["products"].clone()),
        (Some("active"), json!(["G2M"]))
    );
    for bad in [
        json!({"status": "active"}),
        json!({"status": "SUSPENDED"}),
        json!({}),
        json!({"status": "suspended", "productType": "G2M"}),
        json!({"productType": "Meeting"}),
        json!({"status": "suspended", "firstName": "J"}),
    ] {
        assert_eq!(e.put(&key, bad.clone()).await.status, 400, "{bad}");
    }
    let missing = e
        .put("9007199254749999", json!({"status": "suspended"}))
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn delete_cancels_future_meetings_as_v2_does() {
    let e = start(v1_config()).await;
    let now = Timestamp::now();
    let mut seed = SeedOrganizer::new("sam.taylor@example.com", "Sam", "Taylor");
    seed.meetings = vec![
        SeedMeeting::new("running", now - hours(1), now + hours(1)),
        SeedMeeting::new("standup", now + hours(24), now + hours(25)),
    ];
    let key = e.sim.insert_organizer(seed);
    let deleted = e
        .call(Method::DELETE, &format!("/organizers/{key}"), None)
        .await;
    assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
    let cancelled = e.sim.cancelled_meetings();
    assert_eq!(cancelled.len(), 1, "only the meeting that had not started");
    assert_eq!(cancelled[0].subject, "standup");
    assert_eq!(cancelled[0].via, CancelledVia::Api);
    assert!(e.sim.meetings().is_empty());
    let again = e
        .call(Method::DELETE, &format!("/organizers/{key}"), None)
        .await;
    assert_eq!(again.status, 404);
    assert_eq!(e.get(&format!("/organizers/{key}")).await.status, 404);
}

#[tokio::test]
async fn upcoming_meetings_have_every_required_field() {
    let e = start(v1_config()).await;
    let now = Timestamp::now();
    let mut seed = SeedOrganizer::new("sam.taylor@example.com", "Sam", "Taylor");
    seed.locale = "de_DE".into();
    seed.meetings = vec![
        SeedMeeting::new("later", now + hours(48), now + hours(49)),
        SeedMeeting::new("running", now - hours(1), now + hours(1)),
    ];
    let key = e.sim.insert_organizer(seed);
    e.sim.add_meeting(
        &key,
        SeedMeeting::new("over", now - hours(3), now - hours(2)),
    );
    let answer = e.get(&format!("/organizers/{key}/upcomingMeetings")).await;
    assert_eq!(answer.status, 200);
    let items = answer.json();
    let items = items.as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        (items[0]["subject"].as_str(), items[0]["status"].as_str()),
        (Some("running"), Some("ACTIVE"))
    );
    assert_eq!(
        (items[1]["subject"].as_str(), items[1]["status"].as_str()),
        (Some("later"), Some("INACTIVE"))
    );
    for item in &items {
        for field in [
            "startTime",
            "endTime",
            "lastName",
            "firstName",
            "email",
            "accountKey",
            "passwordRequired",
            "status",
            "subject",
            "locale",
            "organizerKey",
            "meetingId",
            "meetingType",
            "conferenceCallInfo",
        ] {
            assert!(item.get(field).is_some(), "{field} missing in {item}");
        }
        // In UpcomingMeeting the keys are strings.
        assert!(item["meetingId"].is_string() && item["organizerKey"].is_string());
        assert_eq!(item["locale"], "de_DE");
    }
    assert_eq!(
        e.get("/organizers/9007199254749999/upcomingMeetings")
            .await
            .status,
        404
    );
}

/// An organizer with an ended session in March (two attendees, one without a leave time), a
/// session running now, and one in May.
fn with_history(e: &V1) -> (String, String) {
    let now = Timestamp::now();
    let key = e.sim.insert_organizer(SeedOrganizer::new(
        "jordan.lee@example.com",
        "Jordan",
        "Lee",
    ));
    let march = SeedSession {
        subject: "Quarterly review".into(),
        start_time: at("2026-03-10T10:00:00Z"),
        end_time: at("2026-03-10T11:00:00Z"),
        attendees: vec![
            attendee("late@example.com", at("2026-03-10T10:20:00Z"), None),
            attendee(
                "alex.kim@example.com",
                at("2026-03-10T10:01:00Z"),
                Some(at("2026-03-10T10:46:30Z")),
            ),
        ],
        ..SeedSession::default()
    };
    let march = e.sim.add_session(&key, march);
    let may = SeedSession {
        subject: "May".into(),
        start_time: at("2026-05-10T10:00:00Z"),
        end_time: at("2026-05-10T11:00:00Z"),
        ..SeedSession::default()
    };
    e.sim.add_session(&key, may);
    let running = SeedSession {
        subject: "running".into(),
        start_time: now - hours(1),
        end_time: now + hours(1),
        attendees: vec![attendee("x@example.com", now - hours(1), None)],
        ..SeedSession::default()
    };
    e.sim.add_session(&key, running);
    (key, march)
}

#[tokio::test]
async fn attendees_by_organizer_cover_every_ended_session_in_the_window() {
    let e = start(v1_config()).await;
    let (key, march) = with_history(&e);
    let path = |q: &str| format!("/organizers/{key}/attendees{q}");
    let answer = e
        .get(&path(
            "?startDate=2026-03-01T00:00:00Z&endDate=2026-04-01T00:00:00Z",
        ))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let rows = answer.json();
    let rows = rows.as_array().unwrap().clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0]["attendeeEmail"], "alex.kim@example.com",
        "join order"
    );
    assert_eq!(rows[0]["duration"], 45);
    assert_eq!(
        rows[1]["leaveTime"], "2026-03-10T11:00:00Z",
        "stayed to the end"
    );
    assert!(
        answer
            .text
            .contains(&format!(r#""meetingInstanceKey":{march},"#)),
        "{}",
        answer.text
    );
    assert!(answer.text.contains(&format!(r#""organizerkey":{key},"#)));
    for row in &rows {
        assert!(row["meetingId"].is_u64() && row["meetingInstanceKey"].is_u64());
        assert_eq!(
            (row["numAttendees"].as_u64(), row["name"].as_str()),
            (Some(2), Some("Jordan Lee"))
        );
        for field in [
            "newMeetingId",
            "groupName",
            "conferenceCallInfo",
            "meetingType",
            "subject",
            "startTime",
            "endTime",
            "joinTime",
            "attendeeName",
            "email",
            "firstName",
            "lastName",
        ] {
            assert!(row.get(field).is_some(), "{field} missing in {row}");
        }
    }
    // Until 2099: March's two rows (nobody attended in May); the running session is not there.
    let year = e
        .get(&path(
            "?startDate=2026-01-01T00:00:00Z&endDate=2099-01-01T00:00:00Z",
        ))
        .await;
    assert_eq!(year.json().as_array().map(Vec::len), Some(2));
    for bad in [
        "",
        "?startDate=2026-03-01T00:00:00Z",
        "?endDate=2026-04-01T00:00:00Z",
        "?startDate=2026-03-01&endDate=2026-04-01",
        "?startDate=2026-03-01T00:00:00%2B02:00&endDate=2026-04-01T00:00:00Z",
        "?startDate=2026-04-01T00:00:00Z&endDate=2026-03-01T00:00:00Z",
        "?startDate=2026-03-01T00:00:00Z&endDate=2026-04-01T00:00:00Z&limit=5",
    ] {
        assert_eq!(e.get(&path(bad)).await.status, 400, "{bad}");
    }
    let unknown = e
        .get("/organizers/9007199254749999/attendees?startDate=2026-03-01T00:00:00Z&endDate=2026-04-01T00:00:00Z")
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn historical_meetings_list_ended_sessions_in_the_window() {
    let e = start(v1_config()).await;
    let (key, march) = with_history(&e);
    let answer = e
        .get(&format!("/organizers/{key}/historicalMeetings?startDate=2026-01-01T00:00:00Z&endDate=2099-01-01T00:00:00Z"))
        .await;
    assert_eq!(answer.status, 200);
    let items = answer.json();
    let items = items.as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "the running session is not history yet");
    assert_eq!(items[0]["sessionId"], march.as_str());
    assert_eq!(
        (
            items[0]["duration"].as_str(),
            items[0]["numAttendees"].as_str()
        ),
        (Some("60"), Some("2"))
    );
    assert!(items[0]["organizerKey"].is_string() && items[0]["meetingId"].is_string());
    assert_eq!(
        e.get(&format!("/organizers/{key}/historicalMeetings"))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn attendees_by_meeting_id_and_not_by_instance_key() {
    let e = start(v1_config()).await;
    let (_, march) = with_history(&e);
    let meeting_id = e.sim.state_json()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["meetingInstanceKey"] == march.as_str())
        .unwrap()["meetingId"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = e.get(&format!("/meetings/{meeting_id}/attendees")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let rows = answer.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
    assert_eq!(rows[0]["name"], "Alex Kim", "the attendee's name here");
    assert!(rows[0].get("newMeetingId").is_none());
    assert_eq!(
        e.get(&format!("/meetings/{march}/attendees")).await.status,
        404
    );
    assert_eq!(
        e.get("/meetings/9007199254749999/attendees").await.status,
        404
    );
    assert_eq!(e.get("/meetings/abc/attendees").await.status, 400);
}

#[tokio::test]
async fn keys_above_2_pow_63_are_served_verbatim() {
    for (first, key) in [
        (1_u128 << 63, "9223372036854775808"),
        (super::FIRST_KEY, "18446744073709551617"),
    ] {
        let e = start(SimConfig {
            first_key: first,
            ..SimConfig::default()
        })
        .await;
        assert_eq!(
            e.create("big@example.com").await.text,
            format!(r#"[{{"key":{key},"email":"big@example.com"}}]"#)
        );
        let one = e.get(&format!("/organizers/{key}")).await;
        assert!(
            one.text.contains(&format!(r#""organizerKey":{key},"#)),
            "{}",
            one.text
        );
    }
    let refused = Simulator::start(SimConfig {
        first_key: 0,
        ..SimConfig::default()
    })
    .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn v1_passes_the_same_gate_token_rate_limit_and_faults() {
    let e = start(v1_config()).await;
    let url = format!("{}/organizers", e.sim.v1_base_url());
    let anonymous = e.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    e.sim.set_faults(Faults {
        rules: vec![FaultRule::status("GET", "/G2M/rest/organizers", 503)],
        ..Faults::default()
    });
    assert_eq!(e.get("/organizers").await.status, 503);
    assert_eq!(e.get("/organizers").await.status, 200);
    e.sim.set_rate_limit(Some(1.0));
    assert_eq!(e.get("/organizers").await.status, 200);
    assert_eq!(e.get("/organizers").await.status, 429);
    assert_eq!(e.get("/groups").await.status, 429);
    e.sim.set_rate_limit(None);
    // Unknown v1 paths are 404 (after the token check).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(e.get("/groups").await.status, 404);
    assert!(
        e.sim
            .v1_requests()
            .iter()
            .all(|r| r.path.starts_with("/G2M/rest/"))
    );
    let writes_before = e.sim.writes().len();
    e.create("w@example.com").await;
    assert_eq!(
        e.sim.writes().len(),
        writes_before + 1,
        "v1 writes count as writes"
    );
}

#[tokio::test]
async fn the_recorder_keeps_whole_v1_exchanges_only_when_asked() {
    let e = start(v1_config()).await;
    e.create("off@example.com").await;
    assert!(e.sim.exchanges().is_empty(), "off by default");
    e.sim.set_recording(true);
    let created = e.create("on@example.com").await;
    e.get("/organizers?email=on%40example.com").await;
    e.get("/organizers?email=nobody%40example.com").await;
    // v2 is not recorded.
    e.http
        .get(format!("{}/organizers/9007199254740993", e.sim.base_url()))
        .bearer_auth(&e.token)
        .send()
        .await
        .unwrap();
    let all = e.sim.exchanges();
    assert_eq!(all.len(), 3, "{all:#?}");
    let post = &all[0];
    assert_eq!(
        (post.method.as_str(), post.path.as_str(), post.status),
        ("POST", "/G2M/rest/organizers", 201)
    );
    assert_eq!(
        post.request_body.as_ref().unwrap()["organizerEmail"],
        "on@example.com"
    );
    assert_eq!(post.response_text, created.text);
    assert_eq!(
        post.response_body.as_ref().unwrap()[0]["email"],
        "on@example.com"
    );
    assert!(
        post.response_content_type
            .as_deref()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(post.request_headers.iter().any(|h| h == "authorization"));
    assert_eq!(all[1].query.as_deref(), Some("email=on%40example.com"));
    assert_eq!(all[2].status, 404);
    e.sim.clear_exchanges();
    e.sim.set_recording(false);
    e.get("/organizers").await;
    assert!(e.sim.exchanges().is_empty());
}

#[tokio::test]
async fn the_recorder_is_reachable_from_outside_the_process() {
    let e = start(v1_config()).await;
    let control = |path: &str| format!("http://{}/_sim{path}", e.sim.addr());
    let on = e
        .http
        .put(control("/recording"))
        .json(&json!({"on": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(on.status(), 200);
    e.create("sam@example.com").await;
    let state = e.sim.state_json();
    assert_eq!(
        (&state["recordingExchanges"], &state["exchangeCount"]),
        (&json!(true), &json!(1))
    );
    assert_eq!(state["groupKey"], "9007199254740992");
    let recorded: Value = e
        .http
        .get(control("/exchanges"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recorded[0]["path"], "/G2M/rest/organizers");
    assert_eq!(recorded[0]["status"], 201);
    assert_eq!(
        recorded[0]["requestBody"]["organizerEmail"],
        "sam@example.com"
    );
    assert_eq!(recorded[0]["responseBody"][0]["key"], 9007199254740993_u64);
    let cleared = e.http.delete(control("/exchanges")).send().await.unwrap();
    assert_eq!(cleared.status(), 204);
    assert!(e.sim.exchanges().is_empty());
    let bad = e
        .http
        .put(control("/recording"))
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[test]
fn simulate_takes_the_first_key_and_recording_flags() {
    use clap::Parser;
    let cli = crate::cli::Cli::try_parse_from([
        "goto-operator",
        "simulate",
        "--first-key",
        "9007199254740993",
        "--record-exchanges",
    ])
    .unwrap();
    let crate::cli::Command::Simulate(args) = cli.command else {
        panic!("not simulate: {cli:?}");
    };
    let config = SimConfig::from_args(&args).unwrap();
    assert_eq!(
        (config.first_key, config.record_exchanges),
        (V1_FIRST_KEY, true)
    );
    let cli = crate::cli::Cli::try_parse_from(["goto-operator", "simulate"]).unwrap();
    let crate::cli::Command::Simulate(args) = cli.command else {
        panic!("not simulate");
    };
    let config = SimConfig::from_args(&args).unwrap();
    assert_eq!(
        (config.first_key, config.record_exchanges),
        (super::FIRST_KEY, false)
    );
}
