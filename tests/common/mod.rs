//! Shared harness for the tests that run against the real control plane (etcd + kube-apiserver,
//! started by `hack/envtest.sh up`; `make test` does it for you). Use it as `mod common;`.
//!
//! Everything is found through the environment that `hack/test.sh` exports, so a test binary
//! can also be run by hand against `make envtest-up` (see docs/envtest.md):
//! `GOTO_TEST_KUBECONFIG` (admin, system:masters), `GOTO_TEST_OPERATOR_KUBECONFIG` (user
//! `operator`, no rights until RBAC grants them), `GOTO_TEST_KUBECTL`, `GOTO_TEST_HELM`.
//!
//! When a variable is missing, a test skips with a note on a developer machine, but under CI it
//! FAILS: a CI run that silently skips the control-plane tests would prove nothing.
#![allow(dead_code, unused_imports)] // each test binary uses a different subset of the harness

mod crds;
mod namespace;
mod wait;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

pub use crds::apply_crds;
pub use namespace::TestNamespace;
pub use wait::{DEFAULT_TIMEOUT, await_condition, eventually};

/// Admin kubeconfig (user `admin` in `system:masters`).
pub const KUBECONFIG_ENV: &str = "GOTO_TEST_KUBECONFIG";
/// Kubeconfig of the plain `operator` user, which has no rights until RBAC grants them.
pub const OPERATOR_KUBECONFIG_ENV: &str = "GOTO_TEST_OPERATOR_KUBECONFIG";
/// kubectl built from the same Kubernetes version as the test apiserver.
pub const KUBECTL_ENV: &str = "GOTO_TEST_KUBECTL";
/// helm built by hack/tools.sh.
pub const HELM_ENV: &str = "GOTO_TEST_HELM";

/// The repository's root (the crate's manifest directory).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A port free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs `kubectl args` with `kubeconfig`, in the repository's root, with `stdin` as its input
/// when given; the output whatever the exit status.
pub fn run_kubectl(
    kubectl: &Path,
    kubeconfig: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(kubectl)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .current_dir(repo())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", kubectl.display()));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(input.as_bytes())
            .expect("write to kubectl");
    }
    child.wait_with_output().expect("kubectl output")
}

/// True under CI (`CI=true`, as `.ci/run` sets it), where skipping is not allowed.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The value of `var`, or `None` (with a skip note) on a developer machine; panics under CI.
pub fn required_env(var: &str) -> Option<OsString> {
    match std::env::var_os(var) {
        Some(value) if !value.is_empty() => Some(value),
        _ if in_ci() => panic!(
            "{var} is not set but CI=true: the control-plane tests must run in CI, not skip. \
             Run them through `make test` (hack/test.sh), which starts the control plane and \
             exports {var}."
        ),
        _ => {
            eprintln!(
                "note: skipping, {var} is not set; run `make test`, or `make envtest-up` and \
                 export the GOTO_TEST_* variables listed in docs/envtest.md"
            );
            None
        }
    }
}

/// Admin client for the test control plane, or `None` when it is not configured (never under CI).
pub async fn client() -> Option<Client> {
    let path = required_env(KUBECONFIG_ENV)?;
    Some(client_from_kubeconfig(Path::new(&path)).await)
}

/// Client authenticated as the plain `operator` user (no rights until RBAC grants them).
pub async fn operator_client() -> Option<Client> {
    let path = required_env(OPERATOR_KUBECONFIG_ENV)?;
    Some(client_from_kubeconfig(Path::new(&path)).await)
}

/// Path of the kubectl built by hack/tools.sh (same version as the test apiserver).
pub fn kubectl() -> Option<PathBuf> {
    required_env(KUBECTL_ENV).map(PathBuf::from)
}

/// Path of the helm built by hack/tools.sh.
pub fn helm() -> Option<PathBuf> {
    required_env(HELM_ENV).map(PathBuf::from)
}

/// A client for one kubeconfig file. Panics with the path on any error: once the environment
/// says a control plane exists, not reaching it is a test failure, not a skip.
pub async fn client_from_kubeconfig(path: &Path) -> Client {
    // kube's rustls backend is built with ring; installing it as the process default also covers
    // any other rustls user in the same test binary. A second install is a harmless no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kubeconfig = Kubeconfig::read_from(path)
        .unwrap_or_else(|e| panic!("cannot read kubeconfig {}: {e}", path.display()));
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("invalid kubeconfig {}: {e}", path.display()));
    Client::try_from(config)
        .unwrap_or_else(|e| panic!("cannot build a client from {}: {e}", path.display()))
}
