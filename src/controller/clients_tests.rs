//! The client cache: Secret values read safely, and a Secret read only when it changed.
use super::*;
use k8s_openapi::ByteString;
use std::collections::BTreeMap;

fn secret(data: &[(&str, &[u8])], string_data: &[(&str, &str)]) -> Secret {
    let mut secret = Secret::default();
    secret.metadata.name = Some("goto-oauth".into());
    secret.data = Some(
        data.iter()
            .map(|(k, v)| (k.to_string(), ByteString(v.to_vec())))
            .collect::<BTreeMap<_, _>>(),
    );
    secret.string_data = Some(
        string_data
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    secret
}

/// Bad Secrets a tenant can write: each is `SecretNotFound` with a message naming the key,
/// and no message ever carries the value.
#[test]
fn bad_secret_values_are_refused_without_showing_them() {
    let cases: &[(&str, Secret, &str)] = &[
        ("no such key", secret(&[("other", b"x")], &[]), "has no key"),
        (
            "not UTF-8",
            secret(&[("clientSecret", b"\xff\xfehunter2")], &[]),
            "is not UTF-8 text",
        ),
        ("empty", secret(&[("clientSecret", b"")], &[]), "is empty"),
        (
            "only whitespace",
            secret(&[("clientSecret", b" \n\t ")], &[]),
            "is empty",
        ),
        ("no data at all", Secret::default(), "has no key"),
    ];
    for (what, secret, expected) in cases {
        let error = secret_value(secret, "clientSecret").expect_err(what);
        let text = error.to_string();
        assert!(matches!(error, Problem::SecretNotFound(_)), "{what}");
        assert!(text.contains(expected), "{what}: {text}");
        assert!(text.contains("clientSecret"), "{what}: {text}");
        assert!(!text.contains("hunter2"), "{what}: {text}");
    }
}

#[test]
fn secret_values_are_trimmed_and_string_data_counts() {
    let data = secret(&[("clientSecret", b" hunter2\n")], &[]);
    assert_eq!(secret_value(&data, "clientSecret").unwrap(), "hunter2");
    let string_data = secret(&[], &[("clientSecret", "s3cr3t")]);
    assert_eq!(
        secret_value(&string_data, "clientSecret").unwrap(),
        "s3cr3t"
    );
}

/// Asserts that a lookup read the Secret: the Kubernetes API of these tests cannot be reached,
/// so a read fails with `Problem::Kube` (and a lookup that did not read succeeds).
fn assert_read_the_secret(lookup: Result<Arc<dyn GoToApi>, Problem>, when: &str) {
    assert!(
        matches!(lookup, Err(Problem::Kube(_))),
        "{when}: {:?}",
        lookup.err()
    );
}

/// An organizer reconcile used to read the credentials Secret each time (a Kubernetes GET
/// per reconcile). While the account controller's watch shows the Secret at the version the
/// client was built from, it is not read; a changed or deleted Secret is.
#[tokio::test]
async fn the_secret_is_read_only_when_the_watch_shows_it_changed() {
    use kube::runtime::watcher::Event;
    // A Kubernetes API nothing listens on: any read fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let uri = format!("http://127.0.0.1:{port}").parse().expect("a URI");
    let kube = Client::try_from(kube::Config::new(uri)).expect("a client");
    let clients = AccountClients::new(Arc::new(crate::goto::Unobserved), Duration::from_secs(1));
    let account = crate::crd::fixtures::account("team", "acme", "1001");
    let mut secret = secret(&[("clientId", b"id"), ("clientSecret", b"s3cret")], &[]);
    secret.metadata.namespace = Some("team".into());
    secret.metadata.uid = Some("u1".into());
    secret.metadata.resource_version = Some("7".into());
    let built = clients.built_from(&account, &secret).expect("a client");
    let watched = |version: &str| {
        let mut metadata = secret.metadata.clone();
        metadata.resource_version = Some(version.into());
        kube::core::PartialObjectMeta::<Secret> {
            metadata,
            ..Default::default()
        }
    };

    // Before the watch has seen the Secret, it is read (and the read fails here).
    let unseen = clients.client_with(&kube, &account, false).await;
    assert_read_the_secret(unseen, "before the watch saw it");

    clients
        .secrets()
        .follow("team", &Event::Apply(watched("7")));
    let current = clients
        .client_with(&kube, &account, false)
        .await
        .expect("the cached client, without a read");
    assert!(Arc::ptr_eq(&current, &built));

    clients
        .secrets()
        .follow("team", &Event::Apply(watched("8")));
    let changed = clients.client_with(&kube, &account, false).await;
    assert_read_the_secret(changed, "after a change");

    clients
        .secrets()
        .follow("team", &Event::Apply(watched("7")));
    clients
        .secrets()
        .follow("team", &Event::Delete(watched("7")));
    let deleted = clients.client_with(&kube, &account, false).await;
    assert_read_the_secret(deleted, "after a delete");
}
