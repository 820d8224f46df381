//! The image, run for real (`make image-test`: hack/image-test.sh builds it with `make image`,
//! starts a control plane and runs this test with `GOTO_TEST_IMAGE` set; without it the test
//! skips, as in `make test`).
//!
//! The container runs as the Helm chart's Deployment runs the operator: the chart's args and
//! environment, its container securityContext translated to podman flags (UID/GID 65532,
//! read-only root filesystem, every capability dropped, no privilege escalation), and the
//! in-cluster credentials a pod gets (a service-account directory and KUBERNETES_SERVICE_*),
//! against the test kube-apiserver and the in-process GoTo simulator on 127.0.0.1 (host network).
//! It must reconcile an organizer to Ready, as that user with those restrictions (read back
//! from the kernel, not from podman's configuration), and answer the chart's probes from inside
//! the container.

mod common;
mod helm;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use goto_operator::crd::GoToOrganizer;
use goto_operator::simulator::{SimConfig, Simulator};
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};

/// hack/image-test.sh sets both.
const IMAGE_ENV: &str = "GOTO_TEST_IMAGE";
const PODMAN_ENV: &str = "GOTO_TEST_PODMAN";

/// A cold container start plus the first reconcile, on a loaded 2-core machine.
const READY_TIMEOUT: Duration = Duration::from_secs(90);

fn podman() -> PathBuf {
    std::env::var_os(PODMAN_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| helm::repo().join("hack/podman.sh"))
}

fn run_podman(args: &[&str]) -> Output {
    Command::new(podman())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", podman().display()))
}

fn podman_ok(args: &[&str]) -> String {
    let out = run_podman(args);
    assert!(
        out.status.success(),
        "podman {args:?} failed:\n{}",
        helm::text(&out.stderr)
    );
    helm::text(&out.stdout).trim().to_owned()
}

/// A running container, removed when the test ends, however it ends.
struct Container {
    name: String,
}

impl Container {
    fn logs(&self) -> String {
        let out = run_podman(&["logs", "--tail", "60", &self.name]);
        format!("{}{}", helm::text(&out.stdout), helm::text(&out.stderr))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = run_podman(&["rm", "--force", "--time", "5", &self.name]);
    }
}

/// A free TCP port on 127.0.0.1 for the operator's metrics server (host network: the pod's own
/// port 8080 may be taken on the host).
use common::free_port;

/// The files a pod's service account gives it, for kube's in-cluster configuration, made from
/// the admin kubeconfig; plus the apiserver's port. Readable by the container's user.
fn service_account_dir(kubeconfig: &Path, namespace: &str) -> (tempfile::TempDir, u16) {
    use base64::Engine;
    use std::os::unix::fs::PermissionsExt;
    let config: Value = serde_norway::from_str(
        &std::fs::read_to_string(kubeconfig).expect("read the admin kubeconfig"),
    )
    .expect("kubeconfig YAML");
    let cluster = &config["clusters"][0]["cluster"];
    let server = cluster["server"].as_str().expect("server");
    let port: u16 = server
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("no port in {server}"));
    let ca = base64::engine::general_purpose::STANDARD
        .decode(cluster["certificate-authority-data"].as_str().expect("CA"))
        .expect("base64 CA");
    let token = config["users"][0]["user"]["token"].as_str().expect("token");

    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("ca.crt"), ca).expect("write ca.crt");
    std::fs::write(dir.path().join("token"), token).expect("write token");
    std::fs::write(dir.path().join("namespace"), namespace).expect("write namespace");
    for entry in std::fs::read_dir(dir.path()).expect("list") {
        let path = entry.expect("entry").path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (dir, port)
}

/// podman flags for a container securityContext as the chart renders it. Panics on a setting
/// this translation does not know, so the chart cannot grow one the test silently ignores.
fn security_flags(ctx: &Value) -> Vec<String> {
    let mut flags = Vec::new();
    for (key, value) in ctx.as_object().expect("securityContext is a map") {
        match key.as_str() {
            "runAsUser" => {}  // with runAsGroup below
            "runAsGroup" => {} // idem
            "runAsNonRoot" => assert_eq!(value, true, "runAsNonRoot"),
            "readOnlyRootFilesystem" if value == true => {
                // Kubernetes adds no tmpfs; podman would, unless told not to.
                flags.extend(["--read-only".into(), "--read-only-tmpfs=false".into()]);
            }
            "allowPrivilegeEscalation" if value == false => {
                flags.push("--security-opt=no-new-privileges".into());
            }
            "capabilities" => {
                assert!(value.get("add").is_none(), "the chart adds capabilities");
                for cap in value["drop"].as_array().expect("drop list") {
                    flags.push(format!("--cap-drop={}", cap.as_str().expect("name")));
                }
            }
            // podman's default seccomp profile is the runtime default.
            "seccompProfile" => assert_eq!(value["type"], "RuntimeDefault"),
            other => panic!("securityContext.{other} = {value}: translate it to podman"),
        }
    }
    let uid = ctx["runAsUser"].as_u64().expect("runAsUser");
    let gid = ctx["runAsGroup"].as_u64().expect("runAsGroup");
    assert_ne!(uid, 0, "the chart runs as root");
    flags.push(format!("--user={uid}:{gid}"));
    flags
}

/// The fields of /proc/PID/status, e.g. "Uid" -> "65532\t65532\t65532\t65532".
fn proc_status(pid: &str) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/status: {e}"))
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect()
}

#[tokio::test]
async fn the_image_reconciles_an_organizer_as_the_charts_non_root_user() {
    let Some(image) = std::env::var(IMAGE_ENV).ok().filter(|v| !v.is_empty()) else {
        eprintln!(
            "note: skipping, {IMAGE_ENV} is not set; `make image-test` builds and runs the image"
        );
        return;
    };
    let kubeconfig = common::required_env(common::KUBECONFIG_ENV).expect("image-test sets it");
    let helm_bin = common::helm().expect("image-test sets it");
    let client = common::client().await.expect("image-test sets it");
    common::apply_crds(&client).await;
    let ns = common::TestNamespace::new(&client).await;
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("start the simulator");

    // The objects a user applies: credentials, an account pointing at the simulator, an organizer.
    let pp = PatchParams::apply("goto-operator-tests").force();
    let objects = [
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "goto-oauth"},
               "stringData": {"clientId": "demo-client", "clientSecret": "demo-secret"}}),
        json!({"apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount",
               "metadata": {"name": "acme"},
               "spec": {"accountKey": sim.account_key(), "credentialsSecretRef": {"name": "goto-oauth"},
                        "apiBaseUrl": sim.base_url(), "tokenUrl": sim.token_url()}}),
        json!({"apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
               "metadata": {"name": "jane-doe"},
               "spec": {"accountRef": {"name": "acme"}, "email": "jane.doe@example.com",
                        "firstName": "Jane", "lastName": "Doe"}}),
    ];
    for obj in &objects {
        let kind = obj["kind"].as_str().expect("kind");
        let (group, version) = match obj["apiVersion"]
            .as_str()
            .expect("apiVersion")
            .split_once('/')
        {
            Some((g, v)) => (g, v),
            None => ("", "v1"),
        };
        let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
        let resource = kube::api::ApiResource::from_gvk(&gvk);
        let api: Api<kube::api::DynamicObject> =
            Api::namespaced_with(client.clone(), ns.name(), &resource);
        let name = obj["metadata"]["name"].as_str().expect("name");
        api.patch(name, &pp, &Patch::Apply(obj))
            .await
            .unwrap_or_else(|e| panic!("apply {kind}/{name}: {e}"));
    }

    // The Deployment the chart renders for a release watching this namespace.
    let release = "goto-operator";
    let rendered = helm::render(
        &helm_bin,
        release,
        ns.name(),
        &["--set", &format!("watchNamespaces[0]={}", ns.name())],
    );
    let deployment = helm::only(&rendered, "Deployment");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let metrics_port = free_port();
    let pod_name = format!("{release}-image-test");
    let mut env = Vec::new();
    for var in container["env"].as_array().expect("env") {
        let name = var["name"].as_str().expect("env name");
        let value = match (
            var["value"].as_str(),
            var["valueFrom"]["fieldRef"]["fieldPath"].as_str(),
        ) {
            _ if name == "GOTO_OPERATOR_METRICS_BIND" => format!("127.0.0.1:{metrics_port}"),
            (Some(v), _) => v.to_owned(),
            (None, Some("metadata.namespace")) => ns.name().to_owned(),
            (None, Some("metadata.name")) => pod_name.clone(),
            _ => panic!("env {name}: {var} is not translated"),
        };
        env.push(format!("{name}={value}"));
    }
    let (sa_dir, api_port) = service_account_dir(Path::new(&kubeconfig), ns.name());
    env.push("KUBERNETES_SERVICE_HOST=127.0.0.1".into());
    env.push(format!("KUBERNETES_SERVICE_PORT={api_port}"));

    let name = format!("goto-image-test-{}", ns.name());
    let mut args: Vec<String> = vec![
        "run".into(),
        "--detach".into(),
        format!("--name={name}"),
        "--network=host".into(),
        format!(
            "--volume={}:/var/run/secrets/kubernetes.io/serviceaccount:ro",
            sa_dir.path().display()
        ),
    ];
    args.extend(security_flags(&container["securityContext"]));
    args.extend(env.iter().map(|e| format!("--env={e}")));
    args.push(image.clone());
    args.extend(
        container["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| a.as_str().expect("arg").to_owned()),
    );
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    podman_ok(&arg_refs);
    let running = Container { name: name.clone() };

    // Ready, reconciled by the container against the simulator.
    let organizers: Api<GoToOrganizer> = Api::namespaced(client.clone(), ns.name());
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    loop {
        let ready = organizers
            .get_opt("jane-doe")
            .await
            .ok()
            .flatten()
            .and_then(|o| o.status)
            .is_some_and(|s| {
                s.conditions
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True")
            });
        if ready {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the organizer did not become Ready within {READY_TIMEOUT:?}; container logs:\n{}",
            running.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        sim.organizers()
            .iter()
            .any(|o| o.email == "jane.doe@example.com"),
        "the simulator has no organizer for jane.doe@example.com"
    );

    // What the kernel says about the operator process: the chart's user, no capabilities, no
    // privilege escalation, a read-only root filesystem.
    let pid = podman_ok(&["inspect", "--format", "{{.State.Pid}}", &name]);
    let status = proc_status(&pid);
    let ctx = &container["securityContext"];
    let uid = ctx["runAsUser"].to_string();
    let gid = ctx["runAsGroup"].to_string();
    assert_eq!(status["Uid"], [uid.as_str(); 4].join("\t"), "{status:?}");
    assert_eq!(status["Gid"], [gid.as_str(); 4].join("\t"), "{status:?}");
    for caps in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(status[caps], "0000000000000000", "{caps}");
    }
    assert_eq!(status["NoNewPrivs"], "1");
    let mountinfo = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).expect("mountinfo");
    let root = mountinfo
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .find(|f| f.get(4) == Some(&"/"))
        .expect("a / mount");
    assert!(
        root[5].split(',').any(|o| o == "ro"),
        "root filesystem is writable: {root:?}"
    );
    assert_eq!(
        podman_ok(&["image", "inspect", "--format", "{{.Config.User}}", &image]),
        format!("{uid}:{gid}"),
        "the image's own USER"
    );

    // The chart's probes, answered inside the container (no shell there: the binary probes).
    for probe in ["livenessProbe", "readinessProbe"] {
        let path = container[probe]["httpGet"]["path"]
            .as_str()
            .expect("probe path");
        let url = format!("http://127.0.0.1:{metrics_port}{path}");
        let out = run_podman(&["exec", &name, "/goto-operator", "probe", &url]);
        assert!(
            out.status.success(),
            "{probe} {path} from inside the container: {}{}",
            helm::text(&out.stdout),
            helm::text(&out.stderr)
        );
        assert!(
            helm::text(&out.stdout).contains(" 200 "),
            "{probe}: {}",
            helm::text(&out.stdout)
        );
    }
    // And the probe can fail: a path the operator does not serve.
    let url = format!("http://127.0.0.1:{metrics_port}/no-such-path");
    let out = run_podman(&["exec", &name, "/goto-operator", "probe", &url]);
    assert!(!out.status.success(), "probing {url} succeeded");

    drop(running);
    ns.cleanup().await;
}
