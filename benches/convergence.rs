//! `make bench`: fleet scale at GoTo's published rate limit, against the real kube-apiserver
//! (from `hack/envtest.sh`) and the in-process GoTo simulator. Prints a Markdown report.
//!
//! 1. **Onboard**: N new hires (with a time zone: create + one full PUT each) under a simulator
//!    limited to 10 requests per second (sliding one-second window, Retry-After violations
//!    counted), the account at its default `requestsPerSecond` (10).
//! 2. **Import**: N organizers that exist in GoTo from the start, applied as GoToOrganizers with
//!    the same emails and names (one GET each to read the full organizer), same limit.
//! 3. **Steady state**: S organizers (imported against an unlimited simulator, the account at
//!    1000/s so the setup is quick), then nothing changes for a few resync periods: GoTo calls
//!    and Kubernetes writes per organizer per resync, operator RSS and idle CPU; then the account
//!    back at GoTo's 10/s for one more period: drift reads a second and idle CPU as in production.
//!
//! 4. **Budget fairness** (`convergence/fairness.rs`): F Ready organizers at a 30 s resync under
//!    the 10/s limit, where drift reads would need more than the rate: the stretched period,
//!    drift reads a second, 429s, and how fast new hires applied meanwhile are Ready.
//!
//! Each phase reports elapsed time against the rate-bound minimum (minimum calls / rate).
//!
//! Knobs: BENCH_API (`v2`, default, or `v1`: the account speaks GoTo Meeting REST v1, whose
//! creates carry no time zone (reported, not sent) and whose whole account is one listing),
//! BENCH_ORGANIZERS (N, default 1000), BENCH_STEADY_ORGANIZERS (S, default 5000),
//! BENCH_RESYNC_SECONDS (steady-state resync period, default 60), BENCH_PERIODS (default 3),
//! BENCH_PHASES (`all`, default, `steady` for phase 3 alone, `fairness` for phase 4 alone),
//! BENCH_FAIR_ORGANIZERS (F, default 1000), BENCH_FAIR_HIRES (default 40), BENCH_OPERATOR_WRAPPER (a command
//! the operator runs under, e.g. `heaptrack -o /tmp/op`, for profiling: the memory and CPU figures
//! are then the wrapper's, not the operator's).
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "convergence/fairness.rs"]
mod fairness;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use goto_operator::crd::{GoToAccount, GoToOrganizer};
use goto_operator::simulator::{
    FIRST_KEY, RecordedRequest, SeedOrganizer, SimConfig, SimHandle, Simulator, V1_FIRST_KEY,
};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ListParams, Patch, PatchParams};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use serde_json::json;

const PM: &str = "bench";
/// GoTo's published default limit, and the account's default `requestsPerSecond`.
const RATE: f64 = 10.0;
/// The operator's `--concurrency`: reconciles in flight at once.
const CONCURRENCY: u64 = 8;

/// Whether the account speaks GoTo Meeting REST v1 (`BENCH_API=v1`).
fn through_v1() -> bool {
    std::env::var("BENCH_API").is_ok_and(|api| api == "v1")
}

/// The simulator's first key: v1 carries keys as int64 numbers.
fn first_key() -> u128 {
    if through_v1() {
        V1_FIRST_KEY
    } else {
        FIRST_KEY
    }
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: only `cargo bench`
    // (and so `make bench`) measures.
    if !std::env::args().any(|a| a == "--bench") {
        println!("convergence: a benchmark; run it with `make bench`");
        return;
    }
    // reqwest (scraping /metrics) is built without a default crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n: usize = env_or("BENCH_ORGANIZERS", 1000);
    let steady_n: usize = env_or("BENCH_STEADY_ORGANIZERS", 5000);
    let resync: u64 = env_or("BENCH_RESYNC_SECONDS", 60);
    let periods: u64 = env_or("BENCH_PERIODS", 3);
    let phases = std::env::var("BENCH_PHASES").unwrap_or_else(|_| "all".into());
    let fair_n: usize = env_or("BENCH_FAIR_ORGANIZERS", 1000);
    let fair_hires: usize = env_or("BENCH_FAIR_HIRES", 40);
    let Some(client) = common::client().await else {
        eprintln!("bench: no control plane (run through `make bench`)");
        std::process::exit(1);
    };
    common::apply_crds(&client).await;

    let mut failures = Vec::new();
    if phases == "all" {
        failures.extend(rate_bound_phases(&client, n).await);
    }
    if phases == "all" || phases == "fairness" {
        failures.extend(fairness::fairness(&client, fair_n, fair_hires).await);
    }
    if phases == "all" || phases == "steady" {
        failures.extend(steady_phase(&client, steady_n, resync, periods).await);
    }
    println!();
    if failures.is_empty() {
        println!("Every goal met.");
    } else {
        println!("Goals not met:");
        for failure in &failures {
            println!("- {failure}");
        }
    }
}

/// Phase 3: steady state; prints its table and returns the goals it missed.
async fn steady_phase(client: &Client, steady_n: usize, resync: u64, periods: u64) -> Vec<String> {
    let mut failures = Vec::new();
    let steady = steady_state(client, steady_n, resync, periods).await;
    println!();
    println!("| steady state | value |");
    println!("|---|---|");
    println!("| organizers | {steady_n} |");
    println!(
        "| setup: all Ready (import at 1000 requests/s, unlimited simulator) | {:.0} s |",
        steady.setup.as_secs_f64()
    );
    println!(
        "| GoTo calls per organizer per resync ({resync} s x {periods}) | {:.2} |",
        steady.calls_per_resync
    );
    println!(
        "| GoTo calls per organizer reconcile (each organizer is read at its place in the period) | {:.2} |",
        steady.calls_per_reconcile()
    );
    println!("| &nbsp;&nbsp;of which writes | {} |", steady.goto_writes);
    println!(
        "| Kubernetes writes per organizer per resync (GoToOrganizer/GoToAccount updates) | {:.3} |",
        steady.k8s_writes_per_resync
    );
    println!("| operator RSS | {:.1} MiB |", steady.rss_mib);
    println!("| operator peak RSS (VmHWM) | {:.1} MiB |", steady.hwm_mib);
    println!(
        "| operator CPU while idle (steady state) | {:.1}% of one core |",
        steady.cpu_percent
    );
    let idle = &steady.at_goto_rate;
    println!(
        "| the account back at GoTo's 10 requests/s: drift reads a second | {:.2} |",
        idle.calls_per_second
    );
    println!(
        "| &nbsp;&nbsp;operator CPU (idle, as in production) | {:.1}% of one core |",
        idle.cpu_percent
    );
    println!("| &nbsp;&nbsp;operator RSS | {:.1} MiB |", idle.rss_mib);
    // A reconcile still running when the window closes can have its GET counted but not itself:
    // up to `--concurrency` of them (the start is counted so that it cannot: see
    // `steady_state`); beyond twice that, a reconcile made more than one call.
    if steady.calls > steady.reconciles + 2 * CONCURRENCY {
        failures.push(format!(
            "steady state: {} GoTo calls for {} organizer reconciles ({:.3} each; goal: at most 1.0)",
            steady.calls,
            steady.reconciles,
            steady.calls_per_reconcile()
        ));
    }
    if steady.k8s_writes_per_resync > 0.0 {
        failures.push(format!(
            "steady state: {:.3} Kubernetes writes per organizer per resync (goal: 0)",
            steady.k8s_writes_per_resync
        ));
    }
    if idle.cpu_percent >= 10.0 {
        failures.push(format!(
            "steady state at GoTo's rate: idle CPU {:.1}% of one core (goal: under 10%)",
            idle.cpu_percent
        ));
    }
    if idle.calls_per_second > RATE / 2.0 {
        failures.push(format!(
            "steady state at GoTo's rate: {:.2} drift reads a second (goal: at most half the rate)",
            idle.calls_per_second
        ));
    }
    // Issue 22: 96 MiB at 20,000 organizers; 64 MiB up to 5,000.
    let rss_goal = if steady_n <= 5000 { 64.0 } else { 96.0 };
    if steady.hwm_mib > rss_goal {
        failures.push(format!(
            "steady state: peak RSS {:.1} MiB (goal: at most {rss_goal} MiB)",
            steady.hwm_mib
        ));
    }
    failures
}

/// Phases 1 and 2: they share one account, one simulator (limited to 10/s) and one operator.
async fn rate_bound_phases(client: &Client, n: usize) -> Vec<String> {
    let mut failures = Vec::new();
    println!(
        "| phase | organizers | elapsed | rate-bound minimum | ratio | GoTo calls / organizer (needed) | 429s | Retry-After violations | duplicates | operator peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let sim = Simulator::start(SimConfig {
        rate_limit: Some(RATE),
        first_key: first_key(),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    // The seats phase 2 imports exist in GoTo from the start, as existing seats do.
    for i in 0..n {
        let email = format!("seat-{i:05}@example.com");
        sim.insert_organizer(SeedOrganizer::new(&email, "Bench", &format!("Seat {i}")));
    }
    let ns = common::TestNamespace::new(client).await;
    setup_account(client, ns.name(), &sim, None).await;
    let operator = Operator::start(ns.name(), 600);
    wait_account_ready(client, ns.name()).await;

    sim.clear_requests();
    let onboard = run_phase(client, ns.name(), &sim, &operator, "hire", n, true).await;
    if through_v1() {
        // v1 cannot set a time zone: the create is the one call (the zone is reported).
        onboard.print(
            "onboard new hires through v1 (create; timeZone reported, not sent)",
            1.0,
        );
        failures.extend(onboard.failures(1.0));
    } else {
        onboard.print("onboard new hires (timeZone: create + full PUT)", 2.0);
        failures.extend(onboard.failures(2.0));
    }

    sim.clear_requests();
    let (limited_before, violations_before) =
        (sim.rate_limited_count(), sim.retry_after_violations());
    let mut import = run_phase(client, ns.name(), &sim, &operator, "seat", n, false).await;
    import.limited -= limited_before;
    import.violations -= violations_before;
    if through_v1() {
        // One listing of the whole account answers every adoption with the full record: the
        // phase is bound by Kubernetes, not by GoTo's rate (its "minimum" is one call).
        import.print(
            "import existing seats through v1 (one listing for all)",
            1.0 / n as f64,
        );
        if import.calls > 1 + (import.elapsed.as_secs() as usize / 60 + 1) * 2 {
            failures.push(format!(
                "import through v1: {} GoTo calls for {n} organizers (goal: one listing a minute)",
                import.calls
            ));
        }
    } else {
        import.print("import existing seats (one GET each)", 1.0);
        failures.extend(import.failures(1.0));
    }
    drop(operator);
    sim.shutdown();
    ns.cleanup().await;

    failures
}

/// What one onboarding or import phase measured.
struct Phase {
    n: usize,
    elapsed: Duration,
    by_op: BTreeMap<String, usize>,
    calls: usize,
    limited: u64,
    violations: u64,
    duplicates: usize,
    hwm_mib: f64,
}

impl Phase {
    fn minimum(&self, needed: f64) -> Duration {
        Duration::from_secs_f64(self.n as f64 * needed / RATE)
    }

    fn ratio(&self, needed: f64) -> f64 {
        self.elapsed.as_secs_f64() / self.minimum(needed).as_secs_f64()
    }

    fn print(&self, what: &str, needed: f64) {
        let per = self.calls as f64 / self.n as f64;
        let ops: Vec<String> = self
            .by_op
            .iter()
            .map(|(op, count)| format!("{op} {count}"))
            .collect();
        println!(
            "| {what} | {} | {:.1} s | {:.1} s | {:.3}x | {per:.3} ({needed}): {} | {} | {} | {} | {:.1} MiB |",
            self.n,
            self.elapsed.as_secs_f64(),
            self.minimum(needed).as_secs_f64(),
            self.ratio(needed),
            ops.join(", "),
            self.limited,
            self.violations,
            self.duplicates,
            self.hwm_mib
        );
    }

    fn failures(&self, needed: f64) -> Vec<String> {
        let mut out = Vec::new();
        if self.ratio(needed) > 1.10 {
            out.push(format!(
                "{} organizers took {:.3}x the rate-bound minimum (goal: at most 1.10x)",
                self.n,
                self.ratio(needed)
            ));
        }
        if self.violations > 0 {
            out.push(format!("{} Retry-After violations", self.violations));
        }
        if self.duplicates > 0 {
            out.push(format!("{} duplicate organizers", self.duplicates));
        }
        out
    }
}

/// Applies `n` organizers named `{prefix}-NNNNN` (emails to match) and waits until all are Ready.
async fn run_phase(
    client: &Client,
    ns: &str,
    sim: &SimHandle,
    operator: &Operator,
    prefix: &str,
    n: usize,
    time_zone: bool,
) -> Phase {
    let organizers: Api<GoToOrganizer> = Api::namespaced(client.clone(), ns);
    let pp = PatchParams::apply(PM).force();
    let started = Instant::now();
    for i in 0..n {
        let name = format!("{prefix}-{i:05}");
        let last_name = if time_zone {
            format!("User {i}")
        } else {
            format!("Seat {i}")
        };
        let mut spec = json!({"accountRef": {"name": "acme"}, "email": format!("{name}@example.com"),
            "firstName": "Bench", "lastName": last_name});
        if time_zone {
            spec["timeZone"] = json!("Europe/Paris");
        }
        let obj = json!({"apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
            "metadata": {"name": name}, "spec": spec});
        organizers
            .patch(&name, &pp, &Patch::Apply(&obj))
            .await
            .expect("apply organizer");
    }
    wait_all_ready(&organizers, prefix, n, Duration::from_secs(3600)).await;
    let elapsed = started.elapsed();
    let requests = sim.requests();
    let by_op = count_by_operation(&requests);
    let calls = goto_calls(&requests).count();
    Phase {
        n,
        elapsed,
        by_op,
        calls,
        limited: sim.rate_limited_count(),
        violations: sim.retry_after_violations(),
        duplicates: duplicates(sim),
        hwm_mib: operator.memory_mib().0,
    }
}

/// Organizers in GoTo beyond the first with the same (normalised) email.
fn duplicates(sim: &SimHandle) -> usize {
    let mut by_email: BTreeMap<String, usize> = BTreeMap::new();
    for o in sim.organizers() {
        *by_email.entry(o.email.trim().to_lowercase()).or_default() += 1;
    }
    by_email.values().map(|c| c - 1).sum()
}

struct Steady {
    setup: Duration,
    calls_per_resync: f64,
    calls: u64,
    reconciles: u64,
    goto_writes: usize,
    k8s_writes_per_resync: f64,
    rss_mib: f64,
    hwm_mib: f64,
    cpu_percent: f64,
    at_goto_rate: AtGoToRate,
}

/// The steady state once the account is back at GoTo's rate (see [`at_goto_rate`]).
struct AtGoToRate {
    cpu_percent: f64,
    calls_per_second: f64,
    rss_mib: f64,
}

impl Steady {
    fn calls_per_reconcile(&self) -> f64 {
        self.calls as f64 / self.reconciles.max(1) as f64
    }
}

/// A fresh namespace with `n` Ready organizers `{prefix}-NNNNN` that existed in GoTo from the
/// start, imported against an unlimited simulator with the account at 1000 requests/s (the
/// setup is not what a phase measures), and the operator that imported them at `resync`.
struct Imported {
    sim: SimHandle,
    ns: common::TestNamespace,
    operator: Operator,
    organizers: Api<GoToOrganizer>,
    /// From the first apply to all Ready.
    setup: Duration,
}

async fn imported(client: &Client, prefix: &str, n: usize, resync: u64) -> Imported {
    let sim = Simulator::start(SimConfig {
        first_key: first_key(),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    for i in 0..n {
        sim.insert_organizer(SeedOrganizer::new(
            &format!("{prefix}-{i:05}@example.com"),
            "Bench",
            &format!("Seat {i}"),
        ));
    }
    let ns = common::TestNamespace::new(client).await;
    setup_account(client, ns.name(), &sim, Some(1000)).await;
    let operator = Operator::start(ns.name(), resync);
    wait_account_ready(client, ns.name()).await;
    let organizers: Api<GoToOrganizer> = Api::namespaced(client.clone(), ns.name());
    let started = Instant::now();
    apply_all(&organizers, prefix, n, false).await;
    wait_all_ready(&organizers, prefix, n, Duration::from_secs(3600)).await;
    Imported {
        sim,
        ns,
        operator,
        organizers,
        setup: started.elapsed(),
    }
}

async fn steady_state(client: &Client, n: usize, resync: u64, periods: u64) -> Steady {
    let Imported {
        sim,
        ns,
        operator,
        setup,
        ..
    } = imported(client, "steady", n, resync).await;
    // Let the first round of resyncs after the import pass, then measure whole periods.
    tokio::time::sleep(Duration::from_secs(resync)).await;
    let writes = Arc::new(AtomicUsize::new(0));
    let counting = tokio::spawn(count_updates(
        client.clone(),
        ns.name().to_owned(),
        writes.clone(),
    ));
    // The watchers' initial lists are not writes: start counting once they are done.
    tokio::time::sleep(Duration::from_secs(3)).await;
    writes.store(0, Ordering::SeqCst);
    // Reconciles are counted inside the request log's window (counted before it opens, after it
    // closes), so that one straddling an edge can only have its reconcile counted, not its call
    // alone: at 333 reads a second, each scrape of /metrics takes several of them.
    let reconciles_before = operator.organizer_reconciles().await;
    sim.clear_requests();
    let cpu_percent = operator
        .cpu_percent_over(Duration::from_secs(resync * periods))
        .await;
    let requests = sim.requests();
    let reconciles = operator.organizer_reconciles().await - reconciles_before;
    counting.abort();
    let calls = goto_calls(&requests).count();
    let goto_writes = goto_calls(&requests).filter(|r| r.method != "GET").count();
    let (hwm_mib, rss_mib) = operator.memory_mib();
    let at_goto_rate = at_goto_rate(client, ns.name(), &sim, &operator, resync).await;
    drop(operator);
    sim.shutdown();
    ns.cleanup().await;
    Steady {
        setup,
        calls_per_resync: calls as f64 / n as f64 / periods as f64,
        calls: calls as u64,
        reconciles: reconciles as u64,
        goto_writes,
        k8s_writes_per_resync: writes.load(Ordering::SeqCst) as f64 / n as f64 / periods as f64,
        rss_mib,
        hwm_mib,
        cpu_percent,
        at_goto_rate,
    }
}

/// The same organizers with the account back at GoTo's 10 requests/s, as in production: the
/// drift lane may use 5 a second, so the period stretches and the operator mostly waits. After
/// one old period (the reads it had booked are deferred to the stretched one's slots), one more
/// period is measured.
async fn at_goto_rate(
    client: &Client,
    ns: &str,
    sim: &SimHandle,
    operator: &Operator,
    resync: u64,
) -> AtGoToRate {
    setup_account(client, ns, sim, Some(RATE as u32)).await;
    tokio::time::sleep(Duration::from_secs(resync + 10)).await;
    sim.clear_requests();
    let window = Duration::from_secs(resync);
    let cpu_percent = operator.cpu_percent_over(window).await;
    let calls = goto_calls(&sim.requests()).count();
    AtGoToRate {
        cpu_percent,
        calls_per_second: calls as f64 / window.as_secs_f64(),
        rss_mib: operator.memory_mib().1,
    }
}

/// The requests that were GoTo API calls (not the token endpoint or the simulator's controls).
fn goto_calls(requests: &[RecordedRequest]) -> impl Iterator<Item = &RecordedRequest> {
    requests.iter().filter(|r| r.path.starts_with("/G2M/"))
}

/// Applies `n` organizers named `{prefix}-NNNNN` (emails to match), eight at a time: how they
/// are applied is not what a phase measures. `time_zone`: each asks for one (a full PUT).
async fn apply_all(organizers: &Api<GoToOrganizer>, prefix: &str, n: usize, time_zone: bool) {
    let pp = PatchParams::apply(PM).force();
    futures::stream::iter(0..n)
        .for_each_concurrent(8, |i| {
            let pp = &pp;
            async move {
                let name = format!("{prefix}-{i:05}");
                let mut spec = json!({"accountRef": {"name": "acme"},
                    "email": format!("{name}@example.com"),
                    "firstName": "Bench", "lastName": format!("Seat {i}")});
                if time_zone {
                    spec["timeZone"] = json!("Europe/Paris");
                }
                let obj = json!({"apiVersion": "goto-operator.dev/v1alpha1",
                    "kind": "GoToOrganizer", "metadata": {"name": name}, "spec": spec});
                organizers
                    .patch(&name, pp, &Patch::Apply(&obj))
                    .await
                    .expect("apply organizer");
            }
        })
        .await;
}

/// Counts updates (watch events after the initial list) to GoToOrganizers and GoToAccounts.
async fn count_updates(client: Client, ns: String, writes: Arc<AtomicUsize>) {
    let organizers = watcher::watcher(
        Api::<GoToOrganizer>::namespaced(client.clone(), &ns),
        watcher::Config::default(),
    )
    .map(|e| matches!(e, Ok(Event::Apply(_) | Event::Delete(_))))
    .boxed();
    let accounts = watcher::watcher(
        Api::<GoToAccount>::namespaced(client, &ns),
        watcher::Config::default(),
    )
    .map(|e| matches!(e, Ok(Event::Apply(_) | Event::Delete(_))))
    .boxed();
    let mut all = futures::stream::select(organizers, accounts);
    while let Some(update) = all.next().await {
        if update {
            writes.fetch_add(1, Ordering::SeqCst);
        }
    }
}

async fn setup_account(client: &Client, ns: &str, sim: &SimHandle, rate: Option<u32>) {
    let pp = PatchParams::apply(PM).force();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    let secret: Secret = serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "goto"},
        "stringData": {"clientId": "demo-client", "clientSecret": "demo-secret"}}),
    )
    .expect("secret");
    secrets
        .patch("goto", &pp, &Patch::Apply(&secret))
        .await
        .expect("secret");
    let accounts: Api<GoToAccount> = Api::namespaced(client.clone(), ns);
    let (api, base) = if through_v1() {
        ("v1", sim.v1_base_url())
    } else {
        ("v2", sim.base_url())
    };
    let mut spec = json!({"accountKey": sim.account_key(), "credentialsSecretRef": {"name": "goto"},
        "api": api, "apiBaseUrl": base, "tokenUrl": sim.token_url()});
    if let Some(rate) = rate {
        spec["requestsPerSecond"] = json!(rate);
    }
    let account = json!({"apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount",
        "metadata": {"name": "acme"}, "spec": spec});
    accounts
        .patch("acme", &pp, &Patch::Apply(&account))
        .await
        .expect("account");
}

async fn wait_account_ready(client: &Client, ns: &str) {
    let accounts: Api<GoToAccount> = Api::namespaced(client.clone(), ns);
    for _ in 0..300 {
        let ready = accounts
            .get_opt("acme")
            .await
            .ok()
            .flatten()
            .is_some_and(|a| {
                a.status.is_some_and(|s| {
                    s.conditions
                        .iter()
                        .any(|c| c.type_ == "Ready" && c.status == "True")
                })
            });
        if ready {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the account did not become Ready");
}

async fn wait_all_ready(api: &Api<GoToOrganizer>, prefix: &str, n: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let list = api.list(&ListParams::default()).await.expect("list");
        let ready = list
            .items
            .iter()
            .filter(|o| {
                o.metadata
                    .name
                    .as_deref()
                    .is_some_and(|m| m.starts_with(prefix))
            })
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
        // Listing thousands of objects is not free for the apiserver: poll gently.
        tokio::time::sleep(Duration::from_millis(if n > 1000 { 2000 } else { 500 })).await;
    }
}

fn count_by_operation(requests: &[RecordedRequest]) -> BTreeMap<String, usize> {
    let mut by_op = BTreeMap::new();
    for r in goto_calls(requests) {
        let op = match (r.method.as_str(), r.path.as_str()) {
            ("GET", p) if p.ends_with("/organizers") => "list",
            ("POST", _) => "create",
            ("PUT", _) => "PUT",
            ("GET", p) if p.contains("/organizers/") => "GET",
            _ => "other",
        };
        let op = if r.status == 429 {
            format!("{op} (429)")
        } else {
            op.to_string()
        };
        *by_op.entry(op).or_default() += 1;
    }
    by_op
}

/// The operator (release build) as a child process watching one namespace.
struct Operator {
    child: tokio::process::Child,
    pid: u32,
    metrics_port: u16,
}

impl Operator {
    fn start(ns: &str, resync: u64) -> Self {
        let kubeconfig = common::required_env(common::KUBECONFIG_ENV).expect("kubeconfig");
        let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let metrics_bind = format!("127.0.0.1:{metrics_port}");
        let operator = env!("CARGO_BIN_EXE_goto-operator");
        let wrapper = std::env::var("BENCH_OPERATOR_WRAPPER").unwrap_or_default();
        let mut command = wrapper.split_whitespace().chain([operator]);
        let program = command.next().unwrap_or(operator);
        let child = tokio::process::Command::new(program)
            .args(command)
            .args([
                "run",
                "--namespace",
                ns,
                "--leader-election",
                "false",
                "--metrics-bind",
                &metrics_bind,
                "--resync-seconds",
                &resync.to_string(),
                "--concurrency",
                &CONCURRENCY.to_string(),
            ])
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("operator");
        let pid = child.id().expect("pid");
        Operator {
            child,
            pid,
            metrics_port,
        }
    }

    /// `goto_operator_reconciliations_total{controller="organizer"}`, all results.
    async fn organizer_reconciles(&self) -> f64 {
        let url = format!("http://127.0.0.1:{}/metrics", self.metrics_port);
        let text = match reqwest::get(&url).await {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        text.lines()
            .filter(|l| {
                l.starts_with("goto_operator_reconciliations_total{")
                    && l.contains("controller=\"organizer\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// (peak RSS, RSS) in MiB.
    fn memory_mib(&self) -> (f64, f64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let field = |name: &str| -> f64 {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0)
                / 1024.0
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    /// The operator's CPU time while `window` passes, as a percentage of one core.
    async fn cpu_percent_over(&self, window: Duration) -> f64 {
        let before = self.cpu_ticks();
        tokio::time::sleep(window).await;
        let ticks = self.cpu_ticks() - before;
        let ticks_per_second = 100.0; // USER_HZ on Linux
        ticks as f64 / ticks_per_second / window.as_secs_f64() * 100.0
    }

    /// User + system CPU time in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let at = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // utime and stime are fields 14 and 15 of /proc/pid/stat; the first after the `)` is field 3.
        at(11) + at(12)
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
