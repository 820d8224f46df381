//! The v1 routes (`/G2M/rest/...`) over HTTP: each route, each error status, the keys as JSON
//! numbers, the gate (token, rate limit, faults) and the exchange recorder. Raw JSON on purpose:
//! no wire type is shared with the client.
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};

use super::model::{CancelledVia, OrganizerStatus, SeedMeeting, SeedOrganizer};
use super::{SimAttendee, SimConfig, SimHandle, Simulator, V1_FIRST_KEY};

pub(super) struct V1 {
    pub(super) sim: SimHandle,
    pub(super) http: reqwest::Client,
    pub(super) token: String,
}

/// A status and the body's exact text.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) text: String,
}

impl Answer {
    pub(super) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

pub(super) fn v1_config() -> SimConfig {
    SimConfig {
        first_key: V1_FIRST_KEY,
        ..SimConfig::default()
    }
}

pub(super) async fn start(config: SimConfig) -> V1 {
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
    pub(super) async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
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

    pub(super) async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub(super) async fn create(&self, email: &str) -> Answer {
        let body = json!({"organizerEmail": email, "firstName": "New", "lastName": "Hire", "productType": "G2M"});
        self.call(Method::POST, "/organizers", Some(body)).await
    }

    pub(super) async fn put(&self, key: &str, body: Value) -> Answer {
        self.call(Method::PUT, &format!("/organizers/{key}"), Some(body))
            .await
    }
}

pub(super) fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(super) fn hours(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

pub(super) fn attendee(email: &str, join: Timestamp, leave: Option<Timestamp>) -> SimAttendee {
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
