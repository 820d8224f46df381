//! Every operation against the simulator, and the contract's data edges.
use super::*;
use goto_operator::goto::ListedOrganizer;

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
    // The listing keeps key, email and status only.
    assert_eq!(listed, vec![ListedOrganizer::from(&created)]);
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
