//! Proof that the chart's RBAC is exactly enough: the rules the chart renders are bound to the
//! test control plane's plain `operator` user, and the real operator binary runs with that user's
//! kubeconfig against the in-process GoTo simulator through a short scenario (account Ready, an
//! organizer created and Ready, then deleted through the finalizer). With all rules it works;
//! without the status rule it fails visibly (403 in the log, no Ready status), and without any
//! other one of the six rules it hits a 403 too: each rule is needed.
//!
//! The render uses `watchNamespaces: [<test namespace>]`, so the rules come as namespaced Roles and
//! the operator only ever sees this test's namespace (other tests run in parallel on the same
//! control plane). Every mode renders the very same rules (tests/chart.rs asserts that): the
//! default's Role in the release namespace, a Role in each namespace of a `watchNamespaces` list,
//! and `watchAllNamespaces`' ClusterRole, so this proves them all enough. A ClusterRole is never
//! applied here (it would let the `operator` user see every parallel test's namespace).
//!
//! With the webhook on, one more rule (patch on pods, for the leader's label on its own Pod) is
//! shown to be enough and needed the same way.
//!
//! And one release for several namespaces: the chart rendered with three fresh namespaces grants
//! a Role in each and nothing cluster-wide; one operator process, given the rendered
//! `GOTO_OPERATOR_NAMESPACE`, brings an account and an organizer to Ready in each, while its user
//! cannot list Secrets cluster-wide.

mod common;
mod helm;
mod operator;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{DEFAULT_TIMEOUT, TestNamespace};
use goto_operator::crd::conditions::{self, READY};
use goto_operator::crd::{GoToAccount, GoToOrganizer};
use goto_operator::simulator::{SimConfig, SimHandle, Simulator};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::runtime::wait::conditions::is_deleted;
use kube::{Api, Client};
use operator::Operator;
use serde_json::{Value, json};

const LEASE: &str = "goto-operator-leader";
const IDENTITY: &str = "rbac-proof";

/// What a render gives the operator: its RBAC objects (bound to the user `operator` instead of
/// the chart's ServiceAccount: the test control plane authenticates users by token, not service
/// accounts) and the Deployment's `GOTO_OPERATOR_NAMESPACE`.
struct RenderedRbac {
    rbac: Vec<Value>,
    namespace_env: Option<String>,
}

/// The chart's RBAC for release `rbac-proof` in `release_namespace` with these extra values.
/// `drop_rule` removes every rule it matches.
fn render_rbac(
    release_namespace: &str,
    values: &[&str],
    drop_rule: impl Fn(&Value) -> bool,
) -> RenderedRbac {
    let helm_bin = common::helm().expect("checked earlier");
    let objs = helm::render(&helm_bin, "rbac-proof", release_namespace, values);
    let namespace_env = helm::only(&objs, "Deployment")["spec"]["template"]["spec"]["containers"]
        [0]["env"]
        .as_array()
        .expect("container env")
        .iter()
        .find(|e| e["name"] == "GOTO_OPERATOR_NAMESPACE")
        .map(|e| e["value"].as_str().expect("a plain value").to_owned());
    let operator_user =
        json!([{"kind": "User", "name": "operator", "apiGroup": "rbac.authorization.k8s.io"}]);
    let mut rbac = Vec::new();
    for mut obj in objs {
        match helm::kind(&obj) {
            "Role" | "ClusterRole" => {
                if let Some(rules) = obj["rules"].as_array_mut() {
                    rules.retain(|r| !drop_rule(r));
                }
                rbac.push(obj);
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                obj["subjects"] = operator_user.clone();
                rbac.push(obj);
            }
            _ => {}
        }
    }
    RenderedRbac {
        rbac,
        namespace_env,
    }
}

/// The chart's RBAC for a release watching its own namespace, as the single-namespace tests use it.
fn rendered_rbac(namespace: &str, drop_rule: impl Fn(&Value) -> bool) -> Vec<Value> {
    let watch = format!("watchNamespaces={{{namespace}}}");
    let RenderedRbac {
        rbac,
        namespace_env,
    } = render_rbac(namespace, &["--set", &watch], drop_rule);
    assert_eq!(namespace_env.as_deref(), Some(namespace));
    assert_eq!(
        helm::inventory(&rbac),
        [
            "Role/rbac-proof-goto-operator",
            "Role/rbac-proof-goto-operator-leader-election",
            "RoleBinding/rbac-proof-goto-operator",
            "RoleBinding/rbac-proof-goto-operator-leader-election",
        ]
    );
    rbac
}

fn apply(objs: &[Value]) {
    let kubectl = common::kubectl().expect("checked earlier");
    let kubeconfig = std::env::var(common::KUBECONFIG_ENV).expect("checked earlier");
    let out = helm::kubectl_stdin(
        &kubectl,
        &kubeconfig,
        &["apply", "-f", "-"],
        &helm::as_list(objs),
    );
    assert!(
        out.status.success(),
        "kubectl apply RBAC: {}",
        helm::text(&out.stderr)
    );
}

/// `kubectl auth can-i` as the operator user, in a namespace or (`--all-namespaces`) everywhere.
fn operator_can(verb: &str, resource: &str, subresource: Option<&str>, namespace: &str) -> bool {
    let kubectl = common::kubectl().expect("checked earlier");
    let kubeconfig = std::env::var(common::OPERATOR_KUBECONFIG_ENV).expect("checked earlier");
    let mut args = vec!["auth", "can-i", verb, resource];
    match namespace {
        "--all-namespaces" => args.push(namespace),
        _ => args.extend(["-n", namespace]),
    }
    let flag = subresource.map(|s| format!("--subresource={s}"));
    args.extend(flag.as_deref());
    let out = helm::run(&kubectl, &args, &[("KUBECONFIG", &kubeconfig)]);
    helm::text(&out.stdout).trim() == "yes"
}

/// Waits until the authorizer honours the new bindings (it learns them through an informer).
async fn wait_for_grants(rbac: &[Value]) {
    // One permission of each Role, in its namespace: the first verb on the first resource of its
    // first rule.
    let mut probes = Vec::new();
    for role in rbac.iter().filter(|o| helm::kind(o) == "Role") {
        let namespace = role["metadata"]["namespace"]
            .as_str()
            .expect("a Role's namespace")
            .to_owned();
        let rule = &role["rules"][0];
        let group = rule["apiGroups"][0].as_str().unwrap_or_default();
        let mut resource = rule["resources"][0].as_str().expect("resource").to_owned();
        let subresource = resource
            .split_once('/')
            .map(|(r, s)| (r.to_owned(), s.to_owned()));
        if let Some((r, _)) = &subresource {
            resource = r.clone();
        }
        if !group.is_empty() {
            resource = format!("{resource}.{group}");
        }
        if let Some(name) = rule["resourceNames"][0].as_str() {
            resource = format!("{resource}/{name}");
        }
        let verb = rule["verbs"][0].as_str().expect("verb").to_owned();
        probes.push((verb, resource, subresource.map(|(_, s)| s), namespace));
    }
    common::eventually("the RoleBindings take effect", DEFAULT_TIMEOUT, || {
        let probes = probes.clone();
        async move {
            match probes
                .iter()
                .all(|(verb, res, sub, ns)| operator_can(verb, res, sub.as_deref(), ns))
            {
                true => Ok(()),
                false => Err(format!("not yet: {probes:?}")),
            }
        }
    })
    .await;
}

/// The Secret, GoToAccount and GoToOrganizer of the scenario, created as an admin would.
async fn create_objects(admin: &Client, namespace: &str, sim: &SimHandle) {
    create_objects_for(admin, namespace, sim, "new.hire@example.com").await;
}

/// The same with the organizer's email (one GoTo organizer has one owner: organizers of one GoTo
/// account in several namespaces of one operator need different people).
async fn create_objects_for(admin: &Client, namespace: &str, sim: &SimHandle, email: &str) {
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "goto-oauth"},
        "stringData": {"clientId": "demo-client", "clientSecret": "demo-secret"},
    }))
    .expect("secret");
    Api::<Secret>::namespaced(admin.clone(), namespace)
        .create(&PostParams::default(), &secret)
        .await
        .expect("create Secret");
    let account: GoToAccount = serde_json::from_value(json!({
        "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount",
        "metadata": {"name": "acme"},
        "spec": {"accountKey": sim.account_key(), "credentialsSecretRef": {"name": "goto-oauth"},
                 "apiBaseUrl": sim.base_url(), "tokenUrl": sim.token_url()},
    }))
    .expect("account");
    Api::<GoToAccount>::namespaced(admin.clone(), namespace)
        .create(&PostParams::default(), &account)
        .await
        .expect("create GoToAccount");
    let organizer: GoToOrganizer = serde_json::from_value(json!({
        "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
        "metadata": {"name": "new-hire"},
        "spec": {"accountRef": {"name": "acme"}, "email": email,
                 "firstName": "New", "lastName": "Hire"},
    }))
    .expect("organizer");
    Api::<GoToOrganizer>::namespaced(admin.clone(), namespace)
        .create(&PostParams::default(), &organizer)
        .await
        .expect("create GoToOrganizer");
}

fn is_ready<K>(
    status: impl Fn(&K) -> Option<Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>>,
) -> impl Fn(Option<&K>) -> bool {
    move |obj: Option<&K>| {
        obj.and_then(&status)
            .is_some_and(|c| conditions::find(&c, READY).is_some_and(|r| r.status == "True"))
    }
}

/// The operator as the plain `operator` user, watching `namespace` and electing a leader there.
fn start_operator(namespace: &str) -> Operator {
    start_operator_with(namespace, namespace, &[])
}

/// The operator as the plain `operator` user, watching `namespace` (empty: as `env` says),
/// electing a leader in `lease_namespace`, with these environment variables.
fn start_operator_with(namespace: &str, lease_namespace: &str, env: &[(&str, &str)]) -> Operator {
    let kubeconfig = std::env::var(common::OPERATOR_KUBECONFIG_ENV).expect("checked earlier");
    Operator::start_with_env(
        &kubeconfig,
        namespace,
        &[
            "--leader-election",
            "true",
            "--lease-namespace",
            lease_namespace,
            "--lease-name",
            LEASE,
            "--identity",
            IDENTITY,
            "--reaudit-seconds",
            "2",
            "--slow-requeue-seconds",
            "2",
        ],
        env,
    )
}

struct Setup {
    admin: Client,
    ns: TestNamespace,
    sim: SimHandle,
}

async fn setup() -> Option<Setup> {
    let admin = common::client().await?;
    common::operator_client().await?;
    common::helm()?;
    common::kubectl()?;
    common::apply_crds(&admin).await;
    let ns = TestNamespace::new(&admin).await;
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("start the simulator");
    Some(Setup { admin, ns, sim })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chart_rbac_is_enough_to_run_the_operator() {
    let Some(Setup { admin, ns, sim }) = setup().await else {
        return;
    };
    let namespace = ns.name().to_owned();
    let rbac = rendered_rbac(&namespace, |_| false);
    apply(&rbac);
    wait_for_grants(&rbac).await;
    create_objects(&admin, &namespace, &sim).await;
    let mut operator = start_operator(&namespace);

    let accounts = Api::<GoToAccount>::namespaced(admin.clone(), &namespace);
    let organizers = Api::<GoToOrganizer>::namespaced(admin.clone(), &namespace);
    let ready_account = is_ready(|a: &GoToAccount| a.status.as_ref().map(|s| s.conditions.clone()));
    let ready_organizer =
        is_ready(|o: &GoToOrganizer| o.status.as_ref().map(|s| s.conditions.clone()));
    let timeout = Duration::from_secs(40);
    let wait = async {
        common::await_condition(accounts.clone(), "acme", ready_account, timeout).await;
        common::await_condition(organizers.clone(), "new-hire", ready_organizer, timeout).await
    };
    let organizer = tokio::select! {
        o = wait => o.expect("organizer exists"),
        () = operator.exited() => unreachable!(),
    };
    // The chart's `patch` on secrets let the account protect its credentials with a finalizer.
    let secret = Api::<Secret>::namespaced(admin.clone(), &namespace)
        .get_metadata("goto-oauth")
        .await
        .expect("Secret");
    assert!(
        secret
            .metadata
            .finalizers
            .unwrap_or_default()
            .contains(&"goto-operator.dev/credentials-in-use".to_string()),
        "the referenced Secret carries the credentials-in-use finalizer"
    );
    let uid = organizer.metadata.uid.clone().expect("uid");
    let key = organizer
        .status
        .and_then(|s| s.organizer_key)
        .expect("status.organizerKey");
    let created = sim
        .organizer(&key)
        .expect("the organizer exists in the simulator");
    assert_eq!(created.email, "new.hire@example.com");

    // Leader election went through the chart's Lease rules.
    let lease = Api::<Lease>::namespaced(admin.clone(), &namespace)
        .get(LEASE)
        .await
        .expect("Lease");
    assert_eq!(
        lease.spec.and_then(|s| s.holder_identity).as_deref(),
        Some(IDENTITY)
    );
    // Events went through the chart's events.k8s.io rule (a refused Event is only logged).
    let events = Api::<Event>::namespaced(admin.clone(), &namespace)
        .list(&ListParams::default())
        .await
        .expect("list events");
    let reasons: BTreeMap<String, String> = events
        .items
        .iter()
        .filter_map(|e| Some((e.reason.clone()?, e.regarding.as_ref()?.name.clone()?)))
        .collect();
    assert_eq!(
        reasons.get("Created").map(String::as_str),
        Some("new-hire"),
        "{reasons:?}"
    );

    // Deletion runs the finalizer (patch of the object) and deletes the organizer in GoTo.
    organizers
        .delete("new-hire", &DeleteParams::default())
        .await
        .expect("delete");
    tokio::select! {
        _ = common::await_condition(organizers.clone(), "new-hire", is_deleted(&uid), timeout) => {}
        () = operator.exited() => unreachable!(),
    }
    assert!(sim.organizer(&key).is_none(), "deleted in GoTo");
    let log = operator.log();
    assert!(
        !log.to_lowercase().contains("forbidden"),
        "a request was refused:\n{log}"
    );
    drop(operator);
    ns.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_status_rule_the_operator_fails_visibly() {
    let Some(Setup { admin, ns, sim }) = setup().await else {
        return;
    };
    let namespace = ns.name().to_owned();
    let rbac = rendered_rbac(&namespace, |r| {
        r["resources"].to_string().contains("/status")
    });
    apply(&rbac);
    wait_for_grants(&rbac).await;
    assert!(
        !operator_can(
            "patch",
            "gotoaccounts.goto-operator.dev",
            Some("status"),
            &namespace
        ),
        "the operator user may patch status without the chart's rule: another grant leaks in"
    );
    create_objects(&admin, &namespace, &sim).await;
    let mut operator = start_operator(&namespace);

    wait_for_log(&operator, "cannot patch resource", "gotoaccounts/status").await;
    operator.assert_running();
    let organizer = Api::<GoToOrganizer>::namespaced(admin.clone(), &namespace)
        .get("new-hire")
        .await
        .expect("organizer");
    let ready = organizer
        .status
        .as_ref()
        .and_then(|s| conditions::find(&s.conditions, READY).cloned());
    assert!(ready.is_none(), "no status can be written, yet: {ready:?}");
    drop(operator);
    ns.cleanup().await;
}

/// Waits (bounded) for a log line containing both strings; fails with the whole log otherwise.
async fn wait_for_log(operator: &Operator, phrase: &str, resource: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let log = operator.log();
        if let Some(line) = log
            .lines()
            .find(|l| l.contains(phrase) && l.contains(resource))
        {
            return line.to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no log line with {phrase:?} and {resource:?} within 30 s:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

type RulePredicate = fn(&Value) -> bool;

/// Every other rule is needed too: without it the operator hits a 403 it logs (leader election
/// fails and the process exits; watches, Secret reads and Events are refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_rule_is_needed_too() {
    let cases: [(&str, RulePredicate, &str, &str); 5] = [
        (
            "the two kinds",
            |r| r["resources"][0] == "gotoorganizers",
            "cannot list resource",
            "gotoorganizers",
        ),
        (
            "secrets",
            |r| r["resources"][0] == "secrets",
            "cannot get resource",
            "secrets",
        ),
        (
            "events",
            |r| r["resources"][0] == "events",
            "cannot create resource",
            "events",
        ),
        (
            "creating the Lease",
            |r| r["resources"][0] == "leases" && r["verbs"] == json!(["create"]),
            "cannot create resource",
            "leases",
        ),
        (
            "reading and renewing the Lease",
            |r| r["resources"][0] == "leases" && r.get("resourceNames").is_some(),
            "cannot get resource",
            "leases",
        ),
    ];
    for (what, drop_rule, phrase, resource) in cases {
        let Some(Setup { admin, ns, sim }) = setup().await else {
            return;
        };
        let namespace = ns.name().to_owned();
        let rbac = rendered_rbac(&namespace, drop_rule);
        let rules: usize = rbac
            .iter()
            .filter_map(|o| o["rules"].as_array().map(Vec::len))
            .sum();
        assert_eq!(rules, 5, "exactly one of the six rules dropped ({what})");
        apply(&rbac);
        wait_for_grants(&rbac).await;
        create_objects(&admin, &namespace, &sim).await;
        let operator = start_operator(&namespace);
        let line = wait_for_log(&operator, phrase, resource).await;
        assert!(
            line.contains("403") || line.contains("Forbidden"),
            "without {what}: {line}"
        );
        drop(operator);
        ns.cleanup().await;
    }
}

/// With the webhook on, the chart adds one rule, patch on pods in the release namespace, so that
/// the leader can label its own Pod for the webhook Service (and nothing else on pods: not even
/// get). With it the leader's Pod gets the label and nothing is refused; without it the operator
/// logs the 403 and works on, unlabelled: labelling is never fatal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_webhook_the_pods_rule_lets_the_leader_label_its_pod_and_is_needed() {
    use goto_operator::controller::leader_label::{LEADER_LABEL, LEADER_VALUE};
    use k8s_openapi::api::core::v1::Pod;

    const POD: &str = "rbac-proof-0";
    for with_rule in [true, false] {
        let Some(Setup { admin, ns, sim }) = setup().await else {
            return;
        };
        let namespace = ns.name().to_owned();
        let watch = format!("watchNamespaces={{{namespace}}}");
        let RenderedRbac { rbac, .. } = render_rbac(
            &namespace,
            &["--set", &watch, "--set", "webhook.enabled=true"],
            |r| !with_rule && r["resources"][0] == "pods",
        );
        let pod_rules: Vec<&Value> = rbac
            .iter()
            .filter_map(|o| o["rules"].as_array())
            .flatten()
            .filter(|r| r["resources"].to_string().contains("pods"))
            .collect();
        let expected = json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["patch"]});
        assert_eq!(pod_rules, if with_rule { vec![&expected] } else { vec![] });
        apply(&rbac);
        wait_for_grants(&rbac).await;
        if with_rule {
            common::eventually("the pods rule takes effect", DEFAULT_TIMEOUT, || {
                let namespace = namespace.clone();
                async move {
                    match operator_can("patch", "pods", None, &namespace) {
                        true => Ok(()),
                        false => Err("not yet".to_string()),
                    }
                }
            })
            .await;
        } else {
            assert!(!operator_can("patch", "pods", None, &namespace));
        }
        assert!(
            !operator_can("get", "pods", None, &namespace),
            "patch only, not even get"
        );
        // No kubelet here: the Pod is a plain object, named as the Deployment's downward API
        // would name it to the operator.
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": POD},
            "spec": {"containers": [{"name": "operator", "image": "goto-operator:test"}]},
        }))
        .expect("pod");
        let pods = Api::<Pod>::namespaced(admin.clone(), &namespace);
        pods.create(&PostParams::default(), &pod)
            .await
            .expect("create Pod");
        create_objects(&admin, &namespace, &sim).await;
        let mut operator = start_operator_with(
            &namespace,
            &namespace,
            &[
                ("GOTO_OPERATOR_POD_NAME", POD),
                ("GOTO_OPERATOR_POD_NAMESPACE", namespace.as_str()),
            ],
        );
        let organizers = Api::<GoToOrganizer>::namespaced(admin.clone(), &namespace);
        let ready_organizer =
            is_ready(|o: &GoToOrganizer| o.status.as_ref().map(|s| s.conditions.clone()));
        tokio::select! {
            o = common::await_condition(organizers, "new-hire", ready_organizer, Duration::from_secs(40)) => {
                o.expect("organizer exists");
            }
            () = operator.exited() => unreachable!(),
        }
        let label = || async {
            pods.get(POD)
                .await
                .expect("read Pod")
                .metadata
                .labels
                .and_then(|l| l.get(LEADER_LABEL).cloned())
        };
        if with_rule {
            common::eventually("the leader labels its Pod", DEFAULT_TIMEOUT, || async {
                match label().await.as_deref() {
                    Some(LEADER_VALUE) => Ok(()),
                    other => Err(format!("label {other:?}")),
                }
            })
            .await;
            let log = operator.log();
            assert!(
                !log.to_lowercase().contains("forbidden"),
                "a request was refused:\n{log}"
            );
        } else {
            let line = wait_for_log(
                &operator,
                "could not update this pod's leader label",
                "pods",
            )
            .await;
            assert!(line.contains("403") || line.contains("Forbidden"), "{line}");
            assert_eq!(label().await, None);
            operator.assert_running();
        }
        drop(operator);
        ns.cleanup().await;
    }
}

/// One release watching three namespaces reconciles in each, with no ClusterRole on Secrets
/// (issue 23): the chart rendered with `watchNamespaces` of three fresh namespaces (the release in
/// a fourth) grants a Role in each of the three and nothing cluster-wide; one operator process,
/// given the rendered `GOTO_OPERATOR_NAMESPACE` as the Deployment would give it, brings the
/// GoToAccount and the GoToOrganizer of each namespace to Ready, without a single refused request.
/// Its user cannot list Secrets cluster-wide, nor read them in the release namespace it does not
/// watch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_release_watching_three_namespaces_reconciles_in_each_without_a_cluster_role() {
    let Some(Setup {
        admin,
        ns: release,
        sim,
    }) = setup().await
    else {
        return;
    };
    let mut watched = Vec::new();
    for _ in 0..3 {
        watched.push(TestNamespace::new(&admin).await);
    }
    let names: Vec<String> = watched.iter().map(|n| n.name().to_owned()).collect();
    let list = format!("watchNamespaces={{{}}}", names.join(","));
    let RenderedRbac {
        rbac,
        namespace_env,
    } = render_rbac(release.name(), &["--set", &list], |_| false);

    // What the render grants: a Role and RoleBinding in each watched namespace, the Lease in the
    // release namespace, nothing cluster-wide, and Secrets in the three namespaces only.
    let mut placed: Vec<String> = rbac
        .iter()
        .map(|o| {
            format!(
                "{}/{} in {}",
                helm::kind(o),
                helm::name(o),
                o["metadata"]["namespace"].as_str().unwrap_or("the cluster")
            )
        })
        .collect();
    placed.sort();
    let mut expected: Vec<String> = names
        .iter()
        .flat_map(|ns| {
            [
                format!("Role/rbac-proof-goto-operator in {ns}"),
                format!("RoleBinding/rbac-proof-goto-operator in {ns}"),
            ]
        })
        .chain([
            format!(
                "Role/rbac-proof-goto-operator-leader-election in {}",
                release.name()
            ),
            format!(
                "RoleBinding/rbac-proof-goto-operator-leader-election in {}",
                release.name()
            ),
        ])
        .collect();
    expected.sort();
    assert_eq!(placed, expected, "no ClusterRole, a Role in each namespace");
    assert_eq!(namespace_env.as_deref(), Some(names.join(",").as_str()));

    apply(&rbac);
    wait_for_grants(&rbac).await;
    for ns in &names {
        assert!(
            operator_can("list", "secrets", None, ns),
            "the operator user cannot list Secrets in {ns}"
        );
    }
    // The negative control: no grant on Secrets beyond the three namespaces, asked of the
    // authorizer and tried for real.
    assert!(
        !operator_can("list", "secrets", None, "--all-namespaces"),
        "the operator user may list Secrets cluster-wide: a cluster-wide grant leaks in"
    );
    assert!(
        !operator_can("get", "secrets", None, release.name()),
        "the operator user may read Secrets in the release namespace, which it does not watch"
    );
    let operator_client = common::operator_client().await.expect("checked in setup");
    let refused = Api::<Secret>::all(operator_client)
        .list_metadata(&ListParams::default())
        .await
        .expect_err("listing Secrets cluster-wide must be refused");
    assert!(
        matches!(&refused, kube::Error::Api(status) if status.code == 403),
        "{refused:?}"
    );

    for (i, ns) in names.iter().enumerate() {
        create_objects_for(&admin, ns, &sim, &format!("hire.{i}@example.com")).await;
    }
    let env = namespace_env.expect("the rendered GOTO_OPERATOR_NAMESPACE");
    let mut operator = start_operator_with(
        "",
        release.name(),
        &[("GOTO_OPERATOR_NAMESPACE", env.as_str())],
    );

    let ready_account = is_ready(|a: &GoToAccount| a.status.as_ref().map(|s| s.conditions.clone()));
    let ready_organizer =
        is_ready(|o: &GoToOrganizer| o.status.as_ref().map(|s| s.conditions.clone()));
    let timeout = Duration::from_secs(40);
    let wait = async {
        let mut ready = Vec::new();
        for ns in &names {
            let accounts = Api::<GoToAccount>::namespaced(admin.clone(), ns);
            let organizers = Api::<GoToOrganizer>::namespaced(admin.clone(), ns);
            common::await_condition(accounts, "acme", &ready_account, timeout).await;
            let organizer =
                common::await_condition(organizers, "new-hire", &ready_organizer, timeout).await;
            ready.push(organizer.expect("organizer exists"));
        }
        ready
    };
    let ready = tokio::select! {
        r = wait => r,
        () = operator.exited() => unreachable!(),
    };
    for (i, (organizer, ns)) in ready.iter().zip(&names).enumerate() {
        let key = organizer
            .status
            .as_ref()
            .and_then(|s| s.organizer_key.clone())
            .unwrap_or_else(|| panic!("{ns}: no status.organizerKey"));
        let created = sim
            .organizer(&key)
            .unwrap_or_else(|| panic!("{ns}: organizer {key} is not in the simulator"));
        assert_eq!(created.email, format!("hire.{i}@example.com"), "{ns}");
    }
    let log = operator.log();
    assert!(
        !log.to_lowercase().contains("forbidden"),
        "a request was refused:\n{log}"
    );
    drop(operator);
    for ns in watched {
        ns.cleanup().await;
    }
    release.cleanup().await;
}
