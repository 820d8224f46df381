//! Issue 20: the operator's own v1 client ([`V1Client`], behind the `GoToApi` seam) against the
//! simulator's v1, every request it sends and every answer it gets held against GoTo's
//! published OpenAPI document by the judge (`tests/conformance/judge.rs`): 0 violations. Then
//! what the published API makes sharp: keys above 2^53 kept to the digit, above 2^63 - 1
//! refused clearly, 403/409 on a create, the strict audit, and an endpoint of the other
//! dialect named as such (`WrongApi`).
#[path = "conformance/judge.rs"]
mod judge;

use goto_operator::goto::{
    AccountKey, ClientConfig, Credentials, DeleteOutcome, Error, GoToApi, GoToClient, NewOrganizer,
    OrganizerKey, OrganizerStatus, OrganizerUpdate, RetryPolicy, V1Client,
};
use goto_operator::simulator::{SeedMeeting, SeedOrganizer, SimConfig, SimHandle, Simulator};
use jiff::{SignedDuration, Timestamp};
use judge::{Document, violations};
use secrecy::SecretString;

/// Below 2^53, so the judge (and every JSON tool) holds the keys exactly.
const SMALL_FIRST_KEY: u128 = 1_000_001;
/// 2^53 + 1: the first integer an f64 cannot hold.
const ABOVE_2_53: u128 = (1 << 53) + 1;

async fn start(first_key: u128) -> SimHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Simulator::start(SimConfig {
        first_key,
        record_exchanges: true,
        ..SimConfig::default()
    })
    .await
    .expect("simulator")
}

fn pipeline(sim: &SimHandle, base: &str) -> GoToClient {
    let mut config = ClientConfig::new(
        AccountKey::new(sim.account_key()),
        Credentials {
            client_id: "demo-client".into(),
            client_secret: SecretString::from("demo-secret"),
        },
    );
    config.api_base_url = base.parse().expect("url");
    config.token_url = sim.token_url().parse().expect("url");
    config.requests_per_second = std::num::NonZeroU32::new(100).expect("rate");
    config.retry = RetryPolicy {
        max_retries: 1,
        min_delay: std::time::Duration::from_millis(10),
        max_delay: std::time::Duration::from_millis(50),
    };
    GoToClient::new(config).expect("client")
}

fn v1(sim: &SimHandle) -> V1Client {
    V1Client::new(pipeline(sim, &sim.v1_base_url()))
}

fn new(email: &str) -> NewOrganizer {
    NewOrganizer {
        email: email.into(),
        first_name: "New".into(),
        last_name: "Hire".into(),
    }
}

fn judged(sim: &SimHandle) {
    let found = violations(&Document::published_v1(), &sim.exchanges());
    assert!(found.is_empty(), "{}", judge::report(&found));
}

#[tokio::test]
async fn every_operation_of_the_v1_client_keeps_the_published_document() {
    let sim = start(SMALL_FIRST_KEY).await;
    let mut jordan = SeedOrganizer::new("jordan.lee@example.com", "Jordan", "Lee");
    let now = Timestamp::now();
    jordan.meetings = vec![SeedMeeting::new(
        "Standup",
        now + SignedDuration::from_hours(24),
        now + SignedDuration::from_hours(25),
    )];
    let jordan = sim.insert_organizer(jordan);
    let goto = v1(&sim);
    goto.authenticate().await.expect("token");
    goto.verify_dialect().await.expect("speaks v1");

    let listed = goto.list().await.expect("list");
    assert_eq!(listed.len(), 1);
    let found = goto
        .find_by_email(" Jordan.Lee@EXAMPLE.com ")
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.organizer_key.as_str(), jordan);
    assert_eq!(found.first_name, "Jordan");
    assert!(
        goto.find_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );

    let created = goto
        .create(&new("new.hire@example.com"))
        .await
        .expect("create");
    assert_eq!(created.status, Some(OrganizerStatus::Active));
    let key = created.organizer_key.clone();
    let read = goto.read(&key).await.expect("read").expect("exists");
    assert_eq!(read.email, "new.hire@example.com");
    assert_eq!(read.first_name, "New", "names go with the create");

    // The email exists: the create says who has it, for adoption.
    match goto.create(&new("NEW.HIRE@example.com")).await {
        Err(Error::AlreadyExists { organizer }) => assert_eq!(organizer.organizer_key, key),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }

    goto.suspend(&key).await.expect("suspend");
    let suspended = goto.read(&key).await.unwrap().expect("exists");
    assert_eq!(suspended.status, Some(OrganizerStatus::Suspended));
    let resumed = goto
        .resume(&key, &OrganizerUpdate::from_organizer(&suspended))
        .await
        .expect("resume");
    assert_eq!(resumed.status, Some(OrganizerStatus::Active));

    let audit = goto
        .upcoming_meetings(&OrganizerKey::new(jordan.clone()))
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].subject, "Standup");

    assert_eq!(
        goto.delete(&key).await.expect("delete"),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        goto.delete(&key).await.expect("delete again"),
        DeleteOutcome::AlreadyGone
    );
    assert!(goto.read(&key).await.unwrap().is_none(), "404 is nobody");

    // No seat left: the published 403.
    sim.set_seats(Some(1));
    match goto.create(&new("late@example.com")).await {
        Err(Error::SeatUnavailable { status }) => assert_eq!(status, 403),
        other => panic!("expected SeatUnavailable, got {other:?}"),
    }
    assert!(!goto.capabilities().profile_updates);
    assert!(
        goto.update(&key, &OrganizerUpdate::default())
            .await
            .is_err(),
        "v1 cannot change a profile: refused, nothing sent"
    );
    judged(&sim);
    let methods: std::collections::BTreeSet<String> =
        sim.exchanges().iter().map(|e| e.method.clone()).collect();
    assert_eq!(
        methods.into_iter().collect::<Vec<_>>(),
        ["DELETE", "GET", "POST", "PUT"],
        "every kind of request was judged"
    );
}

/// Issue 20 (3): v1's keys are JSON numbers; one above 2^53 is kept to the digit (f64 would
/// round 2^53 + 1 to 2^53), one above 2^63 - 1 is refused with a message saying so.
#[tokio::test]
async fn keys_above_2_53_are_exact_and_above_2_63_refused() {
    let sim = start(ABOVE_2_53).await;
    let goto = v1(&sim);
    let created = goto.create(&new("big@example.com")).await.expect("create");
    assert_eq!(created.organizer_key.as_str(), ABOVE_2_53.to_string());
    let read = goto.read(&created.organizer_key).await.unwrap().unwrap();
    assert_eq!(read.organizer_key.as_str(), "9007199254740993");

    let huge = start(1 << 63).await;
    let key = huge.insert_organizer(SeedOrganizer::new("huge@example.com", "H", "Uge"));
    assert_eq!(key, "9223372036854775808");
    let goto = v1(&huge);
    let error = goto
        .read(&OrganizerKey::new(key))
        .await
        .expect_err("above int64");
    assert!(
        error.to_string().contains("2^63 - 1"),
        "the refusal says why: {error}"
    );
    assert!(
        goto.list().await.is_err(),
        "a listing with it is refused too"
    );
}

/// Issue 20 (6): an endpoint of the other dialect is named, with the value to set, once.
#[tokio::test]
async fn an_endpoint_of_the_other_dialect_says_which_api_to_set() {
    let sim = start(SMALL_FIRST_KEY).await;
    // api: v1, pointed at the v2 base URL.
    let v1_at_v2 = V1Client::new(pipeline(&sim, &sim.base_url()));
    match v1_at_v2.verify_dialect().await {
        Err(Error::WrongApi(m)) => assert!(m.contains("set spec.api: v2"), "{m}"),
        other => panic!("expected WrongApi, got {other:?}"),
    }
    // The verdict is kept: asked again (every organizer asks), the client still says so.
    let requests = sim.requests().len();
    assert!(
        matches!(v1_at_v2.verify_dialect().await, Err(Error::WrongApi(_))),
        "the second ask forgot the verdict"
    );
    assert_eq!(sim.requests().len(), requests, "and asks GoTo once");
    // api: v2 (the default), pointed at the v1 base URL.
    let v2_at_v1 = pipeline(&sim, &sim.v1_base_url());
    match GoToApi::verify_dialect(&v2_at_v1).await {
        Err(Error::WrongApi(m)) => assert!(m.contains("set spec.api: v1"), "{m}"),
        other => panic!("expected WrongApi, got {other:?}"),
    }
    // Each dialect at its own endpoint.
    v1(&sim).verify_dialect().await.expect("v1 at v1");
    GoToApi::verify_dialect(&pipeline(&sim, &sim.base_url()))
        .await
        .expect("v2 at v2");
}

/// Issue 20 (4) / issue 22 (3): through v1 a drift read of every organizer of the account is
/// answered from one `GET /organizers`; a key the listing lacks and a key just written are read
/// from GoTo, never answered "gone" or stale from the listing.
#[tokio::test]
async fn drift_reads_of_a_whole_account_cost_one_listing() {
    let sim = start(SMALL_FIRST_KEY).await;
    let keys: Vec<OrganizerKey> = (0..50)
        .map(|i| {
            OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new(
                &format!("person{i}@example.com"),
                "P",
                &format!("{i}"),
            )))
        })
        .collect();
    let goto = v1(&sim);
    goto.authenticate().await.unwrap();
    sim.clear_requests();
    for key in &keys {
        let o = goto.read_for_drift(key).await.unwrap().expect("exists");
        assert_eq!(&o.organizer_key, key);
    }
    let calls = sim.v1_requests();
    assert_eq!(calls.len(), 1, "one listing for 50 drift reads: {calls:?}");
    assert_eq!(calls[0].path, "/G2M/rest/organizers");

    // A write drops its key: the next drift read of it asks GoTo, and sees the write.
    goto.suspend(&keys[0]).await.unwrap();
    sim.clear_requests();
    let after = goto.read_for_drift(&keys[0]).await.unwrap().unwrap();
    assert_eq!(after.status, Some(OrganizerStatus::Suspended));
    assert_eq!(sim.v1_requests().len(), 1, "one GET of the written key");
    // A key the listing lacks is read, not taken for gone.
    let late =
        OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new("late@example.com", "L", "Ate")));
    assert!(goto.read_for_drift(&late).await.unwrap().is_some());
    // Everything on the wire still keeps the published document.
    judged(&sim);
}

/// Issue 20 (4): importing an account through v1 (each GoToOrganizer finds its organizer by
/// email, with the full record to plan from) costs one `GET /organizers`, not one read each.
#[tokio::test]
async fn adopting_fifty_organizers_by_email_costs_one_listing() {
    let sim = start(SMALL_FIRST_KEY).await;
    for i in 0..50 {
        sim.insert_organizer(SeedOrganizer::new(
            &format!("person{i}@example.com"),
            "P",
            &format!("{i}"),
        ));
    }
    let goto = v1(&sim);
    goto.authenticate().await.unwrap();
    sim.clear_requests();
    for i in 0..50 {
        let found = goto
            .find_by_email(&format!("Person{i}@example.com"))
            .await
            .unwrap()
            .expect("found");
        assert_eq!(found.last_name, i.to_string(), "the full record");
    }
    assert!(
        goto.find_by_email("new@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let calls = sim.v1_requests();
    assert_eq!(calls.len(), 1, "{calls:?}");
    judged(&sim);
}
