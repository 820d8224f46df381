//! `--account NAMESPACE/NAME` against the real kube-apiserver of `make test`: the report reads the
//! GoToAccount and its Secret through the kubeconfig, exactly as the operator does. Skips on a
//! developer machine without the control plane; fails under CI instead (see tests/common).
use std::collections::BTreeMap;

use goto_operator::crd::{CredentialsSecretRef, GoToAccount, GoToAccountSpec};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};

use super::cli::{assert_clean_failure, run};
use super::common;
use super::world::*;

async fn create_account(kube: &kube::Client, ns: &str, name: &str, secret: &str, world: &World) {
    let secret_name = format!("{name}-credentials");
    let data = BTreeMap::from([
        ("clientId".to_owned(), "demo-client".to_owned()),
        ("clientSecret".to_owned(), secret.to_owned()),
    ]);
    Api::<Secret>::namespaced(kube.clone(), ns)
        .create(
            &PostParams::default(),
            &Secret {
                metadata: ObjectMeta {
                    name: Some(secret_name.clone()),
                    ..ObjectMeta::default()
                },
                string_data: Some(data),
                ..Secret::default()
            },
        )
        .await
        .unwrap();
    let spec = GoToAccountSpec {
        account_key: world.sim.account_key(),
        credentials_secret_ref: CredentialsSecretRef {
            name: secret_name,
            client_id_key: "clientId".into(),
            client_secret_key: "clientSecret".into(),
        },
        api: Default::default(),
        api_base_url: Some(world.sim.base_url()),
        token_url: world.sim.token_url(),
        requests_per_second: 50,
        webhook: None,
    };
    Api::<GoToAccount>::namespaced(kube.clone(), ns)
        .create(&PostParams::default(), &GoToAccount::new(name, spec))
        .await
        .unwrap();
}

fn account_args(account: &str) -> Vec<String> {
    [
        "report",
        "attendance",
        "--from",
        FROM,
        "--to",
        TO,
        "--account",
        account,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn account_mode_reads_the_goto_account_and_its_secret() {
    let Some(kube) = common::client().await else {
        return;
    };
    let Some(kubeconfig) = common::required_env(common::KUBECONFIG_ENV) else {
        return;
    };
    let kubeconfig = kubeconfig.to_string_lossy().into_owned();
    common::apply_crds(&kube).await;
    let ns = common::TestNamespace::new(&kube).await;
    let world = small_world().await;
    let wrong = "wrong-secret-Kp27";
    create_account(&kube, ns.name(), "goto", SECRET, &world).await;
    create_account(&kube, ns.name(), "stale", wrong, &world).await;
    let env = || vec![("KUBECONFIG", kubeconfig.clone())];

    let ok = run(account_args(&format!("{}/goto", ns.name())), env()).await;
    assert_eq!(ok.code, Some(0), "{ok:?}");
    assert_eq!(parse_csv(&ok.stdout).1, world.expected);
    assert!(!ok.stderr.contains(SECRET));

    let unknown = run(account_args(&format!("{}/nope", ns.name())), env()).await;
    assert_clean_failure(
        "unknown account",
        &unknown,
        &format!("GoToAccount \"nope\" not found in namespace {}", ns.name()),
    );

    let refused = run(account_args(&format!("{}/stale", ns.name())), env()).await;
    assert_clean_failure(
        "bad secret",
        &refused,
        "GoTo API: GoTo refused the credentials",
    );
    assert!(!refused.stderr.contains(wrong));
    ns.cleanup().await;
}
