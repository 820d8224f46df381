//! `make bench`: how fast the operator converges, what it costs in GoTo calls, and how much
//! memory it takes, against the real kube-apiserver (from `hack/envtest.sh`) and the in-process
//! GoTo simulator. Also times the pure diff. Prints a Markdown report on stdout.
//!
//! Knobs: BENCH_ORGANIZERS (default 200), BENCH_RESYNC_SECONDS (default 5).
#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use goto_operator::controller::organizer::diff::{self, Seat};
use goto_operator::crd::{GoToOrganizer, GoToOrganizerSpec};
use goto_operator::goto::{Organizer, OrganizerKey, OrganizerStatus};
use goto_operator::simulator::{SimConfig, Simulator};
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::json;

const PM: &str = "bench";

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: only `cargo bench`
    // (and so `make bench`) measures.
    if !std::env::args().any(|a| a == "--bench") {
        println!("convergence: a benchmark; run it with `make bench`");
        return;
    }
    let n: usize = env_or("BENCH_ORGANIZERS", 200);
    let resync: u64 = env_or("BENCH_RESYNC_SECONDS", 5);
    let Some(client) = common::client().await else {
        eprintln!("bench: no control plane (run through `make bench`)");
        std::process::exit(1);
    };
    common::apply_crds(&client).await;
    let ns = common::TestNamespace::new(&client).await;
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let pp = PatchParams::apply(PM).force();
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(client.clone(), ns.name());
    let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "goto"},
        "stringData": {"clientId": "demo-client", "clientSecret": "demo-secret"}}),
    )
    .expect("secret");
    secrets
        .patch("goto", &pp, &Patch::Apply(&secret))
        .await
        .expect("secret");
    let accounts: Api<goto_operator::crd::GoToAccount> = Api::namespaced(client.clone(), ns.name());
    let account = json!({"apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount", "metadata": {"name": "acme"},
        "spec": {"accountKey": sim.account_key(), "credentialsSecretRef": {"name": "goto"}, "apiBaseUrl": sim.base_url(),
                 "tokenUrl": sim.token_url(), "requestsPerSecond": 200}});
    accounts
        .patch("acme", &pp, &Patch::Apply(&account))
        .await
        .expect("account");

    let kubeconfig = common::required_env(common::KUBECONFIG_ENV).expect("kubeconfig");
    let mut operator = tokio::process::Command::new(env!("CARGO_BIN_EXE_goto-operator"))
        .args([
            "run",
            "--namespace",
            ns.name(),
            "--leader-election",
            "false",
            "--metrics-bind",
            "127.0.0.1:0",
            "--resync-seconds",
            &resync.to_string(),
            "--concurrency",
            "8",
        ])
        .env("KUBECONFIG", kubeconfig)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("operator");
    let pid = operator.id().expect("pid");

    // 1. Convergence: N new hires, each created and given a time zone (create + full PUT).
    let organizers: Api<GoToOrganizer> = Api::namespaced(client.clone(), ns.name());
    let started = Instant::now();
    for i in 0..n {
        let name = format!("hire-{i:04}");
        let obj = json!({"apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer", "metadata": {"name": name},
            "spec": {"accountRef": {"name": "acme"}, "email": format!("{name}@example.com"), "firstName": "Bench",
                     "lastName": format!("User {i}"), "timeZone": "Europe/Paris"}});
        organizers
            .patch(&name, &pp, &Patch::Apply(&obj))
            .await
            .expect("apply organizer");
    }
    let applied = started.elapsed();
    wait_all_ready(&organizers, n, Duration::from_secs(600)).await;
    let converged = started.elapsed();
    let mut by_op: BTreeMap<String, usize> = BTreeMap::new();
    for r in sim.requests() {
        *by_op.entry(operation(&r.method, &r.path)).or_default() += 1;
    }
    let total: usize = by_op
        .iter()
        .filter(|(k, _)| *k != "token")
        .map(|(_, v)| v)
        .sum();

    // 2. Steady state: GoTo calls per organizer per resync period.
    sim.clear_requests();
    let periods = 3;
    tokio::time::sleep(Duration::from_secs(resync * periods)).await;
    let steady = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/G2M"))
        .count();
    let writes = sim.writes().len();
    let per_org_per_resync = steady as f64 / n as f64 / periods as f64;

    // 3. Memory of the operator process.
    let (hwm, rss) = memory_kib(pid);
    let _ = operator.kill().await;

    // 4. The pure diff.
    let ns_per_decide = time_decide();

    println!("| measure | value |");
    println!("|---|---|");
    println!("| organizers | {n} |");
    println!(
        "| apply {n} manifests (server-side apply, sequential) | {:.1} s |",
        applied.as_secs_f64()
    );
    println!(
        "| all Ready (from first apply) | {:.1} s |",
        converged.as_secs_f64()
    );
    println!(
        "| convergence rate | {:.1} organizers/s |",
        n as f64 / converged.as_secs_f64()
    );
    println!(
        "| GoTo API calls to converge, per organizer | {:.2} |",
        total as f64 / n as f64
    );
    for (op, count) in &by_op {
        println!("| &nbsp;&nbsp;{op} | {count} |");
    }
    println!(
        "| steady state: GoTo calls per organizer per resync ({resync} s x {periods}) | {per_org_per_resync:.2} |"
    );
    println!("| steady state: GoTo writes | {writes} |");
    println!(
        "| operator peak RSS (VmHWM) | {:.1} MiB |",
        hwm as f64 / 1024.0
    );
    println!(
        "| operator RSS after the run | {:.1} MiB |",
        rss as f64 / 1024.0
    );
    println!("| diff::changes | {ns_per_decide:.0} ns/op |");
    sim.shutdown();
    ns.cleanup().await;
    if writes != 0 || per_org_per_resync > 1.5 {
        eprintln!(
            "bench: steady state is not quiet ({writes} writes, {per_org_per_resync:.2} calls/organizer/resync)"
        );
        std::process::exit(1);
    }
}

async fn wait_all_ready(api: &Api<GoToOrganizer>, n: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let list = api.list(&ListParams::default()).await.expect("list");
        let ready = list
            .items
            .iter()
            .filter(|o| {
                o.status.as_ref().is_some_and(|s| {
                    s.conditions
                        .iter()
                        .any(|c| c.type_ == "Ready" && c.status == "True")
                })
            })
            .count();
        if ready == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {ready}/{n} Ready after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn operation(method: &str, path: &str) -> String {
    let op = match (method, path) {
        (_, "/oauth/token") => "token",
        ("GET", p) if p.ends_with("/organizers") => "list organizers (email lookup)",
        ("POST", _) => "create organizer",
        ("PUT", _) => "update organizer (full PUT)",
        ("GET", p) if p.contains("/organizers/") => "get organizer",
        _ => "other",
    };
    op.to_string()
}

fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn time_decide() -> f64 {
    let spec: GoToOrganizerSpec = serde_json::from_value(json!({"accountRef": {"name": "acme"}, "email": "a@example.com",
        "firstName": "A", "lastName": "B", "locale": "en_US", "timeZone": "Europe/Paris", "adminRoles": ["X", "Y"]}))
    .expect("spec");
    let observed = Organizer {
        organizer_key: OrganizerKey::new("18446744073709551617"),
        account_key: None,
        email: "A@example.com".into(),
        first_name: "A".into(),
        last_name: "C".into(),
        status: Some(OrganizerStatus::Active),
        locale: Some("en_US".into()),
        time_zone: Some("UTC".into()),
        max_participants: Some(250),
        admin_roles: vec!["Y".into(), "X".into()],
        extra: Default::default(),
    };
    let iterations = 200_000;
    let started = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(diff::changes(
            std::hint::black_box(&spec),
            std::hint::black_box(&observed),
            Seat::Active,
        ));
    }
    started.elapsed().as_nanos() as f64 / f64::from(iterations)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
