//! The token cache: renewal on expiry and ahead of it, single-flight, bad credentials.
use super::*;

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
async fn fifty_callers_with_a_bad_secret_cause_one_token_request() {
    let sim = start(SimConfig::default()).await;
    let mut config = config(&sim);
    config.credentials.client_secret = SecretString::from("wrong-secret-value");
    let client = GoToClient::new(config).unwrap();
    let calls = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_organizer(&OrganizerKey::new("1")).await })
    });
    for call in futures::future::join_all(calls).await {
        assert!(matches!(call.unwrap(), Err(Error::Unauthorized)));
    }
    assert_eq!(
        token_requests(&sim),
        1,
        "callers that queued share the refusal"
    );
}
