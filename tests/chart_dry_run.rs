//! Every render of the chart accepted by the real kube-apiserver (a server-side dry run, in a
//! namespace enforcing Pod Security "restricted"), and `helm install --dry-run=server` printing
//! NOTES.txt.

mod common;
mod helm;

use helm::{inventory, render, run, text};

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
            "port": {"type": "string"}, "path": {"type": "string"},
            "interval": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
            "scrapeTimeout": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"}
          }}}}}}}}}]}
}"#;

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
    let out = helm::kubectl_stdin(
        &kubectl,
        &kubeconfig,
        &[
            "apply",
            "--server-side",
            "--field-manager=goto-operator-tests",
            "-f",
            "-",
        ],
        SERVICE_MONITOR_CRD,
    );
    assert!(
        out.status.success(),
        "ServiceMonitor CRD: {}",
        text(&out.stderr)
    );
    let out = run(
        &kubectl,
        &[
            "wait",
            "--for=condition=Established",
            "--timeout=30s",
            "crd/servicemonitors.monitoring.coreos.com",
        ],
        &[("KUBECONFIG", &kubeconfig)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

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
    let value_sets: [&[&str]; 3] = [
        &[],
        &["--set", &watch],
        &[
            "--set",
            "podDisruptionBudget.enabled=true",
            "--set",
            "metrics.serviceMonitor.enabled=true",
            "--set",
            "networkPolicy.enabled=true",
            "--set",
            "networkPolicy.apiServer.cidrs={10.96.0.1/32}",
            "--set",
            "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring",
        ],
    ];
    for extra in value_sets {
        // --include-crds: the chart's crds/ go through the apiserver's validation too.
        let args = [&["--include-crds"][..], extra].concat();
        let objs = render(&helm, "dry-run", ns.name(), &args);
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
    let watch = format!("watchNamespaces={{{}}}", ns.name());
    let out = run(
        &helm,
        &[
            "install",
            "notes",
            &chart,
            "--namespace",
            ns.name(),
            "--dry-run=server",
            "--set",
            &watch,
        ],
        &[("KUBECONFIG", &kubeconfig)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let notes = stdout.split("NOTES:").nth(1).expect("NOTES section");
    assert!(
        notes.contains(&format!("It watches namespace {} only", ns.name())),
        "{notes}"
    );
    assert!(
        notes.contains(&format!("kubectl -n {} get gotoorganizers", ns.name())),
        "{notes}"
    );
    ns.cleanup().await;
}
