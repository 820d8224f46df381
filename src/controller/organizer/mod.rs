//! The GoToOrganizer reconciler, as observe -> decide -> act -> report.
//!
//! - [`observe`] reads everything a decision needs into one plain value, [`Observed`]: the
//!   object's facts, its account, who owns what it names ([`ownership`](crate::controller::ownership), cluster-wide), the GoTo
//!   organizer, and the meeting audit before a Delete. No writes. GoTo is read only through the
//!   seam ([`GoToApi`](crate::goto::GoToApi)), in `observe::read`, its half without a cluster.
//! - [`decide`] is a pure, total function from `Observed`, the spec and the clock to one
//!   [`Plan`] ([`plan`]), for apply and cleanup alike; every rule of API.md "Behaviour" is a branch there,
//!   every failure a value with its reason. [`diff`] is its field diff.
//! - [`act`] is the only code that writes to GoTo, through the same seam; it carries one plan
//!   out and returns an [`Outcome`], task by task: the writer ([`write`]) carries a task out and
//!   pauses where GoTo's answer needs a decision (a 409, a created organizer's follow-up writes,
//!   the second audit, right before a DELETE), and `decide::after` makes it from that answer.
//!   Crash safety lives there: right after a create that more writes follow, it records the key
//!   in status through its [`act::Ledger`] (the `Context`).
//! - [`report`] is a pure function to the new status and the Events. The pass writes that status
//!   at its end, and not at all when nothing but timestamps changed; besides `act`'s key record,
//!   it is the only status write of a reconcile.
//! - [`seat_queue`] holds, per GoTo account, the objects waiting for a paid seat: `observe` reads
//!   the object's turn, `decide` plans `WaitForSeat` for all but the oldest waiter, and the pass
//!   keeps the queue from the plan and its outcome (joins, leaves, a freed seat triggers the next).
//!
//! Layers, bottom up, each importing only layers before it (tests/module_layers.rs checks):
//! `consent`, `spread`, `seat_queue`, `diff`, `observed`, `view`,
//! `reads`, `observe`, `plan`, `decide`, `write`, `act`, `report`.
//!
//! `finalizer()` stays the only top-level action: `Apply` and `Cleanup` run the same pipeline
//! (the plan knows whether the object is being deleted); a cleanup that returns `Ok` releases the
//! finalizer, a failure (including `DeletionBlocked`) keeps it and picks the requeue.
pub mod act;
pub mod consent;
pub mod decide;
pub mod diff;
pub mod observe;
pub mod observed;
pub mod plan;
pub mod reads;
pub mod report;
pub mod seat_queue;
pub mod spread;
#[cfg(test)]
mod tests;
pub mod view;
pub mod write;

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::Event as Finalizer;
use kube::{Api, ResourceExt};

pub use act::Outcome;
pub use decide::decide;
pub use observe::Observed;
pub use plan::{Plan, Via};

use super::context::{Context, object_key};
use super::error::Error;
use super::reconciler;
use super::status;
use crate::crd::organizer::FINALIZER;
use crate::crd::{GoToOrganizer, GoToOrganizerStatus};
use crate::goto;
pub use view::View;

/// Metric label of this controller.
pub const CONTROLLER: &str = "organizer";

/// What the organizer reconcile works with: the context both controllers share, and the view
/// `observe` reads (see [`view`]).
pub struct OrganizerContext {
    /// Shared with the account controller.
    pub ctx: Arc<Context>,
    /// What only the organizer reconcile reads and keeps.
    pub view: View,
}

/// Reconciles one GoToOrganizer.
pub async fn reconcile(
    obj: Arc<GoToOrganizer>,
    oc: Arc<OrganizerContext>,
) -> Result<Action, Error> {
    let started = Instant::now();
    let ctx = &oc.ctx;
    // After a restart, settled objects are read at their place in the drift period, not all
    // at once (see `spread`).
    let period = ctx.drift_period(
        &obj.namespace().unwrap_or_default(),
        &obj.spec.account_ref.name,
    );
    if let Some(delay) = oc
        .view
        .first_reads
        .defer(&obj, period, jiff::Timestamp::now())
    {
        ctx.metrics
            .reconciled(CONTROLLER, "deferred", started.elapsed());
        return Ok(Action::requeue(delay));
    }
    let api = api(ctx, &obj);
    // The upcoming meetings the pass's status records, for a blocked deletion's account.
    let mut audited = None;
    let result = {
        let (oc, audited) = (&oc, &mut audited);
        reconciler::finalized(&api, FINALIZER, obj.clone(), move |event| async move {
            let (Finalizer::Apply(o) | Finalizer::Cleanup(o)) = event;
            pass(&o, oc, period, audited).await
        })
        .await
    };
    let blocked = matches!(result, Err(Error::DeletionBlocked(_)));
    ctx.set_blocked(&obj, blocked.then(|| audited.unwrap_or(0)));
    reconciler::finished(ctx, CONTROLLER, obj.as_ref(), &result, started);
    result
}

/// One pass: observe, decide, act, report; then the single status write and the Events.
/// `period` is the account's drift period; `audited` gets the upcoming-meeting count of the
/// meeting audit in the status it leaves.
async fn pass(
    obj: &GoToOrganizer,
    oc: &OrganizerContext,
    period: std::time::Duration,
    audited: &mut Option<u32>,
) -> Result<Action, Error> {
    let (ctx, view) = (oc.ctx.as_ref(), &oc.view);
    let key = object_key(obj);
    let observation = observe::observe(obj, view.facts(obj), view).await;
    let observed = &observation.observed;
    // A drift read that gave way to people's work in the budget: nothing was read, nothing is
    // decided; back at the drift slot the budget booked for it.
    if let observe::Lookup::Failed(goto::Error::Deferred { retry_after }) = &observed.organizer {
        tracing::debug!(organizer = %key, ?retry_after, "drift read deferred");
        ctx.metrics.drift_read_deferred();
        return Ok(Action::requeue(*retry_after));
    }
    let now = jiff::Timestamp::now();
    let plan = decide(observed, &obj.spec, now);
    // When to look again after a pass that succeeds (decided with the plan, from the same
    // clock): at the object's place in its account's drift period, at least half a period from
    // now, or sooner for a `suspendAt`.
    let next_look = decide::next_look(
        &obj.spec,
        now,
        spread::next_read(&key, period, now, period / 2),
    );
    tracing::debug!(organizer = %key, observed = %observed, plan = %plan, "decided");
    let goto = observation.goto.as_deref();
    let outcome = act::act(&plan, obj, observed, oc, goto, now).await;
    let previous = obj.status.clone().unwrap_or_default();
    queue_seat(view, observed, &plan, &outcome);
    let (next, notes) = report::report(observed, &obj.spec, &plan, &outcome, &previous, now);
    *audited = next
        .meeting_audit
        .as_ref()
        .map(|a| a.upcoming_meeting_count);
    let written = if report::same_but_timestamps(&next, &previous) {
        Ok(false)
    } else {
        status::write(&api(ctx, obj), obj, obj.status.as_ref(), &next).await
    };
    for note in notes {
        ctx.event_as(obj, note.type_, note.reason, note.action, note.note)
            .await;
    }
    if let Some(err) = report::failure(&plan, &outcome) {
        return Err(err);
    }
    written?;
    if observed.object.deleting {
        view.forget_key(obj);
        view.first_reads
            .forget(&obj.namespace().unwrap_or_default(), &obj.name_any());
        return Ok(Action::await_change());
    }
    Ok(Action::requeue(next_look))
}

/// Keeps the account's seat queue (see [`seat_queue`]): a create refused for want of a seat
/// joins it, an object that no longer waits leaves it, and a seat the operator freed triggers the
/// oldest waiter.
fn queue_seat(view: &View, observed: &Observed, plan: &Plan, outcome: &Outcome) {
    let waiter = &observed.object.waiter;
    // Per pool of seats, not per declared account key: see `GoToApi::seat_pool`.
    let account = match &observed.account {
        observe::AccountState::Usable { seat_pool, .. } => Some(seat_pool.as_str()),
        _ => None,
    };
    match (seat_membership(plan, outcome), account) {
        (seat_queue::Membership::Wait, Some(account)) => view.seat_queue.wait(account, waiter),
        (seat_queue::Membership::Keep, _) => {}
        _ => view.seat_queue.leave(waiter),
    }
    let freed = outcome.steps.iter().any(|s| {
        matches!(
            s,
            act::Step::Deleted {
                already_gone: false,
                ..
            }
        )
    });
    if freed && let Some(account) = account {
        view.seat_queue.seat_freed(account);
    }
}

/// What a plan and its outcome mean for the object's place in its account's seat queue, pure.
pub fn seat_membership(plan: &Plan, outcome: &Outcome) -> seat_queue::Membership {
    if outcome.error.as_ref().is_some_and(seat_queue::seat_refused) {
        return seat_queue::Membership::Wait;
    }
    if plan.waits_for_seat() {
        seat_queue::Membership::Wait
    } else if (plan.creates() && outcome.error.is_some()) || plan.undecided() {
        // A create that failed for another reason, or a pass that could not tell: no news.
        seat_queue::Membership::Keep
    } else {
        seat_queue::Membership::Leave
    }
}

/// Requeues a failed object by the failure's class: never hot. An object waiting for a seat
/// comes back on the probe backoff if it is its account's oldest waiter, else when triggered
/// (or after the slow requeue, as a safety net).
pub fn error_policy(obj: Arc<GoToOrganizer>, err: &Error, oc: Arc<OrganizerContext>) -> Action {
    if seat_queue::seat_refused(err) {
        let delay = oc
            .view
            .seat_queue
            .requeue(&seat_queue::Waiter::of(obj.as_ref()))
            .unwrap_or(oc.ctx.requeue.slow);
        return Action::requeue(delay);
    }
    reconciler::requeue(&oc.ctx, obj.as_ref(), err)
}

/// The controller keeps what `act` writes down in its shared state and the object's status.
impl act::Ledger for OrganizerContext {
    fn remember_key(&self, obj: &GoToOrganizer, key: &str) {
        self.view.remember_key(obj, key);
    }

    fn record_key<'a>(
        &'a self,
        obj: &'a GoToOrganizer,
        status: &'a GoToOrganizerStatus,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            status::write(&api(&self.ctx, obj), obj, obj.status.as_ref(), status).await?;
            Ok(())
        })
    }

    fn wrote(&self, action: &'static str) {
        self.ctx.metrics.goto_write(action);
    }

    fn current<'a>(
        &'a self,
        obj: &'a GoToOrganizer,
    ) -> BoxFuture<'a, Result<Option<GoToOrganizer>, Error>> {
        Box::pin(async move { Ok(api(&self.ctx, obj).get_opt(&obj.name_any()).await?) })
    }
}

fn api(ctx: &Context, obj: &GoToOrganizer) -> Api<GoToOrganizer> {
    Api::namespaced(ctx.kube.clone(), &obj.namespace().unwrap_or_default())
}
