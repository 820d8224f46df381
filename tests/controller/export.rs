//! `goto-operator export` end to end: the real binary reading the account through the kubeconfig,
//! `kubectl apply` of its output, the operator adopting every organizer, and the simulator's
//! request log proving that the import wrote nothing to GoTo.
use std::path::Path;
use std::process::Command;

use goto_operator::simulator::{OrganizerStatus, Seed, SeedOrganizer, SimConfig};
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use serde_json::{Value, json};

use crate::common;
use crate::harness::{CLIENT_SECRET, Env};

/// What one run of the binary did.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `goto-operator <args>` with the admin kubeconfig, off the async runtime so the
/// in-process simulator keeps serving.
pub async fn cli(args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let kubeconfig = common::required_env(common::KUBECONFIG_ENV).expect("kubeconfig");
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_goto-operator"))
            .args(&args)
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run goto-operator");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("utf-8"),
            stderr: String::from_utf8(out.stderr).expect("utf-8"),
        }
    })
    .await
    .expect("join")
}

/// `kubectl <args>` with the admin kubeconfig; panics with stderr on failure.
pub async fn kubectl(args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let kubectl = common::kubectl().expect("kubectl");
    let kubeconfig = common::required_env(common::KUBECONFIG_ENV).expect("kubeconfig");
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::run_kubectl(&kubectl, kubeconfig, &args, None);
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    })
    .await
    .expect("join")
}

/// A GoTo account key no other test uses: cluster-wide claims are keyed by account, and the test
/// control plane keeps every other test's objects.
pub fn unique_account_key() -> String {
    format!("42{:017}", rand::random::<u64>() % 100_000_000_000_000_000)
}

fn documents(yaml: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(yaml)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("YAML document"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn seed_organizer(email: &str, first: &str, last: &str) -> SeedOrganizer {
    SeedOrganizer::new(email, first, last)
}

#[tokio::test]
async fn export_then_apply_imports_the_account_without_a_goto_write_and_exports_nothing_after() {
    if common::kubectl().is_none() {
        return;
    }
    let account_key = unique_account_key();
    let mut jane = seed_organizer("Jane.Doe@example.com", "Jane", "Doe");
    jane.locale = "fr_FR".into();
    jane.time_zone = "Europe/Paris".into();
    jane.admin_roles = vec!["MANAGER".into()];
    let mut sam = seed_organizer("sam@example.com", "Sam", "Taylor");
    sam.status = OrganizerStatus::Suspended;
    let config = SimConfig {
        account_key: account_key.clone(),
        seed: Some(Seed {
            organizers: vec![
                jane,
                sam,
                // Same local part as Jane: the second name gets the organizer key appended.
                seed_organizer("jane.doe@other.example", "Jane", "Other"),
                seed_organizer("managed@example.com", "Managed", "Here"),
                seed_organizer("elsewhere@example.com", "Managed", "Elsewhere"),
            ],
        }),
        ..SimConfig::default()
    };
    let Some(env) = Env::start(config).await else {
        return;
    };
    // Claimed in this namespace (by email, adopted by the operator)...
    env.apply_organizer("managed", json!({"email": "MANAGED@example.com"}))
        .await
        .expect("apply");
    env.wait_ready("managed", "True", "Reconciled").await;
    // ...and in another namespace, through another GoToAccount naming the same GoTo account.
    let other = format!("{}-other", env.namespace());
    Api::<Namespace>::all(env.client.clone())
        .create(
            &PostParams::default(),
            &Namespace {
                metadata: ObjectMeta {
                    name: Some(other.clone()),
                    labels: Some([("goto-operator.dev/test".into(), "true".into())].into()),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .expect("other namespace");
    let elsewhere = json!([
        {"apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount",
         "metadata": {"name": "goto", "namespace": other},
         "spec": {"accountKey": account_key, "credentialsSecretRef": {"name": "none"}}},
        {"apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
         "metadata": {"name": "elsewhere", "namespace": other},
         "spec": {"accountRef": {"name": "goto"}, "email": "elsewhere@example.com",
                  "firstName": "Managed", "lastName": "Elsewhere"}},
    ]);
    let dir = tempfile::tempdir().expect("temp dir");
    let elsewhere_file = dir.path().join("elsewhere.json");
    std::fs::write(
        &elsewhere_file,
        json!({"apiVersion": "v1", "kind": "List", "items": elsewhere}).to_string(),
    )
    .expect("write");
    kubectl(&["apply", "-f", elsewhere_file.to_str().expect("path")]).await;
    env.sim.clear_requests();

    // Observe (the default), as one stream on stdout.
    let ns = env.namespace().to_string();
    let run = cli(&["export", "--namespace", &ns, "--account", "acme"]).await;
    assert_eq!(run.code, Some(0), "export failed: {}", run.stderr);
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(CLIENT_SECRET), "the client secret leaked");
    }
    assert!(
        run.stderr.contains("3 organizer(s)") && run.stderr.contains("2 already claimed"),
        "{}",
        run.stderr
    );
    let observe = documents(&run.stdout);
    let mut emails: Vec<&str> = observe
        .iter()
        .map(|d| d["spec"]["email"].as_str().expect("email"))
        .collect();
    emails.sort_unstable();
    assert_eq!(
        emails,
        [
            "Jane.Doe@example.com",
            "jane.doe@other.example",
            "sam@example.com"
        ]
    );
    let by_email = |email: &str| {
        observe
            .iter()
            .find(|d| d["spec"]["email"] == email)
            .expect("exported")
            .clone()
    };
    let jane = by_email("Jane.Doe@example.com");
    let jane_key = env
        .sim
        .organizer_by_email("jane.doe@example.com")
        .expect("jane")
        .organizer_key;
    assert_eq!(jane["metadata"]["name"], "jane-doe");
    assert_eq!(
        jane["metadata"]["annotations"]["goto-operator.dev/organizer-key"],
        jane_key.as_str()
    );
    // Through v1, which cannot tell locale, time zone or roles, those are left unmanaged.
    let (locale, time_zone, roles) = if crate::harness::through_v1() {
        (Value::Null, Value::Null, Value::Null)
    } else {
        (json!("fr_FR"), json!("Europe/Paris"), json!(["MANAGER"]))
    };
    let expected = json!({
        "accountRef": {"name": "acme"}, "email": "Jane.Doe@example.com",
        "firstName": "Jane", "lastName": "Doe", "locale": locale, "timeZone": time_zone,
        "adminRoles": roles, "suspended": false, "deletionPolicy": "Orphan",
        "onUpcomingMeetings": "Block", "managementPolicy": "Observe",
    });
    // Fields added to the spec later (written with their defaults) may come on top.
    for (field, value) in expected.as_object().expect("object") {
        assert_eq!(&jane["spec"][field], value, "spec.{field}");
    }
    assert_eq!(by_email("sam@example.com")["spec"]["suspended"], true);
    let other_jane = by_email("jane.doe@other.example");
    let other_name = other_jane["metadata"]["name"].as_str().expect("name");
    assert!(other_name.starts_with("jane-doe-"), "{other_name}");

    // --manage, one file each.
    let out = dir.path().join("organizers");
    let run = cli(&[
        "export",
        "--namespace",
        &ns,
        "--account",
        "acme",
        "--manage",
        "-o",
        out.to_str().expect("path"),
    ])
    .await;
    assert_eq!(run.code, Some(0), "export -o failed: {}", run.stderr);
    assert!(run.stdout.is_empty(), "-o writes nothing on stdout");
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort_unstable();
    let mut expected_files = vec![
        "jane-doe.yaml".to_string(),
        format!("{other_name}.yaml"),
        "sam.yaml".to_string(),
    ];
    expected_files.sort_unstable();
    assert_eq!(files, expected_files);
    for doc in &observe {
        let name = doc["metadata"]["name"].as_str().expect("name");
        let text = std::fs::read_to_string(out.join(format!("{name}.yaml"))).expect("file");
        let managed = documents(&text).pop().expect("one document");
        let mut expected = doc.clone();
        expected["spec"]["managementPolicy"] = json!("Manage");
        assert_eq!(managed, expected, "{name}: only the policy differs");
    }
    assert!(env.goto_writes().is_empty(), "export wrote to GoTo");

    // Apply the Manage manifests as Argo CD would (client-side apply): each is adopted, in sync,
    // and GoTo receives no write at all, because the spec restates GoTo.
    kubectl(&["apply", "-n", &ns, "-f", out.to_str().expect("path")]).await;
    for doc in &observe {
        let name = doc["metadata"]["name"].as_str().expect("name");
        let o = env.wait_ready(name, "True", "Reconciled").await;
        assert_eq!(
            o.status.as_ref().and_then(|s| s.organizer_key.as_deref()),
            doc["metadata"]["annotations"]["goto-operator.dev/organizer-key"].as_str()
        );
        env.wait_synced(name, "True", "InSync").await;
        assert_spec_as_stored(&ns, name, &out.join(format!("{name}.yaml"))).await;
    }
    assert_eq!(
        env.goto_writes(),
        Vec::<String>::new(),
        "the import wrote to GoTo"
    );

    // Everything is claimed now.
    let run = cli(&["export", "--namespace", &ns, "--account", "acme"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "", "a second export finds nothing to import");
    assert!(run.stderr.contains("5 already claimed"), "{}", run.stderr);
    env.finish().await;
}

/// The object as the API server stored it has exactly the manifest's spec: no default was
/// filled in that the manifest lacks, so Argo CD shows it Synced.
async fn assert_spec_as_stored(ns: &str, name: &str, file: &Path) {
    let manifest = documents(&std::fs::read_to_string(file).expect("file"))
        .pop()
        .expect("document");
    let live: Value = serde_json::from_str(
        &kubectl(&["get", "-n", ns, "gotoorganizer", name, "-o", "json"]).await,
    )
    .expect("JSON");
    assert_eq!(
        live["spec"], manifest["spec"],
        "{name}: stored spec differs"
    );
}

#[tokio::test]
async fn export_of_a_missing_account_fails_with_one_line_and_no_output() {
    if common::kubectl().is_none() {
        return;
    }
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    let run = cli(&[
        "export",
        "--namespace",
        env.namespace(),
        "--account",
        "nope",
    ])
    .await;
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("error: GoToAccount \"nope\" not found"),
        "{}",
        run.stderr
    );
    env.finish().await;
}
