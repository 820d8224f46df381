//! Phase 4, budget fairness (issue 22): F Ready organizers at a 30 s resync against GoTo's 10
//! requests a second, where v2 drift reads alone would need F / 30 a second (33 at 1,000). The
//! account's drift period stretches (`status.effectiveResyncSeconds`), drift reads stay within
//! half the rate, there are no 429s, and new hires applied meanwhile are Ready within 1.5x their
//! rate-bound minimum at the half of the rate drift reads leave them. Then the operator restarts:
//! no second carries more drift reads than the lane lets out, and a new hire applied 5 s after
//! the restart is Ready within 10 s.
use std::collections::HashSet;

use super::*;

/// The resync period this phase asks for.
const RESYNC: u64 = 30;
/// How long the background reads are counted.
const WINDOW: Duration = Duration::from_secs(60);
/// When, into the window, the new hires are applied.
const HIRES_AFTER: Duration = Duration::from_secs(10);

/// Runs the phase, prints its table and returns the goals it missed.
pub async fn fairness(client: &Client, n: usize, hires: usize) -> Vec<String> {
    // The setup (an import) runs unlimited; the measurement at GoTo's published limit.
    let Imported {
        sim,
        ns,
        operator,
        organizers,
        ..
    } = imported(client, "fair", n, RESYNC).await;
    sim.set_rate_limit(Some(RATE));
    setup_account(client, ns.name(), &sim, None).await;
    let effective = effective_resync(client, ns.name()).await;
    let settled: HashSet<String> = sim
        .organizers()
        .into_iter()
        .filter(|o| o.email.starts_with("fair-"))
        .map(|o| o.organizer_key)
        .collect();

    sim.clear_requests();
    let limited_before = sim.rate_limited_count();
    let started = Instant::now();
    tokio::time::sleep(HIRES_AFTER).await;
    let applied = Instant::now();
    apply_all(&organizers, "newhire", hires, true).await;
    wait_all_ready(&organizers, "newhire", hires, Duration::from_secs(600)).await;
    let hired = applied.elapsed();
    let hires_done = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
    let quiet_from = started.elapsed();
    tokio::time::sleep(WINDOW.saturating_sub(started.elapsed())).await;
    let quiet = WINDOW.saturating_sub(quiet_from).as_secs_f64();
    let requests = sim.requests();
    let limited = sim.rate_limited_count() - limited_before;
    let reads = reads_of(&requests, &settled);
    let per_second = reads.len() as f64 / WINDOW.as_secs_f64();
    let busiest = busiest_window(&reads, 10.0) / 10.0;
    let after_hires = reads.iter().filter(|at| **at >= hires_done).count() as f64 / quiet;
    let all_calls = super::goto_calls(&requests).count() as f64;
    drop(operator);
    let restart = restart(client, ns.name(), &sim, &settled).await;
    sim.shutdown();
    ns.cleanup().await;

    // Each hire is a create plus a full PUT for its time zone (v1: the create alone).
    let needed = if through_v1() { 1.0 } else { 2.0 };
    let minimum = Duration::from_secs_f64(hires as f64 * needed / (RATE / 2.0));
    let ratio = hired.as_secs_f64() / minimum.as_secs_f64();
    println!();
    println!(
        "| budget fairness: {n} Ready organizers, resync {RESYNC} s, {RATE} requests/s | value |"
    );
    println!("|---|---|");
    println!("| status.effectiveResyncSeconds | {effective} s |");
    println!(
        "| drift reads, averaged over {} s | {per_second:.2}/s |",
        WINDOW.as_secs()
    );
    println!("| drift reads, busiest 10 s | {busiest:.2}/s |");
    println!(
        "| drift reads once the new hires were Ready (the lane's share: {:.2}/s) | {after_hires:.2}/s |",
        goto_operator::goto::drift_reads_per_second(RATE)
    );
    println!(
        "| all GoTo calls, averaged over {} s | {:.2}/s |",
        WINDOW.as_secs(),
        all_calls / WINDOW.as_secs_f64()
    );
    println!("| 429s | {limited} |");
    println!(
        "| {hires} new hires (timeZone) applied {} s in: all Ready after | {:.1} s (minimum at {} requests/s: {:.1} s; {ratio:.2}x) |",
        HIRES_AFTER.as_secs(),
        hired.as_secs_f64(),
        RATE / 2.0,
        minimum.as_secs_f64()
    );
    let share = goto_operator::goto::drift_reads_per_second(RATE);
    println!(
        "| after a restart: drift reads in the busiest second of the next {} s (the lane's share: {share:.2}/s) | {} |",
        AFTER_RESTART.as_secs(),
        restart.busiest_second
    );
    println!(
        "| after a restart: a new hire applied {} s in, Ready after | {:.1} s |",
        HIRE_AFTER_RESTART.as_secs(),
        restart.hire_ready.as_secs_f64()
    );
    let mut failures = Vec::new();
    if restart.busiest_second as f64 > (share * 2.0).ceil() {
        failures.push(format!(
            "fairness: {} drift reads in one second after a restart (goal: at most twice the lane's share, {share:.2}/s)",
            restart.busiest_second
        ));
    }
    if restart.hire_ready > Duration::from_secs(10) {
        failures.push(format!(
            "fairness: a new hire applied after a restart took {:.1} s (goal: at most 10 s)",
            restart.hire_ready.as_secs_f64()
        ));
    }
    if per_second > RATE / 2.0 {
        failures.push(format!(
            "fairness: {per_second:.2} drift reads a second (goal: at most {})",
            RATE / 2.0
        ));
    }
    if limited > 0 {
        failures.push(format!("fairness: {limited} 429s (goal: 0)"));
    }
    if ratio > 1.5 {
        failures.push(format!(
            "fairness: {hires} new hires took {ratio:.2}x their minimum (goal: at most 1.5x)"
        ));
    }
    let stretched = !through_v1() && n as f64 / (RATE / 2.0) > RESYNC as f64;
    if stretched && (effective as f64) < n as f64 / (RATE / 2.0) {
        failures.push(format!(
            "fairness: effectiveResyncSeconds {effective} (goal: at least {:.0})",
            n as f64 / (RATE / 2.0)
        ));
    }
    failures
}

/// How long after a restart the drift reads are counted.
const AFTER_RESTART: Duration = Duration::from_secs(60);
/// When, after the restart, a new hire is applied.
const HIRE_AFTER_RESTART: Duration = Duration::from_secs(5);

/// What a restart of the operator measured.
struct Restart {
    /// The most drift reads any one-second window held in [`AFTER_RESTART`].
    busiest_second: usize,
    /// From the new hire's apply to its Ready.
    hire_ready: Duration,
}

/// Starts the operator again over `settled` Ready organizers: no thundering herd (their first
/// reads at their places in the period, within the drift lane), and a new hire goes first.
async fn restart(client: &Client, ns: &str, sim: &SimHandle, settled: &HashSet<String>) -> Restart {
    sim.clear_requests();
    let operator = Operator::start(ns, RESYNC);
    let restarted = Instant::now();
    tokio::time::sleep(HIRE_AFTER_RESTART).await;
    let organizers: Api<GoToOrganizer> = Api::namespaced(client.clone(), ns);
    let applied = Instant::now();
    apply_all(&organizers, "restarthire", 1, true).await;
    wait_all_ready(&organizers, "restarthire", 1, Duration::from_secs(600)).await;
    let hire_ready = applied.elapsed();
    tokio::time::sleep(AFTER_RESTART.saturating_sub(restarted.elapsed())).await;
    let reads = reads_of(&sim.requests(), settled);
    drop(operator);
    Restart {
        busiest_second: busiest_window(&reads, 1.0) as usize,
        hire_ready,
    }
}

/// When (seconds since the epoch) each GET of one of the `settled` organizers arrived.
fn reads_of(requests: &[RecordedRequest], settled: &HashSet<String>) -> Vec<f64> {
    requests
        .iter()
        .filter(|r| r.method == "GET")
        .filter(|r| {
            r.path
                .rsplit('/')
                .next()
                .is_some_and(|k| settled.contains(k))
        })
        .map(|r| r.at.as_millisecond() as f64 / 1000.0)
        .collect()
}

/// The most of `times` (seconds) any `width`-second window holds.
fn busiest_window(times: &[f64], width: f64) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    (0..sorted.len())
        .map(|i| {
            sorted[i..]
                .iter()
                .take_while(|t| **t < sorted[i] + width)
                .count()
        })
        .max()
        .unwrap_or(0) as f64
}

/// The account's `status.effectiveResyncSeconds` once it is reported for the measured rate.
async fn effective_resync(client: &Client, ns: &str) -> u64 {
    let accounts: Api<GoToAccount> = Api::namespaced(client.clone(), ns);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let account = accounts.get("acme").await.expect("account");
        let status = account.status.unwrap_or_default();
        // v1 reads the account in one listing: its period is never stretched.
        if status.effective_requests_per_second == Some(RATE)
            && let Some(seconds) = status.effective_resync_seconds
            && (seconds > RESYNC || through_v1())
        {
            return seconds;
        }
        if Instant::now() > deadline {
            return status.effective_resync_seconds.unwrap_or(0);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
