//! The faults: GoTo misbehaving (simulator fault injection, token revocation, 429 storms,
//! ambiguous writes), the operator killed with SIGKILL (often right after a create or a suspend:
//! between a create and its status write, between the audit and the DELETE), and the
//! kube-apiserver restarted.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use goto_operator::simulator::{FaultRule, Faults};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::time::Instant;

use crate::fleet::Fleet;
use crate::harness::Env;
use crate::profile::Profile;
use crate::workload::{self, Book};

const API: &str = "/G2M/rest/v2/**";
const CREATE: &str = "/G2M/rest/v2/accounts/*/organizers";
const ORGANIZER: &str = "/G2M/rest/v2/accounts/*/organizers/*";

/// What was done, for the report.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Figures {
    pub kills: usize,
    pub kills_after_create: usize,
    pub kills_after_suspend: usize,
    pub kills_after_delete: usize,
    pub apiserver_restarts: usize,
    /// Deletes and updates issued while a kube-apiserver restart was under way.
    pub deletes_during_restarts: usize,
    pub updates_during_restarts: usize,
    pub storms: usize,
    pub token_revocations: usize,
    pub ambiguous_write_rules: usize,
    /// Replica processes that exited by themselves (leadership could not be proven) and were
    /// restarted.
    pub replica_exits: usize,
}

pub struct Monkey {
    env: Arc<Env>,
    book: Book,
    profile: Profile,
    fleet: Fleet,
}

impl Monkey {
    pub fn new(env: Arc<Env>, book: Book, profile: Profile, fleet: Fleet) -> Self {
        Monkey {
            env,
            book,
            profile,
            fleet,
        }
    }

    /// Injects faults for the profile's window, then restarts the kube-apiserver once more with
    /// nothing else failing and no operator kill after it (the last fault: objects deleted and
    /// updated during it must still be acted on by the process that saw the restart); returns
    /// the replicas then running, with faults cleared.
    pub async fn run(self, started: Instant) -> (Fleet, Figures) {
        let Monkey {
            env,
            book,
            profile,
            mut fleet,
        } = self;
        let gotos = tokio::spawn(goto_faults(env.clone(), profile.clone(), started));
        let restarts = {
            let (env, book, profile) = (env.clone(), book.clone(), profile.clone());
            tokio::spawn(async move {
                let mut figures = Figures::default();
                let within = profile.apiserver_restarts.saturating_sub(1);
                for i in 0..within {
                    let at = profile.window.mul_f64((i + 1) as f64 / (within + 1) as f64);
                    tokio::time::sleep_until(started + at).await;
                    restart_apiserver(&env, &book, &profile, &mut figures).await;
                }
                figures
            })
        };
        let mut figures = kill_operator(&env, &profile, &mut fleet, started).await;
        let goto_figures = gotos.await.expect("GoTo faults task");
        let restart_figures = restarts.await.expect("restart task");
        env.sim.set_faults(Faults::default());
        figures.apiserver_restarts = restart_figures.apiserver_restarts;
        figures.deletes_during_restarts = restart_figures.deletes_during_restarts;
        figures.updates_during_restarts = restart_figures.updates_during_restarts;
        if profile.apiserver_restarts > 0 {
            // Quiet first: the account Ready again and the operator's retries spent, so that
            // nothing but the restart itself can bring the objects changed during it to the
            // operator's attention (an account turning Ready triggers all its organizers).
            tending(
                &mut fleet,
                env.wait_account(crate::harness::ACCOUNT, "True", "Authenticated"),
            )
            .await;
            tending(&mut fleet, tokio::time::sleep(Duration::from_secs(5))).await;
            tending(
                &mut fleet,
                restart_apiserver(&env, &book, &profile, &mut figures),
            )
            .await;
        }
        figures.storms = goto_figures.storms;
        figures.token_revocations = goto_figures.token_revocations;
        figures.ambiguous_write_rules = goto_figures.ambiguous_write_rules;
        figures.replica_exits = fleet.exits;
        (fleet, figures)
    }
}

/// 10% 5xx and 2% dropped connections throughout; a 429 storm for 5 s every 20 s; every token
/// revoked every 15 s; every 10 s a create and a delete whose answer is lost after GoTo acted.
async fn goto_faults(env: Arc<Env>, profile: Profile, started: Instant) -> Figures {
    let mut figures = Figures::default();
    let end = started + profile.window;
    let mut second = 0u64;
    while Instant::now() < end {
        let storm = second % 20 >= 15;
        let mut rules = Vec::new();
        if storm {
            if second % 20 == 15 {
                figures.storms += 1;
            }
            rules.push(
                FaultRule::status("GET", API, 429)
                    .with_retry_after(1)
                    .times(100_000),
            );
            rules.push(
                FaultRule::status("POST", API, 429)
                    .with_retry_after(2)
                    .times(100_000),
            );
            rules.push(
                FaultRule::status("PUT", API, 429)
                    .with_retry_after(1)
                    .times(100_000),
            );
            rules.push(
                FaultRule::status("DELETE", API, 429)
                    .with_retry_after(1)
                    .times(100_000),
            );
        }
        if second % 10 == 5 {
            figures.ambiguous_write_rules += 2;
            rules.push(FaultRule::drop_connection("POST", CREATE).after_commit());
            rules.push(FaultRule::status("DELETE", ORGANIZER, 503).after_commit());
        }
        // Rules are replaced every second; unspent ambiguous ones only while they are fresh.
        env.sim.set_faults(Faults {
            error_5xx_rate: 0.10,
            drop_rate: 0.02,
            rules,
            ..Faults::default()
        });
        if second % 15 == 7 {
            figures.token_revocations += 1;
            env.sim.expire_all_tokens();
        }
        second += 1;
        tokio::time::sleep_until(started + Duration::from_secs(second)).await;
    }
    figures
}

/// Runs `work` while restarting the replicas that exit, as a kubelet would.
pub async fn tending<F: std::future::Future>(fleet: &mut Fleet, work: F) -> F::Output {
    tokio::pin!(work);
    loop {
        fleet.tend();
        tokio::select! {
            out = &mut work => return out,
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

/// `profile.kills` SIGKILLs of the leader spread over the window. Most wait for the next create,
/// suspend or delete to be answered and kill at once (the status write has not happened yet);
/// the others hit wherever the operator is. Each time the killed replica is back within 0.2 to
/// 1.5 s (as a standby, unless the other one has not taken the lease yet).
async fn kill_operator(
    env: &Env,
    profile: &Profile,
    fleet: &mut Fleet,
    started: Instant,
) -> Figures {
    let mut rng = StdRng::seed_from_u64(profile.seed ^ 0x6b69_6c6c);
    let mut figures = Figures::default();
    let slot = profile.window / (profile.kills.max(1) as u32);
    for i in 0..profile.kills {
        let at = started + slot * (i as u32) + slot.mul_f64(rng.random_range(0.1..0.6));
        tending(fleet, tokio::time::sleep_until(at)).await;
        // Creates dominate the first half of the window, offboarding the second.
        let create = Some(("POST", "/organizers"));
        let trigger = if i < profile.kills / 2 {
            [create, None][i % 2]
        } else {
            [
                Some(("PUT", "/suspend")),
                Some(("DELETE", "")),
                create,
                None,
            ][i % 4]
        };
        let mut hit = None;
        if let Some((method, suffix)) = trigger {
            let seen = env.sim.writes().len();
            let deadline = Instant::now() + slot.mul_f64(0.4);
            while Instant::now() < deadline {
                let writes = env.sim.writes();
                if writes
                    .iter()
                    .skip(seen)
                    .any(|w| w.method == method && w.path.ends_with(suffix))
                {
                    hit = Some(method);
                    break;
                }
                fleet.tend();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        let back_after = Duration::from_millis(rng.random_range(200..1500));
        fleet.kill_leader(env, back_after).await;
        figures.kills += 1;
        match hit {
            Some("POST") => figures.kills_after_create += 1,
            Some("PUT") => figures.kills_after_suspend += 1,
            Some(_) => figures.kills_after_delete += 1,
            None => {}
        }
    }
    tending(fleet, tokio::time::sleep_until(started + profile.window)).await;
    figures
}

/// One `hack/envtest.sh restart-apiserver` (SIGKILL, then the same port and etcd), with
/// `profile.restart_burst` deletes and updates issued meanwhile (they land as soon as the API
/// server answers again, while the operator's watches reconnect). The control plane is the one
/// whose admin kubeconfig the tests use.
async fn restart_apiserver(env: &Env, book: &Book, profile: &Profile, figures: &mut Figures) {
    let kubeconfig = PathBuf::from(
        std::env::var_os(crate::common::KUBECONFIG_ENV).expect("GOTO_TEST_KUBECONFIG"),
    );
    let dir = kubeconfig.parent().expect("envtest dir").to_path_buf();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("hack/envtest.sh");
    let restart = tokio::task::spawn_blocking(move || {
        std::process::Command::new(script)
            .arg("restart-apiserver")
            .env("GOTO_ENVTEST_DIR", dir)
            .output()
    });
    // Give the kill a moment to land, so the burst is issued while the API server is down.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let n = figures.apiserver_restarts;
    let (deletes, updates) =
        workload::during_restart(env, book, n, profile.restart_burst, profile.seed).await;
    let out = restart
        .await
        .expect("restart task")
        .expect("run hack/envtest.sh restart-apiserver");
    assert!(
        out.status.success(),
        "restarting the kube-apiserver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    figures.apiserver_restarts += 1;
    figures.deletes_during_restarts += deletes;
    figures.updates_during_restarts += updates;
    eprintln!(
        "chaos: kube-apiserver restarted ({}), {deletes} deletes and {updates} updates issued during it",
        figures.apiserver_restarts
    );
}
