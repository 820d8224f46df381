//! What both reconcilers (GoToAccount and GoToOrganizer) do around their own work, written
//! once: run it under the kind's finalizer within a deadline, record the outcome (failure
//! streak, log, metric), and requeue a failure by its class.
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::runtime::controller::Action;
use kube::runtime::finalizer::{self, Event};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::context::{Context, object_key};
use super::error::Error;

/// The longest one reconcile may take before it is abandoned and retried.
pub const PASS_DEADLINE: Duration = Duration::from_secs(120);

/// Runs `work` for `obj` under `finalizer_name` (kube's finalizer helper: `Apply` while the
/// object lives, `Cleanup` once it is being deleted, the finalizer released when that
/// succeeds), within [`PASS_DEADLINE`]. Every call in a pass is bounded on its own; the
/// deadline makes sure no combination of waits holds an object, and a worker, forever. A pass
/// cut short is as safe as a crash.
pub async fn finalized<K, F, Fut>(
    api: &Api<K>,
    finalizer_name: &str,
    obj: Arc<K>,
    work: F,
) -> Result<Action, Error>
where
    K: Resource<DynamicType = ()> + Clone + std::fmt::Debug + Serialize + DeserializeOwned,
    F: FnOnce(Event<K>) -> Fut,
    Fut: Future<Output = Result<Action, Error>>,
{
    let finalized = finalizer::finalizer(api, finalizer_name, obj, work);
    match tokio::time::timeout(PASS_DEADLINE, finalized).await {
        Ok(result) => result.map_err(|e| match e {
            finalizer::Error::ApplyFailed(e) | finalizer::Error::CleanupFailed(e) => e,
            other => Error::Internal(other.to_string()),
        }),
        Err(_) => Err(Error::Internal(format!(
            "reconcile did not finish within {PASS_DEADLINE:?}; retrying"
        ))),
    }
}

/// Records how a reconcile of `obj` by `controller` ended: a success ends its failure streak,
/// a failure is logged (an expected one, such as a blocked deletion, at info), and both are
/// counted with their duration.
pub fn finished<K: Resource>(
    ctx: &Context,
    controller: &'static str,
    obj: &K,
    result: &Result<Action, Error>,
    started: Instant,
) {
    let key = object_key(obj);
    match result {
        Ok(_) => ctx.succeeded(&key),
        Err(err) if err.is_expected() => tracing::info!(controller, object = %key, "{err}"),
        Err(err) => tracing::warn!(controller, object = %key, error = %err, "reconcile failed"),
    }
    let label = result.as_ref().map_or_else(Error::metric_label, |_| "ok");
    ctx.metrics.reconciled(controller, label, started.elapsed());
}

/// Requeues a failure of `obj` by its class: never hot, and never for a failure only a change
/// can fix.
pub fn requeue<K: Resource>(ctx: &Context, obj: &K, err: &Error) -> Action {
    match ctx.retry_after(&object_key(obj), err) {
        Some(delay) => Action::requeue(delay),
        None => Action::await_change(),
    }
}
