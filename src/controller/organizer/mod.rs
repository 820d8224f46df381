//! The GoToOrganizer reconciler. `finalizer()` is its only top-level action: `Apply` makes GoTo
//! follow the spec (apply.rs), `Cleanup` runs the deletion policy (cleanup.rs). Failures become
//! a `Ready=False` condition with a stable reason, one Warning Event on the transition, and a
//! requeue chosen by the error's class.
mod apply;
mod claims;
mod cleanup;
mod locate;

use std::sync::Arc;
use std::time::Instant;

use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::finalizer::{self, Event as Finalizer};
use kube::{Api, ResourceExt};

use super::context::{Context, object_key};
use super::error::Error;
use super::status;
use crate::crd::conditions::{self, READY, reason};
use crate::crd::organizer::FINALIZER;
use crate::crd::{GoToOrganizer, GoToOrganizerStatus};
use crate::goto::{self, GoToClient, OrganizerKey};

/// Metric label of this controller.
pub const CONTROLLER: &str = "organizer";

/// Reconciles one GoToOrganizer.
pub async fn reconcile(obj: Arc<GoToOrganizer>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let api = api(&ctx, &obj);
    let result = finalizer::finalizer(&api, FINALIZER, obj.clone(), |event| async {
        match event {
            Finalizer::Apply(o) => apply::apply(&o, &ctx).await,
            Finalizer::Cleanup(o) => {
                let done = cleanup::cleanup(&o, &ctx).await;
                if done.is_ok() {
                    ctx.forget_key(o.as_ref());
                }
                done
            }
        }
    })
    .await
    .map_err(|e| match e {
        finalizer::Error::ApplyFailed(e) | finalizer::Error::CleanupFailed(e) => e,
        other => Error::Internal(other.to_string()),
    });
    let key = object_key(obj.as_ref());
    match &result {
        Ok(_) => ctx.succeeded(&key),
        Err(err) => report_failure(&api, &obj, err, &ctx).await,
    }
    ctx.set_blocked(&key, matches!(result, Err(Error::DeletionBlocked(_))));
    let label = result.as_ref().map_or_else(Error::metric_label, |_| "ok");
    ctx.metrics.reconciled(CONTROLLER, label, started.elapsed());
    result
}

/// Requeues a failed object by the failure's class: never hot.
pub fn error_policy(obj: Arc<GoToOrganizer>, err: &Error, ctx: Arc<Context>) -> Action {
    match ctx.retry_after(&object_key(obj.as_ref()), err) {
        Some(delay) => Action::requeue(delay),
        None => Action::await_change(),
    }
}

fn api(ctx: &Context, obj: &GoToOrganizer) -> Api<GoToOrganizer> {
    Api::namespaced(ctx.kube.clone(), &obj.namespace().unwrap_or_default())
}

/// Shows a failure on the object: `Ready=False` with the failure's reason (re-reading the object
/// first so that a status written earlier in this reconcile is kept), and one Event when the
/// reason is new.
async fn report_failure(api: &Api<GoToOrganizer>, obj: &GoToOrganizer, err: &Error, ctx: &Context) {
    if err.is_expected() {
        tracing::info!(organizer = %object_key(obj), "{err}");
    } else {
        tracing::warn!(organizer = %object_key(obj), error = %err, "reconcile failed");
    }
    let Some(reason) = err.reason() else { return };
    let latest = match api.get_opt(&obj.name_any()).await {
        Ok(Some(latest)) => latest,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(organizer = %object_key(obj), error = %e, "could not re-read object to report failure");
            return;
        }
    };
    let current = latest.status.clone().unwrap_or_default();
    let previous = conditions::find(&current.conditions, READY).map(|c| c.reason.clone());
    let message = err.to_string();
    let mut next = current.clone();
    next.observed_generation = latest.metadata.generation;
    next.conditions = conditions::merge(
        &current.conditions,
        vec![conditions::not_ready(
            reason,
            &message,
            latest.metadata.generation,
        )],
    );
    if let Err(e) = status::write(api, &latest, latest.status.as_ref(), &next).await {
        tracing::warn!(organizer = %object_key(obj), error = %e, "could not write failure status");
    }
    if previous.as_deref() != Some(reason) {
        let type_ = if reason == reason::PAUSED {
            EventType::Normal
        } else {
            EventType::Warning
        };
        ctx.event(&latest, type_, reason, message).await;
    }
}

/// The status a reconcile starts from.
fn current_status(obj: &GoToOrganizer) -> GoToOrganizerStatus {
    obj.status.clone().unwrap_or_default()
}

/// The older GoToOrganizer that owns what `obj` claims, if `obj` is a duplicate.
fn owner_if_duplicate(obj: &GoToOrganizer, ctx: &Context) -> Option<String> {
    let all = ctx.organizers.state();
    claims::older_claimant(obj, all.iter().map(AsRef::as_ref))
}

/// Suspends the organizer in GoTo: the audit line, the write metric and the `Suspended` Event.
async fn suspend(
    obj: &GoToOrganizer,
    ctx: &Context,
    goto: &GoToClient,
    key: &OrganizerKey,
    note: String,
) -> Result<(), goto::Error> {
    let result = goto.suspend_organizer(key).await;
    audit(
        obj,
        key.as_str(),
        "suspend",
        if result.is_ok() { "ok" } else { "error" },
    );
    result?;
    ctx.metrics.goto_write("suspend");
    ctx.event(obj, EventType::Normal, "Suspended", note).await;
    Ok(())
}

/// Structured audit line for every GoTo write: who, what, on which organizer, with what result.
fn audit(obj: &GoToOrganizer, organizer_key: &str, action: &'static str, result: &str) {
    tracing::info!(
        target: "goto_operator::audit",
        actor = "goto-operator",
        namespace = %obj.namespace().unwrap_or_default(),
        name = %obj.name_any(),
        email = %obj.spec.email,
        organizer_key,
        action,
        result,
        "GoTo write"
    );
}
