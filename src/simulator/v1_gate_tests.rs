//! The v1 routes behind the simulator's gate (token, rate limit, faults) and its exchange
//! recorder, with the helpers of `v1_tests`.
use serde_json::{Value, json};

use super::v1_tests::{start, v1_config};
use super::{FaultRule, Faults};

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
