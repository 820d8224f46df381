//! The Helm chart, for real: `helm lint` and `helm template` for several value sets, with
//! assertions on the rendered objects. tests/chart_dry_run.rs has the real kube-apiserver accept
//! every render; tests/chart_rbac.rs proves the rendered rules are exactly enough to run the
//! operator.

mod common;
mod helm;

use std::collections::BTreeSet;

use helm::{inventory, kind, named, only, render, run, text, try_render};
use serde_json::{Value, json};

const RELEASE: &str = "goto-operator";
const NS: &str = "goto-system";

/// The rules every render grants where the operator watches (ClusterRole or Role alike).
fn expected_rules() -> Value {
    json!([
        {"apiGroups": ["goto-operator.dev"], "resources": ["gotoorganizers", "gotoaccounts"],
         "verbs": ["get", "list", "watch", "patch"]},
        {"apiGroups": ["goto-operator.dev"],
         "resources": ["gotoorganizers/status", "gotoaccounts/status"], "verbs": ["patch"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch", "patch"]},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]},
    ])
}

fn env_of(deployment: &Value) -> Vec<Value> {
    deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("container env")
        .clone()
}

fn env_value(deployment: &Value, var: &str) -> Option<Value> {
    env_of(deployment)
        .into_iter()
        .find(|e| e["name"] == var)
        .map(|e| {
            e.get("value")
                .cloned()
                .unwrap_or_else(|| e["valueFrom"].clone())
        })
}

#[test]
fn helm_lint_passes_for_every_value_set() {
    let Some(helm) = common::helm() else { return };
    let chart = helm::chart_dir();
    let chart = chart.to_string_lossy();
    for extra in [
        &[][..],
        &["--set", "watchNamespaces={team-a}"][..],
        &[
            "--set",
            "podDisruptionBudget.enabled=true",
            "--set",
            "metrics.serviceMonitor.enabled=true",
            "--set",
            "networkPolicy.enabled=true",
        ][..],
        &["--set", "webhook.enabled=true"][..],
    ] {
        let args = [&["lint", "--strict", &chart][..], extra].concat();
        let out = run(&helm, &args, &[]);
        assert!(
            out.status.success(),
            "helm lint {extra:?}:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

#[test]
fn default_render_is_cluster_wide_with_a_restricted_deployment() {
    let Some(helm) = common::helm() else { return };
    let objs = render(&helm, RELEASE, NS, &[]);
    assert_eq!(
        inventory(&objs),
        [
            "ClusterRole/goto-operator",
            "ClusterRoleBinding/goto-operator",
            "Deployment/goto-operator",
            "Role/goto-operator-leader-election",
            "RoleBinding/goto-operator-leader-election",
            "Service/goto-operator-metrics",
            "ServiceAccount/goto-operator",
        ]
    );
    for obj in &objs {
        if !kind(obj).starts_with("Cluster") {
            assert_eq!(obj["metadata"]["namespace"], NS, "{}", helm::name(obj));
        }
    }

    assert_eq!(only(&objs, "ClusterRole")["rules"], expected_rules());
    let binding = only(&objs, "ClusterRoleBinding");
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "goto-operator", "namespace": NS}])
    );
    let lease_role = only(&objs, "Role");
    assert_eq!(
        lease_role["rules"],
        json!([
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
             "resourceNames": ["goto-operator-leader"], "verbs": ["get", "patch"]},
        ])
    );

    let deployment = only(&objs, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(pod["serviceAccountName"], "goto-operator");
    assert_eq!(container["image"], "goto-operator:0.1.0");
    assert_eq!(container["args"], json!(["run"]));
    // Pod Security "restricted", every field of it.
    assert_eq!(
        pod["securityContext"],
        json!({"runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532,
               "seccompProfile": {"type": "RuntimeDefault"}})
    );
    assert_eq!(
        container["securityContext"],
        json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
               "runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532,
               "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}})
    );
    assert_eq!(
        container["ports"],
        json!([{"name": "metrics", "containerPort": 8080, "protocol": "TCP"}])
    );
    assert_eq!(
        container["livenessProbe"]["httpGet"],
        json!({"path": "/healthz", "port": "metrics"})
    );
    assert_eq!(
        container["readinessProbe"]["httpGet"],
        json!({"path": "/readyz", "port": "metrics"})
    );
    assert!(container["resources"]["requests"]["memory"].is_string());
    assert!(container["resources"]["limits"]["memory"].is_string());

    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_NAMESPACE"),
        None,
        "all namespaces"
    );
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_LEADER_ELECTION"),
        Some(json!("true"))
    );
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_LOG_FORMAT"),
        Some(json!("json"))
    );
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_METRICS_BIND"),
        Some(json!("0.0.0.0:8080"))
    );
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_LEASE_NAMESPACE"),
        Some(json!({"fieldRef": {"fieldPath": "metadata.namespace"}}))
    );
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_IDENTITY"),
        Some(json!({"fieldRef": {"fieldPath": "metadata.name"}}))
    );
    let service = only(&objs, "Service");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "metrics");
    assert_eq!(
        service["spec"]["selector"],
        deployment["spec"]["selector"]["matchLabels"]
    );
}

/// Every GOTO_OPERATOR_* variable the chart sets is one `goto-operator run` reads: a renamed flag
/// must not leave the chart configuring nothing.
#[test]
fn every_env_var_the_chart_sets_is_a_flag_of_the_binary() {
    let Some(helm) = common::helm() else { return };
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_goto-operator"))
        .args(["run", "--help"])
        .output()
        .expect("goto-operator run --help");
    let help = text(&help.stdout);
    let objs = render(&helm, RELEASE, NS, &["--set", "watchNamespaces={team-a}"]);
    let names: BTreeSet<String> = env_of(only(&objs, "Deployment"))
        .iter()
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .filter(|n| n.starts_with("GOTO_OPERATOR_"))
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    for var in names {
        assert!(
            help.contains(&format!("[env: {var}=")),
            "goto-operator run does not read {var}:\n{help}"
        );
    }
}

#[test]
fn one_watched_namespace_renders_namespaced_roles_only() {
    let Some(helm) = common::helm() else { return };
    let objs = render(&helm, RELEASE, NS, &["--set", "watchNamespaces={team-a}"]);
    let kinds: BTreeSet<&str> = objs.iter().map(kind).collect();
    assert!(
        !kinds.contains("ClusterRole") && !kinds.contains("ClusterRoleBinding"),
        "{kinds:?}"
    );
    let role = named(&objs, "Role", "goto-operator");
    assert_eq!(role["metadata"]["namespace"], "team-a");
    assert_eq!(role["rules"], expected_rules());
    let binding = named(&objs, "RoleBinding", "goto-operator");
    assert_eq!(binding["metadata"]["namespace"], "team-a");
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "goto-operator", "namespace": NS}])
    );
    // Secrets are readable in team-a only: no other object grants them.
    for obj in objs.iter().filter(|o| kind(o) == "Role") {
        let grants_secrets = obj["rules"].as_array().is_some_and(|rules| {
            rules
                .iter()
                .any(|r| r["resources"].to_string().contains("secrets"))
        });
        assert_eq!(
            grants_secrets,
            obj["metadata"]["namespace"] == "team-a",
            "{obj}"
        );
    }
    let deployment = only(&objs, "Deployment");
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_NAMESPACE"),
        Some(json!("team-a"))
    );
}

#[test]
fn several_watched_namespaces_are_refused_not_half_honoured() {
    let Some(helm) = common::helm() else { return };
    let err = try_render(
        &helm,
        RELEASE,
        NS,
        &["--set", "watchNamespaces={team-a,team-b}"],
    )
    .expect_err("two namespaces must be refused");
    assert!(err.contains("watchNamespaces"), "{err}");
    let err = try_render(&helm, RELEASE, NS, &["--set", "replicaCount=two"])
        .expect_err("the schema must refuse a string");
    assert!(err.contains("replicaCount"), "{err}");
    let err = try_render(
        &helm,
        RELEASE,
        NS,
        &["--set", "operator.leaderElection=false"],
    )
    .expect_err("2 replicas without leader election must be refused");
    assert!(err.contains("leaderElection"), "{err}");
    let single = render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            "operator.leaderElection=false",
            "--set",
            "replicaCount=1",
        ],
    );
    assert!(
        !inventory(&single)
            .iter()
            .any(|o| o.contains("leader-election")),
        "{:?}",
        inventory(&single)
    );
}

#[test]
fn pdb_and_service_monitor_render_when_enabled() {
    let Some(helm) = common::helm() else { return };
    let objs = render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            "podDisruptionBudget.enabled=true",
            "--set",
            "metrics.serviceMonitor.enabled=true",
            "--set",
            "metrics.serviceMonitor.labels.release=prometheus",
        ],
    );
    let selector = &only(&objs, "Deployment")["spec"]["selector"]["matchLabels"];
    let pdb = only(&objs, "PodDisruptionBudget");
    assert_eq!(pdb["apiVersion"], "policy/v1");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(&pdb["spec"]["selector"]["matchLabels"], selector);
    let monitor = only(&objs, "ServiceMonitor");
    assert_eq!(monitor["metadata"]["labels"]["release"], "prometheus");
    assert_eq!(&monitor["spec"]["selector"]["matchLabels"], selector);
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "metrics");
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
}

#[test]
fn the_webhook_endpoint_renders_a_port_a_service_and_the_flag_when_enabled() {
    let Some(helm) = common::helm() else { return };
    let off = render(&helm, RELEASE, NS, &[]);
    assert_eq!(
        env_value(only(&off, "Deployment"), "GOTO_OPERATOR_WEBHOOK_BIND"),
        None
    );
    assert!(
        !inventory(&off).contains(&"Service/goto-operator-webhook".to_string()),
        "off by default"
    );
    let objs = render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            "webhook.enabled=true",
            "--set",
            "webhook.port=9443",
        ],
    );
    let deployment = only(&objs, "Deployment");
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_WEBHOOK_BIND"),
        Some(json!("0.0.0.0:9443"))
    );
    let ports = &deployment["spec"]["template"]["spec"]["containers"][0]["ports"];
    assert!(
        ports
            .as_array()
            .expect("ports")
            .contains(&json!({"name": "webhook", "containerPort": 9443, "protocol": "TCP"})),
        "{ports}"
    );
    // With the NetworkPolicy on, the webhook port is let in next to the metrics port.
    let fenced = render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            "webhook.enabled=true",
            "--set",
            "networkPolicy.enabled=true",
        ],
    );
    let ingress = &only(&fenced, "NetworkPolicy")["spec"]["ingress"];
    assert!(
        ingress
            .as_array()
            .expect("ingress rules")
            .iter()
            .any(|r| r["ports"] == json!([{"protocol": "TCP", "port": 8090}])),
        "{ingress}"
    );
    let service = named(&objs, "Service", "goto-operator-webhook");
    assert_eq!(service["spec"]["ports"][0]["port"], 9443);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "webhook");
    assert_eq!(
        &service["spec"]["selector"],
        &deployment["spec"]["selector"]["matchLabels"]
    );
}

#[test]
fn chart_crds_are_identical_to_crds_and_to_the_rust_types() {
    let top = std::fs::read_to_string(helm::repo().join("crds/goto-operator.dev_crds.yaml"))
        .expect("crds/goto-operator.dev_crds.yaml");
    let chart = std::fs::read_to_string(helm::chart_dir().join("crds/goto-operator.dev_crds.yaml"))
        .expect("charts/goto-operator/crds/goto-operator.dev_crds.yaml");
    assert!(
        top == chart,
        "the chart's crds/ differ from crds/: run `make crds`"
    );
    assert!(
        top == goto_operator::crd::all_yaml(),
        "crds/ differ from the Rust types: run `make crds`"
    );
}

#[test]
fn network_policy_is_off_by_default_and_limits_egress_when_on() {
    let Some(helm) = common::helm() else { return };
    assert!(
        !render(&helm, RELEASE, NS, &[])
            .iter()
            .any(|o| kind(o) == "NetworkPolicy"),
        "off by default"
    );
    let objs = render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            "networkPolicy.enabled=true",
            "--set",
            "networkPolicy.apiServer.cidrs={172.18.0.2/32}",
        ],
    );
    let policy = only(&objs, "NetworkPolicy");
    let selector = &only(&objs, "Deployment")["spec"]["selector"]["matchLabels"];
    assert_eq!(&policy["spec"]["podSelector"]["matchLabels"], selector);
    assert_eq!(policy["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    let egress = policy["spec"]["egress"].as_array().expect("egress rules");
    let ports = |rule: &Value| -> Vec<(String, i64)> {
        rule["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["protocol"].as_str().unwrap_or("").to_string(),
                    p["port"].as_i64().unwrap_or(0),
                )
            })
            .collect()
    };
    assert_eq!(egress.len(), 3, "{egress:#?}");
    assert_eq!(ports(&egress[0]), [("UDP".into(), 53), ("TCP".into(), 53)]);
    // GoTo: 443 to public addresses only: never the pod network or a metadata endpoint.
    assert_eq!(ports(&egress[1]), [("TCP".into(), 443)]);
    let block = &egress[1]["to"][0]["ipBlock"];
    assert_eq!(block["cidr"], "0.0.0.0/0");
    for private in [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
    ] {
        assert!(
            block["except"]
                .as_array()
                .expect("except")
                .contains(&json!(private)),
            "{private} must be excluded: {block}"
        );
    }
    // The API server, by address when given.
    assert_eq!(
        ports(&egress[2]),
        [("TCP".into(), 443), ("TCP".into(), 6443)]
    );
    assert_eq!(
        egress[2]["to"],
        json!([{"ipBlock": {"cidr": "172.18.0.2/32"}}])
    );
    // Inbound: the metrics port only.
    assert_eq!(
        policy["spec"]["ingress"],
        json!([{"ports": [{"protocol": "TCP", "port": 8080}]}])
    );
    // Values are checked: a port that is not a number is refused.
    let bad = try_render(
        &helm,
        RELEASE,
        NS,
        &["--set", "networkPolicy.apiServer.ports={https}"],
    );
    assert!(bad.is_err(), "a non-numeric port must be refused");
}

#[test]
fn image_digest_pins_the_image() {
    let Some(helm) = common::helm() else { return };
    let digest = format!("sha256:{}", "a".repeat(64));
    let objs = render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            &format!("image.digest={digest}"),
            "--set",
            "image.tag=9.9.9",
        ],
    );
    let image = &only(&objs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"];
    assert_eq!(
        image,
        &json!(format!("goto-operator@{digest}")),
        "the digest wins over the tag"
    );
    assert!(
        try_render(&helm, RELEASE, NS, &["--set", "image.digest=latest"]).is_err(),
        "a digest that is not sha256:<64 hex> is refused"
    );
}
