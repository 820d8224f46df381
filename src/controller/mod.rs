//! The controllers: GoToAccount and GoToOrganizer, run behind a leader lease.
pub mod account;
pub mod clients;
pub mod context;
pub mod credentials;
pub mod error;
mod events;
pub mod gauges;
mod leader;
pub mod leader_label;
pub mod liveness;
mod namespaces;
pub mod offboarding;
pub mod organizer;
pub mod ownership;
pub mod seats;
pub mod status;
mod triggers;
pub mod validate;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::api::PartialObjectMeta;
use kube::runtime::events::Reporter;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{Config, Controller, PredicateConfig, WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};

use crate::cli::RunArgs;
use crate::crd::{GoToAccount, GoToOrganizer};
use crate::http::{self, Health};
use crate::metrics::Metrics;
use crate::webhook::{self, Webhooks};
pub use context::Context;
pub use error::{Error, RequeuePolicy};
use triggers::{account_trigger, consistent_applies, organizer_trigger, slim};

/// `goto-operator run`: serves /metrics, waits for the leader lease, then runs both controllers
/// until SIGTERM/Ctrl-C (or until the lease is lost, so that a restart re-elects cleanly).
pub async fn run(args: RunArgs) -> crate::Result<()> {
    let kube = Client::try_default().await?;
    let metrics = Arc::new(Metrics::default());
    let ready = Arc::new(AtomicBool::new(false));
    let health = Health {
        ready: ready.clone(),
        metrics: metrics.clone(),
    };
    // One signal future, shared by the HTTP server, both controllers and the shutdown deadline.
    let shutdown = shutdown_signal().boxed().shared();
    let http = tokio::spawn(http::serve(args.metrics_bind, health, shutdown.clone()));
    let webhooks = args.webhook_bind.map(|bind| {
        let hooks = Arc::new(Webhooks::new(kube.clone(), metrics.clone()));
        (
            hooks.clone(),
            tokio::spawn(webhook::serve(bind, hooks, shutdown.clone())),
        )
    });
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
    let elected = tokio::select! {
        lease = elect(&args, &kube, &identity, &metrics) => lease?,
        () = shutdown.clone() => {
            http.abort();
            if let Some((_, server)) = &webhooks {
                server.abort();
            }
            tracing::info!("shutdown before leading");
            return Ok(());
        }
    };
    let mut lease = elected;
    // Without leader election nothing can depose this process: its fence never closes.
    let fence = lease
        .as_ref()
        .map_or_else(leader::Fence::open, |l| l.fence().clone());

    let (organizers, organizer_writer) = reflector::store();
    let (accounts, account_writer) = reflector::store();
    // Which organizers this process has read once: shared with the webhook, whose
    // notifications are read at once even right after a restart.
    let first_reads = Arc::new(organizer::spread::FirstReads::default());
    // Push notifications re-read the organizers they name, through the organizer controller.
    let notified = match &webhooks {
        Some((hooks, _)) => hooks
            .activate(organizers.clone(), first_reads.clone())
            .boxed(),
        None => futures::stream::empty().boxed(),
    };
    // Leading, and the webhook (if any) active: the Service may route here.
    if let Some(label) = &label {
        label.set(true);
    }
    let mut ctx = Context::new(
        kube.clone(),
        metrics,
        requeue_policy(&args),
        Duration::from_secs(args.resync_seconds.max(1)),
        Reporter {
            controller: "goto-operator".into(),
            instance: Some(identity),
        },
        organizers,
        accounts,
    );
    ctx.first_reads = first_reads;
    ctx.accounts.set_write_fence(fence.as_write_fence());
    // Drift reads give way to people's work in each account's budget (see `goto::budget`).
    ctx.accounts.use_drift_lane();
    ctx.accounts
        .set_request_timeout(Duration::from_secs(args.request_timeout_seconds.max(1)));
    // The seat queue triggers the organizers whose turn for a seat came.
    let (seat_turns, seat_turns_rx) = futures::channel::mpsc::unbounded();
    ctx.seat_queue.set_trigger(seat_turns);
    // A change in which organizers' deletion is blocked triggers their GoToAccount.
    let (offboarding, offboarding_rx) = futures::channel::mpsc::unbounded();
    ctx.offboarding.set_trigger(offboarding);
    // The liveness guard triggers the organizers it finds stalled.
    let (stalled, stalled_rx) = futures::channel::mpsc::unbounded();
    let notified =
        futures::stream::select(notified, futures::stream::select(seat_turns_rx, stalled_rx))
            .boxed();
    let ctx = Arc::new(ctx);
    let gauges = tokio::spawn(gauges::run(ctx.organizers.clone(), ctx.metrics.clone()));
    let liveness = tokio::spawn(liveness::run(
        ctx.organizers.clone(),
        ctx.metrics.clone(),
        stall_after(&args),
        stalled,
    ));
    tracing::info!(
        namespaces = %if args.namespace.is_empty() { "<all>".to_string() } else { args.namespace.join(",") },
        "controllers starting"
    );
    let controllers = futures::future::join(
        organizer_controller(
            ctx.clone(),
            organizer_writer,
            account_writer,
            notified,
            Scope::of(&args),
            shutdown.clone(),
        ),
        account_controller(ctx, offboarding_rx, Scope::of(&args), shutdown.clone()),
    );
    let lease_lost = {
        let lost = async {
            match lease.as_mut() {
                Some(lease) => lease.lost().await,
                None => futures::future::pending().await,
            }
        };
        // Reconciles are idempotent and crash-safe, so a shutdown that outlasts its grace is cut
        // short rather than allowed to run into the pod's termination deadline.
        let deadline = async {
            shutdown.clone().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "controllers still busy after the shutdown grace; stopping anyway");
        };
        tokio::select! {
            _ = controllers => false,
            () = deadline => false,
            () = lost => true,
        }
    };
    http.abort();
    gauges.abort();
    liveness.abort();
    if let Some((_, server)) = &webhooks {
        server.abort();
    }
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

/// What the controllers watch and how many objects each reconciles at once.
#[derive(Clone, Copy)]
struct Scope<'a> {
    /// The namespaces watched; none: all of them.
    namespaces: &'a [String],
    labels: Option<&'a str>,
    concurrency: u16,
}

impl<'a> Scope<'a> {
    fn of(args: &'a RunArgs) -> Self {
        Scope {
            namespaces: &args.namespace,
            labels: args.label_selector.as_deref(),
            concurrency: args.concurrency,
        }
    }
}

/// How the operator's own kinds are watched: any version, filtered by `--label-selector`.
fn watched(labels: Option<&str>) -> watcher::Config {
    let config = watcher::Config::default().any_semantic();
    match labels {
        Some(selector) => config.labels(selector),
        None => config,
    }
}

/// One API per watched namespace, by namespace; one for all namespaces when none is named.
fn scoped<K>(client: &Client, namespaces: &[String]) -> Vec<(String, Api<K>)>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    if namespaces.is_empty() {
        return vec![(String::new(), Api::all(client.clone()))];
    }
    namespaces
        .iter()
        .map(|ns| (ns.clone(), Api::namespaced(client.clone(), ns)))
        .collect()
}

async fn organizer_controller(
    ctx: Arc<Context>,
    writer: reflector::store::Writer<GoToOrganizer>,
    account_writer: reflector::store::Writer<GoToAccount>,
    notified: futures::stream::BoxStream<'static, ObjectRef<GoToOrganizer>>,
    scope: Scope<'_>,
    shutdown: Shutdown,
) {
    let Scope {
        namespaces: watched_namespaces,
        labels,
        concurrency,
    } = scope;
    let organizers = scoped::<GoToOrganizer>(&ctx.kube, watched_namespaces);
    let accounts = scoped::<GoToAccount>(&ctx.kube, watched_namespaces);
    let reader = ctx.organizers.clone();
    let index = ctx.claim_index.clone();
    let gone = ctx.clone();
    let trigger = namespaces::watch(organizers, &watched(labels), reader.clone())
        .modify(slim)
        .reflect(writer)
        .inspect(move |event| {
            if let Ok(event) = event {
                index.apply(event);
                // Its last reconcile released it; this covers a finalizer removed by hand.
                if let watcher::Event::Delete(o) = event {
                    gone.set_blocked(o, None);
                }
            }
        });
    let trigger = consistent_applies(trigger, reader.clone())
        .predicate_filter(organizer_trigger, PredicateConfig::default());
    let account_events = namespaces::watch(accounts, &watched(labels), ctx.accounts_store.clone())
        .modify(slim)
        .reflect(account_writer);
    let account_changes = consistent_applies(account_events, ctx.accounts_store.clone())
        .predicate_filter(account_trigger, PredicateConfig::default());
    let store = reader.clone();
    Controller::for_stream(trigger, reader)
        .watches_stream(account_changes, move |account| {
            organizers_of(&store, &account)
        })
        .reconcile_on(notified)
        .with_config(Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(organizer::reconcile, organizer::error_policy, ctx)
        .for_each(|_| futures::future::ready(()))
        .await;
}

fn organizers_of(
    store: &Store<GoToOrganizer>,
    account: &GoToAccount,
) -> Vec<ObjectRef<GoToOrganizer>> {
    store
        .state()
        .into_iter()
        .filter(|o| {
            o.namespace() == account.namespace() && o.spec.account_ref.name == account.name_any()
        })
        .map(|o| ObjectRef::from_obj(o.as_ref()))
        .collect()
}

async fn account_controller(
    ctx: Arc<Context>,
    offboarding: futures::channel::mpsc::UnboundedReceiver<ObjectRef<GoToAccount>>,
    scope: Scope<'_>,
    shutdown: Shutdown,
) {
    let Scope {
        namespaces: watched_namespaces,
        labels,
        concurrency,
    } = scope;
    let accounts = scoped::<GoToAccount>(&ctx.kube, watched_namespaces);
    let secrets = scoped::<PartialObjectMeta<Secret>>(&ctx.kube, watched_namespaces);
    // A store of its own (the organizer controller's is filled by another watch), triggered
    // only once it holds what each event says (see `triggers`).
    let (store, writer) = reflector::store();
    let trigger = consistent_applies(
        namespaces::watch(accounts, &watched(labels), store.clone())
            .modify(slim)
            .reflect(writer),
        store.clone(),
    );
    let controller = Controller::for_stream(trigger, store.clone());
    // Only Secret metadata is watched: the operator never holds every Secret's data in memory,
    // it reads the one an account names when it reconciles.
    let secret_changes = futures::stream::select_all(secrets.into_iter().map(|(_, api)| {
        watcher(api, watcher::Config::default().any_semantic())
            .default_backoff()
            .applied_objects()
            .boxed()
    }));
    controller
        .watches_stream(secret_changes, move |secret| {
            store
                .state()
                .into_iter()
                .filter(|a| {
                    a.namespace() == secret.namespace()
                        && a.spec.credentials_secret_ref.name == secret.name_any()
                })
                .map(|a| ObjectRef::from_obj(a.as_ref()))
                .collect::<Vec<_>>()
        })
        .reconcile_on(offboarding)
        .with_config(Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(account::reconcile, account::error_policy, ctx)
        .for_each(|_| futures::future::ready(()))
        .await;
}

/// How long in-flight reconciles may run on after SIGTERM before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The shared shutdown signal.
type Shutdown = futures::future::Shared<futures::future::BoxFuture<'static, ()>>;

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
