//! `goto-operator run`: the process around the controllers. It serves /metrics (and the
//! webhook), waits for the leader Lease, builds the shared [`Context`] with its triggers, runs
//! both controllers until SIGTERM or the loss of the Lease, then stops in order: servers and
//! background tasks, the Pod's leader label, the Lease.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use kube::Client;
use kube::runtime::events::Reporter;
use kube::runtime::reflector::{self, ObjectRef, Store};
use tokio::task::JoinHandle;

use super::clients::AccountClients;
use super::{
    Context, RequeuePolicy, Scope, account_controller, gauges, leader, leader_label, liveness,
    organizer, organizer_controller,
};
use crate::cli::RunArgs;
use crate::crd::{GoToAccount, GoToOrganizer};
use crate::http::{self, Health};
use crate::metrics::Metrics;
use crate::webhook::{self, Webhooks};

/// `goto-operator run`: serves /metrics, waits for the leader lease, then runs both controllers
/// until SIGTERM/Ctrl-C (or until the lease is lost, so that a restart re-elects cleanly).
pub async fn run(args: RunArgs) -> crate::Result<()> {
    let kube = Client::try_default().await?;
    let metrics = Arc::new(Metrics::default());
    let ready = Arc::new(AtomicBool::new(false));
    // One signal future, shared by the HTTP server, both controllers and the shutdown deadline.
    let shutdown = shutdown_signal().boxed().shared();
    let servers = Servers::start(&args, &kube, &metrics, ready.clone(), &shutdown);
    let identity = identity(&args);
    // The leader label of this Pod (`--pod-name`): removed now, in case this container restarts
    // after losing the Lease with the label still on; set once this replica leads.
    let label = args.pod_name.as_deref().map(|pod| {
        let namespace = args.pod_namespace.clone().unwrap_or_else(own_namespace);
        leader_label::PodLabel::start(kube.clone(), &namespace, pod)
    });

    // Ready means "up and able to take over", not "leading": a standby that reported not-ready
    // would block every rolling update (the new pods cannot lead while the old leader runs) and
    // every node drain under a PodDisruptionBudget.
    ready.store(true, Ordering::Relaxed);
    // A standby waits here; SIGTERM while waiting ends the process cleanly.
    let mut lease = tokio::select! {
        lease = elect(&args, &kube, &identity, &metrics) => lease?,
        () = shutdown.clone() => {
            servers.abort();
            tracing::info!("shutdown before leading");
            return Ok(());
        }
    };
    let leading = Leading {
        args: &args,
        kube,
        metrics,
        identity,
        webhooks: servers.webhooks.as_ref().map(|(hooks, _)| hooks),
        label: label.as_ref(),
    };
    let lease_lost = leading.lead(lease.as_mut(), shutdown).await;
    servers.abort();
    // The label goes before the Lease: a Service must stop routing here before another replica
    // leads. Bounded: the process exits either way, and a restarted one removes it at startup.
    if let Some(label) = &label
        && !label.settle(false, LABEL_REMOVAL).await
    {
        tracing::warn!(
            "the leader label could not be removed from this pod in time: the next start removes it"
        );
    }
    if lease_lost {
        return Err(crate::Error::Invalid(
            "lost the leader lease; exiting so that a restart re-elects".into(),
        ));
    }
    tracing::info!("controllers stopped");
    if let Some(lease) = lease {
        lease.release().await;
    }
    Ok(())
}

/// The HTTP servers: /metrics with the probes, and the webhook when `--webhook-bind` is set.
struct Servers {
    http: JoinHandle<crate::Result<()>>,
    webhooks: Option<(Arc<Webhooks>, JoinHandle<crate::Result<()>>)>,
}

impl Servers {
    fn start(
        args: &RunArgs,
        kube: &Client,
        metrics: &Arc<Metrics>,
        ready: Arc<AtomicBool>,
        shutdown: &Shutdown,
    ) -> Self {
        let health = Health {
            ready,
            metrics: metrics.clone(),
        };
        let http = tokio::spawn(http::serve(args.metrics_bind, health, shutdown.clone()));
        let webhooks = args.webhook_bind.map(|bind| {
            let hooks = Arc::new(Webhooks::new(kube.clone(), metrics.clone()));
            (
                hooks.clone(),
                tokio::spawn(webhook::serve(bind, hooks, shutdown.clone())),
            )
        });
        Servers { http, webhooks }
    }

    fn abort(&self) {
        self.http.abort();
        if let Some((_, server)) = &self.webhooks {
            server.abort();
        }
    }
}

/// What a replica that holds the Lease (or runs without election) works with.
struct Leading<'a> {
    args: &'a RunArgs,
    kube: Client,
    metrics: Arc<Metrics>,
    identity: String,
    webhooks: Option<&'a Arc<Webhooks>>,
    label: Option<&'a leader_label::PodLabel>,
}

/// What wakes the controllers besides their watches.
struct Triggers {
    /// Organizers: push notifications, seat turns, stalled objects.
    organizers: BoxStream<'static, ObjectRef<GoToOrganizer>>,
    /// Accounts whose blocked deletions or drift period changed.
    accounts: futures::channel::mpsc::UnboundedReceiver<ObjectRef<GoToAccount>>,
    /// Where the liveness guard sends the organizers it finds stalled.
    stalled: futures::channel::mpsc::UnboundedSender<ObjectRef<GoToOrganizer>>,
}

impl Leading<'_> {
    /// Runs both controllers until they stop, the shutdown grace ends, or the Lease is lost;
    /// `true` when the Lease was lost.
    async fn lead(self, lease: Option<&mut leader::Lease>, shutdown: Shutdown) -> bool {
        // Without leader election nothing can depose this process: its fence never closes.
        let fence = lease
            .as_ref()
            .map_or_else(leader::Fence::open, |l| l.fence().clone());
        let (organizers, organizer_writer) = reflector::store();
        let (accounts, account_writer) = reflector::store();
        let (oc, triggers) = self.context(organizers, accounts, &fence);
        let oc = Arc::new(oc);
        let ctx = oc.ctx.clone();
        let gauges = tokio::spawn(gauges::run(ctx.organizers.clone(), ctx.metrics.clone()));
        let liveness = tokio::spawn(liveness::run(
            ctx.organizers.clone(),
            ctx.metrics.clone(),
            stall_after(self.args),
            triggers.stalled,
        ));
        tracing::info!(
            namespaces = %if self.args.namespace.is_empty() { "<all>".to_string() } else { self.args.namespace.join(",") },
            "controllers starting"
        );
        let scope = Scope::of(self.args);
        let controllers = futures::future::join(
            organizer_controller(
                oc,
                organizer_writer,
                account_writer,
                triggers.organizers,
                scope,
                shutdown.clone(),
            ),
            account_controller(ctx, triggers.accounts, scope, shutdown.clone()),
        );
        let lost = until_stopped(controllers, lease, shutdown).await;
        gauges.abort();
        liveness.abort();
        lost
    }

    /// The shared context with the organizer reconcile's view, and the triggers they feed: seat
    /// turns, blocked deletions, stalls and push notifications.
    fn context(
        &self,
        organizers: Store<GoToOrganizer>,
        accounts: Store<GoToAccount>,
        fence: &leader::Fence,
    ) -> (organizer::OrganizerContext, Triggers) {
        let mut clients = AccountClients::with_metrics(
            self.metrics.clone(),
            Duration::from_secs(self.args.request_timeout_seconds.max(1)),
        );
        clients.set_write_fence(fence.as_write_fence());
        // Drift reads give way to people's work in each account's budget (see `goto::budget`).
        clients.use_drift_lane();
        let clients = Arc::new(clients);
        let view = organizer::View::new(
            self.kube.clone(),
            clients.clone(),
            organizers.clone(),
            accounts.clone(),
        );
        // Push notifications re-read the organizers they name, through the organizer controller;
        // the webhook shares the view's first reads, so they are read at once even right after
        // a restart.
        let notified = match self.webhooks {
            Some(hooks) => hooks
                .activate(organizers.clone(), view.first_reads.clone())
                .boxed(),
            None => futures::stream::empty().boxed(),
        };
        // Leading, and the webhook (if any) active: the Service may route here.
        if let Some(label) = self.label {
            label.set(true);
        }
        let ctx = Context::new(
            self.kube.clone(),
            clients,
            self.metrics.clone(),
            requeue_policy(self.args),
            Duration::from_secs(self.args.resync_seconds.max(1)),
            Reporter {
                controller: "goto-operator".into(),
                instance: Some(self.identity.clone()),
            },
            organizers,
            accounts,
        );
        // The seat queue triggers the organizers whose turn for a seat came.
        let (seat_turns, seat_turns_rx) = futures::channel::mpsc::unbounded();
        view.seat_queue.set_trigger(seat_turns);
        // A change in which organizers' deletion is blocked, or in an account's drift period,
        // triggers the GoToAccount.
        let (account_changes, accounts_rx) = futures::channel::mpsc::unbounded();
        ctx.offboarding.set_trigger(account_changes);
        // The liveness guard triggers the organizers it finds stalled.
        let (stalled, stalled_rx) = futures::channel::mpsc::unbounded();
        let organizers =
            futures::stream::select(notified, futures::stream::select(seat_turns_rx, stalled_rx))
                .boxed();
        let triggers = Triggers {
            organizers,
            accounts: accounts_rx,
            stalled,
        };
        let ctx = Arc::new(ctx);
        (organizer::OrganizerContext { ctx, view }, triggers)
    }
}

/// Waits for the controllers to stop, the shutdown grace to end, or the Lease to be lost;
/// `true` when the Lease was lost.
async fn until_stopped(
    controllers: impl std::future::Future<Output = ((), ())>,
    lease: Option<&mut leader::Lease>,
    shutdown: Shutdown,
) -> bool {
    let lost = async {
        match lease {
            Some(lease) => lease.lost().await,
            None => futures::future::pending().await,
        }
    };
    // Reconciles are idempotent and crash-safe, so a shutdown that outlasts its grace is cut
    // short rather than allowed to run into the pod's termination deadline.
    let deadline = async {
        shutdown.await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
        tracing::warn!(grace = ?SHUTDOWN_GRACE, "controllers still busy after the shutdown grace; stopping anyway");
    };
    tokio::select! {
        _ = controllers => false,
        () = deadline => false,
        () = lost => true,
    }
}

/// How long a stopping leader waits for its Pod's leader label to be removed.
const LABEL_REMOVAL: Duration = Duration::from_secs(3);

/// The namespace of this process's Pod, from its service account; `default` outside a Pod.
fn own_namespace() -> String {
    std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
        .map(|ns| ns.trim().to_string())
        .unwrap_or_else(|_| "default".to_string())
}

/// This replica's name in the Lease and in Events: the flag, else the pod name, else the pid.
fn identity(args: &RunArgs) -> String {
    args.identity
        .clone()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| format!("goto-operator-{}", std::process::id()))
}

/// Requeue timing from the flags. Per-object backoff (for the object's own transient failures)
/// starts at 2 s and stops at 300 s; failures that are not the object's fault retry within 4 s.
fn requeue_policy(args: &RunArgs) -> RequeuePolicy {
    RequeuePolicy {
        slow: Duration::from_secs(args.slow_requeue_seconds.max(1)),
        reaudit: Duration::from_secs(args.reaudit_seconds.max(1)),
        backoff_base: Duration::from_secs(2),
        backoff_max: Duration::from_secs(300),
        soon: Duration::from_secs(4),
    }
}

/// How long an object may stay behind before the liveness guard calls it stalled: the flag, else
/// three resync periods.
fn stall_after(args: &RunArgs) -> Duration {
    let seconds = args
        .stall_seconds
        .unwrap_or_else(|| args.resync_seconds.max(1).saturating_mul(3));
    Duration::from_secs(seconds.max(1))
}

/// Waits for the leader Lease (when leader election is on) in the configured namespace, else the
/// pod's own namespace.
async fn elect(
    args: &RunArgs,
    kube: &Client,
    identity: &str,
    metrics: &Metrics,
) -> crate::Result<Option<leader::Lease>> {
    if !args.leader_election {
        metrics.set_leader(true);
        return Ok(None);
    }
    let namespace = args.lease_namespace.clone().unwrap_or_else(own_namespace);
    let lease = leader::acquire(
        kube.clone(),
        &namespace,
        &args.lease_name,
        identity,
        metrics,
    )
    .await?;
    Ok(Some(lease))
}

/// How long in-flight reconciles may run on after SIGTERM before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The shared shutdown signal.
pub(super) type Shutdown = futures::future::Shared<futures::future::BoxFuture<'static, ()>>;

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
