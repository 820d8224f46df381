//! The seam's contract, asked of two implementations: the v2 client against the simulator and
//! the in-memory GoTo that the controller's unit tests use. Both must answer alike, or the unit
//! tests would prove the controller against a GoTo that does not exist.
use super::*;
use goto_operator::goto::{GoToApi, MemoryGoTo};

/// Books a meeting for an organizer, however the implementation under test does it.
type Book<'a> = &'a dyn Fn(&OrganizerKey);

async fn contract(goto: &dyn GoToApi, book: Book<'_>) {
    goto.authenticate().await.unwrap();
    assert_eq!(goto.account_key().as_str(), ACCOUNT);
    assert!(goto.capabilities().profile_updates);
    assert_eq!(goto.read(&OrganizerKey::new("1")).await.unwrap(), None);
    assert_eq!(goto.find_by_email("ada@example.com").await.unwrap(), None);

    let ada = goto
        .create(&new_organizer("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(ada.status, Some(OrganizerStatus::Active));
    let key = ada.organizer_key.clone();
    match goto.create(&new_organizer("ADA@example.com")).await {
        Err(Error::AlreadyExists { organizer }) => assert_eq!(organizer.organizer_key, key),
        other => panic!("a second create of one email: {other:?}"),
    }
    let found = goto
        .find_by_email(" Ada@Example.COM")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&found.organizer_key, found.first_name.as_str()),
        (&key, "Ada")
    );
    goto.create(&new_organizer("bob@example.com"))
        .await
        .unwrap();
    match goto.create(&new_organizer("carol@example.com")).await {
        Err(Error::SeatUnavailable { status: 402 }) => {}
        other => panic!("a third create with two seats: {other:?}"),
    }
    let listed = goto.list().await.unwrap();
    assert_eq!(listed.len(), 2);

    // A full PUT: what it leaves unset is reset.
    let update = OrganizerUpdate {
        time_zone: Some("Europe/London".into()),
        ..OrganizerUpdate::from_organizer(&found)
    };
    goto.update(&key, &update).await.unwrap();
    let read = goto.read(&key).await.unwrap().unwrap();
    assert_eq!(read.time_zone.as_deref(), Some("Europe/London"));
    let reset = OrganizerUpdate {
        time_zone: None,
        ..update.clone()
    };
    goto.update(&key, &reset).await.unwrap();
    let reread = goto.read(&key).await.unwrap().unwrap();
    assert_eq!(reread.time_zone.unwrap_or_default(), "");

    goto.suspend(&key).await.unwrap();
    let status = |o: Option<goto_operator::goto::Organizer>| o.unwrap().status;
    assert_eq!(
        status(goto.read(&key).await.unwrap()),
        Some(OrganizerStatus::Suspended)
    );
    let resumed = goto.resume(&key, &reset).await.unwrap();
    assert_eq!(resumed.status, Some(OrganizerStatus::Active));

    assert!(goto.upcoming_meetings(&key).await.unwrap().is_empty());
    book(&key);
    assert_eq!(goto.upcoming_meetings(&key).await.unwrap().len(), 1);

    assert_eq!(goto.delete(&key).await.unwrap(), DeleteOutcome::Deleted);
    assert_eq!(goto.delete(&key).await.unwrap(), DeleteOutcome::AlreadyGone);
    assert_eq!(goto.read(&key).await.unwrap(), None);
    assert!(matches!(goto.suspend(&key).await, Err(Error::NotFound)));
    assert!(matches!(
        goto.upcoming_meetings(&key).await,
        Err(Error::NotFound)
    ));
    let known = goto
        .known_organizers()
        .expect("the email lookups listed the account");
    assert_eq!(known.count, 1);
}

#[tokio::test]
async fn the_v2_client_keeps_the_seams_contract() {
    let sim = start(SimConfig {
        seats: Some(2),
        ..SimConfig::default()
    })
    .await;
    let client = client(&sim);
    let book = |key: &OrganizerKey| {
        sim.add_meeting(
            key.as_str(),
            SeedMeeting::new(
                "Standup",
                ts("2099-01-01T09:00:00Z"),
                ts("2099-01-01T09:15:00Z"),
            ),
        );
    };
    contract(&client, &book).await;
}

#[tokio::test]
async fn the_in_memory_goto_keeps_the_seams_contract() {
    let memory = MemoryGoTo::new(ACCOUNT);
    memory.set_seats(2);
    let book = |key: &OrganizerKey| {
        let meeting = serde_json::from_value(serde_json::json!({
            "meetingId": "1", "subject": "Standup", "startTime": "2099-01-01T09:00:00Z"
        }))
        .unwrap();
        memory.book(key, meeting);
    };
    contract(&memory, &book).await;
}
