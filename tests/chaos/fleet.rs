//! The operator as the chart installs it: two replicas with leader election, each process
//! restarted when it exits, as a kubelet restarts a container. A replica exits by itself when it
//! can no longer prove its leadership (its fence closes, e.g. while the kube-apiserver is down);
//! the monkey kills the leader with SIGKILL.
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use tokio::time::Instant;

use crate::harness::{Env, operator};
use crate::operator::Operator;

/// The Lease the replicas elect a leader on (the binary's default name).
const LEASE: &str = "goto-operator-leader";
/// How long a kubelet waits before restarting a container that exited (its first back-off).
const RESTART_DELAY: Duration = Duration::from_secs(1);

struct Replica {
    identity: String,
    process: Option<Operator>,
    /// When a replica without a process is started again.
    restart_at: Option<Instant>,
    /// The logs of its earlier processes.
    earlier: String,
}

pub struct Fleet {
    namespace: String,
    replicas: Vec<Replica>,
    /// Processes that exited by themselves (not killed) and were restarted.
    pub exits: usize,
}

impl Fleet {
    /// Two replicas, `replica-a` and `replica-b`, electing a leader in the test namespace.
    pub fn start(namespace: &str) -> Fleet {
        let replicas = ["replica-a", "replica-b"]
            .into_iter()
            .map(|identity| Replica {
                identity: identity.to_string(),
                process: Some(operator::start_elected(namespace, identity)),
                restart_at: None,
                earlier: String::new(),
            })
            .collect();
        Fleet {
            namespace: namespace.to_string(),
            replicas,
            exits: 0,
        }
    }

    /// Restarts every replica whose process exited (after the kubelet's delay) or was killed
    /// (at the time the kill chose). Call it often.
    pub fn tend(&mut self) {
        let now = Instant::now();
        for replica in &mut self.replicas {
            if let Some(process) = replica.process.as_mut()
                && let Some(status) = process.exit_status()
            {
                eprintln!(
                    "chaos: {} exited ({status}); restarting it",
                    replica.identity
                );
                self.exits += 1;
                retire(replica, now + RESTART_DELAY);
            }
            if replica.process.is_none() && replica.restart_at.is_some_and(|at| at <= now) {
                replica.process = Some(operator::start_elected(&self.namespace, &replica.identity));
                replica.restart_at = None;
            }
        }
    }

    /// SIGKILLs the leader (the Lease's holder, else the first replica running); it comes back
    /// after `back_after`. Returns its identity.
    pub async fn kill_leader(&mut self, env: &Env, back_after: Duration) -> String {
        let holder = leader(env).await;
        let index = self
            .replicas
            .iter()
            .position(|r| Some(&r.identity) == holder.as_ref() && r.process.is_some())
            .or_else(|| self.replicas.iter().position(|r| r.process.is_some()))
            .unwrap_or(0);
        let replica = &mut self.replicas[index];
        retire(replica, Instant::now() + back_after);
        replica.identity.clone()
    }

    /// Every replica's log, all its processes in order, the current one last.
    pub fn log(&self) -> String {
        self.replicas
            .iter()
            .map(|r| {
                format!(
                    "===== {} =====\n{}{}",
                    r.identity,
                    r.earlier,
                    r.process.as_ref().map(Operator::log).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Ends the replica's process (SIGKILL, if it still runs) and schedules its restart.
fn retire(replica: &mut Replica, restart_at: Instant) {
    if let Some(process) = replica.process.take() {
        replica.earlier.push_str(&process.log());
        replica.earlier.push_str("----- (process ended) -----\n");
    }
    replica.restart_at = Some(restart_at);
}

/// The Lease's holder, when the API server answers.
async fn leader(env: &Env) -> Option<String> {
    let leases: Api<Lease> = Api::namespaced(env.client.clone(), env.namespace());
    leases
        .get_opt(LEASE)
        .await
        .ok()
        .flatten()?
        .spec?
        .holder_identity
}
