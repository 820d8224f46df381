//! Every bad input the simulator rejects, with its status.
use super::*;

#[tokio::test]
async fn every_bad_input_gets_its_4xx() {
    let e = env().await;
    let key = e.create("jordan.lee@example.com").await.json()["organizerKey"]
        .as_str()
        .unwrap()
        .to_string();
    let org = format!("/organizers/{key}");
    let create = format!("/accounts/{ACCOUNT}/organizers");
    let person = |extra: Value| {
        let mut body = json!({"email": "x@example.com", "firstName": "X", "lastName": "Y"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let cases: Vec<(Method, String, Option<Value>, u16)> = vec![
        (Method::GET, "/organizers/abc".into(), None, 400),
        (
            Method::GET,
            "/organizers/18446744073709559999".into(),
            None,
            404,
        ),
        (
            Method::GET,
            "/accounts/4200000000000000002/organizers".into(),
            None,
            404,
        ),
        (
            Method::GET,
            "/accounts/not-digits/organizers".into(),
            None,
            400,
        ),
        (Method::GET, "/no/such/thing".into(), None, 404),
        (
            Method::POST,
            create.clone(),
            Some(json!({"email": "x@example.com", "firstName": "X"})),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(json!({"email": "", "firstName": "X", "lastName": "Y"})),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(person(json!({"email": "not-an-email"}))),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(person(json!({"email": 42}))),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(person(json!({"timezone": "UTC"}))),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(person(json!({"timeZone": "Mars/Base"}))),
            400,
        ),
        (
            Method::POST,
            create.clone(),
            Some(person(json!({"locale": "english"}))),
            400,
        ),
        (
            Method::POST,
            "/accounts/4200000000000000002/organizers".into(),
            Some(person(json!({}))),
            404,
        ),
        (
            Method::PUT,
            org.clone(),
            Some(person(json!({"status": "PAUSED"}))),
            400,
        ),
        (
            Method::PUT,
            org.clone(),
            Some(person(json!({"organizerKey": "1"}))),
            400,
        ),
        (
            Method::PUT,
            org.clone(),
            Some(person(json!({"organizerKey": 18446744073709551615u64}))),
            400,
        ),
        (
            Method::PUT,
            org.clone(),
            Some(person(json!({"maxParticipants": 3000}))),
            400,
        ),
        (
            Method::PUT,
            org.clone(),
            Some(person(json!({"adminRoles": "ADMIN"}))),
            400,
        ),
        (
            Method::PUT,
            "/organizers/18446744073709559999".into(),
            Some(person(json!({}))),
            404,
        ),
        (
            Method::GET,
            format!("{org}/meetings?status=history"),
            None,
            400,
        ),
        (
            Method::GET,
            format!("{org}/meetings?status=HISTORY&startDate=yesterday"),
            None,
            400,
        ),
        (
            Method::GET,
            format!("{org}/meetings?status=HISTORY&startDate=2026-05-02&endDate=2026-05-01"),
            None,
            400,
        ),
        (Method::GET, format!("{org}/meetings?limit=101"), None, 400),
        (
            Method::GET,
            format!("{org}/meetings?from=2026-01-01"),
            None,
            400,
        ),
        (
            Method::GET,
            "/organizers/18446744073709559999/meetings".into(),
            None,
            404,
        ),
        (Method::GET, "/meetings/abc/attendees".into(), None, 400),
        (
            Method::GET,
            "/meetings/18446744073709559999/attendees?limit=0".into(),
            None,
            400,
        ),
        (
            Method::DELETE,
            format!("/accounts/{ACCOUNT}/organizers/18446744073709559999"),
            None,
            404,
        ),
        (
            Method::DELETE,
            format!("/accounts/{ACCOUNT}/organizers/xyz"),
            None,
            400,
        ),
    ];
    for (method, path, body, expected) in cases {
        let answer = e.call(method.clone(), &path, body.clone()).await;
        assert_eq!(
            answer.status, expected,
            "{method} {path} {body:?}: {}",
            answer.text
        );
        assert!(
            answer.json().is_object(),
            "{method} {path}: the error body is JSON"
        );
    }
    let not_json = e
        .http
        .post(format!("{}{create}", e.sim.base_url()))
        .bearer_auth(&e.token)
        .body("email=x@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let broken = e
        .http
        .post(format!("{}{create}", e.sim.base_url()))
        .bearer_auth(&e.token)
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
}
