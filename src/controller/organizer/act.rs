//! Act: the only code that writes to GoTo. It carries out one [`Plan`] and says what happened
//! ([`Outcome`]); it decides nothing itself. The plan is carried out as a loop in the pass, task
//! by task ([`Task`]): the writer ([`write`](super::write)) carries one out against GoTo and
//! stops where GoTo's answer needs a decision ([`Pause`]): a 409 on create, a created organizer
//! that still needs writes, the second audit, the moment right before a DELETE. `decide::after`
//! makes that decision from the answer, and the loop goes on with the task it gives, or stops.
//!
//! Crash safety lives here: after a create that more writes follow, the organizer key is written
//! to status at once, so a crash from then on resumes from that key; a crash between the create
//! and that write is resolved by the client (an ambiguous create is looked up by email) and by
//! the next reconcile's email lookup, never by a second create. Right before a DELETE the object
//! is read again, and `decide` confirms the DELETE against it.
use futures::future::BoxFuture;
use jiff::Timestamp;

use super::decide;
use super::observe::Observed;
use super::observed::{account_key_of, state};
use super::plan::{After, Next, Plan, Task};
use super::write::Writer;
pub use super::write::{Outcome, Step};
use crate::controller::error::Error;
use crate::crd::{GoToOrganizer, GoToOrganizerStatus};
use crate::goto::GoToApi;

/// What `act` writes down besides GoTo: the organizer key it learns (in this process's memory,
/// and in the object's status before any write that follows a create), and a count of its GoTo
/// writes. The controller's `Context` keeps them for real (`organizer/mod.rs`); tests keep them
/// in memory, and can make the status write fail as a crash would.
pub trait Ledger: Sync {
    /// Remembers `key` as the organizer of `obj` in this process (the watch cache may hand the
    /// next reconcile the object from before this one's status write).
    fn remember_key(&self, obj: &GoToOrganizer, key: &str);

    /// Writes `status`, which records the key, to the object at once.
    fn record_key<'a>(
        &'a self,
        obj: &'a GoToOrganizer,
        status: &'a GoToOrganizerStatus,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Counts one GoTo write that succeeded (`create`, `update`, `resume`, `suspend`, `delete`).
    fn wrote(&self, action: &'static str);

    /// The object as the Kubernetes API has it now (`None`: gone), read right before a DELETE.
    fn current<'a>(
        &'a self,
        obj: &'a GoToOrganizer,
    ) -> BoxFuture<'a, Result<Option<GoToOrganizer>, Error>>;
}

/// Carries `plan` out. `goto` is the account's GoTo (absent only for plans that need none).
pub async fn act(
    plan: &Plan,
    obj: &GoToOrganizer,
    observed: &Observed,
    ledger: &dyn Ledger,
    goto: Option<&dyn GoToApi>,
    now: Timestamp,
) -> Outcome {
    let mut out = Outcome {
        organizer: plan.organizer().cloned(),
        ..Outcome::default()
    };
    if let Some(goto) = goto {
        carry_out(plan, obj, observed, ledger, goto, now, &mut out).await;
    }
    for action in &out.writes {
        ledger.wrote(action);
    }
    if let Some(o) = &out.organizer
        && !observed.object.deleting
    {
        // The watch cache may hand the next reconcile the object from before this one's status
        // write: without this, an adopted (or created) organizer would be found by email and
        // announced again.
        ledger.remember_key(obj, o.organizer_key.as_str());
    }
    out
}

/// The loop of `act`: the writer carries each task out, `decide::after` answers each pause, and
/// the ledger reads the object again or records the key where that answer says so.
async fn carry_out(
    plan: &Plan,
    obj: &GoToOrganizer,
    observed: &Observed,
    ledger: &dyn Ledger,
    goto: &dyn GoToApi,
    now: Timestamp,
    out: &mut Outcome,
) {
    let writer = Writer { obj, goto };
    let mut next = Next::first(plan);
    // The object as the Kubernetes API has it, once read right before a DELETE.
    let mut current = None;
    while let Some(step) = next.take() {
        let pause = match step {
            Next::Ask(pause) => pause,
            Next::Write(task) => match writer.carry(task, out).await {
                Ok(Some(pause)) => pause,
                Ok(None) => return,
                Err(e) => {
                    out.error = Some(e);
                    return;
                }
            },
        };
        let after = decide::after(
            pause,
            &obj.spec,
            &observed.object,
            goto.capabilities(),
            current.as_ref(),
            now,
        );
        let went_on = match after {
            Ok(After::Done { not_sent }) => {
                out.not_sent = not_sent;
                Ok(None)
            }
            Ok(After::Then(task)) => Ok(Some(Next::Write(task))),
            Ok(After::ReadObjectThen(pause)) => ledger.current(obj).await.map(|object| {
                current = Some(object);
                Some(Next::Ask(pause))
            }),
            Ok(After::RecordKeyThen { organizer, changes }) => {
                out.not_sent.clone_from(&changes.unsupported);
                // Record the key before anything else: a crash from here on resumes from it.
                let previous = obj.status.clone().unwrap_or_default();
                let status = GoToOrganizerStatus {
                    organizer_key: Some(organizer.organizer_key.to_string()),
                    account_key: Some(account_key_of(&organizer, observed, &previous)),
                    state: Some(state(&organizer).to_string()),
                    max_participants: organizer.max_participants,
                    ..previous
                };
                let recorded = ledger.record_key(obj, &status).await;
                recorded.map(|()| Some(Next::Write(Task::Converge { organizer, changes })))
            }
            Err(e) => Err(e),
        };
        match went_on {
            Ok(step) => next = step,
            Err(e) => out.error = Some(e),
        }
    }
}
