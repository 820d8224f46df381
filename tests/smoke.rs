//! Smoke test of the test control plane itself: if this fails, every other control-plane test
//! would fail for reasons unrelated to the operator. It also proves the two properties the later
//! RBAC tests rely on: the server is the Kubernetes version we target, and the plain `operator`
//! user really has no rights until RBAC grants them.

mod common;

use std::collections::BTreeMap;

use common::{DEFAULT_TIMEOUT, TestNamespace};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::{ListParams, ObjectMeta, PostParams};
use kube::{Api, Client};

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        ..ObjectMeta::default()
    }
}

#[tokio::test]
async fn server_is_kubernetes_1_34_or_newer() {
    let Some(client) = common::client().await else {
        return;
    };
    let version = client.apiserver_version().await.expect("GET /version");
    // Minor may carry a suffix such as "34+" on some builds.
    let minor: u32 = version
        .minor
        .trim_end_matches('+')
        .parse()
        .unwrap_or_else(|e| panic!("minor version {:?}: {e}", version.minor));
    assert_eq!(version.major, "1", "{version:?}");
    assert!(minor >= 34, "need Kubernetes >= 1.34, got {version:?}");
    assert!(
        version.git_version.starts_with(&format!("v1.{minor}.")),
        "/version must be stamped (not v0.0.0-master): {version:?}"
    );
}

#[tokio::test]
async fn operator_user_needs_rbac_to_read_secrets() {
    let Some(admin) = common::client().await else {
        return;
    };
    let Some(operator) = common::operator_client().await else {
        return;
    };
    let ns = TestNamespace::new(&admin).await;
    create_secret_and_config_map(&admin, ns.name()).await;

    let as_operator = Api::<Secret>::namespaced(operator, ns.name());
    match as_operator.list(&ListParams::default()).await {
        Err(kube::Error::Api(status)) => assert!(status.is_forbidden(), "{status:?}"),
        other => panic!("operator listed secrets without a grant: {other:?}"),
    }

    grant_secret_read(&admin, ns.name()).await;
    // The authorizer sees the new binding through an informer, so it takes effect moments later.
    let secrets = common::eventually(
        "operator lists secrets after the grant",
        DEFAULT_TIMEOUT,
        || {
            let api = as_operator.clone();
            async move { api.list(&ListParams::default()).await }
        },
    )
    .await;
    let names: Vec<_> = secrets
        .iter()
        .filter_map(|s| s.metadata.name.as_deref())
        .collect();
    assert_eq!(names, ["smoke"]);

    ns.cleanup().await;
}

async fn create_secret_and_config_map(admin: &Client, namespace: &str) {
    let secret = Secret {
        metadata: meta("smoke"),
        data: Some(BTreeMap::from([(
            "token".to_owned(),
            ByteString(b"not-a-real-token".to_vec()),
        )])),
        ..Secret::default()
    };
    Api::<Secret>::namespaced(admin.clone(), namespace)
        .create(&PostParams::default(), &secret)
        .await
        .expect("admin creates a Secret");

    let config_map = ConfigMap {
        metadata: meta("smoke"),
        data: Some(BTreeMap::from([("key".to_owned(), "value".to_owned())])),
        ..ConfigMap::default()
    };
    let created = Api::<ConfigMap>::namespaced(admin.clone(), namespace)
        .create(&PostParams::default(), &config_map)
        .await
        .expect("admin creates a ConfigMap");
    assert_eq!(created.data, config_map.data);
}

async fn grant_secret_read(admin: &Client, namespace: &str) {
    let role = Role {
        metadata: meta("secret-reader"),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["secrets".to_owned()]),
            verbs: vec!["get".to_owned(), "list".to_owned()],
            ..PolicyRule::default()
        }]),
    };
    Api::<Role>::namespaced(admin.clone(), namespace)
        .create(&PostParams::default(), &role)
        .await
        .expect("admin creates the Role");

    let binding = RoleBinding {
        metadata: meta("operator-reads-secrets"),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".to_owned(),
            kind: "Role".to_owned(),
            name: "secret-reader".to_owned(),
        },
        subjects: Some(vec![Subject {
            api_group: Some("rbac.authorization.k8s.io".to_owned()),
            kind: "User".to_owned(),
            name: "operator".to_owned(),
            ..Subject::default()
        }]),
    };
    Api::<RoleBinding>::namespaced(admin.clone(), namespace)
        .create(&PostParams::default(), &binding)
        .await
        .expect("admin creates the RoleBinding");
}
