//! Shared by tests/chart.rs, tests/chart_dry_run.rs and tests/chart_rbac.rs: rendering the Helm
//! chart with the real helm (built by hack/tools.sh), picking objects out of the render, and the
//! packaged previous version of the chart (the fixture next to this file).
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub use crate::common::repo;

pub fn chart_dir() -> PathBuf {
    repo().join("charts/goto-operator")
}

/// The previous release of the chart, as `helm package` wrote it (`goto-operator-<version>.tgz`
/// next to this file): what `helm upgrade` upgrades from in tests/chart_dry_run.rs.
pub fn previous_chart() -> PathBuf {
    let dir = repo().join("tests/helm");
    let mut packages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("goto-operator-") && n.ends_with(".tgz"))
        })
        .collect();
    assert_eq!(
        packages.len(),
        1,
        "tests/helm/ must hold exactly one packaged previous chart: {packages:?}"
    );
    packages.remove(0)
}

/// The version of [`previous_chart`], from its file name.
pub fn previous_chart_version() -> String {
    let package = previous_chart();
    let name = package
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a file name");
    name.trim_start_matches("goto-operator-")
        .trim_end_matches(".tgz")
        .to_owned()
}

/// Runs a tool and returns its output (panics when it cannot start at all).
pub fn run(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(repo());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `helm template <release> charts/goto-operator --namespace <ns> <extra...>` as parsed objects,
/// or the error output when helm refuses the values.
pub fn try_render(
    helm: &Path,
    release: &str,
    namespace: &str,
    extra: &[&str],
) -> Result<Vec<Value>, String> {
    let chart = chart_dir();
    let chart = chart.to_string_lossy();
    let mut args = vec!["template", release, &chart, "--namespace", namespace];
    args.extend_from_slice(extra);
    let out = run(helm, &args, &[]);
    if !out.status.success() {
        return Err(text(&out.stderr));
    }
    Ok(parse_yaml_stream(&text(&out.stdout)))
}

pub fn render(helm: &Path, release: &str, namespace: &str, extra: &[&str]) -> Vec<Value> {
    try_render(helm, release, namespace, extra)
        .unwrap_or_else(|e| panic!("helm template {extra:?} failed:\n{e}"))
}

/// Every non-empty document of a YAML stream.
pub fn parse_yaml_stream(yaml: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(yaml)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("helm printed invalid YAML"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

pub fn kind(obj: &Value) -> &str {
    obj["kind"].as_str().unwrap_or_default()
}

pub fn name(obj: &Value) -> &str {
    obj["metadata"]["name"].as_str().unwrap_or_default()
}

/// Sorted `Kind/name` of every object, for readable assertions.
pub fn inventory(objs: &[Value]) -> Vec<String> {
    let mut list: Vec<String> = objs
        .iter()
        .map(|o| format!("{}/{}", kind(o), name(o)))
        .collect();
    list.sort();
    list
}

pub fn only<'a>(objs: &'a [Value], wanted: &str) -> &'a Value {
    let mut found = objs.iter().filter(|o| kind(o) == wanted);
    let first = found
        .next()
        .unwrap_or_else(|| panic!("no {wanted} in {:?}", inventory(objs)));
    assert!(
        found.next().is_none(),
        "several {wanted} in {:?}",
        inventory(objs)
    );
    first
}

pub fn named<'a>(objs: &'a [Value], wanted_kind: &str, wanted_name: &str) -> &'a Value {
    objs.iter()
        .find(|o| kind(o) == wanted_kind && name(o) == wanted_name)
        .unwrap_or_else(|| panic!("no {wanted_kind}/{wanted_name} in {:?}", inventory(objs)))
}

/// A `kind: List` of objects, which `kubectl apply -f -` takes as one document.
pub fn as_list(objs: &[Value]) -> String {
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objs}).to_string()
}

/// Runs kubectl with `stdin` as input.
pub fn kubectl_stdin(kubectl: &Path, kubeconfig: &str, args: &[&str], stdin: &str) -> Output {
    crate::common::run_kubectl(kubectl, kubeconfig, args, Some(stdin))
}
