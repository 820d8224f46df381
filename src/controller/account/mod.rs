//! The GoToAccount reconciler: reads the Secret, authenticates, and reports `Ready`, the seat
//! inventory, and `OffboardingBlocked` from the organizers whose deletion waits for a person
//! ([`offboarding`](super::offboarding), which also triggers it when they change). Its finalizer
//! keeps the account (and so the credentials) while organizers still reference it, so that
//! their own cleanup can reach GoTo; `credentials.rs` keeps the Secret for the same reason.
pub mod report;

use std::sync::Arc;
use std::time::Instant;

use kube::api::ListParams;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::Event as Finalizer;
use kube::{Api, ResourceExt};

use super::clients::Problem;
use super::context::{Context, object_key};
use super::credentials;
use super::error::{Error, jitter};
use super::reconciler;
use super::seats;
use super::status;
use crate::crd::{GoToAccount, GoToOrganizer, SeatInventory};
use crate::goto;

/// Metric label of this controller.
pub const CONTROLLER: &str = "account";
/// Finalizer that holds an account while organizers reference it.
pub const FINALIZER: &str = "goto-operator.dev/organizers";
/// How soon a throttled account (effective rate below `requestsPerSecond`) is looked at again.
const THROTTLED_RECHECK: std::time::Duration = std::time::Duration::from_secs(15);

/// Reconciles one GoToAccount.
pub async fn reconcile(obj: Arc<GoToAccount>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let api: Api<GoToAccount> =
        Api::namespaced(ctx.kube.clone(), &obj.namespace().unwrap_or_default());
    let result = reconciler::finalized(&api, FINALIZER, obj.clone(), |event| async {
        match event {
            Finalizer::Apply(a) => apply(&api, &a, &ctx).await,
            Finalizer::Cleanup(a) => cleanup(&api, &a, &ctx).await,
        }
    })
    .await;
    reconciler::finished(&ctx, CONTROLLER, obj.as_ref(), &result, started);
    result
}

/// Requeues a failed account by the failure's class.
pub fn error_policy(obj: Arc<GoToAccount>, err: &Error, ctx: Arc<Context>) -> Action {
    reconciler::requeue(&ctx, obj.as_ref(), err)
}

async fn apply(
    api: &Api<GoToAccount>,
    account: &GoToAccount,
    ctx: &Context,
) -> Result<Action, Error> {
    // Before anything can use the credentials, they are kept for as long as they may be needed.
    // A failure here (e.g. RBAC without `patch` on secrets) costs that protection, not the account.
    if let Err(e) = credentials::protect(&ctx.kube, account).await {
        tracing::warn!(account = %object_key(account), error = %e, "could not protect the credentials Secret with a finalizer");
    }
    if let Err(e) =
        credentials::sweep(&ctx.kube, &account.namespace().unwrap_or_default(), None).await
    {
        tracing::warn!(account = %object_key(account), error = %e, "could not release unused credentials Secrets");
    }
    let client = ctx.accounts.client_for(&ctx.kube, account).await;
    let outcome = match &client {
        Ok(client) => match client.authenticate().await {
            Ok(()) => client.verify_dialect().await.map_err(Error::GoTo),
            Err(e) => Err(Error::GoTo(e)),
        },
        Err(Problem::SecretNotFound(m)) => Err(Error::AccountNotReady(m.clone())),
        Err(Problem::BadEndpoint(m)) => Err(Error::GoTo(goto::Error::Config(m.clone()))),
        // A failed read from the Kubernetes API says nothing about the account: retry, no condition.
        Err(Problem::AccountNotFound(m) | Problem::Kube(m)) => {
            return Err(Error::Internal(m.clone()));
        }
    };
    // Once per resync (this reconcile's period), from the directory the client already keeps.
    let seats = match (&outcome, &client) {
        (Ok(()), Ok(client)) => {
            let first = account.status.as_ref().is_none_or(|s| s.seats.is_none());
            seats::inventory(account, client.as_ref(), &ctx.organizers.state(), first).await
        }
        _ => None,
    };
    if let Some(seats) = &seats {
        ctx.metrics.set_seats(
            &account.namespace().unwrap_or_default(),
            &account.name_any(),
            &seats::samples(seats),
        );
    }
    let now = jiff::Timestamp::now();
    let ready = report::ready(account, &outcome, now);
    write_status(api, account, ctx, ready, seats, now).await?;
    // While the budget recovers from 429s, look again soon so status shows the recovery.
    let throttled = ctx
        .accounts
        .effective_rate(
            &account.namespace().unwrap_or_default(),
            &account.name_any(),
        )
        .is_some_and(|rate| rate < f64::from(account.spec.requests_per_second));
    let next = if throttled {
        THROTTLED_RECHECK.min(ctx.resync)
    } else {
        ctx.resync
    };
    outcome.map(|()| Action::requeue(jitter(next)))
}

async fn cleanup(
    api: &Api<GoToAccount>,
    account: &GoToAccount,
    ctx: &Context,
) -> Result<Action, Error> {
    let namespace = account.namespace().unwrap_or_default();
    let organizers: Api<GoToOrganizer> = Api::namespaced(ctx.kube.clone(), &namespace);
    let users: Vec<String> = organizers
        .list(&ListParams::default())
        .await?
        .into_iter()
        .filter(|o| o.spec.account_ref.name == account.name_any())
        .map(|o| o.name_any())
        .collect();
    if users.is_empty() {
        // The Secret may go once no other account needs it; released before the account is.
        credentials::sweep(&ctx.kube, &namespace, Some(&account.name_any())).await?;
        ctx.accounts.forget(&namespace, &account.name_any());
        ctx.metrics.forget_seats(&namespace, &account.name_any());
        return Ok(Action::await_change());
    }
    let err = Error::DeletionBlocked(format!(
        "{} GoToOrganizer(s) still use this account ({}); it is kept until they are gone so their cleanup can reach GoTo",
        users.len(),
        users.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
    ));
    let now = jiff::Timestamp::now();
    let ready = report::ready(account, &Err(err.clone()), now);
    write_status(api, account, ctx, ready, None, now).await?;
    Err(err)
}

/// Writes the status `report` makes of what this reconcile found, and its Event.
async fn write_status(
    api: &Api<GoToAccount>,
    account: &GoToAccount,
    ctx: &Context,
    ready: k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition,
    seats: Option<SeatInventory>,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let (namespace, name) = (account.namespace().unwrap_or_default(), account.name_any());
    let facts = report::Facts {
        blocked: ctx.offboarding.of_account(&namespace, &name),
        effective_rate: ctx.accounts.effective_rate(&namespace, &name),
        drift_period: ctx.drift_period(&namespace, &name),
        seats,
    };
    let (next, note) = report::report(account, ready, facts, now);
    status::write(api, account, account.status.as_ref(), &next).await?;
    if let Some(note) = note {
        ctx.event(account, note.type_, &note.reason, note.message)
            .await;
    }
    Ok(())
}
