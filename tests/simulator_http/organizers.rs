//! Keys, paging, and the organizer operations.
use super::*;

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
