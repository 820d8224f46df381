//! Observe: one read of everything a decision needs, into one plain value ([`Observed`]), with no
//! writes. What is read depends on the object (a paused object reads nothing, a deleting object
//! looks up only the organizer it recorded, the meeting audit runs only before a Delete), but
//! nothing here decides what to write. The value's types live in [`observed`](super::observed).
use std::sync::Arc;

use kube::ResourceExt;

pub use super::observed::{
    AccountState, Audit, Lookup, ObjectFacts, Observed, account_key_of, facts, state,
};
use super::reads::{self, Reads};
use super::seat_queue::SeatTurn;
use super::view::View;
use crate::controller::clients::Problem;
use crate::controller::ownership::Ownership;
use crate::crd::{GoToAccount, GoToOrganizer};
use crate::goto::{GoToApi, OrganizerKey};

/// How long a reconcile waits for the GoToAccount cache's first listing after a start.
const ACCOUNT_CACHE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What `observe` gives back: the plain value, and the account's GoTo to act with.
pub struct Observation {
    /// The facts.
    pub observed: Observed,
    /// The account's GoTo, when the account is usable.
    pub goto: Option<Arc<dyn GoToApi>>,
}

/// Reads everything the decision for `obj`, whose own facts are `facts` ([`View::facts`]),
/// needs. Never writes; failures become values.
pub async fn observe(obj: &GoToOrganizer, facts: ObjectFacts, ctx: &View) -> Observation {
    let mut observed = Observed::of(facts);
    let goto = connect(obj, ctx, &mut observed).await;
    if let Some((goto, reads)) = &goto {
        read(obj, *reads, &mut observed, goto.as_ref()).await;
    }
    let goto = goto.map(|(goto, _)| goto);
    Observation { observed, goto }
}

/// The cluster half: the account, the claim, the seat turn, and the account's GoTo with what to
/// read from it, when the decision needs it.
async fn connect(
    obj: &GoToOrganizer,
    ctx: &View,
    observed: &mut Observed,
) -> Option<(Arc<dyn GoToApi>, Reads)> {
    if observed.object.paused {
        return None;
    }
    let account = account_of(obj, ctx).await;
    let declared = account
        .as_ref()
        .ok()
        .and_then(|a| a.as_ref())
        .map(|a| a.spec.account_key.as_str());
    observed.ownership = Ownership::of(
        obj,
        declared,
        &ctx.claim_index,
        &ctx.organizers,
        &ctx.accounts_store,
    );
    let reads = reads::plan(&obj.spec, &observed.object, &observed.ownership);
    if !reads.goto {
        return None;
    }
    let goto = match client(obj, ctx, account).await {
        Ok(goto) => goto,
        Err(state) => {
            observed.account = state;
            return None;
        }
    };
    let seat_pool = goto.seat_pool();
    if !observed.object.deleting {
        observed.seat = ctx.seat_queue.turn(&seat_pool, &observed.object.waiter);
    }
    observed.account = AccountState::Usable {
        account_key: goto.account_key().to_string(),
        seat_pool,
        capabilities: goto.capabilities(),
    };
    Some((goto, reads))
}

/// The GoTo half, through the seam only, as `reads` plans it: the organizer `obj` stands for
/// and, before a Delete, its meeting audit. `observed` already holds the object's facts, a
/// usable account and its seat turn.
pub async fn read(obj: &GoToOrganizer, reads: Reads, observed: &mut Observed, goto: &dyn GoToApi) {
    if reads.queues_for_seat && matches!(observed.seat, SeatTurn::Behind { .. }) {
        // Older objects wait for a seat first: this one is not looked up until its turn.
        return;
    }
    observed.organizer = lookup(obj, &observed.object, goto).await;
    if reads.audit {
        observed.audit = audit(&observed.organizer, goto).await;
    }
}

/// The GoToAccount from the reflector; `Ok(None)` when it does not exist.
async fn account_of(obj: &GoToOrganizer, ctx: &View) -> Result<Option<GoToAccount>, String> {
    let namespace = obj.namespace().unwrap_or_default();
    let name = &obj.spec.account_ref.name;
    match tokio::time::timeout(ACCOUNT_CACHE_WAIT, ctx.accounts_store.wait_until_ready()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("GoToAccount cache: {e}")),
        Err(_) => return Err("GoToAccount cache not filled yet".to_string()),
    }
    let reference =
        kube::runtime::reflector::ObjectRef::<GoToAccount>::new(name).within(&namespace);
    Ok(ctx
        .accounts_store
        .get(&reference)
        .map(|a| a.as_ref().clone()))
}

/// The account's client, with a token in hand. A deletion may use the client built before its
/// Secret went away (a namespace being deleted removes the Secret first).
async fn client(
    obj: &GoToOrganizer,
    ctx: &View,
    account: Result<Option<GoToAccount>, String>,
) -> Result<Arc<dyn GoToApi>, AccountState> {
    let name = &obj.spec.account_ref.name;
    let account = match account {
        Ok(Some(account)) => account,
        Ok(None) => return Err(AccountState::NotFound(name.clone())),
        Err(e) => return Err(AccountState::Unreachable(e)),
    };
    let deleting = obj.metadata.deletion_timestamp.is_some();
    let goto = ctx
        .accounts
        .client_with(&ctx.kube, &account, deleting)
        .await
        .map_err(|p| match p {
            Problem::AccountNotFound(_) => AccountState::NotFound(name.clone()),
            Problem::Kube(m) => AccountState::Unreachable(m),
            other => {
                AccountState::NotReady(format!("GoToAccount {name:?} cannot be used: {other}"))
            }
        })?;
    // A held token costs nothing; a failing token endpoint is the account's outage, not this
    // object's, and is told apart here so it does not grow the object's backoff.
    goto.authenticate().await.map_err(AccountState::Token)?;
    // Once per client: an endpoint of the other dialect is the account's problem, said once,
    // not a 404 per organizer.
    goto.verify_dialect().await.map_err(|e| match e {
        crate::goto::Error::WrongApi(m) => {
            AccountState::NotReady(format!("GoToAccount {name:?} cannot be used: {m}"))
        }
        other => AccountState::Token(other),
    })?;
    Ok(goto)
}

/// Finds the organizer `obj` stands for: by the key it recorded (or this process remembers), by
/// the annotation, or by email. A deleting object looks only at its own key.
pub async fn lookup(obj: &GoToOrganizer, facts: &ObjectFacts, goto: &dyn GoToApi) -> Lookup {
    if let Some(key) = facts.own_key() {
        let own = OrganizerKey::new(key);
        let read = if facts.drift_check {
            goto.read_for_drift(&own).await
        } else {
            goto.read(&own).await
        };
        return match read {
            Ok(Some(o)) => Lookup::Recorded(o),
            Ok(None) => Lookup::RecordedGone {
                key: key.to_string(),
            },
            Err(e) => Lookup::Failed(e),
        };
    }
    if facts.deleting {
        // The finalizer acts only on what this object recorded.
        return Lookup::NotLooked;
    }
    if let Some(key) = &facts.annotation_key {
        return match goto.read(&OrganizerKey::new(key.clone())).await {
            Ok(Some(o)) => Lookup::Annotated(o),
            Ok(None) => Lookup::AnnotatedMissing { key: key.clone() },
            Err(e) => Lookup::Failed(e),
        };
    }
    match goto.find_by_email(&obj.spec.email).await {
        Ok(Some(o)) => Lookup::ByEmail(o),
        Ok(None) => Lookup::Absent,
        Err(e) => Lookup::Failed(e),
    }
}

/// Reads the upcoming meetings strictly (see [`GoToApi::upcoming_meetings`]).
pub async fn audit(organizer: &Lookup, goto: &dyn GoToApi) -> Audit {
    let Lookup::Recorded(o) = organizer else {
        return Audit::NotRun;
    };
    match goto.upcoming_meetings(&o.organizer_key).await {
        Ok(meetings) => Audit::Complete(meetings),
        Err(e) => Audit::Failed(e),
    }
}
