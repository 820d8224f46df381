//! The GoTo client against the in-process GoTo simulator: every operation and every sharp
//! edge of the contract (paging, 429, 5xx, tokens, big keys, full PUT, seats, ambiguous create).
use futures::TryStreamExt;
use goto_operator::goto::{
    AccountKey, ClientConfig, Credentials, DeleteOutcome, Error, GoToClient, MeetingInstanceKey,
    MeetingQuery, MeetingStatus, NewOrganizer, Observer, OrganizerKey, OrganizerStatus,
    OrganizerUpdate, RetryPolicy,
};
use goto_operator::simulator::{
    FaultRule, Faults, RecordedRequest, SeedMeeting, SeedOrganizer, SeedSession, SimAttendee,
    SimConfig, SimHandle, Simulator,
};
use secrecy::SecretString;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Tests against a hand-written mock, for server misbehaviour the simulator never shows.
#[path = "goto_client/mock.rs"]
mod mock;

const SECRET: &str = "s3cr3t-for-tests";
/// Above 2^128: no integer type anywhere may hold it.
const HUGE_KEY: &str = "340282366920938463463374607431768211457";
/// Above 2^64.
const ACCOUNT: &str = "18446744073709551617";
const CREATE_PATH: &str = "/G2M/rest/v2/accounts/*/organizers";
const ORGANIZER_PATH: &str = "/G2M/rest/v2/organizers/*";

async fn start(config: SimConfig) -> SimHandle {
    Simulator::start(SimConfig {
        account_key: ACCOUNT.into(),
        client_secret: SECRET.into(),
        ..config
    })
    .await
    .expect("simulator starts")
}

fn config(sim: &SimHandle) -> ClientConfig {
    let mut config = ClientConfig::new(
        AccountKey::new(sim.account_key()),
        Credentials {
            client_id: "demo-client".into(),
            client_secret: SecretString::from(SECRET),
        },
    );
    config.api_base_url = sim.base_url().parse().unwrap();
    config.token_url = sim.token_url().parse().unwrap();
    config.requests_per_second = NonZeroU32::new(1000).unwrap();
    config.request_timeout = Duration::from_secs(5);
    config.retry = RetryPolicy {
        max_retries: 3,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
    };
    config
}

fn client(sim: &SimHandle) -> GoToClient {
    GoToClient::new(config(sim)).unwrap()
}

fn new_organizer(email: &str) -> NewOrganizer {
    NewOrganizer {
        email: email.into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
    }
}

fn token_requests(sim: &SimHandle) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.path == "/oauth/token")
        .count()
}

fn api_requests(sim: &SimHandle, method: &str) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.starts_with("/G2M/"))
        .collect()
}

fn ts(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

#[derive(Default)]
struct Recorder(Mutex<Vec<(&'static str, &'static str)>>);

impl Observer for Recorder {
    fn request(&self, operation: &'static str, outcome: &'static str, _elapsed: Duration) {
        self.0.lock().unwrap().push((operation, outcome));
    }
}

#[tokio::test]
async fn every_operation_against_the_simulator() {
    let sim = start(SimConfig::default()).await;
    let recorder = Arc::new(Recorder::default());
    let mut config = config(&sim);
    config.observer = Some(recorder.clone());
    let client = GoToClient::new(config).unwrap();
    client.authenticate().await.unwrap();

    let created = client
        .create_organizer(&new_organizer("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(created.status, Some(OrganizerStatus::Active));
    let key = created.organizer_key.clone();
    assert_eq!(client.get_organizer(&key).await.unwrap(), created);
    let listed: Vec<_> = client.list_organizers().try_collect().await.unwrap();
    assert_eq!(listed, vec![created.clone()]);
    let found = client
        .find_organizer_by_email("ADA@Example.com")
        .await
        .unwrap();
    assert_eq!(found.map(|o| o.organizer_key), Some(key.clone()));
    assert_eq!(
        client
            .find_organizer_by_email("nobody@example.com")
            .await
            .unwrap(),
        None
    );

    let update = OrganizerUpdate {
        time_zone: Some("Europe/London".into()),
        locale: Some("en_GB".into()),
        ..OrganizerUpdate::from_organizer(&created)
    };
    let updated = client.update_organizer(&key, &update).await.unwrap();
    assert_eq!(updated.time_zone.as_deref(), Some("Europe/London"));
    client.suspend_organizer(&key).await.unwrap();
    assert_eq!(
        client.get_organizer(&key).await.unwrap().status,
        Some(OrganizerStatus::Suspended)
    );
    let resumed = client.resume_organizer(&key, &update).await.unwrap();
    assert_eq!(resumed.status, Some(OrganizerStatus::Active));
    assert_eq!(resumed.locale.as_deref(), Some("en_GB"));

    let upcoming = sim.add_meeting(
        key.as_str(),
        SeedMeeting::new(
            "Standup",
            ts("2099-01-01T09:00:00Z"),
            ts("2099-01-01T09:15:00Z"),
        ),
    );
    let instance = sim.add_session(
        key.as_str(),
        SeedSession {
            subject: "Review".into(),
            start_time: ts("2025-03-01T10:00:00Z"),
            end_time: ts("2025-03-01T11:00:00Z"),
            attendees: vec![SimAttendee {
                attendee_email: "bob@example.com".into(),
                attendee_name: Some("Bob".into()),
                join_time: ts("2025-03-01T10:01:00Z"),
                leave_time: Some(ts("2025-03-01T10:59:00Z")),
            }],
            ..SeedSession::default()
        },
    );
    let meetings: Vec<_> = client
        .list_meetings(&key, MeetingQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(meetings.len(), 1);
    assert_eq!(meetings[0].meeting_id.as_str(), upcoming);
    let inactive = MeetingQuery {
        status: Some(MeetingStatus::Inactive),
        ..MeetingQuery::default()
    };
    assert_eq!(
        client
            .list_meetings(&key, inactive)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        1
    );
    let history = MeetingQuery::history(ts("2025-01-01T00:00:00Z"), ts("2026-01-01T00:00:00Z"));
    let sessions: Vec<_> = client
        .list_meetings(&key, history)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        sessions[0]
            .meeting_instance_key
            .as_ref()
            .map(|k| k.as_str()),
        Some(instance.as_str())
    );
    let attendees: Vec<_> = client
        .list_attendees(&MeetingInstanceKey::new(&instance))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(attendees.len(), 1);
    assert_eq!(attendees[0].attendee_email, "bob@example.com");
    assert_eq!(attendees[0].leave_time, Some(ts("2025-03-01T10:59:00Z")));

    assert_eq!(
        client.delete_organizer(&key).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        sim.cancelled_meetings().len(),
        1,
        "the delete cancelled the upcoming meeting"
    );
    assert_eq!(
        client.delete_organizer(&key).await.unwrap(),
        DeleteOutcome::AlreadyGone
    );
    assert!(matches!(
        client.get_organizer(&key).await,
        Err(Error::NotFound)
    ));

    let seen = recorder.0.lock().unwrap().clone();
    for operation in [
        "token",
        "create_organizer",
        "get_organizer",
        "list_organizers",
        "update_organizer",
        "suspend_organizer",
        "delete_organizer",
        "list_meetings",
        "list_attendees",
    ] {
        assert!(
            seen.contains(&(operation, "ok")),
            "{operation} observed as ok in {seen:?}"
        );
    }
    assert!(seen.contains(&("get_organizer", "not_found")));
}

#[tokio::test]
async fn pagination_covers_more_than_250_organizers_with_limit_100() {
    let sim = start(SimConfig::default()).await;
    for i in 0..263 {
        sim.insert_organizer(SeedOrganizer::new(
            &format!("user{i}@example.com"),
            "U",
            &i.to_string(),
        ));
    }
    let organizers: Vec<_> = client(&sim).list_organizers().try_collect().await.unwrap();
    let mut emails: Vec<_> = organizers.iter().map(|o| o.email.clone()).collect();
    emails.sort();
    emails.dedup();
    assert_eq!(emails.len(), 263);
    let pages = api_requests(&sim, "GET");
    assert_eq!(pages.len(), 3);
    assert!(
        pages
            .iter()
            .all(|r| r.query.as_deref().unwrap_or("").contains("limit=100"))
    );
    assert!(
        pages[1..]
            .iter()
            .all(|r| r.query.as_deref().unwrap_or("").contains("pageToken="))
    );
}

#[tokio::test]
async fn keys_above_2_64_round_trip_exactly() {
    let sim = start(SimConfig::default()).await;
    let mut seed = SeedOrganizer::new("big@example.com", "Big", "Key");
    seed.organizer_key = Some(HUGE_KEY.into());
    sim.insert_organizer(seed);
    let client = client(&sim);
    assert_eq!(client.account_key().as_str(), ACCOUNT);
    let organizer = client
        .get_organizer(&OrganizerKey::new(HUGE_KEY))
        .await
        .unwrap();
    assert_eq!(organizer.organizer_key.as_str(), HUGE_KEY);
    assert_eq!(
        organizer.account_key.as_ref().map(|k| k.as_str()),
        Some(ACCOUNT)
    );
    let created = client
        .create_organizer(&new_organizer("new@example.com"))
        .await
        .unwrap();
    assert!(
        sim.organizer(created.organizer_key.as_str()).is_some(),
        "the simulator's key came back verbatim"
    );
    assert_eq!(
        client
            .delete_organizer(&OrganizerKey::new(HUGE_KEY))
            .await
            .unwrap(),
        DeleteOutcome::Deleted
    );
}

#[tokio::test]
async fn put_bodies_are_complete_and_omitted_fields_reset() {
    let sim = start(SimConfig::default()).await;
    let client = client(&sim);
    let created = client
        .create_organizer(&new_organizer("ada@example.com"))
        .await
        .unwrap();
    let key = created.organizer_key.clone();
    let update = OrganizerUpdate {
        locale: Some("en_US".into()),
        time_zone: Some("America/New_York".into()),
        ..OrganizerUpdate::from_organizer(&created)
    };
    client.update_organizer(&key, &update).await.unwrap();
    let put = sim
        .writes()
        .into_iter()
        .rfind(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(
        put.body.unwrap(),
        serde_json::json!({"email":"ada@example.com","firstName":"Ada","lastName":"Lovelace",
            "locale":"en_US","timeZone":"America/New_York","adminRoles":[]})
    );
    let stored = sim.organizer(key.as_str()).unwrap();
    assert_eq!(
        (stored.locale.as_str(), stored.time_zone.as_str()),
        ("en_US", "America/New_York")
    );

    // A None field is omitted, and GoTo resets it: the update is the whole representation.
    let without_zone = OrganizerUpdate {
        time_zone: None,
        ..update.clone()
    };
    let after = client.update_organizer(&key, &without_zone).await.unwrap();
    assert_eq!(sim.organizer(key.as_str()).unwrap().time_zone, "");
    assert_eq!(after.first_name, "Ada");

    client.suspend_organizer(&key).await.unwrap();
    client.resume_organizer(&key, &update).await.unwrap();
    let resume = sim
        .writes()
        .into_iter()
        .rfind(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(resume.body.unwrap()["status"], "ACTIVE");
}

#[tokio::test]
async fn no_seat_is_402_or_409_and_a_taken_email_is_already_exists() {
    let sim = start(SimConfig {
        seats: Some(1),
        ..SimConfig::default()
    })
    .await;
    let client = client(&sim);
    let first = client
        .create_organizer(&new_organizer("ada@example.com"))
        .await
        .unwrap();
    let second = client
        .create_organizer(&new_organizer("bob@example.com"))
        .await;
    assert!(
        matches!(second, Err(Error::SeatUnavailable { status: 402 })),
        "{second:?}"
    );

    let duplicate = client
        .create_organizer(&new_organizer("ADA@example.com"))
        .await;
    match duplicate {
        Err(Error::AlreadyExists { organizer }) => {
            assert_eq!(organizer.organizer_key, first.organizer_key)
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }

    let sim409 = start(SimConfig {
        seats: Some(0),
        seat_error_status: 409,
        ..SimConfig::default()
    })
    .await;
    let result = self::client(&sim409)
        .create_organizer(&new_organizer("carol@example.com"))
        .await;
    assert!(
        matches!(result, Err(Error::SeatUnavailable { status: 409 })),
        "{result:?}"
    );
    assert_eq!(
        api_requests(&sim409, "POST").len(),
        1,
        "a refused create is not retried"
    );
}

#[tokio::test]
async fn ambiguous_create_is_resolved_by_email_without_a_duplicate() {
    let sim = start(SimConfig::default()).await;
    let client = client(&sim);
    // The organizer is created, then the answer is lost: a 500, then a dropped connection.
    sim.set_faults(Faults {
        rules: vec![FaultRule::status("POST", CREATE_PATH, 500).after_commit()],
        ..Faults::default()
    });
    let created = client
        .create_organizer(&new_organizer("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(created.email, "ada@example.com");
    sim.set_faults(Faults {
        rules: vec![FaultRule::drop_connection("POST", CREATE_PATH).after_commit()],
        ..Faults::default()
    });
    let dropped = client
        .create_organizer(&new_organizer("bob@example.com"))
        .await
        .unwrap();
    assert_eq!(
        sim.organizer(dropped.organizer_key.as_str()).unwrap().email,
        "bob@example.com"
    );
    assert_eq!(sim.organizers().len(), 2);
    assert_eq!(
        api_requests(&sim, "POST").len(),
        2,
        "one POST per create, never blindly retried"
    );

    // Failed before anything happened: the lookup finds nothing and the error stays transient.
    sim.set_faults(Faults {
        rules: vec![FaultRule::status("POST", CREATE_PATH, 503)],
        ..Faults::default()
    });
    let failed = client
        .create_organizer(&new_organizer("carol@example.com"))
        .await;
    assert!(matches!(failed, Err(Error::Transient(_))), "{failed:?}");
    assert_eq!(sim.organizers().len(), 2);
    assert_eq!(api_requests(&sim, "POST").len(), 3);
}

#[tokio::test]
async fn server_errors_are_retried_within_the_limit() {
    let sim = start(SimConfig::default()).await;
    let key =
        OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new("a@example.com", "A", "B")));
    let client = client(&sim);
    sim.set_faults(Faults {
        rules: vec![FaultRule::status("GET", ORGANIZER_PATH, 503).times(2)],
        drop_next: 1,
        ..Faults::default()
    });
    client.get_organizer(&key).await.unwrap();
    let statuses: Vec<_> = api_requests(&sim, "GET").iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 0, 200]);

    sim.clear_requests();
    sim.set_faults(Faults {
        rules: vec![FaultRule::status("GET", ORGANIZER_PATH, 502).times(100)],
        ..Faults::default()
    });
    let result = client.get_organizer(&key).await;
    assert!(matches!(result, Err(Error::Transient(_))), "{result:?}");
    assert_eq!(
        api_requests(&sim, "GET").len(),
        4,
        "first attempt + max_retries (3)"
    );
}

#[tokio::test]
async fn every_request_has_a_timeout() {
    let sim = start(SimConfig::default()).await;
    let mut config = config(&sim);
    config.request_timeout = Duration::from_millis(300);
    config.retry.max_retries = 1;
    let client = GoToClient::new(config).unwrap();
    client.authenticate().await.unwrap();
    sim.set_faults(Faults {
        latency_ms: 2_000,
        ..Faults::default()
    });
    let started = Instant::now();
    let result = client.get_organizer(&OrganizerKey::new("1")).await;
    assert!(
        matches!(&result, Err(Error::Transient(message)) if message.contains("timed out")),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(1_500));
}

#[tokio::test]
async fn rate_limit_429_honours_retry_after() {
    let sim = start(SimConfig {
        rate_limit: Some(1.0),
        ..SimConfig::default()
    })
    .await;
    let key =
        OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new("a@example.com", "A", "B")));
    let client = client(&sim);
    let started = Instant::now();
    for _ in 0..3 {
        client.get_organizer(&key).await.unwrap();
    }
    assert!(
        sim.rate_limited_count() >= 1,
        "the client outran the simulator's limit"
    );
    assert_eq!(
        sim.retry_after_violations(),
        0,
        "nobody came back before Retry-After"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the client waited out Retry-After"
    );
    assert_retry_after_gaps(&sim.requests(), Duration::from_secs(1));
}

/// Every request after a 429 came at least `wait` after it (read from the request log).
fn assert_retry_after_gaps(requests: &[RecordedRequest], wait: Duration) {
    let api: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with("/G2M/"))
        .collect();
    for pair in api.windows(2) {
        if pair[0].status == 429 {
            let gap = pair[1].at.duration_since(pair[0].at);
            // The log stamps when each answer was sent; allow for clock granularity.
            assert!(
                gap >= jiff::SignedDuration::try_from(wait).unwrap()
                    - jiff::SignedDuration::from_millis(5),
                "gap {gap:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_lasting_429_ends_as_rate_limited_with_retry_after() {
    let sim = start(SimConfig::default()).await;
    let mut config = config(&sim);
    config.retry.max_retries = 1;
    let client = GoToClient::new(config).unwrap();
    sim.set_faults(Faults {
        rules: vec![
            FaultRule::status("GET", ORGANIZER_PATH, 429)
                .with_retry_after(1)
                .times(5),
        ],
        ..Faults::default()
    });
    let started = Instant::now();
    let result = client.get_organizer(&OrganizerKey::new("1")).await;
    assert!(
        matches!(result, Err(Error::RateLimited { retry_after: Some(wait) }) if wait == Duration::from_secs(1)),
        "{result:?}"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(api_requests(&sim, "GET").len(), 2);
    assert_eq!(sim.retry_after_violations(), 0);
}

#[tokio::test]
async fn the_request_budget_is_shared_by_every_clone() {
    let sim = start(SimConfig {
        rate_limit: Some(10.0),
        ..SimConfig::default()
    })
    .await;
    let key =
        OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new("a@example.com", "A", "B")));
    let mut config = config(&sim);
    config.requests_per_second = NonZeroU32::new(5).unwrap();
    let client = GoToClient::new(config).unwrap();
    client.authenticate().await.unwrap();
    let started = Instant::now();
    let calls = (0..15).map(|_| {
        let (client, key) = (client.clone(), key.clone());
        tokio::spawn(async move { client.get_organizer(&key).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    // 5 at once (the burst minus the token request), then 5 a second.
    assert!(
        started.elapsed() >= Duration::from_millis(1_800),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        sim.rate_limited_count(),
        0,
        "the shared budget kept the account under the limit"
    );
}

async fn fifty_concurrent_gets(client: &GoToClient, key: &OrganizerKey) {
    let calls = (0..50).map(|_| {
        let (client, key) = (client.clone(), key.clone());
        tokio::spawn(async move { client.get_organizer(&key).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
}

#[tokio::test]
async fn fifty_concurrent_callers_cause_one_token_request() {
    let sim = start(SimConfig::default()).await;
    let key =
        OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new("a@example.com", "A", "B")));
    let client = client(&sim);
    fifty_concurrent_gets(&client, &key).await;
    assert_eq!(token_requests(&sim), 1);

    // Every token dies: 50 callers see 401 at once, and still only one renewal happens.
    sim.expire_all_tokens();
    fifty_concurrent_gets(&client, &key).await;
    assert_eq!(token_requests(&sim), 2);
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_one_near_expiry_ahead_of_time() {
    let sim = start(SimConfig {
        token_ttl: Duration::from_secs(2),
        ..SimConfig::default()
    })
    .await;
    let key =
        OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new("a@example.com", "A", "B")));
    let client = client(&sim);
    client.get_organizer(&key).await.unwrap();
    sim.expire_all_tokens();
    client.get_organizer(&key).await.unwrap();
    let statuses: Vec<_> = sim
        .requests()
        .iter()
        .map(|r| (r.path.starts_with("/oauth"), r.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (true, 200),
            (false, 200),
            (false, 401),
            (true, 200),
            (false, 200)
        ]
    );

    // Inside the renewal margin (10% of 2 s) the client renews before GoTo refuses the token.
    sim.clear_requests();
    tokio::time::sleep(Duration::from_millis(1_850)).await;
    client.get_organizer(&key).await.unwrap();
    let statuses: Vec<_> = sim
        .requests()
        .iter()
        .map(|r| (r.path.starts_with("/oauth"), r.status))
        .collect();
    assert_eq!(statuses, vec![(true, 200), (false, 200)]);
}

#[tokio::test]
async fn a_bad_secret_is_unauthorized_and_never_shown() {
    let sim = start(SimConfig::default()).await;
    let mut config = config(&sim);
    config.credentials.client_secret = SecretString::from("wrong-secret-value");
    let client = GoToClient::new(config.clone()).unwrap();
    let result = client.authenticate().await;
    assert!(matches!(result, Err(Error::Unauthorized)), "{result:?}");
    let result = client.get_organizer(&OrganizerKey::new("1")).await;
    assert!(matches!(result, Err(Error::Unauthorized)), "{result:?}");
    assert_eq!(
        token_requests(&sim),
        2,
        "refused credentials are not retried"
    );
    let shown = format!(
        "{result:?} {} {config:?} {client:?}",
        result.as_ref().unwrap_err()
    );
    assert!(!shown.contains("wrong-secret-value"));
}

#[tokio::test]
async fn a_401_after_renewal_is_unauthorized() {
    let sim = start(SimConfig::default()).await;
    let client = client(&sim);
    sim.set_faults(Faults {
        rules: vec![FaultRule::status("GET", ORGANIZER_PATH, 401).times(5)],
        ..Faults::default()
    });
    let result = client.get_organizer(&OrganizerKey::new("1")).await;
    assert!(matches!(result, Err(Error::Unauthorized)), "{result:?}");
    assert_eq!(api_requests(&sim, "GET").len(), 2, "renew once, retry once");
    assert_eq!(token_requests(&sim), 2);
}

#[tokio::test]
async fn a_429_on_create_is_resent_after_retry_after() {
    let sim = start(SimConfig::default()).await;
    sim.set_faults(Faults {
        rules: vec![FaultRule::status("POST", CREATE_PATH, 429).with_retry_after(1)],
        ..Faults::default()
    });
    let started = Instant::now();
    let created = client(&sim)
        .create_organizer(&new_organizer("ada@example.com"))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        sim.organizers(),
        vec![sim.organizer(created.organizer_key.as_str()).unwrap()]
    );
    let posts: Vec<_> = api_requests(&sim, "POST")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        posts,
        vec![429, 201],
        "a 429 proves nothing was created, so it is resent"
    );
    assert_eq!(sim.retry_after_violations(), 0);
}

#[tokio::test]
async fn attendees_of_a_session_not_yet_ended_are_not_found() {
    let sim = start(SimConfig::default()).await;
    let key = sim.insert_organizer(SeedOrganizer::new("a@example.com", "A", "B"));
    let instance = sim.add_session(
        &key,
        SeedSession {
            subject: "Running".into(),
            start_time: ts("2025-03-01T10:00:00Z"),
            end_time: ts("2099-03-01T11:00:00Z"),
            ..SeedSession::default()
        },
    );
    let result: Result<Vec<_>, _> = client(&sim)
        .list_attendees(&MeetingInstanceKey::new(instance))
        .try_collect()
        .await;
    assert!(matches!(result, Err(Error::NotFound)), "{result:?}");
}
