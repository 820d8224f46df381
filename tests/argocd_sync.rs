//! The manifests in examples/ applied twice against the real kube-apiserver, with the operator
//! running against the seeded simulator, show no diff: CRD defaults, finalizers and status must
//! not make Argo CD report OutOfSync forever.

mod common;
mod operator;

use std::path::Path;

use goto_operator::simulator::{Seed, SimConfig, SimHandle, Simulator};
use operator::Operator;
use serde_json::Value;

use common::repo;

/// Every field of `desired` is in `live` with the same value (lists compared whole). This is what
/// Argo CD needs to call an applied object Synced: fields the server adds (defaults) are fine,
/// fields it rewrites are not.
fn assert_subset(desired: &Value, live: &Value, path: &str) {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => {
            for (k, v) in d {
                let field = format!("{path}.{k}");
                let live_value = l.get(k).unwrap_or_else(|| {
                    panic!("{field} is in the manifest but not in the live object")
                });
                assert_subset(v, live_value, &field);
            }
        }
        _ => assert_eq!(
            desired, live,
            "{path} changed between manifest and live object"
        ),
    }
}

fn kubectl(kubectl: &Path, kubeconfig: &str, args: &[&str]) -> std::process::Output {
    common::run_kubectl(kubectl, kubeconfig, args, None)
}

/// The examples as Argo CD would sync them, with the account pointed at this test's simulator
/// (examples/account.yaml names 127.0.0.1:8089, which `make demo` uses).
fn examples_for(sim: &SimHandle, dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for name in ["secret.yaml", "account.yaml", "organizers.yaml"] {
        let text = std::fs::read_to_string(repo().join("examples").join(name)).expect("read");
        let text = text.replace("http://127.0.0.1:8089", &format!("http://{}", sim.addr()));
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        files.push(path.to_string_lossy().into_owned());
    }
    files
}

/// Applying the same manifests again changes nothing, even after the operator has added its
/// finalizers and written every status: neither `kubectl diff` nor Argo CD may see a difference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_applied_twice_show_no_diff_while_the_operator_works() {
    let Some(client) = common::client().await else {
        return;
    };
    let Some(kubectl_bin) = common::kubectl() else {
        return;
    };
    let kubeconfig = std::env::var(common::KUBECONFIG_ENV).expect("checked by client()");
    common::apply_crds(&client).await;
    let ns = common::TestNamespace::new(&client).await;
    let seed = Seed::from_path(&repo().join("examples/simulator/seed.yaml")).expect("seed");
    let sim = Simulator::start(SimConfig {
        seed: Some(seed),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let files = examples_for(&sim, dir.path());
    let mut args = vec!["-n", ns.name()];
    for f in &files {
        args.extend(["-f", f.as_str()]);
    }
    let mut operator = Operator::start(&kubeconfig, ns.name(), &["--leader-election", "false"]);

    // Client-side apply, as Argo CD does by default.
    let apply = kubectl(&kubectl_bin, &kubeconfig, &[&["apply"], &args[..]].concat());
    assert!(
        apply.status.success(),
        "kubectl apply examples/: {}",
        String::from_utf8_lossy(&apply.stderr)
    );
    let wait = kubectl(
        &kubectl_bin,
        &kubeconfig,
        &[
            "-n",
            ns.name(),
            "wait",
            "--for=condition=Ready",
            "--timeout=40s",
            "gotoaccount/acme",
            "gotoorganizer/jane-doe",
            "gotoorganizer/jordan-lee",
            "gotoorganizer/riley-chen",
            "gotoorganizer/sam-taylor",
        ],
    );
    operator.assert_running();
    assert!(
        wait.status.success(),
        "the examples did not converge: {}\noperator log:\n{}",
        String::from_utf8_lossy(&wait.stderr),
        operator.log()
    );

    let diff = kubectl(&kubectl_bin, &kubeconfig, &[&["diff"], &args[..]].concat());
    assert_eq!(
        diff.status.code(),
        Some(0),
        "kubectl diff after apply must be empty (exit 0); stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&diff.stdout),
        String::from_utf8_lossy(&diff.stderr)
    );
    // Applying again: the custom resources are unchanged. kubectl re-sends a Secret's write-only
    // `stringData` every time and so prints "configured", but the stored Secret stays the same
    // (Argo CD normalizes stringData itself).
    let secret_version = || {
        let out = kubectl(
            &kubectl_bin,
            &kubeconfig,
            &[
                "-n",
                ns.name(),
                "get",
                "secret",
                "goto-oauth",
                "-o",
                "jsonpath={.metadata.resourceVersion}",
            ],
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let before = secret_version();
    let again = kubectl(&kubectl_bin, &kubeconfig, &[&["apply"], &args[..]].concat());
    let again = String::from_utf8_lossy(&again.stdout);
    let custom: Vec<&str> = again
        .lines()
        .filter(|l| l.contains("goto-operator.dev/"))
        .collect();
    assert_eq!(custom.len(), 5, "{again}");
    assert!(custom.iter().all(|l| l.ends_with(" unchanged")), "{again}");
    assert_eq!(secret_version(), before, "the Secret was rewritten");

    // What Argo CD compares: every field of each manifest, as the server stored it.
    for file in &files[1..] {
        let text = std::fs::read_to_string(file).expect("read example");
        for doc in serde_norway::Deserializer::from_str(&text) {
            let desired: Value = serde::Deserialize::deserialize(doc).expect("YAML");
            if desired.is_null() {
                continue;
            }
            let kind = desired["kind"].as_str().expect("kind").to_lowercase();
            let name = desired["metadata"]["name"].as_str().expect("name");
            let get = kubectl(
                &kubectl_bin,
                &kubeconfig,
                &["-n", ns.name(), "get", &kind, name, "-o", "json"],
            );
            assert!(
                get.status.success(),
                "{}",
                String::from_utf8_lossy(&get.stderr)
            );
            let live: Value = serde_json::from_slice(&get.stdout).expect("JSON");
            assert_subset(
                &desired["spec"],
                &live["spec"],
                &format!("{kind}/{name}.spec"),
            );
            assert_subset(
                &desired["metadata"],
                &live["metadata"],
                &format!("{kind}/{name}.metadata"),
            );
        }
    }
    drop(operator);
    ns.cleanup().await;
}
