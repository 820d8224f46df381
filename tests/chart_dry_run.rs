//! Every render of the chart accepted by the real kube-apiserver (a server-side dry run, in a
//! namespace enforcing Pod Security "restricted"), `helm install --dry-run=server` printing
//! NOTES.txt, and the upgrade from the previous chart version (the package in tests/helm/):
//! `helm upgrade` upgrades the CRDs, `helm uninstall` leaves them and the users' objects.

mod common;
mod helm;

use std::path::Path;

use common::TestNamespace;
use goto_operator::crd::{GoToAccount, GoToOrganizer};
use helm::{inventory, kind, name, render, run, text};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::{Value, json};

/// A stand-in for prometheus-operator's ServiceMonitor CRD (the test control plane has none):
/// the subset of its schema that the chart uses, so unknown or mistyped fields still fail.
const SERVICE_MONITOR_CRD: &str = r#"{
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "servicemonitors.monitoring.coreos.com"},
  "spec": {"group": "monitoring.coreos.com", "scope": "Namespaced",
    "names": {"kind": "ServiceMonitor", "listKind": "ServiceMonitorList", "plural": "servicemonitors", "singular": "servicemonitor"},
    "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
      "type": "object", "required": ["spec"],
      "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
        "spec": {"type": "object", "required": ["selector"], "properties": {
          "selector": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
          "namespaceSelector": {"type": "object", "properties": {
            "any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}},
          "endpoints": {"type": "array", "items": {"type": "object", "properties": {
            "port": {"type": "string"}, "path": {"type": "string"}, "honorLabels": {"type": "boolean"},
            "interval": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
            "scrapeTimeout": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"}
          }}}}}}}}}]}
}"#;

/// The same for prometheus-operator's PrometheusRule.
const PROMETHEUS_RULE_CRD: &str = r#"{
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "prometheusrules.monitoring.coreos.com"},
  "spec": {"group": "monitoring.coreos.com", "scope": "Namespaced",
    "names": {"kind": "PrometheusRule", "listKind": "PrometheusRuleList", "plural": "prometheusrules", "singular": "prometheusrule"},
    "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
      "type": "object", "required": ["spec"],
      "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
        "spec": {"type": "object", "properties": {
          "groups": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "minLength": 1},
            "rules": {"type": "array", "items": {"type": "object", "required": ["expr"], "properties": {
              "alert": {"type": "string"}, "record": {"type": "string"},
              "expr": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true},
              "for": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
              "labels": {"type": "object", "additionalProperties": {"type": "string"}},
              "annotations": {"type": "object", "additionalProperties": {"type": "string"}}
            }}}}}}}}}}}}]}
}"#;

/// Installs the stand-ins for prometheus-operator's CRDs and waits until they are usable.
fn apply_stand_in_crds(kubectl: &Path, kubeconfig: &str) {
    for (crd, name) in [
        (SERVICE_MONITOR_CRD, "servicemonitors.monitoring.coreos.com"),
        (PROMETHEUS_RULE_CRD, "prometheusrules.monitoring.coreos.com"),
    ] {
        let out = helm::kubectl_stdin(
            kubectl,
            kubeconfig,
            &[
                "apply",
                "--server-side",
                "--field-manager=goto-operator-tests",
                "-f",
                "-",
            ],
            crd,
        );
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let out = run(
            kubectl,
            &[
                "wait",
                "--for=condition=Established",
                "--timeout=30s",
                &format!("crd/{name}"),
            ],
            &[("KUBECONFIG", kubeconfig)],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

#[tokio::test]
async fn every_render_passes_a_server_side_dry_run() {
    let Some(client) = common::client().await else {
        return;
    };
    let (Some(helm), Some(kubectl)) = (common::helm(), common::kubectl()) else {
        return;
    };
    let kubeconfig = std::env::var(common::KUBECONFIG_ENV).expect("checked by client()");
    common::apply_crds(&client).await;
    apply_stand_in_crds(&kubectl, &kubeconfig);

    let ns = common::TestNamespace::new(&client).await;
    // The apiserver's PodSecurity admission judges the Deployment's pod template against the
    // "restricted" profile and warns about every violation.
    let out = run(
        &kubectl,
        &[
            "label",
            "namespace",
            ns.name(),
            "pod-security.kubernetes.io/enforce=restricted",
            "pod-security.kubernetes.io/warn=restricted",
        ],
        &[("KUBECONFIG", &kubeconfig)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let watch = format!("watchNamespaces={{{}}}", ns.name());
    // Several namespaces: a Role and RoleBinding in each (`default` exists on every cluster; a dry
    // run leaves nothing there).
    let watch_several = format!("watchNamespaces={{{},default}}", ns.name());
    let value_sets: [&[&str]; 5] = [
        &[],
        &["--set", &watch],
        &["--set", &watch_several],
        &["--set", "watchAllNamespaces=true"],
        &[
            "--set",
            "podDisruptionBudget.enabled=true",
            "--set",
            "metrics.serviceMonitor.enabled=true",
            "--set",
            "metrics.prometheusRule.enabled=true",
            "--set",
            "networkPolicy.enabled=true",
            "--set",
            "networkPolicy.apiServer.cidrs={10.96.0.1/32}",
            "--set",
            "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring",
        ],
    ];
    for extra in value_sets {
        // The CRDs are templates: they go through the apiserver's validation too.
        let objs = render(&helm, "dry-run", ns.name(), extra);
        assert_eq!(
            objs.iter()
                .filter(|o| kind(o) == "CustomResourceDefinition")
                .count(),
            2,
            "{:?}",
            inventory(&objs)
        );
        let out = helm::kubectl_stdin(
            &kubectl,
            &kubeconfig,
            &["apply", "--dry-run=server", "--validate=strict", "-f", "-"],
            &helm::as_list(&objs),
        );
        assert!(
            out.status.success(),
            "server-side dry run of the render with {extra:?} failed:\n{}",
            text(&out.stderr)
        );
        // One "<kind>.<group>/<name> created (server dry run)" line per object.
        let applied = text(&out.stdout);
        let lines = applied
            .lines()
            .filter(|l| l.ends_with("(server dry run)"))
            .count();
        assert_eq!(lines, objs.len(), "{:?}\n{applied}", inventory(&objs));
        let warnings = text(&out.stderr);
        assert!(!warnings.contains("PodSecurity"), "{warnings}");
    }

    // The same check notices a weakened security context, so its silence above means something.
    let weakened = render(
        &helm,
        "dry-run",
        ns.name(),
        &["--set", "securityContext.allowPrivilegeEscalation=true"],
    );
    let out = helm::kubectl_stdin(
        &kubectl,
        &kubeconfig,
        &["apply", "--dry-run=server", "-f", "-"],
        &helm::as_list(&weakened),
    );
    let warnings = text(&out.stderr);
    assert!(
        warnings.contains("would violate PodSecurity \"restricted:latest\"")
            && warnings.contains("allowPrivilegeEscalation"),
        "{warnings}"
    );
    ns.cleanup().await;
}

/// `helm install --dry-run=server` renders NOTES.txt too, with the values the user gave.
#[tokio::test]
async fn helm_install_dry_run_prints_the_notes() {
    let Some(client) = common::client().await else {
        return;
    };
    let Some(helm) = common::helm() else { return };
    let kubeconfig = std::env::var(common::KUBECONFIG_ENV).expect("checked by client()");
    let ns = common::TestNamespace::new(&client).await;
    let chart = helm::chart_dir();
    let chart = chart.to_string_lossy();
    let name = ns.name();
    let watch = format!("watchNamespaces={{{name}}}");
    let watch_several = format!("watchNamespaces={{{name},default}}");
    let one = format!("It watches namespace {name} only");
    let several = format!("It watches namespaces {name}, default only (a Role in each");
    let organizers = format!("kubectl -n {name} get gotoorganizers");
    // The notes say which namespaces the release watches and what it may do there, in each mode.
    let modes: [(&[&str], &[&str]); 4] = [
        (
            &[],
            &[
                &one,
                "List other namespaces in watchNamespaces",
                &organizers,
            ],
        ),
        (&["--set", &watch], &[&one, &organizers]),
        (&["--set", &watch_several], &[&several, &organizers]),
        (
            &["--set", "watchAllNamespaces=true"],
            &[
                "It watches ALL namespaces (watchAllNamespaces=true)",
                "Secrets in every namespace",
                "kubectl -n <namespace> get gotoorganizers",
            ],
        ),
    ];
    for (values, phrases) in modes {
        // The CRDs are there already, installed by the tests as kubectl (or another release)
        // would: a release that does not own them leaves them out, or Helm refuses to install.
        let args = [
            &[
                "install",
                "notes",
                &chart,
                "--namespace",
                name,
                "--dry-run=server",
                "--set",
                "crds.install=false",
            ][..],
            values,
        ]
        .concat();
        let out = run(&helm, &args, &[("KUBECONFIG", &kubeconfig)]);
        assert!(out.status.success(), "{values:?}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let notes = stdout.split("NOTES:").nth(1).expect("NOTES section");
        for phrase in phrases {
            assert!(
                notes.contains(phrase),
                "{values:?}: no {phrase:?} in\n{notes}"
            );
        }
    }
    ns.cleanup().await;
}

/// The names of the chart's CRDs.
const CRDS: [&str; 2] = [
    "gotoaccounts.goto-operator.dev",
    "gotoorganizers.goto-operator.dev",
];

/// Runs helm against the test control plane and returns stdout; panics with stderr on failure.
fn helm_ok(helm: &Path, kubeconfig: &str, args: &[&str]) -> String {
    let out = run(helm, args, &[("KUBECONFIG", kubeconfig)]);
    assert!(
        out.status.success(),
        "helm {args:?} failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A GoToAccount and a GoToOrganizer of a user, as `kubectl apply` would create them.
async fn create_users_objects(client: &Client, namespace: &str) {
    let account: GoToAccount = serde_json::from_value(json!({
        "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount",
        "metadata": {"name": "acme"},
        "spec": {"accountKey": "4200000000000000001",
                 "credentialsSecretRef": {"name": "goto-oauth"}},
    }))
    .expect("account");
    Api::<GoToAccount>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &account)
        .await
        .expect("create GoToAccount");
    let organizer: GoToOrganizer = serde_json::from_value(json!({
        "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
        "metadata": {"name": "jane-doe"},
        "spec": {"accountRef": {"name": "acme"}, "email": "jane.doe@example.com",
                 "firstName": "Jane", "lastName": "Doe"},
    }))
    .expect("organizer");
    Api::<GoToOrganizer>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &organizer)
        .await
        .expect("create GoToOrganizer");
}

/// Users of the previous chart version (tests/helm/goto-operator-<version>.tgz, whose CRDs came
/// from crds/, which Helm installs once and never upgrades) upgrade as charts/goto-operator's
/// README says: hand the CRDs to the release, `helm upgrade`. The CRDs then are this chart's, an
/// older CRD included; `helm uninstall` leaves them, and every GoToAccount and GoToOrganizer.
///
/// The CRDs are cluster-wide and shared with the other tests: the "older CRD" differs from the
/// current one in a printer column only, which changes no object and no validation.
#[tokio::test]
async fn helm_upgrade_from_the_previous_chart_upgrades_the_crds_and_uninstall_keeps_the_objects() {
    let Some(client) = common::client().await else {
        return;
    };
    let (Some(helm_bin), Some(kubectl)) = (common::helm(), common::kubectl()) else {
        return;
    };
    let kubeconfig = std::env::var(common::KUBECONFIG_ENV).expect("checked by client()");
    common::apply_crds(&client).await;
    let ns = TestNamespace::new(&client).await;
    let namespace = ns.name().to_owned();
    let release = "upgrade";
    // One watched namespace: no cluster-wide RBAC objects that parallel runs would share.
    let watch = format!("watchNamespaces={{{namespace}}}");
    let previous = helm::previous_chart();
    let chart = helm::chart_dir();
    let (previous, chart) = (previous.to_string_lossy(), chart.to_string_lossy());
    let on = ["--namespace", namespace.as_str(), "--set", watch.as_str()];

    // The previous version, installed and in use.
    helm_ok(
        &helm_bin,
        &kubeconfig,
        &[&["install", release, &previous][..], &on].concat(),
    );
    create_users_objects(&client, &namespace).await;

    // A CRD as an older operator left it: without its last printer column.
    let crds = Api::<CustomResourceDefinition>::all(client.clone());
    let older = CRDS[1];
    let columns = crds.get(older).await.expect("the CRD").spec.versions[0]
        .additional_printer_columns
        .clone()
        .unwrap_or_default();
    assert!(columns.len() >= 2, "{columns:?}");
    let drop_last = json!([{"op": "remove",
        "path": format!("/spec/versions/0/additionalPrinterColumns/{}", columns.len() - 1)}]);
    crds.patch(
        older,
        &PatchParams::default(),
        &Patch::<()>::Json(serde_json::from_value(drop_last).expect("a JSON patch")),
    )
    .await
    .expect("drop a printer column");

    // Without the hand-over Helm refuses the CRDs it did not create as part of a release, and
    // changes nothing.
    let upgrade = [&["upgrade", release, &chart][..], &on].concat();
    let refused = run(&helm_bin, &upgrade, &[("KUBECONFIG", &kubeconfig)]);
    assert!(
        !refused.status.success() && text(&refused.stderr).contains("invalid ownership metadata"),
        "helm upgrade without the hand-over:\n{}{}",
        text(&refused.stdout),
        text(&refused.stderr)
    );

    // The hand-over of charts/goto-operator/README.md (--overwrite: earlier runs' releases may
    // still be named on the CRDs), then the upgrade.
    let kubectl_ok = |args: &[&str]| {
        let out = run(&kubectl, args, &[("KUBECONFIG", &kubeconfig)]);
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            text(&out.stderr)
        );
    };
    let release_name = format!("meta.helm.sh/release-name={release}");
    let release_namespace = format!("meta.helm.sh/release-namespace={namespace}");
    kubectl_ok(
        &[
            &["label", "crd"][..],
            &CRDS,
            &["app.kubernetes.io/managed-by=Helm", "--overwrite"],
        ]
        .concat(),
    );
    kubectl_ok(
        &[
            &["annotate", "crd"][..],
            &CRDS,
            &[&release_name, &release_namespace, "--overwrite"],
        ]
        .concat(),
    );
    helm_ok(&helm_bin, &kubeconfig, &upgrade);
    let listed: Value = serde_json::from_str(&helm_ok(
        &helm_bin,
        &kubeconfig,
        &["list", "--namespace", &namespace, "--output", "json"],
    ))
    .expect("helm list JSON");
    let chart_version = format!(
        "goto-operator-{}",
        helm::parse_yaml_stream(
            &std::fs::read_to_string(helm::chart_dir().join("Chart.yaml")).expect("Chart.yaml")
        )[0]["version"]
            .as_str()
            .expect("version")
    );
    assert_eq!(listed[0]["chart"], chart_version.as_str(), "{listed}");
    assert_eq!(listed[0]["status"], "deployed", "{listed}");

    // Both CRDs are now the chart's: its spec (the older one's column is back), its keep policy,
    // this release's. The older one first: its spec differed before the upgrade.
    let rendered = render(&helm_bin, release, &namespace, &["--set", &watch]);
    for crd in [CRDS[1], CRDS[0]] {
        let want = rendered
            .iter()
            .find(|o| kind(o) == "CustomResourceDefinition" && name(o) == crd)
            .unwrap_or_else(|| panic!("the chart renders no {crd}"));
        let live = serde_json::to_value(crds.get(crd).await.expect("the CRD")).expect("JSON");
        let columns = |crd: &Value| crd["spec"]["versions"][0]["additionalPrinterColumns"].clone();
        assert!(
            live["spec"]["versions"] == want["spec"]["versions"],
            "{crd}: helm upgrade left it as it was; printer columns:\n{}\n{}",
            columns(&live),
            columns(want)
        );
        let annotations = &live["metadata"]["annotations"];
        for (key, value) in [
            ("helm.sh/resource-policy", "keep"),
            ("argocd.argoproj.io/sync-wave", "-1"),
            ("meta.helm.sh/release-name", release),
            ("meta.helm.sh/release-namespace", namespace.as_str()),
        ] {
            assert_eq!(annotations[key], value, "{crd}: {annotations}");
        }
    }

    // Helm keeps what the release's manifest says to keep, whatever the live objects say: without
    // the policy there, the uninstall below would delete the CRDs and every object of every test
    // on this control plane, so it is checked first.
    let manifest = helm::parse_yaml_stream(&helm_ok(
        &helm_bin,
        &kubeconfig,
        &["get", "manifest", release, "--namespace", &namespace],
    ));
    for crd in CRDS {
        let stored = manifest
            .iter()
            .find(|o| kind(o) == "CustomResourceDefinition" && name(o) == crd)
            .unwrap_or_else(|| panic!("the release's manifest has no {crd}"));
        assert_eq!(
            stored["metadata"]["annotations"]["helm.sh/resource-policy"], "keep",
            "{crd} in the release's manifest"
        );
    }

    // Uninstall: the operator goes, the CRDs and the users' objects stay.
    let out = helm_ok(
        &helm_bin,
        &kubeconfig,
        &["uninstall", release, "--namespace", &namespace],
    );
    assert!(
        out.contains("kept due to the resource policy"),
        "helm uninstall:\n{out}"
    );
    let deployment = format!("{release}-goto-operator");
    assert!(
        Api::<Deployment>::namespaced(client.clone(), &namespace)
            .get_opt(&deployment)
            .await
            .expect("get the Deployment")
            .is_none(),
        "helm uninstall left the Deployment {deployment}"
    );
    for crd in CRDS {
        let live = crds
            .get(crd)
            .await
            .expect("the CRD survives helm uninstall");
        assert!(
            live.metadata.deletion_timestamp.is_none(),
            "{crd} is being deleted"
        );
    }
    let account = Api::<GoToAccount>::namespaced(client.clone(), &namespace)
        .get_opt("acme")
        .await
        .expect("get the GoToAccount");
    let organizer = Api::<GoToOrganizer>::namespaced(client.clone(), &namespace)
        .get_opt("jane-doe")
        .await
        .expect("get the GoToOrganizer");
    assert!(
        account.is_some_and(|a| a.metadata.deletion_timestamp.is_none())
            && organizer.is_some_and(|o| o.metadata.deletion_timestamp.is_none()),
        "helm uninstall took the users' objects"
    );
    ns.cleanup().await;
}
