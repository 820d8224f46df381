//! The token endpoint and bearer tokens.
use super::*;

#[tokio::test]
async fn token_with_basic_auth_and_with_form_fields() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let http = http_client();
    let body = fetch_token(&http, &sim).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));
    assert!(body["refresh_token"].is_string());

    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "demo-client"),
        ("client_secret", "demo-secret"),
    ];
    let resp = http.post(sim.token_url()).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        sim.requests()
            .iter()
            .filter(|r| r.path == "/oauth/token")
            .count(),
        2
    );
}

#[tokio::test]
async fn token_bad_secret_is_401_invalid_client() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let http = http_client();
    let resp = http
        .post(sim.token_url())
        .basic_auth("demo-client", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let anonymous = http
        .post(sim.token_url())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_bad_requests_are_400() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let http = http_client();
    let post = |form: Vec<(&'static str, &'static str)>| {
        http.post(sim.token_url())
            .basic_auth("demo-client", Some("demo-secret"))
            .form(&form)
            .send()
    };
    let cases = [
        (vec![], "invalid_request"),
        (vec![("grant_type", "password")], "unsupported_grant_type"),
        (vec![("grant_type", "refresh_token")], "invalid_request"),
        (
            vec![("grant_type", "refresh_token"), ("refresh_token", "nope")],
            "invalid_grant",
        ),
        (
            vec![("grant_type", "client_credentials"), ("scope", "root")],
            "invalid_scope",
        ),
    ];
    for (form, error) in cases {
        let resp = post(form).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(resp.json::<Value>().await.unwrap()["error"], error);
    }
    let json_body = http
        .post(sim.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn expired_unknown_or_missing_bearer_is_401() {
    let mut e = env().await;
    assert_eq!(
        e.get(&format!("/accounts/{ACCOUNT}/organizers"))
            .await
            .status,
        200
    );
    e.sim.expire_all_tokens();
    assert_eq!(
        e.get(&format!("/accounts/{ACCOUNT}/organizers"))
            .await
            .status,
        401
    );
    e.token = "not-a-token".into();
    assert_eq!(
        e.get(&format!("/accounts/{ACCOUNT}/organizers"))
            .await
            .status,
        401
    );
    let bare = e
        .http
        .get(format!(
            "{}/accounts/{ACCOUNT}/organizers",
            e.sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
}

/// The simulator keeps time with tokio's clock, so a client test can pause it and expire
/// tokens (or wait out Retry-After) without sleeping.
#[tokio::test(start_paused = true)]
async fn tokens_expire_after_their_ttl() {
    let config = SimConfig {
        token_ttl: Duration::from_secs(60),
        ..SimConfig::default()
    };
    let sim = Simulator::start(config).await.unwrap();
    let http = http_client();
    let token = fetch_token(&http, &sim).await;
    assert_eq!(token["expires_in"], 60);
    let token = token["access_token"].as_str().unwrap().to_string();
    let e = Env { sim, http, token };
    let path = format!("/accounts/{ACCOUNT}/organizers");
    assert_eq!(e.get(&path).await.status, 200);
    tokio::time::advance(Duration::from_secs(59)).await;
    assert_eq!(e.get(&path).await.status, 200);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(e.get(&path).await.status, 401);
}

#[tokio::test]
async fn refresh_token_renews_and_rotates() {
    let e = env().await;
    let first = fetch_token(&e.http, &e.sim).await;
    let refresh = first["refresh_token"].as_str().unwrap().to_string();
    let renew = |token: String| {
        e.http
            .post(e.sim.token_url())
            .basic_auth("demo-client", Some("demo-secret"))
            .form(&[
                ("grant_type", "refresh_token".to_string()),
                ("refresh_token", token),
            ])
            .send()
    };
    let resp = renew(refresh.clone()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let renewed: Value = resp.json().await.unwrap();
    assert_ne!(renewed["access_token"], first["access_token"]);
    assert_ne!(renewed["refresh_token"], first["refresh_token"]);
    // The old refresh token was rotated away.
    assert_eq!(
        renew(refresh).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    // Refresh needs client authentication too.
    let unauthenticated = e
        .http
        .post(e.sim.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", renewed["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn credentials_in_urls_are_refused_and_never_logged() {
    let e = env().await;
    let url = format!("{}?client_secret=demo-secret", e.sim.token_url());
    let resp = e
        .http
        .post(url)
        .basic_auth("demo-client", Some("demo-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let path = format!("/accounts/{ACCOUNT}/organizers?access_token={}", e.token);
    assert_eq!(
        e.get(&path).await.status,
        400,
        "access_token is not an API parameter"
    );
    let log = serde_json::to_string(&e.sim.requests()).unwrap();
    assert!(
        !log.contains("demo-secret") && !log.contains(&e.token),
        "{log}"
    );
    assert!(log.contains("access_token=[redacted]"));
}
