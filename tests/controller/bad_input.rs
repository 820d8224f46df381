//! Bad input: what the schema can reject fails at admission; the rest becomes `Ready=False` with
//! its reason, one Warning Event, no write to GoTo, and no hot loop.
use goto_operator::simulator::SimConfig;
use serde_json::{Value, json};

use crate::harness::{ACCOUNT, Env, condition};

/// (what, spec override) pairs the CRD schema must refuse at `kubectl apply`.
fn rejected_at_admission() -> Vec<(&'static str, Value)> {
    vec![
        ("email without @", json!({"email": "not-an-email"})),
        (
            "email with spaces",
            json!({"email": "jane doe@example.com"}),
        ),
        (
            "email too long",
            json!({"email": format!("{}@example.com", "a".repeat(250))}),
        ),
        ("empty firstName", json!({"firstName": ""})),
        ("blank lastName", json!({"lastName": "   "})),
        ("firstName too long", json!({"firstName": "x".repeat(101)})),
        ("locale not ll_RR", json!({"locale": "english"})),
        ("timeZone with spaces", json!({"timeZone": "Not A Zone"})),
        (
            "unknown deletionPolicy",
            json!({"deletionPolicy": "Destroy"}),
        ),
        (
            "unknown onUpcomingMeetings",
            json!({"onUpcomingMeetings": "Maybe"}),
        ),
        (
            "unknown managementPolicy",
            json!({"managementPolicy": "Own"}),
        ),
        ("missing email", json!({"email": null})),
        ("missing accountRef", json!({"accountRef": null})),
        (
            "bad accountRef name",
            json!({"accountRef": {"name": "Not_A_Name"}}),
        ),
        ("empty admin role", json!({"adminRoles": [""]})),
    ]
}

#[tokio::test]
async fn the_schema_rejects_bad_specs_at_admission() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    for (i, (what, spec)) in rejected_at_admission().into_iter().enumerate() {
        let err = env
            .apply_organizer(&format!("bad-{i}"), spec)
            .await
            .expect_err(&format!("{what}: should be rejected at admission"));
        let kube::Error::Api(status) = &err else {
            panic!("{what}: not an API error: {err}")
        };
        assert_eq!(status.code, 422, "{what}: {status:?}");
    }
    // accountRef is immutable once set (CEL rule).
    env.apply_organizer("stable", json!({}))
        .await
        .expect("valid organizer");
    let err = env
        .apply_organizer("stable", json!({"accountRef": {"name": "other"}}))
        .await
        .expect_err("changing accountRef must be refused");
    assert!(err.to_string().contains("accountRef is immutable"), "{err}");
    // The account's key and budget are checked too.
    for (what, spec) in [
        ("non-digit accountKey", json!({"accountKey": "12ab"})),
        ("zero requestsPerSecond", json!({"requestsPerSecond": 0})),
        ("tokenUrl not a URL", json!({"tokenUrl": "ftp:/x"})),
        // Plain http only to a loopback host: the endpoint check refuses it again at runtime.
        (
            "plain http to another host",
            json!({"apiBaseUrl": "http://api.example.com/G2M/rest/v2"}),
        ),
        (
            "plain http to a host named like loopback",
            json!({"tokenUrl": "http://127.0.0.1.evil.example/oauth/token"}),
        ),
    ] {
        let obj = json!({
            "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount",
            "metadata": {"name": "bad-account"},
            "spec": merge_account(spec),
        });
        let err = env
            .accounts()
            .patch(
                "bad-account",
                &kube::api::PatchParams::apply("e2e-test"),
                &kube::api::Patch::Apply(&obj),
            )
            .await
            .expect_err(what);
        assert!(
            matches!(&err, kube::Error::Api(s) if s.code == 422),
            "{what}: {err}"
        );
    }
    env.wait_ready("stable", "True", "Reconciled").await;
    assert_eq!(
        env.goto_writes()
            .iter()
            .filter(|w| w.starts_with("POST"))
            .count(),
        1,
        "only the valid one was created"
    );
    env.finish().await;
}

fn merge_account(over: Value) -> Value {
    let mut spec = json!({"accountKey": "1", "credentialsSecretRef": {"name": "goto-oauth"}});
    if let (Value::Object(s), Value::Object(o)) = (&mut spec, over) {
        s.extend(o);
    }
    spec
}

/// Waits for the reason, then checks the message, the single Warning Event and that nothing
/// was written to GoTo.
async fn expect_reason(env: &Env, name: &str, reason: &str, message_part: &str) {
    let o = env.wait_ready(name, "False", reason).await;
    let (_, _, message) = condition(&o, "Ready").expect("Ready");
    assert!(
        message.contains(message_part),
        "{name}: message {message:?} lacks {message_part:?}"
    );
    let note = env.wait_event("GoToOrganizer", name, reason).await;
    assert!(!note.is_empty());
}

#[tokio::test]
async fn bad_values_the_schema_cannot_see_become_conditions_without_writes() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("tz", json!({"timeZone": "Mars/Olympus_Mons"}))
        .await
        .expect("apply");
    env.apply_organizer_with(
        "key-letters",
        json!({}),
        json!({"goto-operator.dev/organizer-key": "12ab"}),
    )
    .await
    .expect("apply");
    env.apply_organizer_with(
        "key-unknown",
        json!({}),
        json!({"goto-operator.dev/organizer-key": "999999999999999999999"}),
    )
    .await
    .expect("apply");
    env.apply_organizer("no-account", json!({"accountRef": {"name": "missing"}}))
        .await
        .expect("apply");
    // An account whose Secret does not exist, and one whose Secret lacks the key.
    env.apply_account(
        "nosecret",
        json!({"credentialsSecretRef": {"name": "absent"}}),
    )
    .await;
    env.apply_organizer("no-secret", json!({"accountRef": {"name": "nosecret"}}))
        .await
        .expect("apply");
    env.apply_account(
        "nokey",
        json!({"credentialsSecretRef": {"name": "goto-oauth", "clientSecretKey": "other"}}),
    )
    .await;
    env.apply_organizer("no-key", json!({"accountRef": {"name": "nokey"}}))
        .await
        .expect("apply");

    expect_reason(&env, "tz", "InvalidSpec", "IANA").await;
    expect_reason(&env, "key-letters", "InvalidSpec", "digits").await;
    expect_reason(&env, "key-unknown", "InvalidSpec", "does not exist").await;
    expect_reason(&env, "no-account", "AccountNotFound", "missing").await;
    expect_reason(&env, "no-secret", "AccountNotReady", "absent").await;
    expect_reason(&env, "no-key", "AccountNotReady", "other").await;
    env.wait_account("nosecret", "False", "SecretNotFound")
        .await;
    env.wait_account("nokey", "False", "SecretNotFound").await;
    assert!(
        env.goto_writes().is_empty(),
        "no write for bad input: {:?}",
        env.goto_writes()
    );

    // No hot loop: over a few slow-requeue periods each object is retried only a few times.
    env.sim.clear_requests();
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let calls = env.sim.requests().len();
    assert!(
        calls <= 6,
        "bad input must requeue slowly, saw {calls} GoTo requests in 5 s"
    );
    for name in ["tz", "key-letters", "no-account", "no-secret"] {
        let warnings = env.event_reasons("GoToOrganizer", name).await.len();
        assert_eq!(warnings, 1, "{name}: one Warning Event, not one per retry");
    }

    // Fixing the input fixes the object.
    env.patch_organizer("tz", json!({"spec": {"timeZone": "Europe/Berlin"}}))
        .await;
    env.wait_ready("tz", "True", "Reconciled").await;
    let _ = ACCOUNT;
    env.finish().await;
}

#[tokio::test]
async fn wrong_credentials_and_missing_seats_are_reported() {
    let config = SimConfig {
        seats: Some(1),
        ..SimConfig::default()
    };
    let Some(env) = Env::start(config).await else {
        return;
    };
    env.apply_organizer("first", json!({}))
        .await
        .expect("apply");
    env.wait_ready("first", "True", "Reconciled").await;
    env.apply_organizer("second", json!({}))
        .await
        .expect("apply");
    expect_reason(&env, "second", "SeatUnavailable", "seat").await;
    assert!(env.sim.organizer_by_email("second@example.com").is_none());
    // Buying seats lets both waiting organizers through on their next (slow) retry.
    env.sim.set_seats(Some(3));
    env.wait_ready("second", "True", "Reconciled").await;

    env.create_secret("wrong", "not-the-secret").await;
    env.apply_account(
        "wrongcreds",
        json!({"credentialsSecretRef": {"name": "wrong"}}),
    )
    .await;
    env.wait_account("wrongcreds", "False", "CredentialsInvalid")
        .await;
    env.apply_organizer("third", json!({"accountRef": {"name": "wrongcreds"}}))
        .await
        .expect("apply");
    expect_reason(&env, "third", "CredentialsInvalid", "").await;

    // Fixing the Secret re-triggers the account (Secret watch) and then its organizers.
    env.create_secret("wrong", crate::harness::CLIENT_SECRET)
        .await;
    env.wait_account("wrongcreds", "True", "Authenticated")
        .await;
    env.wait_ready("third", "True", "Reconciled").await;
    env.finish().await;
}

#[tokio::test]
async fn a_409_without_an_existing_email_is_a_missing_seat() {
    let config = SimConfig {
        seats: Some(0),
        seat_error_status: 409,
        ..SimConfig::default()
    };
    let Some(env) = Env::start(config).await else {
        return;
    };
    env.apply_organizer("nine", json!({})).await.expect("apply");
    expect_reason(&env, "nine", "SeatUnavailable", "").await;
    assert!(
        env.goto_writes().iter().all(|w| w.starts_with("POST")),
        "only the refused create"
    );
    env.finish().await;
}

#[tokio::test]
async fn a_duplicate_object_for_the_same_person_never_touches_gotos_organizer() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("owner", json!({"email": "dana@example.com"}))
        .await
        .expect("apply");
    let key = crate::harness::organizer_key(&env.wait_ready("owner", "True", "Reconciled").await);
    env.sim.clear_requests();
    env.apply_organizer(
        "copy",
        json!({"email": "Dana@Example.com", "firstName": "Other"}),
    )
    .await
    .expect("apply");
    expect_reason(
        &env,
        "copy",
        "OwnedElsewhere",
        &format!("owned by GoToOrganizer {}/owner", env.namespace()),
    )
    .await;
    env.delete_organizer("copy").await;
    env.wait_gone("copy").await;
    env.wait_event_with(
        "GoToOrganizer",
        "copy",
        "Released",
        &format!("{}/owner", env.namespace()),
    )
    .await;
    assert!(
        env.goto_writes().is_empty(),
        "the duplicate wrote nothing: {:?}",
        env.goto_writes()
    );
    let organizer = env
        .sim
        .organizer(&key)
        .expect("the owner's organizer survives");
    assert_eq!(organizer.first_name, "Test");
    env.wait_ready("owner", "True", "Reconciled").await;
    env.finish().await;
}
