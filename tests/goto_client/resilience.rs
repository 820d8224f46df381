//! Retries, timeouts, 429 with Retry-After, and the account-wide request budget.
use super::*;

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
async fn concurrent_callers_all_wait_out_a_429() {
    let sim = start(SimConfig {
        rate_limit: Some(2.0),
        ..SimConfig::default()
    })
    .await;
    let key =
        OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new("a@example.com", "A", "B")));
    // 8 callers at 2 a second take 4 rounds: leave retries to spare.
    let mut config = config(&sim);
    config.retry.max_retries = 8;
    let client = GoToClient::new(config).unwrap();
    client.authenticate().await.unwrap();
    let calls = (0..8).map(|_| {
        let (client, key) = (client.clone(), key.clone());
        tokio::spawn(async move { client.get_organizer(&key).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert!(sim.rate_limited_count() > 0, "the callers outran the limit");
    assert_eq!(
        sim.retry_after_violations(),
        0,
        "after a 429 the whole account paused, not just the caller that got it"
    );
}

#[tokio::test]
async fn a_long_retry_after_ends_the_call_at_once_and_holds_the_account() {
    let sim = start(SimConfig::default()).await;
    let key =
        OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new("a@example.com", "A", "B")));
    let client = client(&sim);
    client.authenticate().await.unwrap();
    sim.set_faults(Faults {
        rules: vec![
            FaultRule::status("GET", ORGANIZER_PATH, 429)
                .with_retry_after(30)
                .times(1),
        ],
        ..Faults::default()
    });
    let started = Instant::now();
    let result = client.get_organizer(&key).await;
    assert!(
        matches!(result, Err(Error::RateLimited { retry_after: Some(wait) }) if wait == Duration::from_secs(30)),
        "{result:?}"
    );
    // Another caller of the account is told at once too, without sending anything.
    let again = client.get_organizer(&key).await;
    assert!(
        matches!(again, Err(Error::RateLimited { retry_after: Some(wait) }) if wait <= Duration::from_secs(30)),
        "{again:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a worker was parked"
    );
    assert_eq!(api_requests(&sim, "GET").len(), 1);
    assert_eq!(sim.retry_after_violations(), 0);
}

#[tokio::test]
async fn a_hostile_retry_after_is_clamped_to_an_hour() {
    let sim = start(SimConfig::default()).await;
    let key =
        OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new("a@example.com", "A", "B")));
    let client = client(&sim);
    sim.set_faults(Faults {
        rules: vec![
            FaultRule::status("GET", ORGANIZER_PATH, 429)
                .with_retry_after(u64::MAX / 2)
                .times(1),
        ],
        ..Faults::default()
    });
    let result = client.get_organizer(&key).await;
    assert!(
        matches!(result, Err(Error::RateLimited { retry_after: Some(wait) }) if wait == Duration::from_secs(3600)),
        "{result:?}"
    );
    assert!(client.effective_requests_per_second() < 1000.0);
}
