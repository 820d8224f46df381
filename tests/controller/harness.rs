//! One end-to-end environment per test: a fresh namespace on the real kube-apiserver, an
//! in-process GoTo simulator, a GoToAccount + Secret pointing at it, and the operator binary
//! running as a child process watching only that namespace, with its logs captured.
use std::time::Duration;

use goto_operator::crd::conditions::{READY, SYNCED};
use goto_operator::crd::{GoToAccount, GoToOrganizer};
use goto_operator::simulator::{FIRST_KEY, SimConfig, SimHandle, Simulator, V1_FIRST_KEY};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};

use crate::common::{self, TestNamespace};

/// The client secret every test account uses; tests assert it never leaks.
pub const CLIENT_SECRET: &str = "s3cr3t-Do-Not-Leak-7f1c";
pub const CLIENT_ID: &str = "e2e-client";
pub const ACCOUNT: &str = "acme";
const FIELD_MANAGER: &str = "e2e-test";

/// Which dialect of GoTo's API the suite's accounts speak: `GOTO_TEST_API=v1` runs every test
/// through GoTo Meeting REST v1 (the simulator's `/G2M/rest`, keys as JSON int64 numbers);
/// unset or `v2`, through the seed's v2. `hack/test.sh` runs the suite both ways.
pub fn dialect() -> &'static str {
    match std::env::var("GOTO_TEST_API").as_deref() {
        Ok("v1") => "v1",
        Ok("v2") | Err(_) => "v2",
        Ok(other) => panic!("GOTO_TEST_API={other:?}: set v1 or v2"),
    }
}

/// Whether the suite runs through v1.
pub fn through_v1() -> bool {
    dialect() == "v1"
}

/// Operator flags a test can change.
#[derive(Clone)]
pub struct OperatorOptions {
    pub resync_seconds: u64,
    pub reaudit_seconds: u64,
    pub slow_requeue_seconds: u64,
    /// More flags for `goto-operator run` (e.g. `--webhook-bind`).
    pub extra_args: Vec<String>,
}

impl Default for OperatorOptions {
    fn default() -> Self {
        Self {
            resync_seconds: 600,
            reaudit_seconds: 1,
            slow_requeue_seconds: 2,
            extra_args: Vec::new(),
        }
    }
}

pub struct Env {
    pub client: Client,
    pub ns: TestNamespace,
    pub sim: SimHandle,
    pub operator: Option<operator::Operator>,
    pub options: OperatorOptions,
}

impl Env {
    /// Starts everything; `None` only off CI when no control plane is configured.
    pub async fn start(sim_config: SimConfig) -> Option<Env> {
        Self::start_with(sim_config, OperatorOptions::default()).await
    }

    pub async fn start_with(mut sim_config: SimConfig, options: OperatorOptions) -> Option<Env> {
        let client = common::client().await?;
        common::apply_crds(&client).await;
        let ns = TestNamespace::new(&client).await;
        sim_config.client_id = CLIENT_ID.into();
        sim_config.client_secret = CLIENT_SECRET.into();
        if through_v1() && sim_config.first_key == FIRST_KEY {
            // v1 sends keys as int64 numbers: the v1 world's keys fit, above 2^53.
            sim_config.first_key = V1_FIRST_KEY;
        }
        let sim = Simulator::start(sim_config)
            .await
            .expect("simulator starts");
        let mut env = Env {
            client,
            ns,
            sim,
            operator: None,
            options,
        };
        env.create_secret("goto-oauth", CLIENT_SECRET).await;
        env.apply_account(ACCOUNT, json!({})).await;
        env.start_operator().await;
        env.wait_account(ACCOUNT, "True", "Authenticated").await;
        Some(env)
    }

    pub fn namespace(&self) -> &str {
        self.ns.name()
    }

    /// (Re)starts the operator process.
    pub async fn start_operator(&mut self) {
        self.operator = Some(operator::start(self.namespace(), &self.options));
    }

    /// Kills the operator at once (SIGKILL), as a crash would.
    pub async fn kill_operator(&mut self) -> String {
        let op = self.operator.take().expect("operator running");
        let logs = op.log();
        drop(op); // SIGKILL, then reaped
        logs
    }

    pub fn logs(&self) -> String {
        self.operator
            .as_ref()
            .map(operator::Operator::log)
            .unwrap_or_default()
    }

    /// Server-side applies a namespaced Role + RoleBinding for the `operator` user.
    pub async fn grant_operator_user(&self, rules: Value) {
        use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        let role: Role = serde_json::from_value(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "goto-operator-test"}, "rules": rules,
        }))
        .expect("role");
        Api::<Role>::namespaced(self.client.clone(), self.namespace())
            .patch("goto-operator-test", &pp, &Patch::Apply(&role))
            .await
            .expect("apply role");
        let binding: RoleBinding = serde_json::from_value(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "goto-operator-test"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "goto-operator-test"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "operator"}],
        }))
        .expect("binding");
        Api::<RoleBinding>::namespaced(self.client.clone(), self.namespace())
            .patch("goto-operator-test", &pp, &Patch::Apply(&binding))
            .await
            .expect("apply binding");
    }

    pub fn organizers(&self) -> Api<GoToOrganizer> {
        Api::namespaced(self.client.clone(), self.namespace())
    }

    pub fn accounts(&self) -> Api<GoToAccount> {
        Api::namespaced(self.client.clone(), self.namespace())
    }

    pub async fn create_secret(&self, name: &str, client_secret: &str) {
        let secret: Secret = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name},
            "stringData": {"clientId": CLIENT_ID, "clientSecret": client_secret},
        }))
        .expect("secret");
        Api::<Secret>::namespaced(self.client.clone(), self.namespace())
            .patch(
                name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&secret),
            )
            .await
            .expect("apply secret");
    }

    /// Applies a GoToAccount pointing at the simulator; `overrides` are merged into its spec.
    pub async fn apply_account(&self, name: &str, overrides: Value) {
        let mut spec = json!({
            "accountKey": self.sim.account_key(),
            "credentialsSecretRef": {"name": "goto-oauth"},
            "api": dialect(),
            "apiBaseUrl": self.api_base_url(),
            "tokenUrl": self.sim.token_url(),
            "requestsPerSecond": 50,
        });
        merge(&mut spec, overrides);
        let obj = json!({
            "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount",
            "metadata": {"name": name}, "spec": spec,
        });
        self.accounts()
            .patch(
                name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&obj),
            )
            .await
            .expect("apply account");
    }

    /// The simulator's base URL in the suite's dialect.
    pub fn api_base_url(&self) -> String {
        if through_v1() {
            self.sim.v1_base_url()
        } else {
            self.sim.base_url()
        }
    }

    /// Waits until the account's `Ready` has `status` and `reason`; returns its message.
    pub async fn wait_account(&self, name: &str, status: &str, reason: &str) -> String {
        let deadline = tokio::time::Instant::now() + common::DEFAULT_TIMEOUT;
        loop {
            let found = self
                .accounts()
                .get_opt(name)
                .await
                .ok()
                .flatten()
                .and_then(|a| {
                    a.status?
                        .conditions
                        .into_iter()
                        .find(|c| c.type_ == READY && c.status == status && c.reason == reason)
                });
            if let Some(c) = found {
                return c.message;
            }
            if tokio::time::Instant::now() > deadline {
                let a = self.accounts().get_opt(name).await.ok().flatten();
                panic!(
                    "account {name}: Ready={status} ({reason}) not reached; status {:#?}\noperator logs:\n{}",
                    a.and_then(|a| a.status),
                    tail(&self.logs(), 60)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Server-side applies a GoToOrganizer; `spec` is merged over a valid default spec.
    pub async fn apply_organizer(
        &self,
        name: &str,
        spec: Value,
    ) -> Result<GoToOrganizer, kube::Error> {
        self.apply_organizer_with(name, spec, json!({})).await
    }

    pub async fn apply_organizer_with(
        &self,
        name: &str,
        spec: Value,
        annotations: Value,
    ) -> Result<GoToOrganizer, kube::Error> {
        let mut full = json!({
            "accountRef": {"name": ACCOUNT},
            "email": format!("{name}@example.com"),
            "firstName": "Test",
            "lastName": "Person",
        });
        merge(&mut full, spec);
        let obj = json!({
            "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
            "metadata": {"name": name, "annotations": annotations}, "spec": full,
        });
        self.organizers()
            .patch(
                name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&obj),
            )
            .await
    }

    /// Merge-patches an organizer's metadata/spec (e.g. `{"spec":{"suspended":true}}`).
    pub async fn patch_organizer(&self, name: &str, patch: Value) {
        self.organizers()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("patch organizer");
    }

    pub async fn delete_organizer(&self, name: &str) {
        self.organizers()
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete organizer");
    }

    pub async fn get(&self, name: &str) -> GoToOrganizer {
        self.organizers().get(name).await.expect("get organizer")
    }

    /// Waits until `Ready` has `status` and `reason`; returns the object.
    pub async fn wait_ready(&self, name: &str, status: &str, reason: &str) -> GoToOrganizer {
        self.wait_condition(name, READY, status, reason).await
    }

    pub async fn wait_synced(&self, name: &str, status: &str, reason: &str) -> GoToOrganizer {
        self.wait_condition(name, SYNCED, status, reason).await
    }

    pub async fn wait_condition(
        &self,
        name: &str,
        type_: &str,
        status: &str,
        reason: &str,
    ) -> GoToOrganizer {
        self.wait_for(name, &format!("{type_}={status} ({reason})"), |o| {
            condition(o, type_).is_some_and(|(s, r, _)| s == status && r == reason)
        })
        .await
    }

    /// Waits until `check` holds for the organizer, with the operator's logs in the panic.
    pub async fn wait_for(
        &self,
        name: &str,
        what: &str,
        check: impl Fn(&GoToOrganizer) -> bool,
    ) -> GoToOrganizer {
        self.wait_for_within(name, what, common::DEFAULT_TIMEOUT, check)
            .await
    }

    /// [`Env::wait_for`] with its own time limit.
    pub async fn wait_for_within(
        &self,
        name: &str,
        what: &str,
        limit: Duration,
        check: impl Fn(&GoToOrganizer) -> bool,
    ) -> GoToOrganizer {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Ok(Some(o)) = self.organizers().get_opt(name).await
                && check(&o)
            {
                return o;
            }
            if tokio::time::Instant::now() > deadline {
                let o = self.organizers().get_opt(name).await.ok().flatten();
                panic!(
                    "{name}: {what} not reached in {limit:?}\nobject status: {:#?}\noperator logs:\n{}",
                    o.and_then(|o| o.status),
                    tail(&self.logs(), 60)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Fails unless `name` is `Ready=True` within `limit` of `since`; how long it took.
    pub async fn ready_within(
        &self,
        name: &str,
        since: tokio::time::Instant,
        limit: Duration,
    ) -> Duration {
        let left = limit.saturating_sub(since.elapsed());
        self.wait_for_within(name, "Ready=True", left, |o| {
            condition(o, READY).is_some_and(|(status, _, _)| status == "True")
        })
        .await;
        since.elapsed()
    }

    /// Waits until the organizer object is gone (its finalizer released).
    pub async fn wait_gone(&self, name: &str) {
        let deadline = tokio::time::Instant::now() + common::DEFAULT_TIMEOUT;
        while self
            .organizers()
            .get_opt(name)
            .await
            .expect("get")
            .is_some()
        {
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{name} was not removed\noperator logs:\n{}",
                    tail(&self.logs(), 60)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Reasons of the Events recorded for an object, oldest first.
    pub async fn event_reasons(&self, kind: &str, name: &str) -> Vec<String> {
        self.events(kind, name)
            .await
            .into_iter()
            .map(|(r, _)| r)
            .collect()
    }

    /// (reason, note) of the Events recorded for an object.
    pub async fn events(&self, kind: &str, name: &str) -> Vec<(String, String)> {
        let api: Api<Event> = Api::namespaced(self.client.clone(), self.namespace());
        let mut events: Vec<Event> = api
            .list(&ListParams::default())
            .await
            .expect("list events")
            .items
            .into_iter()
            .filter(|e| {
                e.regarding.as_ref().is_some_and(|r| {
                    r.kind.as_deref() == Some(kind) && r.name.as_deref() == Some(name)
                })
            })
            .collect();
        events.sort_by_key(|e| {
            e.event_time
                .as_ref()
                .map(|t| t.0)
                .or(e.deprecated_first_timestamp.as_ref().map(|t| t.0))
        });
        events
            .into_iter()
            .map(|e| (e.reason.unwrap_or_default(), e.note.unwrap_or_default()))
            .collect()
    }

    /// Waits until an Event with `reason` exists for the object.
    pub async fn wait_event(&self, kind: &str, name: &str, reason: &str) -> String {
        self.wait_event_with(kind, name, reason, "").await
    }

    /// Waits until an Event with `reason` whose note contains `text` exists for the object.
    pub async fn wait_event_with(
        &self,
        kind: &str,
        name: &str,
        reason: &str,
        text: &str,
    ) -> String {
        let deadline = tokio::time::Instant::now() + common::DEFAULT_TIMEOUT;
        loop {
            if let Some((_, note)) = self
                .events(kind, name)
                .await
                .into_iter()
                .find(|(r, n)| r == reason && n.contains(text))
            {
                return note;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "no {reason} event for {kind} {name}; events: {:?}\noperator logs:\n{}",
                    self.events(kind, name).await,
                    tail(&self.logs(), 60)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every Event of the namespace, as text (for leak checks).
    pub async fn all_events_text(&self) -> String {
        let api: Api<Event> = Api::namespaced(self.client.clone(), self.namespace());
        let list = api.list(&ListParams::default()).await.expect("events");
        serde_json::to_string(&list.items).expect("json")
    }

    /// Non-GET API requests the simulator received (writes to GoTo), as "METHOD path".
    pub fn goto_writes(&self) -> Vec<String> {
        self.sim
            .writes()
            .into_iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    pub async fn finish(mut self) {
        drop(self.operator.take());
        self.sim.shutdown();
        self.ns.cleanup().await;
    }
}

/// (status, reason, message) of a condition.
pub fn condition(o: &GoToOrganizer, type_: &str) -> Option<(String, String, String)> {
    o.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

pub fn organizer_key(o: &GoToOrganizer) -> String {
    o.status
        .as_ref()
        .and_then(|s| s.organizer_key.clone())
        .unwrap_or_else(|| panic!("{} has no organizerKey in status", o.name_any()))
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    merge(b.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Starts the operator binary (tests/operator) watching only the test namespace.
pub mod operator {
    use super::{OperatorOptions, common};
    pub use crate::operator::Operator;

    /// With the admin kubeconfig and no leader election.
    pub fn start(namespace: &str, options: &OperatorOptions) -> Operator {
        spawn(
            common::KUBECONFIG_ENV,
            namespace,
            options,
            &["--leader-election", "false"],
        )
    }

    /// Authenticated as the plain `operator` user: it has only the rights RBAC grants it.
    pub fn start_as_operator_user(namespace: &str) -> Operator {
        let options = OperatorOptions::default();
        spawn(
            common::OPERATOR_KUBECONFIG_ENV,
            namespace,
            &options,
            &["--leader-election", "false"],
        )
    }

    /// A replica with leader election on, its Lease in the test namespace.
    pub fn start_elected(namespace: &str, identity: &str) -> Operator {
        start_elected_with(namespace, identity, &[])
    }

    /// [`start_elected`] with more flags (e.g. `--pod-name`, `--webhook-bind`).
    pub fn start_elected_with(namespace: &str, identity: &str, extra: &[&str]) -> Operator {
        let args = [
            "--leader-election",
            "true",
            "--lease-namespace",
            namespace,
            "--identity",
            identity,
        ];
        spawn(
            common::KUBECONFIG_ENV,
            namespace,
            &OperatorOptions::default(),
            &[&args[..], extra].concat(),
        )
    }

    /// Like [`start_elected`], reaching the apiserver through `kubeconfig` (e.g. a proxy's).
    pub fn start_elected_via(
        kubeconfig: &std::path::Path,
        namespace: &str,
        identity: &str,
    ) -> Operator {
        let kubeconfig = kubeconfig.to_str().expect("kubeconfig path is UTF-8");
        let args = [
            "--leader-election",
            "true",
            "--lease-namespace",
            namespace,
            "--identity",
            identity,
        ];
        Operator::start(kubeconfig, namespace, &args)
    }

    fn spawn(
        kubeconfig_env: &str,
        namespace: &str,
        options: &OperatorOptions,
        extra: &[&str],
    ) -> Operator {
        let kubeconfig = common::required_env(kubeconfig_env).expect("kubeconfig");
        let kubeconfig = kubeconfig.to_str().expect("kubeconfig path is UTF-8");
        let timing = [
            "--resync-seconds".to_string(),
            options.resync_seconds.to_string(),
            "--reaudit-seconds".to_string(),
            options.reaudit_seconds.to_string(),
            "--slow-requeue-seconds".to_string(),
            options.slow_requeue_seconds.to_string(),
        ];
        let args: Vec<&str> = timing
            .iter()
            .chain(&options.extra_args)
            .map(String::as_str)
            .chain(extra.iter().copied())
            .collect();
        Operator::start(kubeconfig, namespace, &args)
    }
}
