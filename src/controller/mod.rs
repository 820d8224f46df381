//! The controllers: GoToAccount and GoToOrganizer, run behind a leader lease.
pub mod account;
pub mod clients;
pub mod context;
pub mod credentials;
pub mod error;
mod events;
pub mod gauges;
mod leader;
pub mod organizer;
pub mod ownership;
pub mod seats;
pub mod status;
pub mod validate;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
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
use crate::crd::conditions::{self, READY};
use crate::crd::{GoToAccount, GoToOrganizer};
use crate::http::{self, Health};
use crate::metrics::Metrics;
use crate::webhook::{self, Webhooks};
pub use context::Context;
pub use error::{Error, RequeuePolicy};

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
    // Push notifications re-read the organizers they name, through the organizer controller.
    let notified = match &webhooks {
        Some((hooks, _)) => hooks.activate(organizers.clone()).boxed(),
        None => futures::stream::empty().boxed(),
    };
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
    ctx.accounts.set_write_fence(fence.as_write_fence());
    ctx.accounts
        .set_request_timeout(Duration::from_secs(args.request_timeout_seconds.max(1)));
    // The seat queue triggers the organizers whose turn for a seat came.
    let (seat_turns, seat_turns_rx) = futures::channel::mpsc::unbounded();
    ctx.seat_queue.set_trigger(seat_turns);
    let notified = futures::stream::select(notified, seat_turns_rx).boxed();
    let ctx = Arc::new(ctx);
    let gauges = tokio::spawn(gauges::run(ctx.organizers.clone(), ctx.metrics.clone()));
    tracing::info!(
        namespace = args.namespace.as_deref().unwrap_or("<all>"),
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
        account_controller(ctx, Scope::of(&args), shutdown.clone()),
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
    if let Some((_, server)) = &webhooks {
        server.abort();
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
    let namespace = args
        .lease_namespace
        .clone()
        .or_else(|| {
            std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace").ok()
        })
        .unwrap_or_else(|| "default".to_string());
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
    namespace: Option<&'a str>,
    labels: Option<&'a str>,
    concurrency: u16,
}

impl<'a> Scope<'a> {
    fn of(args: &'a RunArgs) -> Self {
        Scope {
            namespace: args.namespace.as_deref(),
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

fn scoped<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// kubectl's client-side apply record: a copy of the whole manifest, in an annotation.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What the watch caches keep of an object: all but its managedFields and kubectl's
/// last-applied annotation. No reconcile reads either, and they were the larger part of each
/// cached organizer (half its JSON, more of its memory: 5,000 organizers are cached).
fn slim<K: Resource>(obj: &mut K) {
    let meta = obj.meta_mut();
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
    }
}

/// What makes an organizer worth reconciling again: its spec (generation), annotations (paused,
/// organizer-key), finalizers and deletion. Status writes do not count, so writing status never
/// triggers another GoTo round trip.
fn organizer_trigger(o: &GoToOrganizer) -> Option<u64> {
    let mut h = DefaultHasher::new();
    (
        o.metadata.generation,
        &o.metadata.annotations,
        &o.metadata.finalizers,
        o.metadata.deletion_timestamp.is_some(),
    )
        .hash(&mut h);
    Some(h.finish())
}

/// Organizers care about an account's spec and whether it is Ready, not its other status.
fn account_trigger(a: &GoToAccount) -> Option<u64> {
    let ready = a
        .status
        .as_ref()
        .and_then(|s| conditions::find(&s.conditions, READY).map(|c| c.status.clone()));
    let mut h = DefaultHasher::new();
    (a.metadata.generation, ready).hash(&mut h);
    Some(h.finish())
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
        namespace,
        labels,
        concurrency,
    } = scope;
    let organizers: Api<GoToOrganizer> = scoped(&ctx.kube, namespace);
    let accounts: Api<GoToAccount> = scoped(&ctx.kube, namespace);
    let reader = ctx.organizers.clone();
    let index = ctx.claim_index.clone();
    let trigger = watcher(organizers, watched(labels))
        .default_backoff()
        .modify(slim)
        .reflect(writer)
        .inspect(move |event| {
            if let Ok(event) = event {
                index.apply(event);
            }
        })
        .applied_objects()
        .predicate_filter(organizer_trigger, PredicateConfig::default());
    let account_changes = watcher(accounts, watched(labels))
        .default_backoff()
        .modify(slim)
        .reflect(account_writer)
        .applied_objects()
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

async fn account_controller(ctx: Arc<Context>, scope: Scope<'_>, shutdown: Shutdown) {
    let Scope {
        namespace,
        labels,
        concurrency,
    } = scope;
    let accounts: Api<GoToAccount> = scoped(&ctx.kube, namespace);
    let secrets: Api<PartialObjectMeta<Secret>> = match namespace {
        Some(ns) => Api::namespaced(ctx.kube.clone(), ns),
        None => Api::all(ctx.kube.clone()),
    };
    let controller = Controller::new(accounts, watched(labels));
    let store = controller.store();
    // Only Secret metadata is watched: the operator never holds every Secret's data in memory,
    // it reads the one an account names when it reconciles.
    let secret_changes = watcher(secrets, watcher::Config::default().any_semantic())
        .default_backoff()
        .applied_objects();
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_cache_keeps_everything_but_managed_fields_and_the_last_applied_copy() {
        let mut o: GoToOrganizer = serde_json::from_value(json!({
            "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
            "metadata": {"name": "jane", "namespace": "it", "annotations": {
                LAST_APPLIED: "{\"spec\":{}}", "goto-operator.dev/paused": "true"},
                "managedFields": [{"manager": "kubectl", "operation": "Apply",
                                   "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]},
            "spec": {"accountRef": {"name": "acme"}, "email": "jane@example.com",
                     "firstName": "Jane", "lastName": "Doe"},
        }))
        .expect("organizer");
        let spec = o.spec.clone();
        slim(&mut o);
        assert_eq!(o.metadata.managed_fields, None);
        assert_eq!(
            o.metadata.annotations,
            Some([("goto-operator.dev/paused".to_string(), "true".to_string())].into())
        );
        assert_eq!(o.spec, spec);
    }
}
