//! The request budget (429 + Retry-After) and injected faults.
use super::*;

/// On a paused tokio clock, so the bucket refills only when the test lets time pass.
#[tokio::test(start_paused = true)]
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
    // A request already in flight when the 429 went out is refused but not held against
    // the client; coming back later, before Retry-After elapsed, is caught.
    assert_eq!(e.get(&path).await.status, 200);
    assert_eq!(e.get(&path).await.status, 429);
    assert_eq!(e.get(&path).await.status, 429);
    assert_eq!(e.sim.retry_after_violations(), 0);
    tokio::time::advance(Duration::from_millis(100)).await;
    assert_eq!(e.get(&path).await.status, 429);
    assert_eq!(
        (e.sim.rate_limited_count(), e.sim.retry_after_violations()),
        (4, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn injected_429_has_retry_after_and_counts_violations() {
    let e = env().await;
    let rule = FaultRule::status("GET", "/G2M/rest/v2/organizers/*", 429)
        .with_retry_after(30)
        .times(100);
    e.sim.set_faults(Faults {
        rules: vec![rule],
        ..Faults::default()
    });
    let limited = e.get("/organizers/18446744073709551617").await;
    assert_eq!(
        (limited.status, limited.retry_after.as_deref()),
        (429, Some("30"))
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(e.get("/organizers/18446744073709551617").await.status, 429);
    assert_eq!(
        e.sim.retry_after_violations(),
        1,
        "early, though the rule answered"
    );
    // The last 429 (at 1 s) asked for another 30 s.
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(e.get("/organizers/18446744073709551617").await.status, 429);
    assert_eq!(
        e.sim.retry_after_violations(),
        1,
        "honoured: the rule answers again"
    );
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
