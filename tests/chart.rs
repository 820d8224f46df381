//! The Helm chart, for real: `helm lint` and `helm template` for several value sets, with
//! assertions on the rendered objects, and the files kept in step with it (the CRD template,
//! deploy/install.yaml, the chart's README and metadata). tests/chart_dry_run.rs has the real
//! kube-apiserver accept every render and runs the upgrade from the previous chart version;
//! tests/chart_rbac.rs proves the rendered rules are exactly enough to run the operator.

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
        &["--set", "watchNamespaces={team-a,team-b,team-c}"][..],
        &["--set", "watchAllNamespaces=true"][..],
        &[
            "--set",
            "podDisruptionBudget.enabled=true",
            "--set",
            "metrics.serviceMonitor.enabled=true",
            "--set",
            "metrics.prometheusRule.enabled=true",
            "--set",
            "networkPolicy.enabled=true",
        ][..],
        &["--set", "webhook.enabled=true"][..],
        &[
            "--set",
            "crds.install=false",
            "--set",
            "replicaCount=1",
            "--set-string",
            "operator.labelSelector=shard=a",
        ][..],
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

/// The namespaces whose Secrets a render's Roles grant access to, sorted; `None` stands for a
/// ClusterRole (every namespace).
fn secret_grants(objs: &[Value]) -> Vec<Option<String>> {
    let mut grants: Vec<Option<String>> = objs
        .iter()
        .filter(|o| kind(o) == "Role" || kind(o) == "ClusterRole")
        .filter(|o| {
            o["rules"].as_array().is_some_and(|rules| {
                rules
                    .iter()
                    .any(|r| r["resources"].to_string().contains("secrets"))
            })
        })
        .map(|o| o["metadata"]["namespace"].as_str().map(str::to_owned))
        .collect();
    grants.sort();
    grants
}

/// The Role and RoleBinding a release renders in each watched namespace: the operator's rules,
/// bound to the release's ServiceAccount (in the release namespace).
fn assert_role_in(objs: &[Value], namespace: &str) {
    let in_ns = |k: &str| {
        objs.iter()
            .find(|o| {
                kind(o) == k
                    && helm::name(o) == "goto-operator"
                    && o["metadata"]["namespace"] == namespace
            })
            .unwrap_or_else(|| panic!("no {k}/goto-operator in {namespace}: {:?}", inventory(objs)))
    };
    assert_eq!(
        in_ns("Role")["rules"],
        expected_rules(),
        "Role in {namespace}"
    );
    let binding = in_ns("RoleBinding");
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "goto-operator"})
    );
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "goto-operator", "namespace": NS}]),
        "RoleBinding in {namespace}"
    );
}

/// Least privilege by default: neither watchNamespaces nor watchAllNamespaces watches the release
/// namespace alone, with a Role there and nothing cluster-wide.
#[test]
fn default_render_watches_the_release_namespace_only_with_a_restricted_deployment() {
    let Some(helm) = common::helm() else { return };
    let objs = render(&helm, RELEASE, NS, &[]);
    assert_eq!(
        inventory(&objs),
        [
            "CustomResourceDefinition/gotoaccounts.goto-operator.dev",
            "CustomResourceDefinition/gotoorganizers.goto-operator.dev",
            "Deployment/goto-operator",
            "PodDisruptionBudget/goto-operator",
            "Role/goto-operator",
            "Role/goto-operator-leader-election",
            "RoleBinding/goto-operator",
            "RoleBinding/goto-operator-leader-election",
            "Service/goto-operator-metrics",
            "ServiceAccount/goto-operator",
        ]
    );
    for obj in &objs {
        if kind(obj) != "CustomResourceDefinition" {
            assert_eq!(obj["metadata"]["namespace"], NS, "{}", helm::name(obj));
        }
    }

    assert_role_in(&objs, NS);
    assert_eq!(secret_grants(&objs), [Some(NS.to_owned())]);
    let lease_role = named(&objs, "Role", "goto-operator-leader-election");
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
    assert_eq!(
        container["image"],
        format!("goto-operator:{}", env!("CARGO_PKG_VERSION")),
        "appVersion is the operator's version"
    );
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
        Some(json!(NS)),
        "the release namespace only"
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
        env_value(deployment, "GOTO_OPERATOR_REQUEST_TIMEOUT_SECONDS"),
        Some(json!("30"))
    );
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_LABEL_SELECTOR"),
        None,
        "every object"
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
    let objs = render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            "watchNamespaces={team-a}",
            "--set-string",
            "operator.labelSelector=shard=a",
            "--set",
            "webhook.enabled=true",
        ],
    );
    let names: BTreeSet<String> = env_of(only(&objs, "Deployment"))
        .iter()
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .filter(|n| n.starts_with("GOTO_OPERATOR_"))
        .collect();
    assert!(names.len() >= 13, "{names:?}");
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
    assert_role_in(&objs, "team-a");
    // Secrets are readable in team-a only: no other object grants them, not even in the release
    // namespace.
    assert_eq!(secret_grants(&objs), [Some("team-a".to_owned())]);
    let deployment = only(&objs, "Deployment");
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_NAMESPACE"),
        Some(json!("team-a"))
    );
}

/// One release, several namespaces: a Role and RoleBinding in each, nothing cluster-wide, and the
/// operator told all of them, comma-separated, in the order given.
#[test]
fn three_watched_namespaces_render_a_role_in_each_and_nothing_cluster_wide() {
    let Some(helm) = common::helm() else { return };
    let objs = render(&helm, RELEASE, NS, &["--set", "watchNamespaces={a,b,c}"]);
    let kinds: BTreeSet<&str> = objs.iter().map(kind).collect();
    assert!(
        !kinds.contains("ClusterRole") && !kinds.contains("ClusterRoleBinding"),
        "{kinds:?}"
    );
    for namespace in ["a", "b", "c"] {
        assert_role_in(&objs, namespace);
    }
    let count = |k: &str| {
        objs.iter()
            .filter(|o| kind(o) == k && helm::name(o) == "goto-operator")
            .count()
    };
    assert_eq!((count("Role"), count("RoleBinding")), (3, 3));
    // Secrets in a, b and c, nowhere else: not even the release namespace (only its Lease).
    assert_eq!(
        secret_grants(&objs),
        [
            Some("a".to_owned()),
            Some("b".to_owned()),
            Some("c".to_owned())
        ]
    );
    assert_eq!(
        env_value(only(&objs, "Deployment"), "GOTO_OPERATOR_NAMESPACE"),
        Some(json!("a,b,c"))
    );
}

/// All namespaces only when asked: the ClusterRole with the same rules, and no namespace given to
/// the operator (which then watches them all).
#[test]
fn watch_all_namespaces_is_opt_in_and_renders_the_cluster_role() {
    let Some(helm) = common::helm() else { return };
    let objs = render(&helm, RELEASE, NS, &["--set", "watchAllNamespaces=true"]);
    assert_eq!(only(&objs, "ClusterRole")["rules"], expected_rules());
    let binding = only(&objs, "ClusterRoleBinding");
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
               "name": "goto-operator"})
    );
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "goto-operator", "namespace": NS}])
    );
    assert_eq!(secret_grants(&objs), [None], "the ClusterRole only");
    assert_eq!(
        inventory(&objs)
            .iter()
            .filter(|o| o.starts_with("Role/") || o.starts_with("RoleBinding/"))
            .collect::<Vec<_>>(),
        [
            "Role/goto-operator-leader-election",
            "RoleBinding/goto-operator-leader-election"
        ],
        "no namespaced grant besides the Lease"
    );
    assert_eq!(
        env_value(only(&objs, "Deployment"), "GOTO_OPERATOR_NAMESPACE"),
        None,
        "all namespaces"
    );
}

/// Values the chart cannot honour are refused with a message naming them, never half-applied.
#[test]
fn contradicting_or_invalid_values_are_refused() {
    let Some(helm) = common::helm() else { return };
    let both = [
        "--set",
        "watchAllNamespaces=true",
        "--set",
        "watchNamespaces={team-a,team-b}",
    ];
    let Err(err) = try_render(&helm, RELEASE, NS, &both) else {
        panic!("watchAllNamespaces with a list of namespaces must be refused");
    };
    assert!(
        err.contains("watchAllNamespaces=true and watchNamespaces=[team-a, team-b] contradict"),
        "{err}"
    );
    for (bad, key) in [
        ("watchNamespaces={team-a,team-a}", "watchNamespaces"),
        ("watchNamespaces={Team_A}", "watchNamespaces/0"),
        ("watchAllNamespaces=yes", "watchAllNamespaces"),
    ] {
        let Err(err) = try_render(&helm, RELEASE, NS, &["--set-string", bad]) else {
            panic!("the schema must refuse {bad}");
        };
        assert!(err.contains(key), "{bad}: {err}");
    }
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
    // The per-account metrics keep their own `namespace` label (not `exported_namespace`).
    assert_eq!(monitor["spec"]["endpoints"][0]["honorLabels"], true);
}

/// A PodDisruptionBudget by default whenever there is a standby to keep, none for one replica.
#[test]
fn the_disruption_budget_is_on_by_default_with_more_than_one_replica() {
    let Some(helm) = common::helm() else { return };
    let pdb = only(&render(&helm, RELEASE, NS, &[]), "PodDisruptionBudget").clone();
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    let three = render(&helm, RELEASE, NS, &["--set", "replicaCount=3"]);
    assert_eq!(
        only(&three, "PodDisruptionBudget")["spec"]["maxUnavailable"],
        1
    );
    for extra in [
        &[
            "--set",
            "replicaCount=1",
            "--set",
            "operator.leaderElection=false",
        ][..],
        &["--set", "replicaCount=1"][..],
        &["--set", "podDisruptionBudget.enabled=false"][..],
    ] {
        let objs = render(&helm, RELEASE, NS, extra);
        assert!(
            !objs.iter().any(|o| kind(o) == "PodDisruptionBudget"),
            "{extra:?}: {:?}",
            inventory(&objs)
        );
    }
}

/// `--label-selector` and `--request-timeout-seconds` are values of their own, not only `extraEnv`.
#[test]
fn label_selector_and_request_timeout_are_values() {
    let Some(helm) = common::helm() else { return };
    let objs = render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set-string",
            "operator.labelSelector=shard in (a\\,b)",
            "--set",
            "operator.requestTimeoutSeconds=12",
        ],
    );
    let deployment = only(&objs, "Deployment");
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_LABEL_SELECTOR"),
        Some(json!("shard in (a,b)"))
    );
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_REQUEST_TIMEOUT_SECONDS"),
        Some(json!("12"))
    );
    for bad in [
        "operator.requestTimeoutSeconds=0",
        "operator.requestTimeoutSeconds=soon",
        "operator.labelSelector=1",
    ] {
        assert!(
            try_render(&helm, RELEASE, NS, &["--set", bad]).is_err(),
            "the schema must refuse {bad}"
        );
    }
}

/// The README's "Alerts worth having", all of them and only them, as an opt-in PrometheusRule
/// scoped to this release's metrics job: the operator's own alerts and the process's (memory near
/// the container's limit, restarts).
#[test]
fn the_prometheus_rule_carries_the_readme_alerts() {
    let Some(helm) = common::helm() else { return };
    assert!(
        !render(&helm, RELEASE, NS, &[])
            .iter()
            .any(|o| kind(o) == "PrometheusRule"),
        "off by default"
    );
    let objs = render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            "metrics.prometheusRule.enabled=true",
            "--set",
            "metrics.prometheusRule.labels.release=prometheus",
        ],
    );
    let rule = only(&objs, "PrometheusRule");
    assert_eq!(rule["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(rule["metadata"]["labels"]["release"], "prometheus");
    let rules = rule["spec"]["groups"][0]["rules"]
        .as_array()
        .expect("rules");
    let mut alerted = BTreeSet::new();
    for r in rules {
        let expr = r["expr"].as_str().expect("expr");
        // Every selector of the expression, not just one of them, is scoped to the release.
        let selectors = expr.matches('{').count();
        let scoped = expr.matches(r#"job="goto-operator-metrics""#).count();
        assert!(
            selectors > 0 && scoped == selectors,
            "{}: not scoped to the release's job: {expr}",
            r["alert"]
        );
        assert!(
            r["alert"]
                .as_str()
                .is_some_and(|a| a.starts_with("GoToOperator")),
            "{r}"
        );
        assert!(r["for"].is_string(), "{r}");
        assert!(r["labels"]["severity"].is_string(), "{r}");
        let summary = r["annotations"]["summary"].as_str().unwrap_or_default();
        assert!(!summary.is_empty() && !summary.contains("{{"), "{r}");
        alerted.extend(metric_names(expr));
    }
    let readme = std::fs::read_to_string(helm::repo().join("README.md")).expect("README.md");
    let paragraph = readme
        .split("Alerts worth having")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("the README's \"Alerts worth having\" paragraph");
    assert!(
        paragraph.contains("PrometheusRule") && !paragraph.contains("not in the"),
        "the README says the rule carries every alert: {paragraph}"
    );
    let advised = metric_names(paragraph);
    assert!(advised.len() >= 5, "{advised:?}");
    // The process alerts (issue 23 item 5): memory near the limit, restarts, and the build that
    // restarts.
    for process in [
        "process_resident_memory_bytes",
        "process_start_time_seconds",
        "goto_operator_build_info",
    ] {
        assert!(
            advised.contains(process),
            "the README's alerts lost {process}"
        );
    }
    assert_eq!(
        alerted, advised,
        "the PrometheusRule (templates/prometheusrule.yaml) and the README's alerts must name the \
         same metrics"
    );
    // The alerts select the metrics Service's job: without that Service they could match nothing.
    let err = try_render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            "metrics.prometheusRule.enabled=true",
            "--set",
            "metrics.service.enabled=false",
        ],
    )
    .expect_err("a rule without the Service it selects must be refused");
    assert!(err.contains("metrics.service.enabled"), "{err}");
}

/// The alert of the given name in a render with the PrometheusRule on and these extra values.
fn alert(helm: &std::path::Path, values: &[&str], name: &str) -> Option<Value> {
    let args = [
        &["--set", "metrics.prometheusRule.enabled=true"][..],
        values,
    ]
    .concat();
    let objs = render(helm, RELEASE, NS, &args);
    only(&objs, "PrometheusRule")["spec"]["groups"][0]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["alert"] == name)
        .cloned()
}

/// The memory alert compares resident memory with the container's limit in bytes, whatever unit
/// `resources.limits.memory` is written in; without a limit it is left out; a limit it cannot
/// read is refused by name. The restart alert counts new start times in an hour and names the
/// build.
#[test]
fn the_process_alerts_follow_the_memory_limit_and_count_restarts() {
    let Some(helm) = common::helm() else { return };
    let job = r#"job="goto-operator-metrics""#;
    for (limit, bytes) in [
        (None, "268435456"), // the default, 256Mi
        (Some("1Gi"), "1073741824"),
        (Some("500M"), "500000000"),
        (Some("1.5Gi"), "1610612736"),
        (Some("268435456"), "268435456"),
    ] {
        let set = limit.map(|l| format!("resources.limits.memory={l}"));
        let values: Vec<&str> = match &set {
            Some(s) => vec!["--set-string", s],
            None => vec![],
        };
        let memory = alert(&helm, &values, "GoToOperatorMemoryNearLimit")
            .unwrap_or_else(|| panic!("no memory alert for limit {limit:?}"));
        assert_eq!(
            memory["expr"],
            format!("process_resident_memory_bytes{{{job}}} / {bytes} > 0.9"),
            "limit {limit:?}"
        );
    }
    // A limit written as a YAML number (helm reads it as a float).
    let memory = alert(
        &helm,
        &["--set", "resources.limits.memory=268435456"],
        "GoToOperatorMemoryNearLimit",
    )
    .expect("memory alert");
    assert_eq!(
        memory["expr"],
        format!("process_resident_memory_bytes{{{job}}} / 268435456 > 0.9")
    );
    assert_eq!(
        alert(
            &helm,
            &["--set", "resources.limits=null"],
            "GoToOperatorMemoryNearLimit"
        ),
        None,
        "no limit, nothing to be near"
    );
    let err = try_render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            "metrics.prometheusRule.enabled=true",
            "--set",
            "resources.limits.memory=lots",
        ],
    )
    .expect_err("an unreadable limit must be refused");
    assert!(err.contains("resources.limits.memory"), "{err}");

    let restarts = alert(&helm, &[], "GoToOperatorRestarting").expect("restart alert");
    let expr = restarts["expr"].as_str().expect("expr");
    assert!(
        expr.starts_with(&format!(
            "(changes(process_start_time_seconds{{{job}}}[1h]) > 2)"
        )),
        "{expr}"
    );
    assert!(
        expr.contains("group_left (version, git_commit) goto_operator_build_info"),
        "{expr}"
    );
}

/// Every `goto_operator_*` and `process_*` metric name in a text.
fn metric_names(text: &str) -> BTreeSet<String> {
    ["goto_operator_", "process_"]
        .iter()
        .flat_map(|prefix| text.match_indices(prefix))
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
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
}

/// With leader election, the webhook Service reaches the leader alone: it selects the label the
/// leader puts on its own Pod (named through the downward API), for which the leader-election
/// Role grants patch on pods and nothing more. The metrics Service still reaches every replica.
/// Without the webhook, or without leader election (one replica, always the leader), none of it.
#[test]
fn the_webhook_service_selects_the_leaders_pod_alone() {
    let Some(helm) = common::helm() else { return };
    let objs = render(&helm, RELEASE, NS, &["--set", "webhook.enabled=true"]);
    let deployment = only(&objs, "Deployment");
    let pod_labels = &deployment["spec"]["selector"]["matchLabels"];
    let mut leader_only = pod_labels.clone();
    leader_only[goto_operator::controller::leader_label::LEADER_LABEL] =
        json!(goto_operator::controller::leader_label::LEADER_VALUE);
    assert_eq!(
        named(&objs, "Service", "goto-operator-webhook")["spec"]["selector"],
        leader_only
    );
    assert_eq!(
        &named(&objs, "Service", "goto-operator-metrics")["spec"]["selector"],
        pod_labels,
        "the metrics Service reaches every replica"
    );
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_POD_NAME"),
        Some(json!({"fieldRef": {"fieldPath": "metadata.name"}}))
    );
    assert_eq!(
        env_value(deployment, "GOTO_OPERATOR_POD_NAMESPACE"),
        Some(json!({"fieldRef": {"fieldPath": "metadata.namespace"}}))
    );
    let lease_role = named(&objs, "Role", "goto-operator-leader-election");
    assert_eq!(lease_role["metadata"]["namespace"], NS);
    assert_eq!(
        lease_role["rules"],
        json!([
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
             "resourceNames": ["goto-operator-leader"], "verbs": ["get", "patch"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["patch"]},
        ]),
        "patch on pods, nothing else on them"
    );
    // Pods appear in no other rule of any render mode.
    for o in objs
        .iter()
        .filter(|o| kind(o) == "Role" || kind(o) == "ClusterRole")
        .filter(|o| helm::name(o) != "goto-operator-leader-election")
    {
        assert!(!o["rules"].to_string().contains("pods"), "{o}");
    }

    let off = render(&helm, RELEASE, NS, &[]);
    assert_eq!(
        env_value(only(&off, "Deployment"), "GOTO_OPERATOR_POD_NAME"),
        None
    );
    assert!(
        !named(&off, "Role", "goto-operator-leader-election")["rules"]
            .to_string()
            .contains("pods"),
        "no webhook, no right on pods"
    );

    let single = render(
        &helm,
        RELEASE,
        NS,
        &[
            "--set",
            "webhook.enabled=true",
            "--set",
            "replicaCount=1",
            "--set",
            "operator.leaderElection=false",
        ],
    );
    assert_eq!(
        &named(&single, "Service", "goto-operator-webhook")["spec"]["selector"],
        &only(&single, "Deployment")["spec"]["selector"]["matchLabels"],
        "without election the one replica always leads"
    );
    assert_eq!(
        env_value(only(&single, "Deployment"), "GOTO_OPERATOR_POD_NAME"),
        None
    );
    assert!(
        !single
            .iter()
            .any(|o| o["rules"].to_string().contains("pods")),
        "no right on pods"
    );
}

/// The annotations hack/crds.sh adds to every CRD of the chart's template, and nothing else.
fn crd_annotations() -> Value {
    json!({
        "helm.sh/resource-policy": "keep",
        "argocd.argoproj.io/sync-wave": "-1",
        "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
    })
}

/// The chart renders the CRDs of the Rust types (crds/ holds the same), each kept on uninstall and
/// synced first by Argo CD; `crds.install=false` renders none. They are templates only: a crds/
/// directory would make Helm install them a second way that it never upgrades.
#[test]
fn the_chart_renders_the_crds_of_the_rust_types_with_the_keep_policy() {
    let generated = goto_operator::crd::all_yaml();
    let top = std::fs::read_to_string(helm::repo().join("crds/goto-operator.dev_crds.yaml"))
        .expect("crds/goto-operator.dev_crds.yaml");
    assert!(
        top == generated,
        "crds/ differ from the Rust types: run `make crds`"
    );
    assert!(
        !helm::chart_dir().join("crds").exists(),
        "charts/goto-operator/crds/ must not exist: the CRDs are templates/crds.yaml"
    );
    let Some(helm) = common::helm() else { return };
    let expected: Vec<Value> = helm::parse_yaml_stream(&generated)
        .into_iter()
        .map(|mut crd| {
            let annotations = crd["metadata"]["annotations"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let mut merged = crd_annotations().as_object().cloned().unwrap_or_default();
            merged.extend(annotations);
            crd["metadata"]["annotations"] = Value::Object(merged);
            crd
        })
        .collect();
    assert_eq!(expected.len(), 2, "two CRDs");
    let objs = render(&helm, RELEASE, NS, &[]);
    let rendered: Vec<Value> = objs
        .iter()
        .filter(|o| kind(o) == "CustomResourceDefinition")
        .cloned()
        .collect();
    assert!(
        rendered == expected,
        "templates/crds.yaml renders other CRDs than `goto-operator crds` prints (plus the keep \
         annotations): run `make crds`"
    );
    let without = render(&helm, RELEASE, NS, &["--set", "crds.install=false"]);
    assert!(
        !without
            .iter()
            .any(|o| kind(o) == "CustomResourceDefinition"),
        "{:?}",
        inventory(&without)
    );
    assert_eq!(without.len() + 2, objs.len(), "only the CRDs go");
}

/// deploy/install.yaml is the chart rendered with its defaults (release goto-operator in
/// goto-system), after that namespace: `kubectl apply -f deploy/install.yaml` installs what
/// `helm install` would.
#[test]
fn deploy_install_yaml_is_the_chart_rendered_with_its_defaults() {
    let Some(helm) = common::helm() else { return };
    let path = helm::repo().join("deploy/install.yaml");
    let file =
        std::fs::read_to_string(&path).expect("deploy/install.yaml: run `make install-yaml`");
    let mut docs = helm::parse_yaml_stream(&file);
    assert!(!docs.is_empty(), "deploy/install.yaml is empty");
    let namespace = docs.remove(0);
    assert_eq!(
        (kind(&namespace), helm::name(&namespace)),
        ("Namespace", NS),
        "deploy/install.yaml starts with its namespace"
    );
    assert_eq!(
        namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    let rendered = render(&helm, RELEASE, NS, &[]);
    assert!(
        docs == rendered,
        "deploy/install.yaml differs from the chart rendered with its defaults: run \
         `make install-yaml` and commit it\n  in the file: {:?}\n  rendered:    {:?}",
        inventory(&docs),
        inventory(&rendered)
    );

    // The README's kustomization, next to a copy of the file, points the Deployment at your image.
    let Some(kubectl) = common::kubectl() else {
        return;
    };
    let readme = std::fs::read_to_string(helm::repo().join("README.md")).expect("README.md");
    let kustomization = readme
        .split("cat > goto-operator/kustomization.yaml <<'EOF'\n")
        .nth(1)
        .and_then(|rest| rest.split("\nEOF\n").next())
        .expect("the README's kustomization.yaml");
    let digest = format!("sha256:{}", "a".repeat(64));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&path, dir.path().join("install.yaml")).expect("copy deploy/install.yaml");
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        kustomization.replace("sha256:<the 64 hex digits>", &digest),
    )
    .expect("write kustomization.yaml");
    let out = run(&kubectl, &["kustomize", &dir.path().to_string_lossy()], &[]);
    assert!(
        out.status.success(),
        "kubectl kustomize: {}",
        text(&out.stderr)
    );
    let customized = helm::parse_yaml_stream(&text(&out.stdout));
    assert_eq!(
        customized.len(),
        docs.len() + 1,
        "{:?}",
        inventory(&customized)
    );
    assert_eq!(
        only(&customized, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("registry.example.com/platform/goto-operator@{digest}")
    );
}

/// Dotted paths of the values in values.yaml: every scalar, list and empty map, by full path.
fn value_paths(value: &serde_norway::Value, path: &str, out: &mut Vec<String>) {
    match value.as_mapping() {
        Some(map) if !map.is_empty() => {
            for (key, sub) in map {
                let key = key.as_str().expect("string keys");
                let dotted = if path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                };
                value_paths(sub, &dotted, out);
            }
        }
        _ => out.push(path.to_owned()),
    }
}

/// The chart's README has a row for every value, and names no value the chart lacks.
#[test]
fn the_chart_readme_documents_every_value() {
    let values: serde_norway::Value = serde_norway::from_str(
        &std::fs::read_to_string(helm::chart_dir().join("values.yaml")).expect("values.yaml"),
    )
    .expect("values.yaml is YAML");
    let mut paths = Vec::new();
    value_paths(&values, "", &mut paths);
    assert!(paths.len() >= 40, "{paths:?}");
    let readme =
        std::fs::read_to_string(helm::chart_dir().join("README.md")).expect("chart README.md");
    // The first cell of each row of the values table: one or more `value` names.
    let documented: Vec<String> = readme
        .split("## Values")
        .nth(1)
        .expect("a Values section")
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|row| {
            let cell = row.split('|').nth(1).unwrap_or_default();
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let covers = |doc: &str, path: &str| path == doc || path.starts_with(&format!("{doc}."));
    for path in &paths {
        assert!(
            documented.iter().any(|d| covers(d, path)),
            "charts/goto-operator/README.md does not document the value {path}"
        );
    }
    for doc in &documented {
        assert!(
            paths.iter().any(|p| covers(doc, p)),
            "charts/goto-operator/README.md documents {doc}, which values.yaml lacks"
        );
    }
}

/// Chart.yaml: appVersion is the operator's own version (Cargo.toml), home, sources and
/// maintainers are there, and the chart's version is above the previous one, whose package
/// tests/chart_dry_run.rs upgrades from.
#[test]
fn chart_metadata_names_the_operator_version_home_sources_and_maintainers() {
    let chart: Value = serde_norway::from_str(
        &std::fs::read_to_string(helm::chart_dir().join("Chart.yaml")).expect("Chart.yaml"),
    )
    .expect("Chart.yaml is YAML");
    assert_eq!(chart["appVersion"], env!("CARGO_PKG_VERSION"));
    assert!(
        chart["home"]
            .as_str()
            .is_some_and(|h| h.starts_with("https://"))
    );
    assert!(
        chart["sources"]
            .as_array()
            .is_some_and(|s| !s.is_empty() && s.iter().all(Value::is_string)),
        "{}",
        chart["sources"]
    );
    let maintainers = chart["maintainers"].as_array().expect("maintainers");
    assert!(
        !maintainers.is_empty() && maintainers.iter().all(|m| m["name"].is_string()),
        "{maintainers:?}"
    );
    let version = |v: &str| -> Vec<u64> {
        v.split('.')
            .map(|n| {
                n.parse()
                    .unwrap_or_else(|_| panic!("not a plain SemVer: {v}"))
            })
            .collect()
    };
    let current = chart["version"].as_str().expect("version");
    let previous = helm::previous_chart_version();
    assert!(
        version(current) > version(&previous),
        "the chart ({current}) must be newer than the previous version packaged in tests/helm/ \
         ({previous})"
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
    // Without CIDRs, the API server's ports reach public addresses only (issue 21, 8): not the
    // pod network, not a metadata endpoint; opening them to any address is an explicit choice.
    let api_rule = |extra: &[&str]| -> Value {
        let mut args = vec!["--set", "networkPolicy.enabled=true"];
        args.extend_from_slice(extra);
        let objs = render(&helm, RELEASE, NS, &args);
        only(&objs, "NetworkPolicy")["spec"]["egress"][2].clone()
    };
    let default = api_rule(&[]);
    assert_eq!(ports(&default), [("TCP".into(), 443), ("TCP".into(), 6443)]);
    let block = &default["to"][0]["ipBlock"];
    assert_eq!(block["cidr"], "0.0.0.0/0", "{default}");
    for private in [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
    ] {
        assert!(
            block["except"]
                .as_array()
                .expect("except")
                .contains(&json!(private)),
            "{private} must be excluded from the API server rule: {default}"
        );
    }
    let open = api_rule(&["--set", "networkPolicy.apiServer.allowPrivateRanges=true"]);
    assert!(open.get("to").is_none(), "opted in: any address: {open}");
    let listed = api_rule(&[
        "--set",
        "networkPolicy.apiServer.allowPrivateRanges=true",
        "--set",
        "networkPolicy.apiServer.cidrs={10.96.0.1/32}",
    ]);
    assert_eq!(listed["to"], json!([{"ipBlock": {"cidr": "10.96.0.1/32"}}]));
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
