//! The controllers: GoToAccount and GoToOrganizer, run behind a leader lease ([`run`]: the
//! process around them). This module wires their watches, triggers and reconcilers.
pub mod account;
pub mod cached;
pub mod clients;
pub mod context;
pub mod credentials;
pub mod drift_periods;
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
pub mod reconciler;
mod run;
pub mod seats;
pub mod secret_versions;
mod seen;
pub mod status;
mod triggers;
pub mod validate;

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::api::PartialObjectMeta;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{Config, Controller, WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};

use crate::cli::RunArgs;
use crate::crd::{GoToAccount, GoToOrganizer};
use cached::Cached;
pub use context::Context;
pub use error::{Error, RequeuePolicy};
use run::Shutdown;
pub use run::run;
use seen::Seen;
use triggers::{account_trigger, consistent_applies, organizer_trigger};

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
    oc: Arc<organizer::OrganizerContext>,
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
    let ctx = oc.ctx.clone();
    let organizers = scoped::<GoToOrganizer>(&ctx.kube, watched_namespaces);
    let accounts = scoped::<GoToAccount>(&ctx.kube, watched_namespaces);
    let reader = ctx.organizers.clone();
    let index = oc.view.claim_index.clone();
    let view = oc.clone();
    let gone = ctx.clone();
    let (seen, seen_accounts) = (Seen::default(), Seen::default());
    let watch = namespaces::watch(organizers, &watched(labels), reader.clone())
        .modify(Cached::slim)
        .reflect(writer);
    let trigger = seen.forgetting_deleted(watch).inspect(move |event| {
        if let Ok(event) = event {
            index.apply(event);
            if let watcher::Event::Apply(o) | watcher::Event::InitApply(o) = event {
                view.view.seen_in_watch(o);
            }
            // Its last reconcile released it; this covers a finalizer removed by hand.
            if let watcher::Event::Delete(o) = event {
                gone.set_blocked(o, None);
            }
        }
    });
    let trigger = seen
        .filter(
            consistent_applies(trigger, reader.clone()),
            organizer_trigger,
        )
        .map_ok(triggers::unversioned);
    let account_events = seen_accounts.forgetting_deleted(
        namespaces::watch(accounts, &watched(labels), ctx.accounts_store.clone())
            .modify(Cached::slim)
            .reflect(account_writer),
    );
    let account_changes = seen_accounts.filter(
        consistent_applies(account_events, ctx.accounts_store.clone()),
        account_trigger,
    );
    let store = reader.clone();
    Controller::for_stream(trigger, reader)
        .watches_stream(account_changes, move |account| {
            organizers_of(&store, &account)
        })
        .reconcile_on(notified)
        .with_config(Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(organizer::reconcile, organizer::error_policy, oc)
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
        .map(|o| triggers::queued(o.as_ref()))
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
            .modify(Cached::slim)
            .reflect(writer),
        store.clone(),
    );
    let controller = Controller::for_stream(trigger, store.clone());
    // Only Secret metadata is watched: the operator never holds every Secret's data in memory,
    // it reads the one an account names when it reconciles. The versions it sees tell an
    // organizer reconcile that its account's client is current (see `secret_versions`).
    let secret_changes =
        futures::stream::select_all(secrets.into_iter().map(|(namespace, api)| {
            let clients = ctx.accounts.clone();
            watcher(api, watcher::Config::default().any_semantic())
                .default_backoff()
                .inspect_ok(move |event| clients.secrets().follow(&namespace, event))
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
